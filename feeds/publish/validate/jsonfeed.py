"""JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/), with the names the validator
gives the same problems in Atom.

On top of the specification, what every JSON Feed of ours has: a ``feed_url`` that is
the URL it is served at, and items that each have both dates, none modified at the same
instant as another.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from feeds.publish.validate.findings import BCP47, Report, is_absolute_url
from feeds.publish.validate.markup import html_findings, text_findings

VERSION = "https://jsonfeed.org/version/1.1"
FEED_URLS = ("home_page_url", "next_url", "icon", "favicon")
ITEM_URLS = ("url", "external_url", "image", "banner_image")


def parse(data: bytes, report: Report) -> dict[str, Any] | None:
    """The top-level object; None (and an error) when there is none."""
    try:
        document = json.loads(data)
    except ValueError as exc:
        report.add("error", "NotWellFormed", "document", f"invalid JSON: {exc}")
        return None
    if not isinstance(document, dict):
        report.add("error", "UnknownFeedType", "document", type(document).__name__)
        return None
    return document


def check(feed: dict[str, Any], report: Report) -> None:
    where = "feed"
    if feed.get("version") != VERSION:
        report.add("error", "InvalidVersion", where, repr(feed.get("version")))
    _string(feed, "title", report, where, required=True)
    self_url = _string(feed, "feed_url", report, where)
    if self_url is None:
        report.add("error", "MissingSelf", where, "no feed_url")
    else:
        report.self_url(self_url, where)
    _urls(feed, FEED_URLS, report, where)
    language = _string(feed, "language", report, where)
    if language is not None:
        report.language(language, where, "language", BCP47)
    items = feed.get("items")
    if not isinstance(items, list):
        report.add("error", "MissingElement", where, "no items array")
        return
    ids: list[tuple[str, str]] = []
    updates: list[tuple[str, str]] = []
    for index, item in enumerate(items):
        label = f"items[{index}]"
        if not isinstance(item, dict):
            report.add("error", "InvalidValue", label, "an item is not an object")
            continue
        item_id = _string(item, "id", report, label, required=True)
        if item_id:
            label = item_id
            ids.append((label, item_id))
        modified = _item(item, report, label)
        if modified is not None:
            updates.append((label, modified.astimezone(dt.UTC).isoformat()))
    report.unique(ids, "DuplicateIds")
    report.unique(updates, "DuplicateUpdated")


def _item(item: dict[str, Any], report: Report, where: str) -> dt.datetime | None:
    """Check one item; its ``date_modified`` instant when that is valid."""
    _urls(item, ITEM_URLS, report, where)
    html = _string(item, "content_html", report, where)
    plain = _string(item, "content_text", report, where)
    if html is None and plain is None:
        report.add("error", "MissingElement", where, "no content_html or content_text")
    if report.warnings:
        if html is not None:
            report.extend(html_findings(html, where, "content_html"))
        for name in ("title", "summary"):
            value = _string(item, name, report, where)
            if value is not None:
                report.extend(text_findings(value, where, name))
    published = _string(item, "date_published", report, where, required=True)
    if published is not None:
        report.rfc3339(published, where, "date_published")
    modified = _string(item, "date_modified", report, where, required=True)
    language = _string(item, "language", report, where)
    if language is not None:
        report.language(language, where, "language", BCP47)
    tags = item.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags):
        report.add("error", "InvalidValue", where, f"tags {tags!r}")
    return report.rfc3339(modified, where, "date_modified") if modified is not None else None


def _string(
    obj: dict[str, Any], key: str, report: Report, where: str, *, required: bool = False
) -> str | None:
    """``obj[key]`` when it is a string; an error when it is something else, or missing
    or blank while ``required``."""
    value = obj.get(key)
    if value is None:
        if required:
            report.add("error", "MissingElement", where, f"no {key}")
        return None
    if not isinstance(value, str):
        report.add("error", "InvalidValue", where, f"{key} {value!r} is not a string")
        return None
    if required and not value.strip():
        report.add("error", "NotBlank", where, f"empty {key}")
    return value


def _urls(obj: dict[str, Any], keys: tuple[str, ...], report: Report, where: str) -> None:
    for key in keys:
        value = _string(obj, key, report, where)
        if value is not None and not is_absolute_url(value):
            report.add("error", "InvalidFullLink", where, f"{key} {value!r}")
