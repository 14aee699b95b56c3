"""Parsing many documents: the same pure functions, spread over the machine's cores.

A cold run hands thousands of dumps to the parser at once.  Parsing is pure CPU work
and each document stands alone, so large batches go to worker processes
(:mod:`feeds.pool`: forked, so they share the loaded profile instead of receiving a
copy of it).  Results come back in the order of the documents, and an error costs only
its own document, as in one process.  The caller may name more pure work to do on each
parsed document where it was parsed (``then``): the process that stores the results is
the one a cold run waits for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from feeds.errors import SourceError, bug_reason
from feeds.model import ParsedDocument, Retrieved
from feeds.parsing import candidate_keys, decode_dump, parse_document
from feeds.pool import spread
from feeds.profile import Profile
from feeds.text.keys import normalise_lines, paragraph_key

#: Fewer documents than this parse in this process: starting workers costs more.
PARALLEL_FROM = 64
#: Documents per task sent to a worker.
CHUNK = 32

_Item = TypeVar("_Item")
_Result = TypeVar("_Result")
_Then = TypeVar("_Then")


@dataclass(frozen=True)
class Failure:
    """A document that could not be read or parsed (an exception that crosses processes
    as plain values)."""

    where: str
    reason: str

    def error(self) -> SourceError:
        return SourceError(self.where, self.reason)


@dataclass(frozen=True)
class DumpEvidence:
    """What the teaser evidence needs from a dump (its text is not kept: a large batch is
    decoded again where it is parsed, rather than held in memory)."""

    warnings: tuple[str, ...]
    #: Keys of the paragraphs near its top that may be sidebar teasers.
    candidates: frozenset[str]
    #: Keys of all its lines.
    lines: frozenset[str]


def prepare_dumps(
    documents: Sequence[Retrieved], profile: Profile
) -> Iterator[DumpEvidence | Failure]:
    """Decode each dump and collect its teaser evidence, in the order of the documents."""
    return _map(_prepare, documents, profile, None)


def parse_documents(
    documents: Sequence[Retrieved],
    profile: Profile,
    *,
    known: frozenset[str],
    language: str | None,
    then: Callable[[ParsedDocument], _Then],
) -> Iterator[tuple[ParsedDocument, _Then] | Failure]:
    """Parse each document (dumps with the ``known`` teasers) and do ``then`` on it,
    yielding results in the order of the documents as soon as they are ready: the caller
    can store the first while the workers parse the rest."""
    context = _ParseContext(known, language, then)
    return _map(_parse, documents, profile, context)


@dataclass(frozen=True)
class _ParseContext:
    known: frozenset[str]
    language: str | None
    then: Callable[[ParsedDocument], Any]


def _prepare(document: Retrieved, profile: Profile, _: object) -> DumpEvidence | Failure:
    try:
        decoded = decode_dump(document)
    except SourceError as exc:
        return Failure(exc.where, exc.reason)
    text = decoded.text
    return DumpEvidence(
        warnings=tuple(decoded.warnings),
        candidates=frozenset(candidate_keys(text, profile)),
        lines=frozenset(paragraph_key(line) for line in normalise_lines(text) if line),
    )


def _parse(
    document: Retrieved, profile: Profile, context: _ParseContext | None
) -> tuple[ParsedDocument, Any] | Failure:
    assert context is not None
    try:
        parsed = parse_document(
            document,
            profile,
            known=context.known,
            language=context.language,
        )
        return parsed, context.then(parsed)
    except SourceError as exc:
        return Failure(exc.where, exc.reason)
    except Exception as exc:  # a parser bug costs one file or page, not the source
        return Failure(document.locator, bug_reason("cannot be parsed", exc))


def _map(
    work: Callable[[Retrieved, Profile, _Item], _Result],
    documents: Sequence[Retrieved],
    profile: Profile,
    context: _Item,
) -> Iterator[_Result]:
    # The documents stay in this process's memory, which the workers inherit: only
    # their positions travel to a worker.
    job = (work, documents, profile, context)
    return spread(
        _work_at,
        job,
        range(len(documents)),
        len(documents),
        chunk=CHUNK,
        parallel_from=PARALLEL_FROM,
    )


def _work_at(
    job: tuple[Callable[[Retrieved, Profile, Any], _Result], Sequence[Retrieved], Profile, Any],
    index: int,
) -> _Result:
    work, documents, profile, context = job
    return work(documents[index], profile, context)
