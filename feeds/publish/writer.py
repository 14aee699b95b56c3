"""Writing output files: only when their bytes change, and atomically.

A file is written to a temporary name in its own folder, flushed to disk, then renamed
over the old one, so a reader (or a mirror, or ``feeds serve``) sees either the whole
old file or the whole new one, and an unchanged file keeps its mtime.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from feeds.errors import OutputError


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` unless it already holds exactly those bytes.

    Raise :class:`OutputError` naming the file and what to do when it cannot be written
    (read-only file system, no permission, full disk); the file keeps its old bytes."""
    try:
        return _write_if_changed(path, data)
    except OSError as exc:
        raise output_error(exc, path) from None


def output_error(exc: OSError, path: Path) -> OutputError:
    """One line for a failed write under the output folder, saying what to do."""
    if exc.errno == errno.EROFS:
        reason = "cannot write: the file system is read-only; make the output folder writable"
    elif exc.errno in (errno.EACCES, errno.EPERM):
        reason = "cannot write: permission denied; let this user write to the output folder"
    elif exc.errno in (errno.ENOSPC, errno.EDQUOT):
        reason = "cannot write: no space left on the device; free some space"
    else:
        reason = f"cannot write: {exc.strerror or exc}"
    return OutputError(
        str(path), f"{reason}, then run again (files already published are unchanged)"
    )


def _write_if_changed(path: Path, data: bytes) -> bool:
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)
    return True


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (a crash right after must not undo it)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def remove_stale_temporaries(root: Path) -> None:
    """Temporary files left by a process killed mid-write are never published."""
    if not root.exists():
        return
    for leftover in root.rglob(".*.tmp"):
        leftover.unlink(missing_ok=True)
