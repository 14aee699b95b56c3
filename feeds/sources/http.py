"""A polite HTTP retriever: the only place feeds talks to the network.

Politeness and safety, in the order a request meets them:

1. the URL's host must be one the sources name (``allowed_hosts``), and must not
   resolve to a loopback, private, link-local or reserved address unless allowed;
2. the host's robots.txt (read once per origin) must allow the path;
3. at most ``per_host_concurrency`` requests run at once against one host, and
   two requests to one host start at least ``min_delay`` seconds apart;
4. connection errors, timeouts, 429 and 5xx are retried with exponential backoff
   and full jitter, or after the server's ``Retry-After``;
5. redirects are followed by hand, and only to allowed hosts;
6. bodies are streamed and cut at ``max_bytes``; a body the server cut short is an
   error, never a page.

Conditional GET is supported through :class:`Validators`: a 304 answer comes back
as ``Fetched(not_modified=True)``.  Every failure is a
:class:`feeds.errors.FetchError` whose message starts with the requested URL.
"""

from __future__ import annotations

import codecs
import datetime as dt
import email.utils
import ipaddress
import random
import re
import socket
import threading
import time
import urllib.robotparser
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType

import charset_normalizer
import httpx

from feeds.errors import FetchError

MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
#: RFC 9309 asks crawlers to read at least 500 KiB of a robots.txt.
ROBOTS_MAX_BYTES = 512 * 1024
#: How much of a page is searched for a <meta> charset declaration.
META_SNIFF_BYTES = 4096
ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@dataclass(frozen=True)
class HttpSettings:
    """How the retriever behaves; built from the ``http:`` part of sources.yaml."""

    user_agent: str = "feeds/0.1 (+https://feeds.example.org/csto/)"
    #: Seconds allowed to connect, and to wait for each read.
    timeout: float = 20.0
    #: Minimum seconds between the starts of two requests to one host.
    min_delay: float = 1.0
    per_host_concurrency: int = 2
    #: Extra attempts after a connection error, a timeout, a 429 or a 5xx.
    retries: int = 3
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    #: A longer Retry-After is shortened to this.
    retry_after_max: float = 120.0
    #: Bodies are cut at this size and reported as truncated.
    max_bytes: int = 5_000_000
    respect_robots: bool = True
    allow_private_addresses: bool = False
    #: The only hosts that may be contacted; an empty set refuses every host.
    allowed_hosts: frozenset[str] = frozenset()


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
    text: str
    encoding: str
    content_type: str
    validators: Validators
    truncated: bool


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


@dataclass
class _HostState:
    """Per-host politeness bookkeeping."""

    slots: threading.BoundedSemaphore
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: Earliest start allowed for the next request (clock time).
    next_start: float | None = None


class HttpRetriever:
    """Fetches pages politely.  Safe to share between threads."""

    def __init__(
        self,
        settings: HttpSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        if settings.per_host_concurrency < 1 or settings.retries < 0 or settings.max_bytes < 1:
            raise ValueError("per_host_concurrency and max_bytes must be >= 1, retries >= 0")
        self._settings = settings
        self._allowed = frozenset(host.lower().rstrip(".") for host in settings.allowed_hosts)
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._rng_lock = threading.Lock()
        self._lock = threading.Lock()
        self._hosts: dict[str, _HostState] = {}
        self._robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}
        self._robots_locks: dict[str, threading.Lock] = {}
        self._client = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(settings.timeout),
            follow_redirects=False,
            headers={"User-Agent": settings.user_agent, "Accept": ACCEPT},
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

    # -- the one public operation ------------------------------------------

    def fetch(self, url: str, *, validators: Validators | None = None) -> Fetched:
        """GET ``url``; raise :class:`FetchError` ("<url>: <reason>") on any failure."""
        try:
            target = httpx.URL(url)
        except httpx.InvalidURL as exc:
            raise FetchError(url, f"invalid URL ({exc})") from exc
        headers = _conditional_headers(validators)
        self._admit(url, target, redirected=False)
        for hop in range(MAX_REDIRECTS + 1):
            reply = self._get_with_retries(url, target, headers, redirected=hop > 0)
            if reply.status not in REDIRECT_STATUSES:
                return _finish(url, reply, validators)
            target = self._follow(url, reply)
        raise FetchError(url, f"more than {MAX_REDIRECTS} redirects")

    # -- policy --------------------------------------------------------------

    def _admit(self, requested: str, target: httpx.URL, *, redirected: bool) -> None:
        """Refuse, before any connection, what policy or robots.txt forbids."""
        self._check_host(requested, target, redirected=redirected)
        if self._settings.respect_robots and not self._robots_allow(target):
            raise FetchError(requested, "disallowed by robots.txt")

    def _check_host(self, requested: str, target: httpx.URL, *, redirected: bool) -> None:
        host = target.host.lower().rstrip(".")
        if not target.scheme or not host:
            raise FetchError(requested, "not an absolute URL")
        if target.scheme not in ("http", "https"):
            what = "redirect to " if redirected else ""
            raise FetchError(requested, f"{what}{target.scheme} URL refused (only http and https)")
        if host not in self._allowed:
            if redirected:
                raise FetchError(requested, f"redirect to {host} refused (host not in sources)")
            raise FetchError(requested, f"host {host} refused (host not in sources)")
        if not self._settings.allow_private_addresses:
            _refuse_private(requested, host, target.port or _default_port(target.scheme))

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
        origin = f"{target.scheme}://{target.netloc.decode('ascii')}"
        with self._lock:
            origin_lock = self._robots_locks.setdefault(origin, threading.Lock())
        # One reader per origin, so concurrent fetches wait for a single robots.txt.
        with origin_lock:
            if origin not in self._robots:
                self._robots[origin] = self._read_robots(target.join("/robots.txt"))
            parser = self._robots[origin]
        if parser is None:
            return True
        return parser.can_fetch(self._settings.user_agent, str(target))

    def _read_robots(self, robots_url: httpx.URL) -> urllib.robotparser.RobotFileParser | None:
        """The parsed robots.txt, or ``None`` (allow everything) when there is none
        or it cannot be read: a broken robots.txt must not stop the source."""
        target = robots_url
        for _ in range(MAX_REDIRECTS + 1):
            try:
                reply = self._send_once(target, {}, ROBOTS_MAX_BYTES)
            except _Transient:
                return None
            if reply.status in REDIRECT_STATUSES:
                location = reply.headers.get("location")
                if not location:
                    return None
                try:
                    target = reply.url.join(location)
                    self._check_host(str(robots_url), target, redirected=True)
                except (httpx.InvalidURL, FetchError):
                    return None
                continue
            if not 200 <= reply.status < 300:
                return None
            parser = urllib.robotparser.RobotFileParser(str(robots_url))
            parser.parse(reply.content.decode("utf-8", errors="replace").splitlines())
            return parser
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

    def _send_once(self, target: httpx.URL, headers: dict[str, str], limit: int) -> _Reply:
        state = self._host_state(target.host.lower())
        with state.slots:
            self._pace(state)
            try:
                with self._client.stream("GET", target, headers=headers) as response:
                    if not 200 <= response.status_code < 300:
                        # Error and redirect bodies are not needed: do not download them.
                        return _Reply(target, response.status_code, response.headers, b"", False)
                    content, truncated = _read_capped(response, limit)
                    status = response.status_code
                    return _Reply(target, status, response.headers, content, truncated)
            except httpx.TimeoutException as exc:
                raise _Transient(f"timed out ({type(exc).__name__})") from exc
            except httpx.TransportError as exc:
                raise _Transient(f"connection failed ({str(exc) or type(exc).__name__})") from exc
            except httpx.DecodingError as exc:
                # A compressed body that does not inflate was most likely cut in transit.
                raise _Transient(f"undecodable compressed body ({exc})") from exc

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


# -- policy and wire details --------------------------------------------


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def _refuse_private(requested: str, host: str, port: int) -> None:
    """Refuse hosts that resolve to addresses outside the public internet."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise FetchError(requested, f"cannot resolve {host} ({exc})") from exc
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if (
            not address.is_global
            or address.is_multicast
            or address.is_reserved
            or address.is_link_local
        ):
            raise FetchError(
                requested, f"private address {address} refused (set http.allow_private_addresses)"
            )


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


def _read_capped(response: httpx.Response, limit: int) -> tuple[bytes, bool]:
    """Read at most ``limit`` bytes of the body; say whether more was left unread.

    A body that ends before its Content-Length is a broken transfer: raise, so
    half a page is never taken for a whole one."""
    declared = _content_length(response.headers)
    # Content-Length counts encoded bytes: compare it with what we hold only when
    # the body is not compressed.
    coding = response.headers.get("content-encoding", "").strip().lower()
    encoded = coding not in ("", "identity")
    # A declared length over the cap is known to be cut before reading anything.
    truncated = declared is not None and not encoded and declared > limit
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_bytes():
            if size + len(chunk) > limit:
                chunks.append(chunk[: limit - size])
                size, truncated = limit, True
                break
            chunks.append(chunk)
            size += len(chunk)
            if truncated and size == limit:
                break
    except httpx.RemoteProtocolError as exc:
        received = response.num_bytes_downloaded
        expected = f" of {declared}" if declared is not None else ""
        raise _Transient(f"truncated response ({received}{expected} bytes received)") from exc
    if not truncated and declared is not None and not encoded and size < declared:
        raise _Transient(f"truncated response ({size} of {declared} bytes received)")
    return b"".join(chunks), truncated


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
            text="",
            encoding="",
            content_type=content_type,
            validators=validators,
            truncated=False,
        )
    if not 200 <= reply.status < 300:
        phrase = httpx.codes.get_reason_phrase(reply.status)
        raise FetchError(requested, f"HTTP {reply.status} {phrase}".rstrip())
    text, encoding = decode_body(reply.content, content_type)
    return Fetched(
        url=requested,
        final_url=str(reply.url),
        status=reply.status,
        not_modified=False,
        content=reply.content,
        text=text,
        encoding=encoding,
        content_type=content_type,
        validators=Validators(
            etag=reply.headers.get("etag"), last_modified=reply.headers.get("last-modified")
        ),
        truncated=reply.truncated,
    )


# -- character sets ----------------------------------------------------------

_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([^\s"';,]+)""", re.IGNORECASE)
_META_CHARSET = re.compile(
    rb"""<meta\b[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE
)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_ASCII = bytes(range(0x80))
_NOT_1251_LETTERS = bytes(b for b in range(0x100) if not (b >= 0xC0 or b in (0xA8, 0xB8)))
_NOT_1251_LOWER = bytes(b for b in range(0x100) if not (b >= 0xE0 or b == 0xB8))


def decode_body(content: bytes, content_type: str = "") -> tuple[str, str]:
    """Decode a page; return ``(text, codec name)``.

    Order: a byte order mark; the Content-Type charset; a ``<meta>`` charset in the
    first 4 KB; UTF-8 when the bytes are valid UTF-8; windows-1251 when the bytes
    look like Russian in it (the Russian site serves it undeclared on some pages);
    then charset-normalizer's guess.
    """
    for bom, codec in _BOMS:
        if content.startswith(bom):
            return content.decode(codec, errors="replace"), codec
    declared = _known_codec(_charset_param(content_type)) or _meta_codec(content)
    if declared is not None:
        return content.decode(declared, errors="replace"), declared
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if _looks_like_1251(content):
        return content.decode("cp1251"), "cp1251"
    best = charset_normalizer.from_bytes(content).best()
    if best is None:
        return content.decode("utf-8", errors="replace"), "utf-8"
    codec = _known_codec(best.encoding) or "utf-8"
    return content.decode(codec, errors="replace"), codec


def _charset_param(content_type: str) -> str | None:
    match = _HEADER_CHARSET.search(content_type)
    return match.group(1) if match else None


def _meta_codec(content: bytes) -> str | None:
    match = _META_CHARSET.search(content[:META_SNIFF_BYTES])
    codec = _known_codec(match.group(1).decode("ascii")) if match else None
    # A page whose <meta> could be read as ASCII is not UTF-16, whatever it says.
    if codec is not None and codec.startswith("utf-16"):
        return "utf-8"
    return codec


def _known_codec(label: str | None) -> str | None:
    """Python's name for a charset label, or None when Python does not know it."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip()).name
    except LookupError:
        return None
    # As browsers do: Latin-1 and ASCII labels mean windows-1252.
    if name in ("latin-1", "iso8859-1", "ascii"):
        return "cp1252"
    return name


def _looks_like_1251(content: bytes) -> bool:
    """True when the non-ASCII bytes are mostly Cyrillic letters in windows-1251,
    with lower case dominating (which tells it apart from KOI8-R)."""
    high = content.translate(None, _ASCII)
    if not high:
        return False
    letters = len(high.translate(None, _NOT_1251_LETTERS))
    lower = len(high.translate(None, _NOT_1251_LOWER))
    if letters < 0.8 * len(high) or lower * 2 < letters:
        return False
    try:
        content.decode("cp1251")
    except UnicodeDecodeError:
        return False
    return True
