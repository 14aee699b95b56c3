"""Releases and health records as stored JSON text (pydantic does the work).

The adapters are built when first used: building one compiles a validator, which a run
that reads or writes no release need not pay for."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from feeds.model import Release, SourceHealth

if TYPE_CHECKING:
    from pydantic import TypeAdapter


@cache
def _release() -> TypeAdapter[Release]:
    from pydantic import TypeAdapter

    return TypeAdapter(Release)


@cache
def _health() -> TypeAdapter[SourceHealth]:
    from pydantic import TypeAdapter

    return TypeAdapter(SourceHealth)


def release_to_json(release: Release) -> str:
    return _release().dump_json(release).decode()


def release_from_json(text: str) -> Release:
    return _release().validate_json(text)


def health_to_json(health: SourceHealth) -> str:
    return _health().dump_json(health).decode()


def health_from_json(text: str) -> SourceHealth:
    return _health().validate_json(text)
