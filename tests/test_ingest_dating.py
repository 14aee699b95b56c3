"""Which instants the feeds show, read back from the files a refresh writes.

A date-only release is published at noon in the site's zone (Moscow), so that readers
from UTC-8 to UTC+12 show its own day, unless a refresh caught it on its own day: then
at the instant it was first seen.  A release with no date of its own is dated from
evidence and marked as an estimate; with none, it is dated when first seen.  ``updated``
instants are unique within a feed and never later than the run that set them.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import random
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import feedparser
import pytest
from lxml import etree

from feeds.config import load_config
from feeds.refresh import refresh
from tests.conftest import BASE_CONFIG

PUBLIC = "https://feeds.example.org/csto/"
ATOM = "{http://www.w3.org/2005/Atom}"
UTC = dt.UTC
MOSCOW = ZoneInfo("Europe/Moscow")
#: Readers' zones at both ends of what the noon rule serves: UTC-8 (Los Angeles in
#: winter, and a fixed UTC-8) and UTC+12 (Auckland in winter, and a fixed UTC+12).
READERS = ["America/Los_Angeles", "Etc/GMT+8", "Pacific/Auckland", "Etc/GMT-12"]
FEEDS = ("atom.xml", "rss.xml", "feed.json")

CONFIG = BASE_CONFIG.format(feed_size=50, lock_timeout=5)

FOOTER = "Go back\n\nBack to the section\n\nBack to the all news"

#: A page dated 25.07.2024 under three undated teasers: the first opens with a date
#: phrase, the third names a day in its text, the second has only its place between them.
PAGE_JULY = f"""\
On 30 July 2024, the CSTO Secretariat hosted a seminar on the protection of water supply \
systems in the member states.


The CSTO Joint Staff prepared a handbook on the logistics of joint training for the \
officers of the collective forces.


The CSTO Secretariat announced that the working group on migration will meet in Yerevan \
on 26 July 2024.

The CSTO Secretary General received the graduates of the peacekeeping course

The CSTO Secretary General received the graduates of the peacekeeping course 25.07.2024

On 25 July 2024, the CSTO Secretary General received at the Secretariat the graduates of \
the course for peacekeeping officers.

He wished them success in their service.

{FOOTER}"""

#: A page dated 14.02.2025 whose sidebar holds one teaser with no date evidence at all.
PAGE_FEBRUARY = f"""\
The CSTO Secretariat released a collection of essays by young researchers of the member \
states.

The CSTO Deputy Secretary General opened the winter school of young diplomats

The CSTO Deputy Secretary General opened the winter school of young diplomats 14.02.2025

On 14 February 2025, the winter school of young diplomats of the CSTO member states \
opened in Minsk.

{FOOTER}"""

#: Undated pages: one whose lead opens with a date phrase, one with no evidence.
PAGE_LEAD = f"""\
The CSTO air defence experts held consultations in Moscow


On 3 March 2025, officers of the air defence forces of the member states met for \
consultations in Moscow.

They agreed on the plan of the joint air defence training for the next year.

{FOOTER}"""

PAGE_NONE = f"""\
The CSTO Secretariat published the results of a survey of young officers


The survey covered officers of all the member states who serve in the collective forces.

The results will be presented at the next meeting of the Permanent Council.

{FOOTER}"""

#: A page dated 01.03.2026, read on that very day.
PAGE_TODAY = f"""\
The CSTO Secretary General met with the heads of the press services of the member states

The CSTO Secretary General met with the heads of the press services of the member states \
01.03.2026

On 1 March 2026, the CSTO Secretary General met with the heads of the press services of the \
foreign ministries of the member states.

{FOOTER}"""

PAGES = {
    "july.txt": PAGE_JULY,
    "february.txt": PAGE_FEBRUARY,
    "lead.txt": PAGE_LEAD,
    "none.txt": PAGE_NONE,
}

TITLES = {
    "july": "The CSTO Secretary General received the graduates of the peacekeeping course",
    "july_lead": (
        "On 30 July 2024, the CSTO Secretariat hosted a seminar on the protection of water "
        "supply systems in the member states"
    ),
    "july_neighbours": (
        "The CSTO Joint Staff prepared a handbook on the logistics of joint training for the "
        "officers of the collective forces"
    ),
    "july_mention": (
        "The CSTO Secretariat announced that the working group on migration will meet in "
        "Yerevan on 26 July 2024"
    ),
    "february": "The CSTO Deputy Secretary General opened the winter school of young diplomats",
    "february_host": (
        "The CSTO Secretariat released a collection of essays by young researchers of the "
        "member states"
    ),
    "lead": "The CSTO air defence experts held consultations in Moscow",
    "none": "The CSTO Secretariat published the results of a survey of young officers",
}


def project(root: Path, pages: dict[str, str]) -> Path:
    (root / "dumps").mkdir(parents=True)
    for name, text in pages.items():
        (root / "dumps" / name).write_text(text, encoding="utf-8")
    config = root / "sources.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    return config


def run(config: Path, now: dt.datetime) -> None:
    report = refresh(load_config(config), now=lambda: now)
    assert report.problems == []


def json_items(config: Path, feed: str = "all") -> dict[str, dict[str, Any]]:
    """The items of a section's feed.json by title."""
    path = config.parent / "output" / feed / "feed.json"
    items: list[dict[str, Any]] = json.loads(path.read_text("utf-8"))["items"]
    return {item["title"]: item for item in items}


def published_by_title(config: Path, name: str) -> dict[str, dt.datetime]:
    """Each entry's published instant as a feed reader parses it from ``all/<name>``."""
    output = config.parent / "output" / "all"
    if name == "feed.json":
        return {
            title: dt.datetime.fromisoformat(item["date_published"])
            for title, item in json_items(config).items()
        }
    parsed = feedparser.parse((output / name).read_bytes())
    assert parsed.bozo == 0
    # feedparser gives every date as a struct_time in UTC, as readers built on it show it.
    return {
        e.title: dt.datetime.fromtimestamp(calendar.timegm(e.published_parsed), UTC)
        for e in parsed.entries
    }


def release_page(config: Path, item: dict[str, Any]) -> str:
    url: str = item["url"]
    assert url.startswith(PUBLIC + "releases/")
    return (config.parent / "output" / url[len(PUBLIC) :]).read_text("utf-8")


# --- noon, and the first-seen instant ---------------------------------------------------------


NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def evidence(tmp_path_factory: pytest.TempPathFactory) -> Path:
    config = project(tmp_path_factory.mktemp("evidence"), PAGES)
    run(config, NOW)
    return config


@pytest.mark.parametrize("name", FEEDS)
def test_a_date_only_release_shows_its_own_day_from_utc_minus_8_to_utc_plus_12(
    evidence: Path, name: str
) -> None:
    published = published_by_title(evidence, name)
    # 25.07.2024 and 14.02.2025: noon in Moscow is 09:00 UTC, the same day from 01:00 in
    # UTC-8 (02:00 in Los Angeles' summer) to 21:00 in UTC+12 (22:00 in Auckland's summer).
    for key, day in [("july", dt.date(2024, 7, 25)), ("february", dt.date(2025, 2, 14))]:
        moment = published[TITLES[key]]
        assert moment == dt.datetime.combine(day, dt.time(12), tzinfo=MOSCOW)
        assert moment == dt.datetime.combine(day, dt.time(9), tzinfo=UTC)
        shown = {zone: moment.astimezone(ZoneInfo(zone)) for zone in READERS}
        assert {zone: at.date() for zone, at in shown.items()} == dict.fromkeys(READERS, day)
    july = published[TITLES["july"]]
    assert july.astimezone(ZoneInfo("America/Los_Angeles")).hour == 2
    assert july.astimezone(ZoneInfo("Etc/GMT+8")).hour == 1
    assert july.astimezone(ZoneInfo("Pacific/Auckland")).hour == 21
    assert july.astimezone(ZoneInfo("Etc/GMT-12")).hour == 21
    february = published[TITLES["february"]]
    assert february.astimezone(ZoneInfo("America/Los_Angeles")).hour == 1
    assert february.astimezone(ZoneInfo("Pacific/Auckland")).hour == 22
    # Estimates are published at noon of their day as well.
    for key, day in [
        ("july_lead", dt.date(2024, 7, 30)),
        ("july_neighbours", dt.date(2024, 7, 28)),
        ("july_mention", dt.date(2024, 7, 26)),
        ("february_host", dt.date(2025, 2, 14)),
        ("lead", dt.date(2025, 3, 3)),
    ]:
        moment = published[TITLES[key]]
        assert moment == dt.datetime.combine(day, dt.time(12), tzinfo=MOSCOW), key
        assert {moment.astimezone(ZoneInfo(z)).date() for z in READERS} == {day}, key
    # No evidence: the run that first saw it.
    assert published[TITLES["none"]] == NOW


def test_feed_json_writes_noon_in_the_site_zone(evidence: Path) -> None:
    items = json_items(evidence)
    assert items[TITLES["july"]]["date_published"] == "2024-07-25T12:00:00+03:00"
    assert items[TITLES["february"]]["date_published"] == "2025-02-14T12:00:00+03:00"
    assert items[TITLES["none"]]["date_published"] == "2026-03-01T15:00:00+03:00"


@pytest.mark.parametrize("name", FEEDS)
def test_a_release_caught_on_its_own_day_is_published_when_first_seen(
    tmp_path: Path, name: str
) -> None:
    # 09:30 UTC on 1 March 2026 is 12:30 in Moscow: a cron run catches the page dated
    # 01.03.2026 on its own day.
    seen = dt.datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    config = project(tmp_path, {"today.txt": PAGE_TODAY, "july.txt": PAGE_JULY})
    run(config, seen)
    published = published_by_title(config, name)
    title = (
        "The CSTO Secretary General met with the heads of the press services of the member states"
    )
    assert published[title] == seen
    assert {zone: published[title].astimezone(ZoneInfo(zone)).date() for zone in READERS} == (
        dict.fromkeys(READERS, dt.date(2026, 3, 1))
    )
    # The page dated long before the run is at noon of its day, as always.
    assert published[TITLES["july"]] == dt.datetime(2024, 7, 25, 9, 0, tzinfo=UTC)
    if name == "feed.json":
        item = json_items(config)[title]
        assert item["date_published"] == "2026-03-01T12:30:00+03:00"
        assert item["_feeds"] == {
            "kind": "full",
            "title_derived": False,
            "date_known": True,
            "date_origin": "header",
        }
    # Read again on the next day, nothing moves.
    run(config, seen + dt.timedelta(days=1))
    assert published_by_title(config, name)[title] == seen


def test_a_release_first_seen_after_its_day_is_published_at_noon(tmp_path: Path) -> None:
    config = project(tmp_path, {"today.txt": PAGE_TODAY})
    run(config, dt.datetime(2026, 3, 2, 7, 0, tzinfo=UTC))
    [item] = json_items(config).values()
    assert item["date_published"] == "2026-03-01T12:00:00+03:00"


# --- estimates and their marks ----------------------------------------------------------------


def test_estimated_releases_say_so_and_name_their_evidence(evidence: Path) -> None:
    items = json_items(evidence)
    assert len(items) == 8
    marks = {key: items[title]["_feeds"] for key, title in TITLES.items()}
    assert {key: (m["date_known"], m["date_origin"]) for key, m in marks.items()} == {
        "july": (True, "header"),
        "july_lead": (False, "lead"),
        "july_neighbours": (False, "neighbours"),
        "july_mention": (False, "mention"),
        "february": (True, "header"),
        "february_host": (False, "host-page"),
        "lead": (False, "lead"),
        "none": (False, "none"),
    }
    assert {key: items[t]["date_published"] for key, t in TITLES.items()} == {
        "july": "2024-07-25T12:00:00+03:00",
        "july_lead": "2024-07-30T12:00:00+03:00",
        # Between its neighbours of 30 and 26 July.
        "july_neighbours": "2024-07-28T12:00:00+03:00",
        "july_mention": "2024-07-26T12:00:00+03:00",
        "february": "2025-02-14T12:00:00+03:00",
        # Not older than the page dated 14.02.2025 whose sidebar shows it.
        "february_host": "2025-02-14T12:00:00+03:00",
        "lead": "2025-03-03T12:00:00+03:00",
        "none": "2026-03-01T15:00:00+03:00",
    }


@pytest.mark.parametrize(
    ("key", "meta"),
    [
        ("july", '<p class="meta"><time datetime="2024-07-25">25 July 2024</time> · '),
        (
            "july_lead",
            '<p class="meta"><time datetime="2024-07-30">30 July 2024</time> (date estimated) · ',
        ),
        (
            "july_neighbours",
            '<p class="meta"><time datetime="2024-07-28">28 July 2024</time> (date estimated) · ',
        ),
        (
            "july_mention",
            '<p class="meta"><time datetime="2024-07-26">26 July 2024</time> (date estimated) · ',
        ),
        (
            "february_host",
            '<p class="meta"><time datetime="2025-02-14">14 February 2025</time> '
            "(date estimated) · ",
        ),
        (
            "lead",
            '<p class="meta"><time datetime="2025-03-03">3 March 2025</time> (date estimated) · ',
        ),
        (
            "none",
            '<p class="meta">Date unknown; first seen '
            '<time datetime="2026-03-01T12:00:00+00:00">1 March 2026</time> · ',
        ),
    ],
)
def test_the_release_page_says_how_the_date_is_known(evidence: Path, key: str, meta: str) -> None:
    page = release_page(evidence, json_items(evidence)[TITLES[key]])
    # The date line, then the link to the release's section.
    assert meta + '<a href="../../../' in page
    assert ("(date estimated)" in page) == (key not in ("july", "none"))


# --- a large first import ---------------------------------------------------------------------

SYLLABLES = ("ka", "lo", "mi", "ne", "ru", "sa", "te", "vo", "zu", "bi", "da", "fe", "go", "hu")
IMPORT = 1000


def generated_dump(n: int) -> tuple[str, str]:
    """A page of its own words (no two pages share a sentence); three in four are dated
    by the title repeated with a date, every fifth is about the Joint Staff."""
    rng = random.Random(n)

    def word() -> str:
        return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(3, 4)))

    place, topic = word().capitalize(), " ".join(word() for _ in range(3))
    body = "CSTO Joint Staff" if n % 5 == 0 else "CSTO Secretariat"
    title = f"The {body} discussed the {topic} programme with the delegation of {place}"
    lead = f"The delegation of {place} presented the {topic} programme: " + (
        " ".join(word() for _ in range(14)) + "."
    )
    second = " ".join(word() for _ in range(10)).capitalize() + "."
    day = dt.date(2014, 1, 1) + dt.timedelta(days=n * 4)
    header = f"{title}\n\n{title} {day:%d.%m.%Y}\n\n" if n % 4 else f"{title}\n\n\n"
    return title, f"{header}{lead}\n\n{second}\n\n{FOOTER}"


def test_a_thousand_releases_in_one_import_are_never_dated_after_the_run(
    tmp_path: Path,
) -> None:
    pages = dict(generated_dump(n) for n in range(IMPORT))
    assert len(pages) == IMPORT
    config = project(tmp_path, {f"{n:04d}.txt": generated_dump(n)[1] for n in range(IMPORT)})
    run(config, NOW)
    output = config.parent / "output"

    for feed, expected in [("all", IMPORT), ("news", 800), ("joint-staff", 200)]:
        # The head feed and its archive documents hold every release of the feed once.
        documents = [output / feed / "atom.xml", *sorted((output / feed / "archive").glob("*.xml"))]
        updated: dict[str, dt.datetime] = {}
        titles: set[str] = set()
        for document in documents:
            root = etree.parse(str(document)).getroot()
            feed_updated = dt.datetime.fromisoformat(root.findtext(f"{ATOM}updated") or "")
            assert feed_updated <= NOW, document
            for entry in root.findall(f"{ATOM}entry"):
                entry_id = entry.findtext(f"{ATOM}id") or ""
                stamp = dt.datetime.fromisoformat(entry.findtext(f"{ATOM}updated") or "")
                assert updated.setdefault(entry_id, stamp) == stamp
                assert dt.datetime.fromisoformat(entry.findtext(f"{ATOM}published") or "") <= NOW
                titles.add(entry.findtext(f"{ATOM}title") or "")
        assert len(updated) == expected, feed
        assert titles <= set(pages), feed
        stamps = sorted(updated.values())
        assert max(stamps) <= NOW, feed
        # Unique within the feed: one instant per entry.
        assert len(set(stamps)) == len(stamps) == expected, feed
        # The head feed.json says the same of the newest entries.
        items = json.loads((output / feed / "feed.json").read_text("utf-8"))["items"]
        assert len(items) == 50
        modified = [dt.datetime.fromisoformat(item["date_modified"]) for item in items]
        assert max(modified) <= NOW and len(set(modified)) == 50
        assert {updated[item["id"]] for item in items} == set(modified)

    # The instants of the run step back a second at a time from the run's own.
    with_all = sorted(
        dt.datetime.fromisoformat(e.findtext(f"{ATOM}updated") or "")
        for document in [output / "all" / "atom.xml", *(output / "all" / "archive").glob("*.xml")]
        for e in etree.parse(str(document)).getroot().findall(f"{ATOM}entry")
    )
    assert with_all == [NOW - dt.timedelta(seconds=s) for s in range(IMPORT - 1, -1, -1)]


def test_the_generated_pages_read_as_written() -> None:
    title, text = generated_dump(5)
    assert title.startswith("The CSTO Joint Staff discussed the ")
    assert text.splitlines()[2] == f"{title} 21.01.2014"
    title, text = generated_dump(8)
    assert text.splitlines()[1:3] == ["", ""]
