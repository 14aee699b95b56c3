"""JSON Feed 1.1 documents, one per section (``<section>/feed.json``)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

from feeds.errors import PublishError
from feeds.model import Entry, Section, Site
from feeds.publish.content import (
    entry_content_html,
    entry_language,
    entry_link,
    entry_summary_text,
    section_feed_urls,
)
from feeds.text.clean import clean_text
from feeds.text.urls import is_absolute

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"


def render_json_feed(
    section: Section,
    entries: Sequence[Entry],
    *,
    site: Site,
    section_titles: Mapping[str, str] | None = None,
) -> bytes:
    """A feed's head entries (newest first) as JSON Feed 1.1.

    Keys keep a fixed order and non-ASCII text is written as is, so the same entries give
    the same bytes.  Each item is tagged with its own section's title (from
    ``section_titles``, for feeds like ``all`` that mix sections).
    """
    urls = section_feed_urls(section.id, site)
    feed: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": f"{site.title}: {section.title}",
        "home_page_url": urls["html"],
        "feed_url": urls["json"],
    }
    if section.description:
        feed["description"] = section.description
    feed["language"] = site.language
    titles = {**(section_titles or {}), section.id: section.title}
    feed["items"] = [
        _item(entry, titles.get(entry.section, section.title), site, urls["json"])
        for entry in entries
    ]
    return (json.dumps(feed, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _item(entry: Entry, tag: str, site: Site, where: str) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": entry.id,
        "url": entry_link(entry, site),
        # Cleaned here too: state written by older versions may hold controls.
        "title": clean_text(entry.release.title),
        "content_html": clean_text(entry_content_html(entry, site)),
    }
    summary = clean_text(entry_summary_text(entry))
    if summary:
        item["summary"] = summary
    image = next((a.url for a in entry.release.images if a.url and is_absolute(a.url)), None)
    if image:
        item["image"] = image
    item["date_published"] = rfc3339(entry.published, where, entry.id)
    item["date_modified"] = rfc3339(entry.updated, where, entry.id)
    item["language"] = entry_language(entry, site)
    item["tags"] = [tag]
    # Extension (JSON Feed allows "_" keys): what kind of release this is and whether its
    # date is its own or the time it was first seen.
    release = entry.release
    item["_feeds"] = {
        "kind": release.kind.value,
        "title_derived": release.title_derived,
        "date_known": entry.date_known,
        "date_origin": release.date_origin.value,
    }
    return item


def rfc3339(moment: dt.datetime, where: str, entry_id: str) -> str:
    """An RFC 3339 timestamp with its offset; a naive time has no honest offset to give."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise PublishError(f"{where}: entry {entry_id} has a date without a time zone")
    return moment.isoformat()
