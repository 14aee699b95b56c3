"""Ingest: the one place that decides identity and writes releases into the state.

For each release a parser produced: clean its text (:mod:`~feeds.ingest.safe`), compute
its match keys (these two are pure, and :func:`ready` does them where the release was
parsed when it can: in a worker, for a large batch), look for the stored entry
describing the same release
(:mod:`~feeds.ingest.match`), then create an entry with a newly minted permanent id, or
merge the sighting into the stored one (:mod:`~feeds.ingest.merge`), and record the
sighting.

May import ``feeds.model``, ``feeds.text``, ``feeds.sections`` and ``feeds.store``
(its interface and codec); never sources, parsing or publish.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, replace

from feeds.ingest.dating import UpdatedClock, published_instant
from feeds.ingest.ids import mint_id, page_paths
from feeds.ingest.keys import KEYS_VERSION, match_keys
from feeds.ingest.match import find_match
from feeds.ingest.merge import SOURCE_RANK, merge_releases
from feeds.ingest.safe import safe_release
from feeds.model import DateOrigin, Release, ReleaseKind, Site
from feeds.sections import SectionRules
from feeds.store.codec import release_to_json
from feeds.store.interface import EntryRow, MatchKeys, Releases, StoredEntry

__all__ = ["SOURCE_RANK", "IngestResult", "Ingestor", "ReadyRelease", "ready"]


@dataclass(frozen=True)
class IngestResult:
    entry_id: str
    created: bool
    changed: bool


@dataclass(frozen=True)
class Origin:
    """Where a sighting comes from."""

    source: str
    source_type: str
    locator: str
    #: The section named in the source's config.
    section: str | None = None
    #: Roughly when the copy was made (see ParsedDocument.observed).
    observed: dt.date | None = None


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class ReadyRelease:
    """A release cleaned for storing, with what its identity is looked up by: everything
    of ingesting it that needs no state."""

    release: Release
    keys: MatchKeys
    #: Hash of the release as stored: the same bytes twice are one version.
    digest: str


def ready(release: Release) -> ReadyRelease:
    """The pure part of ingesting ``release``: it may run in another process."""
    release = safe_release(release)
    return ReadyRelease(release, match_keys(release), _hash(release_to_json(release)))


def content_hash(release: Release, section: str, extra: Sequence[str]) -> str:
    """Hash of what is published: ``updated`` moves only when this changes.

    The signature/contact lines and the origin of the date are kept in state but never
    published, so a re-crawl that differs only there is not an update.
    """
    shown = replace(release, contacts=(), date_origin=DateOrigin.NONE)
    return _hash(release_to_json(shown) + "\n" + section + "\n" + ",".join(extra))


class Ingestor:
    """Ingests the releases of one run into the state."""

    def __init__(self, releases: Releases, site: Site, sections: SectionRules) -> None:
        self.releases = releases
        self.site = site
        self.sections = sections
        self.zone = zoneinfo.ZoneInfo(site.timezone)
        self.clock = UpdatedClock(releases)

    def refresh_keys(self) -> int:
        """Recompute the keys and content hashes of entries stored by older rules (after
        an upgrade); their ``updated`` does not move.  Returns how many were recomputed."""
        count = 0
        for stored in list(self.releases.stale_keys(KEYS_VERSION)):
            self.releases.rewrite(self._row(stored, stored.release, stored.rank))
            count += 1
        return count

    def ingest(
        self, release: Release | ReadyRelease, origin: Origin, now: dt.datetime
    ) -> IngestResult:
        """Store one sighting: a new entry, an enriched one, or just a sighting."""
        prepared = release if isinstance(release, ReadyRelease) else ready(release)
        release, keys, release_hash = prepared.release, prepared.keys, prepared.digest
        rank = SOURCE_RANK[origin.source_type]
        match = find_match(
            release, keys, self.releases, source=origin.source, locator=origin.locator
        )
        if match is None:
            entry_id = self._create(release, keys, rank, origin.section, now)
            self._set_observed(entry_id, release, origin.observed)
            created, changed = True, True
        elif release.kind is ReleaseKind.FULL and self.releases.holds_full_version(
            match, release_hash
        ):
            # A renamed or copied dump of a version already merged: not an edit.
            entry_id, created, changed = match, False, False
        else:
            entry_id, created = match, False
            changed = self._enrich(entry_id, release, rank, origin, now)
        self.releases.add_sighting(
            entry_id,
            source=origin.source,
            locator=origin.locator,
            kind=release.kind,
            content_hash=release_hash,
            now=now,
        )
        return IngestResult(entry_id, created, changed)

    def rolled_back(self) -> None:
        self.clock.forget()

    def _set_observed(self, entry_id: str, release: Release, observed: dt.date | None) -> None:
        if release.kind is ReleaseKind.FULL and observed is not None:
            self.releases.set_observed(entry_id, observed)

    def _create(
        self,
        release: Release,
        keys: MatchKeys,
        rank: int,
        source_section: str | None,
        now: dt.datetime,
    ) -> str:
        published = published_instant(release, now, self.zone)
        key = release.url or f"{release.title}\n{release.date}\n{release.lead}"
        attempt = 0
        while True:
            entry_id = mint_id(self.site.id_authority, now.date(), key, attempt)
            if not self.releases.id_taken(entry_id):
                break
            attempt += 1
        section = self.sections.primary(release, source_section)
        extra = self.sections.topical(release, section)
        self.releases.insert(
            EntryRow(
                id=entry_id,
                release=release,
                rank=rank,
                content_hash=content_hash(release, section, extra),
                section=section,
                extra_sections=extra,
                published=published,
                updated=self.clock.next(now),
                first_seen=now,
                page_path=self._free_page(release.title, published, entry_id),
                keys=keys,
                keys_version=KEYS_VERSION,
            )
        )
        return entry_id

    def _free_page(self, title: str, published: dt.datetime, entry_id: str) -> str:
        names = page_paths(title, published, entry_id, self.zone)
        return next((n for n in names if not self.releases.page_taken(n)), names[-1])

    def _enrich(
        self, entry_id: str, incoming: Release, rank: int, origin: Origin, now: dt.datetime
    ) -> bool:
        stored = self.releases.load(entry_id)
        assert stored is not None
        observed = origin.observed
        older = observed is not None and stored.observed is not None and observed < stored.observed
        merged, merged_rank = merge_releases(
            stored.release, stored.rank, incoming, rank, older=older
        )
        if rank >= stored.rank and not older:
            # The incoming copy is the newest seen: its date dates the stored version.
            self._set_observed(entry_id, incoming, observed)
        if merged == stored.release and merged_rank == stored.rank:
            return False
        # The section is kept unless the release now knows a URL that places it.
        section = stored.section
        if merged.url != stored.release.url or (merged_rank > stored.rank and origin.section):
            section = self.sections.primary(merged, origin.section or stored.section)
        row = self._row(stored, merged, merged_rank, section=section)
        changed = row.content_hash != stored.content_hash
        if changed:
            row = replace(row, updated=self.clock.next(now, own=stored.updated))
        self.releases.rewrite(row)
        return changed

    def _row(
        self, stored: StoredEntry, release: Release, rank: int, *, section: str | None = None
    ) -> EntryRow:
        """``stored`` with ``release`` as its content (timestamps and page kept)."""
        section = stored.section if section is None else section
        extra = self.sections.topical(release, section)
        return EntryRow(
            id=stored.id,
            release=release,
            rank=rank,
            content_hash=content_hash(release, section, extra),
            section=section,
            extra_sections=extra,
            published=published_instant(release, stored.first_seen, self.zone),
            updated=stored.updated,
            first_seen=stored.first_seen,
            page_path=stored.page_path,
            keys=match_keys(release),
            keys_version=KEYS_VERSION,
        )
