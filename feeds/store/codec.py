"""Releases and health records as stored JSON text.

Releases are encoded and decoded with msgspec, which reads the dataclasses in
:mod:`feeds.model` directly and imports in a few milliseconds: a run that stores one new
release must not pay for pydantic (a third of a second to import) only to write it.
The stored text is also what content hashes are taken of, so it must never change for
the same release: it is the compact JSON pydantic wrote before, field by field in
declaration order, and a test holds the two to the same bytes.  The one thing msgspec
writes differently is a UTC offset with seconds (only a hostile feed gives one, and
pydantic drops the seconds): those releases still go through pydantic.

Health records are five flat fields in the standard library's JSON.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from functools import cache
from typing import TYPE_CHECKING

from feeds.model import HealthStatus, Release, SourceHealth

if TYPE_CHECKING:
    import msgspec
    from pydantic import TypeAdapter


@cache
def _msgspec() -> tuple[msgspec.json.Encoder, msgspec.json.Decoder[Release]]:
    # Made on first use: a run with nothing new reads no release.
    import msgspec

    return msgspec.json.Encoder(), msgspec.json.Decoder(Release)


@cache
def _pydantic_release() -> TypeAdapter[Release]:
    from pydantic import TypeAdapter

    return TypeAdapter(Release)


def release_to_json(release: Release) -> str:
    stamp = release.published_at
    offset = stamp.utcoffset() if stamp is not None else None
    if offset is not None and (offset.seconds % 60 or offset.microseconds):
        return _pydantic_release().dump_json(release).decode()
    return _msgspec()[0].encode(release).decode()


def release_from_json(text: str) -> Release:
    import msgspec

    try:
        return _msgspec()[1].decode(text)
    except msgspec.ValidationError:
        # msgspec takes only the exact types; pydantic also reads the looser shapes rows
        # had before (a number in a string), or raises.
        return _pydantic_release().validate_json(text)


def health_to_json(health: SourceHealth) -> str:
    fields = asdict(health) | {"status": health.status.value}
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":"))


def health_from_json(text: str) -> SourceHealth:
    fields = json.loads(text)
    return SourceHealth(
        status=HealthStatus(fields["status"]),
        items=int(fields["items"]),
        date_share=_share(fields.get("date_share")),
        body_share=_share(fields.get("body_share")),
        message=str(fields.get("message", "")),
    )


def _share(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None
