"""Normalised forms of text for comparing paragraphs and titles.

Nothing here is ever shown to a reader: these forms decide whether two texts are the
same text (a teaser and the lead it repeats, a title and its repeat line).
"""

from __future__ import annotations

import re
import unicodedata

# Characters that render as nothing and only break comparisons.
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPACES = re.compile(r"[^\S\n]+")
_QUOTES = str.maketrans({c: '"' for c in "“”„«»‟″"} | {c: "'" for c in "‘’‚‛′`"})
_DASHES = re.compile(r"[\u2010-\u2015\u2212-]+")
_NOT_WORD = re.compile(r"[^\w\s]+")
# Every space separator (Unicode category Zs) but the plain space: NBSP, the en/em and
# thin spaces, the ideographic space...
_UNICODE_SPACES = str.maketrans(
    dict.fromkeys((c for c in range(0x80, 0x3001) if unicodedata.category(chr(c)) == "Zs"), " ")
)


def plain_spaces(line: str) -> str:
    """Every Unicode space made a plain space."""
    return line.translate(_UNICODE_SPACES)


def normalise_lines(text: str) -> list[str]:
    """Split into lines with unicode spaces made plain and outer whitespace stripped.

    Blank lines are kept (as empty strings): their count carries layout signal.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_ZERO_WIDTH)
    return [plain_spaces(raw).strip() for raw in text.split("\n")]


def collapse(s: str) -> str:
    """Whitespace runs made one space, ends stripped: for comparisons only."""
    return _SPACES.sub(" ", plain_spaces(s).replace("\n", " ")).strip()


def paragraph_key(s: str) -> str:
    """A key equal for paragraphs that differ only in case, quotes, dashes, spacing or
    punctuation."""
    s = plain_spaces(s.translate(_ZERO_WIDTH)).casefold().translate(_QUOTES)
    s = _DASHES.sub("-", s)
    s = _NOT_WORD.sub(" ", s)
    return collapse(s)
