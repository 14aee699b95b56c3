"""Dump folders: which files a source's patterns name, listed as glob would list them."""

from __future__ import annotations

import glob
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.config import Config, load_config
from feeds.model import FileStamp, FolderRanges
from feeds.sources import files
from feeds.sources.files import matching_files
from feeds.store import Store
from tests.test_config import MINIMAL, write
from tests.test_sources_crawl import Memory

NAMES = ["a.txt", ".hidden.txt", "b.TXT", "c.txt.bak", "[x].txt", "with space.txt"]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for name in NAMES:
        (tmp_path / name).write_text(name, encoding="utf-8")
    (tmp_path / "folder.txt").mkdir()
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "d.txt").write_text("d", encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("*.txt", ["[x].txt", "a.txt", "with space.txt"]),
        ("?.txt", ["a.txt"]),
        ("[ab].*", ["a.txt", "b.TXT"]),
        (".*", [".hidden.txt"]),
        ("a.txt", ["a.txt"]),
        ("sub/*.txt", ["sub/d.txt"]),
        ("*/*.txt", ["sub/d.txt"]),
        ("**/*.txt", ["[x].txt", "a.txt", "sub/d.txt", "with space.txt"]),
        ("missing/*.txt", []),
    ],
)
def test_patterns_list_what_glob_lists(folder: Path, pattern: str, expected: list[str]) -> None:
    found = matching_files([pattern], folder)
    assert [os.path.relpath(name, folder) for name, _, _ in found] == expected
    by_glob = glob.glob(os.path.join(folder, pattern), recursive=True)
    assert [name for name, _, _ in found] == sorted(p for p in by_glob if os.path.isfile(p))
    for name, size, mtime_ns in found:
        assert (size, mtime_ns) == (os.stat(name).st_size, os.stat(name).st_mtime_ns)


def test_overlapping_patterns_list_a_file_once(folder: Path) -> None:
    found = matching_files(["*.txt", "a.*", "a.txt"], folder)
    assert [os.path.basename(name) for name, _, _ in found] == [
        "[x].txt",
        "a.txt",
        "with space.txt",
    ]


# --- comparing a folder with the state, range by range ----------------------------------


class StoredRecall(Memory):
    """What a dump source recalls, read from a real state; it notes the stored files each
    comparison read."""

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.memory = store.memory
        self.read: list[str] = []

    def file_dates(
        self, source: str, start: str | None = None, end: str | None = None
    ) -> dict[str, tuple[int, int]]:
        found = self.memory.file_dates(source, start, end)
        self.read += sorted(found)
        return found

    def folder_ranges(self, source: str) -> FolderRanges | None:
        return self.memory.folder_ranges(source)

    def file_stamp(self, source: str, path: str) -> FileStamp | None:
        return self.memory.file_stamp(source, path)


@pytest.fixture
def dumps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Config, Store]]:
    monkeypatch.setattr(files, "RANGE_FILES", 4)
    (tmp_path / "dumps").mkdir()
    store = Store.open(tmp_path / "state.sqlite", timezone="Europe/Moscow")
    try:
        yield load_config(write(tmp_path, MINIMAL)), store
    finally:
        store.close()


def put(config: Config, *names: str, text: str = "text") -> None:
    for name in names:
        (config.folder / "dumps" / name).write_text(f"{name}: {text}", encoding="utf-8")


def read(config: Config, store: Store) -> tuple[list[str], list[str], list[str]]:
    """Read the folder as a refresh does and store what it found; the keys read, the
    keys found gone and the stored files compared."""
    recall = StoredRecall(store)
    run = files.read_dumps(config.sources[0], config, recall)  # type: ignore[arg-type]
    with store.transaction():
        for key, stamp in run.stamps.items():
            store.memory.remember_file("dumps", key, stamp)
        store.memory.forget_files("dumps", run.gone)
        store.memory.save_folder_ranges("dumps", run.folder_ranges)
    return [d.key for d in run.documents], run.gone, recall.read


NUMBERED = [f"{n:02d}.txt" for n in range(20)]


def test_a_new_file_is_compared_with_its_range_of_the_state_alone(
    dumps: tuple[Config, Store],
) -> None:
    config, store = dumps
    put(config, *NUMBERED)
    keys, gone, compared = read(config, store)
    assert (len(keys), gone, compared) == (20, [], [])  # a first run: nothing stored yet
    ranges = store.memory.folder_ranges("dumps")
    assert ranges is not None
    # Five ranges of four files: 00-03, 04-07, ...
    assert ranges.bounds == ("dumps/04.txt", "dumps/08.txt", "dumps/12.txt", "dumps/16.txt")
    assert read(config, store) == ([], [], [])
    put(config, "09b.txt")
    assert read(config, store) == (
        ["dumps/09b.txt"],
        [],
        ["dumps/08.txt", "dumps/09.txt", "dumps/10.txt", "dumps/11.txt"],
    )
    assert read(config, store) == ([], [], [])


def test_a_file_edited_in_place_or_removed_is_found_in_its_range(
    dumps: tuple[Config, Store],
) -> None:
    config, store = dumps
    put(config, *NUMBERED)
    read(config, store)
    put(config, "13.txt", text="edited, a little longer")
    (config.folder / "dumps" / "02.txt").unlink()
    keys, gone, compared = read(config, store)
    assert (keys, gone) == (["dumps/13.txt"], ["dumps/02.txt"])
    assert compared == [f"dumps/{n:02d}.txt" for n in (0, 1, 2, 3, 12, 13, 14, 15)]
    assert store.memory.file_stamp("dumps", "dumps/02.txt") is None


def test_a_range_grown_past_twice_its_size_is_cut_again(dumps: tuple[Config, Store]) -> None:
    config, store = dumps
    put(config, *NUMBERED[:8])
    read(config, store)
    put(config, *[f"05-{n}.txt" for n in range(5)])
    keys, _, _ = read(config, store)
    assert len(keys) == 5
    ranges = store.memory.folder_ranges("dumps")
    # The second range held nine files: cut again into fours ("-" sorts before ".").
    assert ranges is not None and ranges.bounds == (
        "dumps/04.txt",
        "dumps/05-3.txt",
        "dumps/07.txt",
    )
    assert read(config, store) == ([], [], [])


def test_the_ranges_of_files_that_were_not_stored_are_compared_again() -> None:
    ranges = FolderRanges(("b", "d"), ("x", "y", "z"))
    assert ranges.without([]) is ranges
    assert ranges.without(["a", "d", "dd"]) == FolderRanges(("b", "d"), (None, "y", None))


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.sampled_from(NUMBERED), max_size=20, unique=True),
    st.lists(st.tuples(st.sampled_from(["add", "edit", "remove"]), st.sampled_from(NUMBERED))),
)
def test_ranges_find_what_comparing_every_file_finds(
    tmp_path_factory: pytest.TempPathFactory, first: list[str], changes: list[tuple[str, str]]
) -> None:
    tmp_path = tmp_path_factory.mktemp("ranges")
    (tmp_path / "dumps").mkdir()
    config = load_config(write(tmp_path, MINIMAL))
    store = Store.open(tmp_path / "state.sqlite", timezone="Europe/Moscow")
    original = files.RANGE_FILES
    files.RANGE_FILES = 3
    try:
        put(config, "anchor.txt", *first)
        read(config, store)
        expected: set[str] = set()
        for change, name in changes:
            path = config.folder / "dumps" / name
            if change == "remove":
                path.unlink(missing_ok=True)
            else:
                put(config, name, text=f"{change} {len(changes)}")
        before = {k for k in store.memory.file_dates("dumps")}
        after = {f"dumps/{p.name}" for p in (config.folder / "dumps").iterdir()}
        changed = {f"dumps/{name}" for change, name in changes if change != "remove"}
        expected = (after - before) | (changed & after)
        keys, gone, _ = read(config, store)
        assert set(keys) == expected
        assert set(gone) == before - after
        assert read(config, store) == ([], [], [])
    finally:
        files.RANGE_FILES = original
        store.close()
