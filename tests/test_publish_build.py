"""Publishing from a real state: which files, archive pages, and rendering only what changed."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest

from feeds import pool
from feeds.ingest.keys import KEYS_VERSION, match_keys
from feeds.model import DateOrigin, Entry, Release, ReleaseKind, Section, Site
from feeds.publish import opml, render
from feeds.publish.build import PublishReport, PublishSettings, publish
from feeds.publish.validate import check_document
from feeds.publish.writer import OutputWriter
from feeds.store.interface import EntryRow
from tests.support.ingesting import SITE, State

PUBLIC = SITE.public_url
NEWS = Section(id="news", title="CSTO news", default=True)
STAFF = Section(id="joint-staff", title="Joint Staff", match=(r"\bJoint Staff\b",))
SEEN = dt.datetime(2025, 1, 15, 9, 30, tzinfo=dt.UTC)
STATUS = {"status": "ok", "sources": {}}
FEED_FILES = ("atom.xml", "rss.xml", "feed.json", "index.html")


def release(number: int, *, staff: bool = False) -> Release:
    """Release ``number``, dated ``number`` days after 1 March 2024."""
    day = dt.date(2024, 3, 1) + dt.timedelta(days=number)
    where = "the Joint Staff" if staff else "the Secretariat"
    return Release(
        kind=ReleaseKind.FULL,
        title=f"Release number {number} at {where}",
        date=day,
        date_origin=DateOrigin.HEADER,
        lead=f"Lead of release {number}: " + " ".join(f"word{number}x{i}" for i in range(12)),
        language="en",
    )


@pytest.fixture
def state(tmp_path: Path) -> Iterator[State]:
    opened = State(tmp_path / "state" / "feeds.sqlite")
    try:
        yield opened
    finally:
        opened.close()


def add(state: State, *numbers: int, staff: bool = False) -> list[str]:
    return [state.ingest(release(n, staff=staff), f"dumps/{n}.txt", SEEN).entry_id for n in numbers]


def settings(tmp_path: Path, feed_size: int = 2) -> PublishSettings:
    return PublishSettings(
        site=SITE, sections=(NEWS, STAFF), feed_size=feed_size, output=tmp_path / "output"
    )


def run(state: State, tmp_path: Path, *, feed_size: int = 2, full: bool = False) -> PublishReport:
    report = publish(state.store, settings(tmp_path, feed_size), STATUS, full=full)
    assert report.failures == []
    return report


def titles(output: Path, path: str) -> list[str]:
    return [e.title for e in feedparser.parse((output / path).read_bytes()).entries]


def feed_files(*sections: str) -> list[str]:
    return [f"{s}/{name}" for s in sections for name in FEED_FILES]


def archive_files(section: str, *numbers: int) -> list[str]:
    return [f"{section}/archive/{n}.{kind}" for n in numbers for kind in ("xml", "html")]


def page_paths(state: State) -> list[str]:
    return sorted(e.page_path for e in state.entries())


def test_first_publish_writes_every_file(state: State, tmp_path: Path) -> None:
    add(state, 0, 1, 2, 3, 4)
    report = run(state, tmp_path)
    assert report.full
    expected = [
        *feed_files("all", "news", "joint-staff"),
        *archive_files("all", 1, 2),
        *archive_files("news", 1, 2),
        *page_paths(state),
        "index.html",
        "feeds.opml",
    ]
    assert sorted(report.rendered) == sorted(expected)
    assert sorted(report.written) == sorted([*expected, "status.json"])
    output = tmp_path / "output"
    assert (output / "status.json").read_bytes() == b'{\n  "sources": {},\n  "status": "ok"\n}\n'
    for path in report.rendered:
        if path.endswith((".xml", ".json")):
            assert check_document((output / path).read_bytes(), PUBLIC + path) == [], path


def test_archive_pages_hold_fixed_sequence_ranges(state: State, tmp_path: Path) -> None:
    add(state, 0, 1, 2, 3, 4)
    run(state, tmp_path)
    output = tmp_path / "output"
    assert titles(output, "news/atom.xml") == [
        "Release number 4 at the Secretariat",
        "Release number 3 at the Secretariat",
    ]
    assert titles(output, "news/archive/1.xml") == [
        "Release number 1 at the Secretariat",
        "Release number 0 at the Secretariat",
    ]
    assert titles(output, "news/archive/2.xml") == ["Release number 2 at the Secretariat"]
    head = feedparser.parse((output / "news/atom.xml").read_bytes())
    assert {link.rel: link.href for link in head.feed.links}["prev-archive"] == (
        f"{PUBLIC}news/archive/2.xml"
    )
    second = feedparser.parse((output / "news/archive/2.xml").read_bytes())
    assert {link.rel: link.href for link in second.feed.links} == {
        "self": f"{PUBLIC}news/archive/2.xml",
        "alternate": f"{PUBLIC}news/index.html",
        "current": f"{PUBLIC}news/atom.xml",
        "prev-archive": f"{PUBLIC}news/archive/1.xml",
    }
    first = feedparser.parse((output / "news/archive/1.xml").read_bytes())
    assert "prev-archive" not in {link.rel for link in first.feed.links}


def test_nothing_new_renders_nothing(state: State, tmp_path: Path) -> None:
    add(state, 0, 1, 2, 3, 4)
    run(state, tmp_path)
    stamps = {p: p.stat().st_mtime_ns for p in (tmp_path / "output").rglob("*")}
    again = run(state, tmp_path)
    assert (again.full, again.rendered, again.written, again.removed) == (False, [], [], [])
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "output").rglob("*")} == stamps


def test_one_new_release_renders_only_its_feeds_and_pages(state: State, tmp_path: Path) -> None:
    add(state, 0, 1, 2, 3, 4)
    run(state, tmp_path)
    (new,) = add(state, 5)
    report = run(state, tmp_path)
    page = state.entry(new)
    assert page is not None
    # The head pushes release 3 out to archive page 2; page 1 is complete and untouched,
    # and the Joint Staff feed is not rendered at all.
    assert sorted(report.rendered) == sorted(
        [
            *feed_files("all", "news"),
            *archive_files("all", 2),
            *archive_files("news", 2),
            page.page_path,
            "index.html",
        ]
    )
    assert sorted(report.written) == sorted([*report.rendered])
    output = tmp_path / "output"
    assert titles(output, "news/archive/2.xml") == [
        "Release number 3 at the Secretariat",
        "Release number 2 at the Secretariat",
    ]
    assert titles(output, "all/atom.xml")[0] == "Release number 5 at the Secretariat"


def test_a_new_page_links_its_older_neighbour(state: State, tmp_path: Path) -> None:
    add(state, 0, 1, 2, 3, 4, 5)
    run(state, tmp_path)
    add(state, 6)
    report = run(state, tmp_path)
    # Page 2 is full (seq 3-4); seq 5 opens page 3, so page 2 gains its next-archive link.
    assert sorted(p for p in report.rendered if "/archive/" in p) == sorted(
        [*archive_files("all", 2, 3), *archive_files("news", 2, 3)]
    )
    second = feedparser.parse((tmp_path / "output/news/archive/2.xml").read_bytes())
    links = {link.rel: link.href for link in second.feed.links}
    assert links["next-archive"] == f"{PUBLIC}news/archive/3.xml"


def test_a_release_moving_section_leaves_its_old_feed(state: State, tmp_path: Path) -> None:
    add(state, 0, 1)
    (moved,) = add(state, 2)
    run(state, tmp_path)
    entry = state.entry(moved)
    assert entry is not None
    with state.transaction():
        state.store.releases.rewrite(_row_for(state, entry, section="joint-staff"))
    report = run(state, tmp_path)
    assert {p.split("/")[0] for p in report.rendered if "/" in p} >= {"news", "joint-staff"}
    output = tmp_path / "output"
    assert "Release number 2 at the Secretariat" not in titles(output, "news/atom.xml")
    assert titles(output, "joint-staff/atom.xml") == ["Release number 2 at the Secretariat"]


def test_hiding_removes_the_page_and_the_entry(state: State, tmp_path: Path) -> None:
    add(state, 0, 1, 2)
    run(state, tmp_path)
    hidden = state.entries()[0]
    with state.transaction():
        state.set_hidden(hidden.id, True)
    report = run(state, tmp_path)
    assert report.removed == [hidden.page_path]
    assert not (tmp_path / "output" / hidden.page_path).exists()
    assert hidden.release.title not in titles(tmp_path / "output", "all/atom.xml")
    with state.transaction():
        state.set_hidden(hidden.id, False)
    back = run(state, tmp_path)
    assert hidden.page_path in back.written


def test_foreign_files_are_never_removed(state: State, tmp_path: Path) -> None:
    output = tmp_path / "output"
    foreign = [
        output / "releases" / "2024" / "03" / "notes.html",
        output / "all" / "archive" / "99.xml",
        output / "all" / ".draft.abcdefgh.tmp",
        output / "README.txt",
    ]
    for path in foreign:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"not ours")
    add(state, 0, 1, 2, 3, 4)
    run(state, tmp_path)
    # Bigger pages: the three archived releases now fit on page 1, our page 2 goes, and
    # every foreign file stays, whatever its name.
    bigger = run(state, tmp_path, feed_size=5)
    assert bigger.full
    assert sorted(bigger.removed) == sorted([*archive_files("all", 2), *archive_files("news", 2)])
    assert [p.read_bytes() for p in foreign] == [b"not ours"] * 4


def test_temporaries_of_a_killed_run_go_only_where_we_write(tmp_path: Path) -> None:
    registry = _Registry()
    root = tmp_path / "output"
    (root / "all").mkdir(parents=True)
    (root / "elsewhere").mkdir()
    leftovers = [
        root / "all" / ".atom.xml.feeds-k3j_9xq2.tmp",
        root / "elsewhere" / ".x.feeds-abcdefgh.tmp",
    ]
    keep = root / "all" / ".notes.abcdefgh.tmp"
    for path in [*leftovers, keep]:
        path.write_bytes(b"half")
    writer = OutputWriter(root, registry)
    assert writer.write("all/atom.xml", b"<a/>\n") is True
    assert [p.exists() for p in [*leftovers, keep]] == [False, True, True]


def test_writer_is_atomic_lazy_and_owns_what_it_wrote(tmp_path: Path) -> None:
    registry = _Registry()
    writer = OutputWriter(tmp_path, registry)
    target = tmp_path / "deep" / "folder" / "file.xml"
    assert writer.write("deep/folder/file.xml", b"<a/>\n") is True
    assert target.read_bytes() == b"<a/>\n"
    assert target.stat().st_mode & 0o777 == 0o644
    os.utime(target, ns=(1_000_000_000, 1_000_000_000))
    assert writer.write("deep/folder/file.xml", b"<a/>\n") is False
    assert target.stat().st_mtime_ns == 1_000_000_000
    assert writer.write("deep/folder/file.xml", b"<b/>\n") is True
    assert target.read_bytes() == b"<b/>\n"
    assert [p.name for p in target.parent.iterdir()] == ["file.xml"]
    # A file the registry does not know is never removed.
    (tmp_path / "other.xml").write_bytes(b"x")
    assert writer.remove("other.xml") is False and (tmp_path / "other.xml").exists()
    assert writer.remove("deep/folder/file.xml") is True and not target.exists()
    writer.sync()


def test_a_file_changed_on_disk_is_written_again(state: State, tmp_path: Path) -> None:
    add(state, 0, 1)
    run(state, tmp_path)
    index = tmp_path / "output" / "all" / "atom.xml"
    good = index.read_bytes()
    index.write_bytes(good[:-10] + b"broken!!!\n")
    report = run(state, tmp_path, full=True)
    assert "all/atom.xml" in report.written and index.read_bytes() == good


def test_a_renderer_that_raises_costs_only_its_own_file(
    state: State, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add(state, 0, 1, 2, 3, 4)
    run(state, tmp_path)
    output = tmp_path / "output"
    archive = (output / "news" / "archive" / "1.xml").read_bytes()
    (new,) = add(state, 5)
    entry = state.entry(new)
    assert entry is not None
    real = render.render_release_page  # type: ignore[attr-defined]

    def failing(entry: Entry, *, site: Site, section: Section) -> bytes:
        if entry.id == new:
            raise ValueError("cannot render this one")
        return real(entry, site=site, section=section)

    monkeypatch.setattr(render, "render_release_page", failing)
    report = publish(state.store, settings(tmp_path), STATUS)
    assert [str(f) for f in report.failures] == [
        f"{entry.page_path}: not published: ValueError: cannot render this one"
    ]
    assert not (output / entry.page_path).exists() and report.removed == []
    assert (output / "news" / "archive" / "1.xml").read_bytes() == archive
    # Everything else was published, the new release included.
    assert titles(output, "all/atom.xml")[0] == "Release number 5 at the Secretariat"
    # The state did not record the run: once the page renders, the next run publishes it.
    monkeypatch.setattr(render, "render_release_page", real)
    again = run(state, tmp_path)
    assert entry.page_path in again.written


class _Registry:
    """An in-memory output registry for writer tests."""

    def __init__(self) -> None:
        self.files: dict[str, str] = {}
        self.values: dict[str, str] = {}

    def written(self) -> dict[str, str]:
        return dict(self.files)

    def digest(self, path: str) -> str | None:
        return self.files.get(path)

    def record(self, path: str, size: int, sha256: str) -> None:
        self.files[path] = sha256

    def forget(self, path: str) -> None:
        self.files.pop(path, None)

    def meta(self, key: str) -> str | None:
        return self.values.get(key)

    def set_meta(self, key: str, value: str) -> None:
        self.values[key] = value


def _row_for(state: State, entry: Entry, *, section: str) -> EntryRow:
    """The entry as stored, moved to another section."""
    stored = state.store.releases.load(entry.id)
    assert stored is not None
    return EntryRow(
        id=stored.id,
        release=stored.release,
        rank=stored.rank,
        content_hash=stored.content_hash,
        section=section,
        extra_sections=stored.extra_sections,
        published=stored.published,
        updated=stored.updated,
        first_seen=stored.first_seen,
        page_path=stored.page_path,
        keys=match_keys(stored.release),
        keys_version=KEYS_VERSION,
    )


def test_a_large_rebuild_renders_in_workers_the_same_bytes(
    state: State, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = add(state, *range(60)) + add(state, *range(60, 90), staff=True)
    pages = tmp_path / "pages"
    parallel = publish(state.store, settings(pages), STATUS, full=True)
    releases = [p for p in parallel.rendered if p.startswith("releases/")]
    archives = [p for p in parallel.rendered if "/archive/" in p]
    assert (len(releases), len(archives)) == (90, 2 * (44 + 29 + 14))
    assert pool._workers(len(releases) + len(archives) // 2, render._CHUNK, 0, leave=1) >= 1
    # The same state rendered in this process only, into another folder.
    monkeypatch.setattr(render, "_PARALLEL_FROM", 10**9)
    alone = tmp_path / "alone"
    serial = publish(state.store, settings(alone), STATUS, full=True)
    assert sorted(serial.rendered) == sorted(parallel.rendered)
    for path in parallel.rendered:
        assert (pages / "output" / path).read_bytes() == (alone / "output" / path).read_bytes()
    # A page that fails in a worker costs only itself.
    monkeypatch.setattr(render, "_PARALLEL_FROM", 64)
    broken = state.entry(ids[7])
    assert broken is not None
    real = render.render_release_page  # type: ignore[attr-defined]

    def failing(entry: Entry, *, site: Site, section: Section) -> bytes:
        if entry.id == broken.id:
            raise ValueError("cannot render this one")
        return real(entry, site=site, section=section)

    monkeypatch.setattr(render, "render_release_page", failing)
    again = publish(state.store, settings(tmp_path / "again"), STATUS, full=True)
    assert [str(f) for f in again.failures] == [
        f"{broken.page_path}: not published: ValueError: cannot render this one"
    ]
    assert sorted(again.rendered) == sorted(set(parallel.rendered) - {broken.page_path})


def test_a_failing_opml_list_costs_only_itself(
    state: State, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add(state, 0, 1, 2)

    def failing(*args: object, **kwargs: object) -> bytes:
        raise ValueError("no list today")

    monkeypatch.setattr(opml, "render_opml", failing)
    report = publish(state.store, settings(tmp_path), STATUS, full=True)
    assert [str(f) for f in report.failures] == [
        "feeds.opml: not published: ValueError: no list today"
    ]
    assert "feeds.opml" not in report.rendered and "index.html" in report.rendered
