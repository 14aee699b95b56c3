"""Golden dumps of undated and cut pages: every ``tests/data/dumps_layouts/<case>.txt``
is parsed with the packaged site profile and compared with ``<case>.expected.yaml``
(keys explained in the folder's README).

Dumps are parsed the way a dump source reads them: the teaser candidates of every dump
in the folder are counted, and a candidate seen in two or more dumps is a known teaser
(the folder's sidebars repeat like a crawl's do).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from feeds.model import ParsedDocument, Release, ReleaseKind
from feeds.parsing.dump import STATIC_PAGE, parse_dump, teaser_candidates
from feeds.profile import default_profile
from feeds.text.decode import decode_bytes
from feeds.text.keys import paragraph_key
from tests.support.dates import own_date

DATA = Path(__file__).parent / "data" / "dumps_layouts"
RULES = default_profile().dump
SUFFIX = ".expected.yaml"

#: Any image file name, wherever it stands in a text.
IMAGE_NAME = re.compile(r"\.(?:jpe?g|png|gif|webp|bmp|tiff?)\b", re.IGNORECASE)
#: Signature leftovers: the press office's address and Moscow phone numbers.
CONTACT = re.compile(r"odkb-pressa@|\+\s?7\s?\(?495", re.IGNORECASE)
#: A title shortened by the parser.
CUT = ("…", "...")


def _dumps() -> list[Path]:
    return sorted(DATA.glob("*.txt"))


def _text(path: Path) -> str:
    return decode_bytes(path.read_bytes(), locator=str(path)).text


@functools.cache
def _known() -> frozenset[str]:
    """Keys of the teaser candidates that occur in two or more dumps of the folder."""
    counts: Counter[str] = Counter()
    for path in _dumps():
        counts.update({paragraph_key(p) for p in teaser_candidates(_text(path), RULES)})
    return frozenset(key for key, n in counts.items() if n >= 2)


def _parse(path: Path) -> ParsedDocument:
    return parse_dump(_text(path), locator=str(path), rules=RULES, known_paragraphs=_known())


def _expected(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.with_name(path.stem + SUFFIX).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _date(value: object) -> dt.date | None:
    assert value is None or isinstance(value, dt.date)
    return value


def _words(paragraphs: tuple[str, ...], which: slice) -> str | None:
    words = " ".join(paragraphs).split()[which]
    return " ".join(words) if words else None


def test_every_dump_has_an_expectation() -> None:
    dumps = {p.stem for p in _dumps()}
    expectations = {p.name[: -len(SUFFIX)] for p in DATA.glob(f"*{SUFFIX}")}
    assert dumps == expectations
    assert len(dumps) == 28
    assert sum(_expected(p)["static"] for p in _dumps()) == 2


def test_the_folder_counts_its_sidebars_as_known_teasers() -> None:
    # The one-per-line sidebar with a headline teaser opens seven dumps: its headline is
    # known, so no dump can take it for its own title.
    headline = (
        "The CSTO Secretary General met with the Ambassador of the Republic of Serbia to the "
        "Russian Federation"
    )
    assert paragraph_key(headline) in _known()
    owners = [p.stem for p in _dumps() if headline in _text(p)]
    assert len(owners) == 7
    for path in _dumps():
        doc = _parse(path)
        assert doc.article is None or doc.article.title != headline


@pytest.mark.parametrize("dump", _dumps(), ids=lambda p: p.stem)
def test_layout(dump: Path) -> None:
    expected = _expected(dump)
    doc = _parse(dump)

    _check_teasers(doc.others, expected["teasers"])
    if expected["static"]:
        assert expected["title"] is None
        assert doc.article is None
        assert STATIC_PAGE in doc.warnings
        return

    article = doc.article
    assert article is not None
    assert STATIC_PAGE not in doc.warnings
    assert article.kind is ReleaseKind.FULL
    # Only a copy without a title line has a title made from its lead.
    assert article.title_derived is expected.get("title_derived", False)
    assert article.title == expected["title"]
    assert own_date(article) == _date(expected["date"])
    assert _words(article.paragraphs, slice(None, 5)) == expected["body_first"]
    assert _words(article.paragraphs, slice(-5, None)) == expected["body_last"]
    assert [a.name for a in article.images] == expected["images"]
    assert [a.name for a in article.attachments] == expected["attachments"]
    assert article.language == expected["language"]
    if expected["body_first"] is None:
        assert article.paragraphs == ()

    # Image names are attachments of the release, never body text; contacts are not body.
    for paragraph in article.paragraphs:
        assert not IMAGE_NAME.search(paragraph), paragraph
        assert not CONTACT.search(paragraph), paragraph
        assert paragraph not in article.contacts
    assert not IMAGE_NAME.search(article.body_html)
    assert not IMAGE_NAME.search(article.lead)


def _check_teasers(teasers: tuple[Release, ...], expected: list[dict[str, Any]]) -> None:
    assert len(teasers) == len(expected)
    assert [t.title for t in teasers] == [e["title"] for e in expected]
    assert [len(t.paragraphs) for t in teasers] == [e["paragraphs"] for e in expected]
    assert [own_date(t) for t in teasers] == [_date(e["date"]) for e in expected]
    for teaser in teasers:
        assert teaser.kind is ReleaseKind.BRIEF
        assert teaser.title_derived
        assert not teaser.title.endswith(CUT), teaser.title
        # The title is the teaser's whole first sentence (or the headline itself).
        assert teaser.paragraphs[0].startswith(teaser.title)
        for paragraph in teaser.paragraphs:
            assert not IMAGE_NAME.search(paragraph), paragraph
