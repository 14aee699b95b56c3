"""HTTP/1.1 on the wire: request heads in, response heads out, and the conditional rules.

Parsing is strict (RFC 9112): what this server cannot read with certainty it
refuses, since a head read wrongly on a kept-alive connection would make the
next request be read wrongly too.  Nothing here knows about files or sockets.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import functools
import os
import re
from dataclasses import dataclass
from http import HTTPStatus

#: Largest request head (request line and header fields) accepted.
MAX_HEAD_BYTES = 32 * 1024

_MAX_HEADER_FIELDS = 100

_ETAG_RE = re.compile(r'\s*(?:W/)?"([^"]*)"\s*(?:,|$)')
_TOKEN_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_VERSION_RE = re.compile(r"HTTP/([0-9])\.([0-9])")

_STATUS_LINES = {
    int(status): f"HTTP/1.1 {status.value} {status.phrase}\r\n".encode() for status in HTTPStatus
}
_CLOSE_FIELD = b"Connection: close\r\n"
_KEEP_ALIVE_FIELD = b"Connection: keep-alive\r\n"


# --- requests -------------------------------------------------------------------------


@dataclass(slots=True)
class Request:
    method: str
    target: str
    requestline: str
    #: Lower-case names; repeated fields joined with ", " as lists are.
    headers: dict[str, str]
    keep_alive: bool
    #: An HTTP/1.0 client keeps the connection only when told so explicitly.
    http10: bool


class HttpError(Exception):
    """A request that gets an error answer and then the connection closed."""

    def __init__(self, status: HTTPStatus, requestline: str = "") -> None:
        super().__init__(status.phrase)
        self.status = status
        self.requestline = requestline


def take_head(buffer: bytearray) -> bytes | None:
    """Remove the first complete request head from ``buffer`` and return it.

    ``None`` while the head is incomplete; ``HttpError`` (431) once it is, or
    would be, longer than ``MAX_HEAD_BYTES``.
    """
    if buffer.startswith((b"\r", b"\n")):
        # Empty lines before a request line are ignored (RFC 9112, 2.2).
        del buffer[: len(buffer) - len(buffer.lstrip(b"\r\n"))]
    head_end, consumed = _head_end(buffer)
    if head_end < 0 and len(buffer) <= MAX_HEAD_BYTES:
        return None
    if head_end < 0 or head_end > MAX_HEAD_BYTES:
        raise HttpError(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE)
    head = bytes(buffer[:head_end])
    del buffer[:consumed]
    return head


def _head_end(buffer: bytearray) -> tuple[int, int]:
    """Where the head in ``buffer`` ends and how much it takes up; (-1, -1) if incomplete.

    Lines may end with CRLF or a bare LF (RFC 9112, 2.2).
    """
    crlf = buffer.find(b"\n\r\n")
    # An empty line ended by a bare LF may come first; look no further than needed.
    lf = buffer.find(b"\n\n", 0, crlf + 2 if crlf >= 0 else len(buffer))
    if lf >= 0:
        return lf + 1, lf + 2
    if crlf >= 0:
        return crlf + 1, crlf + 3
    return -1, -1


#: Field names seen valid (clients send the same few on every request).
_FIELD_NAMES: set[str] = set()


def _field_name(name: str) -> bool:
    """Whether ``name`` is a token (RFC 9110, 5.1); valid names are remembered."""
    if not _TOKEN_RE.fullmatch(name):
        return False
    if len(_FIELD_NAMES) < 1024:
        _FIELD_NAMES.add(name)
    return True


def parse_head(head: bytes) -> Request:
    """Parse a request line and its header fields (RFC 9112), strictly."""
    lines = head.decode("latin-1").split("\n")
    requestline = lines[0].removesuffix("\r")
    parts = requestline.split(" ")
    if len(parts) != 3:
        raise HttpError(HTTPStatus.BAD_REQUEST, requestline)
    method, target, version = parts
    if not _TOKEN_RE.fullmatch(method) or not target:
        raise HttpError(HTTPStatus.BAD_REQUEST, requestline)
    http10 = version == "HTTP/1.0"
    if version != "HTTP/1.1" and not http10:
        matched = _VERSION_RE.fullmatch(version)
        if matched is None:
            raise HttpError(HTTPStatus.BAD_REQUEST, requestline)
        if matched.group(1) != "1":
            raise HttpError(HTTPStatus.HTTP_VERSION_NOT_SUPPORTED, requestline)
        # Any other 1.x is answered as 1.1 (RFC 9110, 2.5).
    if len(lines) > _MAX_HEADER_FIELDS + 2:
        raise HttpError(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, requestline)
    headers: dict[str, str] = {}
    for raw in lines[1:]:
        line = raw.removesuffix("\r")
        if not line:
            continue
        # Folded lines and space before the colon are refused (RFC 9112, 5.1 and 5.2).
        name, colon, value = line.partition(":")
        if not colon or (name not in _FIELD_NAMES and not _field_name(name)):
            raise HttpError(HTTPStatus.BAD_REQUEST, requestline)
        name = name.lower()
        value = value.strip(" \t")
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    keep_alive = not http10
    if "connection" in headers:
        tokens = {token.strip().lower() for token in headers["connection"].split(",")}
        keep_alive = "keep-alive" in tokens if http10 else "close" not in tokens
    # A body is never read, so it would be taken for the next request: close after.
    if "content-length" in headers or "transfer-encoding" in headers:
        keep_alive = keep_alive and headers.get("content-length", "").strip() == "0"
    return Request(method, target, requestline, headers, keep_alive, http10)


# --- conditional requests and content coding ------------------------------------------


def not_modified(headers: dict[str, str], etag: str, mtime: int) -> bool:
    """Whether a request with ``headers`` gets ``304`` for a representation (RFC 9110, 13.2.2)."""
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        # If-None-Match wins: If-Modified-Since is not even looked at.
        return _etag_matches(if_none_match, etag)
    if_modified_since = headers.get("if-modified-since")
    return if_modified_since is not None and _not_modified_since(if_modified_since, mtime)


def _etag_matches(header: str, etag: str) -> bool:
    """Weak comparison of ``etag`` against an If-None-Match list (RFC 9110, 13.1.2)."""
    if header == etag or header.strip() == "*":
        return True
    wanted = etag.removeprefix("W/").strip('"')
    return any(match.group(1) == wanted for match in _ETAG_RE.finditer(header))


def _not_modified_since(header: str, mtime: int) -> bool:
    try:
        since = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return False  # an unreadable date is ignored, as RFC 9110 asks
    if since.tzinfo is None:
        since = since.replace(tzinfo=dt.UTC)
    return mtime <= since.timestamp()


@functools.lru_cache(maxsize=256)
def accepts_gzip(header: str | None) -> bool:
    """Whether an Accept-Encoding value allows gzip (RFC 9110, section 12.5.3)."""
    if not header:
        return False
    explicit: float | None = None
    wildcard: float | None = None
    for item in header.split(","):
        coding, *params = (part.strip() for part in item.split(";"))
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        coding = coding.lower()
        if coding in ("gzip", "x-gzip"):
            explicit = quality if explicit is None else max(explicit, quality)
        elif coding == "*":
            wildcard = quality
    if explicit is not None:
        return explicit > 0
    return wildcard is not None and wildcard > 0


def http_date(timestamp: float) -> str:
    return email.utils.formatdate(timestamp, usegmt=True)


# --- responses ------------------------------------------------------------------------


def header_lines(*lines: str) -> bytes:
    return "".join(f"{line}\r\n" for line in lines).encode("latin-1")


@dataclass(slots=True)
class Response:
    """A status, its header lines (without the ones every response has) and a body."""

    status: int
    fields: bytes
    body: bytes = b""
    #: An open descriptor to send ``length`` bytes from, instead of ``body``.
    file: int | None = None
    length: int = 0
    close: bool = False

    def discard(self) -> None:
        if self.file is not None:
            os.close(self.file)
            self.file = None


def text_response(
    status: HTTPStatus,
    text: str,
    method: str,
    extra: dict[str, str] | None = None,
    *,
    close: bool = False,
) -> Response:
    """A short plain-text answer, for everything that is not a file."""
    body = text.encode("utf-8")
    fields = header_lines(
        "Content-Type: text/plain; charset=utf-8",
        f"Content-Length: {len(body)}",
        "X-Content-Type-Options: nosniff",
        *(f"{name}: {value}" for name, value in (extra or {}).items()),
    )
    return Response(int(status), fields, b"" if method == "HEAD" else body, close=close)


def error_response(status: HTTPStatus, *, close: bool = False) -> Response:
    """The answer for a request that failed with ``status``: its phrase, in lower case."""
    return text_response(status, f"{status.phrase.lower()}\n", "GET", close=close)


def render_head(response: Response, keep_alive: bool, http10: bool, date_field: bytes) -> bytes:
    if not keep_alive:
        connection = _CLOSE_FIELD
    elif http10:
        connection = _KEEP_ALIVE_FIELD
    else:
        connection = b""
    return b"".join(
        (
            _STATUS_LINES[response.status],
            b"Server: feeds\r\n",
            date_field,
            response.fields,
            connection,
            b"\r\n",
        )
    )
