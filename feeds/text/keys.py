"""Normalised forms of text for comparing paragraphs and titles.

Nothing here is ever shown to a reader: these forms decide whether two texts are the
same text (a teaser and the lead it repeats, a title and its repeat line).
"""

from __future__ import annotations

import re
from functools import lru_cache

# Characters that render as nothing and only break comparisons.
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACES = re.compile(r"[^\S\n]+")
_NOT_WORD = re.compile(r"[^\w\s]+")
# Every space separator (Unicode category Zs) but the plain space: NBSP, the Ogham
# space mark, the en/em and thin spaces, the narrow NBSP, the math space, the ideographic
# space.  (Listed, not found at import through unicodedata: a test checks the list.
# Regular expressions, not str.translate: these characters are rare, and a search for
# them is many times faster than a per-character table lookup.)
UNICODE_SPACES = "\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000"
_UNICODE_SPACES = re.compile(f"[{UNICODE_SPACES}]")


def plain_spaces(line: str) -> str:
    """Every Unicode space made a plain space."""
    return _UNICODE_SPACES.sub(" ", line)


def without_zero_width(text: str) -> str:
    return _ZERO_WIDTH.sub("", text)


def normalise_lines(text: str) -> list[str]:
    """Split into lines with unicode spaces made plain and outer whitespace stripped.

    Blank lines are kept (as empty strings): their count carries layout signal.
    """
    text = without_zero_width(text.replace("\r\n", "\n").replace("\r", "\n"))
    # One substitution for the whole text: no Unicode space is a line break.
    return [raw.strip() for raw in plain_spaces(text).split("\n")]


def collapse(s: str) -> str:
    """Whitespace runs made one space, ends stripped: for comparisons only."""
    return _SPACES.sub(" ", plain_spaces(s).replace("\n", " ")).strip()


@lru_cache(maxsize=1 << 12)
def paragraph_key(s: str) -> str:
    """A key equal for paragraphs that differ only in case, quotes, dashes, spacing or
    punctuation.  (Cached: sidebar paragraphs repeat in every dump of a site; a few
    thousand recent ones are enough, and each entry holds a whole paragraph.)"""
    # Quotes and dashes are punctuation, so the one substitution covers them; spaces of
    # every kind are split on.
    return " ".join(_NOT_WORD.sub(" ", without_zero_width(s).casefold()).split())
