"""One filter for what must never reach a reader, a terminal or an XML document."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from feeds.text.clean import clean_text, has_unsafe


def test_layout_and_ordinary_text_stay() -> None:
    text = "Line one\tcolumn\nLine two\r\nok\u00a0\U0001f600 «Ёлки» — 5 %"
    assert clean_text(text) == text
    assert not has_unsafe(text)


def test_controls_and_non_characters_go_and_page_breaks_become_spaces() -> None:
    assert clean_text("a\x00b\x08c\x0bd\x0ce\x1ff\x7fg\x85h\x9fi\ufffej\uffffk\ud800l") == (
        "abc d efghijkl"
    )


def test_terminal_escapes_go_whole() -> None:
    assert clean_text("\x1b[31mRed\x1b[0m title") == "Red title"
    assert clean_text("\x1b]0;pwned\x07Title") == "Title"
    assert clean_text("\x1b]2;x\x1b\\Title\x1b") == "Title"
    assert clean_text("\x9b2JTitle") == "Title"


def test_bidirectional_overrides_go() -> None:
    assert clean_text("abc\u202edef\u202c \u2066x\u2069") == "abcdef x"
    assert has_unsafe("\u202e")


@given(st.text())
def test_anything_cleaned_is_xml_and_printable_for_terminals(text: str) -> None:
    cleaned = clean_text(text)
    element = etree.Element("t")
    element.text = cleaned  # lxml refuses any character XML 1.0 cannot carry
    assert "\x1b" not in cleaned and "\x9b" not in cleaned
    assert all(ch in "\t\n\r" or ord(ch) >= 0x20 for ch in cleaned)
    assert clean_text(cleaned) == cleaned
