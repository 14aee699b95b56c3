"""Atom 1.0 and RSS 2.0 documents, including RFC 5005 archives.

The only module that imports feedgen.  feedgen stamps the current time and prepends
entries unless told otherwise, so every date and the entry order are set explicitly:
the same entries always give the same bytes.  What feedgen cannot express (per-entry
language, archive markers, hub links) is added to its tree with lxml.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from feedgen.feed import FeedGenerator
from lxml import etree

from feeds import __version__
from feeds.model import Entry, Section, Site
from feeds.publish.content import entry_content_html, entry_language, entry_link, entry_summary_text

ATOM_NS = "http://www.w3.org/2005/Atom"
HISTORY_NS = "http://purl.org/syndication/history/1.0"
DC_NS = "http://purl.org/dc/elements/1.1/"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
#: Minutes a reader may cache an RSS channel.
RSS_TTL = 60
#: ``updated`` of a feed with no entries: a fixed instant, never the time of the run, and
#: not the Unix epoch either, which validators flag as an implausible date.  It is the
#: date of the feed ids (``tag:…,2024:feed/…``).
EMPTY_FEED_UPDATED = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
GENERATOR_URI = "https://pypi.org/project/feeds/"
#: Characters XML 1.0 forbids, and the C1 controls it discourages.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")


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
    """``text`` without the characters XML 1.0 cannot carry (lxml refuses them).

    A form feed or vertical tab from a text dump separates words, so it becomes a space;
    other control characters carry nothing and are dropped.
    """
    return _NOT_XML.sub(lambda m: " " if m.group() in "\x0b\x0c" else "", text)


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
    suffix = "" if not doc.is_archive else f"/archive/{doc.self_url.rsplit('/', 1)[-1]}"
    fg.id(feed_id(site, doc.section.id) + suffix)
    fg.subtitle(doc.section.description or f"Releases of {site.title}: {doc.section.title}")
    fg.author({"name": site.title, "uri": site.url})
    fg.link(href=doc.self_url, rel="self", type="application/atom+xml")
    fg.link(href=doc.html_url, rel="alternate", type="text/html")
    fg.updated(_updated(doc.entries))
    for entry in doc.entries:
        fe = fg.add_entry(order="append")
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
    root = etree.fromstring(fg.atom_str(pretty=False))
    _add_atom_extras(root, site, doc)
    return _serialise(root)


def _section_label(doc: FeedDocument, entry: Entry) -> str:
    if doc.section.id == entry.section:
        return doc.section.title
    return doc.section_titles.get(entry.section, entry.section)


def _add_atom_extras(root: etree._Element, site: Site, doc: FeedDocument) -> None:
    entries = root.findall(f"{{{ATOM_NS}}}entry")
    for element, entry in zip(entries, doc.entries, strict=True):
        element.set(XML_LANG, entry_language(entry, site))
    anchor = root.find(f"{{{ATOM_NS}}}subtitle")
    position = list(root).index(anchor) + 1 if anchor is not None else 0
    extras: list[etree._Element] = []
    if doc.hub and not doc.is_archive:
        extras.append(_atom_link(doc.hub, "hub"))
    if doc.is_archive:
        extras.append(etree.Element(f"{{{HISTORY_NS}}}archive", nsmap={"fh": HISTORY_NS}))
        if doc.current_url:
            extras.append(_atom_link(doc.current_url, "current", "application/atom+xml"))
    if doc.prev_archive:
        extras.append(_atom_link(doc.prev_archive, "prev-archive", "application/atom+xml"))
    if doc.next_archive:
        extras.append(_atom_link(doc.next_archive, "next-archive", "application/atom+xml"))
    for offset, element in enumerate(extras):
        root.insert(position + offset, element)


def _atom_link(href: str, rel: str, media_type: str | None = None) -> etree._Element:
    link = etree.Element(f"{{{ATOM_NS}}}link", href=href, rel=rel)
    if media_type:
        link.set("type", media_type)
    return link


def render_rss(site: Site, doc: FeedDocument) -> bytes:
    fg = _base(site, doc)
    # feedgen makes the last link the channel's <link>: that must be the HTML page.
    fg.link(href=doc.self_url, rel="self", type="application/rss+xml")
    fg.link(href=doc.html_url, rel="alternate")
    fg.description(doc.section.description or f"Releases of {site.title}: {doc.section.title}")
    fg.lastBuildDate(_updated(doc.entries))
    fg.ttl(RSS_TTL)
    for entry in doc.entries:
        fe = fg.add_entry(order="append")
        fe.title(xml_text(entry.release.title))
        fe.link(href=entry_link(entry, site))
        fe.guid(entry.id, permalink=False)
        fe.pubDate(entry.published)
        # Readers take description as HTML: the plain-text summary is escaped once more,
        # or a "<session>" in it would be read as a tag.
        fe.description(_escaped_text(entry_summary_text(entry)))
        fe.content(xml_text(entry_content_html(entry, site)))
        fe.category(term=_section_label(doc, entry))
    rss = etree.fromstring(fg.rss_str(pretty=False))
    root = _with_dc_namespace(rss)
    channel = root.find("channel")
    assert channel is not None
    if doc.hub:
        self_link = channel.find(f"{{{ATOM_NS}}}link")
        index = list(channel).index(self_link) + 1 if self_link is not None else 0
        channel.insert(index, _atom_link(doc.hub, "hub"))
    for item, entry in zip(channel.findall("item"), doc.entries, strict=True):
        language = etree.SubElement(item, f"{{{DC_NS}}}language")
        language.text = entry_language(entry, site)
    return _serialise(root)


def _with_dc_namespace(root: etree._Element) -> etree._Element:
    """Re-root the document so the Dublin Core prefix is declared once, on <rss>."""
    nsmap = dict(root.nsmap)
    nsmap["dc"] = DC_NS
    new_root = etree.Element(root.tag, attrib=dict(root.attrib), nsmap=nsmap)
    for child in root:
        new_root.append(child)
    return new_root


def _serialise(root: etree._Element) -> bytes:
    etree.indent(root, space="  ")
    body: bytes = etree.tostring(root, encoding="UTF-8", xml_declaration=True)
    return (
        body.replace(
            b"<?xml version='1.0' encoding='UTF-8'?>", b'<?xml version="1.0" encoding="utf-8"?>', 1
        )
        + b"\n"
    )
