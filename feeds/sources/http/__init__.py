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

import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType

import httpx
from protego import Protego

from feeds.config import HttpSettings
from feeds.errors import FetchError
from feeds.sources.http.body import ACCEPT_ENCODING, read_body
from feeds.sources.http.failures import Refused, Transient, Unusable
from feeds.sources.http.policy import (
    DEFAULT_PORTS,
    MAX_REDIRECTS,
    AllowList,
    Resolver,
    checked_addresses,
    origin_of,
    parse_url,
    system_resolve,
    url_origin,
)
from feeds.sources.http.transport import Attempt, PinnedTransport, pinned_to
from feeds.sources.http.wire import (
    ACCEPT,
    REDIRECT_STATUSES,
    Fetched,
    Reply,
    Validators,
    conditional_headers,
    fetched_from,
    retry_after_seconds,
)

#: RFC 9309 asks crawlers to read at least 500 KiB of a robots.txt.
ROBOTS_MAX_BYTES = 512 * 1024

__all__ = [
    "ACCEPT",
    "ACCEPT_ENCODING",
    "DEFAULT_PORTS",
    "MAX_REDIRECTS",
    "REDIRECT_STATUSES",
    "ROBOTS_MAX_BYTES",
    "Fetched",
    "HttpRetriever",
    "Resolver",
    "Validators",
    "origin_of",
]


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
        self._allowed = AllowList(settings.allowed_origins)
        self._settings = settings
        self._too_slow = f"no complete answer within {settings.timeout:g} s"
        # robots.txt groups are matched on the product token, not on the comment or
        # URL that follows it in the User-Agent.
        self._product = re.split(r"[/\s]", settings.user_agent.strip(), maxsplit=1)[0]
        self._resolve_name = resolve or system_resolve
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._rng_lock = threading.Lock()
        self._lock = threading.Lock()
        self._hosts: dict[str, _HostState] = {}
        self._robots: dict[str, Protego | None] = {}
        self._robots_locks: dict[str, threading.Lock] = {}
        self._client = httpx.Client(
            transport=transport or PinnedTransport(),
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
        target = parse_url(url)
        headers = conditional_headers(validators)
        try:
            self._admit(url, target, redirected=False)
            for hop in range(MAX_REDIRECTS + 1):
                reply = self._get_with_retries(url, target, headers, redirected=hop > 0)
                if reply.status not in REDIRECT_STATUSES:
                    return fetched_from(url, reply, validators)
                target = self._follow(url, reply)
        except (Refused, Unusable) as exc:
            raise FetchError(url, exc.reason) from None
        raise FetchError(url, f"more than {MAX_REDIRECTS} redirects")

    def post(self, url: str, data: Mapping[str, str]) -> int:
        """POST ``data`` as a form (a WebSub publish ping); return the answer's status.

        The same policy as :meth:`fetch` (allowed origins, addresses, User-Agent,
        deadline), but one attempt, no robots.txt (a ping is not crawling), no pacing
        and no redirect followed: the status, whatever it is, is the caller's to judge.
        Raise :class:`FetchError` when no answer comes back.
        """
        target = parse_url(url)
        self._allowed.check(url, target, redirected=False)
        try:
            reply = self._send_once(target, {}, None, method="POST", data=dict(data), pace=False)
        except (Transient, Refused, Unusable) as exc:
            raise FetchError(url, exc.reason) from None
        return reply.status

    # -- policy --------------------------------------------------------------

    def _admit(self, requested: str, target: httpx.URL, *, redirected: bool) -> None:
        """Refuse, before any connection, what policy or robots.txt forbids."""
        self._allowed.check(requested, target, redirected=redirected)
        if self._settings.respect_robots and not self._robots_allow(target):
            raise FetchError(requested, "disallowed by robots.txt")

    def _follow(self, requested: str, reply: Reply) -> httpx.URL:
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
        origin = url_origin(target) or ""
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
            except (Transient, Unusable):
                return None
            if reply.status in REDIRECT_STATUSES:
                location = reply.headers.get("location")
                try:
                    target = reply.url.join(location or "")
                except httpx.InvalidURL:
                    return None
                if not location or not self._allowed.admits(url_origin(target)):
                    return None
                continue
            if not 200 <= reply.status < 300:
                return None
            return Protego.parse(reply.content.decode("utf-8", errors="replace"))
        return None

    # -- sending -------------------------------------------------------------

    def _get_with_retries(
        self, requested: str, target: httpx.URL, headers: dict[str, str], *, redirected: bool
    ) -> Reply:
        attempts = self._settings.retries + 1
        reason = ""
        for attempt in range(attempts):
            try:
                reply = self._send_once(target, headers, self._settings.max_bytes)
            except Transient as exc:
                reason, retry_after = exc.reason, exc.retry_after
            else:
                if reply.status != 429 and reply.status < 500:
                    return reply
                reason = f"HTTP {reply.status}"
                retry_after = retry_after_seconds(reply.headers)
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
    ) -> Reply:
        """One attempt; the body is read (up to ``limit``) only for a 2xx answer."""
        host = target.raw_host.decode("ascii")
        port = target.port or DEFAULT_PORTS[target.scheme]
        state = self._host_state(host.lower())
        with state.slots:
            if pace:
                self._pace(state)
            addresses = checked_addresses(
                self._resolve_name, host, port, allow_private=self._settings.allow_private_addresses
            )
            started = self._clock()
            attempt = Attempt(host, port, addresses, time.monotonic() + self._settings.timeout)
            try:
                with (
                    pinned_to(attempt),
                    self._client.stream(method, target, headers=headers, data=data) as response,
                ):
                    self._check_deadline(started)
                    status = response.status_code
                    if limit is None or not 200 <= status < 300:
                        # Error and redirect bodies are not needed: do not download them.
                        return Reply(target, status, response.headers, b"", False)
                    content, truncated = read_body(
                        response, limit, lambda: self._check_deadline(started)
                    )
                    return Reply(target, status, response.headers, content, truncated)
            except httpx.TimeoutException as exc:
                raise Transient(self._too_slow) from exc
            except httpx.TransportError as exc:
                raise Transient(f"connection failed ({str(exc) or type(exc).__name__})") from exc

    def _check_deadline(self, started: float) -> None:
        if self._clock() - started > self._settings.timeout:
            raise Transient(self._too_slow)

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
