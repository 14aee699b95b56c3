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
        self.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException as exc:
            self._depth = 0
            if self.connection.in_transaction:
                self.connection.execute("ROLLBACK")
            if isinstance(exc, sqlite3.OperationalError) and _unwritable(exc):
                raise self._unwritable(exc) from None
            raise
        self._depth = 0
        self.execute("COMMIT")

    def execute(self, sql: str, parameters: Sequence[object] = ()) -> sqlite3.Cursor:
        try:
            return self.connection.execute(sql, parameters)
        except sqlite3.OperationalError as exc:
            if _unwritable(exc):
                raise self._unwritable(exc) from None
            raise

    def meta(self, key: str) -> str | None:
        """A value of the state's key-value table (settings fingerprints, digests)."""
        row = self.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return str(row[0]) if row else None

    def set_meta(self, key: str, value: str | None) -> None:
        """Keep ``value`` under ``key``, or drop the key (None)."""
        if value is None:
            self.execute("DELETE FROM meta WHERE key=?", (key,))
        else:
            self.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def _unwritable(self, exc: sqlite3.OperationalError) -> StateError:
        """A full disk or a read-only state folder is no bug: say what to do."""
        return StateError(
            f"{self.where}: cannot write the state ({exc}): free some space or make its "
            "folder writable, then run again"
        )


def _unwritable(exc: sqlite3.OperationalError) -> bool:
    """True for the errors SQLite gives when the disk is full or the file read-only."""
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF in _UNWRITABLE


_UNWRITABLE = {
    getattr(sqlite3, name)
    for name in ("SQLITE_FULL", "SQLITE_READONLY", "SQLITE_IOERR", "SQLITE_CANTOPEN")
    if hasattr(sqlite3, name)
}
