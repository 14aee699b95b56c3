"""Reading live HTML pages: listings (links to releases) and article pages.

The site profile's selectors are tried first.  When they find nothing, generic
extractors take over, so a redesign of the site degrades to a warning instead
of an empty feed:

* listings: links under the listing's own path, with the date printed beside them,
  from the main list only (menus and "popular" blocks under the same path are not
  items);
* articles: the main heading (or the element the page's title names), a date in the
  elements right around it (never one from deep inside the text), and the most
  text-dense block as the body; images from the block around heading and body.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from bs4 import BeautifulSoup, Tag
from bs4.element import Comment, NavigableString

from feeds.errors import ParseError
from feeds.model import Asset, DateOrigin, ParsedDocument, Release, ReleaseKind
from feeds.parsing.urls import canonical_url, language_for_url, section_for_url
from feeds.profile.html import HtmlRules
from feeds.text.clean import clean_text
from feeds.text.html import (
    check_depth,
    html_links,
    html_paragraphs,
    sanitize_html,
    tag_paragraphs,
)
from feeds.text.urls import absolutize, query_value

FALLBACK_WARNING = "profile selectors matched nothing; generic extractor used"
BODY_FALLBACK_WARNING = "profile body selector matched nothing; generic body used"

# Never part of an article: page chrome, code and widgets.
_CHROME = ("nav", "footer", "aside")
_NOISE = ("script", "style", "noscript", "template", "svg")
_PARAGRAPH_LIKE = frozenset({"p", "li", "blockquote", "pre", "h2", "h3", "h4", "h5", "h6"})
_CONTAINERS = frozenset({"div", "article", "section", "main", "td"})
_SUBTITLE_TAGS = frozenset({"h2", "h3", "h4"})
# A text run shorter than this is a label or a button, not body text.
_MIN_TEXT = 20
# Elements around a heading longer than this are content, not a date line.
_MAX_DATE_LINE = 80
_DATE_SEARCH_LEVELS = 3
_DATE_SEARCH_SIBLINGS = 2
# A lower heading shorter than this is a label, never the page's headline.
_MIN_HEADING = 10
# Elements that may carry a headline styled without a heading tag (old layouts).
_TITLE_CARRIERS = ("div", "span", "p", "td", "b", "strong", "font")
# A date-only text ("16.02.2024", "12.03.2025 10:45", "5 марта 2025 г.") may add a
# time of day, separators and abbreviations to its date, but no word and no number.
_TIME_OF_DAY = re.compile(r"\b\d{1,2}:\d{2}(?::\d{2})?\b")
_WORD = re.compile(r"[^\W\d_]{3,}|\d")
# An article region holding this much more text than title and body is the page, not
# the article: its images would include other items' thumbnails.
_REGION_SLACK = 300


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


def _collapse(text: str) -> str:
    return " ".join(clean_text(text).split())


def _text(element: Tag) -> str:
    """Text of an element on one line; inline markup does not split words."""
    return _collapse(" ".join(tag_paragraphs(element)))


def _soup(html: str) -> BeautifulSoup:
    soup = BeautifulSoup(html, "lxml")
    for node in soup.find_all(_NOISE):
        node.decompose()
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    return soup


def _in_chrome(element: Tag) -> bool:
    return any(parent.name in _CHROME for parent in element.parents)


def _first(soup: Tag, selector: str) -> Tag | None:
    """First element matching ``selector`` that has some text or is an image."""
    for found in soup.select(selector):
        if _text(found) or found.name == "img":
            return found
    return None


def _element_date(element: Tag, rules: HtmlRules) -> dt.date | None:
    """The date an element shows; its ``datetime`` attribute when the text shows none.

    The visible date comes first: it is in the site's calendar, while the attribute
    is often a UTC timestamp that falls on the day before.
    """
    found = rules.dates.parse_value(_text(element))
    if found is not None:
        return found
    value = element.get("datetime")
    return rules.dates.parse_value(value) if isinstance(value, str) else None


def _date_only(text: str, rules: HtmlRules) -> dt.date | None:
    """The date of a text that is nothing but a date (and maybe a time of day)."""
    phrase = rules.dates.phrase(text)
    if phrase is None:
        return None
    found, start, end = phrase
    rest = _TIME_OF_DAY.sub(" ", text[:start] + " " + text[end:])
    return None if _WORD.search(rest) else found


# --- listings ---------------------------------------------------------------


def parse_listing(html: str, *, url: str, rules: HtmlRules) -> ListingPage:
    """Items and the next page of one listing page."""
    check_depth(html, url)
    soup = _soup(html)
    items = _profile_items(soup, url, rules)
    used_fallback = not items
    if used_fallback:
        items = _generic_items(soup, url, rules)
    return ListingPage(
        url=url,
        items=tuple(_unique_items(items)),
        next_page=_next_page(soup, url, rules),
        used_fallback=used_fallback,
    )


def _unique_items(items: Iterable[ListingItem]) -> Iterator[ListingItem]:
    seen: set[str] = set()
    for item in items:
        if item.url not in seen:
            seen.add(item.url)
            yield item


def _profile_items(soup: BeautifulSoup, url: str, rules: HtmlRules) -> list[ListingItem]:
    items: list[ListingItem] = []
    for node in soup.select(rules.listing.item):
        link = node.select_one(rules.listing.link)
        href = link.get("href") if link else None
        title_el = _first(node, rules.listing.title)
        if not isinstance(href, str) or title_el is None:
            continue
        date_el = node.select_one(rules.listing.date)
        preview = node.select_one(rules.listing.preview)
        items.append(
            ListingItem(
                url=absolutize(href, url),
                title=_text(title_el),
                date=_element_date(date_el, rules) if date_el else None,
                lead=_text(preview) if preview else "",
            )
        )
    return items


def _candidate_links(soup: BeautifulSoup, url: str, rules: HtmlRules) -> dict[str, list[Tag]]:
    """Links to pages under the listing's path, grouped by absolute URL."""
    here = urlsplit(url)
    prefix = here.path if here.path.endswith("/") else here.path + "/"
    groups: dict[str, list[Tag]] = {}
    for link in soup.find_all("a", href=True):
        href = link["href"]
        if not isinstance(href, str) or _in_chrome(link):
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


def _item_box(link: Tag, others: list[Tag]) -> Tag:
    """The largest ancestor of ``link`` holding no link to another item."""
    box = link
    other_ids = {id(other) for other in others}
    for parent in link.parents:
        if parent.name in ("body", "html", "[document]") or any(
            id(node) in other_ids for node in parent.descendants
        ):
            break
        box = parent
    return box


def _generic_items(soup: BeautifulSoup, url: str, rules: HtmlRules) -> list[ListingItem]:
    groups = _candidate_links(soup, url, rules)
    all_links = [link for links in groups.values() for link in links]
    found: list[tuple[ListingItem, Tag]] = []
    for target, links in groups.items():
        own = {id(link) for link in links}
        others = [link for link in all_links if id(link) not in own]
        box = _item_box(links[0], others)
        title = next((t for t in (_link_title(link, rules) for link in links) if t), "")
        if not title:
            heading = box.find(["h1", "h2", "h3", "h4", "h5", "h6"])
            title = _text(heading) if isinstance(heading, Tag) else ""
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


def _link_title(link: Tag, rules: HtmlRules) -> str:
    """A link's text without the date some templates print inside the link."""
    lines = [line for line in tag_paragraphs(link) if _date_only(line, rules) is None]
    text = " ".join(lines)
    for child in link.find_all(True):
        child_text = _text(child)
        if child_text and _date_only(child_text, rules) is not None:
            text = text.replace(child_text, " ", 1)
    return _collapse(text)


def _main_list(found: list[tuple[ListingItem, Tag]]) -> list[ListingItem]:
    """The items of the listing proper, without menus and "popular" blocks.

    Items are grouped by the list that holds them (the parent of their box).  The
    main group is the one that weighs most: every item counts, and counts more with a
    date and with a lead.  Another group stays only when its items look the same
    (dated if the main one is, with leads if it has them): a featured first item
    stays, an undated menu or a sidebar of bare titles goes.
    """
    groups: dict[tuple[str, ...], list[ListingItem]] = {}
    for item, box in found:
        parent = box.parent
        key = (box.name, parent.name if parent else "", *_classes(parent))
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


def _classes(element: Tag | None) -> list[str]:
    value = element.get("class") if element is not None else None
    return sorted(value) if isinstance(value, list) else []


def _box_date(box: Tag, title: str, rules: HtmlRules) -> dt.date | None:
    stamp = box.find("time")
    if isinstance(stamp, Tag):
        found = _element_date(stamp, rules)
        if found is not None:
            return found
    # The title may itself hold a date phrase; only the text beside it counts.
    return rules.dates.find(_text(box).replace(title, " "))


def _box_lead(box: Tag, title: str, rules: HtmlRules) -> str:
    for paragraph in box.find_all(["p", "div"]):
        text = _text(paragraph)
        if len(text) >= _MIN_TEXT and title not in text and rules.dates.find(text) is None:
            return text
    return ""


def _next_page(soup: BeautifulSoup, url: str, rules: HtmlRules) -> str | None:
    """The link to page N+1 of this listing, whatever the pager looks like."""
    current = query_value(url, rules.listing.page_param)
    wanted = str(int(current) + 1) if current and current.isdigit() else "2"
    path = urlsplit(url).path
    for link in soup.find_all("a", href=True):
        href = link["href"]
        if not isinstance(href, str):
            continue
        target = absolutize(href, url)
        if (
            urlsplit(target).path == path
            and query_value(target, rules.listing.page_param) == wanted
        ):
            return target
    return None


# --- articles ---------------------------------------------------------------


@dataclass
class _Parts:
    """What was found of an article, before it becomes a Release."""

    title: str
    date: dt.date | None
    subtitle: str
    body: Tag | None
    scope: Tag
    images_selector: str


def parse_article(html: str, *, url: str, rules: HtmlRules) -> ParsedDocument:
    """The article of one page, as a FULL release."""
    check_depth(html, url)
    soup = _soup(html)
    _drop_phrases(soup, rules.footer_phrases)
    warnings: list[str] = []
    parts = _profile_article(soup, rules, warnings)
    if parts is None:
        warnings.append(FALLBACK_WARNING)
        parts = _generic_article(soup, rules)
    if not parts.title:
        raise ParseError(url, "no article title found")
    release = _release(parts, soup, url, rules)
    return ParsedDocument(locator=url, article=release, warnings=tuple(warnings))


def _drop_phrases(soup: Tag, phrases: tuple[str, ...]) -> None:
    """Remove the outermost elements whose whole text is a navigation phrase."""
    wanted = {p.casefold() for p in phrases}
    for element in soup.find_all(["a", "p", "div", "li", "span", "ul", "button"]):
        if not element.decomposed and _text(element).casefold() in wanted:
            element.decompose()


def _profile_article(soup: BeautifulSoup, rules: HtmlRules, warnings: list[str]) -> _Parts | None:
    title_el = _first(soup, rules.article.title)
    if title_el is None:
        return None
    date_el = soup.select_one(rules.article.date)
    date = _element_date(date_el, rules) if date_el else None
    date_line: Tag | None = None
    if date is None:
        # The profile found the title but not the date: look where a date line sits.
        date, date_line = _date_near(title_el, rules)
        date = date or _meta_date(soup, rules)
    subtitle_el = soup.select_one(rules.article.subtitle)
    body = soup.select_one(rules.article.body)
    if body is None:
        warnings.append(BODY_FALLBACK_WARNING)
        body = _main_block(soup)
    if date_line is not None and body is not None and date_line in body.descendants:
        date_line.decompose()
    scope: Tag = soup
    images_selector = rules.article.images
    if not soup.select(images_selector):
        scope, images_selector = _article_region(title_el.parent, body) or soup, "img"
    return _Parts(
        title=_text(title_el),
        date=date,
        subtitle=_text(subtitle_el) if subtitle_el else "",
        body=body,
        scope=scope,
        images_selector=images_selector,
    )


def _generic_article(soup: BeautifulSoup, rules: HtmlRules) -> _Parts:
    heading = _main_heading(soup)
    around: Tag | None = None
    if heading is not None:
        title = _text(heading)
        date, date_line = _date_near(heading, rules)
        date = date or _meta_date(soup, rules)
        around = heading.parent
        header = heading.find_parent("header")
        # Both may sit inside the block chosen as the body, where they are not text.
        heading.decompose()
        if date_line is not None:
            date_line.decompose()
        # The article's own <header> holds only labels (a section link, a kicker) now.
        if header is not None and len(_text(header)) <= _MAX_DATE_LINE:
            around = header.parent
            header.decompose()
    else:
        title = _head_title(soup, rules)
        date = _first_time(soup, rules) or _meta_date(soup, rules)
    body = _main_block(soup)
    subtitle = ""
    if body is not None:
        first = next(iter(_blocks(body)), None)
        if first is not None and first.name in _SUBTITLE_TAGS:
            subtitle = _text(first)
    return _Parts(
        title=title,
        date=date,
        subtitle=subtitle,
        body=body,
        scope=_article_region(around, body) or body or soup,
        images_selector="img",
    )


def _article_region(around: Tag | None, body: Tag | None) -> Tag | None:
    """The smallest element holding both the title's place and the body: the lead
    picture often sits between them, outside the text block.  None when that element
    is the whole page (or much more than the article)."""
    if around is None or body is None:
        return None
    body_size = len(_text(body))
    for node in (around, *around.parents):
        if node.name in ("body", "html", "[document]") or _in_chrome(node):
            return None
        if node is body or body in node.descendants:
            return node if len(_text(node)) <= body_size + _REGION_SLACK else None
    return None


def _main_heading(soup: BeautifulSoup) -> Tag | None:
    """The first h1 with text that is not part of the page chrome or the site banner;
    without one, the element whose text the page's <title> (or og:title) names: pages
    that style their headline as a lower heading or a plain block still name it there."""
    for heading in soup.find_all("h1"):
        if not _text(heading) or _in_chrome(heading) or _is_banner(heading):
            continue
        return heading
    return _titled_element(soup)


def _is_banner(heading: Tag) -> bool:
    """A heading that is the site's logo: in the page banner, or a bare link home."""
    names = {parent.name for parent in heading.parents}
    if "header" in names and not names & {"article", "main"}:
        return True
    links = heading.find_all("a", href=True)
    if len(links) != 1 or _text(links[0]) != _text(heading):
        return False
    href = links[0]["href"]
    return isinstance(href, str) and urlsplit(href).path in ("", "/")


def _titled_element(soup: BeautifulSoup) -> Tag | None:
    """The longest element of the page whose whole text the page's titles contain;
    headings before other elements."""
    titles = [t.casefold() for t in (_head_title(soup, None), _plain_title(soup)) if t]
    if not titles:
        return None
    best: tuple[int, int, Tag] | None = None
    for element in soup.find_all(("h2", "h3", "h4", "h5", "h6", *_TITLE_CARRIERS)):
        text = _text(element)
        if (
            len(text) < _MIN_HEADING
            or _in_chrome(element)
            or element.find_parent(("a", "head")) is not None
            or not any(text.casefold() in title for title in titles)
        ):
            continue
        rank = (int(element.name not in _TITLE_CARRIERS), len(text))
        if best is None or rank > best[:2]:
            best = (*rank, element)
    return best[2] if best else None


def _plain_title(soup: BeautifulSoup) -> str:
    return _text(soup.title) if soup.title is not None else ""


def _head_title(soup: BeautifulSoup, rules: HtmlRules | None) -> str:
    """og:title, else <title> without the site's name (when rules name its suffixes)."""
    og = soup.find("meta", attrs={"property": "og:title"})
    content = og.get("content") if isinstance(og, Tag) else None
    if isinstance(content, str) and content.strip():
        return _collapse(content)
    if soup.title is None:
        return ""
    title = _text(soup.title)
    for suffix in rules.title_suffixes if rules else ():
        title = suffix.sub("", title)
    return title.strip()


def _neighbours(node: Tag) -> Iterator[Tag]:
    for siblings in (node.find_previous_siblings, node.find_next_siblings):
        yield from siblings(True, limit=_DATE_SEARCH_SIBLINGS)


def _opening_lines(block: Tag) -> Iterator[Tag]:
    """The elements that open a block, outermost first: where the date line sits when
    the block after the title starts with it."""
    node = block
    for _ in range(_DATE_SEARCH_LEVELS):
        first = node.find(True, recursive=False)
        if not isinstance(first, Tag):
            return
        node = first
        yield node


def _date_near(heading: Tag, rules: HtmlRules) -> tuple[dt.date | None, Tag | None]:
    """A date in the short elements next to the heading or its containers (or a date-only
    line opening the block right after the heading), and its element."""
    node: Tag | None = heading
    for level in range(_DATE_SEARCH_LEVELS):
        if node is None or node.name in ("body", "html", "[document]"):
            break
        for neighbour in _neighbours(node):
            if neighbour.name in _CHROME:
                continue
            if len(_text(neighbour)) > _MAX_DATE_LINE:
                # Beside the heading itself, the block after it may open with a line
                # that is only a date; its text proper may mention any date.
                if level == 0 and neighbour is node.find_next_sibling(True):
                    for line in _opening_lines(neighbour):
                        found = _date_only(_text(line), rules)
                        if found is not None:
                            return found, line
                continue
            found = _element_date(neighbour, rules)
            stamp = neighbour.find("time")
            if found is None and isinstance(stamp, Tag):
                found = _element_date(stamp, rules)
            if found is not None:
                return found, neighbour
        node = node.parent
    return None, None


def _first_time(soup: BeautifulSoup, rules: HtmlRules) -> dt.date | None:
    for stamp in soup.find_all("time", datetime=True):
        if not _in_chrome(stamp):
            found = _element_date(stamp, rules)
            if found is not None:
                return found
    return None


def _meta_date(soup: BeautifulSoup, rules: HtmlRules) -> dt.date | None:
    meta = soup.find("meta", attrs={"property": "article:published_time"})
    content = meta.get("content") if isinstance(meta, Tag) else None
    return rules.dates.parse_value(content) if isinstance(content, str) else None


def _main_block(soup: BeautifulSoup) -> Tag | None:
    """The container with the most paragraph text, discounted by its share of link text."""
    scores: dict[int, float] = {}
    nodes: dict[int, Tag] = {}
    for string in soup.find_all(string=True):
        if not isinstance(string, NavigableString) or isinstance(string, Comment):
            continue
        length = len(string.strip())
        block = string.parent
        if length < _MIN_TEXT or block is None or block.find_parent("a") or block.name == "a":
            continue
        container = _container_of(block)
        if container is None or _in_chrome(container) or container.name in _CHROME:
            continue
        for share, target in ((1.0, container), (0.5, _container_of(container, above=True))):
            if target is not None:
                nodes[id(target)] = target
                scores[id(target)] = scores.get(id(target), 0.0) + share * length
    best: tuple[float, Tag] | None = None
    for key, score in scores.items():
        weighted = score * (1.0 - _link_density(nodes[key]))
        if best is None or weighted > best[0]:
            best = (weighted, nodes[key])
    return best[1] if best else None


def _container_of(element: Tag, *, above: bool = False) -> Tag | None:
    """The nearest container holding ``element`` (itself, unless ``above``)."""
    if not above and element.name in _CONTAINERS:
        return element
    for parent in element.parents:
        if parent.name in _CONTAINERS:
            return parent
        if parent.name in ("body", "html"):
            return None
    return None


def _link_density(element: Tag) -> float:
    total = len(_text(element))
    if not total:
        return 1.0
    linked = sum(len(_text(a)) for a in element.find_all("a"))
    return min(linked / total, 1.0)


def _blocks(body: Tag) -> Iterator[Tag]:
    """Paragraph-like elements of the body, in order, that carry text."""
    for element in body.find_all(_PARAGRAPH_LIKE):
        if _text(element):
            yield element


# --- building the release ---------------------------------------------------


def _strip_contacts(body: Tag | None, rules: HtmlRules) -> tuple[str, ...]:
    """Remove the signature and contact paragraphs that end a body; return their text.

    Only the trailing block is searched: the same name can appear inside the text
    ("... the CSTO Press Secretary told BelTA"), and there it stays.
    """
    if body is None or not rules.contacts:
        return ()
    blocks = list(_blocks(body))[-rules.signature_window :] if rules.signature_window else []
    removed: list[str] = []
    for block in reversed(blocks):
        text = _text(block)
        if not any(p.search(text) for p in rules.contacts):
            break
        removed.append(text)
        block.decompose()
    return tuple(reversed(removed))


def _release(parts: _Parts, soup: BeautifulSoup, url: str, rules: HtmlRules) -> Release:
    contacts = _strip_contacts(parts.body, rules)
    body_html = parts.body.decode_contents() if parts.body is not None else ""
    skip = {p.casefold() for p in rules.attachment_phrases + rules.footer_phrases}
    paragraphs = tuple(p for p in html_paragraphs(body_html) if p.casefold() not in skip)
    # A picture's caption may come first; it is not what other pages show as the teaser.
    captions = {_text(c) for c in parts.body.find_all("figcaption")} if parts.body else set()
    lead = next((p for p in paragraphs if p != parts.subtitle and p not in captions), "")
    clean_html = sanitize_html(body_html, base_url=url)
    html_tag = soup.find("html")
    lang = html_tag.get("lang") if isinstance(html_tag, Tag) else None
    return Release(
        kind=ReleaseKind.FULL,
        title=parts.title,
        date=parts.date,
        date_origin=DateOrigin.PAGE if parts.date else DateOrigin.NONE,
        lead=lead,
        paragraphs=paragraphs,
        body_html=clean_html,
        images=_images(parts.scope, parts.images_selector, url),
        attachments=_attachments(soup, url, rules),
        links=html_links(clean_html),
        contacts=contacts,
        language=language_for_url(url, rules)
        or (lang.strip() if isinstance(lang, str) and lang.strip() else None),
        url=canonical_url(url, rules),
        section=section_for_url(url, rules),
        extra=(("subtitle", parts.subtitle),) if parts.subtitle else (),
    )


def _file_name(url: str) -> str:
    return unquote(urlsplit(url).path.rstrip("/").rpartition("/")[2])


def _web_url(ref: str, base: str) -> str | None:
    target = absolutize(ref, base)
    return target if urlsplit(target).scheme in ("http", "https") else None


def _images(scope: Tag, selector: str, url: str) -> tuple[Asset, ...]:
    found: dict[str, Asset] = {}
    for image in scope.select(selector):
        src = image.get("src")
        target = _web_url(src, url) if isinstance(src, str) else None
        if target and target not in found:
            found[target] = Asset(name=_file_name(target), url=target)
    return tuple(found.values())


def _attachments(soup: BeautifulSoup, url: str, rules: HtmlRules) -> tuple[Asset, ...]:
    """The profile's file links, then any other link that looks like a document."""
    phrases = {p.casefold() for p in rules.attachment_phrases}
    found: dict[str, Asset] = {}

    def add(link: Tag, *, checked: bool) -> None:
        href = link.get("href")
        target = _web_url(href, url) if isinstance(href, str) else None
        if target is None or target in found:
            return
        extension = _file_name(target).rpartition(".")[2].lower()
        if checked or extension in rules.attachment_extensions or _text(link).casefold() in phrases:
            found[target] = Asset(name=_file_name(target), url=target)

    for link in soup.select(rules.article.attachments):
        add(link, checked=True)
    for link in soup.find_all("a", href=True):
        if not _in_chrome(link):
            add(link, checked=False)
    return tuple(found.values())
