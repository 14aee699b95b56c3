"""Comparison keys: normalised lines, collapsed spacing, paragraph keys."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.text.keys import (
    UNICODE_SPACES,
    collapse,
    normalise_lines,
    paragraph_key,
    plain_spaces,
    without_zero_width,
)


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


_QUOTE_OF = {c: '"' for c in "“”„«»‟″"} | {c: "'" for c in "‘’‚‛′`"}


def _reference_key(s: str) -> str:
    """The key spelled out step by step: drop zero-width characters, make spaces plain,
    fold case, unify quotes and dashes, punctuation to spaces, collapse spacing."""
    s = "".join(c for c in s if c not in "\u200b\u200c\u200d\u2060\ufeff\u00ad")
    s = "".join(" " if unicodedata.category(c) == "Zs" else c for c in s).casefold()
    s = "".join(_QUOTE_OF.get(c, c) for c in s)
    s = re.sub(r"[\u2010-\u2015\u2212-]+", "-", s)
    s = re.sub(r"[^\w\s]+", " ", s)
    return re.sub(r"\s+", " ", s).strip()


@settings(max_examples=500, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(
            "aZ9_ д-–—−“”«»‘’`'\".,;:!?\u00a0\u2003\u202f\u3000\u200b\u00ad\ufeff\n\t\r"
        )
    )
    | st.text()
)
def test_paragraph_key_is_the_rule_it_states(text: str) -> None:
    assert paragraph_key(text) == _reference_key(text)


def test_the_listed_unicode_spaces_are_every_space_separator_but_the_space() -> None:
    listed = {c for c in map(chr, range(0x110000)) if re.fullmatch(f"[{UNICODE_SPACES}]", c)}
    wanted = {c for c in map(chr, range(0x110000)) if unicodedata.category(c) == "Zs"}
    assert listed == wanted - {" "}


@settings(max_examples=200, database=None)
@given(
    st.text(alphabet=st.sampled_from(" \t\r\na.\u00a0\u2003\u3000\u200b\u2028\x85"), max_size=40)
)
def test_spaces_made_plain_over_the_whole_text_are_the_same_as_line_by_line(text: str) -> None:
    lines = without_zero_width(text.replace("\r\n", "\n").replace("\r", "\n")).split("\n")
    assert normalise_lines(text) == [plain_spaces(line).strip() for line in lines]
