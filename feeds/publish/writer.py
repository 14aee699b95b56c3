"""Writing output files: only when their bytes change, atomically, and only our own.

A file is written to a temporary name in its own folder and renamed over the old one,
so a reader (or a mirror, or ``feeds serve``) sees either the whole old file or the
whole new one, and an unchanged file keeps its mtime.  Every file written is recorded
in the state's output registry with its digest: the registry says what is unchanged
without reading the file, and it is the only list of files feeds may ever remove.

Files and their folders are flushed to disk once, at the end (:meth:`OutputWriter.sync`),
before the state records the run: a crash before that leaves the state saying the
changes are not published yet, and the next run writes them again.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
from pathlib import Path

from feeds.errors import OutputError
from feeds.store.interface import OutputRegistry

#: Above this many files a run flushes the whole file system once instead of each file.
MANY_FILES = 500
#: The temporary files of :func:`_replace` (eight characters: earlier versions drew
#: them at random).
_TEMPORARY = re.compile(r"\..+\.feeds-[a-z0-9_]{8}\.tmp")


class OutputWriter:
    """Writes and removes files under one output folder, recording them in ``registry``."""

    def __init__(self, root: Path, registry: OutputRegistry, *, verify: bool = False) -> None:
        self.root = root
        self.registry = registry
        #: Compare bytes on disk even when the registry vouches for them (a repair run).
        self.verify = verify
        self.written: list[str] = []
        self.removed: list[str] = []
        self._unsynced: list[Path] = []
        self._visited: set[Path] = set()

    def write(self, path: str, data: bytes) -> bool:
        """Write ``data`` to ``path`` (relative, '/'-separated) unless it holds them already.

        Raise :class:`OutputError` naming the file and what to do when it cannot be
        written (read-only file system, no permission, full disk); it keeps its old bytes."""
        target = self.root / path
        self._visit(target.parent)
        digest = hashlib.sha256(data).hexdigest()
        recorded = self.registry.digest(path)
        try:
            if _holds(target, data, trust=recorded == digest and not self.verify):
                if recorded != digest:
                    self.registry.record(path, len(data), digest)
                return False
            _replace(target, data)
        except OSError as exc:
            raise output_error(exc, target) from None
        self.registry.record(path, len(data), digest)
        self._unsynced.append(target)
        self.written.append(path)
        return True

    def remove(self, path: str) -> bool:
        """Remove a file this publisher wrote; any other file is left alone."""
        if self.registry.digest(path) is None:
            return False
        target = self.root / path
        try:
            target.unlink(missing_ok=True)
        except OSError as exc:
            raise output_error(exc, target) from None
        self.registry.forget(path)
        self._unsynced.append(target)
        self.removed.append(path)
        return True

    def _visit(self, folder: Path) -> None:
        """The first time a run writes into a folder, temporary files a killed run left
        there go (they were never published)."""
        if folder in self._visited:
            return
        self._visited.add(folder)
        try:
            names = os.listdir(folder)
        except OSError:
            return
        for name in names:
            if _TEMPORARY.fullmatch(name):
                (folder / name).unlink(missing_ok=True)

    def known(self) -> set[str]:
        """Every file the registry says this publisher wrote."""
        return set(self.registry.written())

    def sync(self) -> None:
        """Flush every file written, then every folder touched, to disk."""
        if len(self._unsynced) > MANY_FILES and hasattr(os, "sync"):
            # A rebuild writes thousands of files: one system-wide flush costs less than a
            # flush per file and per folder, and makes the same promise.
            os.sync()
            self._unsynced.clear()
            return
        folders: dict[Path, None] = {}
        for target in self._unsynced:
            folders[target.parent] = None
            if target.exists():
                _fsync(target, directory=False)
        for folder in folders:
            _fsync(folder, directory=True)
        self._unsynced.clear()


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


def _holds(target: Path, data: bytes, *, trust: bool) -> bool:
    """Does the file hold exactly ``data``?  With ``trust`` (the registry recorded these
    bytes there) the size alone decides, so an unchanged file is not read."""
    try:
        size = target.stat().st_size
    except FileNotFoundError:
        return False
    if size != len(data):
        return False
    return trust or target.read_bytes() == data


def _replace(target: Path, data: bytes) -> None:
    """Write ``data`` beside ``target`` under a temporary name, then rename it over."""
    target.parent.mkdir(parents=True, exist_ok=True)
    # One writer at a time holds the lock, and ``_visit`` has cleared the folder of
    # leftovers: a name made of the process id is free.  (``tempfile.mkstemp`` would
    # draw a random one and look up the working folder, on every one of thousands.)
    temporary = target.with_name(f".{target.name}.feeds-{os.getpid() % 10**8:08d}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(temporary, flags, 0o644)
    except FileExistsError:
        temporary.unlink()
        fd = os.open(temporary, flags, 0o644)
    try:
        try:
            os.fchmod(fd, 0o644)  # whatever the umask: the files are for serving
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _fsync(path: Path, *, directory: bool) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a folder; the rename is still atomic
    finally:
        os.close(fd)
