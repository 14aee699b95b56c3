"""The SQLite connection of one state file: opening, transactions, schema upgrades."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from feeds.errors import StateError
from feeds.store.schema import migrate


class Database:
    """One connection; writers work inside :meth:`transaction`."""

    def __init__(self, connection: sqlite3.Connection, where: str) -> None:
        self.connection = connection
        self.where = where
        self._depth = 0

    @classmethod
    def open(cls, path: Path) -> Database:
        """Open (creating when missing) and upgrade the state database."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(path, isolation_level=None, timeout=60)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=FULL")
            connection.execute("PRAGMA foreign_keys=ON")
            database = cls(connection, str(path))
            migrate(database)
        except sqlite3.DatabaseError as exc:
            raise StateError(f"{path}: cannot use the state database: {exc}") from exc
        except OSError as exc:
            raise StateError(f"{path}: cannot open the state database: {exc.strerror}") from exc
        return database

    def close(self) -> None:
        self.connection.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing: a crash or an exception inside leaves the state as it was.

        Nested use joins the outer transaction."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self.connection.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth = 0
            self.connection.execute("ROLLBACK")
            raise
        self._depth = 0
        self.connection.execute("COMMIT")

    def execute(self, sql: str, parameters: Sequence[object] = ()) -> sqlite3.Cursor:
        return self.connection.execute(sql, parameters)
