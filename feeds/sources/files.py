"""``type: dump`` sources: text dumps of article pages on disk.

Incremental: a file whose size and mtime are unchanged is not read; one whose bytes are
unchanged (same SHA-256) is not handed on.
"""

from __future__ import annotations

import fnmatch
import glob
import hashlib
import os
import re
import stat as stat_mode
from pathlib import Path

from feeds.config import Config, DumpSourceConfig, display_path
from feeds.errors import InputError
from feeds.model import DocumentKind, FileStamp, Retrieved
from feeds.sources.base import Recall, Retrieval


def matching_files(patterns: list[str], folder: Path) -> list[tuple[str, int, int]]:
    """The regular files the patterns match (relative ones under ``folder``), sorted,
    each with its size and mtime (ns).  Strings and plain numbers, and one ``stat`` per
    file: a folder of a hundred thousand dumps is listed on every run."""
    found: set[str] = set()
    for pattern in patterns:
        path = os.path.join(folder, pattern)
        head, tail = os.path.split(path)
        if glob.has_magic(head) or not glob.has_magic(tail) or tail.startswith("."):
            found.update(glob.glob(path, recursive=True))
        else:
            # The usual "folder/*.txt": the folder read once, its names matched as glob
            # does (hidden files only by a pattern that starts with a dot).
            matches = re.compile(fnmatch.translate(tail)).match
            try:
                with os.scandir(head) as entries:
                    found.update(
                        entry.path
                        for entry in entries
                        if matches(entry.name) and not entry.name.startswith(".")
                    )
            except OSError:
                continue
    files = []
    for name in sorted(found):
        try:
            status = os.stat(name)
        except OSError:
            continue  # gone since it was listed
        if stat_mode.S_ISREG(status.st_mode):
            files.append((name, status.st_size, status.st_mtime_ns))
    return files


def folder_digest(files: list[tuple[str, str, int, int]]) -> str:
    """One digest of the matched files' keys, sizes and mtimes (``(key, path, size,
    mtime_ns)`` each)."""
    # NUL ends every field: no file name holds one, so no two listings read the same.
    listing = "".join(f"{key}\0{size}\0{mtime_ns}\0" for key, _, size, mtime_ns in files)
    return hashlib.sha256(listing.encode("utf-8", "surrogateescape")).hexdigest()


#: Bytes read at a time from a local file.
CHUNK = 1 << 16


def read_capped(path: Path, limit: int, *, setting: str = "http.max_bytes") -> bytes:
    """The bytes of a local file, read a chunk at a time and never more than ``limit``.

    A file over the limit (or one that never ends, like ``/dev/zero``) and anything that
    is not a regular file (a device, a pipe, a folder) is an :class:`InputError` naming
    the path, so one oversized file costs only itself."""
    shown = display_path(path)
    try:
        # Checked before opening: opening a pipe would wait for a writer.
        if not stat_mode.S_ISREG(path.stat().st_mode):
            raise InputError(shown, "not a regular file (a device, pipe or folder); not read")
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > limit:
                raise InputError(shown, _too_large(size, limit, setting))
            chunks: list[bytes] = []
            size = 0
            while chunk := handle.read(min(CHUNK, limit + 1 - size)):
                chunks.append(chunk)
                size += len(chunk)
                if size > limit:
                    raise InputError(shown, _too_large(None, limit, setting))
    except OSError as exc:
        raise InputError(shown, f"cannot read file: {exc.strerror or exc}") from None
    return b"".join(chunks)


def _too_large(size: int | None, limit: int, setting: str) -> str:
    found = f"{size:,} bytes, " if size is not None else ""
    return (
        f"file too large ({found}more than the size limit of {limit:,} bytes); not read "
        f"(raise {setting} if it is genuine)"
    )


def read_dumps(source: DumpSourceConfig, config: Config, recall: Recall) -> Retrieval:
    folder = config.folder
    files = matching_files(source.paths, folder)
    if not files:
        # Most likely a typo in paths: said loudly, never published as empty feeds.
        raise InputError(
            source.name,
            f"no file matches {', '.join(source.paths)} (in {display_path(folder)}): "
            "check the source's paths",
        )
    # A file is known by its path relative to the config folder when it lies below it.
    prefix = f"{folder}{os.sep}"
    keyed = [(name.removeprefix(prefix), name, size, mtime) for name, size, mtime in files]
    digest = folder_digest(keyed)
    run = Retrieval(items=len(files), folder_digest=digest)
    if digest == recall.folder_digest(source.name):
        return run
    known = recall.file_dates(source.name)
    present: set[str] = set()
    for key, name, size, mtime_ns in keyed:
        present.add(key)
        if known.get(key) == (size, mtime_ns):
            continue
        try:
            file = Path(name)
            data = read_capped(file, config.http.max_bytes)
        except OSError as exc:
            run.problems.append(
                InputError(display_path(Path(name)), f"cannot read file: {exc.strerror}")
            )
            continue
        except InputError as exc:
            run.problems.append(exc)
            continue
        stamp = FileStamp(size, mtime_ns, hashlib.sha256(data).hexdigest())
        run.stamps[key] = stamp
        previous = recall.file_stamp(source.name, key) if key in known else None
        if previous is not None and previous.sha256 == stamp.sha256:
            continue  # touched, not changed
        run.documents.append(
            Retrieved(
                kind=DocumentKind.DUMP,
                locator=display_path(file),
                body=data,
                key=key,
                encoding=source.encoding,
            )
        )
    run.gone = sorted(known.keys() - present)
    return run
