"""The site knowledge the dump parser uses: the ``dump`` part of a site profile.

Every regular expression is matched case-insensitively; ``{month}`` in a date phrase or a
dateline stands for any month name of ``months``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

from feeds.fields import Before, Integer, NonEmptyText, Prepared, at_least
from feeds.profile.patterns import PROFILE_CONFIG, Anchored, DayMonth, FullDate, Pattern


def _months(value: Any) -> dict[str, int]:
    """Month number -> names, read as lower-cased name -> number; every problem named."""
    if not isinstance(value, dict):
        raise ValueError("expected a mapping of month number to names")
    names: dict[str, int] = {}
    problems: list[str] = []
    for number, words in value.items():
        if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= 12:
            problems.append(f"{number}: month keys must be the numbers 1 to 12")
            continue
        if not isinstance(words, list) or not words:
            problems.append(f"{number}: expected a non-empty list of names")
            continue
        for word in words:
            if not isinstance(word, str) or not word.strip():
                problems.append(f"{number}: expected a month name, got {word!r}")
                continue
            other = names.setdefault(word.casefold(), number)
            if other != number:
                problems.append(f"{number}: {word!r} already names month {other}")
    missing = sorted(set(range(1, 13)) - set(names.values()))
    if missing and not problems:
        problems.append(f"missing month(s) {', '.join(map(str, missing))}")
    if problems:
        raise ValueError("; ".join(problems))
    return names


def _casefolded(value: Any) -> Any:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return frozenset(v.casefold() for v in value)
    return value


#: Words, compared case-insensitively.
Words = Annotated[frozenset[str], Before(_casefolded)]
Count = Annotated[Integer, at_least(1)]


@dataclass(frozen=True, kw_only=True)
class DumpRules(Prepared):
    """Compiled phrases and patterns of one site's text dumps."""

    __pydantic_config__: ClassVar = PROFILE_CONFIG

    #: Footer links, matched against whole lines at the end of a dump.
    navigation: tuple[Anchored, ...]
    #: Signature and contact lines; searched in the trailing block only.
    contacts: tuple[Pattern, ...]
    #: How many trailing non-empty lines the signature may occupy.
    signature_window: Count
    #: The article date line; groups day, month and year.
    date_formats: tuple[FullDate, ...]
    #: Lower-cased month name -> month number.
    months: Annotated[Mapping[str, int], Before(_months)]
    #: Date phrases that open a teaser; groups day, month and an optional year.
    date_phrases: tuple[DayMonth, ...]
    #: Full dates mentioned anywhere in a text; groups day, month and year.
    date_mentions: tuple[FullDate, ...]
    #: Long-form datelines between the header and the body.
    datelines: tuple[Pattern, ...]
    download_phrase: NonEmptyText
    attachment_file: Pattern
    image_file: Pattern
    #: A whole line that is one image's file name (names may hold spaces and dates).
    image_line: Pattern
    #: An image name trailing a paragraph; group ``name``.
    trailing_image: Pattern
    video_marker: NonEmptyText
    #: A date phrase before this day is history, not a release date.
    earliest_date: dt.date
    max_title_length: Annotated[Integer, at_least(20)]
    min_title_words: Count
    title_search_lines: Count
    #: Lines that are never a title.
    not_title: tuple[Pattern, ...]
    #: Paragraphs that open a release of their own even one blank line below another
    #: teaser's paragraph: the organisation as the subject, an agency's report.
    teaser_openings: tuple[Pattern, ...]
    #: Titles of static background pages ("About CSTO Cooperation with the UN"): an
    #: undated page titled so is not news.
    static_titles: tuple[Pattern, ...]
    #: Whole sentences that only greet ("Dear colleagues!"): never a teaser's title.
    salutations: tuple[Anchored, ...]
    #: Words every release of the site uses: they tell nothing of a paragraph's topic.
    common_words: Words
    #: Words that end in a period without ending a sentence.
    abbreviations: Words

    @classmethod
    def prepare(cls, data: Any) -> Any:
        """Put the month alternation where the patterns say ``{month}``."""
        if not isinstance(data, dict):
            return data
        names = _month_names(data.get("months"))
        alternation = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
        filled = dict(data)
        for key in ("date_phrases", "date_mentions", "datelines"):
            value = data.get(key)
            if isinstance(value, list):
                filled[key] = [
                    v.replace("{month}", alternation or "(?!)") if isinstance(v, str) else v
                    for v in value
                ]
        return filled


def _month_names(value: Any) -> list[str]:
    if not isinstance(value, dict):
        return []
    return [
        word
        for words in value.values()
        if isinstance(words, list)
        for word in words
        if isinstance(word, str) and word.strip()
    ]
