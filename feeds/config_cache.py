"""Validated configs kept between runs, so that an unchanged ``sources.yaml`` costs no
validation: no YAML reader and no pydantic, which take most of the start-up of a run.

One file per config path in the user's cache folder (``$XDG_CACHE_HOME/feeds`` or
``~/.cache/feeds``), holding the validated :class:`~feeds.config.Config` under a key of
the config's bytes, its path and the code that defines the config's classes.  Anything
unexpected (no cache folder, a file of someone else, a damaged entry) is a miss: the
config is then validated as if there were no cache.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
import sys
from pathlib import Path
from typing import Any

from feeds import __version__

#: The modules whose classes a cached config is made of: a change to any of them makes
#: every entry stale.
_DEFINING = ("config.py", "fields.py", "model.py")


def folder() -> Path | None:
    """Where entries go, or None when the user has no cache folder."""
    base = os.environ.get("XDG_CACHE_HOME")
    if base and os.path.isabs(base):
        return Path(base) / "feeds"
    home = os.environ.get("HOME")
    return Path(home) / ".cache" / "feeds" if home else None


def load(config: Path, raw: bytes) -> Any | None:
    """The config stored for these bytes at this path, or None."""
    entry = entry_path(config)
    if entry is None:
        return None
    try:
        with open(entry, "rb") as handle:
            # Only a file of this user that no one else may write is unpickled.
            info = os.fstat(handle.fileno())
            if info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
                return None
            key, value = pickle.load(handle)
    except Exception:  # missing, unreadable or damaged: a miss
        return None
    return value if key == _key(config, raw) else None


def store(config: Path, raw: bytes, value: object) -> None:
    """Keep ``value`` for these bytes at this path; silently nothing if it cannot be."""
    entry = entry_path(config)
    if entry is None:
        return
    temporary = entry.with_name(f"{entry.name}.{os.getpid()}.tmp")
    try:
        entry.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            pickle.dump((_key(config, raw), value), handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, entry)
    except OSError:
        temporary.unlink(missing_ok=True)


def entry_path(config: Path) -> Path | None:
    """Where the entry of the config at ``config`` (resolved) goes, if anywhere."""
    where = folder()
    if where is None:
        return None
    name = hashlib.sha256(os.fsencode(config)).hexdigest()[:24]
    return where / f"config-{name}.pickle"


def _key(config: Path, raw: bytes) -> str:
    digest = hashlib.sha256(raw)
    digest.update(os.fsencode(config))
    digest.update(f"{__version__} {sys.version}".encode())
    package = Path(__file__).parent
    for name in _DEFINING:
        try:
            info = (package / name).stat()
        except OSError:
            continue
        digest.update(f"{name} {info.st_size} {info.st_mtime_ns}".encode())
    return digest.hexdigest()
