"""feedgen extensions: what Atom and RSS documents carry beyond feedgen's own fields.

Per-entry language (``xml:lang`` in Atom, ``dc:language`` in RSS), the WebSub hub link
and the RFC 5005 archive markers, added while feedgen builds the document.
"""

from __future__ import annotations

from lxml import etree

ATOM_NS = "http://www.w3.org/2005/Atom"
HISTORY_NS = "http://purl.org/syndication/history/1.0"
DC_NS = "http://purl.org/dc/elements/1.1/"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def atom_link(
    href: str, rel: str, media_type: str | None = None, *, tag: str = f"{{{ATOM_NS}}}link"
) -> etree._Element:
    link = etree.Element(tag, href=href, rel=rel)
    if media_type:
        link.set("type", media_type)
    return link


class AtomFeedExtension:
    """Feed-level additions of an Atom document, placed right after its subtitle.

    feedgen builds Atom elements without a namespace and declares the Atom namespace as
    an attribute of the root, so these are built the same way."""

    def __init__(self) -> None:
        self.hub: str | None = None
        self.archive = False
        self.current: str | None = None
        self.prev_archive: str | None = None
        self.next_archive: str | None = None

    def extend_ns(self) -> dict[str, str]:
        return {}

    def extend_atom(self, feed: etree._Element) -> etree._Element:
        extras: list[etree._Element] = []
        atom = "application/atom+xml"
        if self.hub and not self.archive:
            extras.append(atom_link(self.hub, "hub", tag="link"))
        if self.archive:
            # Declared on the marker itself: only archive documents use the namespace.
            extras.append(etree.Element(f"{{{HISTORY_NS}}}archive", nsmap={"fh": HISTORY_NS}))
            if self.current:
                extras.append(atom_link(self.current, "current", atom, tag="link"))
        if self.prev_archive:
            extras.append(atom_link(self.prev_archive, "prev-archive", atom, tag="link"))
        if self.next_archive:
            extras.append(atom_link(self.next_archive, "next-archive", atom, tag="link"))
        anchor = feed.find("subtitle")
        position = list(feed).index(anchor) + 1 if anchor is not None else 0
        for offset, element in enumerate(extras):
            feed.insert(position + offset, element)
        return feed

    def extend_rss(self, feed: etree._Element) -> etree._Element:
        return feed


class AtomEntryExtension:
    """The language of one Atom entry."""

    def __init__(self) -> None:
        self.language: str | None = None

    def extend_ns(self) -> dict[str, str]:
        return {}

    def extend_atom(self, entry: etree._Element) -> etree._Element:
        if self.language:
            entry.set(XML_LANG, self.language)
        return entry

    def extend_rss(self, entry: etree._Element) -> etree._Element:
        return entry


class RssFeedExtension:
    """The Dublin Core prefix, and the WebSub hub link after the self link."""

    def __init__(self) -> None:
        self.hub: str | None = None

    def extend_ns(self) -> dict[str, str]:
        # feedgen adds its own two prefixes after these: naming them first keeps the
        # declarations in the order atom, content, dc.
        return {"atom": ATOM_NS, "content": CONTENT_NS, "dc": DC_NS}

    def extend_rss(self, feed: etree._Element) -> etree._Element:
        channel = feed.find("channel")
        if self.hub and channel is not None:
            self_link = channel.find(f"{{{ATOM_NS}}}link")
            index = list(channel).index(self_link) + 1 if self_link is not None else 0
            channel.insert(index, atom_link(self.hub, "hub"))
        return feed

    def extend_atom(self, feed: etree._Element) -> etree._Element:
        return feed


class RssEntryExtension:
    """The language of one RSS item, as ``dc:language``."""

    def __init__(self) -> None:
        self.language: str | None = None

    def extend_ns(self) -> dict[str, str]:
        return {}

    def extend_rss(self, item: etree._Element) -> etree._Element:
        if self.language:
            etree.SubElement(item, f"{{{DC_NS}}}language").text = self.language
        return item

    def extend_atom(self, entry: etree._Element) -> etree._Element:
        return entry
