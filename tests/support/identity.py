"""Matching stored entries to the releases a fixture set expects."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from feeds.model import Entry


def one_entry_each(
    entries: Iterable[Entry], keys_of: Callable[[Entry], list[str]], expected: Iterable[str]
) -> dict[str, Entry]:
    """Expected release -> its one entry.  ``keys_of`` names the expected releases an
    entry can be; fails on a missing, extra or merged release."""
    by_key: dict[str, list[Entry]] = {key: [] for key in expected}
    strays: list[str] = []
    for entry in entries:
        keys = keys_of(entry)
        assert len(keys) <= 1, (entry.release.title, keys)
        if keys:
            by_key[keys[0]].append(entry)
        else:
            strays.append(f"{entry.release.kind.value}: {entry.release.title}")
    assert strays == []
    assert {key: len(found) for key, found in by_key.items() if len(found) != 1} == {}
    return {key: found[0] for key, found in by_key.items()}
