"""Telling Russian from English text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.parsing.language import cyrillic_share, detect_language

RUSSIAN = "Генеральный секретарь ОДКБ провёл встречу с послом."


def test_language_detection() -> None:
    assert detect_language(RUSSIAN) == "ru"
    assert detect_language("The CSTO Secretary General met the Ambassador.") == "en"
    assert detect_language("12.05.2024 — 17:00") is None
    assert cyrillic_share("ОДКБ CSTO") == 0.5
    assert detect_language("Заседание Совета министров иностранных дел ОДКБ (CSTO)") == "ru"


def _reference_share(text: str) -> float:
    """The rule spelled out letter by letter: Cyrillic letters among all letters."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 0.0
    return sum(1 for ch in letters if "\u0400" <= ch <= "\u04ff") / len(letters)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=80) | st.text(max_size=80))
def test_detection_follows_the_letter_rule(text: str) -> None:
    share = _reference_share(text)
    assert cyrillic_share(text) == share
    expected = None if not any(ch.isalpha() for ch in text) else ("ru" if share >= 0.5 else "en")
    assert detect_language(text) == expected
