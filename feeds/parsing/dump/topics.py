"""Do two paragraphs of a dump speak of the same thing?

A title and the body below it share the names of the event (people, places, bodies, its
date); two sidebar teasers, each the lead of another release, mostly do not.  Words that
every release of the site uses (the profile's ``common_words``) and words that many lines
of the dump use say nothing of a topic and are not counted.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from feeds.parsing.dates import opening_date_phrase
from feeds.profile.dump import DumpRules

_WORD = re.compile(r"[^\W\d_]{4,}")
#: Shared words from which two lines speak of the same thing.
SAME_TOPIC_WORDS = 2


class Topics:
    """The telling words of each line of one dump."""

    def __init__(self, lines: list[str], rules: DumpRules) -> None:
        self._lines = lines
        self._rules = rules
        words = [{w.casefold() for w in _WORD.findall(line)} - rules.common_words for line in lines]
        counts: Counter[str] = Counter(w for line_words in words for w in line_words)
        # A word in more than a quarter of the lines is the dump's vocabulary, not a topic.
        limit = max(2, len(lines) // 4)
        self._words = [{w for w in line_words if counts[w] <= limit} for line_words in words]

    def shared(self, a: int, others: Iterable[int]) -> int:
        """How many telling words line ``a`` shares with the lines ``others``."""
        union: set[str] = set()
        for index in others:
            union |= self._words[index]
        return len(self._words[a] & union)

    def same_topic(self, a: int, b: int) -> bool:
        """Lines ``a`` and ``b`` name the same event: telling words, or the same date."""
        if self.shared(a, [b]) >= SAME_TOPIC_WORDS:
            return True
        first = opening_date_phrase(self._lines[a], self._rules)
        second = opening_date_phrase(self._lines[b], self._rules)
        return first is not None and first == second
