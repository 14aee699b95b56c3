"""Entries, sightings and match keys in SQLite."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from feeds.model import ReleaseKind
from feeds.store.codec import release_from_json, release_to_json
from feeds.store.entries import EntryReader, iso, parse_iso
from feeds.store.interface import Candidate, EntryRow, StoredEntry
from feeds.store.keyhash import key_hash

#: A chunk held by more entries than this is a common phrase: lookups skip it.
COMMON_CHUNK = 64

_CANDIDATE = "id, seq, kind, url, title_key, lead_key, text_key, date, date_own"
_STORED = (
    "id, seq, release, source_rank, content_hash, section, extra_sections, published, "
    "updated, first_seen, page_path, observed"
)


def _candidate(row: Sequence[Any]) -> Candidate:
    return Candidate(
        id=row[0],
        seq=row[1],
        kind=ReleaseKind(row[2]),
        url=row[3],
        title_key=row[4],
        lead_key=row[5],
        text_key=row[6],
        date=dt.date.fromisoformat(row[7]) if row[7] else None,
        date_own=bool(row[8]),
    )


class SqliteReleases(EntryReader):
    """Entries as ingest finds, creates and rewrites them (reading: :class:`EntryReader`)."""

    # --- lookups -------------------------------------------------------------------

    def _candidates(self, where: str, parameters: Sequence[object]) -> list[Candidate]:
        rows = self.db.execute(
            f"SELECT {_CANDIDATE} FROM entries WHERE {where} ORDER BY seq", list(parameters)
        )
        return [_candidate(row) for row in rows]

    def by_url(self, url: str) -> list[Candidate]:
        return self._candidates("url = ?", (url,))

    def by_title(self, title_key: str) -> list[Candidate]:
        return self._candidates("title_key = ?", (title_key,)) if title_key else []

    def by_text(self, *keys: str) -> list[Candidate]:
        """Entries whose lead or whole text equals one of ``keys``."""
        wanted = sorted({k for k in keys if k})
        if not wanted:
            return []
        hashes = [key_hash(k) for k in wanted]
        marks = ", ".join("?" * len(wanted))
        # Found by the hashes' indexes; the texts are compared too.
        return self._candidates(
            f"(lead_hash IN ({marks}) AND lead_key IN ({marks})) "
            f"OR (text_hash IN ({marks}) AND text_key IN ({marks}))",
            [*hashes, *wanted, *hashes, *wanted],
        )

    def by_chunks(self, chunks: Sequence[int], minimum: int) -> list[Candidate]:
        """Entries sharing at least ``minimum`` of ``chunks`` (common chunks not counted),
        most shared first, then in storage order."""
        wanted = sorted(set(chunks))
        if not wanted:
            return []
        marks = ", ".join("?" * len(wanted))
        # Counted on the chunk table alone, then joined: an entry row (with its whole
        # text) is read only for the few entries that share enough, not once per chunk.
        rows = self.db.execute(
            f"SELECT {', '.join('e.' + c.strip() for c in _CANDIDATE.split(','))} FROM "
            "(SELECT k.seq AS seq, COUNT(*) AS shared FROM entry_chunks k "
            "JOIN chunk_counts n ON n.chunk = k.chunk AND n.n <= ? "
            f"WHERE k.chunk IN ({marks}) GROUP BY k.seq HAVING shared >= ?) s "
            "JOIN entries e ON e.seq = s.seq ORDER BY s.shared DESC, e.seq",
            [COMMON_CHUNK, *wanted, minimum],
        )
        return [_candidate(row) for row in rows]

    def last_full_sighting(self, source: str, locator: str) -> Candidate | None:
        """The entry last seen as the full article of this file or page."""
        row = self.db.execute(
            f"SELECT {', '.join('e.' + c.strip() for c in _CANDIDATE.split(','))} "
            "FROM sightings s JOIN entries e ON e.id = s.entry_id "
            "WHERE s.source=? AND s.locator=? AND s.kind='full' ORDER BY s.last_seen DESC",
            (source, locator),
        ).fetchone()
        return _candidate(row) if row else None

    def holds_full_version(self, entry_id: str, release_hash: str) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM sightings WHERE entry_id=? AND kind='full' AND content_hash=? LIMIT 1",
            (entry_id, release_hash),
        ).fetchone()
        return row is not None

    def known_texts(self, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` are the lead of a stored entry, or the text of a teaser."""
        wanted = sorted({k for k in keys if k})
        found: set[str] = set()
        for start in range(0, len(wanted), 400):
            part = wanted[start : start + 400]
            hashes = [key_hash(k) for k in part]
            marks = ", ".join("?" * len(part))
            found.update(
                r[0]
                for r in self.db.execute(
                    f"SELECT lead_key FROM entries WHERE lead_hash IN ({marks}) "
                    f"AND lead_key IN ({marks})",
                    [*hashes, *part],
                )
            )
            found.update(
                r[0]
                for r in self.db.execute(
                    f"SELECT text_key FROM entries WHERE text_hash IN ({marks}) "
                    f"AND text_key IN ({marks}) AND kind='brief'",
                    [*hashes, *part],
                )
            )
        return found

    def load(self, entry_id: str) -> StoredEntry | None:
        row = self.db.execute(f"SELECT {_STORED} FROM entries WHERE id=?", (entry_id,)).fetchone()
        if row is None:
            return None
        return StoredEntry(
            id=row[0],
            seq=row[1],
            release=release_from_json(row[2]),
            rank=int(row[3]),
            content_hash=row[4],
            section=row[5],
            extra_sections=tuple(json.loads(row[6])),
            published=parse_iso(row[7]),
            updated=parse_iso(row[8]),
            first_seen=parse_iso(row[9]),
            page_path=row[10],
            observed=dt.date.fromisoformat(row[11]) if row[11] else None,
        )

    def id_taken(self, entry_id: str) -> bool:
        return (
            self.db.execute("SELECT 1 FROM entries WHERE id=?", (entry_id,)).fetchone() is not None
        )

    def page_taken(self, path: str) -> bool:
        found = self.db.execute("SELECT 1 FROM entries WHERE page_path=?", (path,))
        return found.fetchone() is not None

    def updated_taken(self, moment: dt.datetime) -> bool:
        found = self.db.execute("SELECT 1 FROM entries WHERE updated=?", (iso(moment),))
        return found.fetchone() is not None

    # --- writing -------------------------------------------------------------------

    def insert(self, row: EntryRow) -> None:
        seq = self.db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM entries").fetchone()[0]
        columns = {"id": row.id, "seq": seq, **_stored_columns(row), "hidden": 0}
        names = ", ".join(columns)
        marks = ", ".join("?" * len(columns))
        self.db.execute(f"INSERT INTO entries ({names}) VALUES ({marks})", list(columns.values()))
        self._index_chunks(seq, row.keys.chunks)

    def rewrite(self, row: EntryRow) -> None:
        """Replace what is stored of an existing entry (its id and seq stay)."""
        keys = row.keys
        seq = self.db.execute("SELECT seq FROM entries WHERE id=?", (row.id,)).fetchone()[0]
        columns = {**_stored_columns(row), "changed": 1}
        assignments = ", ".join(f"{name}=?" for name in columns)
        self.db.execute(f"UPDATE entries SET {assignments} WHERE id=?", [*columns.values(), row.id])
        old = [r[0] for r in self.db.execute("SELECT chunk FROM entry_chunks WHERE seq=?", (seq,))]
        if sorted(old) != sorted(set(keys.chunks)):
            self.db.connection.executemany(
                "UPDATE chunk_counts SET n = n - 1 WHERE chunk=?", [(c,) for c in old]
            )
            self.db.execute("DELETE FROM entry_chunks WHERE seq=?", (seq,))
            self._index_chunks(seq, keys.chunks)

    def _index_chunks(self, seq: int, chunks: Sequence[int]) -> None:
        distinct = [(c,) for c in sorted(set(chunks))]
        connection = self.db.connection
        connection.executemany(
            "INSERT INTO chunk_counts VALUES (?, 1) ON CONFLICT (chunk) DO UPDATE SET n = n + 1",
            distinct,
        )
        connection.executemany(
            "INSERT OR IGNORE INTO entry_chunks VALUES (?, ?)", [(c, seq) for (c,) in distinct]
        )

    def set_observed(self, entry_id: str, observed: dt.date) -> None:
        self.db.execute(
            "UPDATE entries SET observed=? WHERE id=?", (observed.isoformat(), entry_id)
        )

    def add_sighting(
        self,
        entry_id: str,
        *,
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
            (entry_id, source, locator, kind.value, content_hash, iso(now), iso(now)),
        )

    def stale_keys(self, version: int) -> Iterator[StoredEntry]:
        """Entries whose match keys were computed by older rules."""
        ids = [
            r[0]
            for r in self.db.execute(
                # "+seq": found by the keys_version index (almost always nothing), not
                # by walking every entry in seq order.
                "SELECT id FROM entries WHERE keys_version < ? ORDER BY +seq",
                (version,),
            )
        ]
        for entry_id in ids:
            stored = self.load(entry_id)
            if stored is not None:
                yield stored

    def set_hidden(self, entry_id: str, hidden: bool) -> bool:
        cursor = self.db.execute(
            "UPDATE entries SET hidden=?, changed=1 WHERE id=?", (int(hidden), entry_id)
        )
        return cursor.rowcount > 0


def _stored_columns(row: EntryRow) -> dict[str, object]:
    """The columns an entry row sets, whether it is inserted or rewritten."""
    keys = row.keys
    return {
        "kind": row.release.kind.value,
        "release": release_to_json(row.release),
        "content_hash": row.content_hash,
        "section": row.section,
        "extra_sections": json.dumps(list(row.extra_sections)),
        "published": iso(row.published),
        "updated": iso(row.updated),
        "first_seen": iso(row.first_seen),
        "page_path": row.page_path,
        "source_rank": row.rank,
        "url": keys.url,
        "title_key": keys.title_key,
        "lead_key": keys.lead_key,
        "lead_hash": key_hash(keys.lead_key),
        "date": keys.date.isoformat() if keys.date else None,
        "text_key": keys.text_key,
        "text_hash": key_hash(keys.text_key),
        "keys_version": row.keys_version,
        "date_own": int(keys.date_own),
    }
