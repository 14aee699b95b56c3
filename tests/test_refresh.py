"""Refreshes over time: one entry per release, stable ids, incremental runs, hide, lock."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
from pathlib import Path

import feedparser
import pytest

import feeds.profile
from feeds.cli import main
from feeds.config import Config, load_config
from feeds.errors import ConfigError
from feeds.lock import exclusive
from feeds.model import Entry
from feeds.profile import Profile
from feeds.refresh import RefreshReport, refresh
from feeds.store.memory import SqliteMemory
from tests.conftest import BASE_CONFIG
from tests.support.state import stored_entries

REPO = Path(__file__).resolve().parent.parent
SAMPLES = sorted((REPO / "samples" / "dumps").glob("*.txt"))
DATA = Path(__file__).resolve().parent / "data" / "refresh"
NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)

SHARED_TEASER = "On May 16, 2024, the CSTO Secretariat hosted a round table"
FEEDS = ("all", "news", "joint-staff")
FEED_NAMES = ("atom.xml", "rss.xml", "feed.json", "index.html")


def new_project(root: Path, *, feed_size: int = 50, lock_timeout: float = 5) -> Path:
    (root / "dumps").mkdir(parents=True)
    config = root / "sources.yaml"
    config.write_text(
        BASE_CONFIG.format(feed_size=feed_size, lock_timeout=lock_timeout), encoding="utf-8"
    )
    return config


def add(config: Path, *files: Path, name: str | None = None) -> None:
    for file in files:
        shutil.copy2(file, config.parent / "dumps" / (name or file.name))


def run_refresh(config: Path, now: dt.datetime = NOW) -> RefreshReport:
    report = refresh(load_config(config), now=lambda: now)
    assert report.problems == []
    return report


def stored(config: Path, *, include_hidden: bool = False) -> list[Entry]:
    return stored_entries(config, include_hidden=include_hidden)


def output_files(config: Path) -> dict[str, tuple[bytes, int]]:
    output = config.parent / "output"
    return {
        p.relative_to(output).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(output.rglob("*"))
        if p.is_file()
    }


def feed(config: Path, name: str = "all") -> feedparser.FeedParserDict:
    parsed = feedparser.parse((config.parent / "output" / name / "atom.xml").read_bytes())
    assert parsed.bozo == 0
    return parsed


def by_id(config: Path) -> dict[str, tuple[str, str, str, str, str]]:
    """What a reader sees of each entry of every feed, except ``updated``."""
    seen: dict[str, tuple[str, str, str, str, str]] = {}
    for name in FEEDS:
        for e in feed(config, name).entries:
            seen[e.id] = (e.title, e.published, e.link, e.summary, e.content[0].value)
    return seen


def cli(config: Path, *args: str) -> int:
    return main([args[0], "-c", str(config), *args[1:]])


# --- one entry per release -------------------------------------------------------------


def test_samples_give_one_entry_per_release(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = new_project(tmp_path)
    add(config, *SAMPLES)
    report = run_refresh(config)
    # 5 articles and 17 teasers read; the three teasers of 001 are those of 000.
    assert [(s.new, s.seen) for s in report.sources] == [(19, 22)]
    entries = stored(config)
    assert len(entries) == 19
    assert len({e.id for e in entries}) == 19
    assert sum(e.release.kind.value == "full" for e in entries) == 5
    assert len({e.page_path for e in entries}) == 19
    assert len(feed(config).entries) == 19

    shared = [e for e in entries if e.release.title.startswith(SHARED_TEASER)]
    assert len(shared) == 1
    capsys.readouterr()
    assert cli(config, "show", shared[0].id) == 0
    shown = capsys.readouterr().out
    sightings = shown.split("sightings:\n", 1)[1].splitlines()
    assert len(sightings) == 2
    assert "000_cf36241004f3aa92.txt" in sightings[0]
    assert "001_edd0b71546d18bb6.txt" in sightings[1]
    assert all("\tbrief\t" in line for line in sightings)
    assert "date:       2024-05-16 estimated from a date phrase opening its text [lead]" in shown


# --- order and repetition do not matter --------------------------------------------------


def test_repeated_reordered_and_renamed_input_changes_nothing(tmp_path: Path) -> None:
    # Reference: everything at once.
    once = new_project(tmp_path / "once")
    add(once, *SAMPLES)
    run_refresh(once)
    reference = by_id(once)
    assert len(reference) == 19
    entries = {e.id: e for e in stored(once)}

    # The same files again, all at once: not a byte and not an mtime changes.
    before = output_files(once)
    report = run_refresh(once, NOW + dt.timedelta(hours=1))
    assert report.publish.written == [] and report.sources[0].seen == 0
    assert output_files(once) == before

    # One file renamed (a re-crawl under another name): read, matched, nothing published.
    renamed = once.parent / "dumps" / SAMPLES[2].name
    renamed.rename(renamed.with_name("crawl-2024-again.txt"))
    report = run_refresh(once, NOW + dt.timedelta(hours=2))
    assert report.sources[0].seen == 6 and report.sources[0].new == 0
    assert report.sources[0].changed == 0
    assert report.publish.written == []
    assert output_files(once) == before

    # One file per refresh, in reverse order, then forward order, on fresh projects.
    for name, order in (("reverse", SAMPLES[::-1]), ("forward", SAMPLES)):
        config = new_project(tmp_path / name)
        for file in order:
            add(config, file)
            run_refresh(config)
        # Ids, titles, published dates, links and text do not depend on arrival order
        # (undated releases are dated by first sighting: the same clock here).
        assert by_id(config) == reference, name
        again = {e.id: e for e in stored(config)}
        assert {k: (e.release, e.published, e.page_path) for k, e in again.items()} == {
            k: (e.release, e.published, e.page_path) for k, e in entries.items()
        }
        # Only `updated` legitimately follows arrival order: distinct, never past NOW.
        stamps = [e.updated for e in again.values()]
        assert len(set(stamps)) == 19 and max(stamps) <= NOW


def test_same_input_twice_gives_identical_bytes(tmp_path: Path) -> None:
    first, second = new_project(tmp_path / "a"), new_project(tmp_path / "b")
    for config in (first, second):
        add(config, *SAMPLES)
        run_refresh(config)
    a = {k: v[0] for k, v in output_files(first).items()}
    b = {k: v[0] for k, v in output_files(second).items()}
    assert len(a) == 34
    assert a == b


# --- teasers becoming articles -----------------------------------------------------------

BETA_TITLE = "Experts prepared the joint training of crisis response units"
BETA_TEASER = (
    "On 3 March 2025, the CSTO Secretariat held a working meeting with experts of the member "
    "states on preparations for the joint training of crisis response units planned for the "
    "autumn"
)
ALPHA_TITLE = "The CSTO Secretary General received a delegation of the Parliamentary Assembly"
BELARUS_TEASER = (
    "On 3 March 2025, the CSTO Secretariat held a working meeting with the delegation of the "
    "Republic of Belarus on the results of its chairmanship in the Organization"
)
MINSK_TITLE = "The Council of Ministers of Defence will meet in Minsk"


@pytest.mark.parametrize("teaser_first", [True, False])
def test_teaser_and_article_are_one_entry(tmp_path: Path, teaser_first: bool) -> None:
    config = new_project(tmp_path)
    # alpha.txt shows beta's lead in its sidebar; beta.txt is that article.
    first, second = (DATA / "alpha.txt", DATA / "beta.txt")
    if not teaser_first:
        first, second = second, first
    add(config, first)
    run_refresh(config)
    early = {e.release.title: e for e in stored(config)}
    if teaser_first:
        assert sorted(early) == [BETA_TEASER, ALPHA_TITLE]
        teaser = early[BETA_TEASER]
        assert teaser.release.kind.value == "brief"
        assert teaser.published.isoformat() == "2025-03-03T12:00:00+03:00"
    later = NOW + dt.timedelta(days=1)
    add(config, second)
    report = run_refresh(config, later)
    entries = {e.release.title: e for e in stored(config)}
    assert len(entries) == 2
    beta = entries[BETA_TITLE]
    assert beta.release.kind.value == "full"
    assert beta.release.paragraphs[1] == (
        "The experts agreed on the schedule of the planning conferences and on the list of "
        "observers."
    )
    assert beta.published.isoformat() == "2025-03-03T12:00:00+03:00"
    if teaser_first:
        assert beta.id == early[BETA_TEASER].id
        assert beta.first_seen == NOW
        assert beta.updated == later
        # beta.txt only enriched the teaser's entry.
        assert (report.sources[0].new, report.sources[0].changed) == (0, 1)
    else:
        assert beta.id == early[BETA_TITLE].id
        assert beta.updated == NOW
        # alpha.txt brought its own article; its teaser of beta changed nothing.
        assert (report.sources[0].new, report.sources[0].changed) == (1, 0)
    titles = [e.title for e in feed(config).entries]
    assert sorted(titles) == [BETA_TITLE, ALPHA_TITLE]


def test_edited_teaser_matches_and_a_shared_phrase_does_not(tmp_path: Path) -> None:
    config = new_project(tmp_path)
    add(config, DATA / "beta.txt")
    run_refresh(config)
    beta_id = stored(config)[0].id
    # gamma.txt's sidebar holds an edited, shortened copy of beta's lead, and a different
    # release opening with the same words.
    add(config, DATA / "gamma.txt")
    report = run_refresh(config, NOW + dt.timedelta(days=1))
    assert (report.sources[0].new, report.sources[0].changed, report.sources[0].seen) == (2, 0, 3)
    titles = {e.release.title: e.id for e in stored(config)}
    assert sorted(titles) == [BETA_TITLE, BELARUS_TEASER, MINSK_TITLE]
    assert titles[BETA_TITLE] == beta_id
    assert len(set(titles.values())) == 3
    (beta,) = [e for e in stored(config) if e.id == beta_id]
    assert beta.release.kind.value == "full" and beta.updated == NOW


# --- edits and timestamps --------------------------------------------------------------


def test_edited_article_keeps_its_id_and_moves_updated(tmp_path: Path) -> None:
    config = new_project(tmp_path)
    add(config, DATA / "beta.txt")
    run_refresh(config)
    (entry,) = stored(config)
    assert entry.updated == NOW

    # The same copy, touched: read again (mtime changed), nothing moves.
    path = config.parent / "dumps" / "beta.txt"
    os.utime(path, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    before = output_files(config)
    report = run_refresh(config, NOW + dt.timedelta(hours=1))
    assert report.publish.written == []
    assert stored(config) == [entry]
    assert output_files(config) == before

    # The same file with an edited body.
    later = NOW + dt.timedelta(days=2)
    add(config, DATA / "beta_edited.txt", name="beta.txt")
    report = run_refresh(config, later)
    assert (report.sources[0].new, report.sources[0].changed) == (0, 1)
    (edited,) = stored(config)
    assert edited.id == entry.id
    assert edited.updated == later
    assert edited.published == entry.published
    assert edited.release.paragraphs[1].endswith("and on the venue of the final stage.")
    atom = feed(config)
    assert atom.entries[0].updated == "2026-03-03T12:00:00+00:00"
    assert "venue of the final stage" in atom.entries[0].content[0].value
    assert "all/atom.xml" in report.publish.written


def test_no_two_entries_share_updated(tmp_path: Path) -> None:
    config = new_project(tmp_path)
    add(config, *SAMPLES)
    run_refresh(config)
    for name in FEEDS:
        stamps = [e.updated for e in feed(config, name).entries]
        assert len(stamps) == len(set(stamps)), name
    # Entries stored in one run step back from its time by a second each.
    assert sorted(e.updated for e in stored(config)) == [
        NOW - dt.timedelta(seconds=n) for n in range(18, -1, -1)
    ]


# --- incremental runs ------------------------------------------------------------------


def test_unchanged_refresh_touches_no_file(tmp_path: Path) -> None:
    config = new_project(tmp_path, feed_size=3)
    add(config, *SAMPLES)
    run_refresh(config)
    before = output_files(config)
    assert "status.json" in before
    assert "all/archive/1.xml" in before and "news/archive/1.xml" in before
    assert cli(config, "refresh") == 0
    assert output_files(config) == before
    # Nothing was even rendered: the work follows the changes.
    again = run_refresh(config)
    assert (again.publish.full, again.publish.rendered, again.publish.written) == (False, [], [])


def test_an_unchanged_dump_folder_is_not_compared_file_by_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = new_project(tmp_path)
    add(config, *SAMPLES)
    run_refresh(config)
    compared: list[str] = []
    file_dates = SqliteMemory.file_dates

    def counted(
        self: SqliteMemory, source: str, start: str | None = None, end: str | None = None
    ) -> dict[str, tuple[int, int]]:
        compared.append(source)
        return file_dates(self, source, start, end)

    monkeypatch.setattr(SqliteMemory, "file_dates", counted)
    # Every file as stored: the digests of its ranges say so, and no stored size or mtime
    # is read.
    quiet = run_refresh(config)
    assert (compared, quiet.sources[0].seen, quiet.sources[0].requests) == ([], 0, 0)
    # One file touched: its range is compared, the file read again, nothing moves.
    touched = config.parent / "dumps" / SAMPLES[1].name
    os.utime(touched, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    again = run_refresh(config)
    assert compared == ["dumps"]
    assert (again.sources[0].new, again.sources[0].changed) == (0, 0)
    run_refresh(config)
    assert compared == ["dumps"]


def test_a_dump_that_failed_is_read_again_on_the_next_run(tmp_path: Path) -> None:
    config = new_project(tmp_path)
    add(config, *SAMPLES)
    (config.parent / "dumps" / "broken.txt").write_bytes(bytes(range(256)) * 8)
    for _ in range(2):
        report = refresh(load_config(config), now=lambda: NOW)
        (problem,) = report.sources[0].problems
        assert problem.startswith(f"{config.parent}/dumps/broken.txt: binary file, not text")


def test_one_new_dump_renders_only_its_feeds_and_page(tmp_path: Path) -> None:
    config = new_project(tmp_path, feed_size=3)
    add(config, *SAMPLES)
    run_refresh(config)
    add(config, DATA / "beta.txt")
    report = run_refresh(config, NOW + dt.timedelta(days=1))
    (new,) = [e for e in stored(config) if e.first_seen == NOW + dt.timedelta(days=1)]
    assert new.section == "news" and new.extra_sections == ()
    # Its feeds' heads, the archive page it lands on (it is older than every head), its
    # own page and the index; the Joint Staff feed and complete archive pages are not
    # rendered at all.
    assert sorted(report.publish.rendered) == sorted(
        [
            *(f"{s}/{n}" for s in ("all", "news") for n in FEED_NAMES),
            "all/archive/6.xml",
            "all/archive/6.html",
            "news/archive/5.xml",
            "news/archive/5.html",
            new.page_path,
            "index.html",
        ]
    )


def test_deleted_dump_stays_published(tmp_path: Path) -> None:
    config = new_project(tmp_path)
    add(config, *SAMPLES)
    run_refresh(config)
    before = output_files(config)
    (config.parent / "dumps" / SAMPLES[4].name).unlink()
    report = run_refresh(config, NOW + dt.timedelta(hours=1))
    # Only the health report changes: the source now has four files.
    assert report.publish.written == ["status.json"] and report.publish.removed == []
    after = output_files(config)
    assert {k: v for k, v in after.items() if k != "status.json"} == {
        k: v for k, v in before.items() if k != "status.json"
    }
    assert b'"items": 4,' in after["status.json"][0]
    assert len(stored(config)) == 19
    titles = [e.title for e in feed(config).entries]
    assert any(t.startswith("At the Permanent Council of the CSTO") for t in titles)
    # The state forgets the file, not its release: four files are remembered.
    with sqlite3.connect(config.parent / "state" / "feeds.sqlite") as db:
        remembered = [r[0] for r in db.execute("SELECT path FROM files ORDER BY path")]
    assert remembered == [f"dumps/{p.name}" for p in SAMPLES[:4]]


def test_a_touched_dump_is_read_but_not_parsed_again(tmp_path: Path) -> None:
    config = new_project(tmp_path)
    add(config, *SAMPLES)
    run_refresh(config)
    touched = config.parent / "dumps" / SAMPLES[0].name
    os.utime(touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns + 10**9))
    report = run_refresh(config, NOW + dt.timedelta(hours=1))
    (dumps,) = report.sources
    assert (dumps.new, dumps.changed, dumps.seen) == (0, 0, 0)
    assert report.publish.rendered == []
    # Its new mtime is remembered: the next run does not even read it.
    with sqlite3.connect(config.parent / "state" / "feeds.sqlite") as db:
        (mtime,) = db.execute(
            "SELECT mtime_ns FROM files WHERE path=?", (f"dumps/{SAMPLES[0].name}",)
        ).fetchone()
    assert mtime == touched.stat().st_mtime_ns


# --- hide and unhide -------------------------------------------------------------------


def test_hide_survives_refreshes_and_unhide_restores(tmp_path: Path) -> None:
    config = new_project(tmp_path)
    add(config, DATA / "alpha.txt")
    run_refresh(config)
    (target,) = [e for e in stored(config) if e.release.title == BETA_TEASER]
    page = config.parent / "output" / target.page_path
    assert page.is_file()

    assert cli(config, "hide", target.id) == 0
    assert not page.exists()
    for name in ("all", "news"):
        assert target.id not in {e.id for e in feed(config, name).entries}
        for document in ("rss.xml", "feed.json"):
            body = (config.parent / "output" / name / document).read_text(encoding="utf-8")
            assert target.id not in body, document
        assert target.release.title not in (
            config.parent / "output" / name / "index.html"
        ).read_text(encoding="utf-8")
    assert len(feed(config).entries) == 1

    # The article behind the teaser arrives: the entry is enriched, and stays hidden.
    add(config, DATA / "beta.txt")
    run_refresh(config, NOW + dt.timedelta(days=1))
    assert cli(config, "refresh") == 0
    assert not page.exists()
    assert [e.release.title for e in stored(config)] == [ALPHA_TITLE]
    assert {e.id for e in feed(config).entries} == {stored(config)[0].id}
    hidden = [e for e in stored(config, include_hidden=True) if e.hidden]
    assert [(e.id, e.release.title) for e in hidden] == [(target.id, BETA_TITLE)]

    assert cli(config, "unhide", target.id) == 0
    atom = {e.id: e.title for e in feed(config).entries}
    assert atom[target.id] == BETA_TITLE
    assert len(atom) == 2
    assert (config.parent / "output" / hidden[0].page_path).is_file()
    assert cli(config, "hide", "tag:feeds,2026-03-01:release/0000000000000000") == 1


# --- overlapping runs ------------------------------------------------------------------


def test_refresh_waits_for_the_lock_then_gives_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = new_project(tmp_path, lock_timeout=0.5)
    add(config, *SAMPLES)
    assert cli(config, "refresh") == 0
    before = output_files(config)
    add(config, DATA / "beta.txt")
    lock = config.parent / "state" / "feeds.sqlite.lock"
    capsys.readouterr()
    with exclusive(lock, timeout=0):
        started = dt.datetime.now(dt.UTC)
        assert cli(config, "refresh") == 3
        waited = (dt.datetime.now(dt.UTC) - started).total_seconds()
        for command in ("hide", "unhide"):
            assert cli(config, command, stored(config)[0].id) == 3
    assert 0.5 <= waited < 3
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"{lock}: another refresh is running (waited 0.5 s for the lock)"
    assert len(err) == 3
    assert output_files(config) == before
    assert len(stored(config)) == 19
    # Once the lock is free the waiting work goes through.
    assert cli(config, "refresh") == 0
    assert len(stored(config)) == 20


def test_signature_only_edit_does_not_move_updated(tmp_path: Path) -> None:
    config = new_project(tmp_path)
    add(config, DATA / "beta.txt")
    run_refresh(config)
    (entry,) = stored(config)
    before = output_files(config)
    # The re-crawled copy gained a signature line: kept apart, never published.
    add(config, DATA / "beta_signed.txt", name="beta.txt")
    report = run_refresh(config, NOW + dt.timedelta(days=1))
    assert (report.sources[0].new, report.sources[0].changed) == (0, 0)
    (again,) = stored(config)
    assert again.release.contacts == ("The CSTO Press Secretary Vladimir Zaynetdinov",)
    assert again.updated == entry.updated == NOW
    assert report.publish.written == []
    assert output_files(config) == before


def test_a_missing_file_outside_the_output_is_not_blamed_on_the_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A data file of the package that an install left out is a bug to report, not a
    # folder the operator must make writable.
    config = new_project(tmp_path)
    add(config, SAMPLES[0])
    missing = tmp_path / "site-packages" / "feeds" / "publish" / "locales" / "en.yaml"

    def publish_without_its_locale(*args: object, **kwargs: object) -> None:
        raise FileNotFoundError(2, "No such file or directory", str(missing))

    monkeypatch.setattr("feeds.refresh.publish", publish_without_its_locale)
    with pytest.raises(FileNotFoundError) as raised:
        refresh(load_config(config), now=lambda: NOW)
    assert raised.value.filename == str(missing)
    # Under the output folder, the same error is the output's: one line, what to do.
    inside = config.parent / "output" / "news"

    def publish_without_a_folder(*args: object, **kwargs: object) -> None:
        raise FileNotFoundError(2, "No such file or directory", str(inside))

    monkeypatch.setattr("feeds.refresh.publish", publish_without_a_folder)
    report = refresh(load_config(config), now=lambda: NOW)
    assert [str(p) for p in report.problems] == [
        f"{config.parent / 'output'}: cannot write: No such file or directory, then run "
        "again (files already published are unchanged)"
    ]


def test_a_run_with_nothing_to_parse_never_loads_the_site_profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = new_project(tmp_path)
    add(config, *SAMPLES)
    run_refresh(config)
    loads: list[str] = []
    real = feeds.profile.profile_for

    def counted(loaded: Config) -> Profile:
        loads.append(loaded.where)
        return real(loaded)

    monkeypatch.setattr(feeds.profile, "profile_for", counted)
    run_refresh(config, NOW + dt.timedelta(hours=1))
    assert loads == []
    add(config, DATA / "beta.txt")
    run_refresh(config, NOW + dt.timedelta(hours=2))
    assert len(loads) == 1


def test_profile_overrides_are_checked_even_when_nothing_is_new(tmp_path: Path) -> None:
    config = new_project(tmp_path)
    add(config, SAMPLES[0])
    run_refresh(config)
    text = config.read_text(encoding="utf-8")
    config.write_text(text + "profile:\n  dump:\n    no_such_rule: 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="no_such_rule"):
        refresh(load_config(config), now=lambda: NOW + dt.timedelta(hours=1))
