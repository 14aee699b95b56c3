"""Releases and health records as stored JSON text.

Releases go through pydantic, whose adapter is built when first used (building one
compiles a validator, which a run that stores no release need not pay for).  Health
records are read on every run, even one with nothing new, so they are five flat fields
in the standard library's JSON: importing pydantic would cost that run more than all
its work.  Both write the same compact JSON, field by field in declaration order."""

from __future__ import annotations

import json
from dataclasses import asdict
from functools import cache
from typing import TYPE_CHECKING

from feeds.model import HealthStatus, Release, SourceHealth

if TYPE_CHECKING:
    from pydantic import TypeAdapter


@cache
def _release() -> TypeAdapter[Release]:
    from pydantic import TypeAdapter

    return TypeAdapter(Release)


def release_to_json(release: Release) -> str:
    return _release().dump_json(release).decode()


def release_from_json(text: str) -> Release:
    return _release().validate_json(text)


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
