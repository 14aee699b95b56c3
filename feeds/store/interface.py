"""What the rest of feeds may ask of the state, and the values that cross that line.

The SQLite classes of this package implement these protocols; another backend
(PostgreSQL, say) would implement them too.  The store knows tables and queries, never
what makes two releases the same: keys are computed by :mod:`feeds.ingest` and handed in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from feeds.model import Entry, FileStamp, Release, ReleaseKind, SourceHealth


@dataclass(frozen=True)
class MatchKeys:
    """Normalised forms of a release that matching looks entries up by."""

    url: str | None
    title_key: str
    lead_key: str
    text_key: str
    #: Hashes of word chunks of the lead and the text (fuzzy candidates).
    chunks: tuple[int, ...]
    #: The date the release states: its own, or one its text names.
    date: dt.date | None
    #: True when ``date`` is the release's own (a date line, a page's date element).
    date_own: bool = False


@dataclass(frozen=True)
class Candidate:
    """What matching needs to know about one stored entry."""

    id: str
    seq: int
    kind: ReleaseKind
    url: str | None
    title_key: str
    lead_key: str
    text_key: str
    date: dt.date | None
    date_own: bool = False


@dataclass(frozen=True)
class StoredEntry:
    """A stored entry as ingest reads it to update it."""

    id: str
    seq: int
    release: Release
    rank: int
    content_hash: str
    section: str
    extra_sections: tuple[str, ...]
    published: dt.datetime
    updated: dt.datetime
    first_seen: dt.datetime
    page_path: str
    observed: dt.date | None


@dataclass(frozen=True)
class EntryRow:
    """Everything stored about an entry (inserted whole, or rewritten whole)."""

    id: str
    release: Release
    rank: int
    content_hash: str
    section: str
    extra_sections: tuple[str, ...]
    published: dt.datetime
    updated: dt.datetime
    first_seen: dt.datetime
    page_path: str
    keys: MatchKeys
    keys_version: int


class Releases(Protocol):
    """Entries, their sightings and their match keys."""

    def by_url(self, url: str) -> list[Candidate]: ...
    def by_title(self, title_key: str) -> list[Candidate]: ...
    def by_text(self, *keys: str) -> list[Candidate]: ...
    def by_chunks(self, chunks: Sequence[int], minimum: int) -> list[Candidate]: ...
    def last_full_sighting(self, source: str, locator: str) -> Candidate | None: ...
    def holds_full_version(self, entry_id: str, release_hash: str) -> bool: ...
    def known_texts(self, keys: Iterable[str]) -> set[str]: ...
    def load(self, entry_id: str) -> StoredEntry | None: ...
    def id_taken(self, entry_id: str) -> bool: ...
    def updated_taken(self, moment: dt.datetime) -> bool: ...
    def insert(self, row: EntryRow) -> None: ...
    def rewrite(self, row: EntryRow) -> None: ...
    def set_observed(self, entry_id: str, observed: dt.date) -> None: ...
    def add_sighting(
        self,
        entry_id: str,
        *,
        source: str,
        locator: str,
        kind: ReleaseKind,
        content_hash: str,
        now: dt.datetime,
    ) -> None: ...
    def stale_keys(self, version: int) -> Iterator[StoredEntry]: ...
    def entries(self, *, include_hidden: bool = False) -> list[Entry]: ...
    def entry(self, entry_id: str) -> Entry | None: ...
    def set_hidden(self, entry_id: str, hidden: bool) -> bool: ...


class SourceMemory(Protocol):
    """What sources remember between runs: files read, HTTP validators, listing items,
    crawl walks."""

    def file_stamp(self, source: str, path: str) -> FileStamp | None: ...
    def remember_file(self, source: str, path: str, stamp: FileStamp) -> None: ...
    def remember_paragraphs(self, source: str, path: str, keys: Iterable[str]) -> None: ...
    def paragraph_counts(self, source: str, keys: Iterable[str]) -> dict[str, int]: ...
    def forget_files(self, source: str, keep: Iterable[str]) -> None: ...
    def validators(self, url: str) -> tuple[str | None, str | None]: ...
    def save_validators(self, url: str, etag: str | None, last_modified: str | None) -> None: ...
    def listing_fingerprint(self, source: str, url: str) -> str | None: ...
    def save_listing_item(self, source: str, url: str, fingerprint: str, page: str) -> None: ...
    def listing_count(self, source: str, page: str) -> int: ...
    def runs_since_full_walk(self, source: str) -> int | None: ...
    def last_full_walk(self, source: str) -> str | None: ...
    def record_walk(self, source: str, *, full: bool, when: str) -> None: ...


class HealthLog(Protocol):
    def history(self, source: str, limit: int = 10) -> list[SourceHealth]: ...
    def record(self, source: str, health: SourceHealth) -> None: ...


class ArchiveBook(Protocol):
    """Which entries each feed has moved to its archive pages, for good."""

    def members(self, feed: str) -> dict[str, int]: ...
    def last_seq(self, feed: str) -> int: ...
    def add(self, feed: str, entry_id: str, seq: int) -> None: ...


class OutputRegistry(Protocol):
    """The files the publisher wrote: the only ones it may replace or remove."""

    def written(self) -> dict[str, str]: ...
    def record(self, path: str, size: int, sha256: str) -> None: ...
    def forget(self, path: str) -> None: ...


class State(Protocol):
    """One open state: its parts, and all-or-nothing transactions over them."""

    releases: Releases
    memory: SourceMemory
    health: HealthLog
    archives: ArchiveBook
    outputs: OutputRegistry

    def transaction(self) -> AbstractContextManager[None]: ...
    def close(self) -> None: ...
