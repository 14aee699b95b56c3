"""Releases and health records as stored JSON text (pydantic does the work)."""

from __future__ import annotations

from pydantic import TypeAdapter

from feeds.model import Release, SourceHealth

_RELEASE = TypeAdapter(Release)
_HEALTH = TypeAdapter(SourceHealth)


def release_to_json(release: Release) -> str:
    return _RELEASE.dump_json(release).decode()


def release_from_json(text: str) -> Release:
    return _RELEASE.validate_json(text)


def health_to_json(health: SourceHealth) -> str:
    return _HEALTH.dump_json(health).decode()


def health_from_json(text: str) -> SourceHealth:
    return _HEALTH.validate_json(text)
