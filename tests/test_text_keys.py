"""Comparison keys: normalised lines, collapsed spacing, paragraph keys."""

from __future__ import annotations

from feeds.text.keys import collapse, normalise_lines, paragraph_key


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
