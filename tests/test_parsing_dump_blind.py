"""A second set of golden dumps, written without looking at the parser's own fixtures.

Every ``tests/data/dumps_blind/<case>.txt`` has a ``<case>.expected.yaml`` beside it. Each
case is parsed twice: alone (a single new dump, nothing known) and together with the
other dumps of the folder, counted the way a dump source counts them (a teaser candidate
seen in two or more files is a known teaser).  The dumps under ``ambiguous/`` are read
correctly only with that count; see the README there.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from feeds.errors import ParseError
from feeds.model import ParsedDocument, ReleaseKind
from feeds.parsing.dump import LOW_CONFIDENCE, parse_dump, teaser_candidates
from feeds.profile import default_profile
from feeds.text.decode import decode_bytes
from feeds.text.keys import paragraph_key
from tests.support.dates import own_date, stated_date

DATA = Path(__file__).parent / "data" / "dumps_blind"
AMBIGUOUS = DATA / "ambiguous"
RULES = default_profile().dump
SUFFIX = ".expected.yaml"


def _expectations(folder: Path = DATA) -> list[Path]:
    return sorted(folder.glob(f"*{SUFFIX}"))


def _dump_of(expected_file: Path) -> Path:
    return expected_file.with_name(expected_file.name[: -len(SUFFIX)] + ".txt")


def _text(path: Path) -> str:
    return decode_bytes(path.read_bytes(), locator=str(path)).text


@functools.cache
def _crawl_known(*extra: Path) -> frozenset[str]:
    """Keys of teaser candidates that occur in two or more dumps of the folder (and of
    ``extra`` dumps counted with them)."""
    counts: Counter[str] = Counter()
    for path in [*sorted(DATA.glob("*.txt")), *extra]:
        counts.update({paragraph_key(p) for p in teaser_candidates(_text(path), RULES)})
    return frozenset(key for key, n in counts.items() if n >= 2)


def _parse(path: Path, known: frozenset[str]) -> ParsedDocument:
    return parse_dump(_text(path), locator=str(path), rules=RULES, known_paragraphs=known)


def _date(value: object) -> dt.date | None:
    assert value is None or isinstance(value, dt.date)
    return value


def test_every_dump_has_an_expectation() -> None:
    dumps = {p.name for p in DATA.glob("*.txt")}
    assert dumps == {_dump_of(p).name for p in _expectations()}
    assert len(dumps) == 46
    ambiguous = {p.name for p in AMBIGUOUS.glob("*.txt")}
    assert ambiguous == {_dump_of(p).name for p in _expectations(AMBIGUOUS)}
    assert len(ambiguous) == 2


def test_crawl_counting_finds_the_shared_teaser_sets() -> None:
    known = _crawl_known()
    # Teaser sets recur across the dumps of one crawl, so their whole lines become known
    # (a part of a line is not).
    assert paragraph_key("The CSTO Secretary General I.N. Tasmagambetov met with the") not in known
    assert (
        paragraph_key(
            "The CSTO Secretary General I.N. Tasmagambetov met with the Ambassador Extraordinary "
            "and Plenipotentiary of the Republic of Serbia to the Russian Federation"
        )
        in known
    )
    assert (
        paragraph_key(
            "He noted that the stability of the region depends on coordinated action by the "
            "member states and on the timely exchange of information between their competent "
            "authorities."
        )
        in known
    )


@pytest.mark.parametrize("crawl", [False, True], ids=["alone", "crawl"])
@pytest.mark.parametrize("expected_file", _expectations(), ids=lambda p: p.name[: -len(SUFFIX)])
def test_blind_dump(expected_file: Path, crawl: bool) -> None:
    expected: dict[str, Any] = yaml.safe_load(expected_file.read_text(encoding="utf-8"))
    dump = _dump_of(expected_file)
    known = _crawl_known() if crawl else frozenset()
    if "error" in expected:
        with pytest.raises(ParseError) as caught:
            _parse(dump, known)
        assert str(caught.value).startswith(f"{dump}: {expected['error']}")
        return

    _check(_parse(dump, known), expected)


@pytest.mark.parametrize(
    "expected_file", _expectations(AMBIGUOUS), ids=lambda p: p.name[: -len(SUFFIX)]
)
def test_ambiguous_dump_needs_the_crawl(expected_file: Path) -> None:
    expected: dict[str, Any] = yaml.safe_load(expected_file.read_text(encoding="utf-8"))
    dump = _dump_of(expected_file)
    alone = _parse(dump, frozenset())
    # Alone, the parser can only guess, and says so (the guess is right in these cases).
    assert alone.warnings == (LOW_CONFIDENCE,)
    assert alone.article is not None
    assert alone.article.title == expected["title"]
    doc = _parse(dump, _crawl_known(dump))
    assert len(doc.warnings) == expected["crawl_warnings"]
    _check(doc, expected)


def _check(doc: ParsedDocument, expected: dict[str, Any]) -> None:
    article = doc.article
    assert article is not None
    assert article.kind is ReleaseKind.FULL
    assert article.title == expected["title"]
    assert own_date(article) == _date(expected["date"])
    assert own_date(article) == _date(expected["date"])
    words = " ".join(article.paragraphs).split()
    assert " ".join(words[:5]) == expected["body_first_words"]
    assert " ".join(words[-5:]) == expected["body_last_words"]
    assert len(article.contacts) == expected["contacts"]
    if "language" in expected:
        assert article.language == expected["language"]
    for contact in article.contacts:
        assert contact not in article.paragraphs
    assert not any("odkb-pressa" in p for p in article.paragraphs)

    assert len(doc.others) == expected["teasers"]
    assert [stated_date(t) for t in doc.others] == [_date(d) for d in expected["teaser_dates"]]
    assert all(t.kind is ReleaseKind.BRIEF and t.title_derived for t in doc.others)
