"""HTML fragments: sanitising them for feeds, and reading them as plain text.

Content from pages and upstream feeds is untrusted and ends up inside XML documents read
by many clients, so it goes through an allow-list (nh3), every reference in it is made
absolute, and it loses every character XML cannot carry.
"""

from __future__ import annotations

import re
import threading
from typing import Any
from urllib.parse import urljoin

import nh3
from lxml import etree

from feeds.errors import ParseError
from feeds.text.clean import clean_text
from feeds.text.urls import CONTENT_SCHEMES, is_absolute

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
# Dropped with everything inside: their content is code, widgets or form controls.
DROP_WITH_CONTENT = frozenset(
    {"script", "style", "iframe", "object", "embed", "noscript", "template", "form",
     "svg", "math", "select", "textarea", "button", "frameset", "noembed"}
)  # fmt: skip
_URL_ATTRIBUTES = frozenset({"href", "src", "cite"})
# Left behind when a bad src or href was removed: useless, so dropped or unwrapped.
_EMPTY_IMG = re.compile(r"<img(?![^>]*\ssrc=)[^>]*>")
_HREFLESS_A = re.compile(r'<a rel="noopener noreferrer">(.*?)</a>', re.DOTALL)
# Ends a line of text: a character no parsed page holds (XML cannot carry it).
_LINE_END = "\x00"
_SIZE = re.compile(r"^\d{1,5}%?$")
_BLOCK_TAGS = frozenset(
    {"p", "div", "li", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "tr",
     "table", "ul", "ol", "figure", "figcaption", "section", "article", "hr", "dd", "dt"}
)  # fmt: skip


#: Elements nested deeper than this are no article: real pages nest a few dozen levels,
#: while thousands make sanitisers crawl and recursive code fail.
MAX_DEPTH = 256
# More elements than a parser ever adds around what the markup opens itself.
_IMPLIED_ELEMENTS = 8


def nesting_depth(markup: str, limit: int = MAX_DEPTH) -> int:
    """How deep elements nest in ``markup`` as an HTML parser builds it; counting stops
    just past ``limit``."""
    if "<" not in markup:
        return 0
    parser = etree.HTMLParser(huge_tree=True, no_network=True)
    try:
        root = etree.fromstring(markup.encode("utf-8", "surrogatepass"), parser)
    except etree.LxmlError:
        return 0  # nothing an HTML parser builds a tree of
    if root is None:
        return 0
    deepest = depth = 0
    for event, _element in etree.iterwalk(root, events=("start", "end")):
        depth += 1 if event == "start" else -1
        deepest = max(deepest, depth)
        if deepest > limit:
            break
    return deepest


def check_depth(markup: str, where: str) -> None:
    """Raise :class:`ParseError` naming ``where`` when elements nest too deep."""
    # Every element a parser builds opens with "<" but the few it implies (html, body,
    # p): markup with fewer "<" than the limit cannot nest past it, and most bodies are
    # such, so they are not parsed a second time just to be measured.
    if markup.count("<") + _IMPLIED_ELEMENTS <= MAX_DEPTH:
        return
    if nesting_depth(markup) > MAX_DEPTH:
        raise ParseError(
            where,
            f"elements nested more than {MAX_DEPTH} levels deep: not a readable page "
            "(damaged or hostile markup)",
        )


def _absolute_reference(value: str, base_url: str | None, site_url: str | None) -> str | None:
    """An absolute http(s)/mailto URL for a reference, or None when it must go.

    A relative reference is resolved against ``base_url`` (the page it came from); without
    one only a root-relative reference can be placed on ``site_url``; anything else would
    resolve against wherever the output is served, so it is dropped.
    """
    # Browsers ignore whitespace and controls inside schemes ("java\tscript:").
    value = "".join(ch for ch in value.strip() if ch >= " " and ch != "\x7f")
    if not value:
        return None
    if is_absolute(value, CONTENT_SCHEMES):
        return value
    if ":" in value.split("/", 1)[0]:
        return None  # another scheme: javascript:, data:, file:...
    if base_url is not None:
        resolved = urljoin(base_url, value)
    elif site_url is not None and value.startswith("/") and not value.startswith("//"):
        resolved = urljoin(site_url, value)
    else:
        return None
    return resolved if is_absolute(resolved, CONTENT_SCHEMES) else None


def sanitize_html(
    fragment: str, *, base_url: str | None, site_url: str | None = None, rel: bool = True
) -> str:
    """Clean an HTML fragment to the allow-list with every reference absolute.

    A fragment whose elements nest deeper than :data:`MAX_DEPTH` is a :class:`ParseError`
    naming ``base_url`` (or ``site_url``).

    ``rel`` marks kept links ``noopener noreferrer`` (for bodies read from pages and
    feeds); a fragment already cleaned that way is cleaned again with ``rel=False``.
    """

    check_depth(fragment, base_url or site_url or "HTML content")

    def keep_attribute(tag: str, attribute: str, value: str) -> str | None:
        if attribute in _URL_ATTRIBUTES:
            return _absolute_reference(value, base_url, site_url)
        if attribute in {"width", "height", "colspan", "rowspan"}:
            return value.strip() if _SIZE.match(value.strip()) else None
        return value

    if rel:
        cleaned = nh3.clean(
            clean_text(fragment),
            tags=set(ALLOWED_TAGS),
            clean_content_tags=set(DROP_WITH_CONTENT),
            attributes=ALLOWED_ATTRIBUTES,
            attribute_filter=keep_attribute,
            url_schemes=set(CONTENT_SCHEMES),
            link_rel="noopener noreferrer",
            strip_comments=True,
        )
        cleaned = _EMPTY_IMG.sub("", cleaned)
        cleaned = _HREFLESS_A.sub(r"\1", cleaned)
    else:
        cleaned = nh3.clean(
            fragment,
            attribute_filter=keep_attribute,
            link_rel=None,
            url_schemes=set(CONTENT_SCHEMES),
        )
    return clean_text(cleaned).strip()


_PARSERS = threading.local()


def parse_fragment(fragment: str) -> Any:
    """An HTML fragment (or page) as an lxml tree, the way libxml2's HTML parser reads it;
    its root is the ``html`` element (an empty one for an empty fragment)."""
    parser = getattr(_PARSERS, "parser", None)
    if parser is None:
        # One parser per thread, used again: making one costs more than a small page.
        parser = _PARSERS.parser = etree.HTMLParser()
    try:
        parser.feed(fragment.removeprefix("\ufeff"))
        root = parser.close()
    except Exception:
        _PARSERS.parser = None  # never go on with half a document
        raise
    return root if root is not None else etree.Element("html")


def html_paragraphs(fragment: str) -> tuple[str, ...]:
    """Plain-text paragraphs of a fragment: one per block, whitespace collapsed."""
    fragment = clean_text(fragment)
    if not fragment.strip():
        return ()
    root = parse_fragment(fragment)
    etree.strip_elements(root, *DROP_WITH_CONTENT, with_tail=False)
    return tag_paragraphs(root)


def html_to_text(fragment: str) -> str:
    """Plain text of a fragment: its paragraphs separated by a blank line."""
    return "\n\n".join(html_paragraphs(fragment))


def tag_paragraphs(element: Any) -> tuple[str, ...]:
    """Plain-text paragraphs of an already parsed (lxml) element."""
    chunks: list[str] = []
    _collect_text(element, chunks)
    # Line breaks in the source are layout (whitespace, collapsed with the rest); only
    # blocks and <br> end a line.
    lines = (" ".join(part.split()) for part in "".join(chunks).split(_LINE_END))
    return tuple(line for line in lines if line)


def _collect_text(element: Any, chunks: list[str]) -> None:
    """Append the element's text, with a line end at every block or <br> edge.  Comments
    and processing instructions add nothing; the text after them does.

    A loop over the tree rather than a recursion: however deep the elements nest, no
    RecursionError."""
    # Each item is an element still to enter, or text to append when it comes up.
    pending: list[Any] = [element]
    while pending:
        node = pending.pop()
        if isinstance(node, str):
            chunks.append(node)
            continue
        block = node.tag in _BLOCK_TAGS or node.tag == "br"
        if block:
            chunks.append(_LINE_END)
        if node.text:
            chunks.append(node.text)
        later: list[Any] = []
        for child in node:
            if isinstance(child.tag, str):
                later.append(child)
            if child.tail:
                later.append(child.tail)
        if block:
            later.append(_LINE_END)
        pending.extend(reversed(later))


def html_links(fragment: str) -> tuple[str, ...]:
    """The distinct ``href`` values of a fragment's links, in order."""
    found: dict[str, None] = {}
    for href in parse_fragment(fragment).xpath("//a/@href"):
        if href:
            found.setdefault(str(href), None)
    return tuple(found)


def referenced_urls(fragment: str) -> set[str]:
    """Every href, src and cite value in an HTML fragment, entities decoded."""
    if not fragment.strip():
        return set()
    root = parse_fragment(fragment)
    return {str(value) for value in root.xpath("//@href | //@src | //@cite") if value}
