"""Field types of ``sources.yaml``, declared in plain Python for pydantic to enforce.

The config's classes are standard dataclasses, so a run whose config is unchanged can
use a validated copy without importing pydantic (see :mod:`feeds.config`).  What
pydantic must check is said with the markers below, inside ``Annotated``: pydantic asks
each marker for its part of the schema (``__get_pydantic_core_schema__``) when it
validates, and only then is ``pydantic_core`` imported.
"""

from __future__ import annotations

import codecs
import re
import zoneinfo
from collections.abc import Callable
from typing import Annotated, Any, get_args, get_type_hints
from urllib.parse import urlsplit

from feeds.text.urls import WEB_SCHEMES, is_absolute

#: Unknown keys are errors: a misspelt key must not pass silently.
FORBID_EXTRA: dict[str, Any] = {"extra": "forbid"}


class _Strict:
    """Only values of the field's own type: "3" is no number, 1 is no true."""

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        schema = handler(source)
        schema["strict"] = True
        return schema


class _Bound:
    """A number bounded below or above (``ge``, ``gt``, ``le``)."""

    def __init__(self, key: str, value: float) -> None:
        self.key = key
        self.value = value

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        schema = handler(source)
        schema[self.key] = self.value
        return schema


def at_least(value: float) -> _Bound:
    return _Bound("ge", value)


def above(value: float) -> _Bound:
    return _Bound("gt", value)


class Check:
    """A check run on the value once its type is right: ``check`` returns the value or
    raises ValueError with the message a user reads."""

    def __init__(self, check: Callable[[Any], Any]) -> None:
        self.check = check

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        return core_schema.no_info_after_validator_function(self.check, handler(source))


class Tagged:
    """A union of dataclasses told apart by the value of one key (``type:``)."""

    def __init__(self, key: str) -> None:
        self.key = key

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        choices = {}
        for member in get_args(source):
            # The member's tag is the one value its Literal key allows.
            tag = get_args(get_type_hints(member)[self.key])[0]
            choices[tag] = handler.generate_schema(member)
        return core_schema.tagged_union_schema(choices, self.key)


STRICT = _Strict()
Text = Annotated[str, STRICT]
Integer = Annotated[int, STRICT]
Number = Annotated[float, STRICT]
Flag = Annotated[bool, STRICT]


# --- checks of single values ---------------------------------------------------------------


def web_url(value: str) -> str:
    if not is_absolute(value):
        scheme = urlsplit(value).scheme.lower()
        if scheme == "file":
            raise ValueError(
                "file URLs are refused: expected an absolute http(s) URL "
                "(a feed file on disk goes in path:)"
            )
        if len(scheme) > 1 and scheme not in WEB_SCHEMES:
            raise ValueError(f"{scheme} URLs are refused: expected an absolute http(s) URL")
        raise ValueError("expected an absolute http(s) URL")
    return value


def time_zone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}") from None
    return value


def encoding(value: str) -> str:
    if value != "auto":
        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(f"unknown encoding {value!r}") from None
    return value


def regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"invalid regular expression: {exc}") from None
    return value


WebUrl = Annotated[str, STRICT, Check(web_url)]
TimeZone = Annotated[str, STRICT, Check(time_zone)]
Encoding = Annotated[str, STRICT, Check(encoding)]
Regex = Annotated[str, STRICT, Check(regex)]
