"""A page as an lxml tree, and what the readers ask of it: text, places, selectors.

The tree is libxml2's, as lenient as any browser-like parser for the pages met here.
Scripts, styles and widgets leave the tree when a page is read; an element taken out
(those, or a navigation line, a signature) leaves an empty comment in its place, so
the runs of text on either side stay apart, as they were in the page.  Text functions
skip comments.
"""

from __future__ import annotations

import copy as copy_module
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import cssselect
from lxml import etree

from feeds.text.clean import clean_text
from feeds.text.html import parse_fragment, tag_paragraphs

#: An lxml element (lxml ships no type information).
Element = Any

# Never part of an article: page chrome, code and widgets.
CHROME = frozenset({"nav", "footer", "aside"})
NOISE = ("script", "style", "noscript", "template", "svg")
#: Elements whose ancestors are not the article's: the page itself.
PAGE_LEVEL = frozenset({"body", "html"})
_BLANK_TEXT = etree.XPath(
    "//text()[normalize-space(.) = '' and not(ancestor::pre or ancestor::textarea)]"
)
# Elements that have no end tag: the only ones that may serialise empty.
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
     "source", "track", "wbr"}
)  # fmt: skip


def parse_page(html: str) -> Element:
    """The page's ``html`` element without scripts, styles and widgets."""
    root = parse_fragment(html)
    for node in list(root.iter(*NOISE)):
        remove(node)
    return root


def text(element: Element) -> str:
    """Text of an element on one line; inline markup does not split words."""
    return collapse(" ".join(tag_paragraphs(element)))


def collapse(value: str) -> str:
    return " ".join(clean_text(value).split())


def is_page(element: Element) -> bool:
    return element.tag in PAGE_LEVEL


def in_chrome(element: Element) -> bool:
    return any(parent.tag in CHROME for parent in element.iterancestors())


def ancestor(element: Element, *names: str) -> Element | None:
    """The nearest ancestor with one of ``names``."""
    return next(element.iterancestors(*names), None)


def elements(scope: Element, *names: str) -> Iterator[Element]:
    """The elements under ``scope`` (not itself) with one of ``names``, or all, in order."""
    found: Iterator[Element] = scope.iterdescendants(*names)
    return found


def holds(outer: Element, inner: Element) -> bool:
    """True when ``inner`` is ``outer`` or inside it."""
    return inner is outer or any(node is outer for node in inner.iterancestors())


def remove(element: Element) -> None:
    """Take an element out of the tree, leaving an empty comment in its place."""
    parent = element.getparent()
    if parent is not None:
        mark = etree.Comment()
        mark.tail, element.tail = element.tail, None
        parent.replace(element, mark)


def attached(element: Element, root: Element) -> bool:
    """True while ``element`` is still in the tree of ``root``."""
    top = element
    for parent in element.iterancestors():
        top = parent
    return top is root


def inner_html(element: Element) -> str:
    """The markup inside an element, as the page wrote it, but: whitespace between tags
    is one space or one newline (outside ``pre`` and ``textarea``), attributes are in
    alphabetical order, comments are gone, empty elements keep their end tag."""
    copy = copy_module.deepcopy(element)
    copy.tail = None
    inside_pre = ancestor(element, "pre", "textarea") is not None
    for blank in () if inside_pre else _BLANK_TEXT(copy):
        value = "\n" if "\n" in blank else " "
        if blank != value:
            owner = blank.getparent()
            if blank.is_tail:
                owner.tail = value
            else:
                owner.text = value
    etree.strip_elements(copy, etree.Comment, with_tail=False)
    for node in copy.iter():
        if node.text is None and not len(node) and node.tag not in _VOID:
            node.text = ""
        attributes = node.attrib
        if len(attributes) > 1:
            ordered = sorted(attributes.items())
            attributes.clear()
            attributes.update(ordered)
    parts = [_escape(copy.text or "")]
    parts.extend(etree.tostring(child, method="xml", encoding="unicode") for child in copy)
    return "".join(parts)


def _escape(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --- CSS selectors ----------------------------------------------------------------


@dataclass(frozen=True)
class _Compiled:
    #: Matches in the whole document (the root included).
    everywhere: Any
    #: Matches below the context element.
    below: Any
    #: True when a match's ancestors play no part: matching below an element is then
    #: the same as matching everywhere and keeping what is inside it.
    local: bool


@functools.lru_cache(maxsize=512)
def _compile(selector: str) -> _Compiled:
    """A CSS selector translated to XPath once."""
    translator = cssselect.HTMLTranslator()
    parsed = cssselect.parse(selector)
    local = all("CombinedSelector" not in repr(item.parsed_tree) for item in parsed)
    return _Compiled(
        everywhere=etree.XPath(translator.css_to_xpath(selector, "descendant-or-self::")),
        below=etree.XPath(translator.css_to_xpath(selector, "descendant::")),
        local=local,
    )


def select(scope: Element, selector: str) -> list[Element]:
    """Elements under ``scope`` matching a CSS selector, in document order.

    As in a browser's ``scope.querySelectorAll``: the selector is matched against the
    whole document (``.list a`` finds links under ``scope`` when ``.list`` is above it).
    """
    compiled = _compile(selector)
    if scope.getparent() is None:
        found: list[Element] = compiled.everywhere(scope)
        return found
    if compiled.local:
        below: list[Element] = compiled.below(scope)
        return below
    wanted = set(compiled.everywhere(scope.getroottree().getroot()))
    return [node for node in scope.iterdescendants() if node in wanted]


def select_in_each(
    root: Element, scopes: list[Element], selector: str
) -> dict[Element, list[Element]]:
    """What :func:`select` finds under each of ``scopes``, with one search of the page."""
    found: dict[Element, list[Element]] = {scope: [] for scope in scopes}
    for node in _compile(selector).everywhere(root):
        for parent in node.iterancestors():
            if parent in found:
                found[parent].append(node)
    return found


def long_text_holders(root: Element, longest: int) -> set[Element]:
    """The elements holding a run of text longer than ``longest`` characters (whitespace
    collapsed), and all their ancestors: none of them has a shorter text."""
    holders: set[Element] = set()

    def hold(element: Element) -> None:
        for node in (element, *element.iterancestors()):
            if node in holders:
                return
            holders.add(node)

    for element in root.iter():
        value = element.text
        long_text = value and len(value) > longest and len(" ".join(value.split())) > longest
        if long_text and isinstance(element.tag, str):
            hold(element)
        value = element.tail
        if value and len(value) > longest and len(" ".join(value.split())) > longest:
            parent = element.getparent()
            if parent is not None:
                hold(parent)
    return holders


def select_one(scope: Element, selector: str) -> Element | None:
    found = select(scope, selector)
    return found[0] if found else None


def first_with_text(scope: Element, selector: str) -> Element | None:
    """First element matching ``selector`` that has some text or is an image."""
    for found in select(scope, selector):
        if found.tag == "img" or text(found):
            return found
    return None
