"""The state: persistence only, split by concern.

:class:`Store` opens one SQLite file and gives its parts: ``releases`` (entries,
sightings, match keys), ``memory`` (files, HTTP validators, listing items), ``health``,
``feeds`` (feed membership, archives, published pages) and ``outputs`` (the files
written).  The protocols they implement are in :mod:`feeds.store.interface`; schema and
migrations in :mod:`feeds.store.schema`.

May import ``feeds.model`` and ``feeds.errors`` only (no parsing, sources or publish).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from feeds.store.database import Database
from feeds.store.feed_index import SqliteFeedIndex
from feeds.store.health import SqliteHealth
from feeds.store.memory import SqliteMemory
from feeds.store.outputs import SqliteOutputs
from feeds.store.releases import SqliteReleases

__all__ = ["Store"]


class Store:
    """One open state file."""

    def __init__(self, database: Database, timezone: str) -> None:
        self.database = database
        self.releases = SqliteReleases(database, zoneinfo.ZoneInfo(timezone))
        self.memory = SqliteMemory(database)
        self.health = SqliteHealth(database)
        self.feeds = SqliteFeedIndex(database)
        self.outputs = SqliteOutputs(database)

    @classmethod
    def open(cls, path: Path, *, timezone: str) -> Store:
        return cls(Database.open(path), timezone)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.database.transaction():
            yield

    def close(self) -> None:
        self.database.close()
