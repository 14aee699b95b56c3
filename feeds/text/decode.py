"""Bytes to text, one way for dump files and web pages alike.

The character set is chosen in this order; the first that applies wins:

1. a byte order mark (UTF-8, UTF-16, UTF-32; with ``override`` set, a UTF-16 or
   UTF-32 mark only when ``override`` names that encoding);
2. ``override``, a codec named in the configuration: bytes that are not valid in it
   are an error, never a guess;
3. ``declared``, the charset of a Content-Type header, unless the bytes are not
   valid in it: then what the steps below find, with a warning;
4. with ``markup``, a ``<meta>`` charset or an XML declaration in the first 4 KB;
5. UTF-8, when the bytes are valid UTF-8;
6. windows-1251, when the bytes look like Cyrillic text in it;
7. charset-normalizer's guess;
8. UTF-8 with the undecodable bytes replaced, with a warning.

Latin-1 and ASCII labels found in the data or a header mean windows-1252, as they do
in browsers.  Data that is mostly not text (control codes, undecodable bytes) is
refused as binary; a few stray control codes are removed, with a warning.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass

from feeds.errors import InputError
from feeds.text.clean import without_terminal_escapes

#: How much of a page is searched for a ``<meta>`` charset or an XML declaration.
SNIFF_BYTES = 4096
#: Above this share of control codes and undecodable bytes, data is binary, not text.
BINARY_SHARE = 0.10

EMPTY = "empty file (no text in it)"


@dataclass(frozen=True)
class Decoded:
    """Text read from bytes, the codec it was read with, and what was doubtful."""

    text: str
    #: Python's codec name ("utf-8", "cp1251", "koi8-r"...).
    codec: str
    #: Each ``"<locator>: <what>"``, ready for a run's warnings.
    warnings: tuple[str, ...] = ()


_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    # UTF-32 LE before UTF-16 LE: its mark starts with the same two bytes.
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Python codecs that no file or page is written in; UTF-7 is refused as browsers
# refuse it (it can smuggle markup past filters).
_NOT_CHARSETS = frozenset(
    {"idna", "punycode", "unicode-escape", "raw-unicode-escape", "undefined", "utf-7"}
)
# Labels read as browsers read them (and UTF-16/32 without a mark as little-endian).
_WEB_NAMES = {
    "iso8859-1": "cp1252",
    "ascii": "cp1252",
    "utf-16": "utf-16-le",
    "utf-32": "utf-32-le",
}
_META_CHARSET = re.compile(rb"""<meta\b[^>]*?\bcharset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml\b[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9_.:-]+)""", re.I)
# C0 controls but tab, line feed, form feed and carriage return; and DEL.
_STRAY = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")


_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([^\s"';,]+)""", re.IGNORECASE)


def declared_charset(content_type: str) -> str | None:
    """The charset label a Content-Type header names, if any."""
    match = _HEADER_CHARSET.search(content_type)
    return match.group(1) if match else None


def decode_bytes(
    data: bytes,
    *,
    locator: str,
    declared: str | None = None,
    override: str | None = None,
    markup: bool = False,
) -> Decoded:
    """Decode a file or page; raise :class:`InputError` for empty, binary or (with
    ``override``) undecodable data.  ``locator`` names it in messages and warnings."""
    if not data.strip():
        raise InputError(locator, EMPTY)
    warnings: list[str] = []
    text, codec, replaced = _choose(data, locator, declared, override, markup, warnings)
    text = _without_stray_controls(text, replaced, data, locator, warnings)
    if not text.strip():
        raise InputError(locator, EMPTY)
    return Decoded(text, codec, tuple(warnings))


def _choose(
    data: bytes,
    locator: str,
    declared: str | None,
    override: str | None,
    markup: bool,
    warnings: list[str],
) -> tuple[str, str, int]:
    """``(text, codec, replacement characters introduced)``."""
    for bom, codec in _BOMS:
        if data.startswith(bom) and _mark_counts(codec, override):
            text = data[len(bom) :].decode(codec, errors="replace")
            replaced = text.count("\ufffd")
            if replaced:
                warnings.append(
                    f"{locator}: {replaced} byte sequences not valid {codec} (the byte order"
                    " mark's encoding) replaced"
                )
            return text, codec, replaced
    if override is not None:
        return (*_overridden(data, override, locator), 0)
    if declared is not None:
        named = _web_codec(declared)
        if named is None:
            warnings.append(f"{locator}: unknown charset {declared.strip()!r} ignored")
        else:
            what = f"declared charset {declared.strip()}"
            return _fitting_or_else(data, named, what, locator, markup, warnings)
    sniffed = _sniffed_codec(data) if markup else None
    if sniffed is not None:
        label, codec = sniffed
        what = f"charset {label} named in the page"
        return _fitting_or_else(data, codec, what, locator, False, warnings)
    found = _detect(data)
    if found is not None:
        return (*found, 0)
    text = data.decode("utf-8", errors="replace")
    replaced = text.count("\ufffd")
    warnings.append(
        f"{locator}: character set not recognised; read as UTF-8 with {replaced} undecodable"
        " byte sequences replaced"
    )
    return text, "utf-8", replaced


def _mark_counts(codec: str, override: str | None) -> bool:
    """Whether a byte order mark decides, given the configured encoding.

    The UTF-8 mark always does ("п»ї" starts no real text).  The UTF-16 and UTF-32
    marks are also "юя", "яю" in windows-1251: with another encoding configured, the
    configuration decides."""
    if override is None or codec == "utf-8":
        return True
    configured = _codec(override) or ""
    return configured.startswith(codec[:6])


def _overridden(data: bytes, override: str, locator: str) -> tuple[str, str]:
    """Decode with the configured codec, as named: no browser aliases, no guessing."""
    codec = _codec(override)
    if codec is None:
        raise InputError(
            locator, f"unknown encoding {override!r}: name a character set such as utf-8 or cp1251"
        )
    try:
        return data.decode(codec), codec
    except UnicodeError as exc:
        at = ""
        if isinstance(exc, UnicodeDecodeError) and exc.start < len(data):
            at = f": byte 0x{data[exc.start]:02x} at offset {exc.start}"
        raise InputError(locator, f"not valid {override}{at} ({_suggestion(data)})") from None


def _suggestion(data: bytes) -> str:
    if _looks_like_cp1251(data):
        return "windows-1251 expected? set encoding: cp1251"
    if _fits(data, "utf-8") is not None:
        return "UTF-8 expected? set encoding: utf-8"
    return "set encoding: auto to have it detected"


def _fitting_or_else(
    data: bytes, codec: str, what: str, locator: str, markup: bool, warnings: list[str]
) -> tuple[str, str, int]:
    """Read with ``codec`` when it fits the bytes; otherwise with what the page names
    or detection finds, saying so; as a last resort with ``codec`` and replacements."""
    text = _fits(data, codec)
    if text is not None:
        return text, codec, 0
    found = (_sniffed(data) if markup else None) or _detect(data)
    if found is not None:
        text, other = found
        if other != codec:
            warnings.append(f"{locator}: {what} does not fit the bytes; read as {_label(other)}")
        return text, other, 0
    text = data.decode(codec, errors="replace")
    replaced = text.count("\ufffd")
    warnings.append(
        f"{locator}: {what} does not fit the bytes; {replaced} undecodable byte sequences replaced"
    )
    return text, codec, replaced


def _detect(data: bytes) -> tuple[str, str] | None:
    """Strict UTF-8, then windows-1251 for Cyrillic-looking bytes, then a best guess."""
    text = _fits(data, "utf-8")
    if text is not None:
        return text, "utf-8"
    if _looks_like_cp1251(data):
        return data.decode("cp1251"), "cp1251"
    import charset_normalizer  # rarely needed, and slow to import

    best = charset_normalizer.from_bytes(data).best()
    codec = _web_codec(best.encoding) if best is not None else None
    text = _fits(data, codec) if codec is not None else None
    return (text, codec) if text is not None and codec is not None else None


def _sniffed_codec(data: bytes) -> tuple[str, str] | None:
    """``(label, codec)`` of a ``<meta>`` charset or XML declaration near the start."""
    head = data[:SNIFF_BYTES]
    match = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    label = match.group(1).decode("ascii") if match else None
    codec = _web_codec(label) if label else None
    if label is None or codec is None:
        return None
    # Markup that could be read as ASCII is not UTF-16 or UTF-32, whatever it says.
    return label, "utf-8" if codec.startswith(("utf-16", "utf-32")) else codec


def _sniffed(data: bytes) -> tuple[str, str] | None:
    sniffed = _sniffed_codec(data)
    text = _fits(data, sniffed[1]) if sniffed is not None else None
    return (text, sniffed[1]) if text is not None and sniffed is not None else None


def _fits(data: bytes, codec: str) -> str | None:
    """The text when the bytes decode in ``codec`` without errors."""
    try:
        return data.decode(codec)
    except UnicodeError:
        return None


def _codec(label: str) -> str | None:
    """Python's name for a character set label; None for unknown labels and for
    codecs that are not character sets (base64, idna...)."""
    try:
        name = codecs.lookup(label.strip()).name
        "x".encode(name)
    except (LookupError, UnicodeError, ValueError):
        return None
    return None if name in _NOT_CHARSETS else name


def _web_codec(label: str) -> str | None:
    """As :func:`_codec`, for labels found in data or headers: read as browsers do."""
    name = _codec(label)
    if name is None:
        return None
    return _WEB_NAMES.get(name, name)


def _label(codec: str) -> str:
    """The name a person knows a codec by ("windows-1251" rather than "cp1251")."""
    return re.sub(r"^cp(125\d)$", r"windows-\1", codec)


def _without_stray_controls(
    text: str, replaced: int, data: bytes, locator: str, warnings: list[str]
) -> str:
    # An escape sequence goes whole, not just its ESC: no "[31m" is left in a title.
    cleaned, escapes = without_terminal_escapes(text)
    cleaned, controls = _STRAY.subn("", cleaned)
    bad = escapes + controls + replaced
    if bad > BINARY_SHARE * len(text):
        if data.count(0) * 4 >= len(data):
            hint = "UTF-16 without a byte order mark? set encoding: utf-16-le or utf-16-be"
        else:
            hint = "if it is text, name its character set with encoding:"
        raise InputError(
            locator,
            f"binary file, not text ({bad} of {len(text)} characters are control codes or"
            f" undecodable); {hint}",
        )
    removed = [
        f"{count} {what}{'s' if count > 1 else ''}"
        for count, what in (
            (escapes, "terminal escape sequence"),
            (controls, "stray control character"),
        )
        if count
    ]
    if removed:
        warnings.append(f"{locator}: {' and '.join(removed)} removed")
    return cleaned


# -- text that did not decode ------------------------------------------------------

#: Text in which more than this share of the characters are U+FFFD was read with the
#: wrong character set: a title like that is never published.
UNREADABLE_SHARE = 0.2


def unreadable(text: str) -> bool:
    """True when ``text`` is largely replacement characters (U+FFFD)."""
    shown = "".join(text.split())
    return bool(shown) and shown.count("\ufffd") > UNREADABLE_SHARE * len(shown)


def charset_hint(text: str) -> str:
    """``""``, or a note for an error message when ``text`` holds many replacement
    characters: the likely cause of a page or file without a readable article."""
    count = text.count("\ufffd")
    if count < max(4, len(text) // 500):
        return ""
    return (
        f" ({count} characters could not be decoded: is the character set wrong? a dump "
        "source can name it with encoding:)"
    )


# -- windows-1251 ------------------------------------------------------------------


def _cp1251_letters() -> tuple[bytes, bytes]:
    """The bytes that are Cyrillic letters in windows-1251, and the lower-case ones."""
    letters, lower = bytearray(), bytearray()
    for byte in range(0x80, 0x100):
        char = bytes([byte]).decode("cp1251", errors="ignore")
        if char.isalpha() and unicodedata.name(char, "").startswith("CYRILLIC"):
            letters.append(byte)
            if char.islower():
                lower.append(byte)
    return bytes(letters), bytes(lower)


_LETTERS, _LOWER = _cp1251_letters()
_ASCII = bytes(range(0x80))
_NOT_LETTERS = bytes(b for b in range(0x100) if b not in _LETTERS)
_NOT_LOWER = bytes(b for b in range(0x100) if b not in _LOWER)
# Letters as "L", everything else as ".": a split on "." then counts lone letters fast.
_LETTER_MAP = bytes(ord("L") if b in _LETTERS else ord(".") for b in range(0x100))


def _looks_like_cp1251(data: bytes) -> bool:
    """True when the bytes read as Cyrillic words in windows-1251.

    Three tells, all needed: nearly every non-ASCII byte is a Cyrillic letter there;
    lower case dominates (KOI8-R puts its lower case where windows-1251 has upper
    case); and the letters stand next to each other, as in words (an accented letter
    of a Western language also falls in that range, but stands between ASCII ones).
    """
    high = data.translate(None, _ASCII)
    if not high:
        return False
    letters = len(high.translate(None, _NOT_LETTERS))
    lower = len(high.translate(None, _NOT_LOWER))
    if letters < 0.8 * len(high) or 2 * lower < letters:
        return False
    alone = data.translate(_LETTER_MAP).split(b".").count(b"L")
    if letters - alone < 0.6 * letters:
        return False
    return _fits(data, "cp1251") is not None
