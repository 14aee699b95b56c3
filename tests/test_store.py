"""The SQLite state: the stored form of releases, schema versions and migrations."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from feeds.errors import StateError
from feeds.ingest import IngestResult
from feeds.model import Asset, DateOrigin, FolderRanges, Release, ReleaseKind
from feeds.store import Store, releases
from feeds.store.codec import release_from_json, release_to_json
from feeds.store.keyhash import key_hash
from feeds.store.schema import MIGRATIONS, statements
from tests.support.ingesting import State, opened

NOW = dt.datetime(2026, 3, 1, 12, 0, 0, tzinfo=dt.UTC)

LEAD = (
    "On 3 March 2025, the CSTO Secretariat held a working meeting with experts of the member "
    "states on preparations for the joint training of crisis response units planned for the "
    "autumn."
)
ARTICLE = Release(
    kind=ReleaseKind.FULL,
    title="Experts prepared the joint training of crisis response units",
    date=dt.date(2025, 3, 3),
    date_origin=DateOrigin.HEADER,
    lead=LEAD,
    paragraphs=(LEAD, "The experts agreed on the schedule of the planning conferences."),
    body_html="<p>body</p>",
    language="en",
)
TEASER = Release(
    kind=ReleaseKind.BRIEF,
    title="On 3 March 2025, the CSTO Secretariat held a working meeting with experts of the…",
    title_derived=True,
    date=dt.date(2025, 3, 3),
    date_origin=DateOrigin.LEAD,
    lead=LEAD,
    paragraphs=(LEAD,),
    language="en",
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[State]:
    yield from opened(tmp_path / "state" / "feeds.sqlite")


def ingest(
    store: State, release: Release, locator: str, now: dt.datetime = NOW, source_type: str = "dump"
) -> IngestResult:
    return store.ingest(release, locator, now, source_type=source_type)


def distinct(n: int) -> str:
    """A text sharing no word with distinct(m) for m != n, so no two of them match."""
    words = ("council", "ministers", "exercise", "secretariat", "delegation", "briefing")
    return f"Event{n} " + " ".join(f"{word}{n}" for word in words) + f" held in city{n}."


def brief(text: str, day: dt.date | None = None) -> Release:
    return Release(
        kind=ReleaseKind.BRIEF,
        title=text[:60],
        title_derived=True,
        date=day,
        date_origin=DateOrigin.LEAD if day else DateOrigin.NONE,
        lead=text,
        paragraphs=(text,),
    )


def test_release_json_round_trip() -> None:
    rich = replace(
        ARTICLE,
        images=(Asset("ZVF_2142.JPG"), Asset("a.png", "https://en.odkb-csto.org/a.png")),
        attachments=(Asset("Annex 2.pdf"),),
        links=("https://www.youtube.com/watch?v=x",),
        contacts=("CSTO press secretary",),
        url="https://en.odkb-csto.org/news/news_odkb/x/",
        published_at=dt.datetime(2025, 3, 3, 9, 30, tzinfo=dt.UTC),
        extra=(("subtitle", "A subtitle"),),
    )
    assert release_from_json(release_to_json(rich)) == rich
    assert release_from_json(release_to_json(TEASER)) == TEASER


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "feeds.sqlite"
    Store.open(path, timezone="Europe/Moscow").close()
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.close()
    with pytest.raises(
        StateError, match=r"feeds\.sqlite: cannot use the state database: schema version 99"
    ):
        Store.open(path, timezone="Europe/Moscow")


def test_garbage_state_file_is_a_state_error(tmp_path: Path) -> None:
    path = tmp_path / "feeds.sqlite"
    path.write_bytes(b"not a database at all" * 100)
    with pytest.raises(StateError, match=str(path)):
        Store.open(path, timezone="Europe/Moscow")


def test_a_version_1_state_is_migrated_and_keeps_its_entries(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    for statement in statements(MIGRATIONS[0].sql):
        db.execute(statement)
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    state = State(path)
    try:
        connection = state.store.database.connection
        assert connection.execute("PRAGMA user_version").fetchone()[0] == MIGRATIONS[-1].version
        created = state.ingest(ARTICLE, "a.txt", NOW, observed=dt.date(2025, 3, 4))
        row = connection.execute(
            "SELECT observed FROM entries WHERE id=?", (created.entry_id,)
        ).fetchone()
        assert row == ("2025-03-04",)
    finally:
        state.close()


def test_statements_are_split_by_sqlite_not_by_semicolons() -> None:
    script = (
        "CREATE TABLE a (x TEXT DEFAULT ';');\n"
        "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  SELECT 1;\nEND;\n"
    )
    assert list(statements(script)) == [
        "CREATE TABLE a (x TEXT DEFAULT ';');",
        "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  SELECT 1;\nEND;",
    ]


def _as_version_10(path: Path) -> None:
    """Turn a current state file back into schema version 10: keys indexed as texts."""
    db = sqlite3.connect(path)
    db.executescript(
        "DROP INDEX entries_lead_hash; DROP INDEX entries_text_hash;"
        "ALTER TABLE entries DROP COLUMN lead_hash; ALTER TABLE entries DROP COLUMN text_hash;"
        "CREATE INDEX entries_lead ON entries (lead_key);"
        "CREATE INDEX entries_text ON entries (text_key);"
        "PRAGMA user_version = 10;"
    )
    db.close()


def test_a_version_10_state_gets_its_keys_hashed_and_still_matches(tmp_path: Path) -> None:
    path = tmp_path / "feeds.sqlite"
    state = State(path)
    article = state.ingest(ARTICLE, "a.txt", NOW)
    state.close()
    _as_version_10(path)

    state = State(path)
    try:
        connection = state.store.database.connection
        lead_key, lead_hash, text_hash = connection.execute(
            "SELECT lead_key, lead_hash, text_hash FROM entries"
        ).fetchone()
        assert lead_key.startswith("on 3 march 2025 the csto secretariat held")
        assert lead_hash == key_hash(lead_key)
        assert text_hash is not None
        indexes = {r[0] for r in connection.execute("SELECT name FROM sqlite_master")}
        assert {"entries_lead_hash", "entries_text_hash"} <= indexes
        assert not {"entries_lead", "entries_text"} & indexes
        # The teaser states the article's lead: found through the hashed lead.
        assert state.ingest(TEASER, "b.txt", NOW).entry_id == article.entry_id
    finally:
        state.close()


def test_a_version_11_state_drops_its_folder_digests(tmp_path: Path) -> None:
    path = tmp_path / "feeds.sqlite"
    State(path).close()
    db = sqlite3.connect(path)
    db.executescript(
        "INSERT INTO meta VALUES ('dump.folder-digest.dumps', 'ab12');"
        "INSERT INTO meta VALUES ('dump.folder-digestless', 'kept');"
        "PRAGMA user_version = 11;"
    )
    db.close()
    state = State(path)
    try:
        connection = state.store.database.connection
        keys = {r[0] for r in connection.execute("SELECT key FROM meta")}
        assert "dump.folder-digestless" in keys and "dump.folder-digest.dumps" not in keys
        # With nothing kept, the next run compares every file of the folder.
        assert state.store.memory.folder_ranges("dumps") is None
    finally:
        state.close()


def test_folder_ranges_read_back_as_kept_or_not_at_all(store: State) -> None:
    memory = store.store.memory
    kept = FolderRanges(("dumps/b.txt",), ("d1", None))
    memory.save_folder_ranges("dumps", kept)
    assert memory.folder_ranges("dumps") == kept
    assert memory.folder_ranges("other") is None
    # The same ranges again (a folder with nothing new) write nothing.
    connection = store.store.database.connection
    changes = connection.total_changes
    memory.save_folder_ranges("dumps", FolderRanges(("dumps/b.txt",), ("d1", None)))
    assert connection.total_changes == changes
    # A value not as written (one digest short, or no JSON) is no ranges: every file is
    # compared again rather than trusted.
    database = store.store.database
    database.set_meta("dump.folder-ranges.dumps", '{"bounds": ["b"], "digests": ["d1"]}')
    assert memory.folder_ranges("dumps") is None
    database.set_meta("dump.folder-ranges.dumps", "{not json")
    assert memory.folder_ranges("dumps") is None
    memory.save_folder_ranges("dumps", None)
    assert database.meta("dump.folder-ranges.dumps") is None


def test_a_hash_shared_by_other_texts_never_matches_them(
    store: State, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every key hashes alike: the worst collision there can be.
    monkeypatch.setattr(releases, "key_hash", lambda key: 7 if key else None)
    first = ingest(store, brief(distinct(1), dt.date(2025, 3, 3)), "a.txt")
    second = ingest(store, brief(distinct(2), dt.date(2025, 3, 3)), "b.txt")
    assert first.entry_id != second.entry_id
    repo = store.store.releases
    assert [c.id for c in repo.by_text(lead_key(store, first.entry_id))] == [first.entry_id]
    assert repo.known_texts([lead_key(store, second.entry_id), "no such text"]) == {
        lead_key(store, second.entry_id)
    }


def lead_key(store: State, entry_id: str) -> str:
    row = store.store.database.connection.execute(
        "SELECT lead_key FROM entries WHERE id=?", (entry_id,)
    ).fetchone()
    return str(row[0])
