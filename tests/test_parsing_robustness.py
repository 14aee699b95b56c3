"""Parsers never crash on damaged input: they parse it or raise ParseError.

Seeded random edits of real layouts (lines dropped, repeated, swapped, and footer,
date, image and signature lines inserted anywhere) are fed to the dump parser, and cut
or repeated spans of the HTML fixtures to the page parsers.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from feeds.errors import ParseError
from feeds.parsing.dump import parse_dump, teaser_candidates
from feeds.parsing.html import parse_article, parse_listing
from feeds.profile import default_profile
from feeds.text.decode import decode_bytes

DATA = Path(__file__).parent / "data"
SAMPLES = Path(__file__).parent.parent / "samples" / "dumps"
INSERTS = [
    "",
    "12.03.2024",
    "05.05.2020 IMG_1.JPG",
    "01.02.2003Text glued to a date",
    "10.06.2022 Download document 39357fa0c4b1d2e3f4a5b6c7d8e9f0a1.docx",
    "Download document",
    "Annex 1.pdf",
    "Go back",
    "Back to the section",
    "E-mail: odkb-pressa@gov.ru",
    "The CSTO Press Secretary Vladimir Zaynetdinov",
    "https://www.youtube.com/watch?v=abc",
    "IMG-20190925-WA0060 (1).jpg",
    "On 7 February, the delegation arrived.",
    "A title-like line without a final period",
    "— A question?",
    "Статья 1",
    "Назад",
]


def _dumps() -> list[str]:
    files = sorted(SAMPLES.glob("*.txt")) + sorted((DATA / "dumps_blind").glob("*.txt"))
    return [decode_bytes(f.read_bytes(), locator=f.name).text for f in files]


def _mutate(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    for _ in range(rng.randint(1, 6)):
        choice = rng.random()
        if choice < 0.3 and lines:
            del lines[rng.randrange(len(lines))]
        elif choice < 0.6:
            lines.insert(rng.randrange(len(lines) + 1), rng.choice(INSERTS))
        elif choice < 0.8 and lines:
            k = rng.randrange(len(lines))
            lines.insert(k, lines[k])
        elif lines:
            a, b = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[a], lines[b] = lines[b], lines[a]
    return "\n".join(lines)


@pytest.mark.parametrize("seed", range(4))
def test_dump_parser_parses_or_reports(seed: int) -> None:
    rng = random.Random(seed)
    rules = default_profile().dump
    dumps = _dumps()
    parsed = 0
    for _ in range(400):
        text = _mutate(rng.choice(dumps), rng)
        teaser_candidates(text, rules)
        try:
            document = parse_dump(text, locator="damaged.txt", rules=rules)
        except ParseError as exc:
            assert str(exc).startswith("damaged.txt: ")
            continue
        parsed += 1
        assert document.article is not None and document.article.title
    # Most damaged dumps still have a recognisable article.
    assert parsed > 300


def test_html_parsers_parse_or_report() -> None:
    rng = random.Random(7)
    rules = default_profile().html
    pages = [p.read_bytes().decode("utf-8", "replace") for p in sorted(DATA.rglob("*.html"))]
    url = "https://en.odkb-csto.org/news/news_odkb/some-article/"
    for _ in range(300):
        text = rng.choice(pages)
        for _ in range(rng.randint(1, 4)):
            a = rng.randrange(len(text) + 1)
            b = min(len(text), a + rng.randint(0, 400))
            text = text[:a] + text[b:] if rng.random() < 0.5 else text[:a] + text[a:b] + text[a:]
        parse_listing(text, url="https://en.odkb-csto.org/news/news_odkb/", rules=rules)
        try:
            parse_article(text, url=url, rules=rules)
        except ParseError as exc:
            assert str(exc).startswith(url + ": ")
