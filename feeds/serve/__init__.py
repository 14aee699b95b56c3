"""``feeds serve``: a small static HTTP server for the output folder.

It knows the media types of the files the publisher writes, answers
conditional requests (ETag, Last-Modified), compresses text with gzip, and
never serves anything outside the output folder.

How requests are answered
-------------------------
One thread runs an event loop (``selectors``): it accepts connections, reads
request heads, keeps the time limits and writes every response without
blocking.  An idle keep-alive connection or a slow client therefore costs a
socket and a little memory, never a thread.  Requests that can be answered
from memory (a ``304``, a cached gzip body, a ``404`` for a path that never
reaches the disk) are answered right there; anything that has to open a file
goes to a bounded pool of worker threads, whose answer the loop then sends.

Validators
----------
The ETag is the SHA-256 of the file's bytes (its first 32 hex digits), so a
file rewritten with the same bytes keeps its tag and clients do not download
it again; a tag made from ``stat`` data alone (as nginx makes it) would change
with every rewrite, and would not match the tags clients already hold.
Hashing needs the bytes: the first request for each *version* of a file reads
it once.  The tag is then kept per path together with that
version's identity from ``stat``: device, inode, size, ``mtime_ns`` and
``ctime_ns``.  A later request ``stat``\\s the path and, when the identity is
the same, decides ``304`` from memory without opening the file.  The
publisher's ``os.replace`` gives a new inode and ctime, so a new version is
never mistaken for the old one.

A file changed in place within one tick of the file system clock can keep its
size and times, and a tag kept for it would describe bytes it no longer has.
So a version is remembered only when it was read at least ``RACY_SECONDS``
after its last change (the rule git uses for "racily clean" index entries);
younger files are read on every request until they settle.

gzip bodies are kept per path and version in a cache bounded by bytes (least
recently used go first), so a gzip ``200`` of a known version costs no read
and no compression.

Snapshots
---------
A file is read from one open descriptor, and its validators come from that
descriptor's ``fstat``, so a file swapped by ``os.replace`` during a refresh is
served wholly old or wholly new.  The body of a remembered version is sent
with ``sendfile`` from the descriptor the worker opened, which pins the same
version.  A body served from the gzip cache belongs to the version whose
identity it was stored under.

Limits
------
Listen backlog (``request_queue_size``), worker threads, open connections
(more wait in the backlog), idle time of a keep-alive connection, a total
deadline for a request head (sending it a byte at a time does not keep a
connection open), and the size of a head.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import datetime as dt
import email.utils
import errno
import functools
import gzip
import hashlib
import os
import re
import selectors
import socket
import stat
import sys
import threading
import time
import traceback
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import NamedTuple

from feeds.errors import ConfigError

__all__ = ["OutputServer", "ServeSettings", "make_server", "run", "serve_forever"]

#: Archive documents are complete once written, so caches may keep them a day.
ARCHIVE_MAX_AGE = 86400
#: Below this size gzip saves too little to be worth a second representation.
GZIP_MIN_BYTES = 256
#: Seconds a keep-alive connection may wait for its next request.
IDLE_TIMEOUT = 30.0
#: Seconds a client has to send a whole request head, from its first byte.
HEADER_TIMEOUT = 10.0
#: Connections the kernel queues while the server is not accepting.
BACKLOG = 128
#: Threads that open, read, hash and compress files.
WORKERS = 64
#: Open connections; further ones wait in the listen backlog.
MAX_CONNECTIONS = 1024
#: Bytes of gzip bodies kept in memory.
GZIP_CACHE_BYTES = 64 * 1024 * 1024
#: A version read this soon after its last change is not remembered (see above).
RACY_SECONDS = 2.0
#: Largest request head (request line and header fields) accepted.
MAX_HEAD_BYTES = 32 * 1024

_MAX_HEADER_FIELDS = 100
_MAX_VERSIONS = 65536
# How often the loop looks for connections past their deadline.
_SWEEP_SECONDS = 0.1
# Bodies up to this size go out in the same write as their head.
_JOIN_BODY_BYTES = 64 * 1024

_ALLOWED_METHODS = ("GET", "HEAD")
_TEXT_UTF8 = "; charset=utf-8"

# Exact file names first: the same suffix means different things by name.
_TYPES_BY_NAME: dict[str, str] = {
    "atom.xml": "application/atom+xml" + _TEXT_UTF8,
    "rss.xml": "application/rss+xml" + _TEXT_UTF8,
    "feed.json": "application/feed+json" + _TEXT_UTF8,
    "status.json": "application/json",
}
_TYPES_BY_SUFFIX: dict[str, str] = {
    ".html": "text/html" + _TEXT_UTF8,
    ".opml": "text/x-opml" + _TEXT_UTF8,
    ".xml": "application/xml" + _TEXT_UTF8,
    ".json": "application/json",
    ".css": "text/css" + _TEXT_UTF8,
    ".js": "text/javascript" + _TEXT_UTF8,
    ".txt": "text/plain" + _TEXT_UTF8,
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".ico": "image/vnd.microsoft.icon",
}
_ARCHIVE_TYPE = "application/atom+xml" + _TEXT_UTF8
_DEFAULT_TYPE = "application/octet-stream"

_HAVE_SENDFILE = hasattr(os, "sendfile")

_ETAG_RE = re.compile(r'\s*(?:W/)?"([^"]*)"\s*(?:,|$)')
_TOKEN_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_VERSION_RE = re.compile(r"HTTP/([0-9])\.([0-9])")

_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
    # A FIFO that slipped into the folder must not block a worker in open().
    | getattr(os, "O_NONBLOCK", 0)
)


@dataclass(frozen=True)
class ServeSettings:
    """Where and how to serve the output folder."""

    root: Path
    host: str = "127.0.0.1"
    port: int = 8080
    #: Cache lifetime in seconds of feeds, pages and everything but archives.
    max_age: int = 300
    workers: int = WORKERS
    backlog: int = BACKLOG
    max_connections: int = MAX_CONNECTIONS
    idle_timeout: float = IDLE_TIMEOUT
    header_timeout: float = HEADER_TIMEOUT
    gzip_cache_bytes: int = GZIP_CACHE_BYTES


# --- starting and stopping ------------------------------------------------------------


def make_server(
    settings: ServeSettings, *, log: Callable[[str], None] | None = None
) -> OutputServer:
    """Bind and listen for ``settings.root``; serve with ``run()`` or ``serve_forever()``.

    The socket listens when this returns, so a caller can announce the address
    (``server.url``) before serving.  Port 0 picks a free port.  A bad setting,
    a missing folder or an address that cannot be bound raise ConfigError.
    """
    where = f"{settings.host}:{settings.port}"
    port = settings.port
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ConfigError([f"{where}: cannot listen: port must be a number from 0 to 65535"])
    problems = [
        f"serve: {name} must be at least {least}, not {value}"
        for name, value, least in (
            ("workers", settings.workers, 1),
            ("backlog", settings.backlog, 1),
            ("max_connections", settings.max_connections, 1),
            ("gzip_cache_bytes", settings.gzip_cache_bytes, 0),
        )
        if value < least
    ]
    problems += [
        f"serve: {name} must be more than 0 seconds, not {value}"
        for name, value in (
            ("idle_timeout", settings.idle_timeout),
            ("header_timeout", settings.header_timeout),
        )
        if not value > 0
    ]
    if problems:
        raise ConfigError(problems)
    if not settings.root.is_dir():
        raise ConfigError([f"{settings.root}: output folder does not exist or is not a folder"])
    try:
        return OutputServer(settings, log)
    except OSError as exc:
        raise ConfigError([f"{where}: cannot listen: {exc.strerror or exc}"]) from exc


def run(server: OutputServer) -> None:
    """Serve until interrupted; Ctrl-C closes the server and returns normally."""
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def serve_forever(settings: ServeSettings, *, log: Callable[[str], None] | None = None) -> None:
    """``make_server``, announce the address through ``log``, then ``run``."""
    server = make_server(settings, log=log)
    if log is not None:
        log(f"serving {settings.root} on {server.url}")
    run(server)


# --- request path handling ------------------------------------------------------------


def _request_segments(target: str) -> tuple[tuple[str, ...], bool] | None:
    """Split a request target into decoded path segments and a trailing-slash flag.

    Returns ``None`` for anything that must not reach the file system:
    ``.``/``..``, dotfiles, backslashes, NUL, empty segments, bad UTF-8.
    """
    if target.startswith(("http://", "https://")):
        # Absolute-form targets (RFC 9112) carry the path after the authority.
        target = urllib.parse.urlsplit(target).path or "/"
    path = target.split("?", 1)[0].split("#", 1)[0]
    if not path.startswith("/") or "\\" in path:
        return None
    try:
        decoded = urllib.parse.unquote_to_bytes(path).decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "\0" in decoded or "\\" in decoded:
        return None
    segments = decoded[1:].split("/")
    trailing = segments[-1] == ""
    if trailing:
        segments.pop()
    for segment in segments:
        # A leading dot covers "." and ".." as well as hidden and temporary files.
        if not segment or segment.startswith(".") or segment.endswith((".tmp", "~")):
            return None
    return tuple(segments), trailing


class _Route(NamedTuple):
    segments: tuple[str, ...]
    trailing: bool
    #: The file the request names, relative to the root: a folder means its index.html.
    logical: str


@functools.lru_cache(maxsize=1024)
def _route(target: str) -> _Route | None:
    """``_request_segments`` and the file they name; pollers repeat the same targets."""
    parsed = _request_segments(target)
    if parsed is None:
        return None
    segments, trailing = parsed
    return _Route(segments, trailing, "/".join([*segments, "index.html"] if trailing else segments))


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


# --- representation -------------------------------------------------------------------


def _content_type(segments: Sequence[str]) -> str:
    name = segments[-1]
    if len(segments) >= 3 and segments[-2] == "archive" and name.endswith(".xml"):
        return _ARCHIVE_TYPE
    if name in _TYPES_BY_NAME:
        return _TYPES_BY_NAME[name]
    return _TYPES_BY_SUFFIX.get(os.path.splitext(name)[1].lower(), _DEFAULT_TYPE)


def _cache_control(segments: Sequence[str], max_age: int) -> str:
    if len(segments) >= 3 and segments[-2] == "archive":
        return f"public, max-age={ARCHIVE_MAX_AGE}"
    return f"public, max-age={max_age}"


def _compressible(content_type: str) -> bool:
    media = content_type.split(";", 1)[0]
    return media.startswith("text/") or media.endswith(("xml", "json"))


@functools.lru_cache(maxsize=256)
def _accepts_gzip(header: str | None) -> bool:
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


def _http_date(timestamp: float) -> str:
    return email.utils.formatdate(timestamp, usegmt=True)


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


_Identity = tuple[int, int, int, int, int]


def _identity(info: os.stat_result) -> _Identity:
    """What tells one version of a file from another without reading it."""
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


@dataclass(frozen=True, slots=True)
class _Version:
    """The validators of one version of one file, with its header lines rendered."""

    identity: _Identity
    #: The path under the configured root that the loop ``stat``s (symlinks unresolved).
    path: str
    size: int
    etag: str
    gz_etag: str
    #: Whole seconds, as If-Modified-Since compares them.
    mtime: int
    #: Compressible and big enough to be worth it.
    gzip_ok: bool
    type_field: bytes
    plain_fields: bytes
    gz_fields: bytes


def _make_version(
    info: os.stat_result,
    path: str,
    size: int,
    digest: str,
    segments: Sequence[str],
    max_age: int,
) -> _Version:
    content_type = _content_type(segments)
    varies = _compressible(content_type)
    etag = f'"{digest}"'
    gz_etag = f'"{digest}-gz"'

    def validators(tag: str) -> bytes:
        lines = [
            f"ETag: {tag}",
            f"Last-Modified: {_http_date(info.st_mtime)}",
            f"Cache-Control: {_cache_control(segments, max_age)}",
            *(["Vary: Accept-Encoding"] if varies else []),
            "X-Content-Type-Options: nosniff",
        ]
        return "".join(f"{line}\r\n" for line in lines).encode("latin-1")

    return _Version(
        identity=_identity(info),
        path=path,
        size=size,
        etag=etag,
        gz_etag=gz_etag,
        mtime=int(info.st_mtime),
        gzip_ok=varies and size >= GZIP_MIN_BYTES,
        type_field=f"Content-Type: {content_type}\r\n".encode("latin-1"),
        plain_fields=validators(etag),
        gz_fields=validators(gz_etag),
    )


class _Versions:
    """Remembered validators, one version per path, bounded in count."""

    def __init__(self, max_entries: int) -> None:
        self._max = max_entries
        self._items: dict[str, _Version] = {}
        self._lock = threading.Lock()

    def get(self, path: str) -> _Version | None:
        # A plain dict read is atomic; the loop looks up without taking the lock.
        return self._items.get(path)

    def put(self, path: str, version: _Version) -> None:
        with self._lock:
            if path not in self._items and len(self._items) >= self._max:
                # Oldest first: paths still in use come back on their next request.
                del self._items[next(iter(self._items))]
            self._items[path] = version

    def __len__(self) -> int:
        return len(self._items)


class _GzipCache:
    """gzip bodies per path and version, least recently used evicted past ``max_bytes``."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._items: collections.OrderedDict[str, tuple[_Identity, bytes]] = (
            collections.OrderedDict()
        )
        self._lock = threading.Lock()

    def get(self, path: str, identity: _Identity) -> bytes | None:
        with self._lock:
            item = self._items.get(path)
            if item is None or item[0] != identity:
                return None
            self._items.move_to_end(path)
            return item[1]

    def put(self, path: str, identity: _Identity, body: bytes) -> None:
        # One huge body must not push out everything else.
        if len(body) > self.max_bytes // 2:
            return
        with self._lock:
            old = self._items.pop(path, None)
            if old is not None:
                self.size -= len(old[1])
            self._items[path] = (identity, body)
            self.size += len(body)
            while self.size > self.max_bytes:
                _, (_, evicted) = self._items.popitem(last=False)
                self.size -= len(evicted)

    def __len__(self) -> int:
        return len(self._items)


# --- HTTP messages --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Request:
    method: str
    target: str
    requestline: str
    #: Lower-case names; repeated fields joined with ", " as lists are.
    headers: dict[str, str]
    keep_alive: bool
    #: An HTTP/1.0 client keeps the connection only when told so explicitly.
    http10: bool


class _HttpError(Exception):
    def __init__(self, status: HTTPStatus, requestline: str = "") -> None:
        super().__init__(status.phrase)
        self.status = status
        self.requestline = requestline


def _parse_head(head: bytes) -> _Request:
    """Parse a request line and its header fields (RFC 9112), strictly."""
    lines = head.decode("latin-1").split("\n")
    requestline = lines[0].removesuffix("\r")
    parts = requestline.split(" ")
    if len(parts) != 3:
        raise _HttpError(HTTPStatus.BAD_REQUEST, requestline)
    method, target, version = parts
    if not _TOKEN_RE.fullmatch(method) or not target:
        raise _HttpError(HTTPStatus.BAD_REQUEST, requestline)
    http10 = version == "HTTP/1.0"
    if version != "HTTP/1.1" and not http10:
        matched = _VERSION_RE.fullmatch(version)
        if matched is None:
            raise _HttpError(HTTPStatus.BAD_REQUEST, requestline)
        if matched.group(1) != "1":
            raise _HttpError(HTTPStatus.HTTP_VERSION_NOT_SUPPORTED, requestline)
        # Any other 1.x is answered as 1.1 (RFC 9110, 2.5).
    if len(lines) > _MAX_HEADER_FIELDS + 2:
        raise _HttpError(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, requestline)
    headers: dict[str, str] = {}
    for raw in lines[1:]:
        line = raw.removesuffix("\r")
        if not line:
            continue
        # Folded lines and space before the colon are refused (RFC 9112, 5.1 and 5.2).
        name, colon, value = line.partition(":")
        if not colon or not _TOKEN_RE.fullmatch(name):
            raise _HttpError(HTTPStatus.BAD_REQUEST, requestline)
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
    return _Request(method, target, requestline, headers, keep_alive, http10)


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


@dataclass(slots=True)
class _Response:
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


def _text(
    status: HTTPStatus,
    text: str,
    method: str,
    extra: dict[str, str] | None = None,
    *,
    close: bool = False,
) -> _Response:
    body = text.encode("utf-8")
    lines = [
        f"Content-Type: text/plain{_TEXT_UTF8}",
        f"Content-Length: {len(body)}",
        "X-Content-Type-Options: nosniff",
        *(f"{name}: {value}" for name, value in (extra or {}).items()),
    ]
    fields = "".join(f"{line}\r\n" for line in lines).encode("latin-1")
    return _Response(int(status), fields, b"" if method == "HEAD" else body, close=close)


_STATUS_LINES = {
    int(status): f"HTTP/1.1 {status.value} {status.phrase}\r\n".encode() for status in HTTPStatus
}
_CLOSE_FIELD = b"Connection: close\r\n"
_KEEP_ALIVE_FIELD = b"Connection: keep-alive\r\n"


class _Clock:
    """The Date header, formatted once a second."""

    def __init__(self) -> None:
        self._second = -1
        self._field = b""

    def date_field(self) -> bytes:
        now = int(time.time())
        if now != self._second:
            self._field = f"Date: {_http_date(now)}\r\n".encode("latin-1")
            self._second = now
        return self._field


def _render_head(response: _Response, keep_alive: bool, http10: bool, clock: _Clock) -> bytes:
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
            clock.date_field(),
            response.fields,
            connection,
            b"\r\n",
        )
    )


def _read_all(fd: int) -> bytes:
    with open(fd, "rb", closefd=False) as handle:
        handle.seek(0)
        return handle.read()


# --- the event loop -------------------------------------------------------------------


@dataclass(slots=True)
class _FileBody:
    fd: int
    offset: int
    remaining: int


class _Conn:
    """One client connection, owned by the loop thread."""

    __slots__ = (
        "address",
        "busy",
        "close_after",
        "closed",
        "deadline",
        "events",
        "fd",
        "idle",
        "inbuf",
        "out",
        "sock",
    )

    def __init__(self, sock: socket.socket, address: str, deadline: float) -> None:
        self.sock = sock
        self.fd = sock.fileno()
        self.address = address
        self.inbuf = bytearray()
        self.out: collections.deque[memoryview | _FileBody] = collections.deque()
        #: A worker is answering; nothing else happens on the connection meanwhile.
        self.busy = False
        self.close_after = False
        self.closed = False
        #: Between requests on a kept-alive connection (the idle timeout applies).
        self.idle = False
        self.deadline = deadline
        self.events = 0


_LISTENER = "listener"
_WAKE = "wake"


class OutputServer:
    """Serves one output folder; made by ``make_server``, which has bound and listens.

    ``serve_forever()`` runs the loop in the calling thread until ``shutdown()``
    is called from another thread; ``server_close()`` releases the socket.
    """

    def __init__(self, settings: ServeSettings, log: Callable[[str], None] | None) -> None:
        self.settings = settings
        self.log = log
        self.request_queue_size = settings.backlog
        self.max_workers = settings.workers
        self.max_connections = _connection_limit(settings.max_connections, settings.workers)
        family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
        self._listener = socket.socket(family, socket.SOCK_STREAM)
        try:
            # Lets a restarted server bind while old connections linger in TIME_WAIT.
            self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._listener.bind((settings.host, settings.port))
            self._listener.listen(self.request_queue_size)
        except OSError:
            self._listener.close()
            raise
        self._listener.setblocking(False)
        self.server_address: tuple[str, int] = self._listener.getsockname()[:2]
        self._root = os.fspath(settings.root)
        self._versions = _Versions(_MAX_VERSIONS)
        self._gzip = _GzipCache(settings.gzip_cache_bytes)
        self._clock = _Clock()
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=settings.workers, thread_name_prefix="feeds-serve"
        )
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ, _LISTENER)
        self._accepting = True
        self._resume_accepting_at = 0.0
        # Workers hand answers back through this queue and wake the loop with a byte.
        self._done: collections.deque[tuple[_Conn, _Request, concurrent.futures.Future[_Response]]]
        self._done = collections.deque()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, _WAKE)
        self._conns: set[_Conn] = set()
        self._now = time.monotonic()
        self._stop = False
        self._stopped = threading.Event()
        self._stopped.set()
        self._closed = False

    # --- public ---

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}/"

    @property
    def connections(self) -> int:
        """Connections open now."""
        return len(self._conns)

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        """Run the loop until ``shutdown()``; ``poll_interval`` caps each wait."""
        self._stopped.clear()
        timeout = min(poll_interval, _SWEEP_SECONDS)
        self._now = time.monotonic()
        next_sweep = self._now + _SWEEP_SECONDS
        try:
            while not self._stop:
                events = self._selector.select(timeout)
                # One reading of the clock serves every deadline set in this round.
                self._now = now = time.monotonic()
                for key, mask in events:
                    try:
                        self._dispatch(key.data, mask)
                    except Exception:
                        # A bug met by one connection must not stop the server: show it
                        # and drop that connection.
                        traceback.print_exc(file=sys.stderr)
                        if isinstance(key.data, _Conn):
                            self._close(key.data)
                if now >= next_sweep:
                    self._sweep(now)
                    next_sweep = now + _SWEEP_SECONDS
        finally:
            self._stop = False
            self._stopped.set()

    def shutdown(self) -> None:
        """Stop ``serve_forever`` (running in another thread) and wait until it returns."""
        self._stop = True
        self._wake()
        self._stopped.wait()

    def server_close(self) -> None:
        """Close the listening socket and every connection; idempotent."""
        if self._closed:
            return
        self._closed = True
        for conn in list(self._conns):
            self._close(conn)
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._selector.close()
        self._listener.close()
        self._wake_r.close()
        self._wake_w.close()

    def __enter__(self) -> OutputServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server_close()

    # --- loop ---

    def _dispatch(self, data: object, mask: int) -> None:
        if isinstance(data, _Conn):
            if data.closed:
                return
            if mask & selectors.EVENT_WRITE:
                if self._flush(data):
                    self._after_response(data)
            else:
                self._read(data)
        elif data == _LISTENER:
            self._accept()
        else:
            self._finish_jobs()

    def _wake(self) -> None:
        # A full pipe wakes the loop all the same; a closed one means it has stopped.
        with contextlib.suppress(OSError):
            self._wake_w.send(b"\0")

    def _watch(self, conn: _Conn, events: int) -> None:
        """Register ``conn`` for ``events`` (0: not at all)."""
        if events == conn.events:
            return
        if conn.events == 0:
            self._selector.register(conn.sock, events, conn)
        elif events == 0:
            self._selector.unregister(conn.sock)
        else:
            self._selector.modify(conn.sock, events, conn)
        conn.events = events

    def _accept(self) -> None:
        now = self._now
        # Bounded, so a flood of new connections cannot starve the open ones.
        for _ in range(64):
            if len(self._conns) >= self.max_connections:
                self._pause_accepting(0.0)
                return
            try:
                sock, address = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionAbortedError:
                continue
            except OSError as exc:
                if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    # Out of descriptors or memory: leave the rest in the backlog a while.
                    self._pause_accepting(now + 0.1)
                    return
                raise
            sock.setblocking(False)
            # Heads and bodies may go out in separate writes; Nagle would hold the body.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = _Conn(sock, str(address[0]), now + self.settings.header_timeout)
            self._conns.add(conn)
            self._watch(conn, selectors.EVENT_READ)

    def _pause_accepting(self, until: float) -> None:
        if self._accepting:
            self._selector.unregister(self._listener)
            self._accepting = False
        self._resume_accepting_at = until

    def _resume_accepting(self, now: float) -> None:
        if (
            not self._accepting
            and now >= self._resume_accepting_at
            and len(self._conns) < self.max_connections
        ):
            self._selector.register(self._listener, selectors.EVENT_READ, _LISTENER)
            self._accepting = True

    def _read(self, conn: _Conn) -> None:
        try:
            data = conn.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._close(conn)
            return
        if not data:
            self._close(conn)
            return
        if conn.idle:
            # The next request has begun: its head must now arrive in time.
            conn.idle = False
            conn.deadline = self._now + self.settings.header_timeout
        conn.inbuf += data
        self._process(conn)

    def _process(self, conn: _Conn) -> None:
        """Answer the complete request heads in ``conn.inbuf``, one at a time, in order."""
        while not (conn.busy or conn.out or conn.closed or conn.close_after):
            buffer = conn.inbuf
            if buffer.startswith((b"\r", b"\n")):
                # Empty lines before a request line are ignored (RFC 9112, 2.2).
                del buffer[: len(buffer) - len(buffer.lstrip(b"\r\n"))]
            head_end, consumed = _head_end(buffer)
            if head_end < 0:
                if len(buffer) > MAX_HEAD_BYTES:
                    self._reply_error(conn, _HttpError(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE))
                else:
                    self._watch(conn, selectors.EVENT_READ)
                return
            if head_end > MAX_HEAD_BYTES:
                self._reply_error(conn, _HttpError(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE))
                return
            head = bytes(buffer[:head_end])
            del buffer[:consumed]
            try:
                request = _parse_head(head)
            except _HttpError as exc:
                self._reply_error(conn, exc)
                return
            response = self._answer_from_memory(request)
            if response is None:
                conn.busy = True
                self._watch(conn, 0)
                future = self._pool.submit(self._answer_from_disk, request)
                future.add_done_callback(functools.partial(self._job_done, conn, request))
                return
            if self._reply(conn, request, response):
                self._after_response(conn, process=False)

    def _after_response(self, conn: _Conn, *, process: bool = True) -> None:
        """A response went out whole: close, or wait for (or answer) the next request."""
        if conn.close_after:
            self._close(conn)
            return
        conn.idle = not conn.inbuf
        conn.deadline = self._now + (
            self.settings.idle_timeout if conn.idle else self.settings.header_timeout
        )
        self._watch(conn, selectors.EVENT_READ)
        if process:
            self._process(conn)

    def _reply(self, conn: _Conn, request: _Request, response: _Response) -> bool:
        """Log, queue and start sending ``response``; True when it went out whole."""
        if self.log is not None:
            self.log(f'{conn.address} "{request.requestline}" {response.status}')
        keep_alive = request.keep_alive and not response.close
        return self._send(conn, response, keep_alive, request.http10)

    def _reply_error(self, conn: _Conn, error: _HttpError) -> None:
        if self.log is not None:
            self.log(f'{conn.address} "{error.requestline}" {int(error.status)}')
        text = f"{error.status.phrase.lower()}\n"
        if self._send(conn, _text(error.status, text, "GET"), False, False):
            self._close(conn)

    def _send(self, conn: _Conn, response: _Response, keep_alive: bool, http10: bool) -> bool:
        if not keep_alive:
            conn.close_after = True
        head = _render_head(response, keep_alive, http10, self._clock)
        body = response.body
        if body and len(body) <= _JOIN_BODY_BYTES:
            head += body
            body = b""
        if not (conn.out or body or response.file is not None):
            # The usual case: one small write that the socket takes whole.
            try:
                sent = conn.sock.send(head)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError:
                self._close(conn)
                return False
            if sent == len(head):
                return True
            head = head[sent:]
        conn.out.append(memoryview(head))
        if body:
            conn.out.append(memoryview(body))
        if response.file is not None:
            conn.out.append(_FileBody(response.file, 0, response.length))
            response.file = None  # the connection owns the descriptor now
        return self._flush(conn)

    def _flush(self, conn: _Conn) -> bool:
        """Write what the socket takes now; True when nothing is left to send."""
        out = conn.out
        try:
            while out:
                item = out[0]
                if isinstance(item, _FileBody):
                    sent = os.sendfile(conn.fd, item.fd, item.offset, item.remaining)
                    if sent == 0:
                        # The file shrank under us (changed in place): the promised length
                        # cannot be kept, so the connection cannot be either.
                        self._close(conn)
                        return False
                    item.offset += sent
                    item.remaining -= sent
                    if item.remaining == 0:
                        os.close(item.fd)
                        out.popleft()
                else:
                    sent = conn.sock.send(item)
                    if sent < len(item):
                        out[0] = item[sent:]
                    else:
                        out.popleft()
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:
            # The client went away mid-response (reset, broken pipe): nothing to report.
            self._close(conn)
            return False
        if out:
            # A client that stops reading is dropped after the idle timeout.
            conn.deadline = self._now + self.settings.idle_timeout
            self._watch(conn, selectors.EVENT_WRITE)
            return False
        return True

    def _close(self, conn: _Conn) -> None:
        if conn.closed:
            return
        conn.closed = True
        if conn.events:
            self._selector.unregister(conn.sock)
            conn.events = 0
        for item in conn.out:
            if isinstance(item, _FileBody):
                os.close(item.fd)
        conn.out.clear()
        conn.sock.close()
        self._conns.discard(conn)
        if not self._accepting and not self._closed:
            self._resume_accepting(self._now)

    def _sweep(self, now: float) -> None:
        """Drop connections past their deadline: slow heads, idle keep-alives, stalled reads."""
        for conn in list(self._conns):
            if conn.busy or now < conn.deadline:
                continue
            if conn.inbuf and not conn.out:
                # A head that did not arrive in time: say so, best effort, then drop.
                if self.log is not None:
                    self.log(f'{conn.address} "" {int(HTTPStatus.REQUEST_TIMEOUT)}')
                response = _text(HTTPStatus.REQUEST_TIMEOUT, "request timeout\n", "GET")
                with contextlib.suppress(OSError):
                    # Unread input would turn the close into a reset that can discard
                    # the answer: read what has come (the socket does not block).
                    while conn.sock.recv(65536):
                        pass
                with contextlib.suppress(OSError):
                    conn.sock.send(
                        _render_head(response, False, False, self._clock) + response.body
                    )
            self._close(conn)
        self._resume_accepting(now)

    def _job_done(
        self, conn: _Conn, request: _Request, future: concurrent.futures.Future[_Response]
    ) -> None:
        # Runs in the worker thread: hand over to the loop, which owns the connection.
        if self._closed:
            if not future.cancelled() and future.exception() is None:
                future.result().discard()
            return
        self._done.append((conn, request, future))
        self._wake()

    def _finish_jobs(self) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        while self._done:
            conn, request, future = self._done.popleft()
            try:
                response = future.result()
            except Exception:
                # A bug, not a client problem: show it, and answer 500.
                traceback.print_exc(file=sys.stderr)
                response = _text(
                    HTTPStatus.INTERNAL_SERVER_ERROR, "internal server error\n", "GET", close=True
                )
            if conn.closed:
                response.discard()
                continue
            conn.busy = False
            if self._reply(conn, request, response):
                self._after_response(conn)

    # --- answers ---

    def _answer_from_memory(self, request: _Request) -> _Response | None:
        """Answer without touching file contents, or None to leave it to a worker.

        Only a remembered version is answered here: its path was resolved inside the
        root when it was read, and what is sent (validators, a cached gzip body) came
        from that read, whichever file the path leads to now.
        """
        if request.method not in _ALLOWED_METHODS:
            return _text(
                HTTPStatus.METHOD_NOT_ALLOWED,
                "method not allowed\n",
                request.method,
                {"Allow": ", ".join(_ALLOWED_METHODS)},
                # A body we do not read would be taken for the next request.
                close=True,
            )
        route = _route(request.target)
        if route is None:
            return _text(HTTPStatus.NOT_FOUND, "not found\n", request.method)
        logical = route.logical
        version = self._versions.get(logical)
        if version is None:
            return None
        try:
            info = os.stat(version.path)
        except OSError:
            return None
        if _identity(info) != version.identity:
            return None
        gz = version.gzip_ok and _accepts_gzip(request.headers.get("accept-encoding"))
        if self._not_modified(request, version, gz):
            return _not_modified_response(version, gz)
        if gz:
            packed = self._gzip.get(logical, version.identity)
            if packed is None:
                return None
            return _ok(version, request.method, gz=True, body=packed)
        if request.method == "HEAD":
            return _ok(version, request.method, gz=False, body=b"", length=version.size)
        return None

    def _answer_from_disk(self, request: _Request) -> _Response:
        """Resolve, open and (when needed) read, hash and compress; runs in a worker."""
        method = request.method
        route = _route(request.target)
        if route is None:
            return _text(HTTPStatus.NOT_FOUND, "not found\n", method)
        segments, trailing = route.segments, route.trailing
        root = os.path.realpath(self._root)
        target = os.path.realpath(os.path.join(root, *segments))
        # realpath has followed every symlink: whatever lies outside root is hidden.
        if not _inside(target, root):
            return _text(HTTPStatus.NOT_FOUND, "not found\n", method)
        if os.path.isdir(target):
            if not trailing:
                return _redirect_to_folder(request)
            target = os.path.join(target, "index.html")
            segments = (*segments, "index.html")
        elif trailing:
            return _text(HTTPStatus.NOT_FOUND, "not found\n", method)
        try:
            fd = os.open(target, _OPEN_FLAGS)
        except OSError:
            return _text(HTTPStatus.NOT_FOUND, "not found\n", method)
        response: _Response | None = None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                response = _text(HTTPStatus.NOT_FOUND, "not found\n", method)
                return response
            response = self._answer_file(request, "/".join(segments), segments, fd, info)
            return response
        finally:
            if response is None or response.file != fd:
                os.close(fd)

    def _answer_file(
        self,
        request: _Request,
        logical: str,
        segments: Sequence[str],
        fd: int,
        info: os.stat_result,
    ) -> _Response:
        identity = _identity(info)
        version = self._versions.get(logical)
        body: bytes | None = None
        remembered = version is not None and version.identity == identity
        if version is None or not remembered:
            started = time.time_ns()
            body = _read_all(fd)
            digest = hashlib.sha256(body).hexdigest()[:32]
            version = _make_version(
                info,
                os.path.join(self._root, logical),
                len(body),
                digest,
                segments,
                self.settings.max_age,
            )
            changed_at = max(info.st_mtime_ns, info.st_ctime_ns)
            settled = changed_at + int(RACY_SECONDS * 1e9) <= started
            # The same identity after the read: nothing wrote to the file meanwhile.
            remembered = settled and _identity(os.fstat(fd)) == identity
            if remembered:
                self._versions.put(logical, version)
        gz = version.gzip_ok and _accepts_gzip(request.headers.get("accept-encoding"))
        if self._not_modified(request, version, gz):
            return _not_modified_response(version, gz)
        method = request.method
        if gz:
            packed = self._gzip.get(logical, identity) if remembered else None
            if packed is None:
                if body is None:
                    body = _read_all(fd)
                # mtime=0 keeps the gzip bytes, and so the "-gz" tag, the same every time.
                packed = gzip.compress(body, compresslevel=6, mtime=0)
                if remembered:
                    self._gzip.put(logical, identity, packed)
            return _ok(version, method, gz=True, body=packed)
        if method == "HEAD":
            return _ok(version, method, gz=False, body=b"", length=version.size)
        if body is None and not _HAVE_SENDFILE:
            body = _read_all(fd)
        if body is not None:
            return _ok(version, method, gz=False, body=body)
        # A remembered version: its bytes go from this descriptor, never through Python.
        return _Response(
            int(HTTPStatus.OK),
            _ok_fields(version, gz=False, length=version.size),
            file=fd,
            length=version.size,
        )

    @staticmethod
    def _not_modified(request: _Request, version: _Version, gz: bool) -> bool:
        if_none_match = request.headers.get("if-none-match")
        if if_none_match is not None:
            # If-None-Match wins: If-Modified-Since is not even looked at (RFC 9110, 13.2.2).
            return _etag_matches(if_none_match, version.gz_etag if gz else version.etag)
        if_modified_since = request.headers.get("if-modified-since")
        return if_modified_since is not None and _not_modified_since(
            if_modified_since, version.mtime
        )


def _ok_fields(version: _Version, *, gz: bool, length: int) -> bytes:
    encoding = b"Content-Encoding: gzip\r\n" if gz else b""
    return b"".join(
        (
            version.type_field,
            b"Content-Length: %d\r\n" % length,
            encoding,
            version.gz_fields if gz else version.plain_fields,
        )
    )


def _ok(
    version: _Version, method: str, *, gz: bool, body: bytes, length: int | None = None
) -> _Response:
    """A 200; HEAD gets the headers of the GET and no body."""
    fields = _ok_fields(version, gz=gz, length=len(body) if length is None else length)
    return _Response(int(HTTPStatus.OK), fields, b"" if method == "HEAD" else body)


def _not_modified_response(version: _Version, gz: bool) -> _Response:
    return _Response(
        int(HTTPStatus.NOT_MODIFIED), version.gz_fields if gz else version.plain_fields
    )


def _redirect_to_folder(request: _Request) -> _Response:
    path, question, query = request.target.partition("?")
    if path.startswith(("http://", "https://")):
        path = urllib.parse.urlsplit(path).path
    # The path passed _request_segments, so it starts with one slash only: never
    # a scheme-relative "//host" that would send the client elsewhere.
    location = f"{path}/{question}{query}"
    return _text(
        HTTPStatus.MOVED_PERMANENTLY, f"see {location}\n", request.method, {"Location": location}
    )


def _connection_limit(wanted: int, workers: int) -> int:
    """``wanted``, or fewer when the descriptor limit would be reached first."""
    try:
        import resource
    except ImportError:  # not on POSIX
        return wanted
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return wanted
    # Each worker may hold a file open; keep a few for the listener, logs and imports.
    return max(1, min(wanted, soft - workers - 32))
