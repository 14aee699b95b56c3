"""Decoding dump bytes, normalising lines, comparison keys and language detection."""

from __future__ import annotations

from pathlib import Path

from feeds.parsing.language import cyrillic_share, detect_language
from feeds.parsing.text import collapse, decode_document, normalise_lines, paragraph_key

DUMPS = Path(__file__).parent / "data" / "dumps"
RUSSIAN = "Генеральный секретарь ОДКБ провёл встречу с послом."


def test_windows_1251_is_detected() -> None:
    assert decode_document(RUSSIAN.encode("windows-1251"), locator="r.txt") == RUSSIAN
    fixture = (DUMPS / "cp1251_announcement_tail.txt").read_bytes()
    assert decode_document(fixture, locator="f").startswith("Пресс-центр агентства «ТАСС»")


def test_named_encoding_overrides_detection() -> None:
    data = RUSSIAN.encode("koi8-r")
    assert decode_document(data, locator="k.txt", encoding="koi8-r") == RUSSIAN
    assert decode_document(b"Zas\n", locator="k.txt", encoding="utf-8") == "Zas\n"


def test_normalise_lines() -> None:
    text = (
        "\ufeffTitle\u00a0\r\n\r\n   Body\u200b text\u00a0 \rNext\u2003line\n\u00a0 \u00a0 \n\tEnd"
    )
    assert normalise_lines(text) == ["Title", "", "Body text", "Next line", "", "End"]


def test_normalise_keeps_inner_spacing_and_blank_lines() -> None:
    assert normalise_lines("The  CSTO\n\n\nBody") == ["The  CSTO", "", "", "Body"]


def test_collapse() -> None:
    assert collapse("  The  CSTO\u00a0 Council\n met ") == "The CSTO Council met"


def test_paragraph_key_ignores_case_quotes_dashes_and_punctuation() -> None:
    a = "On 7 February, the CSTO – “Collective Security” – met. "
    b = 'on 7 february the  CSTO - "Collective Security" - met'
    assert paragraph_key(a) == paragraph_key(b) == "on 7 february the csto collective security met"
    assert paragraph_key("Another text.") != paragraph_key(a)


def test_language_detection() -> None:
    assert detect_language(RUSSIAN) == "ru"
    assert detect_language("The CSTO Secretary General met the Ambassador.") == "en"
    assert detect_language("12.05.2024 — 17:00") is None
    assert cyrillic_share("ОДКБ CSTO") == 0.5
    assert detect_language("Заседание Совета министров иностранных дел ОДКБ (CSTO)") == "ru"
