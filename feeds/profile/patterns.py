"""Field types of site profiles: case-insensitive regular expressions, compiled at load."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, ConfigDict

from feeds.schema import Schema, kind_of

_FLAGS = re.IGNORECASE


class ProfileSchema(Schema):
    """Profiles hold compiled patterns and read YAML lists as tuples."""

    model_config = ConfigDict(
        extra="forbid", strict=False, frozen=True, arbitrary_types_allowed=True
    )


def _compile(value: Any, template: str = "{}") -> re.Pattern[str]:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected a non-empty regex string, got {kind_of(value)}")
    try:
        return re.compile(template.format(value), _FLAGS)
    except re.error as exc:
        raise ValueError(f"invalid regex: {exc}") from None


def _compile_anchored(value: Any) -> re.Pattern[str]:
    return _compile(value, "^(?:{})$")


#: A regular expression, matched case-insensitively.
Pattern = Annotated[re.Pattern[str], BeforeValidator(_compile)]
#: A regular expression that must match a whole line.
Anchored = Annotated[re.Pattern[str], BeforeValidator(_compile_anchored)]


def _groups(*groups: str) -> Callable[[re.Pattern[str]], re.Pattern[str]]:
    """A check that a pattern names ``groups``."""

    def check(pattern: re.Pattern[str]) -> re.Pattern[str]:
        missing = [g for g in groups if g not in pattern.groupindex]
        if missing:
            raise ValueError(f"regex lacks the group(s) {', '.join(missing)}")
        return pattern

    return check


#: A date pattern naming the groups day, month and year.
FullDate = Annotated[
    re.Pattern[str], BeforeValidator(_compile), AfterValidator(_groups("day", "month", "year"))
]
#: A date phrase naming at least day and month.
DayMonth = Annotated[
    re.Pattern[str], BeforeValidator(_compile), AfterValidator(_groups("day", "month"))
]
