"""What each feed shows: its members in feed order, its archive (RFC 5005), its pages.

Membership rows are written by the publisher (which owns the rule of who belongs to a
feed); this module only keeps them, ordered the way feeds list entries: newest first by
(published, updated, id).  Archive sequence numbers are permanent: an entry moved to a
feed's archive keeps its number even when it leaves the feed and comes back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from feeds.store.database import Database
from feeds.store.entries import iso

_NEWEST_FIRST = "ORDER BY published DESC, updated DESC, entry_id DESC"


class SqliteFeedIndex:
    def __init__(self, database: Database) -> None:
        self.db = database

    # --- membership ----------------------------------------------------------------

    def feeds_of(self, entry_id: str) -> set[str]:
        rows = self.db.execute("SELECT feed FROM feed_members WHERE entry_id=?", (entry_id,))
        return {r[0] for r in rows}

    def place(
        self, entry_id: str, feeds: Sequence[str], published: dt.datetime, updated: dt.datetime
    ) -> None:
        """Make ``feeds`` exactly the feeds that show the entry."""
        self.db.execute("DELETE FROM feed_members WHERE entry_id=?", (entry_id,))
        self.db.connection.executemany(
            "INSERT INTO feed_members "
            "SELECT ?, EXISTS (SELECT 1 FROM archives WHERE feed=? AND entry_id=?), ?, ?, ?",
            [(f, f, entry_id, iso(published), iso(updated), entry_id) for f in feeds],
        )

    def clear(self) -> None:
        """Forget every membership and page (before they are all written again)."""
        for table in ("feed_members", "entry_pages", "archive_pages"):
            self.db.execute(f"DELETE FROM {table}")

    def head(self, feed: str, limit: int) -> list[str]:
        """The newest ``limit`` members not in the archive."""
        return self._unarchived(feed, limit, 0)

    def overflow(self, feed: str, keep: int) -> list[str]:
        """Members not in the archive beyond the newest ``keep``, newest first."""
        return self._unarchived(feed, -1, keep)

    def _unarchived(self, feed: str, limit: int, offset: int) -> list[str]:
        rows = self.db.execute(
            f"SELECT entry_id FROM feed_members WHERE feed=? AND archived=0 {_NEWEST_FIRST} "
            "LIMIT ? OFFSET ?",
            (feed, limit, offset),
        )
        return [r[0] for r in rows]

    # --- the archive ---------------------------------------------------------------

    def archive(self, feed: str, entry_ids: Iterable[str]) -> list[int]:
        """Move entries into the feed's archive, in the order given; their numbers."""
        row = self.db.execute(
            "SELECT COALESCE(MAX(seq), 0) FROM archives WHERE feed=?", (feed,)
        ).fetchone()
        seq = int(row[0])
        numbers = []
        for entry_id in entry_ids:
            seq += 1
            self.db.execute("INSERT INTO archives VALUES (?, ?, ?)", (feed, entry_id, seq))
            self.db.execute(
                "UPDATE feed_members SET archived=1 WHERE feed=? AND entry_id=?", (feed, entry_id)
            )
            numbers.append(seq)
        return numbers

    def archive_seq(self, feed: str, entry_id: str) -> int | None:
        row = self.db.execute(
            "SELECT seq FROM archives WHERE feed=? AND entry_id=?", (feed, entry_id)
        ).fetchone()
        return int(row[0]) if row else None

    def archived_members(self, feed: str, first: int, last: int) -> list[str]:
        """Members whose archive number is in ``first..last``, newest first."""
        rows = self.db.execute(
            "SELECT m.entry_id FROM archives a JOIN feed_members m "
            "ON m.entry_id=a.entry_id AND m.feed=a.feed "
            "WHERE a.feed=? AND a.seq BETWEEN ? AND ? "
            "ORDER BY m.published DESC, m.updated DESC, m.entry_id DESC",
            (feed, first, last),
        )
        return [r[0] for r in rows]

    def archived_numbers(self, feed: str) -> list[int]:
        """Archive numbers of the feed's current members, ascending."""
        rows = self.db.execute(
            "SELECT a.seq FROM archives a JOIN feed_members m "
            "ON m.entry_id=a.entry_id AND m.feed=a.feed WHERE a.feed=? ORDER BY a.seq",
            (feed,),
        )
        return [r[0] for r in rows]

    # --- published pages -----------------------------------------------------------

    def pages(self, feed: str) -> list[int]:
        rows = self.db.execute(
            "SELECT number FROM archive_pages WHERE feed=? ORDER BY number", (feed,)
        )
        return [r[0] for r in rows]

    def set_pages(self, feed: str, numbers: Iterable[int]) -> None:
        self.db.execute("DELETE FROM archive_pages WHERE feed=?", (feed,))
        self.db.connection.executemany(
            "INSERT INTO archive_pages VALUES (?, ?)", [(feed, n) for n in sorted(set(numbers))]
        )

    def page_of(self, entry_id: str) -> str | None:
        row = self.db.execute(
            "SELECT path FROM entry_pages WHERE entry_id=?", (entry_id,)
        ).fetchone()
        return str(row[0]) if row else None

    def set_page(self, entry_id: str, path: str | None) -> None:
        if path is None:
            self.db.execute("DELETE FROM entry_pages WHERE entry_id=?", (entry_id,))
        else:
            self.db.execute("INSERT OR REPLACE INTO entry_pages VALUES (?, ?)", (entry_id, path))
