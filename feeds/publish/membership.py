"""Which entries each feed shows: its members, its head, and its archive pages.

One rule for every format: a feed's members are its visible entries, newest first
(published, then last update, then id); the head is the newest ``feed_size`` of those not
yet moved to the archive; archive membership is permanent (RFC 5005: a complete archive
page never changes its list of entries).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from feeds.model import Entry, Section
from feeds.sections import ALL
from feeds.store.interface import ArchiveBook


def newest_first(entries: Iterable[Entry]) -> list[Entry]:
    return sorted(entries, key=lambda e: (e.published, e.updated, e.id), reverse=True)


def members(feed: str, entries: Iterable[Entry]) -> list[Entry]:
    """Visible entries of a feed, newest first."""
    return newest_first(
        e
        for e in entries
        if not e.hidden and (feed == ALL or feed in (e.section, *e.extra_sections))
    )


@dataclass(frozen=True)
class FeedView:
    """What one feed publishes."""

    section: Section
    #: The subscription document's entries, newest first.
    head: list[Entry]
    #: Archive page number -> its entries, newest first; pages in ascending order.
    pages: dict[int, list[Entry]]


def feed_view(
    section: Section, entries: Sequence[Entry], archived: dict[str, int], page_size: int
) -> FeedView:
    """The head and archive pages of one feed.  Page n holds archive sequence numbers
    (n-1)*size+1 .. n*size, so a page keeps its number and its entries for good (a hidden
    entry only leaves a gap)."""
    all_members = members(section.id, entries)
    head = [e for e in all_members if e.id not in archived][:page_size]
    pages: dict[int, list[Entry]] = {}
    for entry in all_members:
        if entry.id in archived:
            pages.setdefault((archived[entry.id] - 1) // page_size + 1, []).append(entry)
    return FeedView(section, head, {n: pages[n] for n in sorted(pages)})


def assign_archives(
    entries: Sequence[Entry], feeds: Sequence[str], archives: ArchiveBook, feed_size: int
) -> None:
    """Move entries beyond each feed's newest ``feed_size`` into its archive, once,
    oldest first so archive pages fill in chronological order."""
    for feed in feeds:
        archived = archives.members(feed)
        live = [e for e in members(feed, entries) if e.id not in archived]
        overflow = live[feed_size:]
        if not overflow:
            continue
        seq = archives.last_seq(feed)
        for entry in reversed(overflow):
            seq += 1
            archives.add(feed, entry.id, seq)
