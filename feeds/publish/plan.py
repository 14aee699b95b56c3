"""What a run must publish: the feeds, archive pages and release pages its changes touch.

A change is an entry that is new, rewritten, hidden or shown again since the last
publish (the state flags it).  It touches every feed that showed it or shows it now,
the archive page it sits on in each, the pages that receive entries the feeds' heads
push out, and its own release page (and its old one, when that moves or goes).  A
full plan touches everything, and writes the membership the state keeps afresh.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from feeds.model import Entry
from feeds.publish.membership import archive_overflow, feeds_of, page_number, page_span
from feeds.store.interface import FeedIndex, Releases


@dataclass
class Plan:
    """The work of one publish."""

    full: bool
    #: Feed id -> archive page numbers to render (a listed feed always renders its head).
    feeds: dict[str, set[int]] = field(default_factory=dict)
    #: Ids of the entries whose release pages to render.
    releases: list[str] = field(default_factory=list)
    #: Release pages to remove (their entry moved or was hidden).
    gone: list[str] = field(default_factory=list)
    #: Archive pages left without entries: (feed id, page number).
    gone_archive: list[tuple[str, int]] = field(default_factory=list)
    #: Entries whose changes this plan publishes.
    shown: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.feeds or self.releases or self.gone or self.gone_archive)


class Planner:
    """Brings the state's feed index up to date with the entries and says what to render."""

    def __init__(
        self, index: FeedIndex, releases: Releases, feeds: Sequence[str], feed_size: int
    ) -> None:
        self.index = index
        self.releases = releases
        self.feed_ids = list(feeds)
        self.feed_size = feed_size

    def full(self) -> Plan:
        """Everything, from every entry's place (no release is decoded here)."""
        self.index.clear()
        plan = Plan(full=True)
        for place in self.releases.placements():
            self.index.place(place.id, feeds_of(place), place.published, place.updated)
            if not place.hidden:
                self.index.set_page(place.id, place.page_path)
                plan.releases.append(place.id)
        for feed in self.feed_ids:
            archive_overflow(self.index, feed, self.feed_size)
            numbers = sorted(
                {page_number(s, self.feed_size) for s in self.index.archived_numbers(feed)}
            )
            self.index.set_pages(feed, numbers)
            plan.feeds[feed] = set(numbers)
        return plan

    def changes(self) -> Plan:
        """What the entries changed since the last publish touch."""
        changed = self.releases.changed()
        plan = Plan(full=False, shown=[e.id for e in changed])
        touched: dict[str, set[int]] = {}
        for entry in changed:
            before = self.index.feeds_of(entry.id)
            now = feeds_of(entry)
            for feed in before | set(now):
                pages = touched.setdefault(feed, set())
                seq = self.index.archive_seq(feed, entry.id)
                if seq is not None:
                    pages.add(page_number(seq, self.feed_size))
            self.index.place(entry.id, now, entry.published, entry.updated)
            self._release_page(entry, plan)
        for feed in self.feed_ids:
            if feed in touched:
                touched[feed] |= archive_overflow(self.index, feed, self.feed_size)
                plan.feeds[feed] = self._pages_to_render(feed, touched[feed], plan)
        return plan

    def _release_page(self, entry: Entry, plan: Plan) -> None:
        old = self.index.page_of(entry.id)
        new = None if entry.hidden else entry.page_path
        if old is not None and old != new:
            plan.gone.append(old)
        self.index.set_page(entry.id, new)
        if not entry.hidden:
            plan.releases.append(entry.id)

    def _pages_to_render(self, feed: str, touched: Iterable[int], plan: Plan) -> set[int]:
        """The touched pages that still hold entries, and the neighbours of any page that
        appeared or emptied (their links between pages change)."""
        before = self.index.pages(feed)
        numbers = set(before)
        for number in touched:
            first, last = page_span(number, self.feed_size)
            if self.index.archived_members(feed, first, last):
                numbers.add(number)
            else:
                numbers.discard(number)
        after = sorted(numbers)
        render = {n for n in touched if n in numbers}
        if after != before:
            self.index.set_pages(feed, after)
            for number in set(before) ^ numbers:
                render |= _neighbours(after, number)
                if number not in numbers:
                    plan.gone_archive.append((feed, number))
        return render


def _neighbours(numbers: list[int], number: int) -> set[int]:
    """The pages just before and after ``number`` among ``numbers``."""
    lower = [n for n in numbers if n < number]
    higher = [n for n in numbers if n > number]
    return {*lower[-1:], *higher[:1]}
