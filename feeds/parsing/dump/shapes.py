"""How a dump's lines read: as a title, a teaser's paragraph, body text, the start of an
article.  The header search (:mod:`feeds.parsing.dump.header`) asks these questions of
each line; the answers depend on the profile's phrases and on the paragraphs known to be
teasers elsewhere.
"""

from __future__ import annotations

import re

from feeds.parsing.dates import HeaderKind, has_opening_date_phrase, match_header_date
from feeds.parsing.dump.lines import (
    URL,
    Dump,
    ends_sentence,
    heading_like,
    is_date_line,
    is_download_line,
    is_image_line,
    is_url_line,
    key,
    matches_any,
)
from feeds.parsing.dump.topics import Topics
from feeds.profile.dump import DumpRules

#: Heading lines (a speech's "WELCOME SPEECH" / "of the ..." / a name) a body may open with.
HEADING_LINES = 5
#: A sidebar shows up to five teasers: a headline teaser has this page's title within this
#: many lines below it.
SIDEBAR_LINES = 6


class LineShapes:
    """The lines of one dump, and what each of them could be."""

    def __init__(self, dump: Dump, rules: DumpRules, known: frozenset[str]) -> None:
        self.lines = dump.texts()
        self.gaps = [line.gap for line in dump.lines]
        self.rules = rules
        self.known = known
        #: The copy stops without a footer: its last line may be cut mid-word.
        self.cut = dump.trailing_gap == 0
        self.topics = Topics(self.lines, rules)

    def _cut_body_line(self, i: int, start: int) -> bool:
        """The last line of a cut copy, right below a line that may be a title ending with
        a period and on its topic, is that article's body cut short, not a title."""
        if not self.cut or i != len(self.lines) - 1 or i == start:
            return False
        above = i - 1
        return self.period_title_shape(above) and self.topics.same_topic(above, i)

    def _teaser_or_title(self, i: int, *, strict: bool) -> bool:
        """Could line ``i`` be part of a sidebar, or the title itself?  Interview turns,
        list items and legal headings are neither: the copy starts inside an article."""
        line = self.lines[i]
        if key(line) in self.known or is_url_line(line) or is_image_line(line, self.rules):
            return True
        if matches_any(line, self.rules.not_title):
            return False
        if is_date_line(line, self.rules):
            return True
        if self.title_like(i, strict=strict):
            return True
        return self._lead_like(i)

    def _lead_like(self, i: int) -> bool:
        """A teaser's paragraph: a sentence (or more), or a long text."""
        line = self.lines[i]
        if len(line) > self.rules.max_title_length:
            return True
        return ends_sentence(line, self.rules) or line.endswith((":", ";", ","))

    def _headline_teaser(self, i: int, stop: int) -> bool:
        """A one-per-line sidebar can hold a teaser that is itself a headline: right above
        another line that opens a release of its own on another topic, with this page's
        title further down."""
        below = i + 1
        if below >= stop or self.gaps[below] != 0 or not self._lead_like(below):
            return False
        if self.topics.same_topic(i, below):
            return False
        return any(
            self._article_below(j, stop)
            and (self.title_like(j, strict=True) or self._period_title(j, below + 1, stop))
            for j in range(below + 1, min(stop, below + 1 + SIDEBAR_LINES))
        )

    def period_title_shape(self, i: int) -> bool:
        """Could line ``i`` be a title that ends with a period?  One or two short sentences
        that do not open with a date phrase, as teasers' leads do."""
        line = self.lines[i]
        return (
            self.title_like(i, strict=False)
            and len(line) <= self.rules.max_title_length * 5 // 6
            and _sentences(line) <= 2
            and not has_opening_date_phrase(line, self.rules)
        )

    def _period_title(self, i: int, start: int, stop: int, *, standalone: bool = False) -> bool:
        """A title that ends with a period, like a teaser's lead: the first such line whose
        topic the article below continues; failing any, the first single short sentence
        standing as a paragraph of its own (``standalone``), as titles do."""
        if not self.period_title_shape(i):
            return False
        if i + 1 >= stop:
            return self.cut and i > start
        if not standalone:
            return any(self.topics.same_topic(i, j) for j in range(i + 1, min(stop, i + 4)))
        line = self.lines[i]
        # A date phrase opening the next paragraph on another topic starts another teaser.
        next_opens = has_opening_date_phrase(self.lines[i + 1], self.rules)
        return (
            _sentences(line) == 1
            and len(line) <= self.rules.max_title_length // 2
            and (i == 0 or self.gaps[i] > 0)
            and self.gaps[i + 1] > 0
            and not (next_opens and not self.topics.same_topic(i, i + 1))
        )

    def _article_below(self, i: int, stop: int) -> bool:
        """The lines below ``i`` read like the start of an article: datelines, heading and
        picture lines, at most one subtitle, then body text; or nothing (a cut copy)."""
        subtitles = 0
        for j in range(i + 1, min(stop, i + 2 + HEADING_LINES)):
            line = self.lines[j]
            if (
                j == stop - 1
                and self.cut
                and stop == len(self.lines)
                and not ends_sentence(line, self.rules)
            ):
                return True  # the copy stops inside the first body line
            if self._body_like(line):
                return True
            if matches_any(line, self.rules.datelines) or heading_like(line):
                continue
            if is_image_line(line, self.rules) or is_download_line(line, self.rules):
                continue
            if self.rules.image_line.fullmatch(line):
                continue
            if self.title_like(j, strict=True) and not subtitles and self.gaps[j] > 0:
                subtitles += 1
                continue
            return False
        # Nothing below: only a copy cut right after its title ends there.
        return i + 1 >= stop and self.cut and stop == len(self.lines)

    def _body_like(self, line: str) -> bool:
        if is_url_line(line) or is_image_line(line, self.rules):
            return False
        trailing = self.rules.trailing_image.search(line)
        if trailing:
            line = line[: trailing.start()].rstrip()
        glued = self.rules.image_file.match(line)
        if glued and glued.end() < len(line) and not line[glued.end()].isspace():
            return True  # "IMG-...jpgIn the period ..."
        found = match_header_date(line, self.rules)
        if found is not None and found.kind is HeaderKind.GLUED:
            return True
        return (
            ends_sentence(line, self.rules)
            or line.endswith((":", ";"))
            or len(line) > self.rules.max_title_length
        )

    # --- title-likeness ---------------------------------------------------------------

    def title_like(self, i: int, *, strict: bool) -> bool:
        """Could line ``i`` be a title?  Strict also refuses a final period (teasers have
        one), an exclamation and a question."""
        line = self.lines[i]
        rules = self.rules
        if not line or len(line) > rules.max_title_length or key(line) in self.known:
            return False
        if URL.search(line) or is_image_line(line, rules) or match_header_date(line, rules):
            return False
        if rules.image_line.fullmatch(line):
            return False
        if matches_any(line, rules.not_title) or len(line.split()) < rules.min_title_words:
            return False
        if line[-1] in ",;:" or line[0].islower():
            return False
        if matches_any(line, rules.salutations):
            return False
        ellipsis = line.endswith(("...", "…", '..."', "...”", "…”", "...»"))
        return not (strict and ends_sentence(line, rules) and not ellipsis)


def _sentences(line: str) -> int:
    return len(re.findall(r"[.!?…](?:\s|$)", line)) or 1
