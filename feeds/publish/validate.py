"""The gate every feed document passes before it replaces the published one.

Checks what breaks readers and what validators flag most: well-formed XML with declared
namespaces, the required elements, parseable dates with zones, unique ids and unique
``updated`` instants, a self link and absolute links.  It runs on every document a run
writes, so it stays with lxml checks; a full reader round trip belongs to the tests.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
from collections.abc import Callable
from urllib.parse import urlsplit

from lxml import etree

from feeds.errors import PublishError

ATOM = "{http://www.w3.org/2005/Atom}"


def _fail(where: str, what: str) -> PublishError:
    return PublishError(f"{where}: not published: {what}")


def _absolute(url: str | None) -> bool:
    parts = urlsplit(url or "")
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _rfc3339(text: str | None) -> bool:
    if not text:
        return False
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return moment.tzinfo is not None and "T" in text


def _rfc822(text: str | None) -> bool:
    if not text:
        return False
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return False
    return moment.tzinfo is not None


def _parse(where: str, data: bytes) -> etree._Element:
    try:
        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise _fail(where, f"malformed XML: {exc}") from None


def _text(element: etree._Element, path: str) -> str | None:
    found = element.find(path)
    return found.text if found is not None else None


def _unique(where: str, values: list[str], what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise _fail(where, f"duplicate {what} {value!r}")
        seen.add(value)


def check_atom(where: str, data: bytes, *, self_url: str) -> None:
    root = _parse(where, data)
    if root.tag != f"{ATOM}feed":
        raise _fail(where, f"root element is {root.tag}, not atom:feed")
    for required in ("id", "title", "updated"):
        if not _text(root, f"{ATOM}{required}"):
            raise _fail(where, f"feed has no {required}")
    if not _rfc3339(_text(root, f"{ATOM}updated")):
        raise _fail(where, "feed updated is not an RFC 3339 date with a zone")
    selfs = [e.get("href") for e in root.findall(f"{ATOM}link") if e.get("rel") == "self"]
    if selfs != [self_url]:
        raise _fail(where, f"self link {selfs} is not [{self_url!r}]")
    ids: list[str] = []
    updated: list[str] = []
    for entry in root.findall(f"{ATOM}entry"):
        entry_id = _text(entry, f"{ATOM}id")
        if not entry_id or not _text(entry, f"{ATOM}title"):
            raise _fail(where, "an entry has no id or no title")
        for name in ("updated", "published"):
            value = _text(entry, f"{ATOM}{name}")
            if not _rfc3339(value):
                raise _fail(where, f"entry {entry_id}: {name} {value!r} is not RFC 3339")
        for link in entry.findall(f"{ATOM}link"):
            if not _absolute(link.get("href")):
                raise _fail(where, f"entry {entry_id}: link {link.get('href')!r} is not absolute")
        ids.append(entry_id)
        updated.append(_text(entry, f"{ATOM}updated") or "")
    _unique(where, ids, "entry id")
    _unique(where, updated, "entry updated instant")


def check_rss(where: str, data: bytes, *, self_url: str) -> None:
    root = _parse(where, data)
    channel = root.find("channel")
    if root.tag != "rss" or root.get("version") != "2.0" or channel is None:
        raise _fail(where, "not an RSS 2.0 document")
    for required in ("title", "link", "description"):
        if _text(channel, required) is None:
            raise _fail(where, f"channel has no {required}")
    if not _rfc822(_text(channel, "lastBuildDate")):
        raise _fail(where, "lastBuildDate is not an RFC 822 date with a zone")
    selfs = [e.get("href") for e in channel.findall(f"{ATOM}link") if e.get("rel") == "self"]
    if selfs != [self_url]:
        raise _fail(where, f"self link {selfs} is not [{self_url!r}]")
    guids: list[str] = []
    for item in channel.findall("item"):
        guid = _text(item, "guid")
        if not guid or not _text(item, "title"):
            raise _fail(where, "an item has no guid or no title")
        if not _rfc822(_text(item, "pubDate")):
            raise _fail(where, f"item {guid}: pubDate is not an RFC 822 date with a zone")
        if not _absolute(_text(item, "link")):
            raise _fail(where, f"item {guid}: link is not absolute")
        guids.append(guid)
    _unique(where, guids, "guid")


def check_json_feed(where: str, data: bytes, *, self_url: str) -> None:
    try:
        document = json.loads(data)
    except ValueError as exc:
        raise _fail(where, f"invalid JSON: {exc}") from None
    if document.get("version") != "https://jsonfeed.org/version/1.1":
        raise _fail(where, "not a JSON Feed 1.1 document")
    if document.get("feed_url") != self_url:
        raise _fail(where, f"feed_url {document.get('feed_url')!r} is not {self_url!r}")
    ids = [str(item.get("id", "")) for item in document.get("items", [])]
    if not all(ids):
        raise _fail(where, "an item has no id")
    _unique(where, ids, "item id")


CHECKS: dict[str, Callable[..., None]] = {
    "atom.xml": check_atom,
    "rss.xml": check_rss,
    "feed.json": check_json_feed,
}
