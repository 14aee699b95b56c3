"""``feeds serve``: a small static HTTP server for the output folder.

It knows the media types of the files the publisher writes, answers
conditional requests (ETag, Last-Modified), compresses text with gzip, and
never serves anything outside the output folder.  Each file is read in one go
from one open descriptor, so a file swapped by ``os.replace`` during a refresh
is served wholly old or wholly new.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import gzip
import hashlib
import http.server
import os
import re
import socket
import stat
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path

from feeds.errors import ConfigError

__all__ = ["ServeSettings", "make_server", "serve_forever"]

#: Archive documents are complete once written, so caches may keep them a day.
ARCHIVE_MAX_AGE = 86400
#: Below this size gzip saves too little to be worth a second representation.
GZIP_MIN_BYTES = 256
#: Seconds an idle keep-alive connection may hold a worker thread.
IDLE_TIMEOUT = 30.0

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

_ETAG_RE = re.compile(r'\s*(?:W/)?"([^"]*)"\s*(?:,|$)')


@dataclass(frozen=True)
class ServeSettings:
    """Where and how to serve the output folder."""

    root: Path
    host: str = "127.0.0.1"
    port: int = 8080
    #: Cache lifetime in seconds of feeds, pages and everything but archives.
    max_age: int = 300


@dataclass(frozen=True)
class _Snapshot:
    """The bytes of one file and the metadata of that very file."""

    body: bytes
    mtime: float


@dataclass(frozen=True)
class _Representation:
    """What a GET of one file answers, before any conditional check."""

    body: bytes
    content_type: str
    etag: str
    last_modified: str
    mtime: int
    cache_control: str
    gzipped: bool
    varies: bool


class _OutputServer(http.server.ThreadingHTTPServer):
    """A threading server that carries its settings and request logger."""

    # Worker threads must not keep the process alive after Ctrl-C.
    daemon_threads = True

    def __init__(self, settings: ServeSettings, log: Callable[[str], None] | None) -> None:
        self.settings = settings
        self.log = log
        super().__init__((settings.host, settings.port), _Handler)


class _OutputServer6(_OutputServer):
    address_family = socket.AF_INET6


def make_server(
    settings: ServeSettings, *, log: Callable[[str], None] | None = None
) -> http.server.ThreadingHTTPServer:
    """Bind a server for ``settings.root``; call ``serve_forever()`` on it to serve.

    Port 0 picks a free port: read it back from ``server.server_address``.
    """
    if not settings.root.is_dir():
        raise ConfigError([f"{settings.root}: output folder does not exist or is not a folder"])
    server_class = _OutputServer6 if ":" in settings.host else _OutputServer
    try:
        return server_class(settings, log)
    except OSError as exc:
        where = f"{settings.host}:{settings.port}"
        raise ConfigError([f"{where}: cannot listen: {exc.strerror or exc}"]) from exc


def serve_forever(settings: ServeSettings, *, log: Callable[[str], None] | None = None) -> None:
    """Serve until interrupted; Ctrl-C closes the socket and returns normally."""
    server = make_server(settings, log=log)
    if log is not None:
        host, port = server.server_address[:2]
        shown = f"[{host!s}]" if ":" in str(host) else str(host)
        log(f"serving {settings.root} on http://{shown}:{port}/")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


# --- request path handling ---------------------------------------------------


def _request_segments(target: str) -> tuple[list[str], bool] | None:
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
    return segments, trailing


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _read_snapshot(path: str) -> _Snapshot | None:
    """Read a regular file whole, with the mtime of the same open file."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    with open(fd, "rb", closefd=True) as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            return None
        return _Snapshot(body=handle.read(), mtime=info.st_mtime)


# --- representation --------------------------------------------------------


def _content_type(segments: list[str]) -> str:
    name = segments[-1]
    if len(segments) >= 3 and segments[-2] == "archive" and name.endswith(".xml"):
        return _ARCHIVE_TYPE
    if name in _TYPES_BY_NAME:
        return _TYPES_BY_NAME[name]
    return _TYPES_BY_SUFFIX.get(os.path.splitext(name)[1].lower(), _DEFAULT_TYPE)


def _cache_control(segments: list[str], max_age: int) -> str:
    if len(segments) >= 3 and segments[-2] == "archive":
        return f"public, max-age={ARCHIVE_MAX_AGE}"
    return f"public, max-age={max_age}"


def _compressible(content_type: str) -> bool:
    media = content_type.split(";", 1)[0]
    return media.startswith("text/") or media.endswith(("xml", "json"))


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


def _represent(
    snapshot: _Snapshot, segments: list[str], max_age: int, accept_encoding: str | None
) -> _Representation:
    content_type = _content_type(segments)
    digest = hashlib.sha256(snapshot.body).hexdigest()[:32]
    varies = _compressible(content_type)
    use_gzip = varies and len(snapshot.body) >= GZIP_MIN_BYTES and _accepts_gzip(accept_encoding)
    # mtime=0 keeps the gzip bytes, and so the "-gz" tag, the same on every request.
    body = gzip.compress(snapshot.body, compresslevel=6, mtime=0) if use_gzip else snapshot.body
    return _Representation(
        body=body,
        content_type=content_type,
        etag=f'"{digest}-gz"' if use_gzip else f'"{digest}"',
        last_modified=_http_date(snapshot.mtime),
        mtime=int(snapshot.mtime),
        cache_control=_cache_control(segments, max_age),
        gzipped=use_gzip,
        varies=varies,
    )


def _etag_matches(header: str, etag: str) -> bool:
    """Weak comparison of ``etag`` against an If-None-Match list (RFC 9110, 13.1.2)."""
    if header.strip() == "*":
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


# --- handler ---------------------------------------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _OutputServer
    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT
    # Headers and body go out in separate writes; without this, Nagle's algorithm
    # and delayed ACKs hold the body of a keep-alive response back by ~40 ms.
    disable_nagle_algorithm = True

    def version_string(self) -> str:
        # No Python version in the Server header: it tells clients nothing useful.
        return "feeds"

    def parse_request(self) -> bool:
        # Checked here so that every other method, known or not, gets 405 rather than 501.
        if not super().parse_request():
            return False
        if self.command not in _ALLOWED_METHODS:
            # A body we do not read would be taken for the next request: close instead.
            self.close_connection = True
            self._send_text(
                HTTPStatus.METHOD_NOT_ALLOWED,
                "method not allowed\n",
                {"Allow": ", ".join(_ALLOWED_METHODS), "Connection": "close"},
            )
            return False
        return True

    def do_GET(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def _serve(self) -> None:
        parsed = _request_segments(self.path)
        if parsed is None:
            self._send_text(HTTPStatus.NOT_FOUND, "not found\n")
            return
        segments, trailing = parsed
        root = os.path.realpath(self.server.settings.root)
        target = os.path.realpath(os.path.join(root, *segments))
        # realpath has followed every symlink: whatever lies outside root is hidden.
        if not _inside(target, root):
            self._send_text(HTTPStatus.NOT_FOUND, "not found\n")
            return
        if os.path.isdir(target):
            if not trailing:
                self._redirect_to_folder()
                return
            target = os.path.join(target, "index.html")
            segments = [*segments, "index.html"]
        elif trailing:
            self._send_text(HTTPStatus.NOT_FOUND, "not found\n")
            return
        snapshot = _read_snapshot(target)
        if snapshot is None:
            self._send_text(HTTPStatus.NOT_FOUND, "not found\n")
            return
        rep = _represent(
            snapshot,
            segments,
            self.server.settings.max_age,
            self.headers.get("Accept-Encoding"),
        )
        if self._not_modified(rep):
            self.send_response(HTTPStatus.NOT_MODIFIED)
            self._send_validators(rep)
            self.end_headers()
            return
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", rep.content_type)
        self.send_header("Content-Length", str(len(rep.body)))
        if rep.gzipped:
            self.send_header("Content-Encoding", "gzip")
        self._send_validators(rep)
        self.end_headers()
        if self.command == "GET":
            self.wfile.write(rep.body)

    def _not_modified(self, rep: _Representation) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            # If-None-Match wins: If-Modified-Since is not even looked at (RFC 9110, 13.2.2).
            return _etag_matches(if_none_match, rep.etag)
        if_modified_since = self.headers.get("If-Modified-Since")
        return if_modified_since is not None and _not_modified_since(if_modified_since, rep.mtime)

    def _send_validators(self, rep: _Representation) -> None:
        self.send_header("ETag", rep.etag)
        self.send_header("Last-Modified", rep.last_modified)
        self.send_header("Cache-Control", rep.cache_control)
        if rep.varies:
            self.send_header("Vary", "Accept-Encoding")
        self.send_header("X-Content-Type-Options", "nosniff")

    def _redirect_to_folder(self) -> None:
        path, question, query = self.path.partition("?")
        if path.startswith(("http://", "https://")):
            path = urllib.parse.urlsplit(path).path
        # The path passed _request_segments, so it starts with one slash only: never
        # a scheme-relative "//host" that would send the client elsewhere.
        location = f"{path}/{question}{query}"
        self._send_text(HTTPStatus.MOVED_PERMANENTLY, f"see {location}\n", {"Location": location})

    def _send_text(
        self, status: HTTPStatus, text: str, headers: dict[str, str] | None = None
    ) -> None:
        body = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain" + _TEXT_UTF8)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # Protocol errors found by the base class (bad request line, huge headers)
        # get the same small plain-text body as our own 404 and 405.
        self.close_connection = True
        try:
            status = HTTPStatus(code)
            text = f"{status.phrase.lower()}\n"
        except ValueError:
            status, text = HTTPStatus.BAD_REQUEST, "bad request\n"
        self._send_text(status, text, {"Connection": "close"})

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log = self.server.log
        if log is None:
            return
        status = code.value if isinstance(code, HTTPStatus) else code
        log(f'{self.address_string()} "{self.requestline}" {status}')

    def log_message(self, format: str, *args: object) -> None:
        # Quiet: the base class would write every message to stderr.
        return
