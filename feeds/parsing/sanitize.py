"""Sanitising HTML fragments for feeds, and turning them into plain text.

Content from pages and upstream feeds is untrusted and ends up inside XML
documents read by many clients, so it goes through an allow-list (nh3) and
loses every character XML 1.0 cannot carry.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import nh3
from bs4 import BeautifulSoup, Tag
from bs4.element import Comment, NavigableString

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "a", "strong", "em", "b", "i", "u", "ul", "ol", "li", "blockquote",
        "h2", "h3", "h4", "h5", "h6", "img", "figure", "figcaption", "table", "thead",
        "tbody", "tr", "th", "td", "pre", "code", "span", "sub", "sup", "hr",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
# Dropped with everything inside: their content is code, widgets or form controls.
_DROP_WITH_CONTENT = frozenset(
    {"script", "style", "iframe", "object", "embed", "noscript", "template", "form",
     "svg", "math", "select", "textarea", "button", "frameset", "noembed"}
)  # fmt: skip
_URL_ATTRIBUTES = frozenset({"href", "src"})
# Left behind when a bad src or href was removed: useless, so dropped or unwrapped.
_EMPTY_IMG = re.compile(r"<img(?![^>]*\ssrc=)[^>]*>")
_HREFLESS_A = re.compile(r'<a rel="noopener noreferrer">(.*?)</a>', re.DOTALL)
_LINE_BREAKS = re.compile(r"[\r\n\v\f\u2028\u2029]+")
_SIZE = re.compile(r"^\d{1,5}%?$")

# XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
_XML_INVALID = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

_BLOCK_TAGS = frozenset(
    {"p", "div", "li", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "tr",
     "table", "ul", "ol", "figure", "figcaption", "section", "article", "hr", "dd", "dt"}
)  # fmt: skip


def strip_xml_invalid(text: str) -> str:
    """Remove characters XML 1.0 forbids (controls, lone surrogates, U+FFFE/U+FFFF)."""
    return _XML_INVALID.sub("", text)


def _safe_url(value: str, base_url: str | None) -> str | None:
    """An absolute http(s)/mailto URL, or None when the URL must go."""
    # Browsers ignore whitespace and controls inside schemes ("java\tscript:").
    value = "".join(ch for ch in value.strip() if ch >= " " and ch != "\x7f")
    if not value:
        return None
    scheme = urlsplit(value).scheme.lower()
    if not scheme:
        if base_url is None:
            return None
        value = urljoin(base_url, value)
        scheme = urlsplit(value).scheme.lower()
    return value if scheme in URL_SCHEMES else None


def sanitize_html(fragment: str, *, base_url: str | None) -> str:
    """Clean an HTML fragment to the allow-list; make its links absolute.

    Relative ``href``/``src`` values are resolved against ``base_url``; without a
    base they are dropped, since a relative link in a feed points nowhere.
    """

    def keep_attribute(tag: str, attribute: str, value: str) -> str | None:
        if attribute in _URL_ATTRIBUTES:
            return _safe_url(value, base_url)
        if attribute in {"width", "height", "colspan", "rowspan"}:
            return value.strip() if _SIZE.match(value.strip()) else None
        return value

    cleaned = nh3.clean(
        strip_xml_invalid(fragment),
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(_DROP_WITH_CONTENT),
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=keep_attribute,
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
    cleaned = _EMPTY_IMG.sub("", cleaned)
    cleaned = _HREFLESS_A.sub(r"\1", cleaned)
    return strip_xml_invalid(cleaned).strip()


def html_paragraphs(fragment: str) -> tuple[str, ...]:
    """Plain-text paragraphs of a fragment: one per block, whitespace collapsed."""
    fragment = strip_xml_invalid(fragment)
    if not fragment.strip():
        return ()
    soup = BeautifulSoup(fragment, "lxml")
    for bad in soup.find_all(sorted(_DROP_WITH_CONTENT)):
        bad.decompose()
    return tag_paragraphs(soup)


def tag_paragraphs(element: Tag) -> tuple[str, ...]:
    """Plain-text paragraphs of an already parsed element."""
    chunks: list[str] = []
    _collect_text(element, chunks)
    lines = (" ".join(part.split()) for part in "".join(chunks).split("\n"))
    return tuple(line for line in lines if line)


def _collect_text(element: Tag, chunks: list[str]) -> None:
    """Append the element's text, with a newline at every block or <br> edge."""
    block = element.name in _BLOCK_TAGS or element.name == "br"
    if block:
        chunks.append("\n")
    for child in element.children:
        if isinstance(child, Tag):
            _collect_text(child, chunks)
        elif isinstance(child, NavigableString) and not isinstance(child, Comment):
            # Line breaks in the source are layout; only blocks and <br> end a line.
            chunks.append(_LINE_BREAKS.sub(" ", str(child)))
    if block:
        chunks.append("\n")


def html_links(fragment: str) -> tuple[str, ...]:
    """The distinct ``href`` values of a fragment's links, in order."""
    found: dict[str, None] = {}
    for anchor in BeautifulSoup(fragment, "lxml").find_all("a", href=True):
        href = anchor.get("href")
        if isinstance(href, str) and href:
            found.setdefault(href, None)
    return tuple(found)


def html_to_text(fragment: str) -> str:
    """Plain text of a fragment: paragraphs separated by a blank line."""
    return "\n\n".join(html_paragraphs(fragment))
