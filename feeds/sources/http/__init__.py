"""A polite HTTP client: the only place feeds talks to the network.

Politeness and safety, in the order a request meets them:

1. only http and https URLs, and only to an origin (scheme, host, port) the sources
   name (``allowed_origins``); an allowed http origin on port 80 also admits its https
   twin on port 443, so an upgrade redirect is followed;
2. the origin's robots.txt (read once, RFC 9309 rules: longest match, ``*`` and ``$``)
   must allow the path;
3. at most ``per_host_concurrency`` requests run at once against one host, and two
   requests to one host start at least ``min_delay`` seconds apart;
4. the host is resolved once per attempt and every address is checked (no loopback,
   private, link-local or reserved address unless allowed); the connection goes to a
   checked address, while the Host header, TLS SNI and the certificate check keep
   the host name;
5. one attempt has ``timeout`` seconds for everything: connecting, TLS, the answer's
   head and its whole body;
6. connection errors, timeouts, 429 and 5xx are retried with exponential backoff and
   full jitter, or after the server's ``Retry-After``;
7. redirects are followed by hand, and only to allowed origins;
8. bodies are read raw and inflated here (gzip or deflate, one coding at most) with a
   bounded output, and cut at ``max_bytes`` decoded bytes; a body the server cut
   short is an error, never a page.

Conditional GET is supported through :class:`Validators`: a 304 answer comes back
as ``Fetched(not_modified=True)``.  Every failure is a
:class:`feeds.errors.FetchError` whose message starts with the requested URL.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import ipaddress
import random
import re
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cached_property
from types import TracebackType
from typing import Any

import httpcore
import httpx
from protego import Protego

from feeds.config import HttpSettings
from feeds.errors import FetchError
from feeds.text.decode import Decoded, declared_charset, decode_bytes

MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
#: RFC 9309 asks crawlers to read at least 500 KiB of a robots.txt.
ROBOTS_MAX_BYTES = 512 * 1024
ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
#: The codings this module inflates itself; nothing else is asked for.
ACCEPT_ENCODING = "gzip, deflate"
DEFAULT_PORTS = {"http": 80, "https": 443}

#: ``(host, port) -> addresses``; raises OSError when the name does not resolve.
Resolver = Callable[[str, int], Sequence[str]]


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


def origin_of(url: str) -> str | None:
    """``scheme://host:port`` of an absolute http(s) URL, lower case, with the default
    port spelled out; None for anything else."""
    try:
        return _origin(httpx.URL(url))
    except httpx.InvalidURL:
        return None


@dataclass(frozen=True)
class _Reply:
    """An answer as read off the wire, before any interpretation."""

    url: httpx.URL
    status: int
    headers: httpx.Headers
    content: bytes
    truncated: bool


class _Transient(Exception):
    """A failure worth another attempt."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class _Refused(Exception):
    """No request may be sent (policy, a name that does not resolve): never retried,
    and it fails the fetch even when met while reading robots.txt."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Unusable(Exception):
    """An answer that cannot be read (its content coding): never retried."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class _HostState:
    """Per-host politeness bookkeeping."""

    slots: threading.BoundedSemaphore
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: Earliest start allowed for the next request (clock time).
    next_start: float | None = None


class HttpRetriever:
    """Fetches pages politely.  Safe to share between threads.

    ``transport`` replaces the network (tests pass an ``httpx.MockTransport``);
    ``resolve``, ``sleep``, ``clock`` and ``rng`` replace name resolution, waiting,
    the clock that paces requests and bounds attempts, and the backoff jitter.
    """

    def __init__(
        self,
        settings: HttpSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        resolve: Resolver | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        if settings.per_host_concurrency < 1 or settings.retries < 0 or settings.max_bytes < 1:
            raise ValueError("per_host_concurrency and max_bytes must be >= 1, retries >= 0")
        if settings.timeout <= 0:
            raise ValueError("timeout must be > 0")
        allowed = set()
        for entry in settings.allowed_origins:
            origin = origin_of(entry)
            if origin is None:
                raise ValueError(f"not an http or https origin: {entry!r}")
            allowed.add(origin)
        self._allowed = frozenset(allowed)
        self._settings = settings
        self._too_slow = f"no complete answer within {settings.timeout:g} s"
        # robots.txt groups are matched on the product token, not on the comment or
        # URL that follows it in the User-Agent.
        self._product = re.split(r"[/\s]", settings.user_agent.strip(), maxsplit=1)[0]
        self._resolve_name = resolve or _system_resolve
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._rng_lock = threading.Lock()
        self._lock = threading.Lock()
        self._hosts: dict[str, _HostState] = {}
        self._robots: dict[str, Protego | None] = {}
        self._robots_locks: dict[str, threading.Lock] = {}
        self._client = httpx.Client(
            transport=transport or _PinnedTransport(),
            timeout=httpx.Timeout(settings.timeout),
            follow_redirects=False,
            # No proxies or .netrc from the environment: the address check must see
            # the real peer, and no credentials are sent anywhere.
            trust_env=False,
            headers={
                "User-Agent": settings.user_agent,
                "Accept": ACCEPT,
                "Accept-Encoding": ACCEPT_ENCODING,
            },
        )

    def __enter__(self) -> HttpRetriever:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    # -- the public operations ---------------------------------------------

    def fetch(self, url: str, *, validators: Validators | None = None) -> Fetched:
        """GET ``url``; raise :class:`FetchError` ("<url>: <reason>") on any failure."""
        target = _parse(url)
        headers = _conditional_headers(validators)
        try:
            self._admit(url, target, redirected=False)
            for hop in range(MAX_REDIRECTS + 1):
                reply = self._get_with_retries(url, target, headers, redirected=hop > 0)
                if reply.status not in REDIRECT_STATUSES:
                    return _finish(url, reply, validators)
                target = self._follow(url, reply)
        except (_Refused, _Unusable) as exc:
            raise FetchError(url, exc.reason) from None
        raise FetchError(url, f"more than {MAX_REDIRECTS} redirects")

    def post(self, url: str, data: Mapping[str, str]) -> int:
        """POST ``data`` as a form (a WebSub publish ping); return the answer's status.

        The same policy as :meth:`fetch` (allowed origins, addresses, User-Agent,
        deadline), but one attempt, no robots.txt (a ping is not crawling), no pacing
        and no redirect followed: the status, whatever it is, is the caller's to judge.
        Raise :class:`FetchError` when no answer comes back.
        """
        target = _parse(url)
        self._check(url, target, redirected=False)
        try:
            reply = self._send_once(target, {}, None, method="POST", data=dict(data), pace=False)
        except (_Transient, _Refused, _Unusable) as exc:
            raise FetchError(url, exc.reason) from None
        return reply.status

    # -- policy --------------------------------------------------------------

    def _admit(self, requested: str, target: httpx.URL, *, redirected: bool) -> None:
        """Refuse, before any connection, what policy or robots.txt forbids."""
        self._check(requested, target, redirected=redirected)
        if self._settings.respect_robots and not self._robots_allow(target):
            raise FetchError(requested, "disallowed by robots.txt")

    def _check(self, requested: str, target: httpx.URL, *, redirected: bool) -> None:
        scheme = target.scheme
        if scheme and scheme not in DEFAULT_PORTS:
            if redirected:
                reason = f"redirect to a {scheme} URL refused: only http and https are fetched"
            else:
                reason = f"{scheme} URLs are refused: only http and https are fetched"
            raise FetchError(requested, reason)
        if not scheme or not target.raw_host:
            raise FetchError(requested, "not an absolute URL")
        if not self._allowed_origin(_origin(target)):
            shown = _shown(target)
            if redirected:
                raise FetchError(requested, f"redirect to {shown} refused (another origin)")
            raise FetchError(requested, f"{shown} refused (not an origin the sources name)")

    def _allowed_origin(self, origin: str | None) -> bool:
        if origin is None:
            return False
        if origin in self._allowed:
            return True
        # An upgrade to TLS on the same host and default ports lowers no guard.
        host = origin.removeprefix("https://").removesuffix(":443")
        return origin == f"https://{host}:443" and f"http://{host}:80" in self._allowed

    def _follow(self, requested: str, reply: _Reply) -> httpx.URL:
        location = reply.headers.get("location")
        if not location:
            raise FetchError(requested, f"HTTP {reply.status} redirect without a Location")
        try:
            target = reply.url.join(location)
        except httpx.InvalidURL as exc:
            raise FetchError(requested, f"invalid redirect Location {location!r}") from exc
        self._admit(requested, target, redirected=True)
        return target

    def _robots_allow(self, target: httpx.URL) -> bool:
        origin = _origin(target) or ""
        with self._lock:
            origin_lock = self._robots_locks.setdefault(origin, threading.Lock())
        # One reader per origin, so concurrent fetches wait for a single robots.txt.
        with origin_lock:
            if origin not in self._robots:
                self._robots[origin] = self._read_robots(target.join("/robots.txt"))
            rules = self._robots[origin]
        return rules is None or rules.can_fetch(str(target), self._product)

    def _read_robots(self, robots_url: httpx.URL) -> Protego | None:
        """The parsed robots.txt, or ``None`` (allow everything) when there is none
        or it cannot be read: a broken robots.txt must not stop the source."""
        target = robots_url
        for _ in range(MAX_REDIRECTS + 1):
            try:
                reply = self._send_once(target, {}, ROBOTS_MAX_BYTES)
            except (_Transient, _Unusable):
                return None
            if reply.status in REDIRECT_STATUSES:
                location = reply.headers.get("location")
                try:
                    target = reply.url.join(location or "")
                except httpx.InvalidURL:
                    return None
                if not location or not self._allowed_origin(_origin(target)):
                    return None
                continue
            if not 200 <= reply.status < 300:
                return None
            return Protego.parse(reply.content.decode("utf-8", errors="replace"))
        return None

    # -- sending -------------------------------------------------------------

    def _get_with_retries(
        self, requested: str, target: httpx.URL, headers: dict[str, str], *, redirected: bool
    ) -> _Reply:
        attempts = self._settings.retries + 1
        reason = ""
        for attempt in range(attempts):
            try:
                reply = self._send_once(target, headers, self._settings.max_bytes)
            except _Transient as exc:
                reason, retry_after = exc.reason, exc.retry_after
            else:
                if reply.status != 429 and reply.status < 500:
                    return reply
                reason = f"HTTP {reply.status}"
                retry_after = _retry_after(reply.headers)
            if attempt + 1 < attempts:
                self._sleep(self._retry_delay(attempt, retry_after))
        where = f" (at {target})" if redirected else ""
        plural = "attempt" if attempts == 1 else "attempts"
        raise FetchError(requested, f"{reason} after {attempts} {plural}{where}")

    def _retry_delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), self._settings.retry_after_max)
        ceiling = min(self._settings.backoff_max, self._settings.backoff_base * 2**attempt)
        with self._rng_lock:
            return self._rng.uniform(0.0, ceiling)

    def _send_once(
        self,
        target: httpx.URL,
        headers: dict[str, str],
        limit: int | None,
        *,
        method: str = "GET",
        data: dict[str, str] | None = None,
        pace: bool = True,
    ) -> _Reply:
        """One attempt; the body is read (up to ``limit``) only for a 2xx answer."""
        host = target.raw_host.decode("ascii")
        port = target.port or DEFAULT_PORTS[target.scheme]
        state = self._host_state(host.lower())
        with state.slots:
            if pace:
                self._pace(state)
            addresses = self._checked_addresses(host, port)
            started = self._clock()
            pin = _ATTEMPT.set(
                _Attempt(host, port, addresses, time.monotonic() + self._settings.timeout)
            )
            try:
                with self._client.stream(method, target, headers=headers, data=data) as response:
                    self._check_deadline(started)
                    status = response.status_code
                    if limit is None or not 200 <= status < 300:
                        # Error and redirect bodies are not needed: do not download them.
                        return _Reply(target, status, response.headers, b"", False)
                    content, truncated = self._read_body(response, limit, started)
                    return _Reply(target, status, response.headers, content, truncated)
            except httpx.TimeoutException as exc:
                raise _Transient(self._too_slow) from exc
            except httpx.TransportError as exc:
                raise _Transient(f"connection failed ({str(exc) or type(exc).__name__})") from exc
            finally:
                _ATTEMPT.reset(pin)

    def _checked_addresses(self, host: str, port: int) -> tuple[str, ...]:
        """Resolve ``host`` once; refuse it when any address is not a public one."""
        try:
            found = tuple(dict.fromkeys(self._resolve_name(host, port)))
        except socket.gaierror as exc:
            reason = f"cannot resolve {host} ({exc.strerror or exc})"
            if exc.errno == socket.EAI_AGAIN:
                raise _Transient(reason) from exc
            raise _Refused(reason) from exc
        except (OSError, UnicodeError) as exc:
            raise _Refused(f"cannot resolve {host} ({exc})") from exc
        if not found:
            raise _Refused(f"cannot resolve {host} (no address)")
        if not self._settings.allow_private_addresses:
            for address in found:
                if not _public(address):
                    raise _Refused(
                        f"private address {_bare(address)} refused"
                        " (set http.allow_private_addresses)"
                    )
        return found

    def _check_deadline(self, started: float) -> None:
        if self._clock() - started > self._settings.timeout:
            raise _Transient(self._too_slow)

    def _read_body(
        self, response: httpx.Response, limit: int, started: float
    ) -> tuple[bytes, bool]:
        """At most ``limit`` decoded bytes of the body, and whether more was left.

        A body that ends before its Content-Length or before the end of its
        compressed stream is a broken transfer: raise, so half a page is never taken
        for a whole one."""
        inflater = _inflater(response.headers)
        declared = _content_length(response.headers)
        # A plain body declared longer than the cap is known to be cut before reading.
        truncated = inflater is None and declared is not None and declared > limit
        body = bytearray()
        received = 0
        try:
            for chunk in response.iter_raw():
                received += len(chunk)
                self._check_deadline(started)
                # One byte past the room left tells a body over the cap from one at it.
                room = limit - len(body)
                piece = inflater.inflate(chunk, room + 1) if inflater else chunk[: room + 1]
                if len(piece) > room:
                    body += piece[:room]
                    truncated = True
                    break
                body += piece
                if truncated and len(body) == limit:
                    break
        except httpx.RemoteProtocolError as exc:
            expected = f" of {declared}" if declared is not None else ""
            raise _Transient(f"truncated response ({received}{expected} bytes received)") from exc
        except zlib.error as exc:
            # A compressed body that does not inflate was most likely cut in transit.
            raise _Transient(f"undecodable compressed body ({exc})") from exc
        if not truncated:
            if declared is not None and received < declared:
                raise _Transient(f"truncated response ({received} of {declared} bytes received)")
            if inflater is not None and received and not inflater.finished:
                raise _Transient("truncated response (the compressed body stops before its end)")
        return bytes(body), truncated

    def _host_state(self, host: str) -> _HostState:
        with self._lock:
            state = self._hosts.get(host)
            if state is None:
                slots = threading.BoundedSemaphore(self._settings.per_host_concurrency)
                state = self._hosts[host] = _HostState(slots)
            return state

    def _pace(self, state: _HostState) -> None:
        """Wait for this request's start slot; slots are handed out min_delay apart."""
        with state.lock:
            now = self._clock()
            start = now if state.next_start is None else max(now, state.next_start)
            state.next_start = start + self._settings.min_delay
        if start > now:
            self._sleep(start - now)


# -- URLs and origins ----------------------------------------------------------------


def _parse(url: str) -> httpx.URL:
    try:
        return httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise FetchError(url, f"invalid URL ({exc})") from exc


def _origin(url: httpx.URL) -> str | None:
    if url.scheme not in DEFAULT_PORTS or not url.raw_host:
        return None
    host = url.raw_host.decode("ascii").lower().rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    return f"{url.scheme}://{host}:{url.port or DEFAULT_PORTS[url.scheme]}"


def _shown(url: httpx.URL) -> str:
    """An origin as a person reads it: ``http://host:8081/``, no default port."""
    return str(url.copy_with(path="/", query=None, fragment=None, username=None, password=None))


# -- addresses -----------------------------------------------------------------------


def _system_resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _bare(address: str) -> str:
    """An address without its IPv6 zone, IPv4-mapped IPv6 addresses as IPv4."""
    parsed = ipaddress.ip_address(address.split("%")[0])
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    return str(parsed)


def _public(address: str) -> bool:
    try:
        parsed = ipaddress.ip_address(_bare(address))
    except ValueError:
        return False
    return (
        parsed.is_global
        and not parsed.is_multicast
        and not parsed.is_reserved
        and not parsed.is_link_local
    )


# -- connecting to checked addresses -------------------------------------------------
#
# httpx resolves names inside httpcore's network backend, after any check made here,
# which leaves a window for DNS rebinding.  So the default transport is an httpcore
# pool with a network backend of our own: it connects only to the addresses the
# current attempt checked (handed over in a context variable, as httpcore's sync
# backend runs in the calling thread), and bounds every socket operation by the
# attempt's deadline.  httpcore still names the origin's host in the Host header and
# as TLS server_hostname, so SNI and the certificate check stay on the host name.
# (Rewriting the URL to an address with an ``sni_hostname`` extension would let
# httpcore's pool share one TLS connection between two hosts on one address.)


@dataclass(frozen=True)
class _Attempt:
    host: str
    port: int
    addresses: tuple[str, ...]
    #: ``time.monotonic()`` by which the attempt must be over.
    deadline: float


_ATTEMPT: ContextVar[_Attempt | None] = ContextVar("feeds_http_attempt", default=None)


def _within(timeout: float | None, expired: type[Exception]) -> float | None:
    """``timeout`` shortened to what is left of the current attempt."""
    attempt = _ATTEMPT.get()
    if attempt is None:
        return timeout
    left = attempt.deadline - time.monotonic()
    if left <= 0:
        raise expired("the attempt's time is up")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _within(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _within(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        within = _within(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, within))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _PinnedBackend(httpcore.NetworkBackend):
    def __init__(self) -> None:
        self._system = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        attempt = _ATTEMPT.get()
        if attempt is None or (attempt.host, attempt.port) != (host, port):
            raise httpcore.ConnectError(f"no checked address for {host}:{port}")
        failure: httpcore.ConnectError | None = None
        for address in attempt.addresses:
            try:
                stream = self._system.connect_tcp(
                    address,
                    port,
                    timeout=_within(timeout, httpcore.ConnectTimeout),
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectError as exc:
                failure = exc
                continue
            return _DeadlineStream(stream)
        raise failure or httpcore.ConnectError(f"no address for {host}")


_CORE_ERRORS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
)


@contextlib.contextmanager
def _as_httpx_errors() -> Iterator[None]:
    """httpcore's exceptions as the httpx ones every transport raises."""
    try:
        yield
    except (
        httpcore.TimeoutException,
        httpcore.NetworkError,
        httpcore.ProtocolError,
        httpcore.UnsupportedProtocol,
    ) as exc:
        mapped = next(ours for theirs, ours in _CORE_ERRORS if isinstance(exc, theirs))
        raise mapped(str(exc)) from exc


class _AnswerStream(httpx.SyncByteStream):
    def __init__(self, answer: httpcore.Response) -> None:
        self._answer = answer

    def __iter__(self) -> Iterator[bytes]:
        with _as_httpx_errors():
            yield from self._answer.iter_stream()

    def close(self) -> None:
        self._answer.close()


class _PinnedTransport(httpx.BaseTransport):
    """httpx's default transport with :class:`_PinnedBackend` under it (httpx's own
    cannot be given a network backend)."""

    def __init__(self) -> None:
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(), network_backend=_PinnedBackend()
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.SyncByteStream)
        url = request.url
        core = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _as_httpx_errors():
            answer = self._pool.handle_request(core)
        return httpx.Response(
            status_code=answer.status,
            headers=answer.headers,
            stream=_AnswerStream(answer),
            extensions=answer.extensions,
        )

    def close(self) -> None:
        self._pool.close()


# -- content codings ---------------------------------------------------------------


class _Inflater:
    """Inflates a gzip or deflate body piece by piece, never more than asked at once,
    so a small bomb never grows past the size cap in memory."""

    def __init__(self, coding: str) -> None:
        self._coding = coding
        self._zlib: zlib._Decompress | None = None
        self._head = b""
        #: The compressed stream has reached its end.
        self.finished = False

    def inflate(self, data: bytes, most: int) -> bytes:
        """Up to ``most`` bytes out of ``data`` (and what came before)."""
        if self._zlib is None:
            # Two bytes tell a zlib-wrapped deflate stream from a raw one.
            self._head += data
            if len(self._head) < 2:
                return b""
            data, self._head = self._head, b""
            self._zlib = zlib.decompressobj(self._window(data))
        out = bytearray()
        while data and len(out) < most:
            if self._zlib.eof:
                # Another gzip member follows (concatenated files); anything else
                # after the end is ignored, as browsers do.
                if self._coding != "gzip" or not data.startswith(b"\x1f\x8b"):
                    break
                self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
            out += self._zlib.decompress(data, most - len(out))
            data = self._zlib.unused_data if self._zlib.eof else self._zlib.unconsumed_tail
            self.finished = self._zlib.eof
        return bytes(out)

    def _window(self, head: bytes) -> int:
        if self._coding == "gzip":
            return 16 + zlib.MAX_WBITS
        zlib_header = head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0
        return zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS


_CODINGS = {"gzip": "gzip", "x-gzip": "gzip", "deflate": "deflate"}


def _inflater(headers: httpx.Headers) -> _Inflater | None:
    """What undoes the answer's Content-Encoding; None for a plain body."""
    listed = headers.get("content-encoding", "").lower().split(",")
    codings = [c.strip() for c in listed if c.strip() not in ("", "identity")]
    if not codings:
        return None
    if len(codings) > 1:
        raise _Unusable(f"stacked content codings refused ({', '.join(codings)})")
    coding = _CODINGS.get(codings[0])
    if coding is None:
        raise _Unusable(
            f"unsupported content coding {codings[0]!r} (only gzip and deflate are accepted)"
        )
    return _Inflater(coding)


# -- headers -------------------------------------------------------------------------


def _conditional_headers(validators: Validators | None) -> dict[str, str]:
    headers: dict[str, str] = {}
    if validators is not None:
        if validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified
    return headers


def _retry_after(headers: httpx.Headers) -> float | None:
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


def _content_length(headers: httpx.Headers) -> int | None:
    value = headers.get("content-length", "").strip()
    return int(value) if value.isdigit() else None


def _finish(requested: str, reply: _Reply, sent: Validators | None) -> Fetched:
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
