"""The site profile: everything feeds knows about one site's pages, as data.

The packaged profile (``feeds/profiles/csto/*.yaml``) holds the dump phrases and the
HTML selectors; ``profile:`` in sources.yaml overrides any key of it, so a markup
change on the site is a config edit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from feeds.config import Config
from feeds.errors import ConfigError
from feeds.parsing.dump_rules import DumpRules
from feeds.parsing.html_rules import HtmlRules

PROFILE_PACKAGE = "feeds.profiles"
DEFAULT_PROFILE = "csto"


@dataclass(frozen=True)
class Profile:
    dump: DumpRules
    html: HtmlRules


def _packaged(part: str) -> dict[str, Any]:
    text = (
        resources.files(PROFILE_PACKAGE)
        .joinpath(DEFAULT_PROFILE, f"{part}.yaml")
        .read_text("utf-8")
    )
    data = yaml.safe_load(text)
    return data if isinstance(data, dict) else {}


def merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Deep merge: mappings merge key by key; any other value replaces the base's."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def profile_for(config: Config) -> Profile:
    """The profile a configuration runs with, dated in its site's zone."""
    return load_profile(config.profile, config.where, timezone=config.site.timezone)


def load_profile(
    overrides: Mapping[str, Any], where: str, *, timezone: str | None = None
) -> Profile:
    """The packaged profile with the config's overrides; every problem reported.

    ``timezone`` (the config's ``site.timezone``) is the zone page timestamps are dated
    in, unless the overrides name one under ``html.dates.zone``.
    """
    problems: list[str] = []
    html_overrides = dict(overrides.get("html") or {})
    if timezone is not None:
        html_overrides = merge({"dates": {"zone": timezone}}, html_overrides)
    dump = html = None
    try:
        dump = DumpRules.from_mapping(
            merge(_packaged("dump"), overrides.get("dump") or {}), f"{where}: profile.dump"
        )
    except ConfigError as exc:
        problems.extend(exc.problems)
    try:
        html = HtmlRules.from_mapping(
            merge(_packaged("html"), html_overrides), f"{where}: profile.html"
        )
    except ConfigError as exc:
        problems.extend(exc.problems)
    if problems or dump is None or html is None:
        raise ConfigError(problems)
    return Profile(dump=dump, html=html)
