"""Dates in dumps: the article's DD.MM.YYYY header line and date phrases opening teasers."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from feeds.profile.dump import DumpRules


class HeaderKind(enum.StrEnum):
    """What follows the date on a header date line."""

    BARE = "bare"  # "20.01.2022"
    DOWNLOAD = "download"  # "10.06.2022 Download document <file>"
    IMAGE = "image"  # "27.11.2018 ZVF_2142.JPG"
    GLUED = "glued"  # "23.12.2014The December session ..."


@dataclass(frozen=True)
class HeaderDate:
    """A date-shaped header line, split into the date and what follows it."""

    date: dt.date
    kind: HeaderKind
    #: The attachment name (may be empty), the image name, or the glued body text.
    remainder: str


@dataclass(frozen=True)
class DatePhrase:
    """A date phrase opening a text; ``year`` is None for "On 7 February, ..."."""

    day: int
    month: int
    year: int | None


def make_date(year: int, month: int, day: int) -> dt.date | None:
    """The date, or None when the numbers name no calendar day."""
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def match_header_date(line: str, rules: DumpRules) -> HeaderDate | None:
    """Read ``line`` as a header date line, or return None when it is not one."""
    for pattern in rules.date_formats:
        found = pattern.match(line)
        if found is None:
            continue
        date = make_date(int(found["year"]), int(found["month"]), int(found["day"]))
        if date is None:
            continue
        kind_rest = _classify_rest(line[found.end() :], rules)
        if kind_rest is not None:
            return HeaderDate(date, *kind_rest)
    return None


def _classify_rest(rest: str, rules: DumpRules) -> tuple[HeaderKind, str] | None:
    if not rest:
        return HeaderKind.BARE, ""
    if rest[0].isspace():
        tail = rest.strip()
        phrase = rules.download_phrase
        if tail.casefold().startswith(phrase.casefold()):
            return HeaderKind.DOWNLOAD, tail[len(phrase) :].strip()
        if rules.image_file.fullmatch(tail):
            return HeaderKind.IMAGE, tail
        return None
    # Glued to the body; a digit or period would rather mean a longer number.
    if rest[0].isdigit() or rest[0] in ".,:;-/":
        return None
    return HeaderKind.GLUED, rest


def match_trailing_date(line: str, rules: DumpRules) -> tuple[str, HeaderDate] | None:
    """Split a repeated title line "Title DD.MM.YYYY[ image | Download document ...]".

    Returns the text before the date and the date with its suffix, or None.
    """
    for pattern in rules.date_formats:
        for found in pattern.finditer(line):
            start = found.start()
            if start == 0 or not line[start - 1].isspace():
                continue
            header = match_header_date(line[start:], rules)
            if header is not None and header.kind is not HeaderKind.GLUED:
                return line[:start].rstrip(), header
    return None


def opening_date_phrase(text: str, rules: DumpRules) -> DatePhrase | None:
    """The date phrase that opens ``text`` ("On 16 February 2024, ...", "15 May marks ...").

    Historic dates (before the rules' earliest plausible date) and impossible days give None.
    """
    for pattern in rules.date_phrases:
        found = pattern.match(text)
        if found is None:
            continue
        month = rules.months.get(found["month"].casefold())
        if month is None:
            continue
        day = int(found["day"])
        year_text = found.groupdict().get("year")
        year = int(year_text) if year_text else None
        # A leap year stands in when the year is unknown, so 29 February survives.
        check = make_date(year if year is not None else 2024, month, day)
        if check is None:
            continue
        if year is not None and check < rules.earliest_date:
            return None
        return DatePhrase(day, month, year)
    return None


def mentioned_dates(text: str, rules: DumpRules) -> list[dt.date]:
    """Every full date (day, month and year) ``text`` mentions, history left out."""
    found: list[dt.date] = []
    for pattern in rules.date_mentions:
        for match in pattern.finditer(text):
            name = match["month"]
            month = int(name) if name.isdigit() else rules.months.get(name.casefold())
            if month is None:
                continue
            date = make_date(int(match["year"]), month, int(match["day"]))
            if date is not None and date >= rules.earliest_date:
                found.append(date)
    return found


def has_opening_date_phrase(text: str, rules: DumpRules) -> bool:
    """True when ``text`` opens with a date phrase, historic or not: a release starts there."""
    return any(pattern.match(text) for pattern in rules.date_phrases)


def resolve_year(day: int, month: int, neighbours: list[dt.date]) -> dt.date:
    """Give a year-less day the year that puts it closest to the nearest dated neighbour.

    ``neighbours`` are ordered nearest first; the first one decides, so a "30 December"
    next to a January teaser lands in the previous year.
    """
    if not neighbours:
        raise ValueError("resolve_year needs at least one dated neighbour")
    anchor = neighbours[0]
    candidates = [
        date
        for year in (anchor.year - 1, anchor.year, anchor.year + 1)
        if (date := make_date(year, month, day)) is not None
    ]
    if not candidates:
        raise ValueError(f"no year has day {day} of month {month}")
    return min(candidates, key=lambda date: abs((date - anchor).days))
