"""Turning raw dump bytes into clean lines, and keys for comparing paragraphs."""

from __future__ import annotations

import re
import unicodedata

from feeds.text.decode import decode_bytes

# Characters that render as nothing and only break comparisons.
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPACES = re.compile(r"[^\S\n]+")
_QUOTES = str.maketrans({c: '"' for c in "“”„«»‟″"} | {c: "'" for c in "‘’‚‛′`"})
_DASHES = re.compile(r"[\u2010-\u2015\u2212-]+")
_NOT_WORD = re.compile(r"[^\w\s]+")


def decode_document(data: bytes, *, locator: str, encoding: str = "auto") -> str:
    """Decode a dump file; ``encoding`` is "auto" or a codec name that overrides detection.

    Warnings are dropped here: a caller that reports them uses :func:`decode_bytes`."""
    override = None if encoding == "auto" else encoding
    return decode_bytes(data, locator=locator, override=override).text


def normalise_lines(text: str) -> list[str]:
    """Split into lines with unicode spaces made plain and outer whitespace stripped.

    Blank lines are kept (as empty strings): their count carries layout signal.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_ZERO_WIDTH)
    lines: list[str] = []
    for raw in text.split("\n"):
        lines.append(_plain_spaces(raw).strip())
    return lines


# Every space separator (Unicode category Zs) but the plain space: NBSP, the en/em and
# thin spaces, the ideographic space...
_UNICODE_SPACES = str.maketrans(
    dict.fromkeys((c for c in range(0x80, 0x3001) if unicodedata.category(chr(c)) == "Zs"), " ")
)


def _plain_spaces(line: str) -> str:
    return line.translate(_UNICODE_SPACES)


def collapse(s: str) -> str:
    """Whitespace runs made one space, ends stripped: for comparisons only."""
    return _SPACES.sub(" ", _plain_spaces(s).replace("\n", " ")).strip()


def paragraph_key(s: str) -> str:
    """A key equal for paragraphs that differ only in case, quotes, dashes, spacing or
    punctuation."""
    s = _plain_spaces(s.translate(_ZERO_WIDTH)).casefold().translate(_QUOTES)
    s = _DASHES.sub("-", s)
    s = _NOT_WORD.sub(" ", s)
    return collapse(s)
