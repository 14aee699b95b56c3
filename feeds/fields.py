"""Field types of ``sources.yaml`` and site profiles, declared in plain Python for pydantic
to enforce.

Both schemas are standard dataclasses, so a run whose config is unchanged can use
validated copies without importing pydantic (see :mod:`feeds.cache`).  What
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

_TYPE_NAMES = {
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "true/false",
    list: "a list",
    dict: "a mapping",
    type(None): "nothing",
}


def kind_of(value: object) -> str:
    """How messages name the type of a value a user wrote."""
    return _TYPE_NAMES.get(type(value), type(value).__name__)


#: Unknown keys are errors: a misspelt key must not pass silently.
FORBID_EXTRA: dict[str, Any] = {"extra": "forbid"}


class _Strict:
    """Only values of the field's own type: "3" is no number, 1 is no true."""

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        schema = handler(source)
        schema["strict"] = True
        return schema


class _Bound:
    """A number bounded below or above (``ge``, ``gt``, ``le``), or a shortest length."""

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


def at_most(value: float) -> _Bound:
    return _Bound("le", value)


def min_length(value: int) -> _Bound:
    return _Bound("min_length", value)


class Check:
    """A check run on the value once its type is right: ``check`` returns the value or
    raises ValueError with the message a user reads."""

    def __init__(self, check: Callable[[Any], Any]) -> None:
        self.check = check

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        return core_schema.no_info_after_validator_function(self.check, handler(source))


class Before:
    """A conversion run on the raw value before its type is checked (a regex string
    compiled, a list of names lower-cased): ``convert`` returns the new value or raises
    ValueError with the message a user reads."""

    def __init__(self, convert: Callable[[Any], Any]) -> None:
        self.convert = convert

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        return core_schema.no_info_before_validator_function(self.convert, handler(source))


class Prepared:
    """A dataclass whose raw mapping is rewritten (``prepare``) before its fields are
    validated, e.g. to fill a placeholder its patterns share."""

    @classmethod
    def prepare(cls, data: Any) -> Any:
        return data

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        return core_schema.no_info_before_validator_function(cls.prepare, handler(source))


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
#: A string with at least one character (a phrase, a name, a selector).
NonEmptyText = Annotated[Text, min_length(1)]


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
