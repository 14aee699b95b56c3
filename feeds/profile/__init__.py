"""The site profile: everything feeds knows about one site's pages, as data.

The packaged profile (``feeds/profile/csto/*.yaml``) holds the dump phrases and the HTML
selectors; ``profile:`` in sources.yaml overrides any key of it, so a markup change on
the site is a config edit.  Both parts are validated by their schemas
(:class:`~feeds.profile.dump.DumpRules`, :class:`~feeds.profile.html.HtmlRules`), every
problem reported at once.  A validated profile is kept in the user's cache folder
(:mod:`feeds.cache`), so a run with the same overrides reads neither YAML nor imports
pydantic.

May import ``feeds.schema``, ``feeds.yamlfile``, ``feeds.errors``, ``feeds.cache`` and
``feeds.config``.
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from feeds import cache as validated
from feeds.config import Config
from feeds.errors import ConfigError
from feeds.profile.dump import DumpRules
from feeds.profile.html import HtmlRules

if TYPE_CHECKING:
    from feeds.yamlfile import Located

DEFAULT_PROFILE = "csto"

__all__ = ["DumpRules", "HtmlRules", "Profile", "load_profile", "merge", "profile_for"]


@dataclass(frozen=True)
class Profile:
    dump: DumpRules
    html: HtmlRules


@cache
def _packaged(part: str) -> Located:
    from feeds.yamlfile import read_yaml

    name = f"{DEFAULT_PROFILE}/{part}.yaml"
    text = (Path(__file__).parent / name).read_text("utf-8")
    return read_yaml(text, f"feeds/profile/{name}")


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
    # An entry is named by what it was validated from, pickled (which, unlike JSON,
    # tells the key 1 from "1"); ``where`` only names problems, and a profile with
    # problems is never kept.
    name = pickle.dumps((dict(overrides), timezone), protocol=pickle.HIGHEST_PROTOCOL)
    kept = validated.load(validated.PROFILES, name, name)
    if isinstance(kept, Profile):
        return kept
    profile = _validate(overrides, where, timezone)
    validated.store(validated.PROFILES, name, name, profile)
    return profile


def _validate(overrides: Mapping[str, Any], where: str, timezone: str | None) -> Profile:
    html_overrides: dict[str, Any] = dict(overrides.get("html") or {})
    if timezone is not None:
        html_overrides = merge({"dates": {"zone": timezone}}, html_overrides)
    lines: list[str] = []
    dump = _part(DumpRules, "dump", overrides.get("dump") or {}, where, lines)
    html = _part(HtmlRules, "html", html_overrides, where, lines)
    if lines or dump is None or html is None:
        raise ConfigError(lines)
    return Profile(dump=dump, html=html)


def default_profile() -> Profile:
    """The packaged profile with no overrides."""
    return load_profile({}, "feeds/profile")


def _part(
    model: type[Any], part: str, override: Mapping[str, Any], where: str, lines: list[str]
) -> Any:
    from feeds.yamlfile import Located

    packaged = _packaged(part)
    if not override:
        return rules_from(model, packaged, lines)
    # Problems of an override are named by their key path under profile.<part>.
    merged = Located(merge(packaged.data or {}, override), where)
    return rules_from(model, merged, lines, prefix=("profile", part))


def rules_from(
    model: type[Any], located: Located, lines: list[str], prefix: tuple[str, ...] = ()
) -> Any:
    """``located`` read as ``model``; problems added to ``lines`` (None when any)."""
    from feeds.schema import Problems, validate

    problems = Problems(located, prefix=prefix)
    result = validate(model, located, problems)
    lines.extend(problems.lines)
    return result
