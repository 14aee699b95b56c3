"""What every published format says about one entry: its link, its HTML content, its summary.

Atom, RSS, JSON Feed and the HTML pages all call these functions, so a release reads the
same everywhere.  Every URL produced here is absolute: feed readers and validators resolve
nothing against the place a document is served from.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import nh3

from feeds.model import Asset, Entry, Site

#: Schemes a reference in published content may use.
ABSOLUTE_SCHEMES = frozenset({"http", "https", "mailto"})
#: Attributes that hold a URL in the sanitiser's allowed set.
_URL_ATTRIBUTES = frozenset({"href", "src", "cite"})
#: File name of each feed of a section, by format.
FEED_FILES = {"atom": "atom.xml", "rss": "rss.xml", "json": "feed.json", "html": "index.html"}
#: Media type of each feed format, as autodiscovery links announce it.
FEED_TYPES = {
    "atom": "application/atom+xml",
    "rss": "application/rss+xml",
    "json": "application/feed+json",
}

_SPACES = re.compile(r"\s+")


def is_absolute(url: str) -> bool:
    """True for an http(s) URL with a host, or a mailto: address."""
    parts = urlsplit(url)
    if parts.scheme == "mailto":
        return bool(parts.path)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


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
        text = _html_to_text(release.body_html)
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

    The body comes first, then the images, attachments and links that the body does not
    already point to.  A bare file name from a dump is text, never a link.
    """
    release = entry.release
    if release.body_html:
        body = clean_body_html(release.body_html, base=release.url, site_url=site.url)
    else:
        paragraphs = [p for p in release.paragraphs if p.strip()] or [release.lead]
        body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs if p)
    present = referenced_urls(body)
    parts = [body]

    figures = [a for a in release.images if a.url and a.url not in present]
    for image in figures:
        parts.append(
            f'<figure><img src="{_attr(image.url or "")}" alt="{_attr(image.name)}"></figure>'
        )
    image_names = [a for a in release.images if not a.url]
    if image_names:
        parts.append(_asset_line("Images", image_names))
    attachments = [a for a in release.attachments if not (a.url and a.url in present)]
    if attachments:
        parts.append(_asset_line("Attachments", attachments))
    links = [u for u in dict.fromkeys(release.links) if is_absolute(u) and u not in present]
    if links:
        anchors = ", ".join(f'<a href="{_attr(u)}">{html.escape(u)}</a>' for u in links)
        parts.append(f"<p>Links: {anchors}</p>")
    return "\n".join(p for p in parts if p)


def _asset_line(label: str, assets: list[Asset]) -> str:
    """One paragraph naming assets: a link when the URL is known, plain text otherwise."""
    items = []
    for asset in assets:
        name = html.escape(asset.name)
        if asset.url and is_absolute(asset.url):
            items.append(f'<a href="{_attr(asset.url)}">{name}</a>')
        else:
            items.append(name)
    return f"<p>{label}: {', '.join(items)}</p>"


def clean_body_html(fragment: str, *, base: str | None, site_url: str) -> str:
    """Sanitise a body fragment and make every reference in it absolute.

    A relative reference is resolved against the release's own URL when known; without
    it only a root-relative one ("/upload/x.jpg") can be placed on the site, and any
    other is dropped rather than left to resolve against wherever the output is served.
    """

    def absolute(tag: str, attribute: str, value: str) -> str | None:
        if attribute not in _URL_ATTRIBUTES:
            return value
        value = value.strip()
        if is_absolute(value):
            return value
        if base:
            resolved = urljoin(base, value)
        elif value.startswith("/") and not value.startswith("//"):
            resolved = urljoin(site_url, value)
        else:
            return None
        return resolved if is_absolute(resolved) else None

    cleaned: str = nh3.clean(
        fragment,
        attribute_filter=absolute,
        link_rel=None,
        url_schemes=set(ABSOLUTE_SCHEMES),
    )
    return cleaned.strip()


class _ReferenceCollector(HTMLParser):
    """Collects the href and src values of a fragment."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in _URL_ATTRIBUTES and value:
                self.urls.add(value)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def referenced_urls(fragment: str) -> set[str]:
    """Every href, src and cite value in an HTML fragment, entities decoded."""
    collector = _ReferenceCollector()
    collector.feed(fragment)
    collector.close()
    return collector.urls


def _html_to_text(fragment: str) -> str:
    collector = _ReferenceCollector()
    collector.feed(fragment.replace("</p>", "</p> "))
    collector.close()
    return "".join(collector.text)


def _attr(value: str) -> str:
    """Escape a value for a double-quoted attribute."""
    return html.escape(value, quote=True)
