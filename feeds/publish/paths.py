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


def relative_link(target: str, page: str) -> str:
    """A link from the file ``page`` to the file ``target`` (both output paths).

    What ``posixpath.relpath`` gives for these clean paths, without its two ``getcwd``
    calls: a page holds dozens of links and a cold run writes thousands of pages."""
    to, here = target.split("/"), page.split("/")[:-1]
    common = 0
    for a, b in zip(to[:-1], here, strict=False):
        if a != b:
            break
        common += 1
    return "/".join([".."] * (len(here) - common) + to[common:])
