"""Characters that must never reach a reader, a terminal or an XML document.

One filter for every output: XML 1.0 forbids most C0 controls, lone surrogates and
U+FFFE/U+FFFF; C1 controls and DEL are discouraged and mean nothing in a press release.
Terminal escape sequences and bidirectional overrides are dropped too: a title must not
recolour a terminal that lists it, nor reverse the text around it.
"""

from __future__ import annotations

import re

# An escape sequence as a terminal reads it: CSI (ESC [ ... final byte), OSC (ESC ] ...
# BEL or ESC \), or ESC with one following character.  An OSC never closed ends at the
# line's end here: a stray ESC ] must not take the rest of a document with it.
_TERMINAL_ESCAPE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b\n]*(?:\x07|\x1b\\)?|\x1b[@-_]?"
    r"|\x9b[0-?]*[ -/]*[@-~]"
)
# Form feed and vertical tab separate words in text dumps: they become a space.
_SPACE_CONTROL_CHARS = "\x0b\x0c"
_SPACE_CONTROLS = re.compile(f"[{_SPACE_CONTROL_CHARS}]")
# What is left: C0 controls but tab, newline and carriage return; DEL and C1; lone
# surrogates; the two non-characters XML refuses; bidi embedding and isolate controls.
_UNSAFE_CHARS = "\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\u202a-\u202e\u2066-\u2069"
_UNSAFE = re.compile(f"[{_UNSAFE_CHARS}]")
# Any character that one of the three steps acts on (escapes begin with ESC or CSI, which
# are C0/C1 controls): most texts have none, and one search is cheaper than three passes.
_ACTED_ON = re.compile(f"[{_SPACE_CONTROL_CHARS}{_UNSAFE_CHARS}]")


def without_terminal_escapes(text: str) -> tuple[str, int]:
    """``text`` without terminal escape sequences (each goes whole), and how many went.

    A lone ESC is left in place: it is a stray control character, not a sequence."""
    if "\x1b" not in text and "\x9b" not in text:
        return text, 0
    count = 0

    def drop(match: re.Match[str]) -> str:
        nonlocal count
        if len(match.group()) == 1:
            return match.group()
        count += 1
        return ""

    return _TERMINAL_ESCAPE.sub(drop, text), count


def clean_text(text: str) -> str:
    """``text`` without terminal escapes, controls and characters XML cannot carry.

    Tab, newline and carriage return stay (they are layout); a form feed or vertical tab
    becomes a space.
    """
    if text.isprintable() or _ACTED_ON.search(text) is None:
        return text
    text = _TERMINAL_ESCAPE.sub("", text)
    text = _SPACE_CONTROLS.sub(" ", text)
    return _UNSAFE.sub("", text)


# Layout characters clean_text keeps, which a one-line field has no use for.
_LINE_LAYOUT = re.compile(r"[\t\n\r]+")


def one_line(text: str) -> str:
    """``text`` cleaned and on one line: tabs and line breaks become one space (a title,
    or a column of a listing a terminal prints)."""
    return _LINE_LAYOUT.sub(" ", clean_text(text))


def has_unsafe(text: str) -> bool:
    """True when :func:`clean_text` would change ``text``."""
    return clean_text(text) != text
