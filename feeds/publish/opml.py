"""The OPML 2.0 subscription list of every section's Atom feed (``feeds.opml``)."""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

from feeds.model import Section, Site
from feeds.publish.content import section_feed_urls


def render_opml(sections: Sequence[Section], *, site: Site) -> bytes:
    """One outline per section, pointing at its Atom feed and its page.

    No creation or modification date is written: the file changes only when the sections do.
    """
    outlines = []
    for section in sections:
        urls = section_feed_urls(section.id, site)
        attributes = {
            "type": "rss",
            "text": section.title,
            "title": section.title,
            "xmlUrl": urls["atom"],
            "htmlUrl": urls["html"],
        }
        if section.description:
            attributes["description"] = section.description
        attributes["language"] = site.language
        rendered = " ".join(f"{name}={_quote(value)}" for name, value in attributes.items())
        outlines.append(f"    <outline {rendered}/>")
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        "  <head>",
        f"    <title>{escape(site.title)}</title>",
        "    <docs>http://opml.org/spec2.opml</docs>",
        "  </head>",
        "  <body>",
        *outlines,
        "  </body>",
        "</opml>",
        "",
    ]
    return "\n".join(lines).encode("utf-8")


def _quote(value: str) -> str:
    # quoteattr leaves newlines and tabs raw, which XML parsers fold into spaces.
    return quoteattr(value, {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})
