"""Where each published file goes under the output folder (relative, '/'-separated)."""

from __future__ import annotations

INDEX_FILE = "index.html"
OPML_FILE = "feeds.opml"
STATUS_FILE = "status.json"
FEED_FILES = {"atom": "atom.xml", "rss": "rss.xml", "json": "feed.json", "html": INDEX_FILE}


def section_page_path(section_id: str) -> str:
    return f"{section_id}/{INDEX_FILE}"


def archive_page_path(section_id: str, number: int) -> str:
    """A section's archive page as HTML."""
    return f"{section_id}/archive/{number}.html"


def archive_feed_path(section_id: str, number: int) -> str:
    """A feed's archive page (RFC 5005) as Atom."""
    return f"{section_id}/archive/{number}.xml"


def archive_files(section_id: str, number: int) -> tuple[str, str]:
    return archive_feed_path(section_id, number), archive_page_path(section_id, number)
