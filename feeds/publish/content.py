"""What every published format says about one entry: its link, its HTML content, its summary.

Atom, RSS, JSON Feed and the HTML pages all call these functions, so a release reads the
same everywhere.  Every URL produced here is absolute: feed readers and validators resolve
nothing against the place a document is served from.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

from feeds.model import Asset, Entry, Release, Site
from feeds.publish.paths import FEED_FILES
from feeds.text.html import html_to_text, referenced_urls, sanitize_html
from feeds.text.urls import CONTENT_SCHEMES, is_absolute

#: File name of each feed of a section, by format.

#: Media type of each feed format, as autodiscovery links announce it.
FEED_TYPES = {
    "atom": "application/atom+xml",
    "rss": "application/rss+xml",
    "json": "application/feed+json",
}

_SPACES = re.compile(r"\s+")


def page_url(entry: Entry, site: Site) -> str:
    """Public URL of the entry's own release page."""
    return site.public_url + entry.page_path


def entry_link(entry: Entry, site: Site) -> str:
    """The canonical site URL when known, else the release page under ``public_url``."""
    return entry.release.url or page_url(entry, site)


def entry_language(entry: Entry, site: Site) -> str:
    """Language of the release text, falling back to the site's."""
    return entry.release.language or site.language


def section_feed_urls(section_id: str, site: Site) -> dict[str, str]:
    """Absolute URLs of a section's feeds and page, keyed atom/rss/json/html."""
    return {fmt: f"{site.public_url}{section_id}/{name}" for fmt, name in FEED_FILES.items()}


def entry_summary_text(entry: Entry, limit: int = 400) -> str:
    """Plain-text summary: the lead (or first paragraph), cut at a word boundary.

    Only the lead and paragraphs are read, never ``contacts``: parsers keep the signature
    and navigation out of both.
    """
    release = entry.release
    text = release.lead or next((p for p in release.paragraphs if p.strip()), "")
    if not text and release.body_html:
        text = html_to_text(release.body_html)
    return shorten(_SPACES.sub(" ", text).strip(), limit)


def shorten(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters at a word boundary, ending with "…"."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if not text[limit - 1].isspace():
        space = cut.rfind(" ")
        # A single huge word has no boundary to respect: cut it where it is.
        if space > 0:
            cut = cut[:space]
    return cut.rstrip(" ,;:-–—") + "…"


def entry_content_html(entry: Entry, site: Site) -> str:
    """The entry's full content as an HTML fragment with absolute references only.

    The body comes first, then the pictures, attachments and links with a known URL that
    the body does not already point to.  A bare file name from a dump is no link and no
    text of the release: it is listed on the release page only.
    """
    return _content_html(entry.release, site.url)


# An entry is in its section's feeds and in the feed of everything, each in three
# formats: its content is made once, not six times (sanitising is most of the cost).
@lru_cache(maxsize=1024)
def _content_html(release: Release, site_url: str) -> str:
    if release.body_html:
        body = sanitize_html(release.body_html, base_url=release.url, site_url=site_url, rel=False)
    else:
        paragraphs = [p for p in release.paragraphs if p.strip()] or [release.lead]
        body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs if p)
    addressed = any(a.url for a in (*release.images, *release.attachments))
    # Only a release with addresses of its own needs to know which the body shows.
    present = referenced_urls(body) if addressed or release.links else set()
    parts = [body]
    for image in linked(release.images, present):
        parts.append(
            f'<figure><img src="{_attr(image.url or "")}" alt="{_attr(image.name)}"></figure>'
        )
    files = linked(release.attachments, present)
    links = [u for u in dict.fromkeys(release.links) if is_absolute(u, CONTENT_SCHEMES)]
    items = [f'<li><a href="{_attr(a.url or "")}">{html.escape(a.name)}</a></li>' for a in files]
    items += [
        f'<li><a href="{_attr(u)}">{html.escape(u)}</a></li>' for u in links if u not in present
    ]
    if items:
        parts.append("<ul>" + "".join(items) + "</ul>")
    return "\n".join(p for p in parts if p)


def linked(assets: tuple[Asset, ...], present: set[str]) -> list[Asset]:
    """Assets with an absolute URL the body does not already point to."""
    return [a for a in assets if a.url and is_absolute(a.url) and a.url not in present]


def _attr(value: str) -> str:
    """Escape a value for a double-quoted attribute."""
    return html.escape(value, quote=True)
