"""Where a page shows a date: date elements, date lines around a heading, meta tags."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from itertools import islice

from feeds.parsing.html.tree import CHROME, Element, elements, in_chrome, is_page, text
from feeds.profile.html import HtmlRules

# Elements around a heading longer than this are content, not a date line.
MAX_DATE_LINE = 80
_DATE_SEARCH_LEVELS = 3
_DATE_SEARCH_SIBLINGS = 2
# A date-only text ("16.02.2024", "12.03.2025 10:45", "5 марта 2025 г.") may add a
# time of day, separators and abbreviations to its date, but no word and no number.
_TIME_OF_DAY = re.compile(r"\b\d{1,2}:\d{2}(?::\d{2})?\b")
_WORD = re.compile(r"[^\W\d_]{3,}|\d")


def element_date(element: Element, rules: HtmlRules) -> dt.date | None:
    """The date an element shows; its ``datetime`` attribute when the text shows none.

    The visible date comes first: it is in the site's calendar, while the attribute
    is often a UTC timestamp that falls on the day before.
    """
    found = rules.dates.parse_value(text(element))
    if found is not None:
        return found
    value = element.get("datetime")
    return rules.dates.parse_value(value) if isinstance(value, str) else None


def date_only(value: str, rules: HtmlRules) -> dt.date | None:
    """The date of a text that is nothing but a date (and maybe a time of day)."""
    phrase = rules.dates.phrase(value)
    if phrase is None:
        return None
    found, start, end = phrase
    rest = _TIME_OF_DAY.sub(" ", value[:start] + " " + value[end:])
    return None if _WORD.search(rest) else found


def _neighbours(node: Element) -> Iterator[Element]:
    for preceding in (True, False):
        siblings = (s for s in node.itersiblings(preceding=preceding) if isinstance(s.tag, str))
        yield from islice(siblings, _DATE_SEARCH_SIBLINGS)


def _next_element(node: Element) -> Element | None:
    return next((s for s in node.itersiblings() if isinstance(s.tag, str)), None)


def _opening_lines(block: Element) -> Iterator[Element]:
    """The elements that open a block, outermost first: where the date line sits when
    the block after the title starts with it."""
    node = block
    for _ in range(_DATE_SEARCH_LEVELS):
        first = next((child for child in node if isinstance(child.tag, str)), None)
        if first is None:
            return
        node = first
        yield node


def date_near(heading: Element, rules: HtmlRules) -> tuple[dt.date | None, Element | None]:
    """A date in the short elements next to the heading or its containers (or a date-only
    line opening the block right after the heading), and its element."""
    node: Element | None = heading
    for level in range(_DATE_SEARCH_LEVELS):
        if node is None or is_page(node):
            break
        for neighbour in _neighbours(node):
            if neighbour.tag in CHROME:
                continue
            if len(text(neighbour)) > MAX_DATE_LINE:
                # Beside the heading itself, the block after it may open with a line
                # that is only a date; its text proper may mention any date.
                if level == 0 and neighbour is _next_element(node):
                    for line in _opening_lines(neighbour):
                        found = date_only(text(line), rules)
                        if found is not None:
                            return found, line
                continue
            found = element_date(neighbour, rules)
            stamp = next(elements(neighbour, "time"), None)
            if found is None and stamp is not None:
                found = element_date(stamp, rules)
            if found is not None:
                return found, neighbour
        node = node.getparent()
    return None, None


def first_time(root: Element, rules: HtmlRules) -> dt.date | None:
    for stamp in elements(root, "time"):
        if stamp.get("datetime") is not None and not in_chrome(stamp):
            found = element_date(stamp, rules)
            if found is not None:
                return found
    return None


def meta_date(root: Element, rules: HtmlRules) -> dt.date | None:
    meta = meta_content(root, "article:published_time")
    return rules.dates.parse_value(meta) if meta is not None else None


def meta_content(root: Element, name: str) -> str | None:
    """The content of the first ``<meta property=name>``, when it has one."""
    meta = next((m for m in elements(root, "meta") if m.get("property") == name), None)
    if meta is None:
        return None
    content = meta.get("content")
    return content if isinstance(content, str) else None
