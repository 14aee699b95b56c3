"""Archive membership (RFC 5005): which entries each feed moved to its archive, for good."""

from __future__ import annotations

from feeds.store.database import Database


class SqliteArchives:
    def __init__(self, database: Database) -> None:
        self.db = database

    def members(self, feed: str) -> dict[str, int]:
        """Entry id -> archive sequence number, for one feed."""
        return {
            r[0]: r[1]
            for r in self.db.execute("SELECT entry_id, seq FROM archives WHERE feed=?", (feed,))
        }

    def last_seq(self, feed: str) -> int:
        row = self.db.execute(
            "SELECT COALESCE(MAX(seq), 0) FROM archives WHERE feed=?", (feed,)
        ).fetchone()
        return int(row[0])

    def add(self, feed: str, entry_id: str, seq: int) -> None:
        self.db.execute("INSERT INTO archives VALUES (?, ?, ?)", (feed, entry_id, seq))
