"""Parsing a batch over worker processes gives exactly what one process gives."""

from __future__ import annotations

from pathlib import Path

from feeds import pool
from feeds.model import DocumentKind, ParsedDocument, Retrieved
from feeds.parsing import batch
from feeds.parsing.batch import DumpEvidence, Failure, parse_documents, prepare_dumps
from feeds.profile import default_profile

SAMPLES = sorted((Path(__file__).resolve().parent.parent / "samples" / "dumps").glob("*.txt"))


def documents(copies: int) -> list[Retrieved]:
    found = []
    for n in range(copies):
        for sample in SAMPLES:
            key = f"dumps/{n:03d}-{sample.name}"
            found.append(Retrieved(DocumentKind.DUMP, key, sample.read_bytes(), key=key))
    # One file that is not text at all: its failure stays in its place.
    found.insert(7, Retrieved(DocumentKind.DUMP, "dumps/x.bin", bytes(range(256)) * 8, key="x"))
    return found


def test_a_large_batch_uses_workers_and_matches_one_process() -> None:
    profile = default_profile()
    docs = documents(16)
    assert len(docs) >= batch.PARALLEL_FROM and pool._workers(len(docs), batch.CHUNK, 0) >= 2

    prepared = list(prepare_dumps(docs, profile))
    alone = [batch._prepare(d, profile, None) for d in docs]
    assert prepared == alone
    assert isinstance(prepared[7], Failure) and prepared[7].where == "dumps/x.bin"
    known = frozenset().union(*(p.candidates for p in prepared if isinstance(p, DumpEvidence)))

    # The work the caller adds runs where each document is parsed, its result beside it.
    def titles_of(parsed: ParsedDocument) -> tuple[str, ...]:
        return tuple(r.title for r in parsed.releases)

    results = list(parse_documents(docs, profile, known=known, language=None, then=titles_of))
    context = batch._ParseContext(known, None, titles_of)
    assert results == [batch._parse(d, profile, context) for d in docs]
    parsed = [r for r in results if not isinstance(r, Failure)]
    assert all(then == titles_of(p) for p, then in parsed)
    titles = {p.article.title for p, _ in parsed if p.article}
    assert len(titles) == 5
