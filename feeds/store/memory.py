"""What sources remember between runs: files read, HTTP validators, listing items, and
when each crawl last walked its whole listing."""

from __future__ import annotations

import json
from collections.abc import Iterable

from feeds.model import FileStamp, FolderRanges
from feeds.store.database import Database

#: Key prefix, in the meta table, of each dump source's folder ranges.
_FOLDER_RANGES = "dump.folder-ranges."


class SqliteMemory:
    def __init__(self, database: Database) -> None:
        self.db = database

    # --- dump files ------------------------------------------------------------------

    def file_stamp(self, source: str, path: str) -> FileStamp | None:
        row = self.db.execute(
            "SELECT size, mtime_ns, sha256 FROM files WHERE source=? AND path=?", (source, path)
        ).fetchone()
        return FileStamp(row[0], row[1], row[2]) if row else None

    def file_dates(
        self, source: str, start: str | None = None, end: str | None = None
    ) -> dict[str, tuple[int, int]]:
        """Size and mtime of the files of a source (those with keys from ``start``,
        included, to ``end``, excluded, when given), in one query: a folder is compared
        with them, and only a file that differs needs its hash."""
        where, values = "source=?", [source]
        if start is not None:
            where, values = f"{where} AND path >= ?", [*values, start]
        if end is not None:
            where, values = f"{where} AND path < ?", [*values, end]
        return {
            path: (size, mtime_ns)
            for path, size, mtime_ns in self.db.execute(
                f"SELECT path, size, mtime_ns FROM files WHERE {where}", values
            )
        }

    def folder_ranges(self, source: str) -> FolderRanges | None:
        """The ranges of a source's files as they were when last stored."""
        text = self.db.meta(_FOLDER_RANGES + source)
        if text is None:
            return None
        try:
            kept = json.loads(text)
            ranges = FolderRanges(tuple(kept["bounds"]), tuple(kept["digests"]))
        except (ValueError, KeyError, TypeError):
            return None  # not as written: every file is compared again
        return ranges if len(ranges.digests) == len(ranges.bounds) + 1 else None

    def save_folder_ranges(self, source: str, ranges: FolderRanges | None) -> None:
        """Keep ``ranges`` for the source's files, or drop the ones kept (None)."""
        text = None
        if ranges is not None:
            kept = {"bounds": ranges.bounds, "digests": ranges.digests}
            text = json.dumps(kept, ensure_ascii=False, separators=(",", ":"))
        # Ranges as kept are not written again (a large folder's run tens of kilobytes).
        if text != self.db.meta(_FOLDER_RANGES + source):
            self.db.set_meta(_FOLDER_RANGES + source, text)

    def remember_file(self, source: str, path: str, stamp: FileStamp) -> None:
        self.db.execute(
            "INSERT INTO files VALUES (?, ?, ?, ?, ?, '[]') ON CONFLICT (source, path) DO UPDATE "
            "SET size=excluded.size, mtime_ns=excluded.mtime_ns, sha256=excluded.sha256",
            (source, path, stamp.size, stamp.mtime_ns, stamp.sha256),
        )

    def remember_paragraphs(self, source: str, path: str, keys: Iterable[str]) -> None:
        """The teaser-candidate paragraph keys a file shows (replacing earlier ones)."""
        self.db.execute("DELETE FROM file_paragraphs WHERE source=? AND path=?", (source, path))
        self.db.connection.executemany(
            "INSERT OR IGNORE INTO file_paragraphs VALUES (?, ?, ?)",
            [(source, key, path) for key in set(keys)],
        )

    def paragraph_counts(self, source: str, keys: Iterable[str]) -> dict[str, int]:
        """How many files of a source show each of ``keys``."""
        wanted = sorted(set(keys))
        counts: dict[str, int] = {}
        for start in range(0, len(wanted), 400):
            part = wanted[start : start + 400]
            marks = ", ".join("?" * len(part))
            counts.update(
                (key, n)
                for key, n in self.db.execute(
                    "SELECT key, COUNT(*) FROM file_paragraphs "
                    f"WHERE source=? AND key IN ({marks}) GROUP BY key",
                    [source, *part],
                )
            )
        return counts

    def forget_files(self, source: str, gone: Iterable[str]) -> None:
        """Drop records of files that are gone (their releases stay published)."""
        for path in sorted(gone):
            self.db.execute("DELETE FROM files WHERE source=? AND path=?", (source, path))
            self.db.execute("DELETE FROM file_paragraphs WHERE source=? AND path=?", (source, path))

    # --- HTTP validators and listing items ---------------------------------------------

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

    # --- crawl walks -------------------------------------------------------------------

    def runs_since_full_walk(self, source: str) -> int | None:
        """Runs of a crawl since it last read every listing page; None when it never did."""
        row = self.db.execute(
            "SELECT runs_since_full, last_full FROM crawl_walks WHERE source=?", (source,)
        ).fetchone()
        return int(row[0]) if row and row[1] is not None else None

    def last_full_walk(self, source: str) -> str | None:
        """When a crawl last read every listing page (UTC, ISO 8601)."""
        row = self.db.execute(
            "SELECT last_full FROM crawl_walks WHERE source=?", (source,)
        ).fetchone()
        return str(row[0]) if row and row[0] is not None else None

    def record_walk(self, source: str, *, full: bool, when: str) -> None:
        """One more run of a crawl: a full walk (at ``when``) or an incremental one."""
        if full:
            self.db.execute(
                "INSERT INTO crawl_walks VALUES (?, 0, ?) ON CONFLICT (source) DO UPDATE "
                "SET runs_since_full=0, last_full=excluded.last_full",
                (source, when),
            )
        else:
            self.db.execute(
                "INSERT INTO crawl_walks VALUES (?, 1, NULL) ON CONFLICT (source) DO UPDATE "
                "SET runs_since_full=runs_since_full + 1",
                (source,),
            )
