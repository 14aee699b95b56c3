"""Reading a listing page: its items (links to releases) and the link to its next page.

The profile's selectors are tried first; when they find nothing, the generic extractor
takes links under the listing's own path, with the date printed beside them, from the
main list only (menus and "popular" blocks under the same path are not items).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from feeds.parsing.html.blocks import MIN_TEXT
from feeds.parsing.html.dates import date_only, element_date
from feeds.parsing.html.tree import (
    Element,
    collapse,
    elements,
    in_chrome,
    is_page,
    parse_page,
    select,
    select_in_each,
    text,
)
from feeds.profile.html import HtmlRules
from feeds.text.html import check_depth, tag_paragraphs
from feeds.text.urls import absolutize, query_value

_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


@dataclass(frozen=True)
class ListingItem:
    """One link of a listing page."""

    #: Absolute URL as linked (fetch this; canonicalise for ids).
    url: str
    title: str
    date: dt.date | None
    lead: str


@dataclass(frozen=True)
class ListingPage:
    """What one listing page holds, and where the next page is."""

    url: str
    items: tuple[ListingItem, ...]
    next_page: str | None
    used_fallback: bool


def parse_listing(html: str, *, url: str, rules: HtmlRules) -> ListingPage:
    """Items and the next page of one listing page."""
    check_depth(html, url)
    root = parse_page(html)
    items = _profile_items(root, url, rules)
    used_fallback = not items
    if used_fallback:
        items = _generic_items(root, url, rules)
    return ListingPage(
        url=url,
        items=tuple(_unique_items(items)),
        next_page=_next_page(root, url, rules),
        used_fallback=used_fallback,
    )


def _unique_items(items: Iterable[ListingItem]) -> Iterator[ListingItem]:
    seen: set[str] = set()
    for item in items:
        if item.url not in seen:
            seen.add(item.url)
            yield item


def _profile_items(root: Element, url: str, rules: HtmlRules) -> list[ListingItem]:
    selectors = rules.listing
    nodes = select(root, selectors.item)
    if not nodes:
        return []
    links, titles, dates, previews = (
        select_in_each(root, nodes, selector)
        for selector in (selectors.link, selectors.title, selectors.date, selectors.preview)
    )
    items: list[ListingItem] = []
    for node in nodes:
        link = next(iter(links[node]), None)
        href = link.get("href") if link is not None else None
        title_el = next((t for t in titles[node] if t.tag == "img" or text(t)), None)
        if href is None or title_el is None:
            continue
        date_el = next(iter(dates[node]), None)
        preview = next(iter(previews[node]), None)
        items.append(
            ListingItem(
                url=absolutize(href, url),
                title=text(title_el),
                date=element_date(date_el, rules) if date_el is not None else None,
                lead=text(preview) if preview is not None else "",
            )
        )
    return items


def _links(root: Element) -> Iterator[tuple[Element, str]]:
    """Every link of the page with its href."""
    for link in elements(root, "a"):
        href = link.get("href")
        if href is not None:
            yield link, href


def _candidate_links(root: Element, url: str, rules: HtmlRules) -> dict[str, list[Element]]:
    """Links to pages under the listing's path, grouped by absolute URL."""
    here = urlsplit(url)
    prefix = here.path if here.path.endswith("/") else here.path + "/"
    groups: dict[str, list[Element]] = {}
    for link, href in _links(root):
        if in_chrome(link):
            continue
        target = absolutize(href, url).partition("#")[0]
        parts = urlsplit(target)
        if (
            parts.netloc.lower() != here.netloc.lower()
            or not parts.path.startswith(prefix)
            or parts.path == prefix
            or query_value(target, rules.listing.page_param) is not None
        ):
            continue
        groups.setdefault(target, []).append(link)
    return groups


def _item_box(link: Element, others: set[Element]) -> Element:
    """The largest ancestor of ``link`` holding no link to another item."""
    box = link
    for parent in link.iterancestors():
        if is_page(parent) or any(node in others for node in parent.iterdescendants("a")):
            break
        box = parent
    return box


def _generic_items(root: Element, url: str, rules: HtmlRules) -> list[ListingItem]:
    groups = _candidate_links(root, url, rules)
    all_links = [link for links in groups.values() for link in links]
    found: list[tuple[ListingItem, Element]] = []
    for target, links in groups.items():
        own = set(links)
        others = {link for link in all_links if link not in own}
        box = _item_box(links[0], others)
        title = next((t for t in (_link_title(link, rules) for link in links) if t), "")
        if not title:
            heading = next(elements(box, *_HEADINGS), None)
            title = text(heading) if heading is not None else ""
        if not title:
            continue
        item = ListingItem(
            url=target,
            title=title,
            date=_box_date(box, title, rules),
            lead=_box_lead(box, title, rules),
        )
        found.append((item, box))
    return _main_list(found)


def _link_title(link: Element, rules: HtmlRules) -> str:
    """A link's text without the date some templates print inside the link."""
    lines = [line for line in tag_paragraphs(link) if date_only(line, rules) is None]
    value = " ".join(lines)
    for child in elements(link):
        if not isinstance(child.tag, str):
            continue
        child_text = text(child)
        if child_text and date_only(child_text, rules) is not None:
            value = value.replace(child_text, " ", 1)
    return collapse(value)


def _main_list(found: list[tuple[ListingItem, Element]]) -> list[ListingItem]:
    """The items of the listing proper, without menus and "popular" blocks.

    Items are grouped by the list that holds them (the parent of their box).  The
    main group is the one that weighs most: every item counts, and counts more with a
    date and with a lead.  Another group stays only when its items look the same
    (dated if the main one is, with leads if it has them): a featured first item
    stays, an undated menu or a sidebar of bare titles goes.
    """
    groups: dict[tuple[str, ...], list[ListingItem]] = {}
    for item, box in found:
        parent = box.getparent()
        key = (box.tag, parent.tag if parent is not None else "", *_classes(parent))
        groups.setdefault(key, []).append(item)
    if len(groups) < 2:
        return [item for item, _ in found]

    def shape(items: list[ListingItem]) -> tuple[bool, bool]:
        dated = sum(item.date is not None for item in items)
        led = sum(bool(item.lead) for item in items)
        return 2 * dated >= len(items), 2 * led >= len(items)

    def weight(items: list[ListingItem]) -> int:
        return sum(1 + (i.date is not None) + bool(i.lead) for i in items)

    main_dated, main_led = shape(max(groups.values(), key=weight))
    kept = {
        id(item)
        for items in groups.values()
        if (shape(items)[0] or not main_dated) and (shape(items)[1] or not main_led)
        for item in items
    }
    return [item for item, _ in found if id(item) in kept]


def _classes(element: Element | None) -> list[str]:
    value = element.get("class") if element is not None else None
    return sorted(value.split()) if value is not None else []


def _box_date(box: Element, title: str, rules: HtmlRules) -> dt.date | None:
    stamp = next(elements(box, "time"), None)
    if stamp is not None:
        found = element_date(stamp, rules)
        if found is not None:
            return found
    # The title may itself hold a date phrase; only the text beside it counts.
    return rules.dates.find(text(box).replace(title, " "))


def _box_lead(box: Element, title: str, rules: HtmlRules) -> str:
    for paragraph in elements(box, "p", "div"):
        value = text(paragraph)
        if len(value) >= MIN_TEXT and title not in value and rules.dates.find(value) is None:
            return value
    return ""


def _next_page(root: Element, url: str, rules: HtmlRules) -> str | None:
    """The link to page N+1 of this listing, whatever the pager looks like."""
    param = rules.listing.page_param
    current = query_value(url, param)
    wanted = str(int(current) + 1) if current and current.isdigit() else "2"
    path = urlsplit(url).path
    for _link, href in _links(root):
        # Without the parameter in it, a link cannot lead to another page of the list (an
        # empty or fragment-only one leads to this page).
        if param not in href:
            continue
        target = absolutize(href, url)
        if urlsplit(target).path == path and query_value(target, param) == wanted:
            return target
    return None
