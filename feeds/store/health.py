"""Per-source health records: the history drift detection compares a run with."""

from __future__ import annotations

from feeds.model import SourceHealth
from feeds.store.codec import health_from_json, health_to_json
from feeds.store.database import Database

#: Runs of history kept per source.
KEPT_RUNS = 50


class SqliteHealth:
    def __init__(self, database: Database) -> None:
        self.db = database

    def history(self, source: str, limit: int = 10) -> list[SourceHealth]:
        """The source's last runs, newest first."""
        rows = self.db.execute(
            "SELECT report FROM health WHERE source=? ORDER BY run DESC LIMIT ?", (source, limit)
        )
        return [health_from_json(r[0]) for r in rows]

    def record(self, source: str, health: SourceHealth) -> None:
        run = self.db.execute(
            "SELECT COALESCE(MAX(run), 0) + 1 FROM health WHERE source=?", (source,)
        ).fetchone()[0]
        self.db.execute(
            "INSERT INTO health VALUES (?, ?, ?)", (source, run, health_to_json(health))
        )
        self.db.execute("DELETE FROM health WHERE source=? AND run <= ?", (source, run - KEPT_RUNS))
