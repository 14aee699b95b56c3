"""Bytes to text, for dumps and pages alike (interim version)."""

from __future__ import annotations

from dataclasses import dataclass

from feeds.errors import InputError


@dataclass(frozen=True)
class Decoded:
    text: str
    codec: str
    warnings: tuple[str, ...] = ()


def decode_bytes(
    data: bytes,
    *,
    locator: str,
    declared: str | None = None,
    override: str | None = None,
    markup: bool = False,
) -> Decoded:
    if markup:
        from feeds.sources.http import decode_body

        text, codec = decode_body(data, f"text/html; charset={declared}" if declared else "")
        return Decoded(text, codec)
    from feeds.parsing.text import decode_document

    if not data.strip():
        raise InputError(locator, "empty file")
    return Decoded(decode_document(data, locator=locator, encoding=override or "auto"), "auto")
