"""From a request target to a file under the root, and what that file is.

Everything here is pure: it decides which targets may reach the file system at
all, which file a target names, and the media type and cache lifetime of a
file by its name.  Nothing here touches the disk.
"""

from __future__ import annotations

import functools
import os
import urllib.parse
from collections.abc import Sequence
from typing import NamedTuple

#: Archive documents are complete once written, so caches may keep them a day.
ARCHIVE_MAX_AGE = 86400

TEXT_UTF8 = "; charset=utf-8"

# Exact file names first: the same suffix means different things by name.
_TYPES_BY_NAME: dict[str, str] = {
    "atom.xml": "application/atom+xml" + TEXT_UTF8,
    "rss.xml": "application/rss+xml" + TEXT_UTF8,
    "feed.json": "application/feed+json" + TEXT_UTF8,
    "status.json": "application/json",
}
_TYPES_BY_SUFFIX: dict[str, str] = {
    ".html": "text/html" + TEXT_UTF8,
    ".opml": "text/x-opml" + TEXT_UTF8,
    ".xml": "application/xml" + TEXT_UTF8,
    ".json": "application/json",
    ".css": "text/css" + TEXT_UTF8,
    ".js": "text/javascript" + TEXT_UTF8,
    ".txt": "text/plain" + TEXT_UTF8,
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".ico": "image/vnd.microsoft.icon",
}
_ARCHIVE_TYPE = "application/atom+xml" + TEXT_UTF8
_DEFAULT_TYPE = "application/octet-stream"


def _path_of(target: str) -> str:
    """The path of a target; absolute-form targets (RFC 9112) carry it after the authority."""
    if target.startswith(("http://", "https://")):
        return urllib.parse.urlsplit(target).path or "/"
    return target


def request_segments(target: str) -> tuple[tuple[str, ...], bool] | None:
    """Split a request target into decoded path segments and a trailing-slash flag.

    Returns ``None`` for anything that must not reach the file system:
    ``.``/``..``, dotfiles, backslashes, NUL, empty segments, bad UTF-8.
    """
    path = _path_of(target).split("?", 1)[0].split("#", 1)[0]
    if not path.startswith("/") or "\\" in path:
        return None
    try:
        decoded = urllib.parse.unquote_to_bytes(path).decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "\0" in decoded or "\\" in decoded:
        return None
    segments = decoded[1:].split("/")
    trailing = segments[-1] == ""
    if trailing:
        segments.pop()
    for segment in segments:
        # A leading dot covers "." and ".." as well as hidden and temporary files.
        if not segment or segment.startswith(".") or segment.endswith((".tmp", "~")):
            return None
    return tuple(segments), trailing


class Route(NamedTuple):
    segments: tuple[str, ...]
    trailing: bool
    #: The file the request names, relative to the root: a folder means its index.html.
    logical: str


@functools.lru_cache(maxsize=1024)
def route(target: str) -> Route | None:
    """``request_segments`` and the file they name; pollers repeat the same targets."""
    parsed = request_segments(target)
    if parsed is None:
        return None
    segments, trailing = parsed
    return Route(segments, trailing, "/".join([*segments, "index.html"] if trailing else segments))


def folder_location(target: str) -> str:
    """Where a folder named without its trailing slash is: the same target with one."""
    path, question, query = target.partition("?")
    # The target passed request_segments, so its path starts with one slash only:
    # never a scheme-relative "//host" that would send the client elsewhere.
    return f"{_path_of(path)}/{question}{query}"


def inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _in_archive(segments: Sequence[str]) -> bool:
    return len(segments) >= 3 and segments[-2] == "archive"


def content_type(segments: Sequence[str]) -> str:
    name = segments[-1]
    if _in_archive(segments) and name.endswith(".xml"):
        return _ARCHIVE_TYPE
    if name in _TYPES_BY_NAME:
        return _TYPES_BY_NAME[name]
    return _TYPES_BY_SUFFIX.get(os.path.splitext(name)[1].lower(), _DEFAULT_TYPE)


def cache_control(segments: Sequence[str], max_age: int) -> str:
    return f"public, max-age={ARCHIVE_MAX_AGE if _in_archive(segments) else max_age}"


def compressible(content_type: str) -> bool:
    media = content_type.split(";", 1)[0]
    return media.startswith("text/") or media.endswith(("xml", "json"))
