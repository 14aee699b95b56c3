"""A real HTTP/1.1 server on 127.0.0.1 that serves fixture sites to tests.

Two kinds of routes:

* static pages (:meth:`SiteServer.add`): served with a strong ETag (a hash of the
  bytes) and a Last-Modified date, and answered with 304 when the request's
  ``If-None-Match`` or ``If-Modified-Since`` says the client already has them;
* scripted routes (:meth:`SiteServer.add_handler`): a callable gets the
  :class:`Request` and returns ``(status, headers, body)``, which makes failures
  easy to stage ("500 twice, then 200", slow answers, redirects, cut bodies).

Rules for a scripted reply's headers:

* a ``Content-Length`` given by the handler is sent as is; when it differs from the
  body's real length the connection is closed after the body, as a server that
  died mid-transfer would;
* ``Transfer-Encoding: chunked`` sends the body in chunks with no length;
* otherwise ``Content-Length`` is the body's length;
* ``Date`` and ``Content-Type`` (``text/html; charset=utf-8``) are added when absent.

Every request is recorded in :attr:`SiteServer.requests`.  Paths with no route,
``/robots.txt`` included, get a 404.
"""

from __future__ import annotations

import email.utils
import hashlib
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import pytest

CHUNK_SIZE = 16 * 1024


@dataclass(frozen=True)
class Request:
    """What a scripted route receives."""

    method: str
    #: Path with its query string, as the client sent it.
    path: str
    #: Header names in lower case; repeated headers joined with ", ".
    headers: Mapping[str, str]
    body: bytes
    #: 1 on the first call of this route, 2 on the second, and so on.
    call: int


class RecordedRequest(NamedTuple):
    """One request the server received: ``(method, path_with_query, headers)``."""

    method: str
    path: str
    headers: dict[str, str]


Reply = tuple[int, Mapping[str, str], bytes | str]
Handler = Callable[[Request], Reply]


@dataclass(frozen=True)
class _Page:
    status: int
    headers: dict[str, str]
    body: bytes
    etag: str
    last_modified: str


def _as_bytes(body: bytes | str) -> bytes:
    return body.encode("utf-8") if isinstance(body, str) else body


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _not_modified(page: _Page, request_headers: Mapping[str, str]) -> bool:
    """Conditional GET as RFC 9110 orders it: If-None-Match wins over If-Modified-Since."""
    if page.status != 200:
        return False
    if_none_match = request_headers.get("if-none-match")
    if if_none_match is not None:
        tags = {tag.strip() for tag in if_none_match.split(",")}
        return "*" in tags or page.etag in tags
    if_modified_since = request_headers.get("if-modified-since")
    if if_modified_since is None:
        return False
    try:
        since = email.utils.parsedate_to_datetime(if_modified_since)
        modified = email.utils.parsedate_to_datetime(page.last_modified)
    except (TypeError, ValueError):
        return False
    return modified <= since


class SiteServer:
    """A threaded HTTP server on 127.0.0.1 (a free port), used as a context manager."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        #: Set when the server stops: slow handlers can wait on it instead of sleeping.
        self.stopped = threading.Event()
        #: Tracebacks of handlers that raised (the client got a 500).
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._pages: dict[str, _Page] = {}
        self._handlers: dict[str, Handler] = {}
        self._calls: dict[str, int] = {}
        self._requests: list[RecordedRequest] = []
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- life cycle --------------------------------------------------------

    def start(self) -> SiteServer:
        self._httpd = _Server((self.host, 0), _RequestHandler, self)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopped.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> SiteServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``, without a trailing slash."""
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    # -- routes ------------------------------------------------------------

    def add(
        self,
        path: str,
        body: bytes | str,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        content_type: str = "text/html; charset=utf-8",
    ) -> None:
        """Serve ``body`` at ``path`` (with its query, matched exactly).

        An ``ETag`` or ``Last-Modified`` in ``headers`` replaces the generated one.
        """
        data = _as_bytes(body)
        extra = dict(headers or {})
        etag = _header(extra, "etag") or '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
        last_modified = _header(extra, "last-modified") or email.utils.formatdate(
            time.time(), usegmt=True
        )
        extra = {k: v for k, v in extra.items() if k.lower() not in ("etag", "last-modified")}
        if _header(extra, "content-type") is None:
            extra["Content-Type"] = content_type
        page = _Page(status, extra, data, etag, last_modified)
        with self._lock:
            self._handlers.pop(path, None)
            self._pages[path] = page

    def add_handler(self, path: str, fn: Handler) -> None:
        """Answer ``path`` with ``fn``.  A path given without a query also takes
        requests with any query string, unless a route matches them exactly."""
        with self._lock:
            self._pages.pop(path, None)
            self._handlers[path] = fn
            self._calls[path] = 0

    def remove(self, path: str) -> None:
        """Drop a route: the path answers 404 from now on."""
        with self._lock:
            self._pages.pop(path, None)
            self._handlers.pop(path, None)

    # -- what was asked ----------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of every request received so far, in order."""
        with self._lock:
            return list(self._requests)

    def count(self, path: str) -> int:
        """How many requests asked for ``path`` (with its query, matched exactly)."""
        return sum(1 for request in self.requests if request.path == path)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    # -- serving (called from the server's threads) ------------------------

    def _record(self, method: str, path: str, headers: dict[str, str]) -> None:
        with self._lock:
            self._requests.append(RecordedRequest(method, path, headers))

    def _route(self, path: str) -> tuple[_Page | Handler | None, int]:
        """The route for ``path`` and, for scripted routes, the number of this call."""
        with self._lock:
            for key in (path, urlsplit(path).path):
                if key in self._pages:
                    return self._pages[key], 0
                if key in self._handlers:
                    self._calls[key] += 1
                    return self._handlers[key], self._calls[key]
        return None, 0

    def _answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        route, call = self._route(path)
        if route is None:
            return 404, {"Content-Type": "text/plain; charset=utf-8"}, b"not found\n"
        if isinstance(route, _Page):
            validators = {"ETag": route.etag, "Last-Modified": route.last_modified}
            if route.status == 200 and _not_modified(route, headers):
                return 304, validators, b""
            if route.status == 200:
                return route.status, {**route.headers, **validators}, route.body
            return route.status, route.headers, route.body
        try:
            return route(Request(method, path, headers, body, call))
        except Exception:
            with self._lock:
                self.errors.append(traceback.format_exc())
            return 500, {"Content-Type": "text/plain; charset=utf-8"}, b"handler error\n"


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], site: SiteServer
    ) -> None:
        self.site = site
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that time out or hang up on purpose are part of the tests.
        pass


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        length = int(headers.get("content-length", "0") or "0")
        body = self.rfile.read(length) if length > 0 else b""
        site = self.server.site
        site._record(self.command, self.path, headers)
        status, reply_headers, reply_body = site._answer(self.command, self.path, headers, body)
        try:
            self._write(status, reply_headers, _as_bytes(reply_body))
        except OSError:
            self.close_connection = True

    def _write(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        self.send_response_only(status)
        names = {name.lower() for name in headers}
        if "date" not in names:
            self.send_header("Date", self.date_time_string())
        bodiless = status in (204, 304) or 100 <= status < 200
        if "content-type" not in names and not bodiless:
            self.send_header("Content-Type", "text/html; charset=utf-8")
        chunked = (_header(headers, "transfer-encoding") or "").lower() == "chunked"
        declared = _header(headers, "content-length")
        for name, value in headers.items():
            self.send_header(name, value)
        if not bodiless and not chunked and declared is None:
            self.send_header("Content-Length", str(len(body)))
        if declared is not None and int(declared) != len(body):
            self.close_connection = True
        self.end_headers()
        if self.command == "HEAD" or bodiless:
            return
        if chunked:
            for start in range(0, len(body), CHUNK_SIZE):
                chunk = body[start : start + CHUNK_SIZE]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.wfile.write(body)
        self.wfile.flush()


# The explicit name lets a test module import the fixture under another name
# (``site_server as site_server_fixture``) without shadowing its parameters.
@pytest.fixture(name="site_server")
def site_server() -> Iterator[SiteServer]:
    """A running :class:`SiteServer`, stopped after the test."""
    with SiteServer() as server:
        yield server
