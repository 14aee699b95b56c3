"""Which texts are one release: the sets of ``tests/data/identity_cases/`` through
``feeds refresh``.

Each folder holds dumps and an ``expected.yaml`` listing the distinct releases they show
(see the folder's README).  A set read in one run, or one dump per run in any order, must
give exactly those releases: one entry each, with the article's exact title, the date
its page or a teaser's date line shows, and ids that never change, also when a teaser is
read before the article it belongs to.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import shutil
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from feeds.config import load_config
from feeds.model import DateOrigin, Entry, ReleaseKind
from feeds.refresh import refresh
from feeds.text.keys import paragraph_key
from tests.conftest import BASE_CONFIG
from tests.support.dates import own_date
from tests.support.identity import one_entry_each
from tests.support.state import stored_entries, stored_entry

DATA = Path(__file__).resolve().parent / "data" / "identity_cases"
CASES = sorted(p.name for p in DATA.iterdir() if p.is_dir())
NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
MOSCOW = ZoneInfo("Europe/Moscow")

CONFIG = BASE_CONFIG.format(feed_size=50, lock_timeout=5)

#: How many distinct releases each set holds (the length of its ``releases`` list).
COUNTS = {
    "copies_of_one_article": 12,
    "multi_paragraph_teaser_one_release": 13,
    "same_people_different_meeting": 13,
    "same_people_same_month_different_event": 5,
    "teaser_is_the_article": 17,
}

#: Articles without a date of their own, and what their text gives as an estimate: the
#: date phrase opening the lead, or nothing (then the release is dated when first seen).
ESTIMATES: dict[tuple[str, str], tuple[dt.date | None, DateOrigin]] = {
    # "On 27 May 2025, the CSTO Deputy Secretary General received ..."
    ("same_people_different_meeting", "r_new"): (dt.date(2025, 5, 27), DateOrigin.LEAD),
    # "The CSTO Secretary General and the Ambassador discussed ..."
    ("same_people_different_meeting", "r_amb"): (None, DateOrigin.NONE),
    # "On 7 February, in Astana, ..." and "On 16 February, in Astana, ...": no year, and
    # nothing dated around them.
    ("same_people_same_month_different_event", "r_talks"): (None, DateOrigin.NONE),
    ("same_people_same_month_different_event", "r_exhib"): (None, DateOrigin.NONE),
    # "On 1 December the CSTO Crisis Response Centre marks five years of work." The page
    # that shows it as a teaser has "On 3 December 2025, ..." above it.
    ("teaser_is_the_article", "r_x"): (dt.date(2025, 12, 1), DateOrigin.LEAD),
    # "The interlocutors discussed the preparations ..."
    ("teaser_is_the_article", "r_y"): (None, DateOrigin.NONE),
    # "On 9 February 2026, the CSTO Joint Staff began the first staff talks ..."
    ("teaser_is_the_article", "r_w"): (dt.date(2026, 2, 9), DateOrigin.LEAD),
    # "Experts of the member states discussed ...", "The heads of the military medical
    # services discussed ...", "The students asked about ...".
    ("multi_paragraph_teaser_one_release", "r_a"): (None, DateOrigin.NONE),
    ("multi_paragraph_teaser_one_release", "r_c"): (None, DateOrigin.NONE),
    ("multi_paragraph_teaser_one_release", "r_d"): (None, DateOrigin.NONE),
}


def expected(case: str) -> dict[str, Any]:
    data = yaml.safe_load((DATA / case / "expected.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def new_project(root: Path) -> Path:
    (root / "dumps").mkdir(parents=True)
    config = root / "sources.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    return config


def add(config: Path, case: str, dumps: list[str]) -> None:
    for name in dumps:
        shutil.copy2(DATA / case / name, config.parent / "dumps" / name)


def run(config: Path, now: dt.datetime = NOW) -> None:
    report = refresh(load_config(config), now=lambda: now)
    assert report.problems == []


def feed_items(config: Path) -> dict[str, dict[str, Any]]:
    """The items of ``all/feed.json`` by id."""
    feed = json.loads((config.parent / "output" / "all" / "feed.json").read_text("utf-8"))
    items: list[dict[str, Any]] = feed["items"]
    by_id = {item["id"]: item for item in items}
    assert len(by_id) == len(items)
    return by_id


def noon(day: dt.date) -> str:
    return f"{day.isoformat()}T12:00:00+03:00"


def release_of(case: str, entry: Entry) -> list[str]:
    """The expected releases an entry can be: an article by its exact title and own date,
    a release seen only as a teaser by the opening words of its text."""
    release = entry.release
    found = []
    for key, spec in expected(case)["releases"].items():
        if spec["kind"] == "full":
            # Two meetings may share a title: the date the page shows tells them apart.
            if (
                not release.title_derived
                and release.title == spec["title"]
                and own_date(release) == spec["date"]
            ):
                found.append(key)
        elif release.title_derived and paragraph_key(release.lead).startswith(
            paragraph_key(spec["opening"])
        ):
            found.append(key)
    return found


def identify(case: str, config: Path) -> dict[str, Entry]:
    """Expected release -> its one entry; fails on a missing, extra or merged release."""
    entries = stored_entries(config)
    releases = expected(case)["releases"]
    found = one_entry_each(entries, lambda entry: release_of(case, entry), releases)
    assert len(entries) == len(releases) == COUNTS[case]
    return found


def shown_by(case: str) -> dict[str, set[tuple[str, str]]]:
    """Release -> the dumps that show it, and how (article page or teaser)."""
    shown: dict[str, set[tuple[str, str]]] = {key: set() for key in expected(case)["releases"]}
    for dump, spec in expected(case)["dumps"].items():
        shown[spec["article"]].add((dump, "full"))
        for teaser in spec["teasers"]:
            shown[teaser].add((dump, "brief"))
    return shown


def sighted(config: Path, entry_id: str) -> set[tuple[str, str]]:
    entry = stored_entry(config, entry_id)
    assert entry is not None
    return {(Path(s.locator).name, s.kind.value) for s in entry.sightings}


def whole_set(case: str, root: Path) -> tuple[Path, dict[str, Entry]]:
    """The set's dumps read in one run: the project and its releases, checked."""
    config = new_project(root)
    add(config, case, sorted(expected(case)["dumps"]))
    run(config)
    return config, check_releases(case, config)


def check_releases(case: str, config: Path, now: dt.datetime = NOW) -> dict[str, Entry]:
    """Every expected release once, with its exact title and date, in the store and in
    ``all/feed.json``."""
    found = identify(case, config)
    items = feed_items(config)
    assert len(items) == COUNTS[case]
    assert set(items) == {entry.id for entry in found.values()}
    for key, spec in expected(case)["releases"].items():
        entry = found[key]
        release = entry.release
        item = items[entry.id]
        assert release.kind is ReleaseKind(spec["kind"]), key
        assert item["_feeds"]["kind"] == spec["kind"], key
        assert item["title"] == release.title, key
        assert not item["title"].endswith("…"), key
        if spec["kind"] == "full":
            assert item["title"] == spec["title"], key
            assert item["_feeds"]["title_derived"] is False, key
            assert release.paragraphs, key
        else:
            assert item["_feeds"]["title_derived"] is True, key
            assert paragraph_key(release.paragraphs[0]).startswith(paragraph_key(spec["opening"]))
        # The date its page header or a teaser's date line shows, published at noon in
        # Moscow (these copies were first seen long after their day).
        assert own_date(release) == spec["date"], key
        published = dt.datetime.fromisoformat(item["date_published"])
        assert published <= now, key
        assert dt.datetime.fromisoformat(item["date_modified"]) <= now, key
        if spec["date"] is not None:
            assert item["date_published"] == noon(spec["date"]), key
            assert item["_feeds"]["date_known"] is True, key
        else:
            assert item["_feeds"]["date_known"] is False, key
    for (where, key), (day, origin) in ESTIMATES.items():
        if where != case:
            continue
        release = found[key].release
        item = items[found[key].id]
        assert (release.date, release.date_origin) == (day, origin), key
        assert item["_feeds"]["date_origin"] == origin.value, key
        if day is None:
            # No evidence at all: dated when it was first seen.
            assert found[key].published == found[key].first_seen, key
        else:
            assert item["date_published"] == noon(day), key
    return found


# --- the sets themselves -----------------------------------------------------------------


@pytest.mark.parametrize("case", CASES)
def test_the_set_is_what_expected_yaml_says(case: str) -> None:
    spec = expected(case)
    assert sorted(p.name for p in (DATA / case).glob("*.txt")) == sorted(spec["dumps"])
    assert len(spec["releases"]) == COUNTS[case]
    shown = shown_by(case)
    assert all(shown.values())
    briefs = {k for k, s in spec["releases"].items() if s["kind"] == "brief"}
    assert {k for k, v in shown.items() if all(how == "brief" for _, how in v)} == briefs
    # Each page holds its article's title; a teaser-only release's opening words stand in
    # exactly the sidebars listed.
    for dump, page in spec["dumps"].items():
        text = paragraph_key((DATA / case / dump).read_text(encoding="utf-8"))
        assert paragraph_key(spec["releases"][page["article"]]["title"]) in text, dump
        holds = {k for k in briefs if paragraph_key(spec["releases"][k]["opening"]) in text}
        assert holds == briefs & set(page["teasers"]), dump


def test_the_folder_holds_the_five_sets() -> None:
    assert sorted(COUNTS) == CASES


# --- one run -------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES)
def test_the_set_in_one_run(case: str, tmp_path: Path) -> None:
    config, found = whole_set(case, tmp_path)

    # Every copy is accounted for: each release was seen on the pages listed, as listed.
    shown = shown_by(case)
    for key, entry in found.items():
        assert sighted(config, entry.id) == shown[key], key
    # Releases that only look alike stay apart.
    for first, second in expected(case)["apart"]:
        assert found[first].id != found[second].id
    # A teaser's later paragraphs belong to it, never to a release of their own.
    for opening in expected(case).get("not_releases", []):
        for entry in found.values():
            assert not paragraph_key(entry.release.lead).startswith(paragraph_key(opening))
            assert not paragraph_key(entry.release.title).startswith(paragraph_key(opening))


def test_the_letter_keeps_both_paragraphs_wherever_it_stands(tmp_path: Path) -> None:
    case = "multi_paragraph_teaser_one_release"
    _, found = whole_set(case, tmp_path)
    letter = found["b_letter"].release
    assert len(letter.paragraphs) == 2
    assert letter.paragraphs[1] == (
        "I wish you good health and every success in your responsible work, and peace and "
        "prosperity to the fraternal people of Tajikistan."
    )
    assert letter.title == (
        "Dear Mr. President, please accept my sincere congratulations on the national "
        "holiday, the Independence Day of the Republic of Tajikistan"
    )
    # Dated by the one dated sidebar that shows it (09.09.2025 above both paragraphs).
    assert (letter.date, letter.date_origin) == (dt.date(2025, 9, 9), DateOrigin.TEASER_LINE)
    # The interview and the media report, one blank line apart, are two releases.
    assert [len(found[k].release.paragraphs) for k in ("b_interview", "b_kg_media")] == [1, 1]


def test_same_people_at_another_meeting_is_another_release(tmp_path: Path) -> None:
    case = "same_people_different_meeting"
    config, found = whole_set(case, tmp_path)
    old, new = found["r_old"].release, found["r_new"].release
    assert old.title == new.title
    assert (old.date, old.date_origin) == (dt.date(2024, 4, 23), DateOrigin.HEADER)
    assert (new.date, new.date_origin) == (dt.date(2025, 5, 27), DateOrigin.LEAD)
    assert old.lead.startswith("On 23 April 2024, ")
    assert new.lead.startswith("On 27 May 2025, ")
    items = feed_items(config)
    assert items[found["r_old"].id]["date_published"] == "2024-04-23T12:00:00+03:00"
    assert items[found["r_new"].id]["date_published"] == "2025-05-27T12:00:00+03:00"


# --- one dump per run ------------------------------------------------------------------------


def teasers_first(case: str) -> list[str]:
    """Dumps in an order where a page whose article another page shows as a teaser comes
    after that page: the teaser is stored first and the article must join it."""
    dumps = expected(case)["dumps"]

    def shown_elsewhere(name: str) -> bool:
        article = dumps[name]["article"]
        return any(article in spec["teasers"] for other, spec in dumps.items() if other != name)

    return sorted(dumps, key=lambda name: (shown_elsewhere(name), name))


@pytest.mark.parametrize("order", ["teasers-first", "articles-first"])
@pytest.mark.parametrize("case", CASES)
def test_one_dump_per_run(case: str, order: str, tmp_path: Path) -> None:
    dumps = teasers_first(case)
    if order == "articles-first":
        dumps.reverse()
    config = new_project(tmp_path)
    ids: set[str] = set()
    shown: set[str] = set()
    for step, dump in enumerate(dumps):
        add(config, case, [dump])
        run(config, NOW + dt.timedelta(days=step))
        page = expected(case)["dumps"][dump]
        shown |= {page["article"], *page["teasers"]}
        now_ids = set(feed_items(config))
        # One entry per release shown so far, and no id ever replaced.
        assert len(now_ids) == len(shown), dump
        assert ids <= now_ids, dump
        ids = now_ids
    found = check_releases(case, config, NOW + dt.timedelta(days=len(dumps) - 1))
    assert {entry.id for entry in found.values()} == ids


def test_a_teaser_read_before_its_article_keeps_its_id(tmp_path: Path) -> None:
    case = "teaser_is_the_article"
    config = new_project(tmp_path)
    add(config, case, ["blank_sidebar_with_anniversary_teaser.txt"])
    add(config, case, ["dated_sidebar_with_council_teaser.txt"])
    run(config)
    before = feed_items(config)
    assert len(before) == 7  # two articles, three and two teasers

    def one(items: dict[str, dict[str, Any]], opening: str) -> str:
        [found] = [i for i, item in items.items() if item["summary"].startswith(opening)]
        return found

    # The undated anniversary lead (an NBSP in this copy) and the council's lead under its
    # date line 18.11.2025, as teasers: derived titles, whole first sentences.
    x = one(before, "On 1 December the CSTO Crisis Response Centre marks five years")
    z = one(before, "On 18 November 2025, the CSTO Council of Defence Ministers met")
    assert before[x]["title"] == (
        "On 1 December the CSTO Crisis Response Centre marks five years of work"
    )
    assert before[z]["title"] == (
        "On 18 November 2025, the CSTO Council of Defence Ministers met in Moscow under the "
        "chairmanship of the Russian side"
    )
    assert [before[i]["_feeds"]["kind"] for i in (x, z)] == ["brief", "brief"]
    assert before[z]["date_published"] == "2025-11-18T12:00:00+03:00"
    assert before[z]["_feeds"]["date_origin"] == "teaser-line"

    add(config, case, ["anniversary_article.txt", "council_article.txt"])
    run(config, NOW + dt.timedelta(days=1))
    after = feed_items(config)
    # The two articles joined their teasers; only the new pages' own teasers are new.
    assert len(after) == 7 + 4 + 3
    assert set(before) <= set(after)
    assert after[x]["title"] == "On the fifth anniversary of the CSTO Crisis Response Centre"
    assert after[z]["title"] == "The CSTO Council of Defence Ministers met in Moscow"
    for item in (after[x], after[z]):
        assert item["_feeds"]["kind"] == "full"
        assert item["_feeds"]["title_derived"] is False
    assert after[z]["date_published"] == "2025-11-18T12:00:00+03:00"
    assert after[z]["_feeds"]["date_origin"] == "header"
    assert after[x]["date_published"] == "2025-12-01T12:00:00+03:00"
    assert after[x]["_feeds"]["date_known"] is False
    # Both are one entry each in the store, seen as a teaser and as an article.
    assert sighted(config, x) == {
        ("blank_sidebar_with_anniversary_teaser.txt", "brief"),
        ("anniversary_article.txt", "full"),
    }
    assert sighted(config, z) == {
        ("dated_sidebar_with_council_teaser.txt", "brief"),
        ("council_article.txt", "full"),
    }


@pytest.mark.parametrize(
    "order",
    list(itertools.permutations(sorted(expected("copies_of_one_article")["dumps"]))),
    ids=lambda order: "-".join(name.split("_")[0] for name in order),
)
def test_copies_of_one_article_in_any_order(order: tuple[str, ...], tmp_path: Path) -> None:
    case = "copies_of_one_article"
    title = expected(case)["releases"]["r_session"]["title"]
    config = new_project(tmp_path)
    article_id = ""
    for step, dump in enumerate(order):
        add(config, case, [dump])
        run(config, NOW + dt.timedelta(days=step))
        [entry] = [e for e in stored_entries(config) if e.release.title == title]
        assert article_id in ("", entry.id)
        article_id = entry.id
        # Dated as soon as the copy with the glued date 29.11.2024 has been read.
        if "glued_date_copy.txt" in order[: step + 1]:
            assert (entry.release.date, entry.release.date_origin) == (
                dt.date(2024, 11, 29),
                DateOrigin.HEADER,
            )
        else:
            assert not entry.date_known
    item = feed_items(config)[article_id]
    assert item["title"] == title
    assert item["date_published"] == "2024-11-29T12:00:00+03:00"
    assert item["_feeds"]["date_known"] is True
    assert len(feed_items(config)) == COUNTS[case]
