"""Reading upstream RSS and Atom feeds into releases.

feedparser does the tolerant XML work (it never raises on malformed input); this
module turns its entries into FULL releases with exact, zone-aware timestamps,
sanitised bodies and absolute image URLs.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
import sys
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

import feedparser

from feeds.errors import InputError
from feeds.model import Asset, DateOrigin, ParsedDocument, Release, ReleaseKind
from feeds.parsing.urls import canonical_url, section_for_url
from feeds.profile.html import HtmlRules
from feeds.text.clean import clean_text
from feeds.text.decode import unreadable
from feeds.text.html import html_links, html_paragraphs, parse_fragment, sanitize_html
from feeds.text.urls import absolutize

_IMAGE_TYPES = ("image/",)


def parse_feed(
    data: bytes,
    *,
    locator: str,
    base_url: str | None = None,
    language: str | None = None,
    rules: HtmlRules | None = None,
) -> ParsedDocument:
    """Every usable item of an RSS or Atom document, as FULL releases."""
    if rules is None:
        from feeds.profile import default_profile

        rules = default_profile().html
    headers = {"content-location": base_url} if base_url else {}
    try:
        parsed: Any = feedparser.parse(
            _without_bad_references(data), response_headers=headers, sanitize_html=False
        )
    except Exception as exc:  # feedparser's tolerant parser has failed on odd input
        raise InputError(locator, f"not a readable feed ({type(exc).__name__}: {exc})") from None
    entries: list[Any] = list(parsed.get("entries", []))
    if not entries and (parsed.get("bozo") or not parsed.get("version")):
        reason = parsed.get("bozo_exception") or "no feed elements found"
        raise InputError(locator, f"not an RSS or Atom feed ({_first_line(reason)})")
    feed_info: Mapping[str, Any] = parsed.get("feed", {})
    feed_language = _text(feed_info.get("language")) or language
    releases: list[Release] = []
    warnings: list[str] = []
    problems: list[str] = []
    for position, entry in enumerate(entries, start=1):
        try:
            release = _release(entry, base_url, feed_language, rules)
        except InputError as exc:
            problems.append(
                f"{_item(locator, position, entry)}: {exc.reason}; the other items are read"
            )
            continue
        except Exception as exc:  # one unreadable item costs that item, not the feed
            problems.append(
                f"{_item(locator, position, entry)}: cannot be read "
                f"({type(exc).__name__}: {exc}); the other items are read"
            )
            continue
        if release is None:
            warnings.append(f"{locator}: item {position} has no title or no link; skipped")
        else:
            releases.append(release)
    return ParsedDocument(
        locator=locator,
        article=None,
        others=tuple(releases),
        warnings=tuple(warnings),
        problems=tuple(problems),
    )


# A numeric character reference: XML refuses some (lone surrogates, most controls), and
# feedparser's tolerant parser fails on them.
_REFERENCE = re.compile(rb"&#([xX][0-9a-fA-F]+|[0-9]+);")
# More digits than any code point has (leading zeros aside).
_MAX_DIGITS = 12


def _without_bad_references(data: bytes) -> bytes:
    """``data`` without the character references :func:`clean_text` would drop from the
    text they stand for (and those naming no character at all)."""

    def keep(match: re.Match[bytes]) -> bytes:
        digits = match.group(1)
        hexadecimal = digits[:1] in (b"x", b"X")
        number = digits[1:] if hexadecimal else digits
        if len(number.lstrip(b"0")) > _MAX_DIGITS:
            return b""
        code = int(number, 16 if hexadecimal else 10)
        if code > sys.maxunicode:
            return b""
        return match.group(0) if clean_text(chr(code)) == chr(code) else b""

    return _REFERENCE.sub(keep, data) if b"&#" in data else data


def _item(locator: str, position: int, entry: Mapping[str, Any]) -> str:
    """How a problem names one item: the feed, the item's place and its link."""
    link = entry.get("link")
    shown = f" ({_text(link)})" if isinstance(link, str) and _text(link) else ""
    return f"{locator}: item {position}{shown}"


def _first_line(reason: object) -> str:
    lines = str(reason).strip().splitlines()
    return lines[0] if lines else type(reason).__name__


def _text(value: object) -> str:
    return " ".join(clean_text(value).split()) if isinstance(value, str) else ""


def _release(
    entry: Mapping[str, Any], base_url: str | None, language: str | None, rules: HtmlRules
) -> Release | None:
    title = _plain_title(entry)
    link = _text(entry.get("link"))
    if base_url and link:
        link = absolutize(link, base_url)
    if not title or urlsplit(link).scheme not in ("http", "https"):
        return None
    if unreadable(title):
        raise InputError(link, "the title could not be decoded: is the feed's character set wrong?")
    published = _timestamp(entry)
    body_source = _body(entry)
    body_html = sanitize_html(body_source, base_url=link)
    paragraphs = html_paragraphs(body_html)
    on_site = (urlsplit(link).hostname or "").lower() in rules.urls.hosts
    return Release(
        kind=ReleaseKind.FULL,
        title=title,
        date=published.date() if published else None,
        date_origin=DateOrigin.FEED if published else DateOrigin.NONE,
        published_at=published,
        lead=paragraphs[0] if paragraphs else "",
        paragraphs=paragraphs,
        body_html=body_html,
        images=_images(entry, body_html, link),
        links=html_links(body_html),
        language=_entry_language(entry) or language,
        url=canonical_url(link, rules) if on_site else link,
        section=section_for_url(link, rules) if on_site else None,
    )


def _plain_title(entry: Mapping[str, Any]) -> str:
    """Titles may be typed as HTML: keep their text only, cleaned like any other text (a
    character reference may stand for a control character)."""
    title = entry.get("title", "")
    detail = entry.get("title_detail") or {}
    if isinstance(title, str) and "html" in str(detail.get("type", "")):
        return _text(" ".join(html_paragraphs(title)))
    return _text(title)


def _timestamp(entry: Mapping[str, Any]) -> dt.datetime | None:
    """The item's published (else updated) time, keeping the feed's own offset."""
    for key in ("published", "updated"):
        raw = entry.get(key)
        if isinstance(raw, str) and raw.strip():
            exact = _parse_stamp(raw.strip())
            if exact is not None:
                return exact
        parsed = entry.get(f"{key}_parsed")
        if isinstance(parsed, time.struct_time):
            # feedparser normalises to UTC and drops the offset.
            return dt.datetime(*parsed[:6], tzinfo=dt.UTC)
    return None


def _parse_stamp(raw: str) -> dt.datetime | None:
    """RFC 3339 or RFC 822; a stamp without a zone is taken as UTC."""
    try:
        stamp = dt.datetime.fromisoformat(raw)
    except ValueError:
        try:
            stamp = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


def _body(entry: Mapping[str, Any]) -> str:
    """Full content when the item has it, else the summary; plain text is escaped."""
    for detail in [*(entry.get("content") or []), entry.get("summary_detail") or {}]:
        value = detail.get("value") if isinstance(detail, Mapping) else None
        if isinstance(value, str) and value.strip():
            if "html" in str(detail.get("type", "html")):
                return value
            return "".join(f"<p>{_escape(line)}</p>" for line in value.splitlines() if line)
    return ""


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _images(entry: Mapping[str, Any], body_html: str, link: str) -> tuple[Asset, ...]:
    found: dict[str, Asset] = {}
    candidates: list[str] = []
    for enclosure in list(entry.get("enclosures") or []) + list(entry.get("media_content") or []):
        href = enclosure.get("href") or enclosure.get("url")
        if isinstance(href, str) and str(enclosure.get("type", "image/")).startswith(_IMAGE_TYPES):
            candidates.append(href)
    if body_html:
        for image in parse_fragment(body_html).iter("img"):
            src = image.get("src")
            if isinstance(src, str) and src:
                candidates.append(src)
    for candidate in candidates:
        target = absolutize(candidate, link)
        if urlsplit(target).scheme in ("http", "https") and target not in found:
            name = unquote(urlsplit(target).path.rstrip("/").rpartition("/")[2])
            found[target] = Asset(name=name, url=target)
    return tuple(found.values())


def _entry_language(entry: Mapping[str, Any]) -> str | None:
    for key in ("content", "summary_detail", "title_detail"):
        value = entry.get(key)
        details = value if isinstance(value, list) else [value]
        for detail in details:
            if isinstance(detail, Mapping) and _text(detail.get("language")):
                return _text(detail.get("language"))
    return None
