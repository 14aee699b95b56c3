"""``type: feed`` sources end to end: a partner's RSS feed, served on the loopback
server or read from a file, beside the live html source of the same site."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.livesite import (
    LISTING,
    LIVE,
    html_source,
    read_feed,
    refresh,
    serve,
    snapshot,
    status,
    write_config,
)
from tests.support.site_server import SiteServer

FEED = "/partner/feed.xml"
AMBASSADOR = LISTING + "generalnyy-sekretar-odkb-vstretilsya-s-poslom-armenii/"
REVIEW = "/partner/obzor-pressy-mart/"
PARTNER = {"id": "partner", "title": "Partner digest"}


def partner_feed(server: SiteServer) -> bytes:
    template = (LIVE / "upstream" / "partner.rss.xml").read_text(encoding="utf-8")
    return template.replace("{base}", server.base_url).encode("utf-8")


def feed_source(server: SiteServer, folder: Path, by: str) -> dict[str, Any]:
    source: dict[str, Any] = {"name": "partner", "type": "feed", "section": "partner"}
    if by == "url":
        server.add(FEED, partner_feed(server), content_type="application/rss+xml")
        source["url"] = server.url(FEED)
    else:
        (folder / "partner.xml").write_bytes(partner_feed(server))
        source["path"] = "partner.xml"
    return source


@pytest.fixture
def site(site_server: SiteServer) -> SiteServer:
    serve(site_server)
    return site_server


@pytest.mark.parametrize("feed_first", [True, False], ids=["feed-first", "live-first"])
@pytest.mark.parametrize("by", ["url", "path"])
def test_feed_items_join_the_given_section_and_the_live_page(
    tmp_path: Path, site: SiteServer, by: str, feed_first: bool
) -> None:
    partner = feed_source(site, tmp_path, by)
    live = html_source(site)
    config = write_config(
        tmp_path,
        site,
        sources=[partner, live] if feed_first else [live, partner],
        sections=[PARTNER],
    )

    assert refresh(config) == 0

    everything = read_feed(config)
    assert len(everything.entries) == 6
    ambassador = [e for e in everything.entries if e.link == site.url(AMBASSADOR)]
    assert len(ambassador) == 1
    assert ambassador[0].title == "The CSTO Secretary General met the Ambassador of Armenia"
    # The article page dates the release; the feed's exact time on that day publishes it.
    assert ambassador[0].published == "2025-03-14T16:20:00+03:00"

    # A feed item whose URL lies under the news section's URL stays in news; the
    # partner's own item goes to the section the source names, published at its pubDate.
    partner_entries = read_feed(config, "partner").entries
    assert [(e.title, e.link, e.published) for e in partner_entries] == [
        (
            "Press review: the CSTO in regional media",
            site.url(REVIEW),
            "2025-03-15T09:00:00+03:00",
        )
    ]
    assert len(read_feed(config, "news").entries) == 5
    assert status(config)["sources"]["partner"] == {
        "status": "ok",
        "items": 2,
        "message": "",
        "type": "feed",
    }


def test_feed_by_url_is_fetched_conditionally(tmp_path: Path, site: SiteServer) -> None:
    config = write_config(
        tmp_path, site, sources=[feed_source(site, tmp_path, "url")], sections=[PARTNER]
    )
    assert refresh(config) == 0
    before = snapshot(tmp_path / "output")
    site.clear_requests()

    assert refresh(config) == 0

    assert [r.path for r in site.requests] == ["/robots.txt", FEED]
    assert "if-none-match" in site.requests[1].headers
    assert snapshot(tmp_path / "output") == before
    assert status(config)["sources"]["partner"]["items"] == 2


def test_unreadable_feed_is_reported_and_the_rest_published(
    tmp_path: Path, site: SiteServer, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "partner.xml").write_bytes((LIVE / "upstream" / "not-a-feed.xml").read_bytes())
    partner = {"name": "partner", "type": "feed", "section": "partner", "path": "partner.xml"}
    config = write_config(tmp_path, site, sources=[partner, html_source(site)], sections=[PARTNER])

    assert refresh(config) == 1

    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"{tmp_path / 'partner.xml'}: not an RSS or Atom feed (")
    assert len(read_feed(config).entries) == 5
    assert status(config)["sources"]["partner"]["status"] == "failed"


def test_unchanged_feed_after_a_failed_run_is_healthy(
    tmp_path: Path, site: SiteServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(
        tmp_path, site, sources=[feed_source(site, tmp_path, "url")], sections=[PARTNER]
    )
    body = partner_feed(site)
    assert refresh(config) == 0

    site.add(FEED, b"down for maintenance", status=503)
    assert refresh(config) == 1
    assert capsys.readouterr().err == (f"{site.url(FEED)}: HTTP 503 after 3 attempts\n")
    assert status(config)["sources"]["partner"]["status"] == "failed"

    # Back with the same bytes: a 304, which is a healthy run of two items, not drift.
    site.add(FEED, body, content_type="application/rss+xml")
    site.clear_requests()
    assert refresh(config) == 0
    assert capsys.readouterr() == ("", "")
    assert [r.path for r in site.requests] == ["/robots.txt", FEED]
    assert status(config)["sources"]["partner"] == {
        "status": "ok",
        "items": 2,
        "message": "",
        "type": "feed",
    }
    assert len(read_feed(config).entries) == 2
