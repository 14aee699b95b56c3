"""Schemas of the YAML files people write (sources.yaml, site profiles), with pydantic.

Every problem is reported, each as ``<file>:<line>: <key path>: <what is wrong>``, so a
typo is found in one go.  Unknown keys are errors: a misspelt key must not pass silently.
Both are standard dataclasses that pydantic validates (see :mod:`feeds.fields`).
"""

from __future__ import annotations

import dataclasses
import difflib
import typing
from collections.abc import Iterable, Sequence
from typing import Annotated, Any, get_args, get_origin

from pydantic import TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from feeds.errors import ConfigError
from feeds.fields import kind_of
from feeds.yamlfile import Located, Path, dotted

# --- problems -------------------------------------------------------------------------


_EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "float_type": "a number",
    "bool_type": "true/false",
    "list_type": "a list",
    "tuple_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "dataclass_type": "a mapping",
    "dataclass_args_type": "a mapping",
    "date_type": "a date YYYY-MM-DD",
}


class Problems:
    """Problems found in one YAML document, kept in the order a reader meets them."""

    def __init__(self, located: Located, prefix: Path = ()) -> None:
        self.located = located
        self.prefix = prefix
        self._found: list[tuple[tuple[int, int, int], str]] = []
        self._trailing: list[str] = []

    def add(self, path: Path, message: str, *, first: bool = False) -> None:
        """A problem at ``path`` (relative to the prefix); ``first`` sorts it before the
        other problems of the same line (unknown keys come before bad values)."""
        full = (*self.prefix, *path)
        where = self.located.locate(full)
        name = dotted(full)
        position = self.located.position(full) or (0, 0)
        order = (position[0], 0 if first else 1, position[1])
        self._found.append((order, f"{where}: {name + ': ' if name else ''}{message}"))

    def add_trailing(self, path: Path, message: str) -> None:
        """A problem about a whole list or document, reported after the others."""
        full = (*self.prefix, *path)
        name = dotted(full)
        self._trailing.append(
            f"{self.located.locate(full)}: {name + ': ' if name else ''}{message}"
        )

    def extend_from(self, error: ValidationError, model: type[Any], data: Any) -> None:
        for detail in error.errors():
            path = _data_path(detail["loc"], data)
            if detail["type"] in ("union_tag_invalid", "union_tag_not_found"):
                path = (*path, str(detail.get("ctx", {}).get("discriminator", "")).strip("'\""))
            self.add(
                path, _message(detail, model, data, path), first=detail["type"] in _UNKNOWN_KEY
            )

    def __bool__(self) -> bool:
        return bool(self._found or self._trailing)

    @property
    def lines(self) -> list[str]:
        return [line for _, line in sorted(self._found, key=lambda f: f[0])] + self._trailing

    def raise_if_any(self) -> None:
        if self:
            raise ConfigError(self.lines)


def _child(here: Any, part: int | str) -> tuple[bool, Any]:
    """Whether ``here`` holds ``part`` (a key of a mapping, an index of a list), and what."""
    if isinstance(here, dict) and part in here:
        return True, here[part]
    if isinstance(here, list) and isinstance(part, int) and 0 <= part < len(here):
        return True, here[part]
    return False, None


def _data_path(loc: Sequence[int | str], data: Any) -> Path:
    """The path of an error in the data, without the union tags pydantic inserts."""
    path: list[str | int] = []
    here = data
    for part in loc:
        found, below = _child(here, part)
        if found:
            path.append(part)
            here = below
        elif isinstance(here, dict) and isinstance(part, str) and part != here.get("type"):
            # A missing key (pydantic also names the member of a tagged union, the value
            # of its "type" key: that one is no key of the data).
            path.append(part)
            here = None
    return tuple(path)


#: How pydantic names a key no field takes: models and dataclasses say it differently.
_UNKNOWN_KEY = ("extra_forbidden", "unexpected_keyword_argument")
_MISSING = ("missing", "missing_keyword_only_argument", "missing_argument")


def _message(detail: ErrorDetails, model: type[Any], data: Any, path: Path) -> str:
    kind = detail["type"]
    ctx = detail.get("ctx") or {}
    if kind in _UNKNOWN_KEY:
        allowed = _fields_at(model, data, path[:-1])
        hint = difflib.get_close_matches(str(path[-1]), allowed, n=1, cutoff=0.75) if path else []
        return "unknown key" + (f" (did you mean {hint[0]!r}?)" if hint else "")
    if kind in _MISSING:
        return "required key is missing"
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", detail["msg"]))
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {kind_of(detail['input'])}"
    if kind == "greater_than":
        return f"must be greater than {ctx.get('gt', 0):g}"
    if kind == "greater_than_equal":
        limit = ctx.get("ge", 0)
        return "must not be negative" if limit == 0 else f"must be at least {limit:g}"
    if kind == "less_than_equal":
        return f"must be at most {ctx.get('le', 0):g}"
    if kind == "less_than":
        return f"must be less than {ctx.get('lt', 0):g}"
    if kind == "too_short":
        return "expected at least one item"
    if kind == "union_tag_invalid":
        expected = str(ctx.get("expected_tags", "")).replace("'", "")
        what = "source type" if path[:1] == ("sources",) else "type"
        return f"unknown {what} {ctx.get('tag')!r} (one of: {expected})"
    if kind == "union_tag_not_found":
        return "required key is missing"
    return str(detail["msg"])


def _fields_at(model: type[Any], data: Any, path: Path) -> list[str]:
    """Key names allowed where ``path`` points (for "did you mean")."""
    current: Any = model
    here = data
    for part in path:
        here = _child(here, part)[1]
        current = _inner(current, part, here)
        if current is None:
            return []
    fields = _fields(current)
    return list(fields) if fields is not None else []


def _fields(current: Any) -> dict[str, Any] | None:
    """The keys a schema class takes and their types; None for anything else."""
    if not isinstance(current, type):
        return None
    if dataclasses.is_dataclass(current):
        hints = typing.get_type_hints(current, include_extras=True)
        return {f.name: hints[f.name] for f in dataclasses.fields(current) if f.init}
    return None


def _inner(current: Any, part: str | int, value: Any) -> Any:
    """The type found one step down from ``current``."""
    fields = _fields(current)
    if fields is not None:
        annotation = fields.get(str(part))
        return _unwrap(annotation, value) if annotation is not None else None
    return _unwrap(current, value)


def _unwrap(annotation: Any, value: Any) -> Any:
    origin = get_origin(annotation)
    if origin is Annotated:
        return _unwrap(get_args(annotation)[0], value)
    if origin in (list, tuple) and get_args(annotation):
        return get_args(annotation)[0]
    members = [a for a in get_args(annotation) if _fields(a) is not None]
    if members:
        tag = value.get("type") if isinstance(value, dict) else None
        for member in members:
            literal = (_fields(member) or {}).get("type")
            if literal is not None and tag in get_args(_unwrap(literal, None)):
                return member
        return members[0]
    return annotation


def validate(
    model: type[Any], located: Located, problems: Problems, data: Any = None
) -> Any | None:
    """``data`` (default: the whole document) as ``model``; None after reporting problems."""
    data = located.data if data is None else data
    try:
        return _adapter(model).validate_python(data)
    except ValidationError as exc:
        problems.extend_from(exc, model, data)
        return None


_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def _adapter(model: type[Any]) -> TypeAdapter[Any]:
    if model not in _ADAPTERS:
        _ADAPTERS[model] = TypeAdapter(model)
    return _ADAPTERS[model]


def names(values: Iterable[str]) -> str:
    return ", ".join(values)
