"""Validated configs, site profiles and page wordings kept between runs, so that
unchanged files cost no validation: no YAML reader and no pydantic, which take most of
the start-up of a run.

Entries live in the user's cache folder (``$XDG_CACHE_HOME/feeds`` or
``~/.cache/feeds``), one file per config path, set of profile overrides or language, each
under a key of the bytes it was validated from and of the code and packaged data that
define its classes (a :class:`Shelf`).  Anything unexpected (no cache folder, a file of
someone else, a damaged entry) is a miss: the input is then validated as if there were
no cache.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from feeds import __version__

_PACKAGE = Path(__file__).parent


@dataclass(frozen=True)
class Shelf:
    """One kind of entry: its file-name prefix, and the package files (or folders, for
    every file in them) that define what it holds: a change to any makes its entries
    stale."""

    prefix: str
    defining: tuple[str, ...]


CONFIGS = Shelf("config", ("config.py", "fields.py", "model.py"))
PROFILES = Shelf("profile", ("fields.py", "profile", "profile/csto"))
WORDINGS = Shelf("wording", ("publish/locales",))


def folder() -> Path | None:
    """Where entries go, or None when the user has no cache folder."""
    base = os.environ.get("XDG_CACHE_HOME")
    if base and os.path.isabs(base):
        return Path(base) / "feeds"
    home = os.environ.get("HOME")
    return Path(home) / ".cache" / "feeds" if home else None


def private_folder(name: str) -> Path | None:
    """A folder of the cache for files another library keeps (compiled templates), made
    if missing; None when there is no cache folder, or it is not this user's alone."""
    where = folder()
    if where is None:
        return None
    path = where / name
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not all(_private(os.stat(part)) for part in (where, path)):
            return None
    except OSError:
        return None
    return path


def load(shelf: Shelf, name: bytes, raw: bytes) -> Any | None:
    """The value stored under ``name`` for these bytes, or None."""
    entry = entry_path(shelf, name)
    if entry is None:
        return None
    try:
        with open(entry, "rb") as handle:
            # Only a file of this user that no one else may write is unpickled.
            if not _private(os.fstat(handle.fileno())):
                return None
            key, value = pickle.load(handle)
    except Exception:  # missing, unreadable or damaged: a miss
        return None
    return value if key == _key(shelf, name, raw) else None


def store(shelf: Shelf, name: bytes, raw: bytes, value: object) -> None:
    """Keep ``value`` under ``name`` for these bytes; silently nothing if it cannot be."""
    entry = entry_path(shelf, name)
    if entry is None:
        return
    temporary = entry.with_name(f"{entry.name}.{os.getpid()}.tmp")
    try:
        entry.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            pickle.dump((_key(shelf, name, raw), value), handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, entry)
    except OSError:
        temporary.unlink(missing_ok=True)


def entry_path(shelf: Shelf, name: bytes) -> Path | None:
    """Where the entry named ``name`` goes, if anywhere."""
    where = folder()
    if where is None:
        return None
    return where / f"{shelf.prefix}-{hashlib.sha256(name).hexdigest()[:24]}.pickle"


def _private(info: os.stat_result) -> bool:
    """Owned by this user, and no one else may write it."""
    return info.st_uid == os.getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _key(shelf: Shelf, name: bytes, raw: bytes) -> str:
    digest = hashlib.sha256(raw)
    digest.update(name)
    digest.update(f"{__version__} {sys.version}".encode())
    for relative in shelf.defining:
        path = _PACKAGE / relative
        try:
            files = sorted(e.path for e in os.scandir(path) if e.is_file())
        except NotADirectoryError:
            files = [str(path)]
        except OSError:
            continue
        for file in files:
            try:
                info = os.stat(file)
            except OSError:
                continue
            digest.update(f"{file} {info.st_size} {info.st_mtime_ns}".encode())
    return digest.hexdigest()
