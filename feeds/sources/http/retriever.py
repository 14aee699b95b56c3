"""The retriever: the package's policies put together around one shared httpx client.

It owns the order of the steps (see the package docstring); each step's rules live
in their own module.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from types import TracebackType

import httpx

from feeds.config import HttpSettings
from feeds.errors import FetchError
from feeds.sources.http.body import ACCEPT_ENCODING, read_body
from feeds.sources.http.failures import Refused, Transient, Unusable
from feeds.sources.http.pacing import Backoff, HostPacing
from feeds.sources.http.policy import (
    DEFAULT_PORTS,
    MAX_REDIRECTS,
    AllowList,
    Resolver,
    checked_addresses,
    parse_url,
    system_resolve,
)
from feeds.sources.http.robots import RobotsRules
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
        self._robots = RobotsRules(
            settings.user_agent, self._allowed, lambda url, limit: self._send_once(url, {}, limit)
        )
        self._pacing = HostPacing(settings, clock=clock, sleep=sleep)
        self._backoff = Backoff(settings, rng or random.Random())
        self._resolve_name = resolve or system_resolve
        self._sleep = sleep
        self._clock = clock
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
        if self._settings.respect_robots and not self._robots.allow(target):
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
                self._sleep(self._backoff.delay(attempt, retry_after))
        where = f" (at {target})" if redirected else ""
        plural = "attempt" if attempts == 1 else "attempts"
        raise FetchError(requested, f"{reason} after {attempts} {plural}{where}")

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
        with self._pacing.turn(host, paced=pace):
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
        """Checked after the head and between chunks, on the retriever's clock; the
        pinned transport bounds each socket operation by the same deadline."""
        if self._clock() - started > self._settings.timeout:
            raise Transient(self._too_slow)
