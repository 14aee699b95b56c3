"""Finding an article's parts without the profile: the headline, the text block, the
region around both, the page's own titles."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

from feeds.parsing.html.dates import meta_content
from feeds.parsing.html.tree import (
    CHROME,
    Element,
    ancestor,
    collapse,
    elements,
    holds,
    in_chrome,
    is_page,
    text,
)
from feeds.profile.html import HtmlRules

_PARAGRAPH_LIKE = ("p", "li", "blockquote", "pre", "h2", "h3", "h4", "h5", "h6")
_CONTAINERS = frozenset({"div", "article", "section", "main", "td"})
# A text run shorter than this is a label or a button, not body text.
MIN_TEXT = 20
# A lower heading shorter than this is a label, never the page's headline.
_MIN_HEADING = 10
# Elements that may carry a headline styled without a heading tag (old layouts).
_TITLE_CARRIERS = ("div", "span", "p", "td", "b", "strong", "font")
# An article region holding this much more text than title and body is the page, not
# the article: its images would include other items' thumbnails.
_REGION_SLACK = 300


def blocks(body: Element) -> Iterator[Element]:
    """Paragraph-like elements of the body, in order, that carry text."""
    for element in elements(body, *_PARAGRAPH_LIKE):
        if text(element):
            yield element


def article_region(around: Element | None, body: Element | None) -> Element | None:
    """The smallest element holding both the title's place and the body: the lead
    picture often sits between them, outside the text block.  None when that element
    is the whole page (or much more than the article)."""
    if around is None or body is None:
        return None
    body_size = len(text(body))
    for node in (around, *around.iterancestors()):
        if is_page(node) or in_chrome(node):
            return None
        if holds(node, body):
            return node if len(text(node)) <= body_size + _REGION_SLACK else None
    return None


def main_heading(root: Element) -> Element | None:
    """The first h1 with text that is not part of the page chrome or the site banner;
    without one, the element whose text the page's <title> (or og:title) names: pages
    that style their headline as a lower heading or a plain block still name it there."""
    for heading in elements(root, "h1"):
        if not text(heading) or in_chrome(heading) or _is_banner(heading):
            continue
        return heading
    return _titled_element(root)


def _is_banner(heading: Element) -> bool:
    """A heading that is the site's logo: in the page banner, or a bare link home."""
    names = {parent.tag for parent in heading.iterancestors()}
    if "header" in names and not names & {"article", "main"}:
        return True
    links = [a for a in elements(heading, "a") if a.get("href") is not None]
    if len(links) != 1 or text(links[0]) != text(heading):
        return False
    return urlsplit(links[0].get("href")).path in ("", "/")


def _titled_element(root: Element) -> Element | None:
    """The longest element of the page whose whole text the page's titles contain;
    headings before other elements."""
    titles = [t.casefold() for t in (head_title(root, None), plain_title(root)) if t]
    if not titles:
        return None
    best: tuple[int, int, Element] | None = None
    for element in elements(root, "h2", "h3", "h4", "h5", "h6", *_TITLE_CARRIERS):
        value = text(element)
        if (
            len(value) < _MIN_HEADING
            or in_chrome(element)
            or ancestor(element, "a", "head") is not None
            or not any(value.casefold() in title for title in titles)
        ):
            continue
        rank = (int(element.tag not in _TITLE_CARRIERS), len(value))
        if best is None or rank > best[:2]:
            best = (*rank, element)
    return best[2] if best else None


def _title_element(root: Element) -> Element | None:
    return next(root.iter("title"), None)


def plain_title(root: Element) -> str:
    title = _title_element(root)
    return text(title) if title is not None else ""


def head_title(root: Element, rules: HtmlRules | None) -> str:
    """og:title, else <title> without the site's name (when rules name its suffixes)."""
    content = meta_content(root, "og:title")
    if content is not None and content.strip():
        return collapse(content)
    title = _title_element(root)
    if title is None:
        return ""
    value = text(title)
    for suffix in rules.title_suffixes if rules else ():
        value = suffix.sub("", value)
    return value.strip()


def main_block(root: Element) -> Element | None:
    """The container with the most paragraph text, discounted by its share of link text."""
    scores: dict[Element, float] = {}
    for length, block in _text_runs(root):
        if length < MIN_TEXT or block.tag == "a" or ancestor(block, "a") is not None:
            continue
        container = _container_of(block)
        if container is None or in_chrome(container) or container.tag in CHROME:
            continue
        for share, target in ((1.0, container), (0.5, _container_of(container, above=True))):
            if target is not None:
                scores[target] = scores.get(target, 0.0) + share * length
    best: tuple[float, Element] | None = None
    for node, score in scores.items():
        weighted = score * (1.0 - _link_density(node))
        if best is None or weighted > best[0]:
            best = (weighted, node)
    return best[1] if best else None


def _text_runs(element: Element) -> Iterator[tuple[int, Element]]:
    """Each run of text in document order, by its stripped length, with the element
    holding it."""
    if element.text:
        yield len(element.text.strip()), element
    for child in element:
        if isinstance(child.tag, str):
            yield from _text_runs(child)
        if child.tail:
            yield len(child.tail.strip()), element


def _container_of(element: Element, *, above: bool = False) -> Element | None:
    """The nearest container holding ``element`` (itself, unless ``above``)."""
    if not above and element.tag in _CONTAINERS:
        return element
    for parent in element.iterancestors():
        if parent.tag in _CONTAINERS:
            return parent
        if is_page(parent):
            return None
    return None


def _link_density(element: Element) -> float:
    total = len(text(element))
    if not total:
        return 1.0
    linked = sum(len(text(a)) for a in elements(element, "a"))
    return min(linked / total, 1.0)
