"""Atom 1.0 and RSS 2.0 documents, including RFC 5005 archives.

The only module that imports feedgen.  feedgen stamps the current time and prepends
entries unless told otherwise, so every date and the entry order are set explicitly:
the same entries always give the same bytes.  What feedgen cannot express (per-entry
language, archive markers, hub links) is added through its extension hooks
(:mod:`feeds.publish.feedgen_ext`).
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from feedgen.feed import FeedGenerator

from feeds import __version__
from feeds.model import Entry, Section, Site
from feeds.publish.content import entry_content_html, entry_language, entry_link, entry_summary_text
from feeds.publish.feedgen_ext import (
    AtomEntryExtension,
    AtomFeedExtension,
    RssEntryExtension,
    RssFeedExtension,
)
from feeds.text.clean import clean_text

#: Minutes a reader may cache an RSS channel.
RSS_TTL = 60
#: ``updated`` of a feed with no entries: a fixed instant, never the time of the run, and
#: not the Unix epoch either, which validators flag as an implausible date.  It is the
#: date of the feed ids (``tag:…,2024:feed/…``).
EMPTY_FEED_UPDATED = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
GENERATOR_URI = "https://pypi.org/project/feeds/"


@dataclass(frozen=True)
class FeedDocument:
    """What one Atom or RSS document is about; links are absolute URLs."""

    section: Section
    entries: Sequence[Entry]
    self_url: str
    html_url: str
    #: The subscription document (RFC 5005 "current"), for archive documents.
    current_url: str | None = None
    prev_archive: str | None = None
    next_archive: str | None = None
    is_archive: bool = False
    hub: str | None = None
    #: Section id -> title, to label entries of other sections (in ``all``).
    section_titles: Mapping[str, str] = field(default_factory=dict)


def xml_text(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot carry (lxml refuses them), nor any
    other control character, escape sequence or bidi override (:func:`clean_text`, the
    one filter): a form feed or vertical tab from a text dump becomes a space."""
    return clean_text(text)


def _escaped_text(text: str) -> str:
    """Plain text as an HTML fragment that shows exactly that text."""
    return html.escape(xml_text(text), quote=False)


def feed_id(site: Site, section_id: str) -> str:
    return f"tag:{site.id_authority},2024:feed/{section_id}"


def feed_title(site: Site, section: Section) -> str:
    return site.title if section.id == "all" else f"{site.title}: {section.title}"


def _updated(entries: Sequence[Entry]) -> dt.datetime:
    return max((e.updated for e in entries), default=EMPTY_FEED_UPDATED)


def _base(site: Site, doc: FeedDocument) -> FeedGenerator:
    fg = FeedGenerator()
    fg.title(feed_title(site, doc.section))
    fg.language(site.language)
    fg.generator("feeds", version=__version__, uri=GENERATOR_URI)
    return fg


def render_atom(site: Site, doc: FeedDocument) -> bytes:
    fg = _base(site, doc)
    fg.register_extension("feeds", AtomFeedExtension, AtomEntryExtension, atom=True, rss=False)
    extension: AtomFeedExtension = fg.feeds
    extension.hub = doc.hub
    extension.archive = doc.is_archive
    extension.current = doc.current_url
    extension.prev_archive = doc.prev_archive
    extension.next_archive = doc.next_archive
    suffix = "" if not doc.is_archive else f"/archive/{doc.self_url.rsplit('/', 1)[-1]}"
    fg.id(feed_id(site, doc.section.id) + suffix)
    fg.subtitle(doc.section.description or f"Releases of {site.title}: {doc.section.title}")
    fg.author({"name": site.title, "uri": site.url})
    fg.link(href=doc.self_url, rel="self", type="application/atom+xml")
    fg.link(href=doc.html_url, rel="alternate", type="text/html")
    fg.updated(_updated(doc.entries))
    for entry in doc.entries:
        fe = fg.add_entry(order="append")
        fe.feeds.language = entry_language(entry, site)
        fe.id(entry.id)
        fe.title(xml_text(entry.release.title))
        fe.link(href=entry_link(entry, site), rel="alternate", type="text/html")
        fe.published(entry.published)
        fe.updated(entry.updated)
        # As escaped HTML: a plain-text summary quoting markup ("</script>") is what
        # validators flag as undeclared HTML, and readers treat summaries as HTML anyway.
        fe.summary(_escaped_text(entry_summary_text(entry)), type="html")
        fe.content(xml_text(entry_content_html(entry, site)), type="html")
        fe.category(term=entry.section, label=_section_label(doc, entry))
    return _document(fg.atom_str(pretty=True, xml_declaration=False))


def _section_label(doc: FeedDocument, entry: Entry) -> str:
    if doc.section.id == entry.section:
        return doc.section.title
    return doc.section_titles.get(entry.section, entry.section)


def render_rss(site: Site, doc: FeedDocument) -> bytes:
    fg = _base(site, doc)
    fg.register_extension("feeds", RssFeedExtension, RssEntryExtension, atom=False, rss=True)
    extension: RssFeedExtension = fg.feeds
    extension.hub = doc.hub
    # feedgen makes the last link the channel's <link>: that must be the HTML page.
    fg.link(href=doc.self_url, rel="self", type="application/rss+xml")
    fg.link(href=doc.html_url, rel="alternate")
    fg.description(doc.section.description or f"Releases of {site.title}: {doc.section.title}")
    fg.lastBuildDate(_updated(doc.entries))
    fg.ttl(RSS_TTL)
    for entry in doc.entries:
        fe = fg.add_entry(order="append")
        fe.feeds.language = entry_language(entry, site)
        fe.title(xml_text(entry.release.title))
        fe.link(href=entry_link(entry, site))
        fe.guid(entry.id, permalink=False)
        fe.pubDate(entry.published)
        # Readers take description as HTML: the plain-text summary is escaped once more,
        # or a "<session>" in it would be read as a tag.
        fe.description(_escaped_text(entry_summary_text(entry)))
        fe.content(xml_text(entry_content_html(entry, site)))
        fe.category(term=_section_label(doc, entry))
    return _document(fg.rss_str(pretty=True, xml_declaration=False))


def _document(body: bytes) -> bytes:
    """The serialised tree with our XML declaration (double quotes, lower-case utf-8)."""
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + body
