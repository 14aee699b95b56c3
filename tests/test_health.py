"""Drift detection: :func:`feeds.health.assess` on its own, then a site redesign
seen through ``feeds refresh`` against the loopback copy of the site."""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feeds.health import RunFigures, assess, median
from feeds.model import HealthStatus, SourceHealth
from tests.support.livesite import (
    LISTING,
    page,
    read_feed,
    refresh,
    serve,
    snapshot,
    status,
    write_config,
)
from tests.support.site_server import SiteServer


def ok(items: int, date_share: float | None = 1.0, body_share: float | None = 1.0) -> SourceHealth:
    return SourceHealth(HealthStatus.OK, items, date_share, body_share)


def run(
    items: int,
    parsed: int = 0,
    with_date: int = 0,
    with_body: int = 0,
    *,
    problems: int = 0,
    download_failed: bool = False,
) -> RunFigures:
    return RunFigures(items, parsed, with_date, with_body, problems, download_failed)


# -- assess ----------------------------------------------------------------------------


def test_first_run_is_ok_whatever_it_yields() -> None:
    assert assess(run(0), []) == SourceHealth(HealthStatus.OK, 0, None, None)


def test_nothing_after_a_healthy_history_is_drift() -> None:
    health = assess(run(0), [ok(5), ok(5)])
    assert health == SourceHealth(
        HealthStatus.DRIFT,
        0,
        None,
        None,
        "yielded nothing (usually 5 items): has the site changed?",
    )


def test_far_fewer_items_is_drift_and_a_small_dip_is_not() -> None:
    history = [ok(6), ok(4), ok(5)]
    assert assess(run(2), history).message == ("yielded 2 items (usually 5): has the site changed?")
    assert assess(run(3), history).status is HealthStatus.OK


def test_only_healthy_runs_set_the_usual_count() -> None:
    history = [
        SourceHealth(HealthStatus.DRIFT, 0),
        SourceHealth(HealthStatus.FAILED, 0),
        ok(8),
    ]
    assert assess(run(3), history).message == ("yielded 3 items (usually 8): has the site changed?")


def test_failed_download_is_a_failure_not_drift() -> None:
    failed = run(0, problems=1, download_failed=True)
    assert assess(failed, [ok(5)]) == SourceHealth(
        HealthStatus.FAILED, 0, None, None, "1 problem(s)"
    )


def test_unreadable_article_does_not_hide_a_shrunken_listing() -> None:
    # Article errors do not lower the item count: a short listing is still drift.
    shrunk = run(1, parsed=1, with_date=1, with_body=1, problems=1)
    assert assess(shrunk, [ok(5)]).status is HealthStatus.DRIFT


def test_articles_losing_their_dates_is_drift() -> None:
    health = assess(run(5, parsed=4, with_date=1, with_body=4), [ok(5), ok(5)])
    assert health == SourceHealth(
        HealthStatus.DRIFT,
        5,
        0.25,
        1.0,
        "only 25% of its articles have a date (usually 100%): has the site changed?",
    )


def test_articles_losing_their_bodies_is_drift() -> None:
    health = assess(run(5, parsed=3, with_date=3, with_body=0), [ok(5)])
    assert health.message == (
        "only 0% of its articles have a body (usually 100%): has the site changed?"
    )


def test_shares_of_fewer_than_three_articles_are_not_judged() -> None:
    assert assess(run(5, parsed=2, with_date=0, with_body=2), [ok(5)]).status is HealthStatus.OK


# -- a redesign seen by a refresh ------------------------------------------------------


def test_redesigned_listing_is_drift_and_keeps_the_last_good_releases(
    tmp_path: Path, site_server: SiteServer, capsys: pytest.CaptureFixture[str]
) -> None:
    serve(site_server)
    config = write_config(tmp_path, site_server)
    assert refresh(config) == 0
    output = tmp_path / "output"
    before = snapshot(output)
    published = [(e.id, e.title, e.updated) for e in read_feed(config).entries]
    assert len(published) == 5

    # The listing now renders in the browser: the page holds no release at all.
    site_server.add(LISTING, page("listing-1-redesign.html"))
    assert refresh(config) == 1

    out, err = capsys.readouterr()
    assert out == ""
    assert err == "site-news: drift: yielded nothing (usually 5 items): has the site changed?\n"
    assert status(config) == {
        "status": "attention",
        "sources": {
            "site-news": {
                "status": "drift",
                "items": 0,
                "message": "yielded nothing (usually 5 items): has the site changed?",
                "type": "html",
            }
        },
    }
    # Only the health file changed: every feed and page is as it was.
    after = snapshot(output)
    changed = sorted(name for name in after if after[name] != before.get(name))
    assert changed == ["status.json"]
    assert sorted(after) == sorted(before)
    assert [(e.id, e.title, e.updated) for e in read_feed(config).entries] == published

    # The site comes back: healthy again, still the same five entries.
    site_server.add(LISTING, page("listing-1.html"))
    assert refresh(config) == 0
    assert status(config)["sources"]["site-news"]["status"] == "ok"
    assert [(e.id, e.title, e.updated) for e in read_feed(config).entries] == published


@given(st.lists(st.integers(0, 10_000) | st.floats(0, 1), min_size=1, max_size=9))
def test_the_median_is_the_standard_librarys(values: list[float]) -> None:
    assert median(values) == statistics.median(values)
