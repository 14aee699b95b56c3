"""Reading an article page into a FULL release.

The profile's selectors are tried first.  When they find no title, the generic
extractor takes the main heading (or the element the page's title names), a date in
the elements right around it (never one from deep inside the text), and the most
text-dense block as the body; images come from the block around heading and body.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from feeds.errors import ParseError
from feeds.model import Asset, DateOrigin, ParsedDocument, Release, ReleaseKind
from feeds.parsing.html.blocks import (
    article_region,
    blocks,
    head_title,
    main_block,
    main_heading,
)
from feeds.parsing.html.dates import (
    MAX_DATE_LINE,
    date_near,
    element_date,
    first_time,
    meta_date,
)
from feeds.parsing.html.tree import (
    Element,
    ancestor,
    attached,
    elements,
    first_with_text,
    holds,
    in_chrome,
    inner_html,
    long_text_holders,
    parse_page,
    remove,
    select,
    select_one,
    text,
)
from feeds.parsing.urls import canonical_url, language_for_url, section_for_url
from feeds.profile.html import HtmlRules
from feeds.text.clean import clean_text
from feeds.text.html import check_depth, html_links, html_paragraphs, sanitize_html
from feeds.text.urls import absolutize

FALLBACK_WARNING = "profile selectors matched nothing; generic extractor used"
BODY_FALLBACK_WARNING = "profile body selector matched nothing; generic body used"

_SUBTITLE_TAGS = frozenset({"h2", "h3", "h4"})
# Elements whose whole text may be a navigation phrase.
_PHRASE_CARRIERS = ("a", "p", "div", "li", "span", "ul", "button")


@dataclass
class _Parts:
    """What was found of an article, before it becomes a Release."""

    title: str
    date: dt.date | None
    subtitle: str
    body: Element | None
    scope: Element
    images_selector: str


def parse_article(html: str, *, url: str, rules: HtmlRules) -> ParsedDocument:
    """The article of one page, as a FULL release."""
    check_depth(html, url)
    root = parse_page(html)
    _drop_phrases(root, rules.footer_phrases)
    warnings: list[str] = []
    parts = _profile_article(root, rules, warnings)
    if parts is None:
        warnings.append(FALLBACK_WARNING)
        parts = _generic_article(root, rules)
    if not parts.title:
        raise ParseError(url, "no article title found")
    release = _release(parts, root, url, rules)
    return ParsedDocument(locator=url, article=release, warnings=tuple(warnings))


def _drop_phrases(root: Element, phrases: tuple[str, ...]) -> None:
    """Remove the outermost elements whose whole text is a navigation phrase."""
    wanted = {p.casefold() for p in phrases}
    if not wanted:
        return
    # Cheap tests first: an element holding a long run of text, or whose letters are
    # not a phrase's letters, cannot be a phrase.
    too_long = long_text_holders(root, 2 * max(map(len, wanted)) + 10)
    letters = {"".join(p.split()) for p in wanted}
    removed = False
    # A list first: taking an element out would end an iteration over the tree.
    for element in list(root.iter(*_PHRASE_CARRIERS)):
        if element in too_long:
            continue
        if "".join(clean_text("".join(element.itertext())).split()).casefold() not in letters:
            continue
        if removed and not attached(element, root):
            continue
        if text(element).casefold() in wanted:
            remove(element)
            removed = True


def _profile_article(root: Element, rules: HtmlRules, warnings: list[str]) -> _Parts | None:
    selectors = rules.article
    title_el = first_with_text(root, selectors.title)
    if title_el is None:
        return None
    date_el = select_one(root, selectors.date)
    date = element_date(date_el, rules) if date_el is not None else None
    date_line: Element | None = None
    if date is None:
        # The profile found the title but not the date: look where a date line sits.
        date, date_line = date_near(title_el, rules)
        date = date or meta_date(root, rules)
    subtitle_el = select_one(root, selectors.subtitle)
    body = select_one(root, selectors.body)
    if body is None:
        warnings.append(BODY_FALLBACK_WARNING)
        body = main_block(root)
    inside = body is not None and date_line is not None and date_line is not body
    if inside and holds(body, date_line):
        # A date line inside the body is not text.
        remove(date_line)
    scope: Element = root
    images_selector = selectors.images
    if not select(root, images_selector):
        region = article_region(title_el.getparent(), body)
        scope, images_selector = (region if region is not None else root), "img"
    return _Parts(
        title=text(title_el),
        date=date,
        subtitle=text(subtitle_el) if subtitle_el is not None else "",
        body=body,
        scope=scope,
        images_selector=images_selector,
    )


def _generic_article(root: Element, rules: HtmlRules) -> _Parts:
    heading = main_heading(root)
    around: Element | None = None
    if heading is not None:
        title = text(heading)
        date, date_line = date_near(heading, rules)
        date = date or meta_date(root, rules)
        around = heading.getparent()
        header = ancestor(heading, "header")
        # Both may sit inside the block chosen as the body, where they are not text.
        remove(heading)
        if date_line is not None:
            remove(date_line)
        # The article's own <header> holds only labels (a section link, a kicker) now.
        if header is not None and len(text(header)) <= MAX_DATE_LINE:
            around = header.getparent()
            remove(header)
    else:
        title = head_title(root, rules)
        date = first_time(root, rules) or meta_date(root, rules)
    body = main_block(root)
    subtitle = ""
    if body is not None:
        first = next(iter(blocks(body)), None)
        if first is not None and first.tag in _SUBTITLE_TAGS:
            subtitle = text(first)
    region = article_region(around, body)
    return _Parts(
        title=title,
        date=date,
        subtitle=subtitle,
        body=body,
        scope=region if region is not None else body if body is not None else root,
        images_selector="img",
    )


# --- building the release ---------------------------------------------------


def _strip_contacts(body: Element | None, rules: HtmlRules) -> tuple[str, ...]:
    """Remove the signature and contact paragraphs that end a body; return their text.

    Only the trailing block is searched: the same name can appear inside the text
    ("... the CSTO Press Secretary told BelTA"), and there it stays.
    """
    if body is None or not rules.contacts:
        return ()
    found = list(blocks(body))[-rules.signature_window :] if rules.signature_window else []
    removed: list[str] = []
    for block in reversed(found):
        value = text(block)
        if not any(p.search(value) for p in rules.contacts):
            break
        removed.append(value)
        remove(block)
    return tuple(reversed(removed))


def _release(parts: _Parts, root: Element, url: str, rules: HtmlRules) -> Release:
    contacts = _strip_contacts(parts.body, rules)
    body_html = inner_html(parts.body) if parts.body is not None else ""
    skip = {p.casefold() for p in rules.attachment_phrases + rules.footer_phrases}
    paragraphs = tuple(p for p in html_paragraphs(body_html) if p.casefold() not in skip)
    # A picture's caption may come first; it is not what other pages show as the teaser.
    captions = (
        {text(c) for c in elements(parts.body, "figcaption")} if parts.body is not None else set()
    )
    lead = next((p for p in paragraphs if p != parts.subtitle and p not in captions), "")
    clean_html = sanitize_html(body_html, base_url=url)
    lang = root.get("lang") if root.tag == "html" else None
    return Release(
        kind=ReleaseKind.FULL,
        title=parts.title,
        date=parts.date,
        date_origin=DateOrigin.PAGE if parts.date else DateOrigin.NONE,
        lead=lead,
        paragraphs=paragraphs,
        body_html=clean_html,
        images=_images(parts.scope, parts.images_selector, url),
        attachments=_attachments(root, url, rules),
        links=html_links(clean_html),
        contacts=contacts,
        language=language_for_url(url, rules) or (lang.strip() if lang and lang.strip() else None),
        url=canonical_url(url, rules),
        section=section_for_url(url, rules),
        extra=(("subtitle", parts.subtitle),) if parts.subtitle else (),
    )


def _file_name(url: str) -> str:
    return unquote(urlsplit(url).path.rstrip("/").rpartition("/")[2])


def _web_url(ref: str, base: str) -> str | None:
    target = absolutize(ref, base)
    return target if urlsplit(target).scheme in ("http", "https") else None


def _images(scope: Element, selector: str, url: str) -> tuple[Asset, ...]:
    found: dict[str, Asset] = {}
    for image in select(scope, selector):
        src = image.get("src")
        target = _web_url(src, url) if src is not None else None
        if target and target not in found:
            found[target] = Asset(name=_file_name(target), url=target)
    return tuple(found.values())


def _attachments(root: Element, url: str, rules: HtmlRules) -> tuple[Asset, ...]:
    """The profile's file links, then any other link that looks like a document."""
    phrases = {p.casefold() for p in rules.attachment_phrases}
    found: dict[str, Asset] = {}

    def add(link: Element, *, checked: bool) -> None:
        href = link.get("href")
        target = _web_url(href, url) if href is not None else None
        if target is None or target in found:
            return
        name = _file_name(target)
        if (
            checked
            or name.rpartition(".")[2].lower() in rules.attachment_extensions
            or text(link).casefold() in phrases
        ):
            found[target] = Asset(name=name, url=target)

    for link in select(root, rules.article.attachments):
        add(link, checked=True)
    for link in elements(root, "a"):
        if link.get("href") is not None and not in_chrome(link):
            add(link, checked=False)
    return tuple(found.values())
