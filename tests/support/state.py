"""Reading what a run stored, for assertions."""

from __future__ import annotations

from pathlib import Path

from feeds.config import Config, load_config
from feeds.model import Entry
from feeds.refresh import open_state


def _config(config: Path | Config) -> Config:
    return config if isinstance(config, Config) else load_config(config)


def stored_entries(config: Path | Config, *, include_hidden: bool = False) -> list[Entry]:
    """Every stored entry, newest first."""
    with open_state(_config(config)) as store:
        return store.releases.entries(include_hidden=include_hidden)


def stored_entry(config: Path | Config, entry_id: str) -> Entry | None:
    """One entry with its sightings."""
    with open_state(_config(config)) as store:
        return store.releases.entry(entry_id)
