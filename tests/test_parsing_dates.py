"""Header date lines, opening date phrases and year resolution."""

from __future__ import annotations

import datetime as dt

import pytest

from feeds.parsing.dates import (
    DatePhrase,
    HeaderDate,
    HeaderKind,
    has_opening_date_phrase,
    match_header_date,
    match_trailing_date,
    opening_date_phrase,
    resolve_year,
)
from feeds.profile import default_profile

RULES = default_profile().dump


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("20.01.2022", HeaderDate(dt.date(2022, 1, 20), HeaderKind.BARE, "")),
        (
            "10.06.2022 Download document 39357fa0b1c2.docx",
            HeaderDate(dt.date(2022, 6, 10), HeaderKind.DOWNLOAD, "39357fa0b1c2.docx"),
        ),
        ("19.05.2021 Download document", HeaderDate(dt.date(2021, 5, 19), HeaderKind.DOWNLOAD, "")),
        (
            "27.11.2018 ZVF_2142.JPG",
            HeaderDate(dt.date(2018, 11, 27), HeaderKind.IMAGE, "ZVF_2142.JPG"),
        ),
        (
            "25.09.2019 IMG-20190925-WA0060 (1).jpg",
            HeaderDate(dt.date(2019, 9, 25), HeaderKind.IMAGE, "IMG-20190925-WA0060 (1).jpg"),
        ),
        (
            "23.12.2014The December 2014 session",
            HeaderDate(dt.date(2014, 12, 23), HeaderKind.GLUED, "The December 2014 session"),
        ),
    ],
)
def test_header_date_lines(line: str, expected: HeaderDate) -> None:
    assert match_header_date(line, RULES) == expected


@pytest.mark.parametrize(
    "line",
    [
        "31.02.2020",
        "20.01.2022 The meeting began",
        "20.01.20221",
        "20.01.2022.",
        "On 20.01.2022",
        "",
    ],
)
def test_not_header_date_lines(line: str) -> None:
    assert match_header_date(line, RULES) is None


def test_trailing_date_splits_repeated_title() -> None:
    title, header = match_trailing_date("Meeting of the Council begins 23.11.2023", RULES) or (
        "",
        None,
    )
    assert title == "Meeting of the Council begins"
    assert header == HeaderDate(dt.date(2023, 11, 23), HeaderKind.BARE, "")
    split = match_trailing_date("The Council met 25.09.2019 ZVF_0311.JPG", RULES)
    assert split == (
        "The Council met",
        HeaderDate(dt.date(2019, 9, 25), HeaderKind.IMAGE, "ZVF_0311.JPG"),
    )
    assert match_trailing_date("Plan for 23.11.2023 adopted", RULES) is None
    assert match_trailing_date("23.11.2023", RULES) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("On 16 February 2024, the CSTO Secretary General met", DatePhrase(16, 2, 2024)),
        ("On May 16, 2024, the CSTO Secretariat hosted", DatePhrase(16, 5, 2024)),
        ("15 May marks the 32nd anniversary", DatePhrase(15, 5, None)),
        ("On 7 February, participants visited", DatePhrase(7, 2, None)),
        ("On January 20, this year, the CSTO", DatePhrase(20, 1, None)),
        ("28 мая 2025 года в г. Бишкеке состоялось", DatePhrase(28, 5, 2025)),
        ("November 27th of this year. A meeting", DatePhrase(27, 11, None)),
        ("On 1st December 2023 the Council met", DatePhrase(1, 12, 2023)),
    ],
)
def test_opening_date_phrases(text: str, expected: DatePhrase) -> None:
    assert opening_date_phrase(text, RULES) == expected
    assert has_opening_date_phrase(text, RULES)


@pytest.mark.parametrize(
    "text",
    [
        "The meeting took place on 16 February 2024.",
        "Maybe 15 Mayors attended.",
        "On 31 February 2024, nothing happened.",
        "In May 2024 the Council met.",
        "",
    ],
)
def test_texts_without_an_opening_date(text: str) -> None:
    assert opening_date_phrase(text, RULES) is None


def test_historic_dates_are_not_release_dates() -> None:
    text = "On May 15, 1992, the heads of state signed a Collective Security Treaty."
    assert opening_date_phrase(text, RULES) is None
    assert has_opening_date_phrase(text, RULES)  # still opens a release of its own
    assert opening_date_phrase("On 1 January 2002, a date", RULES) == DatePhrase(1, 1, 2002)
    assert opening_date_phrase("On 31 December 2001, a date", RULES) is None


def test_resolve_year_from_nearest_neighbour() -> None:
    near = [dt.date(2024, 2, 14), dt.date(2024, 2, 16)]
    assert resolve_year(7, 2, near) == dt.date(2024, 2, 7)
    assert resolve_year(30, 12, [dt.date(2025, 1, 3)]) == dt.date(2024, 12, 30)
    assert resolve_year(2, 1, [dt.date(2024, 12, 28)]) == dt.date(2025, 1, 2)
    assert resolve_year(29, 2, [dt.date(2024, 3, 1)]) == dt.date(2024, 2, 29)
    assert resolve_year(29, 2, [dt.date(2023, 3, 1)]) == dt.date(2024, 2, 29)
    with pytest.raises(ValueError):
        resolve_year(1, 1, [])
