"""State: releases, their permanent ids and every sighting behind them, in SQLite.

One :class:`Store` per run.  Writers work inside :meth:`Store.transaction` (one per
source), so a crash leaves the previous state intact.  The schema is versioned with
``PRAGMA user_version`` and upgraded by the numbered migrations below.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
import zoneinfo
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from feeds import identity
from feeds.errors import StateError
from feeds.model import Asset, DateOrigin, Entry, Release, ReleaseKind, Sighting, Site
from feeds.parsing.text import paragraph_key
from feeds.sections import ALL, SectionRules

MIGRATIONS: tuple[str, ...] = (
    # 1: the initial schema
    """
    CREATE TABLE entries (
        id TEXT PRIMARY KEY,
        seq INTEGER NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        release TEXT NOT NULL,           -- the Release as JSON
        content_hash TEXT NOT NULL,      -- hash of what is published
        section TEXT NOT NULL,
        extra_sections TEXT NOT NULL,    -- JSON list
        published TEXT NOT NULL,         -- UTC, ISO 8601
        updated TEXT NOT NULL UNIQUE,    -- UTC, ISO 8601, unique across the store
        first_seen TEXT NOT NULL,
        page_path TEXT NOT NULL UNIQUE,
        hidden INTEGER NOT NULL DEFAULT 0,
        source_rank INTEGER NOT NULL,
        url TEXT,
        title_key TEXT NOT NULL,         -- '' for derived titles
        lead_key TEXT NOT NULL,
        date TEXT
    );
    CREATE INDEX entries_url ON entries (url);
    CREATE INDEX entries_title ON entries (title_key);
    CREATE TABLE sightings (
        entry_id TEXT NOT NULL REFERENCES entries (id),
        source TEXT NOT NULL,
        locator TEXT NOT NULL,
        kind TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        PRIMARY KEY (entry_id, source, locator, kind)
    );
    CREATE INDEX sightings_locator ON sightings (source, locator);
    CREATE TABLE files (
        source TEXT NOT NULL,
        path TEXT NOT NULL,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        candidates TEXT NOT NULL,        -- JSON list of teaser-candidate keys
        PRIMARY KEY (source, path)
    );
    CREATE TABLE http_cache (
        url TEXT PRIMARY KEY,
        etag TEXT,
        last_modified TEXT
    );
    CREATE TABLE listing_items (
        source TEXT NOT NULL,
        url TEXT NOT NULL,               -- the article URL as the listing links it
        fingerprint TEXT NOT NULL,       -- title + date as the listing showed them
        page TEXT NOT NULL,              -- the listing page it was last seen on
        PRIMARY KEY (source, url)
    );
    CREATE TABLE archives (
        feed TEXT NOT NULL,
        entry_id TEXT NOT NULL REFERENCES entries (id),
        seq INTEGER NOT NULL,
        PRIMARY KEY (feed, entry_id),
        UNIQUE (feed, seq)
    );
    CREATE TABLE health (
        source TEXT NOT NULL,
        run INTEGER NOT NULL,
        report TEXT NOT NULL,            -- JSON of SourceHealth
        PRIMARY KEY (source, run)
    );
    """,
    # 2: when the stored version's copy was made, so an older copy cannot undo an edit
    """
    ALTER TABLE entries ADD COLUMN observed TEXT
    """,
)

SOURCE_RANK = {"dump": 1, "feed": 2, "html": 3}


@dataclass(frozen=True)
class FileRecord:
    size: int
    mtime_ns: int
    sha256: str
    candidates: tuple[str, ...]


@dataclass(frozen=True)
class IngestResult:
    entry_id: str
    created: bool
    changed: bool


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_iso(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)


# --- Release <-> JSON -----------------------------------------------------------------


def release_to_json(release: Release) -> str:
    data: dict[str, Any] = {}
    for f in fields(release):
        value = getattr(release, f.name)
        if isinstance(value, dt.date):  # datetime too
            value = value.isoformat()
        elif f.name in ("images", "attachments"):
            value = [[a.name, a.url] for a in value]
        elif isinstance(value, tuple):
            value = [list(v) if isinstance(v, tuple) else v for v in value]
        data[f.name] = value
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def release_from_json(text: str) -> Release:
    data = json.loads(text)
    return Release(
        kind=ReleaseKind(data["kind"]),
        title=data["title"],
        title_derived=data["title_derived"],
        date=dt.date.fromisoformat(data["date"]) if data["date"] else None,
        date_origin=DateOrigin(data["date_origin"]),
        published_at=dt.datetime.fromisoformat(data["published_at"])
        if data["published_at"]
        else None,
        lead=data["lead"],
        paragraphs=tuple(data["paragraphs"]),
        body_html=data["body_html"],
        images=tuple(Asset(n, u) for n, u in data["images"]),
        attachments=tuple(Asset(n, u) for n, u in data["attachments"]),
        links=tuple(data["links"]),
        contacts=tuple(data["contacts"]),
        language=data["language"],
        url=data["url"],
        section=data["section"],
        extra=tuple((k, v) for k, v in data["extra"]),
    )


def _text_key(release: Release) -> str:
    return paragraph_key(" ".join(release.paragraphs) or release.lead)


class Store:
    """The SQLite state of one configuration."""

    def __init__(self, connection: sqlite3.Connection, site: Site) -> None:
        self.db = connection
        self.site = site
        self.zone = zoneinfo.ZoneInfo(site.timezone)
        self._matcher: identity.MatchIndex | None = None
        self._taken: dict[int, str] | None = None
        self._skip: dict[int, int] = {}
        self._second_of: dict[str, int] = {}

    # --- opening and transactions -----------------------------------------------------

    @classmethod
    def open(cls, path: Path, site: Site) -> Store:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(path, isolation_level=None, timeout=60)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA foreign_keys=ON")
            store = cls(db, site)
            store._migrate()
        except sqlite3.DatabaseError as exc:
            raise StateError(f"{path}: cannot use the state database: {exc}") from exc
        return store

    def close(self) -> None:
        self.db.close()

    def _migrate(self) -> None:
        version = int(self.db.execute("PRAGMA user_version").fetchone()[0])
        if version > len(MIGRATIONS):
            raise sqlite3.DatabaseError(
                f"schema version {version} is newer than this feeds ({len(MIGRATIONS)})"
            )
        for number in range(version, len(MIGRATIONS)):
            with self.transaction():
                for statement in MIGRATIONS[number].split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {number + 1}")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            self._matcher = None
            self._taken = None
            raise
        else:
            self.db.execute("COMMIT")

    # --- files (incremental dump reading) ---------------------------------------------

    def file_record(self, source: str, path: str) -> FileRecord | None:
        row = self.db.execute(
            "SELECT size, mtime_ns, sha256, candidates FROM files WHERE source=? AND path=?",
            (source, path),
        ).fetchone()
        if row is None:
            return None
        return FileRecord(row[0], row[1], row[2], tuple(json.loads(row[3])))

    def record_file(self, source: str, path: str, record: FileRecord) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?)",
            (
                source,
                path,
                record.size,
                record.mtime_ns,
                record.sha256,
                json.dumps(list(record.candidates)),
            ),
        )

    def forget_files(self, source: str, keep: Sequence[str]) -> None:
        """Drop records of files that are gone (their releases stay published)."""
        known = {r[0] for r in self.db.execute("SELECT path FROM files WHERE source=?", (source,))}
        for path in known - set(keep):
            self.db.execute("DELETE FROM files WHERE source=? AND path=?", (source, path))

    def candidate_counts(self, source: str, skip: Sequence[str] = ()) -> Counter[str]:
        """How many files of a source show each teaser-candidate paragraph."""
        counts: Counter[str] = Counter()
        skipped = set(skip)
        for path, candidates in self.db.execute(
            "SELECT path, candidates FROM files WHERE source=?", (source,)
        ):
            if path not in skipped:
                counts.update(set(json.loads(candidates)))
        return counts

    def known_lead_keys(self) -> frozenset[str]:
        """Leads of stored releases: a paragraph equal to one of them is a teaser elsewhere."""
        stored = self._index().keys.values()
        keys = {k.lead_key for k in stored if k.lead_key}
        keys |= {k.text_key for k in stored if k.kind is ReleaseKind.BRIEF and k.text_key}
        return frozenset(keys)

    # --- HTTP validators and listing memory -------------------------------------------

    def validators(self, url: str) -> tuple[str | None, str | None]:
        """ETag and Last-Modified remembered for a conditional GET of ``url``."""
        row = self.db.execute(
            "SELECT etag, last_modified FROM http_cache WHERE url=?", (url,)
        ).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def save_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO http_cache VALUES (?, ?, ?)", (url, etag, last_modified)
        )

    def listing_fingerprint(self, source: str, url: str) -> str | None:
        """How the listing showed an article when it was last read successfully."""
        row = self.db.execute(
            "SELECT fingerprint FROM listing_items WHERE source=? AND url=?", (source, url)
        ).fetchone()
        return str(row[0]) if row else None

    def save_listing_item(self, source: str, url: str, fingerprint: str, page: str) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO listing_items VALUES (?, ?, ?, ?)",
            (source, url, fingerprint, page),
        )

    def listing_count(self, source: str, page: str) -> int:
        return int(
            self.db.execute(
                "SELECT COUNT(*) FROM listing_items WHERE source=? AND page=?", (source, page)
            ).fetchone()[0]
        )

    # --- health history (drift detection) ---------------------------------------------

    def health_history(self, source: str, limit: int = 10) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT report FROM health WHERE source=? ORDER BY run DESC LIMIT ?", (source, limit)
        ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def record_health(self, source: str, report: dict[str, Any]) -> None:
        run = self.db.execute(
            "SELECT COALESCE(MAX(run), 0) + 1 FROM health WHERE source=?", (source,)
        ).fetchone()[0]
        self.db.execute(
            "INSERT INTO health VALUES (?, ?, ?)",
            (source, run, json.dumps(report, sort_keys=True)),
        )
        # Keep a bounded history.
        self.db.execute("DELETE FROM health WHERE source=? AND run <= ?", (source, run - 50))

    # --- matching -----------------------------------------------------------------------

    def _index(self) -> identity.MatchIndex:
        if self._matcher is None:
            self._matcher = identity.MatchIndex()
            for row in self.db.execute(
                "SELECT id, seq, kind, url, title_key, lead_key, date, release FROM entries"
            ):
                self._matcher.put(
                    identity.MatchKey(
                        id=row[0],
                        seq=row[1],
                        kind=ReleaseKind(row[2]),
                        url=row[3],
                        title_key=row[4],
                        lead_key=row[5],
                        text_key=_text_key(release_from_json(row[7])),
                        date=dt.date.fromisoformat(row[6]) if row[6] else None,
                    )
                )
        return self._matcher

    def find_match(self, release: Release, *, source: str, locator: str) -> str | None:
        """The id of the stored entry describing the same release, if any."""
        index = self._index()
        lead = paragraph_key(release.lead)
        text = _text_key(release)
        # A short lead ("Dear friends!") opens many different releases: it identifies
        # nothing on its own.  Whole texts may still be equal, however short.
        lead_says = len(lead) >= identity.MIN_FUZZY_LENGTH
        if release.kind is ReleaseKind.BRIEF:
            same = [
                k
                for k in index.by_text(lead, text)
                if (lead_says and lead == k.lead_key)
                or (lead and lead == k.text_key)
                or (text and text == k.text_key)
            ]
            if same:
                return same[0].id
            # One-line teasers of 2025-era sidebars can be the article's title, not its lead.
            titled = [
                k
                for k in index.by_title(lead)
                if identity.dates_compatible(k.date, release.date, exact=False)
            ]
            if titled:
                return titled[0].id
            fuzzy = [
                k
                for k in index.near(lead, text)
                if identity.dates_compatible(k.date, release.date, exact=False)
                and (
                    (lead_says and identity.similar_text(lead, k.lead_key))
                    or identity.similar_text(text, k.text_key)
                )
            ]
            fuzzy.sort(key=lambda k: k.kind is not ReleaseKind.FULL)
            return fuzzy[0].id if fuzzy else None

        if release.url:
            for key in index.by_url(release.url):
                return key.id
        title = paragraph_key(release.title) if not release.title_derived else ""

        def url_conflict(key: identity.MatchKey) -> bool:
            return bool(release.url and key.url and key.url != release.url)

        if title:
            for key in index.by_title(title):
                if url_conflict(key):
                    continue
                if key.date is not None and release.date is not None:
                    if key.date == release.date:
                        return key.id
                elif identity.similar_text(lead, key.lead_key) or not key.lead_key:
                    return key.id
        if title:
            # A stored one-line teaser that is this article's title.
            for key in index.by_text(title):
                if (
                    key.kind is ReleaseKind.BRIEF
                    and title in (key.lead_key, key.text_key)
                    and identity.dates_compatible(key.date, release.date, exact=False)
                ):
                    return key.id
        for key in index.near(lead) if lead_says else ():
            if url_conflict(key) or not identity.similar_text(lead, key.lead_key or key.text_key):
                continue
            if key.kind is ReleaseKind.BRIEF:
                if identity.dates_compatible(key.date, release.date, exact=False):
                    return key.id
            elif identity.dates_compatible(key.date, release.date, exact=True) and (
                identity.similar_title(title, key.title_key) >= 0.5
            ):
                return key.id
        row = self.db.execute(
            "SELECT s.entry_id FROM sightings s JOIN entries e ON e.id = s.entry_id "
            "WHERE s.source=? AND s.locator=? AND s.kind='full' ORDER BY s.last_seen DESC",
            (source, locator),
        ).fetchone()
        if row is not None:
            key = index.keys[row[0]]
            if not url_conflict(key) and identity.dates_compatible(
                key.date, release.date, exact=True
            ):
                return key.id
        return None

    # --- ingest -------------------------------------------------------------------------

    def ingest(
        self,
        release: Release,
        *,
        source: str,
        source_type: str,
        locator: str,
        source_section: str | None,
        rules: SectionRules,
        now: dt.datetime,
        observed: dt.date | None = None,
    ) -> IngestResult:
        """Store one sighting: a new entry, an enriched one, or just a sighting.

        ``observed`` is roughly when the copy was made (see ParsedDocument.observed).
        """
        rank = SOURCE_RANK[source_type]
        match = self.find_match(release, source=source, locator=locator)
        release_hash = _hash(release_to_json(release))
        if match is None:
            entry_id = self._create(release, rank, source_section, rules, now)
            self._set_observed(entry_id, release, observed)
            created, changed = True, True
        elif self._older_copy(match, release, release_hash):
            # A renamed or copied dump of a version already merged: not an edit.
            entry_id, created, changed = match, False, False
        else:
            entry_id = match
            created = False
            changed = self._enrich(
                entry_id, release, rank, source_section, rules, now, observed=observed
            )
        self._sighting(entry_id, source, locator, release.kind, release_hash, now)
        return IngestResult(entry_id, created, changed)

    def _set_observed(self, entry_id: str, release: Release, observed: dt.date | None) -> None:
        if release.kind is ReleaseKind.FULL and observed is not None:
            self.db.execute(
                "UPDATE entries SET observed=? WHERE id=?", (observed.isoformat(), entry_id)
            )

    def _older_copy(self, entry_id: str, release: Release, release_hash: str) -> bool:
        """True when a sighting of the entry still holds exactly this full version.

        Among full versions of equal rank the newer sighting wins (an edit), so re-reading
        an old copy under a new name would undo a later edit.  A sighting's hash is
        replaced when its own file or page changes, so one edited back in place is still
        an edit.
        """
        if release.kind is not ReleaseKind.FULL:
            return False
        row = self.db.execute(
            "SELECT 1 FROM sightings WHERE entry_id=? AND kind='full' AND content_hash=? LIMIT 1",
            (entry_id, release_hash),
        ).fetchone()
        return row is not None

    def _create(
        self,
        release: Release,
        rank: int,
        source_section: str | None,
        rules: SectionRules,
        now: dt.datetime,
    ) -> str:
        first_seen = now
        published = self._published(release, first_seen)
        key = release.url or f"{release.title}\n{release.date}\n{release.lead}"
        attempt = 0
        while True:
            entry_id = identity.mint_id(self.site.id_authority, now.date(), key, attempt)
            if not self.db.execute("SELECT 1 FROM entries WHERE id=?", (entry_id,)).fetchone():
                break
            attempt += 1
        page_path = self._page_path(release, published, entry_id)
        section = rules.primary(release, source_section)
        extra = rules.topical(release, section)
        seq = self.db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM entries").fetchone()[0]
        self.db.execute(
            "INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, NULL)",
            (
                entry_id,
                seq,
                release.kind.value,
                release_to_json(release),
                _content_hash(release, section, extra),
                section,
                json.dumps(list(extra)),
                _iso(published),
                self._unique_updated(now, entry_id),
                _iso(first_seen),
                page_path,
                rank,
                release.url,
                "" if release.title_derived else paragraph_key(release.title),
                paragraph_key(release.lead),
                release.date.isoformat() if release.date else None,
            ),
        )
        self._index().put(
            identity.MatchKey(
                id=entry_id,
                seq=seq,
                kind=release.kind,
                url=release.url,
                title_key="" if release.title_derived else paragraph_key(release.title),
                lead_key=paragraph_key(release.lead),
                text_key=_text_key(release),
                date=release.date,
            )
        )
        return entry_id

    def _enrich(
        self,
        entry_id: str,
        incoming: Release,
        rank: int,
        source_section: str | None,
        rules: SectionRules,
        now: dt.datetime,
        *,
        observed: dt.date | None = None,
    ) -> bool:
        row = self.db.execute(
            "SELECT release, source_rank, content_hash, first_seen, section, observed "
            "FROM entries WHERE id=?",
            (entry_id,),
        ).fetchone()
        stored = release_from_json(row[0])
        stored_rank = int(row[1])
        stored_observed = dt.date.fromisoformat(row[5]) if row[5] else None
        older = observed is not None and stored_observed is not None and observed < stored_observed
        merged, merged_rank = merge_releases(stored, stored_rank, incoming, rank, older=older)
        if rank >= stored_rank and not older:
            # The incoming copy is the newest seen: its date dates the stored version.
            self._set_observed(entry_id, incoming, observed)
        if merged == stored and merged_rank == stored_rank:
            return False
        first_seen = _parse_iso(row[3])
        # The section is kept unless the release now knows a URL that places it.
        section = row[4]
        if merged.url != stored.url or (merged_rank > stored_rank and source_section):
            section = rules.primary(merged, source_section or row[4])
        extra = rules.topical(merged, section)
        content_hash = _content_hash(merged, section, extra)
        changed: bool = content_hash != row[2]
        updates: dict[str, Any] = {
            "release": release_to_json(merged),
            "kind": merged.kind.value,
            "source_rank": merged_rank,
            "section": section,
            "extra_sections": json.dumps(list(extra)),
            "published": _iso(self._published(merged, first_seen)),
            "url": merged.url,
            "title_key": "" if merged.title_derived else paragraph_key(merged.title),
            "lead_key": paragraph_key(merged.lead),
            "date": merged.date.isoformat() if merged.date else None,
            "content_hash": content_hash,
        }
        if changed:
            updates["updated"] = self._unique_updated(now, entry_id)
        assignments = ", ".join(f"{k}=?" for k in updates)
        self.db.execute(
            f"UPDATE entries SET {assignments} WHERE id=?", (*updates.values(), entry_id)
        )
        index = self._index()
        index.put(
            replace(
                index.keys[entry_id],
                kind=merged.kind,
                url=merged.url,
                title_key=updates["title_key"],
                lead_key=updates["lead_key"],
                text_key=_text_key(merged),
                date=merged.date,
            )
        )
        return changed

    def _sighting(
        self,
        entry_id: str,
        source: str,
        locator: str,
        kind: ReleaseKind,
        content_hash: str,
        now: dt.datetime,
    ) -> None:
        self.db.execute(
            "INSERT INTO sightings VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (entry_id, source, locator, kind) DO UPDATE SET "
            "last_seen=excluded.last_seen, content_hash=excluded.content_hash",
            (entry_id, source, locator, kind.value, content_hash, _iso(now), _iso(now)),
        )

    def _published(self, release: Release, first_seen: dt.datetime) -> dt.datetime:
        if release.date is not None:
            return dt.datetime.combine(release.date, dt.time(), tzinfo=self.zone)
        if release.published_at is not None:
            return release.published_at
        return first_seen

    def _unique_updated(self, moment: dt.datetime, entry_id: str) -> str:
        """Stable rule for distinct instants: the next free second at or after ``moment``,
        and after the entry's own current ``updated`` (a change must move it forward,
        even when an earlier collision had already pushed it past ``moment``)."""
        taken = self._updated_seconds()
        start = int(moment.timestamp())
        own = self._second_of.get(entry_id)
        if own is not None:
            start = max(start, own + 1)
        # Walk past taken seconds; remember where each walk ended, so that many entries
        # created in one second do not each walk the whole block again.
        second, walked = start, []
        while second in taken:
            walked.append(second)
            second = max(self._skip.get(second, second + 1), second + 1)
        for visited in walked:
            self._skip[visited] = second + 1
        if own is not None:
            # A freed second invalidates the skips over it.
            del taken[own]
            self._skip.clear()
        taken[second] = entry_id
        self._second_of[entry_id] = second
        return _iso(dt.datetime.fromtimestamp(second, dt.UTC))

    def _updated_seconds(self) -> dict[int, str]:
        """``updated`` second -> entry id, for every stored entry (cached for the run)."""
        if self._taken is None:
            self._taken = {
                int(_parse_iso(updated).timestamp()): entry_id
                for entry_id, updated in self.db.execute("SELECT id, updated FROM entries")
            }
            self._second_of = {entry_id: second for second, entry_id in self._taken.items()}
            self._skip = {}
        return self._taken

    def _page_path(self, release: Release, published: dt.datetime, entry_id: str) -> str:
        local = published.astimezone(self.zone)
        slug = identity.slugify(release.title)
        suffix = entry_id.rsplit("/", 1)[-1][:6]
        return f"releases/{local:%Y}/{local:%m}/{slug}-{suffix}.html"

    # --- reading ------------------------------------------------------------------------

    def entries(self, *, include_hidden: bool = False) -> list[Entry]:
        """Every stored entry, newest first (published, then id)."""
        query = (
            "SELECT id, release, section, extra_sections, published, updated, first_seen, "
            "page_path, hidden FROM entries"
        )
        if not include_hidden:
            query += " WHERE hidden=0"
        result = [self._entry(row) for row in self.db.execute(query)]
        result.sort(key=lambda e: (e.published, e.id), reverse=True)
        return result

    def entry(self, entry_id: str) -> Entry | None:
        row = self.db.execute(
            "SELECT id, release, section, extra_sections, published, updated, first_seen, "
            "page_path, hidden FROM entries WHERE id=?",
            (entry_id,),
        ).fetchone()
        if row is None:
            return None
        sightings = tuple(
            Sighting(
                source=s[0],
                locator=s[1],
                kind=ReleaseKind(s[2]),
                first_seen=_parse_iso(s[3]),
                last_seen=_parse_iso(s[4]),
                content_hash=s[5],
            )
            for s in self.db.execute(
                "SELECT source, locator, kind, first_seen, last_seen, content_hash "
                "FROM sightings WHERE entry_id=? ORDER BY first_seen, source, locator",
                (entry_id,),
            )
        )
        return replace(self._entry(row), sightings=sightings)

    def _entry(self, row: Sequence[Any]) -> Entry:
        return Entry(
            id=row[0],
            release=release_from_json(row[1]),
            section=row[2],
            extra_sections=tuple(json.loads(row[3])),
            published=_parse_iso(row[4]).astimezone(self.zone),
            updated=_parse_iso(row[5]),
            first_seen=_parse_iso(row[6]),
            page_path=row[7],
            hidden=bool(row[8]),
        )

    def set_hidden(self, entry_id: str, hidden: bool) -> bool:
        cursor = self.db.execute("UPDATE entries SET hidden=? WHERE id=?", (int(hidden), entry_id))
        return cursor.rowcount > 0

    # --- archives (RFC 5005) --------------------------------------------------------------

    def assign_archives(self, feed_size: int) -> None:
        """Move entries beyond each feed's newest ``feed_size`` into its archive, once.

        Archive membership is permanent, so complete archive documents never change
        their list of entries.
        """
        entries = self.entries()
        feeds: dict[str, list[Entry]] = {ALL: list(entries)}
        for entry in entries:
            for feed in (entry.section, *entry.extra_sections):
                feeds.setdefault(feed, []).append(entry)
        for feed, members in feeds.items():
            archived = {
                r[0] for r in self.db.execute("SELECT entry_id FROM archives WHERE feed=?", (feed,))
            }
            live = [e for e in members if e.id not in archived]
            overflow = live[feed_size:]
            if not overflow:
                continue
            seq = self.db.execute(
                "SELECT COALESCE(MAX(seq), 0) FROM archives WHERE feed=?", (feed,)
            ).fetchone()[0]
            # Oldest first, so archive pages fill in chronological order.
            for entry in reversed(overflow):
                seq += 1
                self.db.execute("INSERT INTO archives VALUES (?, ?, ?)", (feed, entry.id, seq))

    def archive_seqs(self, feed: str) -> dict[str, int]:
        return {
            r[0]: r[1]
            for r in self.db.execute("SELECT entry_id, seq FROM archives WHERE feed=?", (feed,))
        }


def merge_releases(
    stored: Release, stored_rank: int, incoming: Release, rank: int, *, older: bool = False
) -> tuple[Release, int]:
    """The better version of a release, keeping what each sighting knows.

    A full article beats a teaser; among full versions the higher-ranked source
    (live page > upstream feed > dump) wins, and an equal rank takes the newer
    sighting (an edit) unless ``older`` says the incoming copy was made before the
    stored one.  Facts the winner lacks (URL, date) are kept from the other.
    """
    if stored.kind is ReleaseKind.BRIEF and incoming.kind is ReleaseKind.FULL:
        winner, other, new_rank = incoming, stored, rank
    elif stored.kind is ReleaseKind.FULL and incoming.kind is ReleaseKind.BRIEF:
        winner, other, new_rank = stored, incoming, stored_rank
    elif stored.kind is ReleaseKind.BRIEF:
        winner, other, new_rank = stored, incoming, max(stored_rank, rank)
    elif rank > stored_rank or (rank == stored_rank and not older):
        winner, other, new_rank = incoming, stored, rank
    else:
        winner, other, new_rank = stored, incoming, stored_rank
    merged = winner
    if merged.url is None and other.url is not None and other.kind is ReleaseKind.FULL:
        merged = replace(merged, url=other.url)
    if (merged.date is None and other.date is not None) or (
        merged.date is not None
        and other.date is not None
        and _trust(other.date_origin) < _trust(merged.date_origin)
        and other.kind is ReleaseKind.FULL
    ):
        merged = replace(merged, date=other.date, date_origin=other.date_origin)
    if merged.published_at is None and other.published_at is not None:
        merged = replace(merged, published_at=other.published_at)
    return merged, new_rank


_TRUST = list(DateOrigin)


def _trust(origin: DateOrigin) -> int:
    return _TRUST.index(origin)


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _content_hash(release: Release, section: str, extra: Sequence[str]) -> str:
    """Hash of what is published: ``updated`` moves only when this changes.

    The signature/contact lines and the origin of the date are kept in state but
    never published, so a re-crawl that differs only there is not an update.
    """
    shown = replace(release, contacts=(), date_origin=DateOrigin.NONE)
    return _hash(release_to_json(shown) + "\n" + section + "\n" + ",".join(extra))
