"""What goes on the wire and what comes off it, read as HTTP says.

The request headers a conditional GET adds, the answer as read (:class:`Reply`), the
waits a server asks for (``Retry-After``), and the turning of a final answer into a
:class:`Fetched` or a :class:`~feeds.errors.FetchError`.
"""

from __future__ import annotations

import datetime as dt
import email.utils
from dataclasses import dataclass
from functools import cached_property

import httpx

from feeds.errors import FetchError
from feeds.text.decode import Decoded, declared_charset, decode_bytes

ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class Validators:
    """What a conditional GET needs to remember about the last answer."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Fetched:
    """One successful fetch (or a 304 answer to a conditional one)."""

    url: str
    final_url: str
    status: int
    not_modified: bool
    content: bytes
    content_type: str
    validators: Validators
    truncated: bool

    @cached_property
    def decoded(self) -> Decoded:
        """The body as text, decoded on first use (feeds.text.decode rules, with the
        Content-Type charset and a ``<meta>`` charset); raises
        :class:`feeds.errors.InputError` for a binary body."""
        if not self.content:
            return Decoded("", "")
        return decode_bytes(
            self.content,
            locator=self.url,
            declared=declared_charset(self.content_type),
            markup=True,
        )

    @property
    def text(self) -> str:
        return self.decoded.text

    @property
    def encoding(self) -> str:
        """The codec the text was read with ("" for an empty body)."""
        return self.decoded.codec

    @property
    def warnings(self) -> tuple[str, ...]:
        """Doubts about the text's character set, each ``"<url>: <what>"``."""
        return self.decoded.warnings


@dataclass(frozen=True)
class Reply:
    """An answer as read off the wire, before any interpretation."""

    url: httpx.URL
    status: int
    headers: httpx.Headers
    content: bytes
    truncated: bool


def conditional_headers(validators: Validators | None) -> dict[str, str]:
    """The headers that make a GET conditional on ``validators``."""
    headers: dict[str, str] = {}
    if validators is not None:
        if validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified
    return headers


def retry_after_seconds(headers: httpx.Headers) -> float | None:
    """Seconds asked by Retry-After, in either of its forms; None when absent or bad.

    The HTTP-date form is measured against the answer's own Date header when there
    is one, so a skewed local clock does not matter."""
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    when = _http_date(value)
    if when is None:
        return None
    now = _http_date(headers.get("date", "")) or dt.datetime.now(dt.UTC)
    return max((when - now).total_seconds(), 0.0)


def _http_date(value: str) -> dt.datetime | None:
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)


def fetched_from(requested: str, reply: Reply, sent: Validators | None) -> Fetched:
    """The last answer of a fetch (no redirect) as a :class:`Fetched`: a 2xx, or a 304
    to the ``sent`` validators; any other status is a :class:`FetchError`."""
    content_type = reply.headers.get("content-type", "")
    if reply.status == 304:
        if sent is None or not (sent.etag or sent.last_modified):
            raise FetchError(requested, "HTTP 304 to a request that was not conditional")
        validators = Validators(
            etag=reply.headers.get("etag") or sent.etag,
            last_modified=reply.headers.get("last-modified") or sent.last_modified,
        )
        return Fetched(
            url=requested,
            final_url=str(reply.url),
            status=304,
            not_modified=True,
            content=b"",
            content_type=content_type,
            validators=validators,
            truncated=False,
        )
    if not 200 <= reply.status < 300:
        phrase = httpx.codes.get_reason_phrase(reply.status)
        raise FetchError(requested, f"HTTP {reply.status} {phrase}".rstrip())
    return Fetched(
        url=requested,
        final_url=str(reply.url),
        status=reply.status,
        not_modified=False,
        content=reply.content,
        content_type=content_type,
        validators=Validators(
            etag=reply.headers.get("etag"), last_modified=reply.headers.get("last-modified")
        ),
        truncated=reply.truncated,
    )
