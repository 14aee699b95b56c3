"""Dump folders: which files a source's patterns name, listed as glob would list them."""

from __future__ import annotations

import glob
import os
from pathlib import Path

import pytest

from feeds.sources.files import matching_files

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
