"""Telling Russian from English text."""

from __future__ import annotations

from feeds.parsing.language import cyrillic_share, detect_language

RUSSIAN = "Генеральный секретарь ОДКБ провёл встречу с послом."


def test_language_detection() -> None:
    assert detect_language(RUSSIAN) == "ru"
    assert detect_language("The CSTO Secretary General met the Ambassador.") == "en"
    assert detect_language("12.05.2024 — 17:00") is None
    assert cyrillic_share("ОДКБ CSTO") == 0.5
    assert detect_language("Заседание Совета министров иностранных дел ОДКБ (CSTO)") == "ru"
