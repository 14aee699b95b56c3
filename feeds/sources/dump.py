"""``type: dump`` sources: text dumps of article pages on disk.

Incremental: a file whose size and mtime are unchanged is not read; one whose bytes
are unchanged (same SHA-256) is not parsed.  Teaser recognition uses every file of the
source: a paragraph that opens two or more dumps is a sidebar teaser, not a title.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from feeds.config import SourceConfig
from feeds.errors import InputError
from feeds.parsing.dump import parse_dump, teaser_candidates
from feeds.parsing.text import paragraph_key
from feeds.sources.base import SourceContext, SourceRun
from feeds.store import FileRecord
from feeds.text.decode import decode_bytes


@dataclass(frozen=True)
class _Pending:
    path: str
    display: str
    text: str
    record: FileRecord


def matching_files(source: SourceConfig, folder: Path) -> list[Path]:
    found: set[Path] = set()
    for pattern in source.paths:
        base = Path(pattern)
        if base.is_absolute():
            found.update(Path(base.anchor).glob(str(base.relative_to(base.anchor))))
        else:
            found.update(folder.glob(pattern))
    return sorted(p for p in found if p.is_file())


class DumpSource:
    def run(self, source: SourceConfig, context: SourceContext) -> SourceRun:
        store = context.store
        folder = context.config.folder
        files = matching_files(source, folder)
        run = SourceRun(items=len(files))
        if not files:
            run.warnings.append(
                f"{source.name}: no file matches {', '.join(source.paths)} (in {folder})"
            )
        pending: list[_Pending] = []
        keep: list[str] = []
        for file in files:
            key = _key(file, folder)
            display = _display(file)
            keep.append(key)
            try:
                stat = file.stat()
                previous = store.file_record(source.name, key)
                if (
                    previous is not None
                    and previous.size == stat.st_size
                    and previous.mtime_ns == stat.st_mtime_ns
                ):
                    continue
                data = file.read_bytes()
                digest = hashlib.sha256(data).hexdigest()
                if previous is not None and previous.sha256 == digest:
                    store.record_file(
                        source.name,
                        key,
                        FileRecord(stat.st_size, stat.st_mtime_ns, digest, previous.candidates),
                    )
                    continue
                override = None if source.encoding == "auto" else source.encoding
                decoded = decode_bytes(data, locator=display, override=override)
                text = decoded.text
                run.warnings.extend(decoded.warnings)
            except InputError as exc:
                run.problems.append(exc)
                continue
            except OSError as exc:
                run.problems.append(InputError(display, f"cannot read file: {exc.strerror}"))
                continue
            candidates = tuple(
                sorted({paragraph_key(p) for p in teaser_candidates(text, context.profile.dump)})
            )
            pending.append(
                _Pending(
                    key,
                    display,
                    text,
                    FileRecord(stat.st_size, stat.st_mtime_ns, digest, candidates),
                )
            )
        if not pending:
            store.forget_files(source.name, keep)
            return run

        counts: Counter[str] = store.candidate_counts(source.name, skip=[p.path for p in pending])
        for item in pending:
            counts.update(set(item.record.candidates))
        known = frozenset(k for k, n in counts.items() if n >= 2) | store.known_lead_keys()

        for item in pending:
            context.progress(f"{source.name}: {item.display}")
            try:
                document = parse_dump(
                    item.text,
                    locator=item.display,
                    rules=context.profile.dump,
                    known_paragraphs=known,
                )
            except InputError as exc:
                run.problems.append(exc)
                continue
            except Exception as exc:  # a parser bug costs one file, not the source
                run.problems.append(
                    InputError(item.display, f"cannot be parsed ({type(exc).__name__}: {exc})")
                )
                continue
            run.parsed += 1
            article = document.article
            if article is not None:
                run.with_date += article.date is not None
                run.with_body += bool(article.paragraphs)
            run.documents.append(document)
            run.warnings.extend(f"{item.display}: {w}" for w in document.warnings)
            store.record_file(source.name, item.path, item.record)
        store.forget_files(source.name, keep)
        return run


def _key(file: Path, folder: Path) -> str:
    """Files are remembered by their path relative to the config folder."""
    try:
        return file.resolve().relative_to(folder.resolve()).as_posix()
    except ValueError:
        return str(file.resolve())


def _display(file: Path) -> str:
    try:
        return str(file.relative_to(Path.cwd()))
    except ValueError:
        return str(file)
