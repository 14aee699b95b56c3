"""Sidebar teasers: the leads of other releases shown above the article.

A teaser may have several paragraphs (one blank line apart where teasers stand two
apart); its paragraphs belong together until the next teaser starts: a date line, a
date phrase opening a release, a line one per line in a one-per-line sidebar, or a
paragraph on another topic.  Each teaser is one release, titled by its whole first
sentence, and dated by its own date line or else estimated from its text and its dated
neighbours (the sidebar lists the newest first).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from feeds.model import DateOrigin, Release, ReleaseKind, estimate
from feeds.parsing.dates import (
    HeaderKind,
    has_opening_date_phrase,
    match_header_date,
    mentioned_dates,
    opening_date_phrase,
    resolve_year,
)
from feeds.parsing.dump.lines import Line, is_url_line, matches_any
from feeds.parsing.dump.render import paragraph_links, paragraphs_html
from feeds.parsing.language import detect_language
from feeds.profile.dump import DumpRules
from feeds.text.keys import collapse

_SENTENCE_BREAK = re.compile(r"(?<=[.!?…])[\"”»’')]*\s+(?=[\"“«(\d\w])")
_INITIALS = re.compile(r"[A-ZА-ЯЁ](?:\.-?[A-ZА-ЯЁ])*")


@dataclass
class _Teaser:
    date: dt.date | None
    lines: list[str] = field(default_factory=list)


def teasers(region: list[Line], rules: DumpRules) -> list[_Teaser]:
    """Group the lines above the title into teasers."""
    found: list[_Teaser] = []
    for item in region:
        line = item.text
        date = match_header_date(line, rules)
        if date is not None:
            found.append(_Teaser(date.date))
            if date.kind is not HeaderKind.GLUED:
                continue
            line = date.remainder
        current = found[-1] if found else None
        if current is None or (current.lines and _starts_teaser(line, item.gap, current, rules)):
            found.append(_Teaser(None, [line]))
        else:
            current.lines.append(line)
    return [t for t in found if t.lines]


def _starts_teaser(line: str, gap: int, current: _Teaser, rules: DumpRules) -> bool:
    if current.date is not None or is_url_line(line):
        return False  # a dated unit runs to the next date line; URLs belong to their teaser
    if current.lines[-1].endswith((":", ",")) or line[:1].islower():
        return False
    if gap >= 2 or gap == 0:
        return True
    # One blank line: the next paragraph of this teaser, unless it opens like a release
    # of its own (teasers mostly stand two blank lines apart, but not always).
    return has_opening_date_phrase(line, rules) or matches_any(line, rules.teaser_openings)


def teaser_releases(
    found: list[_Teaser], rules: DumpRules, host_date: dt.date | None
) -> tuple[Release, ...]:
    """One release per teaser, dated by its own line or by the best evidence."""
    dated: list[tuple[dt.date | None, DateOrigin]] = [_own_or_text(t, rules) for t in found]
    # A year-less "On 7 February" takes the year of its nearest neighbour with a stated
    # date (a mentioned date may be a year the text recalls).
    for n, teaser in enumerate(found):
        phrase = opening_date_phrase(teaser.lines[0], rules)
        if dated[n][0] is None and phrase is not None and phrase.year is None:
            neighbours = [
                d
                for m, (d, o) in sorted(enumerate(dated), key=lambda md: (abs(md[0] - n), md[0]))
                if d is not None and o.stated and m != n
            ]
            if neighbours:
                resolved = resolve_year(phrase.day, phrase.month, neighbours)
                if resolved >= rules.earliest_date:
                    dated[n] = (resolved, DateOrigin.LEAD)
    # An announcement mentions a day still to come, an anniversary the year it marks:
    # a mentioned date stays within the stated dates around it (newest first).
    for n, (date, origin) in enumerate(dated):
        if origin is DateOrigin.MENTION and date is not None:
            newer, older = _around(dated, n, stated=True)
            if newer is not None and date > newer:
                dated[n] = (newer, origin)
            elif older is not None and date < older:
                dated[n] = (older, origin)
    releases = []
    for n, teaser in enumerate(found):
        date, origin = dated[n]
        newer, older = _around(dated, n, stated=False)
        if older is None and newer is None and host_date is not None:
            # No dated neighbour at all: a sidebar shows releases of the time the page was
            # copied, which is no earlier than the page's own date.
            older = host_date
        releases.append(_release(teaser, date, origin, older, newer, rules, host_date))
    return tuple(releases)


def _around(
    dated: list[tuple[dt.date | None, DateOrigin]], n: int, *, stated: bool
) -> tuple[dt.date | None, dt.date | None]:
    """The nearest dates above and below teaser ``n`` (only stated ones with ``stated``)."""

    def usable(date: dt.date | None, origin: DateOrigin) -> bool:
        return date is not None and (origin.stated or not stated)

    newer = next((d for d, o in reversed(dated[:n]) if usable(d, o)), None)
    older = next((d for d, o in dated[n + 1 :] if usable(d, o)), None)
    return newer, older


def _own_or_text(teaser: _Teaser, rules: DumpRules) -> tuple[dt.date | None, DateOrigin]:
    if teaser.date is not None:
        return teaser.date, DateOrigin.TEASER_LINE
    text = " ".join(teaser.lines)
    phrase = opening_date_phrase(teaser.lines[0], rules)
    if phrase is not None and phrase.year is not None:
        return dt.date(phrase.year, phrase.month, phrase.day), DateOrigin.LEAD
    mentioned = mentioned_dates(text, rules)
    if mentioned:
        return max(mentioned), DateOrigin.MENTION
    return None, DateOrigin.NONE


def _release(
    teaser: _Teaser,
    date: dt.date | None,
    origin: DateOrigin,
    after: dt.date | None,
    before: dt.date | None,
    rules: DumpRules,
    host_date: dt.date | None,
) -> Release:
    paragraphs = teaser.lines
    if date is None and (after is not None or before is not None):
        date = estimate(after, before)
        origin = DateOrigin.NEIGHBOURS
        if before is None and host_date is not None and after == host_date:
            origin = DateOrigin.HOST_PAGE
    return Release(
        kind=ReleaseKind.BRIEF,
        title=derive_title(paragraphs[0], rules),
        title_derived=True,
        date=date,
        date_origin=origin,
        date_after=None if origin.own else after,
        date_before=None if origin.own else before,
        lead=paragraphs[0],
        paragraphs=tuple(paragraphs),
        body_html=paragraphs_html(paragraphs),
        links=paragraph_links(paragraphs),
        language=detect_language(" ".join(paragraphs)),
    )


def derive_title(text: str, rules: DumpRules) -> str:
    """A teaser's title: its whole first sentence, without its final period.
    Greetings that open a letter ("Dear colleagues!") are passed over: every
    congratulatory teaser would otherwise get the same title.  Runs of spaces are made
    one: the title is made, not printed, so it takes no stray spacing along."""
    text = collapse(text)
    sentence = first = first_sentence(text, rules)
    while matches_any(sentence, rules.salutations):
        text = text.strip()[len(sentence) :]
        sentence = first_sentence(text, rules) if text.strip() else first
        if sentence is first:
            break
    if sentence.endswith(".") and not sentence.endswith(".."):
        sentence = sentence[:-1]
    return sentence.strip()


def first_sentence(text: str, rules: DumpRules) -> str:
    for found in _SENTENCE_BREAK.finditer(text):
        before = text[: found.start()].rstrip("\"”»’')")
        words = before.split()
        word = words[-1].lstrip('"“«(').rstrip(".!?…") if words else ""
        if before.endswith(".") and (
            _INITIALS.fullmatch(word) or word.casefold() in rules.abbreviations
        ):
            continue
        return text[: found.start()].strip()
    return text.strip()
