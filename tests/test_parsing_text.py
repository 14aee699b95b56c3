"""Decoding dump bytes, normalising lines, comparison keys and language detection."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from feeds.errors import InputError
from feeds.parsing.text import decode_document

DUMPS = Path(__file__).parent / "data" / "dumps"
RUSSIAN = "Генеральный секретарь ОДКБ провёл встречу с послом."


def test_plain_utf8() -> None:
    assert decode_document("Jenča met Zas.\n".encode(), locator="a.txt") == "Jenča met Zas.\n"


def test_utf8_bom_is_dropped() -> None:
    data = codecs.BOM_UTF8 + b"Title\n"
    assert decode_document(data, locator="a.txt") == "Title\n"


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_with_bom(codec: str) -> None:
    bom = codecs.BOM_UTF16_LE if codec.endswith("le") else codecs.BOM_UTF16_BE
    data = bom + "Title\nBody.\n".encode(codec)
    assert decode_document(data, locator="a.txt") == "Title\nBody.\n"


def test_windows_1251_is_detected() -> None:
    assert decode_document(RUSSIAN.encode("windows-1251"), locator="r.txt") == RUSSIAN
    fixture = (DUMPS / "cp1251_announcement_tail.txt").read_bytes()
    assert decode_document(fixture, locator="f").startswith("Пресс-центр агентства «ТАСС»")


def test_latin_text_is_not_taken_for_cyrillic() -> None:
    data = "The café on the square hosted the délégation of the member states.".encode("cp1252")
    text = decode_document(data, locator="l.txt")
    assert "caf" in text and "Cyrillic" not in text
    assert "й" not in text


def test_named_encoding_overrides_detection() -> None:
    data = RUSSIAN.encode("koi8-r")
    assert decode_document(data, locator="k.txt", encoding="koi8-r") == RUSSIAN
    assert decode_document(b"Zas\n", locator="k.txt", encoding="utf-8") == "Zas\n"


def test_undecodable_with_named_encoding() -> None:
    with pytest.raises(InputError) as caught:
        decode_document(RUSSIAN.encode("windows-1251"), locator="x.txt", encoding="utf-8")
    assert str(caught.value) == "x.txt: not valid utf-8: byte 0xc3 at offset 0"


def test_unknown_encoding_name() -> None:
    with pytest.raises(InputError, match=r"^x\.txt: unknown encoding 'klingon'$"):
        decode_document(b"Title", locator="x.txt", encoding="klingon")


@pytest.mark.parametrize("data", [b"", b"  \r\n\t\n", "\u00a0\n".encode()])
def test_empty_files(data: bytes) -> None:
    with pytest.raises(InputError) as caught:
        decode_document(data, locator="e.txt")
    assert str(caught.value) == "e.txt: empty file"


def test_binary_files() -> None:
    with pytest.raises(InputError, match=r"^b\.bin: binary file \(contains NUL bytes\)$"):
        decode_document(b"PK\x03\x04\x00\x00text", locator="b.bin")
    noise = bytes(range(1, 9)) * 20
    with pytest.raises(InputError, match=r"^n\.bin: binary file \(160 control bytes in 160\)$"):
        decode_document(noise, locator="n.bin")
