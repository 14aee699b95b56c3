"""HTML pages of the published output: one per release, one per section, and the site index.

Pages are plain HTML5 with a small inline style sheet: no script, no external asset, so a
page reads the same wherever it is served.  Every link is absolute (built from
``site.public_url``), every text is escaped exactly once, and nothing depends on the clock.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from functools import cache
from importlib import resources
from urllib.parse import quote
from zoneinfo import ZoneInfo

from feeds.model import Entry, ReleaseKind, Section, Site
from feeds.publish.content import (
    FEED_TYPES,
    entry_content_html,
    entry_language,
    entry_link,
    entry_summary_text,
    page_url,
    section_feed_urls,
)

#: Names of the feed formats as readers know them.
FEED_LABELS = {"atom": "Atom", "rss": "RSS", "json": "JSON Feed"}
#: Month names of displayed dates: fixed here so output never depends on the locale.
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
OPML_FILE = "feeds.opml"


def render_release_page(entry: Entry, *, site: Site, section: Section) -> bytes:
    """The page of one release: title, date, section, full text and where it comes from."""
    release = entry.release
    lang = entry_language(entry, site)
    chrome = _lang_attr(site.language, lang)
    section_url = section_feed_urls(section.id, site)["html"]
    head = _alternate_links([section], site)
    if release.url:
        head.insert(0, f'<link rel="canonical" href="{_attr(release.url)}">')
    summary = entry_summary_text(entry, limit=200)
    if summary:
        head.append(f'<meta name="description" content="{_attr(summary)}">')

    notes = []
    if release.kind is ReleaseKind.BRIEF:
        notes.append(
            "This is a short teaser as the site shows it beside other releases"
            + (", so its title was made from its first sentence." if release.title_derived else ".")
        )
    if release.url:
        source = f'Original: <a href="{_attr(release.url)}">{_text(release.url)}</a>'
    else:
        source = (
            "This text comes from a stored copy of "
            f'<a href="{_attr(site.url)}">{_text(site.url)}</a>; '
            "the address of the original page is not known."
        )
    article = [
        "<article>",
        f"<h1>{_text(release.title)}</h1>",
        f'<p class="meta"{chrome}>{_date_html(entry, site)} · '
        f'<a href="{_attr(section_url)}">{_text(section.title)}</a></p>',
        *(f'<p class="note"{chrome}>{_text(n)}</p>' for n in notes),
        f'<div class="body">\n{entry_content_html(entry, site)}\n</div>',
        f'<p class="note"{chrome}>{source}</p>',
        "</article>",
    ]
    foot = f"<p>Follow {_text(section.title)}:</p>\n{_subscribe_list(section, site)}"
    return _document(
        site=site,
        lang=lang,
        title=f"{release.title} · {site.title}",
        head=head,
        main="\n".join(article),
        foot=foot,
    )


def render_section_page(section: Section, entries: Sequence[Entry], *, site: Site) -> bytes:
    """A section's page: its latest releases (newest first) with dates and summaries."""
    shown = entries
    parts = [f"<h1>{_text(section.title)}</h1>"]
    if section.description:
        parts.append(f'<p class="desc">{_text(section.description)}</p>')
    parts.append(_subscribe_list(section, site))
    parts.append(_entry_list(shown, site, summaries=True))
    opml = _attr(_opml_url(site))
    foot = f'<p>All feeds of this site in one file: <a href="{opml}">OPML</a>.</p>'
    return _document(
        site=site,
        lang=site.language,
        title=f"{section.title} · {site.title}",
        head=_alternate_links([section], site),
        main="\n".join(parts),
        foot=foot,
    )


def render_index(
    sections_with_entries: Sequence[tuple[Section, Sequence[Entry]]],
    *,
    site: Site,
    per_section: int = 5,
) -> bytes:
    """The site index: every section with its latest releases and its feeds."""
    opml = _opml_url(site)
    parts = [
        f"<h1>{_text(site.title)}</h1>",
        f'<p class="desc">Press releases of <a href="{_attr(site.url)}">{_text(site.url)}</a>, '
        f"as Atom, RSS and JSON feeds. Every feed in one file for your reader: "
        f'<a href="{_attr(opml)}">{OPML_FILE}</a>.</p>',
    ]
    cards = []
    for section, entries in sections_with_entries:
        section_url = section_feed_urls(section.id, site)["html"]
        heading_id = f"section-{section.id}"
        block = [
            f'<section class="section" aria-labelledby="{_attr(heading_id)}">',
            f'<h2 id="{_attr(heading_id)}"><a href="{_attr(section_url)}">'
            f"{_text(section.title)}</a></h2>",
        ]
        if section.description:
            block.append(f'<p class="desc">{_text(section.description)}</p>')
        block.append(_subscribe_list(section, site))
        block.append(_entry_list(entries[:per_section], site, summaries=False))
        block.append(f'<p><a href="{_attr(section_url)}">More in {_text(section.title)}</a></p>')
        block.append("</section>")
        cards.append("\n".join(block))
    parts.append('<div class="sections">\n' + "\n".join(cards) + "\n</div>")
    return _document(
        site=site,
        lang=site.language,
        title=site.title,
        head=_alternate_links([s for s, _ in sections_with_entries], site),
        main="\n".join(parts),
        foot=f'<p><a href="{_attr(opml)}">All feeds (OPML)</a></p>',
        wide=True,
    )


def display_date(entry: Entry, site: Site) -> tuple[str, str]:
    """(machine value for ``<time datetime>``, human text) of the entry's own date.

    An entry without a date of its own is dated by when it was first seen; the caller
    words it so.
    """
    release = entry.release
    if release.date is not None:
        return release.date.isoformat(), _human(release.date)
    moment = release.published_at or entry.first_seen
    local = moment.astimezone(ZoneInfo(site.timezone))
    return moment.isoformat(), _human(local.date())


def _date_html(entry: Entry, site: Site) -> str:
    machine, human = display_date(entry, site)
    time = f'<time datetime="{_attr(machine)}">{human}</time>'
    return time if entry.date_known else f"Undated; first seen {time}"


def _human(day: dt.date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _entry_list(entries: Sequence[Entry], site: Site, *, summaries: bool) -> str:
    if not entries:
        return '<p class="note">No releases yet.</p>'
    items = []
    for entry in entries:
        lang = _lang_attr(entry_language(entry, site), site.language)
        meta = _date_html(entry, site)
        if entry.release.url:
            # The title leads to the original; our own copy stays one click away.
            meta += f' · <a href="{_attr(page_url(entry, site))}">Release page</a>'
        lines = [
            f"<li{lang}>",
            f'<h3><a href="{_attr(entry_link(entry, site))}">{_text(entry.release.title)}</a></h3>',
            f'<p class="meta"{_lang_attr(site.language, entry_language(entry, site))}>{meta}</p>',
        ]
        summary = entry_summary_text(entry) if summaries else ""
        if summary:
            lines.append(f"<p>{_text(summary)}</p>")
        lines.append("</li>")
        items.append("\n".join(lines))
    return '<ul class="entries">\n' + "\n".join(items) + "\n</ul>"


def _alternate_links(sections: Sequence[Section], site: Site) -> list[str]:
    """Autodiscovery links for every feed of the given sections."""
    links = []
    for section in sections:
        urls = section_feed_urls(section.id, site)
        for fmt, media_type in FEED_TYPES.items():
            title = f"{section.title} ({FEED_LABELS[fmt]})"
            links.append(
                f'<link rel="alternate" type="{media_type}" title="{_attr(title)}" '
                f'href="{_attr(urls[fmt])}">'
            )
    return links


def _subscribe_list(section: Section, site: Site) -> str:
    urls = section_feed_urls(section.id, site)
    items = "".join(
        f'<li><a href="{_attr(urls[fmt])}" type="{media_type}">{FEED_LABELS[fmt]}</a></li>'
        for fmt, media_type in FEED_TYPES.items()
    )
    label = _attr(f"Subscribe to {section.title}")
    return f'<ul class="subscribe" aria-label="{label}">{items}</ul>'


def _document(
    *,
    site: Site,
    lang: str,
    title: str,
    head: Sequence[str],
    main: str,
    foot: str,
    wide: bool = False,
) -> bytes:
    chrome = _lang_attr(site.language, lang)
    home = site.public_url + "index.html"
    lines = [
        "<!DOCTYPE html>",
        f'<html lang="{_attr(lang)}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_text(title)}</title>",
        f'<link rel="icon" type="image/svg+xml" href="{_attr(_icon_url())}">',
        *head,
        f"<style>\n{_style_sheet()}</style>",
        "</head>",
        '<body class="wide">' if wide else "<body>",
        f'<header class="site"{chrome}><a href="{_attr(home)}">{_text(site.title)}</a></header>',
        f"<main>\n{main}\n</main>",
        f'<footer class="foot"{chrome}>\n{foot}\n</footer>',
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(lines).encode("utf-8")


@cache
def _style_sheet() -> str:
    return resources.files("feeds.publish").joinpath("templates/style.css").read_text("utf-8")


@cache
def _icon_url() -> str:
    """The site icon as a data URL: browsers stop asking the server for /favicon.ico,
    and the page keeps needing no file beside it."""
    svg = resources.files("feeds.publish").joinpath("templates/icon.svg").read_text("utf-8")
    return "data:image/svg+xml," + quote(svg.strip(), safe="/:=.,")


def _opml_url(site: Site) -> str:
    return site.public_url + OPML_FILE


def _lang_attr(wanted: str, inherited: str) -> str:
    """A ``lang`` attribute only where the language differs from the enclosing one."""
    return "" if wanted == inherited else f' lang="{_attr(wanted)}"'


def _text(value: str) -> str:
    return html.escape(value, quote=False)


def _attr(value: str) -> str:
    return html.escape(value, quote=True)
