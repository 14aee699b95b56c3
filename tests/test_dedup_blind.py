"""Deduplication over a crawl archive written apart from the matching code.

``tests/data/crawls_blind/`` holds four crawls of the site (25 dumps): each crawl repeats
its sidebar on every page, articles recur across crawls with other sidebars, and teasers
of one release differ between crawls the way real copies do.  ``expected.yaml`` lists the
distinct releases and what every dump shows.  Whatever order the dumps arrive in, the
state must hold exactly one entry per release, with ids that never change.
"""

from __future__ import annotations

import datetime as dt
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from reader import make_reader

from feeds.cli import main
from feeds.config import load_config
from feeds.model import Entry, ReleaseKind
from feeds.refresh import RefreshReport, refresh
from feeds.serve import ServeSettings, make_server
from feeds.text.keys import paragraph_key
from tests.support.dates import stated_date
from tests.support.identity import one_entry_each
from tests.support.state import stored_entries, stored_entry

DATA = Path(__file__).resolve().parent / "data" / "crawls_blind"
EXPECTED: dict[str, Any] = yaml.safe_load((DATA / "expected.yaml").read_text(encoding="utf-8"))
RELEASES: dict[str, dict[str, Any]] = EXPECTED["releases"]
DUMPS: dict[str, dict[str, Any]] = EXPECTED["dumps"]
CRAWLS = sorted(p.name for p in DATA.iterdir() if p.is_dir())
NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)

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
  - {{id: news, title: CSTO news, default: true, url: "https://en.odkb-csto.org/news/news_odkb/"}}
sources:
  - {{name: crawls, type: dump, paths: ["dumps/*/*.txt"]}}
"""


def new_project(root: Path, public_url: str = "https://feeds.example.org/csto/") -> Path:
    (root / "dumps").mkdir(parents=True)
    config = root / "sources.yaml"
    config.write_text(CONFIG.format(public_url=public_url), encoding="utf-8")
    return config


def add_crawl(config: Path, crawl: str) -> None:
    shutil.copytree(DATA / crawl, config.parent / "dumps" / crawl)


def add_mixed(config: Path) -> None:
    """Every dump in one folder: read in name order, the crawls interleave."""
    mixed = config.parent / "dumps" / "mixed"
    mixed.mkdir()
    for dump in DUMPS:
        shutil.copy2(DATA / dump, mixed / Path(dump).name)


#: File name -> the dump's key in expected.yaml (names are unique across crawls).
BY_NAME = {Path(dump).name: dump for dump in DUMPS}


def run(config: Path, now: dt.datetime = NOW) -> RefreshReport:
    report = refresh(load_config(config), now=lambda: now)
    assert report.problems == []
    return report


def stored(config: Path) -> list[Entry]:
    return stored_entries(config, include_hidden=True)


def sighted(config: Path, entry_id: str) -> set[tuple[str, str]]:
    entry = stored_entry(config, entry_id)
    assert entry is not None
    return {
        (BY_NAME.get(Path(s.locator).name, Path(s.locator).name), s.kind.value)
        for s in entry.sightings
    }


def output_files(config: Path) -> dict[str, tuple[bytes, int]]:
    output = config.parent / "output"
    return {
        p.relative_to(output).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(output.rglob("*"))
        if p.is_file()
    }


def release_of(entry: Entry) -> list[str]:
    """The expected releases an entry can be: by exact title for articles, by the opening
    words of the text for releases only seen as teasers."""
    release = entry.release
    found = []
    for key, spec in RELEASES.items():
        if spec["kind"] == "full":
            if not release.title_derived and release.title == spec["title"]:
                found.append(key)
        elif release.title_derived and paragraph_key(release.lead).startswith(
            paragraph_key(spec["opening"])
        ):
            found.append(key)
    return found


def identify(config: Path) -> dict[str, Entry]:
    """Expected release key -> its one entry; fails on missing, extra or merged releases."""
    entries = stored(config)
    found = one_entry_each(entries, release_of, RELEASES)
    assert len(entries) == len(RELEASES) == 28
    assert len({e.id for e in entries}) == len(entries)
    return found


def check_releases(found: dict[str, Entry]) -> None:
    for key, spec in RELEASES.items():
        release = found[key].release
        assert release.kind is ReleaseKind(spec["kind"]), key
        assert stated_date(release) == spec["date"], key
        if spec["kind"] == "full":
            assert release.title == spec["title"]
            assert release.paragraphs, key


def shown_by() -> dict[str, set[tuple[str, str]]]:
    """Release key -> the dumps that show it, with how (article page or teaser)."""
    shown: dict[str, set[tuple[str, str]]] = {key: set() for key in RELEASES}
    for dump, spec in DUMPS.items():
        shown[spec["article"]].add((dump, "full"))
        # A page whose sidebar shows its own lead shows the release both ways.
        for teaser in spec["teasers"]:
            shown[teaser].add((dump, "brief"))
    return shown


# --- the fixture itself ------------------------------------------------------------------


def test_the_archive_is_what_expected_yaml_says() -> None:
    files = sorted(p.relative_to(DATA).as_posix() for p in DATA.glob("*/*.txt"))
    assert files == sorted(DUMPS)
    assert len(files) == 25
    assert [len([f for f in files if f.startswith(c)]) for c in CRAWLS] == [6, 7, 6, 6]
    assert sum(spec["kind"] == "full" for spec in RELEASES.values()) == 21
    # Every crawl's sidebar repeats on all its pages.
    for crawl in CRAWLS:
        assert len({tuple(s["teasers"]) for d, s in DUMPS.items() if d.startswith(crawl)}) == 1
    # Every release is shown somewhere; teaser-only releases only in sidebars.
    shown = shown_by()
    assert all(shown.values())
    brief_only = {k for k, s in RELEASES.items() if s["kind"] == "brief"}
    assert {k for k, v in shown.items() if all(how == "brief" for _, how in v)} == brief_only
    # The files say what the list says: each page holds its article's title, and the
    # opening words of a teaser-only release stand in exactly the sidebars listed.
    for dump, spec in DUMPS.items():
        text = paragraph_key((DATA / dump).read_text(encoding="utf-8"))
        assert paragraph_key(RELEASES[spec["article"]]["title"]) in text, dump
        holds = {k for k in brief_only if paragraph_key(RELEASES[k]["opening"]) in text}
        assert holds == brief_only & set(spec["teasers"]), dump


# --- scenarios ---------------------------------------------------------------------------


def test_all_crawls_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = new_project(tmp_path)
    add_mixed(config)
    report = run(config)
    assert [(s.new, s.seen) for s in report.sources] == [(28, 25 + 6 * 5 + 7 * 5 + 6 * 4 + 6 * 5)]
    found = identify(config)
    check_releases(found)
    # Every sighting is accounted for: the article pages and sidebars that showed it.
    expected = shown_by()
    for key, entry in found.items():
        assert sighted(config, entry.id) == expected[key], key
    # `feeds show` lists them: the Dec-2024 committee meeting is in the sidebar of all
    # twelve pages of the last two crawls, and the article of two of them.
    capsys.readouterr()
    assert main(["show", "-c", str(config), found["a06"].id]) == 0
    shown = capsys.readouterr().out
    assert "title:      " + RELEASES["a06"]["title"] + "\n" in shown
    lines = shown.split("sightings:\n", 1)[1].splitlines()
    assert len(lines) == 14
    assert sum("\tfull\t" in line for line in lines) == 2
    for dump, how in expected["a06"]:
        assert sum(Path(dump).name in line and f"\t{how}\t" in line for line in lines) == 1


def one_crawl_per_refresh(root: Path, crawls: list[str]) -> tuple[Path, dict[str, str]]:
    """Add the crawls one refresh at a time.  After each, there is one entry per release
    shown so far, and every id minted earlier is still there (ids never change)."""
    config = new_project(root)
    ids: set[str] = set()
    added: list[str] = []
    for step, crawl in enumerate(crawls):
        add_crawl(config, crawl)
        added.append(crawl)
        run(config, NOW + dt.timedelta(days=step))
        now_ids = {e.id for e in stored(config)}
        so_far = {
            key
            for dump, spec in DUMPS.items()
            if dump.split("/")[0] in added
            for key in (spec["article"], *spec["teasers"])
        }
        assert len(now_ids) == len(so_far), crawl
        assert ids <= now_ids, crawl
        ids = now_ids
    found = identify(config)
    check_releases(found)
    assert {e.id for e in found.values()} == ids
    expected = shown_by()
    for key, entry in found.items():
        assert sighted(config, entry.id) == expected[key], key
    # Once everything is in, another run reads nothing and writes nothing.
    report = run(config, NOW + dt.timedelta(days=len(crawls)))
    assert report.sources[0].seen == 0 and report.publish.written == []
    return config, {k: e.id for k, e in found.items()}


def test_one_crawl_per_refresh_in_chronological_order(tmp_path: Path) -> None:
    config, _ = one_crawl_per_refresh(tmp_path, CRAWLS)
    found = identify(config)
    # The later crawl's copy of the Permanent Council article carries the corrected body.
    assert "44 meetings" in found["a04"].release.paragraphs[1]


def test_one_crawl_per_refresh_in_reverse_order(tmp_path: Path) -> None:
    one_crawl_per_refresh(tmp_path, CRAWLS[::-1])


def test_orders_agree_on_what_is_published(tmp_path: Path) -> None:
    configs = [new_project(tmp_path / "once")]
    add_mixed(configs[0])
    run(configs[0])
    configs.append(one_crawl_per_refresh(tmp_path / "forward", CRAWLS)[0])
    configs.append(one_crawl_per_refresh(tmp_path / "reverse", CRAWLS[::-1])[0])
    views = []
    for config in configs:
        found = identify(config)
        views.append(
            {
                # A teaser-only release keeps the wording of the copy seen first.
                key: (
                    None if e.release.title_derived else e.release.title,
                    stated_date(e.release),
                    e.release.kind,
                    e.section,
                )
                for key, e in found.items()
            }
        )
    assert views[0] == views[1] == views[2]


def test_the_set_twice_then_renamed_and_copied_files(tmp_path: Path) -> None:
    config = new_project(tmp_path)
    add_mixed(config)
    run(config)
    ids = {k: e.id for k, e in identify(config).items()}
    before = output_files(config)

    # The same set again: nothing read, nothing written.
    report = run(config, NOW + dt.timedelta(hours=1))
    assert report.sources[0].seen == 0 and report.publish.written == []
    assert output_files(config) == before
    assert {k: e.id for k, e in identify(config).items()} == ids

    # Two files renamed, one of them the older copy of an article edited later: read
    # again, matched, and nothing new, nothing changed, nothing written.
    dumps = config.parent / "dumps"
    (dumps / "mixed" / "001_ae04b712675df9c5.txt").rename(dumps / "mixed" / "council.txt")
    (dumps / "mixed" / "003_a44dbabb5f0cd4ea.txt").rename(dumps / "mixed" / "rector.txt")
    report = run(config, NOW + dt.timedelta(hours=2))
    assert (report.sources[0].new, report.sources[0].changed, report.sources[0].seen) == (0, 0, 12)
    assert report.publish.written == []
    assert output_files(config) == before
    found = identify(config)
    assert {k: e.id for k, e in found.items()} == ids
    assert "44 meetings" in found["a04"].release.paragraphs[1]
    assert ("council.txt", "full") in sighted(config, ids["a04"])

    # One page copied into another folder: one more file in the source's health report,
    # and not a byte more of feeds or pages.
    (dumps / "copies").mkdir()
    shutil.copy2(dumps / "mixed" / "000_e85bfa9e1c283cba.txt", dumps / "copies")
    report = run(config, NOW + dt.timedelta(hours=3))
    assert (report.sources[0].new, report.sources[0].changed, report.sources[0].seen) == (0, 0, 6)
    assert report.publish.written == ["status.json"]
    after = output_files(config)
    assert {k: v for k, v in after.items() if k != "status.json"} == {
        k: v for k, v in before.items() if k != "status.json"
    }
    assert yaml.safe_load(after["status.json"][0])["sources"]["crawls"]["items"] == 26
    assert {k: e.id for k, e in identify(config).items()} == ids


# --- what a feed reader sees ---------------------------------------------------------------


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    (tmp_path / "output").mkdir()
    server = make_server(ServeSettings(root=tmp_path / "output", host="127.0.0.1", port=0))
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield new_project(tmp_path, base), base
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_a_reader_sees_each_release_once_and_nothing_new_on_the_second_run(
    served: tuple[Path, str], tmp_path: Path
) -> None:
    config, base = served
    add_mixed(config)
    run(config)
    found = identify(config)
    client = make_reader(str(tmp_path / "reader.sqlite"))
    try:
        client.add_feed(base + "all/atom.xml")
        [first] = list(client.update_feeds_iter(scheduled=False))
        assert not isinstance(first.value, Exception) and first.value is not None
        assert (first.value.new, first.value.modified) == (28, 0)
        titles = sorted(e.title or "" for e in client.get_entries())
        assert titles == sorted(e.release.title for e in found.values())

        run(config, NOW + dt.timedelta(hours=1))
        [second] = list(client.update_feeds_iter(scheduled=False))
        assert not isinstance(second.value, Exception)
        new, modified = (second.value.new, second.value.modified) if second.value else (0, 0)
        assert (new, modified) == (0, 0)
        assert client.get_entry_counts().total == 28
    finally:
        client.close()
