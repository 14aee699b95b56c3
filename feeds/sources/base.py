"""What every source is given and what it hands back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

from feeds.config import Config, HttpSettings
from feeds.errors import SourceError
from feeds.model import FileStamp, FolderRanges, Retrieved


class Recall(Protocol):
    """What a source may know of earlier runs."""

    def file_dates(
        self, source: str, start: str | None = None, end: str | None = None
    ) -> dict[str, tuple[int, int]]: ...
    def folder_ranges(self, source: str) -> FolderRanges | None: ...
    def file_stamp(self, source: str, path: str) -> FileStamp | None: ...
    def validators(self, url: str) -> tuple[str | None, str | None]: ...
    def listing_fingerprint(self, source: str, url: str) -> str | None: ...
    def listing_count(self, source: str, page: str) -> int: ...
    def usual_items(self, source: str) -> int: ...
    def runs_since_full_walk(self, source: str) -> int | None: ...


@dataclass(frozen=True)
class ListingPage:
    """A listing page read this run: remembered once all its articles were stored."""

    url: str
    etag: str | None
    last_modified: str | None
    #: Article URLs the page links, with how the page showed each (title and date).
    items: dict[str, str]


@dataclass
class Retrieval:
    """The outcome of reading one source once."""

    documents: list[Retrieved] = field(default_factory=list)
    problems: list[SourceError] = field(default_factory=list)
    #: Keys of the documents that could not be retrieved (read again next time).
    failed: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)
    #: Release references the source shows now (dump files, listing items, feed items),
    #: whether or not they were read again this time; the base of drift detection.
    items: int = 0
    #: Requests sent (live sources), for the progress display.
    requests: int = 0
    #: Files whose stamp changed (keyed like ``Retrieved.key``), and known files now gone.
    stamps: dict[str, FileStamp] = field(default_factory=dict)
    gone: list[str] = field(default_factory=list)
    #: Dump sources: the matched files cut into ranges with the digest of each, kept
    #: once the files are stored (a later run reads only the ranges that changed).
    folder_ranges: FolderRanges | None = None
    #: Listing pages read (html sources).
    pages: list[ListingPage] = field(default_factory=list)
    #: Validators of a document that came back unchanged or was read (feed sources).
    validators: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    #: Crawls: True when every listing page was read, False when the walk stopped at
    #: known items; None for other sources.
    full_walk: bool | None = None


Progress = Callable[[str], None]


def http_settings(config: Config, *urls: str) -> HttpSettings:
    """The configuration's HTTP settings, allowing the origins of its sources, of the
    configured extra origins and of ``urls``."""
    from feeds.sources.http import origin_of  # the HTTP client loads only when it is used

    named = [*config.http.allowed_origins, *config.source_urls, *urls]
    origins = frozenset(o for o in map(origin_of, named) if o is not None)
    return replace(config.http, allowed_origins=origins)
