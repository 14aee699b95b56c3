"""HTML pages of the published output: one per release, a page per section with its
archive pages, and the site index (templates in ``publish/templates``).

Pages are plain HTML5 with a small inline style sheet: no script, no external asset.
Links between pages are relative, so the output folder works from disk, from
``feeds serve`` and from any host; the site's own pages and the original of a release are
linked absolutely.  Wording and dates follow the page's language (:mod:`.wording`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import jinja2
from markupsafe import Markup

from feeds import cache as kept
from feeds.model import Entry, ReleaseKind, Section, Site
from feeds.publish.content import (
    FEED_TYPES,
    entry_content_html,
    entry_language,
    entry_summary_text,
)
from feeds.publish.paths import (
    FEED_FILES,
    INDEX_FILE,
    OPML_FILE,
    archive_page_path,
    relative_link,
    section_page_path,
)
from feeds.publish.wording import Wording, wording
from feeds.text.clean import clean_text

#: The page templates, read from the package's folder.
TEMPLATES = Path(__file__).parent / "templates"
#: Names of the feed formats as readers know them.
FEED_LABELS = {"atom": "Atom", "rss": "RSS", "json": "JSON Feed"}
#: Releases each section shows on the site index.
PER_SECTION = 5


@dataclass(frozen=True)
class _Feed:
    type: str
    label: str
    title: str
    href: str


@dataclass(frozen=True)
class _Item:
    href: str
    title: str
    date: Markup
    lang_attr: Markup
    meta_lang_attr: Markup
    page_href: str | None
    summary: str


class _Page:
    """One page being rendered: where it lies, its language, and links relative to it."""

    def __init__(self, path: str, site: Site, language: str) -> None:
        self.path = path
        self.site = site
        #: The language of the page's content; its wording falls back to English.
        self.lang = language
        self.t = wording(language)

    def href(self, target: str) -> str:
        """A link from this page to ``target`` (a path under the output folder)."""
        return relative_link(target, self.path)

    def feeds(self, section: Section) -> list[_Feed]:
        return [
            _Feed(
                type=media_type,
                label=FEED_LABELS[fmt],
                title=f"{section.title} ({FEED_LABELS[fmt]})",
                href=self.href(f"{section.id}/{FEED_FILES[fmt]}"),
            )
            for fmt, media_type in FEED_TYPES.items()
        ]

    def date(self, entry: Entry) -> Markup:
        """The entry's date as the page shows it, worded by how it is known."""
        release = entry.release
        zone = ZoneInfo(self.site.timezone)
        if entry.date_known:
            day = release.date or entry.published.astimezone(zone).date()
            return _time(entry, day, self.t.date(day))
        if release.date is not None:
            return self.t(
                "date_estimated", date=_time(entry, release.date, self.t.date(release.date))
            )
        seen = entry.first_seen.astimezone(zone).date()
        return self.t("date_unknown", date=_time(entry, seen, self.t.date(seen)))

    def items(self, entries: Sequence[Entry], *, summaries: bool) -> list[_Item]:
        found = []
        for entry in entries:
            language = entry_language(entry, self.site)
            link = entry.release.url or self.href(entry.page_path)
            found.append(
                _Item(
                    href=link,
                    title=entry.release.title,
                    date=self.date(entry),
                    lang_attr=_lang_attr(language, self.lang),
                    meta_lang_attr=_lang_attr(self.t.language, language),
                    # The title leads to the original; our own copy stays one click away.
                    page_href=self.href(entry.page_path) if entry.release.url else None,
                    summary=entry_summary_text(entry) if summaries else "",
                )
            )
        return found

    def render(self, template: str, **values: Any) -> bytes:
        defaults = {"canonical": None, "description": "", "wide": False}
        html = (
            _environment()
            .get_template(template)
            .render(
                site=self.site,
                t=self.t,
                lang=self.lang,
                icon=_icon_url(),
                style=_style_sheet(),
                home=self.href(INDEX_FILE),
                # Labels are in the wording's language, which may not be the content's.
                chrome_lang=_lang_attr(self.t.language, self.lang),
                **(defaults | values),
            )
        )
        # Text stored by any version of feeds: no control character reaches a page.
        return clean_text(html).encode("utf-8")


def render_release_page(entry: Entry, *, site: Site, section: Section) -> bytes:
    """The page of one release: title, date, section, full text and where it comes from."""
    release = entry.release
    page = _Page(entry.page_path, site, entry_language(entry, site))
    t = page.t
    notes = []
    if release.kind is ReleaseKind.BRIEF:
        notes.append(t("teaser_titled" if release.title_derived else "teaser"))
    if release.url:
        source = t("original", link=_link(release.url, release.url))
    else:
        source = t("stored_copy", site=_link(site.url, site.url))
    return page.render(
        "release.html.j2",
        title=f"{release.title} · {site.title}",
        canonical=release.url,
        alternates=page.feeds(section),
        description=entry_summary_text(entry, limit=200),
        release=release,
        date=page.date(entry),
        section=section,
        section_href=page.href(section_page_path(section.id)),
        notes=notes,
        content=Markup(entry_content_html(entry, site)),
        files=[a.name for a in (*release.images, *release.attachments) if not a.url],
        source=source,
        feeds=page.feeds(section),
    )


def render_section_page(
    section: Section,
    entries: Sequence[Entry],
    *,
    site: Site,
    archive: Sequence[int] = (),
    number: int | None = None,
) -> bytes:
    """A section's page: its latest releases (``number`` None), or one of its archive
    pages, newest first, with links to the newer and older pages.  ``archive`` lists the
    section's archive page numbers, oldest first."""
    path = (
        section_page_path(section.id) if number is None else archive_page_path(section.id, number)
    )
    page = _Page(path, site, site.language)
    if number is None:
        newer = None
        older = page.href(archive_page_path(section.id, archive[-1])) if archive else None
        heading = section.title
    else:
        at = list(archive).index(number)
        newer = page.href(
            archive_page_path(section.id, archive[at + 1])
            if at + 1 < len(archive)
            else section_page_path(section.id)
        )
        older = page.href(archive_page_path(section.id, archive[at - 1])) if at else None
        heading = str(page.t("archive_page", section=section.title, number=number))
    return page.render(
        "section.html.j2",
        title=f"{heading} · {site.title}",
        alternates=page.feeds(section),
        heading=heading,
        section=section,
        feeds=page.feeds(section),
        items=page.items(entries, summaries=True),
        newer=newer,
        older=older,
        opml_link=_link(page.href(OPML_FILE), "OPML"),
    )


def render_index(
    sections_with_entries: Sequence[tuple[Section, Sequence[Entry]]],
    *,
    site: Site,
    per_section: int = PER_SECTION,
) -> bytes:
    """The site index: every section with its latest releases and its feeds."""
    page = _Page(INDEX_FILE, site, site.language)
    cards = [
        {
            "section": section,
            "href": page.href(section_page_path(section.id)),
            "feeds": page.feeds(section),
            "releases": page.items(entries[:per_section], summaries=False),
        }
        for section, entries in sections_with_entries
    ]
    alternates = [feed for section, _ in sections_with_entries for feed in page.feeds(section)]
    return page.render(
        "index.html.j2",
        title=site.title,
        alternates=alternates,
        wide=True,
        cards=cards,
        site_link=_link(site.url, site.url),
        opml_link=_link(page.href(OPML_FILE), OPML_FILE),
        opml_href=page.href(OPML_FILE),
    )


def all_section(site: Site) -> Section:
    """The pseudo-section of every release, titled in the site's language."""
    t: Wording = wording(site.language)
    return Section(id="all", title=str(t("all_releases")), description=str(t("all_description")))


def _time(entry: Entry, day: dt.date, text: str) -> Markup:
    machine = day.isoformat() if entry.release.date is not None else entry.first_seen.isoformat()
    return Markup('<time datetime="{}">{}</time>').format(machine, text)


def _link(href: str, text: str) -> Markup:
    return Markup('<a href="{}">{}</a>').format(href, text)


def _lang_attr(wanted: str, inherited: str) -> Markup:
    """A ``lang`` attribute only where the language differs from the enclosing one."""
    return Markup("") if wanted == inherited else Markup(' lang="{}"').format(wanted)


class CompiledTemplates(jinja2.FileSystemBytecodeCache):
    """Compiled templates in the user's cache folder: compiling them is most of what a
    run that writes a few pages spends on pages.  A cache that cannot be read or written
    (a read-only or full disk) is only slower, never an error of the page."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().load_bytecode(bucket)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


@cache
def _environment() -> jinja2.Environment:
    compiled = kept.private_folder("templates")
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        bytecode_cache=CompiledTemplates(str(compiled)) if compiled else None,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


@cache
def _style_sheet() -> Markup:
    # Our own file, and style text is not HTML: escaping would corrupt its quotes.
    text = (TEMPLATES / "style.css").read_text("utf-8")
    return Markup(text)


@cache
def _icon_url() -> str:
    """The site icon as a data URL: browsers stop asking the server for /favicon.ico,
    and the page keeps needing no file beside it."""
    svg = (TEMPLATES / "icon.svg").read_text("utf-8")
    return "data:image/svg+xml," + quote(svg.strip(), safe="/:=.,")
