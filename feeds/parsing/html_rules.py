"""The site profile for HTML pages: selectors, phrases, date formats and URL maps.

Everything the HTML parser knows about one site comes from a YAML mapping read
into :class:`HtmlRules`.  Loading checks the whole mapping and reports every
problem at once, each with its key path, so a broken profile is fixed in one go.
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
import re
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import soupsieve
import yaml

from feeds.errors import ConfigError

_T = TypeVar("_T")

_PACKAGED_PROFILE = ("profiles", "csto", "html.yaml")
_DATE_GROUPS = frozenset({"day", "month", "year"})
_SAMPLE_MOMENT = dt.datetime(2024, 2, 16, 10, 30, tzinfo=dt.UTC)


@dataclass(frozen=True)
class HtmlRules:
    """How one site's listing and article pages are read."""

    listing_item: str
    listing_link: str
    listing_title: str
    listing_date: str
    listing_preview: str
    page_param: str
    article_title: str
    article_date: str
    article_subtitle: str
    article_body: str
    article_images: str
    article_attachments: str
    attachment_extensions: tuple[str, ...]
    attachment_phrases: tuple[str, ...]
    footer_phrases: tuple[str, ...]
    #: Signature and contact lines, removed from the end of an article body.
    contacts: tuple[re.Pattern[str], ...]
    #: How many trailing paragraphs the signature block may occupy.
    signature_window: int
    title_suffixes: tuple[re.Pattern[str], ...]
    date_formats: tuple[str, ...]
    date_patterns: tuple[re.Pattern[str], ...]
    #: Lower-case month name -> month number.
    months: tuple[tuple[str, int], ...]
    #: The zone of the site's calendar: a timestamp with an offset is dated in it
    #: (22:15 UTC is already the next day in Moscow).  None keeps the stamp's own date.
    zone: zoneinfo.ZoneInfo | None
    hosts: tuple[str, ...]
    strip_params: tuple[str, ...]
    listing_params: tuple[str, ...]
    #: URL prefix ("/path/" or "host/path/") -> section id.
    sections: tuple[tuple[str, str], ...]
    #: URL prefix -> BCP 47 language code.
    languages: tuple[tuple[str, str], ...]

    @classmethod
    def from_mapping(cls, data: object, where: str) -> HtmlRules:
        """Build rules from parsed YAML; raise ConfigError listing every problem."""
        reader = _Reader(where)
        root = reader.mapping(data, "", _TOP_KEYS)
        listing = reader.mapping(root.get("listing"), "listing", _LISTING_KEYS)
        article = reader.mapping(root.get("article"), "article", _ARTICLE_KEYS)
        dates = reader.mapping(root.get("dates"), "dates", _DATES_KEYS, _DATES_OPTIONAL)
        urls = reader.mapping(root.get("urls"), "urls", _URLS_KEYS)
        rules = cls(
            listing_item=reader.selector(listing, "listing", "item"),
            listing_link=reader.selector(listing, "listing", "link"),
            listing_title=reader.selector(listing, "listing", "title"),
            listing_date=reader.selector(listing, "listing", "date"),
            listing_preview=reader.selector(listing, "listing", "preview"),
            page_param=reader.text(listing, "listing", "page_param"),
            article_title=reader.selector(article, "article", "title"),
            article_date=reader.selector(article, "article", "date"),
            article_subtitle=reader.selector(article, "article", "subtitle"),
            article_body=reader.selector(article, "article", "body"),
            article_images=reader.selector(article, "article", "images"),
            article_attachments=reader.selector(article, "article", "attachments"),
            attachment_extensions=tuple(
                e.lower().lstrip(".") for e in reader.texts(root, "", "attachment_extensions")
            ),
            attachment_phrases=reader.texts(root, "", "attachment_phrases"),
            footer_phrases=reader.texts(root, "", "footer_phrases"),
            contacts=reader.regexes(root, "", "contacts", frozenset()),
            signature_window=_window(reader, root),
            title_suffixes=reader.regexes(root, "", "title_suffixes", frozenset()),
            date_formats=reader.formats(dates, "dates", "formats"),
            date_patterns=reader.regexes(dates, "dates", "patterns", _DATE_GROUPS),
            months=reader.months(dates, "dates", "months"),
            zone=reader.zone(dates, "dates", "zone"),
            hosts=tuple(h.lower() for h in reader.texts(urls, "urls", "hosts")),
            strip_params=reader.texts(urls, "urls", "strip_params"),
            listing_params=reader.texts(urls, "urls", "listing_params"),
            sections=reader.prefix_map(root, "", "sections"),
            languages=reader.prefix_map(root, "", "languages"),
        )
        if reader.problems:
            raise ConfigError(reader.problems)
        return rules

    @classmethod
    def default(cls) -> HtmlRules:
        """The packaged profile of the CSTO site."""
        resource = importlib.resources.files("feeds").joinpath(*_PACKAGED_PROFILE)
        text = resource.read_text(encoding="utf-8")
        return cls.from_mapping(yaml.safe_load(text), "feeds/" + "/".join(_PACKAGED_PROFILE))

    def month_number(self, name: str) -> int | None:
        """Month number for a name or a 1-2 digit number; None when unknown."""
        if name.isdigit():
            number = int(name)
            return number if 1 <= number <= 12 else None
        return dict(self.months).get(name.lower())

    def parse_date_value(self, value: str) -> dt.date | None:
        """Read a whole value (an attribute or a date element) as a date."""
        value = " ".join(value.split())
        for fmt in self.date_formats:
            try:
                moment = dt.datetime.strptime(value, fmt)
            except ValueError:
                continue
            if moment.tzinfo is not None and self.zone is not None:
                moment = moment.astimezone(self.zone)
            return moment.date()
        return self.find_date(value)

    def find_date(self, text: str) -> dt.date | None:
        """The first valid date phrase in ``text`` (patterns tried in profile order)."""
        phrase = self.date_phrase(text)
        return phrase[0] if phrase else None

    def date_phrase(self, text: str) -> tuple[dt.date, int, int] | None:
        """Like :meth:`find_date`, with the phrase's start and end in ``text``."""
        for pattern in self.date_patterns:
            for match in pattern.finditer(text):
                found = self._date_from_match(match)
                if found is not None:
                    return found, match.start(), match.end()
        return None

    def _date_from_match(self, match: re.Match[str]) -> dt.date | None:
        month = self.month_number(match.group("month"))
        if month is None:
            return None
        try:
            return dt.date(int(match.group("year")), month, int(match.group("day")))
        except ValueError:
            return None


_TOP_KEYS = frozenset(
    {
        "listing",
        "article",
        "attachment_extensions",
        "attachment_phrases",
        "footer_phrases",
        "contacts",
        "signature_window",
        "title_suffixes",
        "dates",
        "urls",
        "sections",
        "languages",
    }
)
_LISTING_KEYS = frozenset({"item", "link", "title", "date", "preview", "page_param"})
_ARTICLE_KEYS = frozenset({"title", "date", "subtitle", "body", "images", "attachments"})
_DATES_KEYS = frozenset({"formats", "patterns", "months", "zone"})
_DATES_OPTIONAL = frozenset({"zone"})
_URLS_KEYS = frozenset({"hosts", "strip_params", "listing_params"})


def _window(reader: _Reader, root: Mapping[str, Any]) -> int:
    value = root.get("signature_window", 6)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        reader.problem("signature_window", "expected a whole number >= 0")
        return 6
    return value


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class _Reader:
    """Collects problems while reading values; returns harmless stand-ins on errors."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.problems: list[str] = []

    def problem(self, path: str, what: str) -> None:
        self.problems.append(f"{self.where}: {path or '<top>'}: {what}")

    def mapping(
        self,
        data: object,
        path: str,
        keys: frozenset[str],
        optional: frozenset[str] = frozenset(),
    ) -> Mapping[str, Any]:
        if not isinstance(data, Mapping):
            self.problem(path, "missing or not a mapping")
            return {}
        for key in data:
            if key not in keys:
                self.problem(_join(path, str(key)), "unknown key")
        for key in sorted(keys - optional - set(data)):
            self.problem(_join(path, key), "missing")
        return data

    def text(self, data: Mapping[str, Any], path: str, key: str) -> str:
        value = data.get(key)
        if key in data and (not isinstance(value, str) or not value.strip()):
            self.problem(_join(path, key), "must be a non-empty string")
            return ""
        return value if isinstance(value, str) else ""

    def selector(self, data: Mapping[str, Any], path: str, key: str) -> str:
        value = self.text(data, path, key)
        if value:
            try:
                soupsieve.compile(value)
            except soupsieve.SelectorSyntaxError as exc:
                first_line = str(exc).splitlines()[0]
                self.problem(_join(path, key), f"bad CSS selector {value!r}: {first_line}")
        return value

    def texts(self, data: Mapping[str, Any], path: str, key: str) -> tuple[str, ...]:
        value = data.get(key)
        if key not in data:
            return ()
        if not isinstance(value, list):
            self.problem(_join(path, key), "must be a list of strings")
            return ()
        good: list[str] = []
        for index, item in enumerate(value):
            if isinstance(item, str) and item.strip():
                good.append(item)
            else:
                self.problem(f"{_join(path, key)}[{index}]", "must be a non-empty string")
        return tuple(good)

    def regexes(
        self, data: Mapping[str, Any], path: str, key: str, groups: frozenset[str]
    ) -> tuple[re.Pattern[str], ...]:
        compiled: list[re.Pattern[str]] = []
        for index, source in enumerate(self.texts(data, path, key)):
            where = f"{_join(path, key)}[{index}]"
            try:
                pattern = re.compile(source, re.IGNORECASE)
            except re.error as exc:
                self.problem(where, f"bad regex {source!r}: {exc}")
                continue
            missing = groups - set(pattern.groupindex)
            if missing:
                self.problem(where, f"regex lacks the groups {', '.join(sorted(missing))}")
                continue
            compiled.append(pattern)
        return tuple(compiled)

    def formats(self, data: Mapping[str, Any], path: str, key: str) -> tuple[str, ...]:
        good: list[str] = []
        for index, fmt in enumerate(self.texts(data, path, key)):
            if _round_trips(fmt):
                good.append(fmt)
            else:
                self.problem(f"{_join(path, key)}[{index}]", f"bad date format {fmt!r}")
        return tuple(good)

    def zone(self, data: Mapping[str, Any], path: str, key: str) -> zoneinfo.ZoneInfo | None:
        name = self.text(data, path, key)
        if not name:
            return None
        try:
            return zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            self.problem(_join(path, key), f"unknown time zone {name!r}")
            return None

    def months(self, data: Mapping[str, Any], path: str, key: str) -> tuple[tuple[str, int], ...]:
        return tuple((n.lower(), v) for n, v in self._pairs(data, path, key, _month_value))

    def prefix_map(
        self, data: Mapping[str, Any], path: str, key: str
    ) -> tuple[tuple[str, str], ...]:
        return tuple((_lower_host(p), v) for p, v in self._pairs(data, path, key, _label_value))

    def _pairs(
        self,
        data: Mapping[str, Any],
        path: str,
        key: str,
        convert: Callable[[object], _T | None],
    ) -> tuple[tuple[str, _T], ...]:
        value = data.get(key)
        if key not in data:
            return ()
        if not isinstance(value, Mapping):
            self.problem(_join(path, key), "must be a mapping")
            return ()
        pairs: list[tuple[str, _T]] = []
        for name, raw in value.items():
            converted = convert(raw)
            if not isinstance(name, str) or not name.strip() or converted is None:
                self.problem(f"{_join(path, key)}.{name}", f"bad entry {raw!r}")
                continue
            pairs.append((name, converted))
        return tuple(pairs)


def _round_trips(fmt: str) -> bool:
    """True when ``fmt`` is a strptime format that reads back a date it wrote."""
    if "%" not in fmt:
        return False
    try:
        written = _SAMPLE_MOMENT.strftime(fmt)
        return dt.datetime.strptime(written, fmt).date() == _SAMPLE_MOMENT.date()
    except ValueError:
        return False


def _month_value(raw: object) -> int | None:
    if isinstance(raw, int) and not isinstance(raw, bool) and 1 <= raw <= 12:
        return raw
    return None


def _lower_host(prefix: str) -> str:
    """Hosts are case-insensitive, paths are not."""
    if prefix.startswith("/"):
        return prefix
    host, slash, rest = prefix.partition("/")
    return host.lower() + slash + rest


_LABEL = re.compile(r"^[a-z][a-z0-9-]*$")


def _label_value(raw: object) -> str | None:
    if isinstance(raw, str) and _LABEL.match(raw):
        return raw
    return None
