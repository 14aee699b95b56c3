"""Decoding dump files (to be replaced by the shared decoder)."""

from __future__ import annotations

import codecs

import charset_normalizer

from feeds.errors import InputError

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_document(data: bytes, *, locator: str, encoding: str = "auto") -> str:
    """Decode a dump file; ``encoding`` is "auto" or a codec name that overrides detection."""
    if not data.strip():
        raise InputError(locator, "empty file")
    bom_codec = next((codec for bom, codec in _BOMS if data.startswith(bom)), None)
    if encoding != "auto":
        return _decode_named(data, encoding, locator)
    if bom_codec is not None:
        return _decode_named(data, bom_codec, locator)
    _reject_binary(data, locator)
    text = _detect(data, locator)
    if not text.strip():
        raise InputError(locator, "empty file")
    return text


def _detect(data: bytes, locator: str) -> str:
    """Strict UTF-8, then windows-1251 for Cyrillic-looking bytes, then a best guess."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if _looks_cyrillic_1251(data):
        return data.decode("windows-1251", errors="replace")
    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        raise InputError(locator, "cannot detect the text encoding (name one with `encoding:`)")
    return str(best)


def _decode_named(data: bytes, encoding: str, locator: str) -> str:
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise InputError(locator, f"unknown encoding {encoding!r}") from None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputError(
            locator, f"not valid {encoding}: byte 0x{data[exc.start]:02x} at offset {exc.start}"
        ) from None
    text = text.removeprefix("\ufeff")
    if "\x00" in text:
        raise InputError(locator, f"binary file (NUL characters after decoding as {encoding})")
    if not text.strip():
        raise InputError(locator, "empty file")
    return text


def _reject_binary(data: bytes, locator: str) -> None:
    if b"\x00" in data:
        raise InputError(locator, "binary file (contains NUL bytes)")
    control = sum(1 for b in data if b < 32 and b not in (9, 10, 12, 13))
    # Text has next to no C0 control bytes; a handful may be stray, a lot means binary.
    if control > max(4, len(data) // 20):
        raise InputError(locator, f"binary file ({control} control bytes in {len(data)})")


def _looks_cyrillic_1251(data: bytes) -> bool:
    """windows-1251 puts the Cyrillic alphabet at 0xC0-0xFF: in Russian text those bytes
    outnumber the ASCII letters, while a stray accented letter in English text does not."""
    cyrillic = sum(1 for b in data if b >= 0xC0)
    latin = sum(1 for b in data if 65 <= b <= 90 or 97 <= b <= 122)
    return cyrillic > 0 and cyrillic >= latin
