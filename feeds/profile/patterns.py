"""Field types of site profiles: case-insensitive regular expressions, compiled at load.

Profiles are standard dataclasses, like the config (see :mod:`feeds.fields`): a run
whose profile is unchanged uses a validated copy from the cache without importing
pydantic.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from feeds.fields import Before, Check, kind_of

_FLAGS = re.IGNORECASE

#: Unknown keys are errors; YAML lists are read as tuples (the classes hold patterns,
#: zones and tuples, so values are not checked as strictly as the config's).
PROFILE_CONFIG: dict[str, Any] = {"extra": "forbid", "arbitrary_types_allowed": True}


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
Pattern = Annotated[re.Pattern[str], Before(_compile)]
#: A regular expression that must match a whole line.
Anchored = Annotated[re.Pattern[str], Before(_compile_anchored)]


def _groups(*groups: str) -> Check:
    """A check that a pattern names ``groups``."""

    def check(pattern: re.Pattern[str]) -> re.Pattern[str]:
        missing = [g for g in groups if g not in pattern.groupindex]
        if missing:
            raise ValueError(f"regex lacks the group(s) {', '.join(missing)}")
        return pattern

    return Check(check)


#: A date pattern naming the groups day, month and year.
FullDate = Annotated[re.Pattern[str], Before(_compile), _groups("day", "month", "year")]
#: A date phrase naming at least day and month.
DayMonth = Annotated[re.Pattern[str], Before(_compile), _groups("day", "month")]
