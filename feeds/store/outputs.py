"""The files the publisher wrote under the output folder: the only ones it may remove."""

from __future__ import annotations

from feeds.store.database import Database


class SqliteOutputs:
    def __init__(self, database: Database) -> None:
        self.db = database

    def written(self) -> dict[str, str]:
        """Relative path -> SHA-256 of the bytes last written there."""
        return {r[0]: r[1] for r in self.db.execute("SELECT path, sha256 FROM outputs")}

    def digest(self, path: str) -> str | None:
        row = self.db.execute("SELECT sha256 FROM outputs WHERE path=?", (path,)).fetchone()
        return str(row[0]) if row else None

    def record(self, path: str, size: int, sha256: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO outputs VALUES (?, ?, ?)", (path, size, sha256))

    def forget(self, path: str) -> None:
        self.db.execute("DELETE FROM outputs WHERE path=?", (path,))

    def meta(self, key: str) -> str | None:
        return self.db.meta(key)

    def set_meta(self, key: str, value: str) -> None:
        self.db.set_meta(key, value)
