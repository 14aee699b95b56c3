"""Which entries each feed shows: the one rule of membership and order, and archive pages.

A feed's members are its visible entries, newest first (published, then last update,
then id); the head is the newest ``feed_size`` of those not yet moved to the archive;
archive membership is permanent (RFC 5005: a complete archive page never changes its
list of entries).  The state keeps the members in this order (``FeedIndex``), so a
feed's head is read without loading the others.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from feeds.model import Entry
from feeds.sections import ALL
from feeds.store.interface import FeedIndex


def newest_first(entries: Iterable[Entry]) -> list[Entry]:
    return sorted(entries, key=lambda e: (e.published, e.updated, e.id), reverse=True)


class _Placed(Protocol):
    @property
    def hidden(self) -> bool: ...
    @property
    def section(self) -> str: ...
    @property
    def extra_sections(self) -> tuple[str, ...]: ...


def feeds_of(entry: _Placed) -> tuple[str, ...]:
    """The feeds that show an entry: none while it is hidden, else the feed of every
    release, its section's and its topical sections'."""
    if entry.hidden:
        return ()
    return tuple(dict.fromkeys((ALL, entry.section, *entry.extra_sections)))


def members(feed: str, entries: Iterable[Entry]) -> list[Entry]:
    """Visible entries of a feed, newest first."""
    return newest_first(e for e in entries if feed in feeds_of(e))


def page_number(seq: int, page_size: int) -> int:
    """Archive page n holds sequence numbers (n-1)*size+1 .. n*size, for good."""
    return (seq - 1) // page_size + 1


def page_span(number: int, page_size: int) -> tuple[int, int]:
    return (number - 1) * page_size + 1, number * page_size


def archive_overflow(index: FeedIndex, feed: str, feed_size: int) -> set[int]:
    """Move a feed's entries beyond its newest ``feed_size`` into its archive, oldest
    first so pages fill in chronological order; the page numbers that received any."""
    overflow = index.overflow(feed, feed_size)
    if not overflow:
        return set()
    numbers = index.archive(feed, reversed(overflow))
    return {page_number(seq, feed_size) for seq in numbers}
