"""``type: dump`` sources: text dumps of article pages on disk.

Incremental: a file whose size and mtime are unchanged is not read; one whose bytes are
unchanged (same SHA-256) is not handed on.
"""

from __future__ import annotations

import bisect
import fnmatch
import glob
import hashlib
import os
import re
import stat as stat_mode
from collections.abc import Sequence
from pathlib import Path

from feeds.config import Config, DumpSourceConfig, display_path
from feeds.errors import InputError
from feeds.model import DocumentKind, FileStamp, FolderRanges, Retrieved
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


def folder_digest(files: Sequence[tuple[str, str, int, int]]) -> str:
    """One digest of listed files' keys, sizes and mtimes (``(key, path, size, mtime_ns)``
    each)."""
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
    run = Retrieval(items=len(files))
    compared, known, run.folder_ranges = _changed(keyed, source.name, recall)
    present: set[str] = set()
    for key, name, size, mtime_ns in compared:
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


#: Files per range of a listing (:class:`~feeds.model.FolderRanges`): a run that finds one
#: new dump among a hundred thousand compares a few hundred files with the state.
RANGE_FILES = 512

#: A listed file: its key, path, size and mtime (ns).
Listed = tuple[str, str, int, int]


def _changed(
    keyed: list[Listed], source: str, recall: Recall
) -> tuple[list[Listed], dict[str, tuple[int, int]], FolderRanges]:
    """The listed files to compare with the state (in the order they were listed), the
    stored size and mtime of every stored file among them or in their ranges, and the
    ranges of the whole listing as it is now."""
    listing = sorted(keyed)  # by key, the order of the state's index of files
    stored = recall.folder_ranges(source)
    if stored is None:
        return keyed, recall.file_dates(source), _cut(listing)
    spans = _spans(listing, stored.bounds)
    now = FolderRanges(stored.bounds, tuple(folder_digest(listing[a:b]) for a, b in spans))
    changed = [i for i, digest in enumerate(now.digests) if digest != stored.digests[i]]
    known: dict[str, tuple[int, int]] = {}
    compared: list[Listed] = []
    for i in changed:
        start = stored.bounds[i - 1] if i else None
        end = stored.bounds[i] if i < len(stored.bounds) else None
        known.update(recall.file_dates(source, start, end))
        compared += listing[slice(*spans[i])]
    compared.sort(key=lambda listed: listed[1])
    balanced = all(b - a <= 2 * RANGE_FILES for a, b in spans)
    return compared, known, now if balanced else _cut(listing)


def _spans(listing: list[Listed], bounds: Sequence[str]) -> list[tuple[int, int]]:
    """Where each range starts and ends in ``listing`` (sorted by key)."""
    cuts = [bisect.bisect_left(listing, (bound,)) for bound in bounds]
    return list(zip([0, *cuts], [*cuts, len(listing)], strict=True))


def _cut(listing: list[Listed]) -> FolderRanges:
    """``listing`` (sorted by key) cut into ranges of :data:`RANGE_FILES` files."""
    starts = range(RANGE_FILES, len(listing), RANGE_FILES)
    bounds = tuple(listing[i][0] for i in starts)
    spans = _spans(listing, bounds)
    return FolderRanges(bounds, tuple(folder_digest(listing[a:b]) for a, b in spans))
