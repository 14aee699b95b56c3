"""Release, section and index pages, the OPML list, and the shared content helpers."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

import jinja2
import pytest

from feeds.model import Asset, DateOrigin, Entry, Release, ReleaseKind, Section, Site
from feeds.publish.content import (
    entry_content_html,
    entry_link,
    entry_summary_text,
    section_feed_urls,
)
from feeds.publish.membership import members, newest_first
from feeds.publish.opml import render_opml
from feeds.publish.pages import (
    CompiledTemplates,
    render_index,
    render_release_page,
    render_section_page,
)

DATA = Path(__file__).parent / "data" / "publish"
MSK = ZoneInfo("Europe/Moscow")
UTC = dt.UTC

SITE = Site(
    title="CSTO releases",
    url="https://en.odkb-csto.org/",
    public_url="https://feeds.example.org/csto/",
)
NEWS = Section(id="news", title="CSTO news", description="Meetings, councils and exercises.")
STAFF = Section(id="joint-staff", title="Joint Staff")
ALL = Section(id="all", title="All releases")

COUNCIL_LEAD = (
    "November 27th of this year. A meeting of the Permanent Council of the Collective Security "
    "Treaty Organization was held under the chairmanship of Aman Mambetseitov, Permanent and "
    "Plenipotentiary Representative of the Kyrgyz Republic."
)
BRIEF_LEAD = (
    "On 16 February 2024, the CSTO Secretary General Imangali Tasmagambetov met with the "
    "Ambassador Extraordinary and Plenipotentiary of the Republic of Belarus to discuss the "
    "preparations for the meeting of the Council of Foreign Ministers, the plan of joint "
    "exercises of the Collective Forces for the current year, the work of the Joint Staff on "
    "crisis response, cooperation with the Shanghai Cooperation Organisation and the "
    "Commonwealth of Independent States, and the programme of events dedicated to the "
    "anniversary of the Collective Security Treaty signed in Tashkent."
)


def _entry(
    key: str,
    release: Release,
    *,
    section: str = "news",
    published: dt.datetime,
    first_seen: dt.datetime | None = None,
    slug: str,
    hidden: bool = False,
) -> Entry:
    seen = first_seen or published
    return Entry(
        id=f"tag:feeds,2024-05-20:release/{key}",
        release=release,
        section=section,
        published=published,
        updated=seen + dt.timedelta(seconds=1),
        first_seen=seen,
        page_path=f"releases/{published:%Y/%m}/{slug}-{key}.html",
        hidden=hidden,
    )


def council() -> Entry:
    """A dated full release from a dump: images are bare file names, no URL."""
    release = Release(
        kind=ReleaseKind.FULL,
        title=(
            "At the Permanent Council of the CSTO, the Russian side provided information on the "
            "violation by Ukraine of the rules of peaceful passage"
        ),
        date=dt.date(2018, 11, 27),
        date_origin=DateOrigin.HEADER,
        lead=COUNCIL_LEAD,
        paragraphs=(COUNCIL_LEAD, "The representative of Russia informed the Council."),
        body_html=(DATA / "body-council.html").read_text("utf-8"),
        images=(Asset("ZVF_2142.JPG"), Asset("ZVF_2150.JPG")),
        contacts=("CSTO Press secretary Vladimir Zaynetdinov", "odkb-pressa@gov.ru"),
        language="en",
    )
    published = dt.datetime(2018, 11, 27, tzinfo=MSK)
    return _entry(
        "1a2b",
        release,
        published=published,
        first_seen=dt.datetime(2024, 5, 20, 9, 0, tzinfo=UTC),
        slug="at-the-permanent-council",
    )


SESSION_URL = "https://en.odkb-csto.org/news/news_odkb/nachalas-sessiya-soveta/"


def session() -> Entry:
    """A release with a canonical URL, absolute images, attachments and links."""
    release = Release(
        kind=ReleaseKind.FULL,
        title="Q&A: Joint Staff <briefing> on exercises",
        date=dt.date(2024, 5, 16),
        date_origin=DateOrigin.PAGE,
        lead="The session of the Collective Security Council opened in Minsk & online.",
        body_html=(DATA / "body-session.html").read_text("utf-8"),
        images=(
            Asset("hall.jpg", "https://en.odkb-csto.org/upload/iblock/hall.jpg"),
            Asset("flags.jpg", "https://en.odkb-csto.org/upload/iblock/flags.jpg"),
        ),
        attachments=(
            Asset("Annex 2.pdf", "https://en.odkb-csto.org/upload/Annex%202.pdf"),
            Asset("39357fa0c1.docx"),
        ),
        links=("https://www.youtube.com/watch?v=abc123", "https://example.org/more?a=1&b=2"),
        language="en",
        url=SESSION_URL,
    )
    return _entry(
        "5c6d",
        release,
        section="joint-staff",
        published=dt.datetime(2024, 5, 16, tzinfo=MSK),
        slug="q-a-joint-staff-briefing",
    )


def undated() -> Entry:
    """A release with no date of its own: dated by when it was first seen."""
    seen = dt.datetime(2024, 7, 3, 8, 15, tzinfo=UTC)
    release = Release(
        kind=ReleaseKind.FULL,
        title="The CSTO Secretary General took part in the meeting of the Council of the PA",
        lead="The meeting discussed the harmonisation of national laws.",
        paragraphs=("The meeting discussed the harmonisation of national laws.",),
        language="en",
    )
    return _entry("7e8f", release, published=seen, slug="the-csto-secretary-general")


def russian() -> Entry:
    release = Release(
        kind=ReleaseKind.FULL,
        title="Генеральный секретарь ОДКБ провёл встречу с директором РАТС ШОС",
        date=dt.date(2025, 5, 28),
        date_origin=DateOrigin.HEADER,
        lead="28 мая 2025 года в г. Бишкеке состоялась встреча.",
        body_html="<p>28 мая 2025 года в г. Бишкеке состоялась встреча.</p>",
        language="ru",
        url="https://odkb-csto.org/news/news_odkb/sostoyalas-vstrecha/",
    )
    return _entry(
        "9a0b", release, published=dt.datetime(2025, 5, 28, tzinfo=MSK), slug="generalnyy"
    )


def brief() -> Entry:
    """A teaser seen beside other releases: text only, title made from its first sentence."""
    release = Release(
        kind=ReleaseKind.BRIEF,
        title="On 16 February 2024, the CSTO Secretary General Imangali Tasmagambetov met",
        title_derived=True,
        date=dt.date(2024, 2, 16),
        date_origin=DateOrigin.LEAD,
        lead=BRIEF_LEAD,
        paragraphs=(BRIEF_LEAD,),
        language="en",
    )
    return _entry("c1d2", release, published=dt.datetime(2024, 2, 16, tzinfo=MSK), slug="on-16")


def all_entries() -> list[Entry]:
    return [council(), session(), undated(), russian(), brief()]


class _Page(HTMLParser):
    """Collects what the assertions need from a rendered page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self.icons: list[str] = []
        self.alternates: list[dict[str, str | None]] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._in: list[str] = []
        self.texts: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "link" and attributes.get("rel") == "icon":
            # The icon is inline data, so it is the one reference that is not a web address.
            self.icons.append(attributes.get("href") or "")
            return
        self.urls += [v or "" for k, v in attrs if k in ("href", "src", "cite")]
        if tag == "link" and attributes.get("rel") == "alternate":
            self.alternates.append(attributes)
        if tag in ("h1", "title", "h3"):
            self._in.append(tag)
            self.texts.setdefault(tag, []).append("")

    def handle_endtag(self, tag: str) -> None:
        if self._in and self._in[-1] == tag:
            self._in.pop()

    def handle_data(self, data: str) -> None:
        if self._in:
            self.texts[self._in[-1]][-1] += data


def parse(page: bytes) -> _Page:
    parser = _Page()
    parser.feed(page.decode("utf-8"))
    parser.close()
    return parser


def alternates_of(section_id: str, base: str = "") -> list[tuple[str, str]]:
    base = f"{base}{section_id}/"
    return [
        ("application/atom+xml", base + "atom.xml"),
        ("application/rss+xml", base + "rss.xml"),
        ("application/feed+json", base + "feed.json"),
    ]


# --- content helpers -------------------------------------------------------------------


def test_entry_link_prefers_the_canonical_url() -> None:
    assert entry_link(session(), SITE) == SESSION_URL
    assert entry_link(council(), SITE) == (
        "https://feeds.example.org/csto/releases/2018/11/at-the-permanent-council-1a2b.html"
    )


def test_section_feed_urls() -> None:
    assert section_feed_urls("joint-staff", SITE) == {
        "atom": "https://feeds.example.org/csto/joint-staff/atom.xml",
        "rss": "https://feeds.example.org/csto/joint-staff/rss.xml",
        "json": "https://feeds.example.org/csto/joint-staff/feed.json",
        "html": "https://feeds.example.org/csto/joint-staff/index.html",
    }


def test_content_leaves_bare_image_names_out() -> None:
    body = (DATA / "body-council.html").read_text("utf-8").strip()
    # File names with no address are not text of the release: the content is the body alone.
    assert entry_content_html(council(), SITE) == body


def test_content_adds_only_what_the_body_does_not_show() -> None:
    assert entry_content_html(session(), SITE) == (
        "<p>The session of the Collective Security Council opened in Minsk &amp; online. "
        '<a href="https://en.odkb-csto.org/news/news_odkb/">Other news</a> of the week.</p>\n'
        '<p><img src="https://en.odkb-csto.org/upload/iblock/hall.jpg" alt="The hall"></p>\n'
        "<p>Broadcast of the meeting: "
        '<a href="https://www.youtube.com/watch?v=abc123">https://www.youtube.com/watch?v=abc123</a>'
        "</p>\n"
        '<figure><img src="https://en.odkb-csto.org/upload/iblock/flags.jpg" alt="flags.jpg">'
        "</figure>\n"
        '<ul><li><a href="https://en.odkb-csto.org/upload/Annex%202.pdf">Annex 2.pdf</a></li>'
        '<li><a href="https://example.org/more?a=1&amp;b=2">'
        "https://example.org/more?a=1&amp;b=2</a></li></ul>"
    )


def test_content_without_html_body_is_made_of_escaped_paragraphs() -> None:
    entry = undated()
    entry = replace(entry, release=replace(entry.release, paragraphs=("A < B & C", "Second")))
    assert entry_content_html(entry, SITE) == "<p>A &lt; B &amp; C</p><p>Second</p>"


def test_relative_references_are_resolved_or_dropped() -> None:
    body = '<p><a href="notes.html">notes</a> <a href="/upload/a.pdf">a</a> <a href="#x">x</a></p>'
    dump = replace(council(), release=replace(council().release, body_html=body, images=()))
    assert entry_content_html(dump, SITE) == (
        '<p><a>notes</a> <a href="https://en.odkb-csto.org/upload/a.pdf">a</a> <a>x</a></p>'
    )
    page = replace(dump, release=replace(dump.release, url=SESSION_URL))
    assert entry_content_html(page, SITE) == (
        f'<p><a href="{SESSION_URL}notes.html">notes</a> '
        '<a href="https://en.odkb-csto.org/upload/a.pdf">a</a> '
        f'<a href="{SESSION_URL}#x">x</a></p>'
    )


def test_content_never_holds_a_relative_reference() -> None:
    for entry in all_entries():
        urls = parse(entry_content_html(entry, SITE).encode()).urls
        assert all(u.startswith(("https://", "http://", "mailto:")) for u in urls), urls


def test_summary_is_the_lead_cut_at_a_word() -> None:
    assert entry_summary_text(council()) == COUNCIL_LEAD
    assert len(BRIEF_LEAD) == 569
    assert entry_summary_text(brief()) == (
        "On 16 February 2024, the CSTO Secretary General Imangali Tasmagambetov met with the "
        "Ambassador Extraordinary and Plenipotentiary of the Republic of Belarus to discuss the "
        "preparations for the meeting of the Council of Foreign Ministers, the plan of joint "
        "exercises of the Collective Forces for the current year, the work of the Joint Staff on "
        "crisis response, cooperation with the Shanghai…"
    )
    # A word that ends right at the limit is kept whole; one cut by it is dropped.
    assert entry_summary_text(brief(), limit=30) == "On 16 February 2024, the CSTO…"
    assert entry_summary_text(brief(), limit=29) == "On 16 February 2024, the…"
    assert entry_summary_text(brief(), limit=10_000) == BRIEF_LEAD
    assert "Zaynetdinov" not in entry_summary_text(council(), limit=10_000)


# --- release page ----------------------------------------------------------------------


def test_release_page_escapes_the_title_once() -> None:
    page = render_release_page(session(), site=SITE, section=STAFF).decode()
    assert "<h1>Q&amp;A: Joint Staff &lt;briefing&gt; on exercises</h1>" in page
    assert (
        "<title>Q&amp;A: Joint Staff &lt;briefing&gt; on exercises · CSTO releases</title>" in page
    )
    assert "&amp;amp;" not in page and "&amp;lt;" not in page
    assert parse(page.encode()).texts["h1"] == ["Q&A: Joint Staff <briefing> on exercises"]


def test_release_page_with_canonical_url() -> None:
    page = render_release_page(session(), site=SITE, section=STAFF).decode()
    assert page.startswith('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n')
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert f'<link rel="canonical" href="{SESSION_URL}">' in page
    assert f'<p class="note">Original: <a href="{SESSION_URL}">{SESSION_URL}</a></p>' in page
    assert (
        '<p class="meta"><time datetime="2024-05-16">16 May 2024</time> · '
        '<a href="../../../joint-staff/index.html">Joint Staff</a></p>'
    ) in page
    # A file known only by name is listed as such, apart from the text.
    assert (
        '<p class="note">Images and attachments (file names only; the files are on the original '
        "page): 39357fa0c1.docx</p>"
    ) in page
    assert "<article>" in page and "</article>" in page
    assert "<script" not in page


def test_release_page_from_a_stored_copy() -> None:
    page = render_release_page(council(), site=SITE, section=NEWS).decode()
    assert 'rel="canonical"' not in page
    assert (
        '<p class="note">This text comes from a stored copy of '
        '<a href="https://en.odkb-csto.org/">https://en.odkb-csto.org/</a>; '
        "the address of the original page is not known.</p>"
    ) in page
    assert "<p>Images: " not in page
    assert (
        '<p class="note">Images and attachments (file names only; the files are on the original '
        "page): ZVF_2142.JPG, ZVF_2150.JPG</p>"
    ) in page
    assert "odkb-pressa" not in page
    assert '<time datetime="2018-11-27">27 November 2018</time>' in page


def test_release_page_of_an_undated_release_says_first_seen() -> None:
    page = render_release_page(undated(), site=SITE, section=NEWS).decode()
    # 08:15 UTC is 11:15 in Moscow, the same calendar day.
    assert (
        '<p class="meta">Date unknown; first seen '
        '<time datetime="2024-07-03T08:15:00+00:00">3 July 2024</time>'
    ) in page


def test_release_page_of_a_russian_release() -> None:
    page = render_release_page(russian(), site=SITE, section=NEWS).decode()
    assert '<html lang="ru">' in page
    assert "<h1>Генеральный секретарь ОДКБ провёл встречу с директором РАТС ШОС</h1>" in page
    # A release page is worded in its release's language, dates included.
    assert '<p class="meta"><time datetime="2025-05-28">28 мая 2025 г.</time>' in page
    assert '<p class="note">Оригинал: <a href="https://odkb-csto.org/' in page
    assert "<p>Подписаться на раздел «CSTO news»:</p>" in page
    assert "Original" not in page and "Follow" not in page


def test_release_page_of_a_brief_says_what_it_is() -> None:
    page = render_release_page(brief(), site=SITE, section=NEWS).decode()
    assert (
        '<p class="note">This is a short teaser as the site shows it beside other releases, '
        "so its title is its first sentence.</p>"
    ) in page
    assert (
        '<p class="meta"><time datetime="2024-02-16">16 February 2024</time> (date estimated)'
    ) in page
    assert f"<p>{BRIEF_LEAD}</p>" in page


@pytest.mark.parametrize("make", [council, session, undated, russian, brief])
def test_release_pages_link_relatively_and_announce_their_feeds(make: Callable[[], Entry]) -> None:
    entry = make()
    section = {"news": NEWS, "joint-staff": STAFF}[entry.section]
    first = render_release_page(entry, site=SITE, section=section)
    assert first == render_release_page(entry, site=SITE, section=section)
    page = parse(first)
    # Pages link to each other relatively (they work from a folder or any host); the only
    # absolute addresses are the original site's and links the release itself carries.
    assert page.urls and not any(SITE.public_url in u for u in page.urls), page.urls
    here = f"https://host.invalid/out/{entry.page_path}"
    inside = [urljoin(here, u) for u in page.urls if "://" not in u]
    assert inside and all(u.startswith("https://host.invalid/out/") for u in inside), inside
    assert "https://host.invalid/out/index.html" in inside
    assert [(a["type"], a["href"]) for a in page.alternates] == alternates_of(
        section.id, "../../../"
    )
    assert page.texts["h1"] == [entry.release.title]
    assert len(page.icons) == 1 and page.icons[0].startswith("data:image/svg+xml,%3Csvg%20")
    assert not set('" #<>') & set(page.icons[0])


# --- section page and index ------------------------------------------------------------


def test_section_page_lists_latest_visible_entries_newest_first() -> None:
    hidden = replace(russian(), id="tag:feeds,2024-05-20:release/hidden", hidden=True)
    entries = [council(), undated(), brief(), hidden, session(), russian()]
    page = parse(render_section_page(ALL, members("all", entries)[:4], site=SITE))
    assert page.texts["h3"] == [
        "Генеральный секретарь ОДКБ провёл встречу с директором РАТС ШОС",
        "The CSTO Secretary General took part in the meeting of the Council of the PA",
        "Q&A: Joint Staff <briefing> on exercises",
        "On 16 February 2024, the CSTO Secretary General Imangali Tasmagambetov met",
    ]
    assert page.texts["title"] == ["All releases · CSTO releases"]


def test_section_page_links_and_feeds() -> None:
    raw = render_section_page(NEWS, [council(), russian(), brief()], site=SITE)
    assert raw == render_section_page(NEWS, [council(), russian(), brief()], site=SITE)
    page = raw.decode()
    assert [(a["type"], a["href"]) for a in parse(raw).alternates] == [
        ("application/atom+xml", "atom.xml"),
        ("application/rss+xml", "rss.xml"),
        ("application/feed+json", "feed.json"),
    ]
    assert (
        '<link rel="alternate" type="application/feed+json" title="CSTO news (JSON Feed)" '
        'href="feed.json">'
    ) in page
    assert '<p class="desc">Meetings, councils and exercises.</p>' in page
    assert ('<li><a href="rss.xml" type="application/rss+xml">RSS</a></li>') in page
    # A known original is the title's target; the release page stays reachable.
    assert '<h3><a href="https://odkb-csto.org/news/news_odkb/sostoyalas-vstrecha/">' in page
    assert ('<a href="../releases/2025/05/generalnyy-9a0b.html">Release page</a>') in page
    # Listing pages keep the site's wording and mark a release in another language.
    assert '<li lang="ru">' in page
    assert '<p class="meta" lang="en"><time datetime="2025-05-28">28 May 2025</time>' in page
    assert f"<p>{COUNCIL_LEAD}</p>" in page
    assert (
        '<p class="meta"><time datetime="2024-02-16">16 February 2024</time> (date estimated)</p>'
    ) in page
    assert not any(SITE.public_url in u for u in parse(raw).urls)


def test_empty_section_page() -> None:
    page = render_section_page(STAFF, [], site=SITE).decode()
    assert '<p class="note">No releases yet.</p>' in page


def test_index_lists_every_section_and_feed() -> None:
    entries = all_entries()
    news = [e for e in entries if e.section == "news"]
    staff = [e for e in entries if e.section == "joint-staff"]
    sections = [(ALL, newest_first(entries)), (NEWS, newest_first(news)), (STAFF, staff)]
    raw = render_index(sections, site=SITE, per_section=2)
    assert raw == render_index(sections, site=SITE, per_section=2)
    page = parse(raw)
    assert [(a["type"], a["href"]) for a in page.alternates] == (
        alternates_of("all") + alternates_of("news") + alternates_of("joint-staff")
    )
    assert page.texts["h1"] == ["CSTO releases"]
    assert page.texts["h3"] == [
        "Генеральный секретарь ОДКБ провёл встречу с директором РАТС ШОС",
        "The CSTO Secretary General took part in the meeting of the Council of the PA",
        "Генеральный секретарь ОДКБ провёл встречу с директором РАТС ШОС",
        "The CSTO Secretary General took part in the meeting of the Council of the PA",
        "Q&A: Joint Staff <briefing> on exercises",
    ]
    assert "feeds.opml" in page.urls
    for section_id in ("all", "news", "joint-staff"):
        assert f"{section_id}/index.html" in page.urls
    assert not any(SITE.public_url in u for u in page.urls)
    assert b"<p>" + COUNCIL_LEAD.encode() not in raw  # the index shows no summaries


# --- OPML ------------------------------------------------------------------------------


def test_opml_matches_the_expected_file() -> None:
    opml = render_opml([ALL, NEWS, STAFF], site=SITE)
    assert opml == (DATA / "feeds.opml").read_bytes()
    assert opml == render_opml([ALL, NEWS, STAFF], site=SITE)


def test_opml_lists_every_atom_feed() -> None:
    tricky = Section(id="q-a", title='Q&A "briefings" <staff>')
    root = ET.fromstring(render_opml([ALL, NEWS, STAFF, tricky], site=SITE))
    assert root.tag == "opml" and root.get("version") == "2.0"
    head = root.find("head")
    assert head is not None
    assert [child.tag for child in head] == ["title", "docs"]
    outlines = root.findall("./body/outline")
    assert [
        (o.get("type"), o.get("text"), o.get("xmlUrl"), o.get("htmlUrl")) for o in outlines
    ] == [
        (
            "rss",
            title,
            f"https://feeds.example.org/csto/{sid}/atom.xml",
            f"https://feeds.example.org/csto/{sid}/index.html",
        )
        for sid, title in [
            ("all", "All releases"),
            ("news", "CSTO news"),
            ("joint-staff", "Joint Staff"),
            ("q-a", 'Q&A "briefings" <staff>'),
        ]
    ]


def test_style_sheet_is_not_escaped() -> None:
    page = render_index([(ALL, [])], site=SITE).decode()
    assert '"Segoe UI"' in page and 'a[rel="next"]' in page
    assert "&#34;" not in page and "&quot;" not in page


def test_compiled_templates_are_kept_and_a_cache_that_fails_is_no_error(tmp_path: Path) -> None:
    def render(folder: Path) -> str:
        environment = jinja2.Environment(
            loader=jinja2.DictLoader({"page.j2": "<p>{{ text }}</p>"}),
            bytecode_cache=CompiledTemplates(str(folder)),
        )
        return environment.get_template("page.j2").render(text="kept")

    (tmp_path / "kept").mkdir()
    assert render(tmp_path / "kept") == "<p>kept</p>"
    assert len(list((tmp_path / "kept").glob("__jinja2_*.cache"))) == 1
    assert render(tmp_path / "kept") == "<p>kept</p>"
    # A folder that cannot be written (here: gone) leaves the page as it was.
    assert render(tmp_path / "gone") == "<p>kept</p>"
