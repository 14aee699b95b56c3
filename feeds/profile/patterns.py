"""Field types of site profiles: case-insensitive regular expressions, checked when a
profile is validated and compiled again, in a later run, when first used.

Profiles are standard dataclasses, like the config (see :mod:`feeds.fields`): a run
whose profile is unchanged uses a validated copy from the cache without importing
pydantic.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Annotated, Any

from feeds.fields import Before, Check, kind_of

_FLAGS = re.IGNORECASE
# What parsers use of a pattern.
_FORWARDED = ("search", "match", "fullmatch", "finditer", "sub", "groupindex")


class LazyPattern:
    """A profile's regular expression, matched case-insensitively and compiled when first
    used.

    Validating a profile compiles every pattern, which is how a bad one is found.  A profile
    read back from the cache compiles a pattern only when a parser first asks for it: a run
    that parses a few dumps uses about half of the patterns, and compiling them all cost
    about 20 ms of such a run.
    """

    def __init__(self, pattern: str, compiled: re.Pattern[str] | None = None) -> None:
        self.pattern = pattern
        if compiled is not None:
            self._bind(compiled)

    if TYPE_CHECKING:

        def search(
            self, string: str, pos: int = ..., endpos: int = ...
        ) -> re.Match[str] | None: ...

        def match(self, string: str, pos: int = ..., endpos: int = ...) -> re.Match[str] | None: ...

        def fullmatch(
            self, string: str, pos: int = ..., endpos: int = ...
        ) -> re.Match[str] | None: ...

        def finditer(
            self, string: str, pos: int = ..., endpos: int = ...
        ) -> Iterator[re.Match[str]]: ...

        def sub(self, repl: str, string: str, count: int = ...) -> str: ...

        groupindex: Mapping[str, int]

    def __getattr__(self, name: str) -> Any:
        # Reached only before the first use: the compiled pattern's methods then become
        # this object's own attributes, so later calls cost no more than on the pattern.
        if name not in _FORWARDED:
            raise AttributeError(name)
        compiled = re.compile(self.pattern, _FLAGS)
        self._bind(compiled)
        return getattr(compiled, name)

    def _bind(self, compiled: re.Pattern[str]) -> None:
        for name in _FORWARDED:
            setattr(self, name, getattr(compiled, name))

    def __reduce__(self) -> tuple[type[LazyPattern], tuple[str]]:
        return (LazyPattern, (self.pattern,))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LazyPattern) and other.pattern == self.pattern

    def __hash__(self) -> int:
        return hash(self.pattern)

    def __repr__(self) -> str:
        return f"LazyPattern({self.pattern!r})"


#: Unknown keys are errors; YAML lists are read as tuples (the classes hold patterns,
#: zones and tuples, so values are not checked as strictly as the config's).
PROFILE_CONFIG: dict[str, Any] = {"extra": "forbid", "arbitrary_types_allowed": True}


def _compile(value: Any, template: str = "{}") -> LazyPattern:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected a non-empty regex string, got {kind_of(value)}")
    pattern = template.format(value)
    try:
        return LazyPattern(pattern, re.compile(pattern, _FLAGS))
    except re.error as exc:
        raise ValueError(f"invalid regex: {exc}") from None


def _compile_anchored(value: Any) -> LazyPattern:
    return _compile(value, "^(?:{})$")


#: A regular expression, matched case-insensitively.
Pattern = Annotated[LazyPattern, Before(_compile)]
#: A regular expression that must match a whole line.
Anchored = Annotated[LazyPattern, Before(_compile_anchored)]


def _groups(*groups: str) -> Check:
    """A check that a pattern names ``groups``."""

    def check(pattern: LazyPattern) -> LazyPattern:
        missing = [g for g in groups if g not in pattern.groupindex]
        if missing:
            raise ValueError(f"regex lacks the group(s) {', '.join(missing)}")
        return pattern

    return Check(check)


#: A date pattern naming the groups day, month and year.
FullDate = Annotated[LazyPattern, Before(_compile), _groups("day", "month", "year")]
#: A date phrase naming at least day and month.
DayMonth = Annotated[LazyPattern, Before(_compile), _groups("day", "month")]
