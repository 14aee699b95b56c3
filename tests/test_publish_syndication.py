"""Atom, RSS and archive documents: valid for the feed validator's rules, exact in content.

Every produced document goes through :mod:`feeds.publish.validate` (zero errors and zero
warnings) and feedparser (``bozo == 0``); then the values a reader sees are checked.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import pytest
from lxml import etree

from feeds.config import load_config
from feeds.model import Asset, DateOrigin, Entry, Release, ReleaseKind, Section, Site
from feeds.publish.syndication import (
    FeedDocument,
    render_atom,
    render_rss,
    xml_text,
)
from feeds.publish.validate import check_document
from feeds.refresh import refresh

DATA = Path(__file__).resolve().parent / "data" / "syndication"
PUBLIC = "https://feeds.example.org/csto/"
CLOCK = dt.datetime(2025, 1, 15, 9, 30, tzinfo=dt.UTC)
MSK = ZoneInfo("Europe/Moscow")
ATOM = "{http://www.w3.org/2005/Atom}"
HISTORY = "{http://purl.org/syndication/history/1.0}"
SITE = Site(title="CSTO releases", url="https://en.odkb-csto.org/", public_url=PUBLIC)
NEWS = Section(id="news", title="CSTO news", description="Meetings, councils and exercises.")


def parse_clean(body: bytes, url: str) -> feedparser.FeedParserDict:
    """The document has no finding at all and reads back without a bozo flag."""
    findings = check_document(body, url)
    assert findings == [], "\n".join(map(str, findings))
    parsed = feedparser.parse(body)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return parsed


def read(output: Path, path: str) -> feedparser.FeedParserDict:
    """A published document, checked against the URL it is served at."""
    return parse_clean((output / path).read_bytes(), PUBLIC + path)


def links(parsed: feedparser.FeedParserDict) -> dict[str, str]:
    return {link.rel: link.href for link in parsed.feed.links}


# --- the whole pipeline on the sample dumps ------------------------------------------------


@pytest.fixture
def sample_output(make_project: Callable[..., Path]) -> Path:
    """The sample dumps refreshed with three entries per feed, so archives exist."""
    config = make_project(feed_size=3)
    report = refresh(load_config(config), now=lambda: CLOCK)
    assert report.problems == [] and report.warnings == []
    return config.parent / "output"


def test_every_sample_document_is_clean(sample_output: Path) -> None:
    documents = sorted(
        p.relative_to(sample_output).as_posix() for p in sample_output.rglob("*.xml")
    )
    archives = [f"all/archive/{n}.xml" for n in range(1, 7)]
    archives += [f"news/archive/{n}.xml" for n in range(1, 6)]
    feeds = [f"{s}/{n}" for s in ("all", "joint-staff", "news") for n in ("atom.xml", "rss.xml")]
    assert documents == sorted(archives + feeds)
    for path in documents:
        parse_clean((sample_output / path).read_bytes(), PUBLIC + path)


def test_sample_feeds_carry_exact_values(sample_output: Path) -> None:
    atom = read(sample_output, "joint-staff/atom.xml")
    assert atom.feed.title == "CSTO releases: Joint Staff"
    assert atom.feed.id == "tag:feeds,2024:feed/joint-staff"
    assert links(atom) == {
        "self": PUBLIC + "joint-staff/atom.xml",
        "alternate": PUBLIC + "joint-staff/index.html",
    }
    assert [(e.title, e.published, e.updated) for e in atom.entries] == [
        (
            # A lead-paragraph teaser is titled by its whole first sentence, date-only
            # releases are published at noon on their day, and `updated` instants step back
            # from the run's moment, never past it.
            "On 14 February 2024, Chief of the Joint Staff of the Collective Security Treaty "
            "Organization, Colonel-General Andrei Nikolayevich Serdyukov, held a briefing on the "
            "subject: \"Main tasks of joint training of the CSTO collective security system's "
            'command and control bodies and formations of forces and means for 2024"',
            "2024-02-14T12:00:00+03:00",
            "2025-01-15T09:29:52+00:00",
        ),
        (
            "On 7 February, participants in a meeting of the chairmen of the committees "
            "(commissions) of the parliaments of the CSTO member states, with jurisdiction over "
            "international relations, defense and security issues visited the CSTO Joint Staff",
            "2024-02-07T12:00:00+03:00",
            "2025-01-15T09:29:51+00:00",
        ),
    ]
    # The feed is as new as its newest entry, not as the run.
    assert atom.feed.updated == "2025-01-15T09:29:52+00:00"
    assert all(e.id.startswith("tag:feeds,2025-01-15:release/") for e in atom.entries)

    rss = read(sample_output, "joint-staff/rss.xml")
    root = etree.fromstring((sample_output / "joint-staff/rss.xml").read_bytes())
    assert root.findtext("channel/link") == PUBLIC + "joint-staff/index.html"
    assert [i.findtext("pubDate") for i in root.iterfind("channel/item")] == [
        "Wed, 14 Feb 2024 12:00:00 +0300",
        "Wed, 07 Feb 2024 12:00:00 +0300",
    ]
    assert [e.id for e in rss.entries] == [e.id for e in atom.entries]
    assert root.findtext("channel/ttl") == "60"


def test_prev_archive_chain_holds_every_release_once(sample_output: Path) -> None:
    current = read(sample_output, "all/atom.xml")
    seen = [e.id for e in current.entries]
    sizes = [len(seen)]
    url = links(current)["prev-archive"]
    chain = []
    newer = PUBLIC + "all/atom.xml"
    while url:
        path = url.removeprefix(PUBLIC)
        body = (sample_output / path).read_bytes()
        page = parse_clean(body, url)
        root = etree.fromstring(body)
        assert root.find(f"{HISTORY}archive") is not None
        assert page.feed.id == f"tag:feeds,2024:feed/{path}"
        page_links = links(page)
        assert page_links["self"] == url
        assert page_links["current"] == PUBLIC + "all/atom.xml"
        if newer != PUBLIC + "all/atom.xml":
            assert page_links["next-archive"] == newer
        chain.append(path)
        seen += [e.id for e in page.entries]
        sizes.append(len(page.entries))
        newer, url = url, page_links.get("prev-archive", "")
    assert chain == [f"all/archive/{n}.xml" for n in range(6, 0, -1)]
    assert sizes == [3, 1, 3, 3, 3, 3, 3]
    assert len(seen) == len(set(seen)) == 19
    oldest = feedparser.parse((sample_output / "all/archive/1.xml").read_bytes())
    assert [(e.published, e.title[:40]) for e in oldest.entries] == [
        # The oldest dated release, then two teasers of its page dated from it.
        ("2018-11-27T12:00:00+03:00", "At the Permanent Council of the CSTO, th"),
        ("2018-11-27T12:00:00+03:00", "The Collective Security Treaty Organizat"),
        ("2018-11-27T12:00:00+03:00", "On May 15, 1992, the heads of state of t"),
    ]


def test_nasty_dump_goes_through_clean(make_project: Callable[..., Path]) -> None:
    config = make_project(dumps=[])
    shutil.copy(DATA / "nasty_dump.txt", config.parent / "dumps" / "900_nasty.txt")
    report = refresh(load_config(config), now=lambda: CLOCK)
    assert report.problems == []
    output = config.parent / "output"
    atom = parse_clean((output / "all/atom.xml").read_bytes(), PUBLIC + "all/atom.xml")
    rss = parse_clean((output / "all/rss.xml").read_bytes(), PUBLIC + "all/rss.xml")
    title = "Q&A <session>: the Secretary General on \"peace\" & 'order'"
    assert [e.title for e in atom.entries] == [title]
    assert [e.title for e in rss.entries] == [title]
    assert atom.entries[0].published == "2024-03-12T12:00:00+03:00"
    root = etree.fromstring((output / "all/atom.xml").read_bytes())
    content = root.findtext(f"{ATOM}entry/{ATOM}content")
    assert content == (
        "<p>On 12 March 2024 the CSTO Secretary General answered questions  of journalists "
        "about &lt;script&gt;alert(1)&lt;/script&gt; security &amp; stability.</p>\n"
        "<p>Second paragraph with a link javascript:alert(2) and "
        '<a href="https://en.odkb-csto.org/news/">https://en.odkb-csto.org/news/</a>'
        " for details.</p>"
    )
    rss_root = etree.fromstring((output / "all/rss.xml").read_bytes())
    assert rss_root.findtext("channel/item/description") == (
        "On 12 March 2024 the CSTO Secretary General answered questions of journalists "
        "about &lt;script&gt;alert(1)&lt;/script&gt; security &amp; stability."
    )
    # The summary is HTML that shows the text, script tags and all, as text.
    assert (
        atom.entries[0].summary
        == rss.entries[0].summary
        == (
            "On 12 March 2024 the CSTO Secretary General answered questions of journalists "
            "about &lt;script&gt;alert(1)&lt;/script&gt; security &amp; stability."
        )
    )


# --- hand-built entries with awkward content -----------------------------------------------


def nasty_entries() -> list[Entry]:
    seen = dt.datetime(2025, 6, 1, 7, 0, tzinfo=dt.UTC)

    def entry(key: str, release: Release, published: dt.datetime, offset: int) -> Entry:
        return Entry(
            id=f"tag:feeds,2025-06-01:release/{key}",
            release=release,
            section="news",
            published=published,
            updated=seen + dt.timedelta(seconds=offset),
            first_seen=seen,
            page_path=f"releases/{published:%Y/%m}/{key}.html",
        )

    return [
        entry(
            "ru01",
            Release(
                kind=ReleaseKind.FULL,
                title="Генеральный секретарь ОДКБ провёл встречу",
                date=dt.date(2025, 5, 28),
                date_origin=DateOrigin.HEADER,
                lead="28 мая 2025 года в г. Бишкеке состоялась встреча.",
                body_html="<p>28 мая 2025 года в г. Бишкеке состоялась встреча.</p>",
                language="ru",
            ),
            dt.datetime(2025, 5, 28, tzinfo=MSK),
            2,
        ),
        entry(
            "amp1",
            Release(
                kind=ReleaseKind.FULL,
                title="Q&A <session>\x01 on \"peace\" & 'order'",
                date=dt.date(2024, 3, 12),
                date_origin=DateOrigin.HEADER,
                lead="Answers\x0cto <b>journalists</b> & guests.",
                body_html=(
                    '<p>Answers to journalists.<img src="photo.jpg" alt="hall">'
                    '<a href="javascript:alert(1)">more</a> '
                    '<a href="/news/news_odkb/">news</a>\x07</p>'
                ),
                images=(Asset("ZVF_2142.JPG"),),
                language="en",
            ),
            dt.datetime(2024, 3, 12, tzinfo=MSK),
            1,
        ),
        entry(
            "url1",
            Release(
                kind=ReleaseKind.FULL,
                title="Permanent Council meeting",
                date=dt.date(2018, 11, 27),
                date_origin=DateOrigin.HEADER,
                lead="A meeting of the Permanent Council was held.",
                body_html='<p>A meeting was held.<img src="img/hall.jpg" alt="hall"></p>',
                language="en",
                url="https://en.odkb-csto.org/news/news_odkb/permanent-council/",
            ),
            dt.datetime(2018, 11, 27, tzinfo=MSK),
            0,
        ),
    ]


def nasty_document(name: str, hub: str | None = None) -> FeedDocument:
    return FeedDocument(
        section=NEWS,
        entries=nasty_entries(),
        self_url=f"{PUBLIC}news/{name}",
        html_url=f"{PUBLIC}news/index.html",
        hub=hub,
    )


@pytest.mark.parametrize(("name", "render"), [("atom.xml", render_atom), ("rss.xml", render_rss)])
def test_nasty_entries_render_to_the_golden_bytes(
    name: str, render: Callable[[Site, FeedDocument], bytes]
) -> None:
    body = render(SITE, nasty_document(name))
    assert body == (DATA / f"nasty.{name}").read_bytes()
    parse_clean(body, f"{PUBLIC}news/{name}")


def test_nasty_entries_read_back_as_written() -> None:
    atom = parse_clean(render_atom(SITE, nasty_document("atom.xml")), f"{PUBLIC}news/atom.xml")
    rss = parse_clean(render_rss(SITE, nasty_document("rss.xml")), f"{PUBLIC}news/rss.xml")
    titles = [
        "Генеральный секретарь ОДКБ провёл встречу",
        "Q&A <session> on \"peace\" & 'order'",
        "Permanent Council meeting",
    ]
    assert [e.title for e in atom.entries] == titles
    assert [e.title for e in rss.entries] == titles
    assert [e.title_detail.language for e in atom.entries] == ["ru", "en", "en"]
    assert [e.published for e in atom.entries] == [
        "2025-05-28T00:00:00+03:00",
        "2024-03-12T00:00:00+03:00",
        "2018-11-27T00:00:00+03:00",
    ]
    assert [e.link for e in atom.entries] == [
        f"{PUBLIC}releases/2025/05/ru01.html",
        f"{PUBLIC}releases/2024/03/amp1.html",
        "https://en.odkb-csto.org/news/news_odkb/permanent-council/",
    ]
    # Plain-text summaries are published as HTML that shows exactly that text.
    summary = "Answers to &lt;b&gt;journalists&lt;/b&gt; &amp; guests."
    assert rss.entries[1].summary == atom.entries[1].summary == summary
    content = atom.entries[1].content[0].value
    assert content == (
        # The relative image has no base to resolve against: its src is dropped.
        '<p>Answers to journalists.<img alt="hall" /><a>more</a> '
        '<a href="https://en.odkb-csto.org/news/news_odkb/">'
        "news</a></p>"
    )
    assert 'src="https://en.odkb-csto.org/news/news_odkb/permanent-council/img/hall.jpg"' in (
        atom.entries[2].content[0].value
    )


def test_hub_links_are_announced() -> None:
    hub = "http://127.0.0.1:9/hub"
    atom = render_atom(SITE, nasty_document("atom.xml", hub=hub))
    rss = render_rss(SITE, nasty_document("rss.xml", hub=hub))
    assert links(parse_clean(atom, f"{PUBLIC}news/atom.xml"))["hub"] == hub
    parse_clean(rss, f"{PUBLIC}news/rss.xml")
    channel = etree.fromstring(rss).find("channel")
    assert channel is not None
    assert [(a.get("rel"), a.get("href")) for a in channel.iterfind(f"{ATOM}link")] == [
        ("self", f"{PUBLIC}news/rss.xml"),
        ("hub", hub),
    ]


def test_empty_feed_has_a_fixed_plausible_date() -> None:
    expected = {
        "atom.xml": b"<updated>2024-01-01T00:00:00+00:00</updated>",
        "rss.xml": b"<lastBuildDate>Mon, 01 Jan 2024 00:00:00 +0000</lastBuildDate>",
    }
    for name, render in (("atom.xml", render_atom), ("rss.xml", render_rss)):
        document = FeedDocument(
            section=NEWS,
            entries=[],
            self_url=f"{PUBLIC}news/{name}",
            html_url=f"{PUBLIC}news/index.html",
        )
        body = render(SITE, document)
        assert parse_clean(body, document.self_url).entries == []
        assert expected[name] in body
        assert body == render(SITE, document)


def test_xml_text_drops_what_xml_cannot_carry() -> None:
    assert xml_text("a\x00b\x01c\x0bd\x0ce\x7ff\x85g\ttab\nline\r") == "abc d efg\ttab\nline\r"
    assert xml_text("Генеральный «секретарь» — ОДКБ") == "Генеральный «секретарь» — ОДКБ"
