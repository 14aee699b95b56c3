"""Where the sidebar ends and the article begins: the title, its date and header lines.

Anchors first, most reliable first: the title repeated with the date; a copy that stops
inside that repeat line; the last header date line above the body (dated teasers read as
[date line + paragraphs] units).  On an undated page the title is the last title-like
paragraph above the body: every paragraph above it must read as a sidebar teaser, and the
text below it as the start of an article (body, subtitle, dateline, heading lines), or
nothing at all when the copy stops there.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass, field

from feeds.errors import ParseError
from feeds.parsing.dates import (
    HeaderDate,
    HeaderKind,
    has_opening_date_phrase,
    match_header_date,
    match_trailing_date,
)
from feeds.parsing.dump.lines import (
    Dump,
    is_date_line,
    is_image_line,
    is_url_line,
    key,
)
from feeds.parsing.dump.shapes import LineShapes
from feeds.profile.dump import DumpRules
from feeds.text.keys import collapse

# A copy cut inside a date: "Title 17.0", or a date line "01.03.".
_PARTIAL_DATE = re.compile(r"^ \d{1,2}(?:\.\d{0,2}(?:\.\d{0,3})?)?$")
# A title cut short by the copy at its last line ends inside a word.
_MIN_CUT_PREFIX = 12
# A lead shorter than this may stand twice by chance ("Dear friends!").
_MIN_REPEATED_LEAD = 60
# How the undated search reads title candidates, in turn: without a final period; ending
# with a period, the article below continuing its topic; a short sentence standing alone.
_STRICT, _CONTINUED, _STANDALONE = range(3)


@dataclass
class Header:
    """Where the title is and what the header lines held."""

    title: int
    #: Index of the first line of the article below the header.
    body_start: int
    date: dt.date | None = None
    images: list[str] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)
    #: Body text glued to the date ("23.12.2014The session ...").
    glued: str = ""
    #: True when no anchor fixed the title (an undated page): a reasoned guess.
    guessed: bool = False
    #: True when the copy has no title line at all: the title is made from the lead.
    untitled: bool = False


def find_header(dump: Dump, rules: DumpRules, known: frozenset[str], locator: str) -> Header:
    lines = dump.texts()
    if not lines:
        raise ParseError(locator, "no article title found (no text above the footer)")
    finder = _Finder(dump, rules, known)
    header = finder.repeat_anchor() or finder.cut_repeat() or finder.date_anchor(locator)
    if header is None:
        repeated = finder.repeated_lead()
        if repeated is not None:
            # The article's lead stands in its own sidebar and again below: the title, if
            # the copy has one, is right above the second.  A partial (AJAX-loaded) copy
            # has none; the lead then names the article as its sidebar teaser does.
            first, second = repeated
            above = second - 1
            if above <= first or not (
                finder.title_like(above, strict=True) or finder.period_title_shape(above)
            ):
                header = Header(title=second, body_start=second, guessed=True, untitled=True)
            else:
                header = Header(title=above, body_start=second, guessed=True)
        else:
            header = finder.undated(0)
    if header is None:
        raise ParseError(locator, finder.refusal())
    return header


class _Finder(LineShapes):
    def __init__(self, dump: Dump, rules: DumpRules, known: frozenset[str]) -> None:
        super().__init__(dump, rules, known)
        #: Resume point of the undated search below dated teasers.
        self._resume = 0

    # --- anchors ------------------------------------------------------------------------

    def repeat_anchor(self) -> Header | None:
        """``Title`` followed by ``Title DD.MM.YYYY`` (spacing may differ)."""
        for prev, j in itertools.pairwise(range(len(self.lines))):
            split = match_trailing_date(self.lines[j], self.rules)
            if split is None or not split[0]:
                continue
            repeated, header_date = split
            if _same(repeated, self.lines[prev]):
                return self._dated(prev, j, header_date)
        return None

    def cut_repeat(self) -> Header | None:
        """A copy that stops inside the repeat line: its last line is the title's opening,
        or the title and the start of the date."""
        n = len(self.lines)
        if not self.cut or n < 2:
            return None
        title, last = collapse(self.lines[-2]), collapse(self.lines[-1])
        if last == title:
            return None
        prefix = len(last) >= min(_MIN_CUT_PREFIX, len(title)) and title.startswith(last)
        partial_date = last.startswith(title) and _PARTIAL_DATE.match(last[len(title) :])
        if (prefix or partial_date) and self.title_like(n - 2, strict=False):
            return Header(title=n - 2, body_start=n)
        # Title / date line, cut inside the date: strictly a title when dated teasers
        # stand above (their leads end like titles with a period).
        dated_sidebar = any(is_date_line(line, self.rules) for line in self.lines[:-1])
        if _PARTIAL_DATE.match(" " + last) and self.title_like(n - 2, strict=dated_sidebar):
            return Header(title=n - 2, body_start=n)
        return None

    def _dated(self, title: int, at: int, found: HeaderDate) -> Header:
        header = Header(title=title, body_start=at + 1, date=found.date)
        if found.kind is HeaderKind.IMAGE:
            header.images.append(found.remainder)
        elif found.kind is HeaderKind.GLUED:
            header.glued = found.remainder
        elif found.kind is HeaderKind.DOWNLOAD:
            name = found.remainder
            if not name and at + 1 < len(self.lines):
                following = self.lines[at + 1]
                if self.rules.attachment_file.fullmatch(following):
                    name = following
                    header.body_start = at + 2
            if name:
                header.attachments.append(name)
        return header

    def date_anchor(self, locator: str) -> Header | None:
        """The header date line, reading dated teasers as [date line + paragraphs] units.

        Returns None when the page has no date of its own; ``self._resume`` then says where
        the undated search starts (below the last dated teaser's lead)."""
        previous: int | None = None
        glued_lead = 0  # 1 when the previous teaser's lead is glued to its date line
        last_unit: Header | None = None
        for j, line in enumerate(self.lines):
            found = match_header_date(line, self.rules)
            if found is None:
                continue
            unit = list(range((previous if previous is not None else -1) + 1, j))
            if found.kind is not HeaderKind.BARE and unit:
                if not self.title_like(unit[-1], strict=False):
                    raise ParseError(
                        locator,
                        f"no article title found (nothing title-like above the date line {line!r})",
                    )
                return self._dated(unit[-1], j, found)
            if not unit:
                previous = j  # a dated teaser block starts here
                glued_lead = int(found.kind is HeaderKind.GLUED)
                continue
            if previous is None:
                # Dated teaser blocks open with a date line, so text above the first one
                # is the title (possibly below undated teasers) or already the body.
                above = self.undated(0, end=unit[-1])
                if self.title_like(unit[-1], strict=True) or (
                    self.title_like(unit[-1], strict=False) and above is None
                ):
                    return self._dated(unit[-1], j, found)
                return None
            last_unit = None
            if len(unit) + glued_lead >= 2:
                if self.title_like(unit[-1], strict=True):
                    return self._dated(unit[-1], j, found)
                if self.title_like(unit[-1], strict=False):
                    last_unit = self._dated(unit[-1], j, found)
            previous = j
            glued_lead = int(found.kind is HeaderKind.GLUED)
        if previous is None:
            return None
        # An undated article below dated teasers: the last teaser's lead comes first.
        self._resume = min(previous + 2 - glued_lead, len(self.lines))
        header = self.undated(self._resume)
        if header is None and last_unit is not None:
            # Nothing title-like below the last date line: that line was the article's
            # own, under a title that ends with a period like a teaser's lead.
            return last_unit
        return header

    def repeated_lead(self) -> tuple[int, int] | None:
        """A lead that stands twice: in the sidebar, and again where the article starts
        (the second may be cut short).  Returns where it stands, first and second."""
        seen: dict[str, int] = {}
        last = len(self.lines) - 1
        for i, line in enumerate(self.lines):
            if not self._lead_like(i) and not (self.cut and i == last):
                continue
            text = collapse(line)
            if len(text) < _MIN_REPEATED_LEAD:
                continue
            for other, first in seen.items():
                if other == text or (self.cut and i == last and other.startswith(text)):
                    return first, i
            seen[text] = i
        return None

    # --- undated pages ------------------------------------------------------------------

    def undated(self, start: int, end: int | None = None) -> Header | None:
        """The title of a page without a date of its own, searched from ``start``."""
        stop = len(self.lines) if end is None else end
        found = [self._pass(start, stop, known) for known in (self.known, frozenset())]
        title = found[0] if found[0] is not None else found[1]
        # A page crawled twice makes its own title "known": a title found only past it,
        # at the cut end of the copy, is weaker than that title.
        at_cut_end = self.cut and title == len(self.lines) - 1
        if at_cut_end and found[1] is not None and title is not None and found[1] < title:
            title = found[1]
        if title is None:
            return None
        return Header(
            title=title, body_start=title + 1, guessed=not self._below_known(start, title)
        )

    def _below_known(self, start: int, title: int) -> bool:
        """True when every line above the title is a known teaser (or a URL or picture
        line of one): no guess was involved."""
        return bool(self.known) and all(
            key(self.lines[i]) in self.known
            or is_url_line(self.lines[i])
            or is_image_line(self.lines[i], self.rules)
            for i in range(start, title)
        )

    def _pass(self, start: int, stop: int, known: frozenset[str]) -> int | None:
        for mode in (_STRICT, _CONTINUED, _STANDALONE):
            title = self._search(start, stop, known, mode=mode)
            if title is not None:
                return title
        return None

    def _search(self, start: int, stop: int, known: frozenset[str], *, mode: int) -> int | None:
        """The first line from ``start`` that is this page's title: title-like, above the
        start of an article, with nothing but sidebar teasers above it.  A title-like line
        above more teasers on a different topic is a headline teaser and passed over."""
        strict = mode == _STRICT
        saved, self.known = self.known, known
        try:
            for i in range(start, stop):
                if not self._teaser_or_title(i, strict=strict):
                    return None
                if not self.title_like(i, strict=strict) or not self._article_below(i, stop):
                    continue
                if strict and self._headline_teaser(i, stop):
                    continue
                if self._cut_body_line(i, start):
                    continue
                if not strict and not self._period_title(
                    i, start, stop, standalone=mode == _STANDALONE
                ):
                    continue
                return i
            return None
        finally:
            self.known = saved

    def refusal(self) -> str:
        first = self.lines[0]
        if len(self.lines) == 1:
            return "no article title found (a single paragraph)"
        if first.startswith(("—", "–", "-")) or not self.title_like(0, strict=False):
            return "no article title found (the text starts inside the article: a partial copy?)"
        return "no article title found (no title-like line above body text)"


def _same(a: str, b: str) -> bool:
    return collapse(a) == collapse(b) or key(a) == key(b)


def has_date_opening(line: str, rules: DumpRules) -> bool:
    return has_opening_date_phrase(line, rules)
