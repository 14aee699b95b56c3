"""Findings and the rules for single values: characters, dates, tag URIs, languages, URLs.

A :class:`Finding` is named after the W3C feed validator's message for the same problem
(``InvalidRFC3339Date``, ``ContainsRelRef``, ``DuplicateUpdated``, ...).  Its level is
what it means for feeds: an ``error`` keeps the document from being published, a
``warning`` is published but is still a defect the tests do not accept.

A :class:`Report` collects the findings of one document.  The publishing gate asks only
for errors (``warnings=False``): then the rules that can only warn are not run at all.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from feeds.text.urls import is_absolute

Level = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    level: Level
    #: The validator's message name.
    code: str
    #: Where in the document: an element path, an entry id or a line.
    where: str
    detail: str

    def __str__(self) -> str:
        return f"{self.level} {self.code} at {self.where}: {self.detail}"


#: Characters XML 1.0 forbids, plus the C1 controls and DEL that it only discourages.
BAD_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
#: The same characters found fast in UTF-8 (surrogates are never valid UTF-8): every byte
#: but the single-byte ones is deleted, and the two-byte and three-byte ones are searched.
_BAD_BYTES = frozenset({*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F})
_NOT_BAD_BYTES = bytes(b for b in range(256) if b not in _BAD_BYTES)
_C1_UTF8 = re.compile(rb"\xc2[\x80-\x9f]")
_NONCHARACTER_UTF8 = re.compile(rb"\xef\xbf[\xbe\xbf]")
XML_ENCODING = re.compile(r"<\?xml[^>]*encoding=[\"']([^\"']+)")
RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-](\d{2}):(\d{2}))$"
)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
RFC822 = re.compile(
    r"^(?:(Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?(\d{1,2}) (" + "|".join(MONTHS) + r") (\d{4}) "
    r"(\d{2}):(\d{2})(?::(\d{2}))? (UT|GMT|EST|EDT|CST|CDT|MST|MDT|PST|PDT|[+-]\d{4})$"
)
RFC822_ZONES = {"UT": 0, "GMT": 0, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7}
RFC822_ZONES |= {"MDT": -6, "PST": -8, "PDT": -7}
#: RFC 4151: tag:authority,date:specific; the authority is a DNS name or an e-mail address.
TAG_URI = re.compile(
    r"^tag:(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
    r"|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+)"
    r",(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?"
    r":[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*$"
)
#: BCP 47 language tags (RFC 5646), the grammar without the grandfathered irregular tags.
BCP47 = re.compile(
    r"^(?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4,8})"
    r"(?:-[A-Za-z]{4})?"
    r"(?:-(?:[A-Za-z]{2}|\d{3}))?"
    r"(?:-(?:[A-Za-z\d]{5,8}|\d[A-Za-z\d]{3}))*"
    r"(?:-[0-9A-WY-Za-wy-z](?:-[A-Za-z\d]{2,8})+)*"
    r"(?:-x(?:-[A-Za-z\d]{1,8})+)?$"
)
#: RSS 2.0 language codes: an ISO 639 code, optionally with a region.
RSS_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[a-zA-Z0-9]{2,8})?$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: Schemes whose URLs name a host, and schemes whose URLs are absolute without one.
HOST_SCHEMES = frozenset({"http", "https", "ftp"})
OPAQUE_SCHEMES = frozenset({"mailto", "tag", "urn", "data"})
#: More than a day ahead of the check is a date the validator finds implausible.
FUTURE_SLACK = dt.timedelta(days=1)
EARLIEST_PLAUSIBLE_YEAR = 1990


def parse_rfc3339(text: str) -> dt.datetime | None:
    if not RFC3339.match(text):
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def parse_rfc822(text: str) -> tuple[dt.datetime | None, str | None]:
    """The instant, and the day name when the date carries one."""
    match = RFC822.match(text)
    if not match:
        return None, None
    day_name, day, month, year, hour, minute, second, zone = match.groups()
    if zone in RFC822_ZONES:
        offset = dt.timedelta(hours=RFC822_ZONES[zone])
    else:
        sign = -1 if zone[0] == "-" else 1
        offset = sign * dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5]))
    try:
        moment = dt.datetime(
            int(year),
            MONTHS.index(month) + 1,
            int(day),
            int(hour),
            int(minute),
            int(second or 0),
            tzinfo=dt.timezone(offset),
        )
    except ValueError:
        return None, None
    return moment, day_name


def has_bad_characters(data: bytes) -> bool:
    """Whether UTF-8 ``data`` holds one of :data:`BAD_CHARACTERS` (without decoding it)."""
    if data.translate(None, _NOT_BAD_BYTES):
        return True
    return bool(_C1_UTF8.search(data) or _NONCHARACTER_UTF8.search(data))


def is_absolute_url(value: str) -> bool:
    """An absolute IRI as the validator takes it: a host for web and FTP URLs."""
    if is_absolute(value, HOST_SCHEMES):
        return True
    return urlsplit(value).scheme.lower() in OPAQUE_SCHEMES


def is_web_url(value: str) -> bool:
    """What RSS wants in ``link``: an absolute http or https URL."""
    return value.startswith(("http://", "https://")) and is_absolute(value)


@dataclass
class Report:
    """The findings of one document served at ``url``, checked as of ``now``."""

    url: str
    now: dt.datetime
    #: False for the publishing gate: warnings are neither collected nor looked for.
    warnings: bool = True
    findings: list[Finding] = field(default_factory=list)

    def add(self, level: Level, code: str, where: str, detail: str) -> None:
        if level == "error" or self.warnings:
            self.findings.append(Finding(level, code, where, detail))

    def extend(self, found: Iterable[Finding]) -> None:
        for finding in found:
            self.add(finding.level, finding.code, finding.where, finding.detail)

    def has_errors(self) -> bool:
        return any(f.level == "error" for f in self.findings)

    def unique(self, values: Iterable[tuple[str, str]], code: str) -> None:
        """An error for each value that an earlier one repeats; ``values`` are
        ``(where, value)`` pairs."""
        seen: set[str] = set()
        for where, value in values:
            if value in seen:
                self.add("error", code, where, repr(value))
            seen.add(value)

    def characters(self, data: bytes) -> str | None:
        """The document as text, with findings for bytes and characters that do not
        belong; None when it is not UTF-8."""
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            self.add("error", "UnicodeError", "document", str(exc))
            return None
        declaration = XML_ENCODING.match(text)
        if declaration and declaration.group(1).lower() not in ("utf-8", "utf8"):
            self.add("warning", "ObscureEncoding", "document", declaration.group(1))
        if has_bad_characters(data):
            for number, line in enumerate(text.split("\n"), 1):
                bad = BAD_CHARACTERS.search(line)
                if bad:
                    where = f"line {number}"
                    self.add("error", "BadCharacters", where, f"U+{ord(bad.group()):04X}")
        return text

    def plausible(self, moment: dt.datetime, where: str, name: str) -> None:
        if moment.year < EARLIEST_PLAUSIBLE_YEAR or moment > self.now + FUTURE_SLACK:
            self.add("warning", "ImplausibleDate", where, f"{name} {moment.isoformat()}")

    def rfc3339(self, text: str, where: str, name: str) -> dt.datetime | None:
        moment = parse_rfc3339(text.strip())
        if moment is None:
            self.add("error", "InvalidRFC3339Date", where, f"{name} {text.strip()!r}")
            return None
        self.plausible(moment, where, name)
        return moment

    def rfc822(self, text: str, where: str, name: str) -> dt.datetime | None:
        moment, day_name = parse_rfc822(text.strip())
        if moment is None:
            self.add("error", "InvalidRFC2822Date", where, f"{name} {text.strip()!r}")
            return None
        if day_name is not None and DAYS[moment.weekday()] != day_name:
            self.add("warning", "IncorrectDOW", where, f"{name} {text.strip()!r}")
        self.plausible(moment, where, name)
        return moment

    def tag_uri(self, value: str, where: str) -> None:
        match = TAG_URI.match(value)
        if not match:
            self.add("error", "InvalidTAG", where, repr(value))
            return
        year, month, day = (int(p) if p else 1 for p in match.groups())
        try:
            dt.date(year, month, day)
        except ValueError:
            self.add("error", "InvalidTAG", where, f"{value!r}: no such date")

    def entry_id(self, value: str, where: str) -> None:
        """An id is a valid tag URI or another absolute IRI."""
        if value.startswith("tag:"):
            self.tag_uri(value, where)
        elif not (urlsplit(value).scheme and is_absolute_url(value)):
            self.add("error", "InvalidFullLink", where, f"id {value!r} is not an absolute IRI")

    def language(self, value: str, where: str, name: str, grammar: re.Pattern[str]) -> None:
        if not grammar.match(value):
            self.add("error", "InvalidLanguage", where, f"{name} {value!r}")

    def self_url(self, value: str | None, where: str) -> None:
        """The document names the address it is served at."""
        if value != self.url:
            self.add("error", "SelfDoesntMatchLocation", where, f"{value!r} != {self.url!r}")
