"""Telling Russian from English text by its letters."""

from __future__ import annotations

import re

#: Share of Cyrillic among all letters from which a text counts as Russian.
CYRILLIC_SHARE = 0.5

_CYRILLIC_LETTERS = re.compile(
    "[" + "".join(c for c in map(chr, range(0x400, 0x500)) if c.isalpha()) + "]"
)
_ASCII_LETTER = re.compile("[A-Za-z]")


def _letters(text: str) -> int:
    if text.isascii():
        return len(_ASCII_LETTER.findall(text))
    return sum(map(str.isalpha, text))


def cyrillic_share(text: str) -> float:
    """Fraction of the letters of ``text`` that are Cyrillic (0.0 when it has none)."""
    letters = _letters(text)
    if not letters:
        return 0.0
    return len(_CYRILLIC_LETTERS.findall(text)) / letters


def detect_language(text: str) -> str | None:
    """Return "ru" or "en" (the site's two languages), or None for a text without letters."""
    if text.isascii():
        return "en" if _ASCII_LETTER.search(text) else None
    if not any(map(str.isalpha, text)):
        return None
    return "ru" if cyrillic_share(text) >= CYRILLIC_SHARE else "en"
