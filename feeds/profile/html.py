"""How one site's listing and article pages are read: the ``html`` part of a site profile.

Selectors are CSS (the subset lxml translates to XPath); patterns are regular expressions
matched case-insensitively.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

from feeds.fields import Before, Check, Integer, NonEmptyText, Text, at_least, at_most
from feeds.profile.patterns import PROFILE_CONFIG, FullDate, Pattern

_SAMPLE_MOMENT = dt.datetime(2024, 2, 16, 10, 30, tzinfo=dt.UTC)
_LABEL = re.compile(r"^[a-z][a-z0-9-]*$")


def _selector(value: str) -> str:
    """A CSS selector that translates to XPath (how pages are searched)."""
    import cssselect  # only a profile being validated needs it

    try:
        cssselect.HTMLTranslator().css_to_xpath(value)
    except cssselect.SelectorError as exc:
        raise ValueError(f"bad CSS selector {value!r}: {str(exc).splitlines()[0]}") from None
    return value


def _date_format(value: str) -> str:
    """A strptime format that reads back a date it wrote."""
    try:
        written = _SAMPLE_MOMENT.strftime(value)
        ok = "%" in value and dt.datetime.strptime(written, value).date() == _SAMPLE_MOMENT.date()
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"bad date format {value!r}")
    return value


def _zone(value: Any) -> zoneinfo.ZoneInfo | None:
    if value is None or isinstance(value, zoneinfo.ZoneInfo):
        return value
    try:
        return zoneinfo.ZoneInfo(str(value))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}") from None


def _lower_keys(value: dict[str, int]) -> dict[str, int]:
    return {name.lower(): number for name, number in value.items()}


def _lower_all(value: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(v.lower() for v in value)


def _extensions(value: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(e.lower().lstrip(".") for e in value)


Selector = Annotated[NonEmptyText, Check(_selector)]
MonthNumber = Annotated[Integer, at_least(1), at_most(12)]


@dataclass(frozen=True, kw_only=True)
class ListingSelectors:
    __pydantic_config__: ClassVar = PROFILE_CONFIG

    item: Selector
    link: Selector
    title: Selector
    date: Selector
    preview: Selector
    #: The query parameter of page N of a listing (``?PAGEN_1=N``).
    page_param: NonEmptyText


@dataclass(frozen=True, kw_only=True)
class ArticleSelectors:
    __pydantic_config__: ClassVar = PROFILE_CONFIG

    title: Selector
    date: Selector
    subtitle: Selector
    body: Selector
    images: Selector
    attachments: Selector


@dataclass(frozen=True, kw_only=True)
class DateRules:
    __pydantic_config__: ClassVar = PROFILE_CONFIG

    #: Whole-value strptime formats, tried on datetime attributes and date elements.
    formats: tuple[Annotated[Text, Check(_date_format)], ...]
    #: Date phrases searched for in short texts; groups day, month and year.
    patterns: tuple[FullDate, ...]
    #: Month name (any case) -> month number.
    months: Annotated[dict[str, MonthNumber], Check(_lower_keys)]
    #: The site's calendar: a timestamp with an offset is dated in this zone (22:15 UTC is
    #: already the next day in Moscow).  None keeps the stamp's own date.
    zone: Annotated[zoneinfo.ZoneInfo | None, Before(_zone)] = None

    def month_number(self, name: str) -> int | None:
        """Month number for a name or a 1-2 digit number; None when unknown."""
        if name.isdigit():
            number = int(name)
            return number if 1 <= number <= 12 else None
        return self.months.get(name.lower())

    def parse_value(self, value: str) -> dt.date | None:
        """Read a whole value (an attribute or a date element) as a date."""
        value = " ".join(value.split())
        for fmt in self.formats:
            try:
                moment = dt.datetime.strptime(value, fmt)
            except ValueError:
                continue
            if moment.tzinfo is not None and self.zone is not None:
                moment = moment.astimezone(self.zone)
            return moment.date()
        return self.find(value)

    def find(self, text: str) -> dt.date | None:
        """The first valid date phrase in ``text`` (patterns tried in profile order)."""
        phrase = self.phrase(text)
        return phrase[0] if phrase else None

    def phrase(self, text: str) -> tuple[dt.date, int, int] | None:
        """Like :meth:`find`, with the phrase's start and end in ``text``."""
        for pattern in self.patterns:
            for match in pattern.finditer(text):
                month = self.month_number(match.group("month"))
                if month is None:
                    continue
                try:
                    found = dt.date(int(match.group("year")), month, int(match.group("day")))
                except ValueError:
                    continue
                return found, match.start(), match.end()
        return None


@dataclass(frozen=True, kw_only=True)
class UrlRules:
    __pydantic_config__: ClassVar = PROFILE_CONFIG

    #: Hosts of the site (any case): their URLs are canonicalised (https, stripped
    #: parameters).
    hosts: Annotated[tuple[NonEmptyText, ...], Check(_lower_all)]
    #: Query parameters that never change the content (AJAX copies, cache busting).
    strip_params: tuple[NonEmptyText, ...]
    #: Kept on listing URLs only.
    listing_params: tuple[NonEmptyText, ...]


def _prefix_map(value: Any) -> Any:
    """URL prefix -> label; hosts are case-insensitive, paths are not."""
    if not isinstance(value, dict):
        return value
    result: dict[Any, Any] = {}
    for prefix, label in value.items():
        if not isinstance(prefix, str) or not isinstance(label, str) or not _LABEL.match(label):
            raise ValueError(f"{prefix}: bad entry {label!r}")
        if not prefix.startswith("/"):
            host, slash, rest = prefix.partition("/")
            prefix = host.lower() + slash + rest
        result[prefix] = label
    return tuple(result.items())


PrefixMap = Annotated[tuple[tuple[str, str], ...], Before(_prefix_map)]


@dataclass(frozen=True, kw_only=True)
class HtmlRules:
    """How one site's listing and article pages are read."""

    __pydantic_config__: ClassVar = PROFILE_CONFIG

    listing: ListingSelectors
    article: ArticleSelectors
    #: Links whose file name ends like this (any case, dot or not) are attachments even
    #: without a selector.
    attachment_extensions: Annotated[tuple[NonEmptyText, ...], Check(_extensions)] = ()
    #: Paragraphs that are link labels rather than text.
    attachment_phrases: tuple[NonEmptyText, ...] = ()
    #: Navigation lines at the end of an article.
    footer_phrases: tuple[NonEmptyText, ...] = ()
    #: Signature and contact lines, removed from the end of an article body.
    contacts: tuple[Pattern, ...] = ()
    #: How many trailing paragraphs the signature block may occupy.
    signature_window: Annotated[Integer, at_least(0)] = 6
    #: Trailing parts of <title> naming the site rather than the article.
    title_suffixes: tuple[Pattern, ...] = ()
    dates: DateRules
    urls: UrlRules
    #: URL prefix ("/path/" on any host, or "host/path/") -> section id.
    sections: PrefixMap = ()
    #: URL prefix -> BCP 47 language code.
    languages: PrefixMap = ()
