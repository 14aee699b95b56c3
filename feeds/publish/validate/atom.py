"""Atom 1.0 (RFC 4287, with RFC 5005 archive markers and WebSub hub links).

On top of the validator's rules, what every Atom document of ours has: a self link that
is the URL it is served at, a ``published`` date on every entry, and no two entries
updated at the same instant.
"""

from __future__ import annotations

import datetime as dt

from lxml import etree

from feeds.publish.validate.elements import HISTORY_NS, A, Children, links, text
from feeds.publish.validate.findings import EMAIL, Report, is_absolute_url
from feeds.publish.validate.markup import html_findings, text_findings

MEDIA_TYPE = "application/atom+xml"
FEED_CHILDREN = frozenset(
    {f"{A}{n}" for n in ("author", "category", "contributor", "generator", "icon", "id", "link")}
    | {f"{A}{n}" for n in ("logo", "rights", "subtitle", "title", "updated", "entry")}
    | {f"{{{HISTORY_NS}}}archive", f"{{{HISTORY_NS}}}complete"}
)
ENTRY_CHILDREN = frozenset(
    {f"{A}{n}" for n in ("author", "category", "content", "contributor", "id", "link")}
    | {f"{A}{n}" for n in ("published", "rights", "source", "summary", "title", "updated")}
)


def check(feed: etree._Element, report: Report) -> None:
    where = "feed"
    children = Children(feed, report, where)
    children.only(FEED_CHILDREN)
    _id(children.once(f"{A}id"), report, where)
    _text_construct(children.once(f"{A}title"), report, where)
    for name in ("subtitle", "rights"):
        _text_construct(children.once(f"{A}{name}", required=False), report, where)
    updated = children.once(f"{A}updated")
    feed_updated = report.rfc3339(text(updated), where, "updated") if updated is not None else None
    rels = links(children, self_type=MEDIA_TYPE)
    if not rels["self"]:
        report.add("error", "MissingSelf", where, "no atom:link rel='self'")
    if not rels["alternate"]:
        report.add("warning", "MissingAlternateLink", where, "no alternate link")
    for author in children.all(f"{A}author"):
        _person(author, report, where)
    generator = children.first(f"{A}generator")
    uri = generator.get("uri") if generator is not None else None
    if uri and not is_absolute_url(uri):
        report.add("error", "InvalidFullLink", where, "generator uri")
    entries = children.all(f"{A}entry")
    if not children.all(f"{A}author") and any(e.find(f"{A}author") is None for e in entries):
        report.add("error", "MissingElement", where, "no author (and not every entry has one)")
    ids: list[tuple[str, str]] = []
    updates: list[tuple[str, str]] = []
    newest: dt.datetime | None = None
    for index, entry in enumerate(entries):
        entry_id = (entry.findtext(f"{A}id") or "").strip() or f"entry[{index}]"
        moment = _entry(Children(entry, report, entry_id))
        ids.append((entry_id, entry_id))
        if moment is not None:
            updates.append((entry_id, moment.astimezone(dt.UTC).isoformat()))
            newest = moment if newest is None else max(newest, moment)
            if feed_updated is not None and moment > feed_updated:
                report.add("warning", "EntryUpdatedAfterFeed", entry_id, moment.isoformat())
    report.unique(ids, "DuplicateIds")
    report.unique(updates, "DuplicateUpdated")
    if feed_updated is not None and newest is not None and feed_updated > newest:
        report.add(
            "warning",
            "FeedUpdatedAfterNewestEntry",
            where,
            f"{feed_updated.isoformat()} > {newest.isoformat()}",
        )


def _entry(children: Children) -> dt.datetime | None:
    """Check one entry; its ``updated`` instant when that is valid."""
    report, where = children.report, children.where
    children.only(ENTRY_CHILDREN)
    _id(children.once(f"{A}id"), report, where)
    _text_construct(children.once(f"{A}title"), report, where)
    updated = children.once(f"{A}updated")
    moment = report.rfc3339(text(updated), where, "updated") if updated is not None else None
    published = children.once(f"{A}published")
    if published is not None:
        report.rfc3339(text(published), where, "published")
    _text_construct(children.once(f"{A}summary", required=False), report, where)
    content = children.once(f"{A}content", required=False)
    _text_construct(content, report, where)
    if not links(children)["alternate"] and content is None:
        report.add("error", "MissingAlternateLink", where, "no content and no alternate link")
    for author in children.all(f"{A}author"):
        _person(author, report, where)
    for category in children.all(f"{A}category"):
        if not (category.get("term") or "").strip():
            report.add("error", "MissingAttribute", where, "category without term")
        scheme = category.get("scheme")
        if scheme is not None and not is_absolute_url(scheme):
            report.add("error", "InvalidIRI", where, f"category scheme {scheme!r}")
    return moment


def _id(element: etree._Element | None, report: Report, where: str) -> None:
    if element is None:
        return
    value = text(element).strip()
    if value != text(element):
        report.add("warning", "UnexpectedWhitespace", where, f"id {element.text!r}")
    report.entry_id(value, where)


def _text_construct(element: etree._Element | None, report: Report, where: str) -> None:
    """A title, subtitle, rights, summary or content element."""
    if element is None:
        return
    name = etree.QName(element).localname
    kind = element.get("type", "text")
    value = text(element)
    if kind in ("text", "html"):
        if len(element):
            report.add("error", "UndefinedElement", where, f"markup inside {kind} {name}")
        if report.warnings:
            check = text_findings if kind == "text" else html_findings
            report.extend(check(value, where, name))
    elif kind == "xhtml":
        report.add("warning", "UnexpectedContentType", where, f"{name} is xhtml")
    elif name != "content" or "/" not in kind:
        report.add("error", "InvalidTextType", where, f"{name} type={kind!r}")
    if name == "title" and not value.strip():
        report.add("error", "NotBlank", where, "empty title")


def _person(person: etree._Element, report: Report, where: str) -> None:
    if not (person.findtext(f"{A}name") or "").strip():
        report.add("error", "MissingElement", where, "author without name")
    uri = person.findtext(f"{A}uri")
    if uri is not None and not is_absolute_url(uri):
        report.add("error", "InvalidFullLink", where, f"author uri {uri!r}")
    email = person.findtext(f"{A}email")
    if email is not None and not EMAIL.match(email):
        report.add("error", "InvalidEmail", where, repr(email))
