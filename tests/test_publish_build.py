"""Building the output folder: which files, archive pages, and writing only what changed."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import feedparser
import pytest

from feeds.model import DateOrigin, Entry, Release, ReleaseKind, Section, Site
from feeds.publish.build import PublishInput, publish, render_output
from feeds.publish.writer import remove_stale_temporaries, write_if_changed
from tests.feedcheck import check_document

PUBLIC = "https://feeds.example.org/csto/"
SITE = Site(title="CSTO releases", url="https://en.odkb-csto.org/", public_url=PUBLIC)
NEWS = Section(id="news", title="CSTO news", default=True)
SEEN = dt.datetime(2025, 1, 15, 9, 30, tzinfo=dt.UTC)


def make_entries(count: int) -> list[Entry]:
    """``count`` entries dated one a day from 1 March 2024, newest first."""
    entries = []
    for number in range(count):
        day = dt.date(2024, 3, 1) + dt.timedelta(days=number)
        release = Release(
            kind=ReleaseKind.FULL,
            title=f"Release number {number}",
            date=day,
            date_origin=DateOrigin.HEADER,
            lead=f"Lead of release {number}.",
            language="en",
        )
        published = dt.datetime(2024, 3, 1, tzinfo=dt.timezone(dt.timedelta(hours=3)))
        entries.append(
            Entry(
                id=f"tag:feeds,2025-01-15:release/r{number}",
                release=release,
                section="news",
                published=published + dt.timedelta(days=number),
                updated=SEEN + dt.timedelta(seconds=number),
                first_seen=SEEN,
                page_path=f"releases/2024/03/r{number}.html",
            )
        )
    return entries[::-1]


def publish_input(count: int, archived: int = 0, feed_size: int = 2) -> PublishInput:
    entries = make_entries(count)
    oldest_first = entries[::-1]
    archives = {
        feed: {e.id: seq for seq, e in enumerate(oldest_first[:archived], 1)}
        for feed in ("all", "news")
    }
    return PublishInput(
        site=SITE,
        sections=[NEWS],
        entries=entries,
        archives=archives,
        feed_size=feed_size,
        status={"status": "ok", "sources": {}},
    )


def test_render_output_names_every_file_and_is_deterministic() -> None:
    data = publish_input(5, archived=3)
    files = render_output(data)
    feeds = [f"{s}/{n}" for s in ("all", "news") for n in ("atom.xml", "rss.xml", "feed.json")]
    archives = [
        f"{s}/archive/{n}.{k}" for s in ("all", "news") for n in (1, 2) for k in ("xml", "html")
    ]
    pages = [f"releases/2024/03/r{n}.html" for n in range(5)]
    sections = ["all/index.html", "news/index.html"]
    assert sorted(files) == sorted(
        [*feeds, *archives, *pages, *sections, "index.html", "feeds.opml", "status.json"]
    )
    assert render_output(publish_input(5, archived=3)) == files
    assert files["status.json"] == b'{\n  "sources": {},\n  "status": "ok"\n}\n'


def test_archive_pages_hold_fixed_sequence_ranges() -> None:
    files = render_output(publish_input(5, archived=3))
    head = feedparser.parse(files["news/atom.xml"])
    first = feedparser.parse(files["news/archive/1.xml"])
    second = feedparser.parse(files["news/archive/2.xml"])
    assert [e.title for e in head.entries] == ["Release number 4", "Release number 3"]
    assert [e.title for e in first.entries] == ["Release number 1", "Release number 0"]
    assert [e.title for e in second.entries] == ["Release number 2"]
    rels = {link.rel: link.href for link in head.feed.links}
    assert rels["prev-archive"] == f"{PUBLIC}news/archive/2.xml"
    assert {link.rel: link.href for link in second.feed.links} == {
        "self": f"{PUBLIC}news/archive/2.xml",
        "alternate": f"{PUBLIC}news/index.html",
        "current": f"{PUBLIC}news/atom.xml",
        "prev-archive": f"{PUBLIC}news/archive/1.xml",
    }
    assert "prev-archive" not in {link.rel for link in first.feed.links}
    for path, body in files.items():
        if path.endswith(".xml") and path != "feeds.opml":
            assert check_document(body, PUBLIC + path) == [], path


def test_publish_writes_only_what_changed_and_removes_stale_archives(tmp_path: Path) -> None:
    output = tmp_path / "output"
    first = publish(publish_input(5, archived=3), output)
    assert first.failures == []
    assert len(first.written) == 24
    stamp = (output / "news" / "atom.xml").stat().st_mtime_ns

    again = publish(publish_input(5, archived=3), output)
    assert (again.written, again.removed, again.failures) == ([], [], [])
    assert (output / "news" / "atom.xml").stat().st_mtime_ns == stamp

    # With a bigger feed nothing is archived any more: the archive files go away.
    leftover = output / "news" / ".atom.xml.abc123.tmp"
    leftover.write_bytes(b"half a document")
    bigger = publish(publish_input(5, archived=0, feed_size=5), output)
    assert bigger.removed == [
        f"{s}/archive/{n}.{k}" for k in ("xml", "html") for s in ("all", "news") for n in (1, 2)
    ]
    assert sorted(bigger.written) == [
        "all/atom.xml",
        "all/feed.json",
        "all/index.html",
        "all/rss.xml",
        "index.html",
        "news/atom.xml",
        "news/feed.json",
        "news/index.html",
        "news/rss.xml",
    ]
    assert not leftover.exists()
    assert len(feedparser.parse((output / "news" / "atom.xml").read_bytes()).entries) == 5


def test_write_if_changed_is_atomic_and_lazy(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "folder" / "file.xml"
    assert write_if_changed(target, b"<a/>\n") is True
    assert target.read_bytes() == b"<a/>\n"
    assert target.stat().st_mode & 0o777 == 0o644
    os.utime(target, ns=(1_000_000_000, 1_000_000_000))
    assert write_if_changed(target, b"<a/>\n") is False
    assert target.stat().st_mtime_ns == 1_000_000_000
    assert write_if_changed(target, b"<b/>\n") is True
    assert target.read_bytes() == b"<b/>\n"
    assert [p.name for p in target.parent.iterdir()] == ["file.xml"]


def test_remove_stale_temporaries_leaves_real_files(tmp_path: Path) -> None:
    (tmp_path / "all").mkdir()
    (tmp_path / "all" / ".rss.xml.x1.tmp").write_bytes(b"")
    (tmp_path / "all" / "rss.xml").write_bytes(b"kept")
    remove_stale_temporaries(tmp_path)
    assert [p.name for p in (tmp_path / "all").iterdir()] == ["rss.xml"]
    remove_stale_temporaries(tmp_path / "missing")


def test_a_renderer_that_raises_costs_only_its_own_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from feeds.publish import build

    output = tmp_path / "output"
    first = publish(publish_input(5, archived=3), output)
    assert first.failures == []
    archive = (output / "news" / "archive" / "1.xml").read_bytes()
    broken_page = "releases/2024/03/r2.html"
    old_page = (output / broken_page).read_bytes()
    real = build.render_release_page  # type: ignore[attr-defined]

    def failing(entry: Entry, *, site: Site, section: Section) -> bytes:
        if entry.page_path == broken_page:
            raise ValueError("cannot render this one")
        return real(entry, site=site, section=section)

    monkeypatch.setattr(build, "render_release_page", failing)
    data = publish_input(6, archived=3)
    report = publish(data, output)
    assert [str(f) for f in report.failures] == [
        f"{broken_page}: not published: ValueError: cannot render this one"
    ]
    # The failed page keeps its previous version; nothing is treated as stale.
    assert (output / broken_page).read_bytes() == old_page
    assert report.removed == []
    assert (output / "news" / "archive" / "1.xml").read_bytes() == archive
    # Everything else was published, the new release included.
    assert (output / "releases/2024/03/r5.html").is_file()
    assert "Release number 5" in (output / "all" / "atom.xml").read_text("utf-8")
