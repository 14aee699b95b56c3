"""A real feed reader (the ``reader`` library) subscribed to our feeds over loopback HTTP.

What a subscriber sees across refreshes: every release once, with its title, date and
link; nothing new or updated after an unchanged refresh; exactly the new releases after
a new dump arrives.
"""

from __future__ import annotations

import datetime as dt
import shutil
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from reader import Reader, UpdatedFeed, make_reader

from feeds.config import load_config
from feeds.model import Entry
from feeds.refresh import refresh
from feeds.serve import ServeSettings, make_server
from tests.support.state import stored_entries

REPO = Path(__file__).resolve().parent.parent
SAMPLES = sorted((REPO / "samples" / "dumps").glob("*.txt"))

CONFIG = """\
site:
  title: CSTO releases
  url: https://en.odkb-csto.org/
  public_url: {public_url}
  timezone: Europe/Moscow
output: output
state: state/feeds.sqlite
feed_size: 50
sections:
  - {{id: news, title: CSTO news, default: true}}
  - {{id: joint-staff, title: Joint Staff, match: ['\\bJoint Staff\\b']}}
sources:
  - {{name: dumps, type: dump, paths: ["dumps/*.txt"]}}
"""


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A project whose output folder is served on a free loopback port: (config, base URL)."""
    (tmp_path / "output").mkdir()
    (tmp_path / "dumps").mkdir()
    server = make_server(ServeSettings(root=tmp_path / "output", host="127.0.0.1", port=0))
    port = server.server_address[1]
    base = f"http://127.0.0.1:{port}/"
    config = tmp_path / "sources.yaml"
    config.write_text(CONFIG.format(public_url=base), encoding="utf-8")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield config, base
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def run_refresh(config: Path) -> None:
    report = refresh(load_config(config))
    assert report.problems == []


def stored(config: Path) -> dict[str, Entry]:
    return {e.id: e for e in stored_entries(config)}


def update(client: Reader) -> dict[str, UpdatedFeed | None]:
    results: dict[str, UpdatedFeed | None] = {}
    # Not only the feeds reader would poll now: every one, each time.
    for result in client.update_feeds_iter(scheduled=False):
        assert not isinstance(result.value, Exception), result
        results[result.url] = result.value
    return results


def counts(results: dict[str, UpdatedFeed | None]) -> dict[str, tuple[int, int]]:
    """(new, modified) per feed; a 304 Not Modified counts as (0, 0)."""
    return {
        url.rsplit("/", 2)[-2] + "/" + url.rsplit("/", 1)[-1]: (v.new, v.modified) if v else (0, 0)
        for url, v in results.items()
    }


def test_reader_sees_each_release_once_and_only_real_changes(
    served: tuple[Path, str], tmp_path: Path
) -> None:
    config, base = served
    for sample in SAMPLES[:4]:
        shutil.copy2(sample, tmp_path / "dumps" / sample.name)
    run_refresh(config)
    expected = stored(config)
    assert len(expected) == 16

    client = make_reader(str(tmp_path / "reader.sqlite"))
    try:
        for path in ("all/atom.xml", "news/rss.xml", "joint-staff/atom.xml"):
            client.add_feed(base + path)

        # First update: every release, with the title, date and link we published.
        assert counts(update(client)) == {
            "all/atom.xml": (16, 0),
            "news/rss.xml": (14, 0),
            "joint-staff/atom.xml": (2, 0),
        }
        got = {e.id: e for e in client.get_entries(feed=base + "all/atom.xml")}
        assert set(got) == set(expected)
        for entry_id, entry in expected.items():
            seen = got[entry_id]
            assert seen.title == entry.release.title
            assert seen.published == entry.published.astimezone(dt.UTC)
            assert seen.updated == entry.updated
            assert seen.link == base + entry.page_path
        # Release links resolve on the server.
        some = next(iter(got.values()))
        assert some.link is not None and some.title is not None
        with urllib.request.urlopen(some.link, timeout=10) as response:
            assert response.status == 200
            assert some.title.encode() in response.read()
        # RSS gives the same ids (guids) for the news section.
        news = {e.id for e in client.get_entries(feed=base + "news/rss.xml")}
        assert news == {i for i, e in expected.items() if e.section == "news"}
        assert client.get_entry_counts().total == 32
        before = {(e.feed_url, e.id): (e.updated, e.last_updated) for e in client.get_entries()}

        # An unchanged refresh: nothing new, nothing updated.
        run_refresh(config)
        assert counts(update(client)) == {
            "all/atom.xml": (0, 0),
            "news/rss.xml": (0, 0),
            "joint-staff/atom.xml": (0, 0),
        }
        assert client.get_entry_counts().total == 32
        after = {(e.feed_url, e.id): (e.updated, e.last_updated) for e in client.get_entries()}
        assert after == before

        # A new dump: exactly its releases appear as new, nothing else is touched.
        shutil.copy2(SAMPLES[4], tmp_path / "dumps" / SAMPLES[4].name)
        run_refresh(config)
        now_stored = stored(config)
        added = set(now_stored) - set(expected)
        assert len(added) == 3
        assert counts(update(client)) == {
            "all/atom.xml": (3, 0),
            "news/rss.xml": (3, 0),
            "joint-staff/atom.xml": (0, 0),
        }
        latest = {(e.feed_url, e.id): (e.updated, e.last_updated) for e in client.get_entries()}
        assert {k: v for k, v in latest.items() if k in before} == before
        assert {i for _, i in set(latest) - set(before)} == added
        titles = sorted(
            e.title or "" for e in client.get_entries(feed=base + "all/atom.xml") if e.id in added
        )
        assert titles == sorted(now_stored[i].release.title for i in added)
        assert client.get_entry_counts().total == 38
    finally:
        client.close()
