"""Telling Russian from English text by its letters."""

from __future__ import annotations

#: Share of Cyrillic among all letters from which a text counts as Russian.
CYRILLIC_SHARE = 0.5


def cyrillic_share(text: str) -> float:
    """Fraction of the letters of ``text`` that are Cyrillic (0.0 when it has none)."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 0.0
    cyrillic = sum(1 for ch in letters if "\u0400" <= ch <= "\u04ff")
    return cyrillic / len(letters)


def detect_language(text: str) -> str | None:
    """Return "ru" or "en" (the site's two languages), or None for a text without letters."""
    if not any(ch.isalpha() for ch in text):
        return None
    return "ru" if cyrillic_share(text) >= CYRILLIC_SHARE else "en"
