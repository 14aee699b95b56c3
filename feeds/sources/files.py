"""``type: dump`` sources: text dumps of article pages on disk.

Incremental: a file whose size and mtime are unchanged is not read; one whose bytes are
unchanged (same SHA-256) is not handed on.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from feeds.config import Config, DumpSourceConfig, display_path
from feeds.errors import InputError
from feeds.model import DocumentKind, FileStamp, Retrieved
from feeds.sources.base import Recall, Retrieval


def matching_files(patterns: list[str], folder: Path) -> list[Path]:
    found: set[Path] = set()
    for pattern in patterns:
        base = Path(pattern)
        if base.is_absolute():
            found.update(Path(base.anchor).glob(str(base.relative_to(base.anchor))))
        else:
            found.update(folder.glob(pattern))
    return sorted(p for p in found if p.is_file())


def read_dumps(source: DumpSourceConfig, config: Config, recall: Recall) -> Retrieval:
    folder = config.folder
    files = matching_files(source.paths, folder)
    run = Retrieval(items=len(files))
    if not files:
        run.warnings.append(
            f"{source.name}: no file matches {', '.join(source.paths)} (in {folder})"
        )
    known = recall.file_stamps(source.name)
    for file in files:
        key = file_key(file, folder)
        shown = display_path(file)
        run.present.append(key)
        try:
            stat = file.stat()
            previous = known.get(key)
            if (
                previous is not None
                and previous.size == stat.st_size
                and previous.mtime_ns == stat.st_mtime_ns
            ):
                continue
            data = file.read_bytes()
        except OSError as exc:
            run.problems.append(InputError(shown, f"cannot read file: {exc.strerror}"))
            continue
        stamp = FileStamp(stat.st_size, stat.st_mtime_ns, hashlib.sha256(data).hexdigest())
        run.stamps[key] = stamp
        if previous is not None and previous.sha256 == stamp.sha256:
            continue  # touched, not changed
        run.documents.append(
            Retrieved(
                kind=DocumentKind.DUMP,
                locator=shown,
                body=data,
                key=key,
                encoding=source.encoding,
            )
        )
    return run


def file_key(file: Path, folder: Path) -> str:
    """Files are remembered by their path relative to the config folder (the glob found
    them under it, so no file system call is needed), or by their absolute path."""
    try:
        return file.relative_to(folder).as_posix()
    except ValueError:
        return file.as_posix()
