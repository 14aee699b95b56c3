"""The state schema: numbered migrations, each run once, in a transaction of its own.

``PRAGMA user_version`` holds the number of the last migration applied.  A step is SQL
(split into statements by SQLite's own completeness test, so a semicolon inside a string
or a trigger body is safe) or a function for what SQL alone cannot do.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from feeds.store.database import Database


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str = ""
    run: Callable[[sqlite3.Connection], None] | None = None


def statements(script: str) -> Iterator[str]:
    """The complete SQL statements of ``script``, in order."""
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            if pending.strip().rstrip(";").strip():
                yield pending.strip()
            pending = ""
    if pending.strip():
        yield pending.strip()


_INITIAL = """
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
"""

_OBSERVED = "ALTER TABLE entries ADD COLUMN observed TEXT"

_MATCH_KEYS_IN_THE_DATABASE = """
ALTER TABLE entries ADD COLUMN text_key TEXT NOT NULL DEFAULT '';
-- Version of the rules that computed title_key, lead_key, text_key and the chunks:
-- rows older than the running rules are recomputed once.
ALTER TABLE entries ADD COLUMN keys_version INTEGER NOT NULL DEFAULT 0;
-- 1 when the date column holds the release's own date, 0 for a date its text names.
ALTER TABLE entries ADD COLUMN date_own INTEGER NOT NULL DEFAULT 1;
CREATE INDEX entries_lead ON entries (lead_key);
CREATE INDEX entries_text ON entries (text_key);
CREATE INDEX entries_listed ON entries (hidden, published, id);
-- Word chunks of each entry's lead and text: candidates for fuzzy matching.
CREATE TABLE entry_chunks (
    chunk INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (chunk, seq)
) WITHOUT ROWID;
-- How many entries hold each chunk; a chunk held by very many is a common phrase that
-- identifies nothing, and lookups skip it.
CREATE TABLE chunk_counts (
    chunk INTEGER PRIMARY KEY,
    n INTEGER NOT NULL
);
-- Teaser-candidate paragraphs of each dump file, counted across the files of a source.
CREATE TABLE file_paragraphs (
    source TEXT NOT NULL,
    key TEXT NOT NULL,
    path TEXT NOT NULL,
    PRIMARY KEY (source, key, path)
) WITHOUT ROWID;
CREATE INDEX file_paragraphs_path ON file_paragraphs (source, path);
-- Files the publisher wrote under the output folder: the only ones it may remove.
CREATE TABLE outputs (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL
);
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


def _paragraphs_out_of_json(connection: sqlite3.Connection) -> None:
    """The candidate keys kept as JSON per file move to their own table."""
    rows = connection.execute("SELECT source, path, candidates FROM files").fetchall()
    connection.executemany(
        "INSERT OR IGNORE INTO file_paragraphs VALUES (?, ?, ?)",
        [(source, key, path) for source, path, keys in rows for key in json.loads(keys)],
    )


def _releases_as_schema_json(connection: sqlite3.Connection) -> None:
    """Releases were stored in a hand-made JSON shape (assets as [name, url] pairs, date
    phrases as "text"); they are rewritten in the shape of the stored-release schema."""
    from feeds.store.codec import release_from_json, release_to_json

    rows = connection.execute("SELECT id, release FROM entries").fetchall()
    for entry_id, text in rows:
        data = json.loads(text)
        for key in ("images", "attachments"):
            data[key] = [
                {"name": a[0], "url": a[1]} if isinstance(a, list) else a for a in data[key]
            ]
        # A date phrase opening a teaser is now named for what it is: an estimate.
        if data.get("date_origin") == "text":
            data["date_origin"] = "lead"
        release = release_from_json(json.dumps(data))
        connection.execute(
            "UPDATE entries SET release=? WHERE id=?", (release_to_json(release), entry_id)
        )


_MICROSECONDS = """
UPDATE entries SET
    published = replace(published, 'Z', '.000000Z'),
    updated = replace(updated, 'Z', '.000000Z'),
    first_seen = replace(first_seen, 'Z', '.000000Z')
WHERE published NOT LIKE '%.%';
UPDATE sightings SET
    first_seen = replace(first_seen, 'Z', '.000000Z'),
    last_seen = replace(last_seen, 'Z', '.000000Z')
WHERE first_seen NOT LIKE '%.%';
"""


_PUBLISHING_JOURNAL = """
-- 1 while an entry holds a change the output does not show yet.
ALTER TABLE entries ADD COLUMN changed INTEGER NOT NULL DEFAULT 1;
CREATE INDEX entries_changed ON entries (id) WHERE changed = 1;
-- Which feeds show each entry, in feed order, the archived ones apart: a feed's head is
-- the first rows of (feed, archived=0), read from the index.
CREATE TABLE feed_members (
    feed TEXT NOT NULL,
    archived INTEGER NOT NULL,
    published TEXT NOT NULL,
    updated TEXT NOT NULL,
    entry_id TEXT NOT NULL,
    PRIMARY KEY (feed, archived, published, updated, entry_id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX feed_members_entry ON feed_members (entry_id, feed);
-- The release page each entry was last published at.
CREATE TABLE entry_pages (
    entry_id TEXT PRIMARY KEY,
    path TEXT NOT NULL
) WITHOUT ROWID;
-- Archive page numbers of each feed that hold at least one entry.
CREATE TABLE archive_pages (
    feed TEXT NOT NULL,
    number INTEGER NOT NULL,
    PRIMARY KEY (feed, number)
) WITHOUT ROWID;
"""


_CRAWL_WALKS = """
-- Per html source: runs since the last walk of every listing page, and when that was.
CREATE TABLE crawl_walks (
    source TEXT PRIMARY KEY,
    runs_since_full INTEGER NOT NULL,
    last_full TEXT                   -- UTC, ISO 8601; NULL before the first full walk
);
"""


# An entry's chunks are read and replaced when it is rewritten.
_CHUNKS_BY_ENTRY = "CREATE INDEX entry_chunks_seq ON entry_chunks (seq)"

# Every run asks for entries whose keys older rules computed: almost always none.
_KEYS_VERSION = "CREATE INDEX entries_keys_version ON entries (keys_version)"


_HASHED_KEYS = """
ALTER TABLE entries ADD COLUMN lead_hash INTEGER;
ALTER TABLE entries ADD COLUMN text_hash INTEGER;
DROP INDEX entries_lead;
DROP INDEX entries_text;
"""


def _hash_keys(connection: sqlite3.Connection) -> None:
    """Fill the key hashes of the stored entries, then index them."""
    from feeds.store.keyhash import key_hash

    connection.create_function("key_hash", 1, key_hash, deterministic=True)
    connection.execute(
        "UPDATE entries SET lead_hash = key_hash(lead_key), text_hash = key_hash(text_key)"
    )
    connection.execute("CREATE INDEX entries_lead_hash ON entries (lead_hash)")
    connection.execute("CREATE INDEX entries_text_hash ON entries (text_hash)")


# Dump folders are compared by ranges (their digests are kept under another key).
_FOLDER_RANGES = "DELETE FROM meta WHERE key LIKE 'dump.folder-digest.%'"


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial schema", sql=_INITIAL),
    Migration(2, "when the stored copy was made", sql=_OBSERVED),
    Migration(3, "match keys in the database", sql=_MATCH_KEYS_IN_THE_DATABASE),
    Migration(4, "file paragraphs in a table", run=_paragraphs_out_of_json),
    Migration(5, "releases in the stored-release schema", run=_releases_as_schema_json),
    Migration(6, "instants with microseconds", sql=_MICROSECONDS),
    Migration(7, "what the output does not show yet", sql=_PUBLISHING_JOURNAL),
    Migration(8, "crawl walks", sql=_CRAWL_WALKS),
    Migration(9, "chunks found by entry", sql=_CHUNKS_BY_ENTRY),
    Migration(10, "entries found by the version of their keys", sql=_KEYS_VERSION),
    Migration(11, "lead and text keys found by their hashes", sql=_HASHED_KEYS, run=_hash_keys),
    Migration(12, "dump folders compared by ranges", sql=_FOLDER_RANGES),
)
LATEST = MIGRATIONS[-1].version


def migrate(database: Database) -> None:
    """Apply every migration newer than the file's version, each in its own transaction."""
    connection = database.connection
    version = int(connection.execute("PRAGMA user_version").fetchone()[0])
    if version > LATEST:
        raise sqlite3.DatabaseError(
            f"schema version {version} is newer than this feeds knows ({LATEST}): upgrade feeds"
        )
    for migration in MIGRATIONS:
        if migration.version <= version:
            continue
        with database.transaction():
            for statement in statements(migration.sql):
                connection.execute(statement)
            if migration.run is not None:
                migration.run(connection)
            connection.execute(f"PRAGMA user_version = {migration.version}")
