"""RSS 2.0 (with the content, Dublin Core and Atom extensions).

On top of the validator's rules, what every RSS document of ours has: an
``atom:link rel="self"`` that is the URL it is served at, a ``lastBuildDate``, and items
that each have a title, a link, a date and a unique guid.
"""

from __future__ import annotations

import re

from lxml import etree

from feeds.publish.validate.elements import (
    CONTENT_NS,
    DC_NS,
    A,
    Children,
    links,
    short,
    text,
)
from feeds.publish.validate.findings import BCP47, RSS_LANGUAGE, Report, is_web_url
from feeds.publish.validate.markup import html_findings, text_findings

MEDIA_TYPE = "application/rss+xml"
CONTENT = f"{{{CONTENT_NS}}}encoded"
# fmt: off
CHANNEL_CHILDREN = frozenset(
    {
        "title", "link", "description", "language", "copyright", "managingEditor", "webMaster",
        "pubDate", "lastBuildDate", "category", "generator", "docs", "cloud", "ttl", "image",
        "rating", "textInput", "skipHours", "skipDays", "item",
    }
) | {f"{A}link"}
ITEM_CHILDREN = frozenset(
    {
        "title", "link", "description", "author", "category", "comments", "enclosure", "guid",
        "pubDate", "source",
    }
) | {CONTENT, f"{{{DC_NS}}}language", f"{A}link"}
# fmt: on
#: Channel elements that may appear at most once, besides the required three.
CHANNEL_ONCE = CHANNEL_CHILDREN - {"item", "category", f"{A}link", "title", "link", "description"}


def check(root: etree._Element, report: Report) -> None:
    if root.get("version") != "2.0":
        report.add("error", "InvalidVersion", "rss", repr(root.get("version")))
    channels = root.findall("channel")
    if len(channels) != 1:
        report.add("error", "MissingElement", "rss", f"{len(channels)} channel elements")
        return
    channel = channels[0]
    where = "channel"
    children = Children(channel, report, where)
    children.only(CHANNEL_CHILDREN)
    for name in ("title", "link", "description"):
        element = children.once(name)
        if element is not None and not text(element).strip():
            report.add("error", "NotBlank", where, f"empty {name}")
    for name in sorted(CHANNEL_ONCE):
        children.once(name, required=False)
    _text(children.first("title"), report, where)
    _url(children.first("link"), report, where)
    for name in ("lastBuildDate", "pubDate"):
        date = children.first(name)
        if date is not None:
            report.rfc822(text(date), where, name)
        elif name == "lastBuildDate":
            report.add("error", "MissingElement", where, "no lastBuildDate")
    language = _value(children.first("language"))
    if language is not None:
        report.language(language, where, "language", RSS_LANGUAGE)
    ttl = _value(children.first("ttl"))
    if ttl is not None and not re.fullmatch(r"\d+", ttl.strip()):
        report.add("error", "InvalidInteger", where, f"ttl {ttl!r}")
    if not links(children, self_type=MEDIA_TYPE)["self"]:
        report.add("error", "MissingAtomSelfLink", where, "no atom:link rel='self'")
    guids: list[tuple[str, str]] = []
    for index, item in enumerate(children.all("item")):
        guid = _item(Children(item, report, f"item[{index}]"))
        if guid is not None:
            guids.append((f"item[{index}]", guid))
    report.unique(guids, "DuplicateGuid")


def _item(children: Children) -> str | None:
    """Check one item; its guid when it has one."""
    report, where = children.report, children.where
    children.only(ITEM_CHILDREN)
    link, description, pub_date, content = (
        children.once(name, required=False) for name in ("link", "description", "pubDate", CONTENT)
    )
    title = children.once("title", required=False)
    if title is None:
        if description is None:
            report.add("error", "ItemMustContainTitleOrDescription", where, "neither")
        else:
            report.add("error", "MissingElement", where, "no title")
    _text(title, report, where)
    if link is None:
        report.add("error", "MissingElement", where, "no link")
    _url(link, report, where)
    if report.warnings:
        for element in (description, content):
            if element is not None:
                report.extend(html_findings(text(element), where, short(element.tag)))
    if pub_date is None:
        report.add("error", "MissingElement", where, "no pubDate")
    else:
        report.rfc822(text(pub_date), where, "pubDate")
    for category in children.all("category"):
        if not text(category).strip():
            report.add("error", "NotBlank", where, "empty category")
    language = _value(children.first(f"{{{DC_NS}}}language"))
    if language is not None:
        report.language(language, where, "dc:language", BCP47)
    return _guid(children.once("guid", required=False), report, where)


def _guid(guid: etree._Element | None, report: Report, where: str) -> str | None:
    if guid is None:
        report.add("error", "MissingGuid", where, "no guid")
        return None
    value = text(guid).strip()
    permalink = guid.get("isPermaLink", "true")
    if permalink not in ("true", "false"):
        report.add("error", "InvalidBooleanAttribute", where, f"isPermaLink={permalink!r}")
    if not value:
        report.add("error", "NotBlank", where, "empty guid")
    elif permalink == "true" and not value.startswith(("http://", "https://")):
        report.add("error", "InvalidHttpGUID", where, f"guid {value!r} is not a URL")
    if value.startswith("tag:"):
        report.tag_uri(value, where)
    return value


def _value(element: etree._Element | None) -> str | None:
    """The text of an optional element: None when it is absent."""
    return None if element is None else text(element)


def _text(element: etree._Element | None, report: Report, where: str) -> None:
    if element is not None and report.warnings:
        report.extend(text_findings(text(element), where, short(element.tag)))


def _url(element: etree._Element | None, report: Report, where: str) -> None:
    if element is None:
        return
    value = text(element).strip()
    if not is_web_url(value):
        report.add("error", "InvalidURLElement", where, f"{short(element.tag)} {value!r}")
