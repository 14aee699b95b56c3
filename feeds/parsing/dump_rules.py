"""The site knowledge the dump parser uses, loaded from a profile's ``dump.yaml``."""

from __future__ import annotations

import datetime as dt
import importlib.resources
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import yaml

from feeds.errors import ConfigError

_FLAGS = re.IGNORECASE
_T = TypeVar("_T")


@dataclass(frozen=True)
class DumpRules:
    """Compiled phrases and patterns of one site's text dumps."""

    navigation: tuple[re.Pattern[str], ...]
    contacts: tuple[re.Pattern[str], ...]
    signature_window: int
    date_formats: tuple[re.Pattern[str], ...]
    #: Lower-cased month name -> month number.
    months: Mapping[str, int]
    date_phrases: tuple[re.Pattern[str], ...]
    datelines: tuple[re.Pattern[str], ...]
    download_phrase: str
    attachment_file: re.Pattern[str]
    image_file: re.Pattern[str]
    video_marker: str
    earliest_date: dt.date
    max_title_length: int
    derived_title_length: int
    min_title_words: int
    title_search_lines: int
    not_title: tuple[re.Pattern[str], ...]
    #: Whole sentences that only greet ("Dear colleagues!"): never a teaser's derived title.
    salutations: tuple[re.Pattern[str], ...]
    #: Lower-cased words that end in a period without ending a sentence.
    abbreviations: frozenset[str]

    @classmethod
    def default(cls) -> DumpRules:
        """The rules shipped with feeds for the CSTO site."""
        resource = importlib.resources.files("feeds").joinpath("profiles/csto/dump.yaml")
        data = yaml.safe_load(resource.read_text(encoding="utf-8"))
        if not isinstance(data, Mapping):
            raise ConfigError(["feeds/profiles/csto/dump.yaml: not a mapping"])
        return cls.from_mapping(data, "feeds/profiles/csto/dump.yaml")

    @classmethod
    def from_mapping(cls, data: Mapping[str, object], where: str) -> DumpRules:
        """Validate and compile; raise ConfigError listing every problem found.

        ``where`` names the file, optionally followed by ": <key path>" of the mapping
        inside it (e.g. "sources.yaml: profile.dump"); problems read
        "<where>: <key>: <what>" or "<where>.<key>: <what>" respectively.
        """
        return _Loader(data, where).build()


class _Loader:
    """Reads one mapping, collecting problems instead of stopping at the first."""

    def __init__(self, data: Mapping[str, object], where: str) -> None:
        self.data = data
        self.where = where
        self.problems: list[str] = []

    def problem(self, path: str, what: str) -> None:
        sep = "." if ": " in self.where else ": "
        self.problems.append(f"{self.where}{sep}{path}: {what}")

    def build(self) -> DumpRules:
        known = set(DumpRules.__dataclass_fields__)
        for key in self.data:
            if key not in known:
                self.problem(str(key), "unknown key")
        months = self.months()
        month_alt = "|".join(re.escape(name) for name in sorted(months, key=len, reverse=True))
        values: dict[str, Any] = {
            "navigation": tuple(
                re.compile(rf"^(?:{p.pattern})$", _FLAGS) for p in self.regexes("navigation")
            ),
            "contacts": self.regexes("contacts"),
            "signature_window": self.integer("signature_window", 1),
            "date_formats": self.regexes("date_formats", groups=("day", "month", "year")),
            "months": months,
            "date_phrases": self.regexes(
                "date_phrases", groups=("day", "month"), month=month_alt or "(?!)"
            ),
            "datelines": self.regexes("datelines", month=month_alt or "(?!)"),
            "download_phrase": self.text("download_phrase"),
            "attachment_file": self.regex("attachment_file"),
            "image_file": self.regex("image_file"),
            "video_marker": self.text("video_marker"),
            "earliest_date": self.date("earliest_date"),
            "max_title_length": self.integer("max_title_length", 20),
            "derived_title_length": self.integer("derived_title_length", 20),
            "min_title_words": self.integer("min_title_words", 1),
            "title_search_lines": self.integer("title_search_lines", 1),
            "not_title": self.regexes("not_title"),
            "salutations": tuple(
                re.compile(rf"^(?:{p.pattern})$", _FLAGS) for p in self.regexes("salutations")
            ),
            "abbreviations": frozenset(word.casefold() for word in self.strings("abbreviations")),
        }
        if self.problems:
            raise ConfigError(self.problems)
        return DumpRules(**values)

    def get(self, key: str, kind: type[_T], what: str) -> _T | None:
        if key not in self.data:
            self.problem(key, "missing")
            return None
        value = self.data[key]
        if not isinstance(value, kind) or isinstance(value, bool):
            self.problem(key, f"expected {what}, got {type(value).__name__}")
            return None
        return value

    def text(self, key: str) -> str:
        value = self.get(key, str, "a string")
        if value is not None and not value.strip():
            self.problem(key, "must not be empty")
        return value or ""

    def integer(self, key: str, minimum: int) -> int:
        value = self.get(key, int, "an integer")
        if value is not None and value < minimum:
            self.problem(key, f"must be at least {minimum}")
        return value or minimum

    def date(self, key: str) -> dt.date:
        value = self.data.get(key)
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        if key not in self.data:
            self.problem(key, "missing")
        else:
            self.problem(key, f"expected a date YYYY-MM-DD, got {value!r}")
        return dt.date.min

    def strings(self, key: str) -> list[str]:
        items = self.get(key, list, "a list")
        if items is None:
            return []
        good: list[str] = []
        for i, item in enumerate(items):
            if isinstance(item, str) and item.strip():
                good.append(item)
            else:
                self.problem(f"{key}[{i}]", f"expected a non-empty string, got {item!r}")
        return good

    def compile(self, path: str, pattern: str, groups: tuple[str, ...]) -> re.Pattern[str] | None:
        try:
            compiled = re.compile(pattern, _FLAGS)
        except re.error as exc:
            self.problem(path, f"invalid regex: {exc}")
            return None
        missing = [g for g in groups if g not in compiled.groupindex]
        if missing:
            self.problem(path, f"regex lacks the group(s) {', '.join(missing)}")
            return None
        return compiled

    def regex(self, key: str) -> re.Pattern[str]:
        pattern = self.get(key, str, "a regex string")
        compiled = None if pattern is None else self.compile(key, pattern, ())
        return compiled or re.compile("(?!)")

    def regexes(
        self, key: str, groups: tuple[str, ...] = (), month: str | None = None
    ) -> tuple[re.Pattern[str], ...]:
        out: list[re.Pattern[str]] = []
        for i, pattern in enumerate(self.strings(key)):
            if month is not None:
                pattern = pattern.replace("{month}", month)
            compiled = self.compile(f"{key}[{i}]", pattern, groups)
            if compiled is not None:
                out.append(compiled)
        return tuple(out)

    def months(self) -> dict[str, int]:
        table = self.get("months", dict, "a mapping of month number to names")
        if table is None:
            return {}
        names: dict[str, int] = {}
        seen: set[int] = set()
        for number, words in table.items():
            path = f"months.{number}"
            if not isinstance(number, int) or not 1 <= number <= 12:
                self.problem(path, "month keys must be the numbers 1 to 12")
                continue
            seen.add(number)
            if not isinstance(words, list) or not words:
                self.problem(path, "expected a non-empty list of names")
                continue
            for i, word in enumerate(words):
                if not isinstance(word, str) or not word.strip():
                    self.problem(f"{path}[{i}]", f"expected a month name, got {word!r}")
                    continue
                other = names.setdefault(word.casefold(), number)
                if other != number:
                    self.problem(f"{path}[{i}]", f"{word!r} already names month {other}")
        if seen and len(seen) != 12:
            missing = sorted(set(range(1, 13)) - seen)
            self.problem("months", f"missing month(s) {', '.join(map(str, missing))}")
        return names
