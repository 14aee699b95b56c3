"""A feed checker with the W3C feed validator's rules that matter for our output.

The validator itself cannot be installed here, so this module re-implements the part of
it that applies to what feeds publishes: Atom 1.0 (RFC 4287, with RFC 5005 archive
markers and WebSub hub links) and RSS 2.0 (with the content, Dublin Core and Atom
extensions).  Each problem is a :class:`Finding` named after the validator's message
(``InvalidRFC3339Date``, ``ContainsRelRef``, ``DuplicateUpdated``, ...).  A clean document
gives an empty list, for errors and warnings alike: that is the bar the output must meet.

    findings = check_document(body, url="https://feeds.example.org/csto/all/atom.xml")
    assert findings == []
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Literal
from urllib.parse import urlsplit

from lxml import etree

ATOM_NS = "http://www.w3.org/2005/Atom"
HISTORY_NS = "http://purl.org/syndication/history/1.0"
DC_NS = "http://purl.org/dc/elements/1.1/"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
XML_NS = "http://www.w3.org/XML/1998/namespace"
A = f"{{{ATOM_NS}}}"
XML_LANG = f"{{{XML_NS}}}lang"

Level = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    level: Level
    #: The validator's message name.
    code: str
    #: Where in the document: an element path or an entry id.
    where: str
    detail: str

    def __str__(self) -> str:
        return f"{self.level} {self.code} at {self.where}: {self.detail}"


# --- shared value rules --------------------------------------------------------------

#: Characters XML 1.0 forbids, plus the C1 controls and DEL that it only discourages.
BAD_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-](\d{2}):(\d{2}))$"
)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
RFC822 = re.compile(
    r"^(?:(Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?(\d{1,2}) (" + "|".join(MONTHS) + r") (\d{4}) "
    r"(\d{2}):(\d{2})(?::(\d{2}))? (UT|GMT|EST|EDT|CST|CDT|MST|MDT|PST|PDT|[+-]\d{4})$"
)
#: RFC 4151: tag:authority,date:specific; the authority is a DNS name or an e-mail address.
TAG_URI = re.compile(
    r"^tag:(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
    r"|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+)"
    r",(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?"
    r":[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*$"
)
#: BCP 47 language tags (RFC 5646), the grammar without the grandfathered irregular tags.
BCP47 = re.compile(
    r"^(?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4,8})"
    r"(?:-[A-Za-z]{4})?"
    r"(?:-(?:[A-Za-z]{2}|\d{3}))?"
    r"(?:-(?:[A-Za-z\d]{5,8}|\d[A-Za-z\d]{3}))*"
    r"(?:-[0-9A-WY-Za-wy-z](?:-[A-Za-z\d]{2,8})+)*"
    r"(?:-x(?:-[A-Za-z\d]{1,8})+)?$"
)
#: RSS 2.0 language codes: an ISO 639 code, optionally with a region.
RSS_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[a-zA-Z0-9]{2,8})?$")
#: Relations the validator knows (IANA registry, RFC 5005, WebSub).
# fmt: off
ATOM_RELS = frozenset(
    {
        "alternate", "self", "related", "enclosure", "via", "hub", "current", "prev-archive",
        "next-archive", "first", "last", "previous", "next", "license", "replies", "edit",
        "edit-media", "payment", "search",
    }
)
# fmt: on
#: HTML elements a feed reader can render; anything else in HTML content is text gone wrong.
# fmt: off
HTML_ELEMENTS = frozenset(
    {
        "a", "abbr", "acronym", "address", "area", "article", "aside", "audio", "b", "bdi", "bdo",
        "big", "blockquote", "br", "caption", "center", "cite", "code", "col", "colgroup", "dd",
        "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "font", "footer",
        "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "i", "img", "ins", "kbd", "li", "map",
        "mark", "nav", "ol", "p", "picture", "pre", "q", "rp", "rt", "ruby", "s", "samp", "section",
        "small", "source", "span", "strike", "strong", "sub", "summary", "sup", "table", "tbody",
        "td", "tfoot", "th", "thead", "time", "tr", "tt", "u", "ul", "var", "video", "wbr",
    }
)
# fmt: on
#: Elements and attributes the validator calls a security risk in feed content.
# fmt: off
UNSAFE_ELEMENTS = frozenset(
    {
        "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "form",
        "input", "button", "meta", "link", "base",
    }
)
# fmt: on
URL_ATTRIBUTES = frozenset({"href", "src", "cite", "longdesc", "background", "poster", "action"})
#: Entity text inside decoded HTML: the value was escaped once too often.
ENTITY_TEXT = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z]+\d*);")
END_TAG = re.compile(r"</[A-Za-z][A-Za-z0-9]*\s*>")
#: More than a day ahead of the check is a date the validator finds implausible.
FUTURE_SLACK = dt.timedelta(days=1)
EARLIEST_PLAUSIBLE_YEAR = 1990


def parse_rfc3339(text: str) -> dt.datetime | None:
    match = RFC3339.match(text)
    if not match:
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def parse_rfc822(text: str) -> tuple[dt.datetime | None, str | None]:
    """The instant, and the day name when the date carries one."""
    match = RFC822.match(text)
    if not match:
        return None, None
    day_name, day, month, year, hour, minute, second, zone = match.groups()
    offsets = {"UT": 0, "GMT": 0, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7}
    offsets |= {"MDT": -6, "PST": -8, "PDT": -7}
    if zone in offsets:
        offset = dt.timedelta(hours=offsets[zone])
    else:
        sign = -1 if zone[0] == "-" else 1
        offset = sign * dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5]))
    try:
        moment = dt.datetime(
            int(year),
            MONTHS.index(month) + 1,
            int(day),
            int(hour),
            int(minute),
            int(second or 0),
            tzinfo=dt.timezone(offset),
        )
    except ValueError:
        return None, None
    return moment, day_name


def is_absolute_url(value: str) -> bool:
    parts = urlsplit(value)
    if parts.scheme in ("http", "https", "ftp"):
        return bool(parts.netloc)
    return parts.scheme in ("mailto", "tag", "urn", "data")


# --- HTML inside feeds ------------------------------------------------------------------


class _HtmlScan(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[str] = []
        self.references: list[tuple[str, str, str]] = []
        self.handlers: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append(tag)
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append(f"{tag} {name}")
            if name in URL_ATTRIBUTES and value is not None:
                self.references.append((tag, name, value))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def html_findings(value: str, where: str, element: str) -> list[Finding]:
    """What the validator says about an escaped HTML value (Atom type="html", RSS
    description and content:encoded)."""
    scan = _HtmlScan()
    scan.feed(value)
    scan.close()
    found: list[Finding] = []
    for tag in scan.elements:
        if tag in UNSAFE_ELEMENTS:
            found.append(Finding("warning", "SecurityRisk", where, f"{element} has <{tag}>"))
        elif tag not in HTML_ELEMENTS:
            found.append(Finding("warning", "NotHtml", where, f"{element} has <{tag}>"))
    for handler in scan.handlers:
        found.append(Finding("warning", "SecurityRisk", where, f"{element}: {handler}"))
    for tag, attribute, url in scan.references:
        scheme = urlsplit(url.strip()).scheme.lower()
        if scheme in ("javascript", "vbscript"):
            found.append(Finding("warning", "SecurityRisk", where, f"{element}: {tag} {url!r}"))
        elif not is_absolute_url(url.strip()):
            found.append(
                Finding("warning", "ContainsRelRef", where, f"{element}: {tag} {attribute}={url!r}")
            )
    text = "".join(scan.text)
    entity = ENTITY_TEXT.search(text)
    if entity:
        found.append(
            Finding("warning", "DoubleEscaped", where, f"{element} shows {entity.group()!r}")
        )
    return found


def text_findings(value: str, where: str, element: str) -> list[Finding]:
    """A plain-text value that holds markup or entities was escaped wrongly."""
    for pattern in (END_TAG, ENTITY_TEXT):
        match = pattern.search(value)
        if match:
            return [Finding("warning", "ContainsHTML", where, f"{element} has {match.group()!r}")]
    return []


# --- the document ------------------------------------------------------------------------


class _Checker:
    def __init__(self, url: str, now: dt.datetime) -> None:
        self.url = url
        self.now = now
        self.findings: list[Finding] = []

    def add(self, level: Level, code: str, where: str, detail: str) -> None:
        self.findings.append(Finding(level, code, where, detail))

    def extend(self, found: Iterable[Finding]) -> None:
        self.findings.extend(found)

    # shared rules

    def plausible(self, moment: dt.datetime, where: str, element: str) -> None:
        if moment.year < EARLIEST_PLAUSIBLE_YEAR or moment > self.now + FUTURE_SLACK:
            self.add("warning", "ImplausibleDate", where, f"{element} {moment.isoformat()}")

    def rfc3339(self, element: etree._Element, where: str) -> dt.datetime | None:
        text = (element.text or "").strip()
        name = etree.QName(element).localname
        moment = parse_rfc3339(text)
        if moment is None:
            self.add("error", "InvalidRFC3339Date", where, f"{name} {text!r}")
            return None
        self.plausible(moment, where, name)
        return moment

    def rfc822(self, element: etree._Element, where: str) -> dt.datetime | None:
        text = (element.text or "").strip()
        name = etree.QName(element).localname
        moment, day_name = parse_rfc822(text)
        if moment is None:
            self.add("error", "InvalidRFC2822Date", where, f"{name} {text!r}")
            return None
        if day_name is not None and DAYS[moment.weekday()] != day_name:
            self.add("warning", "IncorrectDOW", where, f"{name} {text!r}")
        self.plausible(moment, where, name)
        return moment

    def languages(self, root: etree._Element) -> None:
        for element in root.iter():
            value = element.get(XML_LANG)
            if value is not None and not BCP47.match(value):
                self.add("error", "InvalidLanguage", _path(element), f"xml:lang {value!r}")

    def once(
        self, parent: etree._Element, tag: str, where: str, *, required: bool = True
    ) -> etree._Element | None:
        found = parent.findall(tag)
        name = _short(tag)
        if not found:
            if required:
                self.add("error", "MissingElement", where, f"no {name}")
            return None
        if len(found) > 1:
            self.add("error", "DuplicateElement", where, f"{len(found)} {name} elements")
        return found[0]

    def unique(self, values: list[tuple[str, str]], code: str, level: Level) -> None:
        seen: set[str] = set()
        for where, value in values:
            if value in seen:
                self.add(level, code, where, repr(value))
            seen.add(value)

    # Atom

    def atom(self, feed: etree._Element) -> None:
        where = "feed"
        self.known_children(feed, ATOM_FEED_CHILDREN, where)
        self.atom_id(self.once(feed, f"{A}id", where), where)
        self.atom_text(self.once(feed, f"{A}title", where), where)
        for name in ("subtitle", "rights"):
            self.atom_text(self.once(feed, f"{A}{name}", where, required=False), where)
        updated_element = self.once(feed, f"{A}updated", where)
        feed_updated = self.rfc3339(updated_element, where) if updated_element is not None else None
        self.atom_links(feed, where, feed_level=True)
        for author in feed.findall(f"{A}author"):
            self.atom_person(author, where)
        generator = feed.find(f"{A}generator")
        if (
            generator is not None
            and generator.get("uri")
            and not is_absolute_url(generator.get("uri", ""))
        ):
            self.add("error", "InvalidFullLink", where, "generator uri")
        entries = feed.findall(f"{A}entry")
        if not feed.findall(f"{A}author") and any(e.find(f"{A}author") is None for e in entries):
            self.add("error", "MissingElement", where, "no author (and not every entry has one)")
        ids: list[tuple[str, str]] = []
        updates: list[tuple[str, str]] = []
        newest: dt.datetime | None = None
        for index, entry in enumerate(entries):
            entry_id = (entry.findtext(f"{A}id") or "").strip() or f"entry[{index}]"
            moment = self.atom_entry(entry, entry_id)
            ids.append((entry_id, entry_id))
            if moment is not None:
                updates.append((entry_id, moment.astimezone(dt.UTC).isoformat()))
                newest = moment if newest is None else max(newest, moment)
                if feed_updated is not None and moment > feed_updated:
                    self.add("warning", "EntryUpdatedAfterFeed", entry_id, moment.isoformat())
        self.unique(ids, "DuplicateIds", "error")
        self.unique(updates, "DuplicateUpdated", "warning")
        if feed_updated is not None and newest is not None and feed_updated > newest:
            self.add(
                "warning",
                "FeedUpdatedAfterNewestEntry",
                where,
                f"{feed_updated.isoformat()} > {newest.isoformat()}",
            )

    def atom_entry(self, entry: etree._Element, where: str) -> dt.datetime | None:
        self.known_children(entry, ATOM_ENTRY_CHILDREN, where)
        self.atom_id(self.once(entry, f"{A}id", where), where)
        self.atom_text(self.once(entry, f"{A}title", where), where)
        updated = self.once(entry, f"{A}updated", where)
        moment = self.rfc3339(updated, where) if updated is not None else None
        published = self.once(entry, f"{A}published", where, required=False)
        if published is not None:
            self.rfc3339(published, where)
        self.atom_text(self.once(entry, f"{A}summary", where, required=False), where)
        content = self.once(entry, f"{A}content", where, required=False)
        if content is not None:
            self.atom_text(content, where)
        links = self.atom_links(entry, where, feed_level=False)
        if content is None and "alternate" not in links:
            self.add("error", "MissingAlternateLink", where, "no content and no alternate link")
        for author in entry.findall(f"{A}author"):
            self.atom_person(author, where)
        for category in entry.findall(f"{A}category"):
            if not (category.get("term") or "").strip():
                self.add("error", "MissingAttribute", where, "category without term")
            scheme = category.get("scheme")
            if scheme is not None and not is_absolute_url(scheme):
                self.add("error", "InvalidIRI", where, f"category scheme {scheme!r}")
        return moment

    def atom_id(self, element: etree._Element | None, where: str) -> None:
        if element is None:
            return
        value = (element.text or "").strip()
        if value != (element.text or ""):
            self.add("warning", "UnexpectedWhitespace", where, f"id {element.text!r}")
        if value.startswith("tag:"):
            self.tag_uri(value, where)
        elif not (urlsplit(value).scheme and is_absolute_url(value)):
            self.add("error", "InvalidFullLink", where, f"id {value!r} is not an absolute IRI")

    def tag_uri(self, value: str, where: str) -> None:
        match = TAG_URI.match(value)
        if not match:
            self.add("error", "InvalidTAG", where, repr(value))
            return
        year, month, day = (int(p) if p else 1 for p in match.groups())
        try:
            dt.date(year, month, day)
        except ValueError:
            self.add("error", "InvalidTAG", where, f"{value!r}: no such date")

    def atom_text(self, element: etree._Element | None, where: str) -> None:
        if element is None:
            return
        name = etree.QName(element).localname
        kind = element.get("type", "text")
        value = element.text or ""
        if kind == "text":
            if len(element):
                self.add("error", "UndefinedElement", where, f"markup inside text {name}")
            self.extend(text_findings(value, where, name))
        elif kind == "html":
            if len(element):
                self.add("error", "UndefinedElement", where, f"markup inside html {name}")
            self.extend(html_findings(value, where, name))
        elif kind == "xhtml":
            self.add("warning", "UnexpectedContentType", where, f"{name} is xhtml")
        elif name != "content" or "/" not in kind:
            self.add("error", "InvalidTextType", where, f"{name} type={kind!r}")
        if name == "title" and not value.strip():
            self.add("warning", "NotBlank", where, "empty title")

    def atom_links(self, parent: etree._Element, where: str, *, feed_level: bool) -> set[str]:
        rels: set[str] = set()
        alternates: set[tuple[str, str]] = set()
        for link in parent.findall(f"{A}link"):
            href = link.get("href")
            rel = link.get("rel", "alternate")
            rels.add(rel)
            if href is None:
                self.add("error", "MissingHref", where, f"link rel={rel!r}")
                continue
            if not is_absolute_url(href):
                self.add("warning", "ContainsRelRef", where, f"link rel={rel!r} href={href!r}")
            if rel not in ATOM_RELS and not is_absolute_url(rel):
                self.add("warning", "UnregisteredAtomLinkRel", where, repr(rel))
            if rel == "alternate":
                key = (link.get("type", ""), link.get("hreflang", ""))
                if key in alternates:
                    self.add("error", "DuplicateAtomLink", where, f"alternate {key}")
                alternates.add(key)
            if rel == "self" and feed_level:
                self.self_link(link, "application/atom+xml", where)
        if feed_level:
            if "self" not in rels:
                self.add("warning", "MissingSelf", where, "no atom:link rel='self'")
            if "alternate" not in rels:
                self.add("warning", "MissingAlternateLink", where, "no alternate link")
        return rels

    def self_link(self, link: etree._Element, media_type: str, where: str) -> None:
        if link.get("href") != self.url:
            self.add(
                "warning", "SelfDoesntMatchLocation", where, f"{link.get('href')!r} != {self.url!r}"
            )
        if link.get("type") is None:
            self.add("warning", "MissingTypeAttr", where, "self link has no type")
        elif link.get("type") != media_type:
            self.add("warning", "UnexpectedContentType", where, f"self type {link.get('type')!r}")

    def atom_person(self, person: etree._Element, where: str) -> None:
        if not (person.findtext(f"{A}name") or "").strip():
            self.add("error", "MissingElement", where, "author without name")
        uri = person.findtext(f"{A}uri")
        if uri is not None and not is_absolute_url(uri):
            self.add("error", "InvalidFullLink", where, f"author uri {uri!r}")
        email = person.findtext(f"{A}email")
        if email is not None and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email):
            self.add("error", "InvalidEmail", where, repr(email))

    def known_children(self, parent: etree._Element, allowed: frozenset[str], where: str) -> None:
        for child in parent:
            if not isinstance(child.tag, str):
                continue
            if child.tag not in allowed:
                self.add("error", "UndefinedElement", where, f"{_short(child.tag)} here")

    # RSS

    def rss(self, root: etree._Element) -> None:
        if root.get("version") != "2.0":
            self.add("error", "InvalidVersion", "rss", repr(root.get("version")))
        channels = root.findall("channel")
        if len(channels) != 1:
            self.add("error", "MissingElement", "rss", f"{len(channels)} channel elements")
            return
        channel = channels[0]
        where = "channel"
        self.known_children(channel, RSS_CHANNEL_CHILDREN, where)
        for name in ("title", "link", "description"):
            element = self.once(channel, name, where)
            if element is not None and not (element.text or "").strip():
                self.add("error", "NotBlank", where, f"empty {name}")
        for name in RSS_CHANNEL_CHILDREN - {"item", "category", f"{A}link"}:
            if name in ("title", "link", "description"):
                continue
            self.once(channel, name, where, required=False)
        self.rss_text(channel.find("title"), where)
        self.rss_url(channel.find("link"), where)
        for name in ("lastBuildDate", "pubDate"):
            element = channel.find(name)
            if element is not None:
                self.rfc822(element, where)
        language = channel.findtext("language")
        if language is not None and not RSS_LANGUAGE.match(language):
            self.add("error", "InvalidLanguage", where, f"language {language!r}")
        ttl = channel.findtext("ttl")
        if ttl is not None and not re.fullmatch(r"\d+", ttl.strip()):
            self.add("error", "InvalidInteger", where, f"ttl {ttl!r}")
        self.rss_atom_links(channel, where)
        guids: list[tuple[str, str]] = []
        for index, item in enumerate(channel.findall("item")):
            guid = self.rss_item(item, f"item[{index}]")
            if guid is not None:
                guids.append((f"item[{index}]", guid))
        self.unique(guids, "DuplicateGuid", "warning")

    def rss_atom_links(self, channel: etree._Element, where: str) -> None:
        selfs = 0
        for link in channel.findall(f"{A}link"):
            rel = link.get("rel", "alternate")
            href = link.get("href")
            if href is None or not is_absolute_url(href):
                self.add("error", "InvalidFullLink", where, f"atom:link rel={rel!r} href={href!r}")
            if rel not in ATOM_RELS:
                self.add("warning", "UnregisteredAtomLinkRel", where, repr(rel))
            if rel == "self":
                selfs += 1
                self.self_link(link, "application/rss+xml", where)
        if selfs == 0:
            self.add("warning", "MissingAtomSelfLink", where, "no atom:link rel='self'")

    def rss_item(self, item: etree._Element, where: str) -> str | None:
        self.known_children(item, RSS_ITEM_CHILDREN, where)
        for name in ("title", "link", "description", "guid", "pubDate", f"{{{CONTENT_NS}}}encoded"):
            self.once(item, name, where, required=False)
        title = item.find("title")
        description = item.find("description")
        if title is None and description is None:
            self.add("error", "ItemMustContainTitleOrDescription", where, "neither")
        self.rss_text(title, where)
        self.rss_url(item.find("link"), where)
        for element in (description, item.find(f"{{{CONTENT_NS}}}encoded")):
            if element is not None:
                self.extend(html_findings(element.text or "", where, _short(element.tag)))
        pub_date = item.find("pubDate")
        if pub_date is not None:
            self.rfc822(pub_date, where)
        for category in item.findall("category"):
            if not (category.text or "").strip():
                self.add("error", "NotBlank", where, "empty category")
        language = item.findtext(f"{{{DC_NS}}}language")
        if language is not None and not BCP47.match(language):
            self.add("error", "InvalidLanguage", where, f"dc:language {language!r}")
        guid = item.find("guid")
        if guid is None:
            self.add("warning", "MissingGuid", where, "no guid")
            return None
        value = (guid.text or "").strip()
        permalink = guid.get("isPermaLink", "true")
        if permalink not in ("true", "false"):
            self.add("error", "InvalidBooleanAttribute", where, f"isPermaLink={permalink!r}")
        if permalink == "true" and not value.startswith(("http://", "https://")):
            self.add("error", "InvalidHttpGUID", where, f"guid {value!r} is not a URL")
        if value.startswith("tag:"):
            self.tag_uri(value, where)
        return value

    def rss_text(self, element: etree._Element | None, where: str) -> None:
        if element is not None:
            self.extend(text_findings(element.text or "", where, _short(element.tag)))

    def rss_url(self, element: etree._Element | None, where: str) -> None:
        if element is None:
            return
        value = (element.text or "").strip()
        if not value.startswith(("http://", "https://")) or not is_absolute_url(value):
            self.add("error", "InvalidURLElement", where, f"{_short(element.tag)} {value!r}")


ATOM_FEED_CHILDREN = frozenset(
    {f"{A}{n}" for n in ("author", "category", "contributor", "generator", "icon", "id", "link")}
    | {f"{A}{n}" for n in ("logo", "rights", "subtitle", "title", "updated", "entry")}
    | {f"{{{HISTORY_NS}}}archive", f"{{{HISTORY_NS}}}complete"}
)
ATOM_ENTRY_CHILDREN = frozenset(
    {f"{A}{n}" for n in ("author", "category", "content", "contributor", "id", "link")}
    | {f"{A}{n}" for n in ("published", "rights", "source", "summary", "title", "updated")}
)
# fmt: off
RSS_CHANNEL_CHILDREN = frozenset(
    {
        "title", "link", "description", "language", "copyright", "managingEditor", "webMaster",
        "pubDate", "lastBuildDate", "category", "generator", "docs", "cloud", "ttl", "image",
        "rating", "textInput", "skipHours", "skipDays", "item",
    }
) | {f"{A}link"}
# fmt: on
# fmt: off
RSS_ITEM_CHILDREN = frozenset(
    {
        "title", "link", "description", "author", "category", "comments", "enclosure", "guid",
        "pubDate", "source",
    }
) | {f"{{{CONTENT_NS}}}encoded", f"{{{DC_NS}}}language", f"{A}link"}
# fmt: on
#: Namespaces the validator knows; an element in any other one is undefined.
KNOWN_NAMESPACES = frozenset({ATOM_NS, HISTORY_NS, DC_NS, CONTENT_NS, XML_NS})


def _short(tag: str) -> str:
    prefixes = {ATOM_NS: "atom", HISTORY_NS: "fh", DC_NS: "dc", CONTENT_NS: "content"}
    qname = etree.QName(tag)
    local: str = qname.localname
    if qname.namespace is None:
        return local
    return f"{prefixes.get(qname.namespace, qname.namespace)}:{local}"


def _path(element: etree._Element) -> str:
    names = []
    node: etree._Element | None = element
    while node is not None:
        names.append(_short(node.tag))
        node = node.getparent()
    return "/".join(reversed(names))


def _characters(data: bytes) -> tuple[str | None, list[Finding]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [Finding("error", "UnicodeError", "document", str(exc))]
    found: list[Finding] = []
    declaration = re.match(r"<\?xml[^>]*encoding=[\"']([^\"']+)", text)
    if declaration and declaration.group(1).lower() not in ("utf-8", "utf8"):
        found.append(Finding("warning", "ObscureEncoding", "document", declaration.group(1)))
    for number, line in enumerate(text.split("\n"), 1):
        bad = BAD_CHARACTERS.search(line)
        if bad:
            found.append(
                Finding("error", "BadCharacters", f"line {number}", f"U+{ord(bad.group()):04X}")
            )
    return text, found


def check_document(data: bytes, url: str, *, now: dt.datetime | None = None) -> list[Finding]:
    """Every finding for one Atom or RSS document served at ``url``."""
    moment = now or dt.datetime.now(dt.UTC)
    text, found = _characters(data)
    if text is None:
        return found
    try:
        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        code = "UndeclaredPrefix" if "Namespace prefix" in str(exc) else "NotWellFormed"
        return [*found, Finding("error", code, "document", str(exc))]
    checker = _Checker(url, moment)
    checker.extend(found)
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        namespace = etree.QName(element).namespace
        if namespace is not None and namespace not in KNOWN_NAMESPACES:
            checker.add("warning", "UnknownNamespace", _path(element), namespace)
    checker.languages(root)
    if root.tag == f"{A}feed":
        checker.atom(root)
    elif root.tag == "rss":
        checker.rss(root)
    else:
        checker.add("error", "UnknownFeedType", "document", _short(root.tag))
    return checker.findings


def assert_clean(data: bytes, url: str, *, now: dt.datetime | None = None) -> None:
    """Fail with every finding listed when a document is not clean."""
    findings = check_document(data, url, now=now)
    assert not findings, f"{url}:\n" + "\n".join(str(f) for f in findings)
