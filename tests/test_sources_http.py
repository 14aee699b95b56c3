"""The polite HTTP client.

Most behaviour is checked against scripted answers behind ``httpx.MockTransport``,
with an injected clock, sleep and name resolver (no real waiting); a few tests use
real sockets on the loopback interface where the socket itself matters.
"""

from __future__ import annotations

import contextlib
import gzip
import random
import socket
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from feeds.config import HttpSettings
from feeds.errors import FetchError, InputError
from feeds.sources.http import Fetched, HttpRetriever, Validators, origin_of
from tests.support.site_server import SiteServer
from tests.support.site_server import site_server as site_server_fixture  # noqa: F401

DATA = Path(__file__).parent / "data" / "http"
UA = "feeds-test/2.0 (+https://feeds.example.org/csto/)"
SITE = "https://en.odkb-csto.org"
NEWS = SITE + "/news/"
ROBOTS = SITE + "/robots.txt"
PUBLIC_ADDRESS = "93.184.216.34"
BASE = HttpSettings(
    user_agent=UA,
    timeout=5.0,
    min_delay=0.0,
    retries=3,
    respect_robots=True,
    allow_private_addresses=False,
    allowed_origins=frozenset({SITE}),
)
JOURNALISTS = "Генеральный секретарь ОДКБ провёл встречу с журналистами"
WORKING_GROUP = "В Секретариате ОДКБ состоялось заседание рабочей группы"

Answer = tuple[int, dict[str, str], bytes] | Callable[[httpx.Request], httpx.Response]


class FakeTime:
    """A clock that only moves when the client sleeps (or the test says so)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class Body(httpx.SyncByteStream):
    def __init__(self, *chunks: bytes) -> None:
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self._chunks


class Site:
    """Scripted answers by URL behind ``httpx.MockTransport``; every request is kept.

    A URL's answers are given in turn, the last one repeating; other URLs get a 404.
    """

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self._routes: dict[str, tuple[Answer, ...]] = {}

    def add(self, url: str, *answers: Answer) -> None:
        self._routes[url] = answers

    def page(self, url: str, body: bytes | str, content_type: str = "text/html") -> None:
        data = body.encode() if isinstance(body, str) else body
        self.add(url, (200, {"Content-Type": content_type}, data))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answers = self._routes.get(str(request.url))
        if not answers:
            return httpx.Response(404, content=b"not found")
        call = self.count(str(request.url))
        answer = answers[min(call, len(answers)) - 1]
        if callable(answer):
            return answer(request)
        status, headers, body = answer
        # A stream, as off the wire: httpx reads (and inflates) bytes content at once.
        length = {"Content-Length": str(len(body))}
        return httpx.Response(status, headers=length | headers, stream=Body(body))

    def count(self, url: str) -> int:
        return sum(1 for request in self.requests if str(request.url) == url)

    @property
    def urls(self) -> list[str]:
        return [str(request.url) for request in self.requests]


def public_dns(host: str, port: int) -> list[str]:
    return [PUBLIC_ADDRESS]


def retriever(
    site: Site,
    fake: FakeTime | None = None,
    resolve: Callable[[str, int], Sequence[str]] = public_dns,
    **changes: Any,
) -> HttpRetriever:
    fake = fake or FakeTime()
    return HttpRetriever(
        replace(BASE, **changes),
        transport=httpx.MockTransport(site),
        resolve=resolve,
        sleep=fake.sleep,
        clock=fake.clock,
        rng=random.Random(7),
    )


def fetch(site: Site, url: str = NEWS, fake: FakeTime | None = None, **changes: Any) -> Fetched:
    with retriever(site, fake, **changes) as http:
        return http.fetch(url)


def fetch_error(site: Site, url: str = NEWS, fake: FakeTime | None = None, **changes: Any) -> str:
    with pytest.raises(FetchError) as caught:
        fetch(site, url, fake, **changes)
    return str(caught.value)


def gzip_of_zeros(size: int) -> bytes:
    """``size`` zero bytes, gzipped without holding them all in memory."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1 << 20)
    parts = [packer.compress(block) for _ in range(size >> 20)]
    return b"".join(parts) + packer.flush()


# -- headers and conditional GET ----------------------------------------------------------


def test_robots_then_page_with_our_headers() -> None:
    site = Site()
    site.page(NEWS, "<h1>News</h1>")

    fetched = fetch(site)

    assert (fetched.text, fetched.encoding, fetched.warnings) == ("<h1>News</h1>", "utf-8", ())
    assert site.urls == [ROBOTS, NEWS]
    for request in site.requests:
        assert request.headers["user-agent"] == UA
        assert request.headers["accept-encoding"] == "gzip, deflate"
        assert request.headers["host"] == "en.odkb-csto.org"


def test_validators_are_sent_and_a_304_keeps_them() -> None:
    site = Site()
    site.add(NEWS, (304, {"ETag": '"v2"'}, b""))
    sent = Validators(etag='"v1"', last_modified="Tue, 10 Dec 2024 09:00:00 GMT")
    with retriever(site, respect_robots=False) as http:
        fetched = http.fetch(NEWS, validators=sent)

    assert (fetched.status, fetched.not_modified, fetched.content, fetched.text) == (
        304,
        True,
        b"",
        "",
    )
    assert fetched.validators == Validators('"v2"', "Tue, 10 Dec 2024 09:00:00 GMT")
    request = site.requests[0]
    assert request.headers["if-none-match"] == '"v1"'
    assert request.headers["if-modified-since"] == "Tue, 10 Dec 2024 09:00:00 GMT"


def test_a_changed_page_comes_back_in_full_despite_validators() -> None:
    site = Site()
    site.add(NEWS, (200, {"ETag": '"v2"'}, b"new text"))
    with retriever(site, respect_robots=False) as http:
        fetched = http.fetch(NEWS, validators=Validators(etag='"v1"'))

    assert (fetched.status, fetched.not_modified, fetched.text) == (200, False, "new text")
    assert fetched.validators == Validators('"v2"', None)


def test_304_to_a_request_that_was_not_conditional_is_an_error() -> None:
    site = Site()
    site.add(NEWS, (304, {}, b""))

    assert fetch_error(site, respect_robots=False) == (
        f"{NEWS}: HTTP 304 to a request that was not conditional"
    )


# -- retries ---------------------------------------------------------------------------------


def test_two_server_errors_then_success_with_full_jitter() -> None:
    site = Site()
    site.add(NEWS, (500, {}, b"oops"), (502, {}, b"oops"), (200, {}, b"fine"))
    fake = FakeTime()

    fetched = fetch(site, fake=fake, respect_robots=False)

    assert (fetched.status, fetched.text) == (200, "fine")
    assert site.count(NEWS) == 3
    # Full jitter: uniform in [0, base * 2**attempt], drawn from the injected generator.
    expected = random.Random(7)
    assert fake.sleeps == [expected.uniform(0, 0.5), expected.uniform(0, 1.0)]


def test_backoff_is_capped() -> None:
    site = Site()
    site.add(NEWS, (503, {}, b""))
    fake = FakeTime()

    fetch_error(site, fake=fake, respect_robots=False, retries=3, backoff_max=0.75)

    expected = random.Random(7)
    assert fake.sleeps == [expected.uniform(0, c) for c in (0.5, 0.75, 0.75)]


def test_server_errors_until_the_end_name_url_and_attempts() -> None:
    site = Site()
    site.add(NEWS, (503, {}, b"maintenance"))

    assert (
        fetch_error(site, retries=2, respect_robots=False) == f"{NEWS}: HTTP 503 after 3 attempts"
    )
    assert site.count(NEWS) == 3


def test_client_errors_are_not_retried() -> None:
    site = Site()

    assert fetch_error(site, respect_robots=False) == f"{NEWS}: HTTP 404 Not Found"
    assert site.count(NEWS) == 1


@pytest.mark.parametrize(
    ("headers", "pause"),
    [
        ({"Retry-After": "7"}, 7.0),
        (
            {
                "Date": "Tue, 10 Dec 2024 09:00:00 GMT",
                "Retry-After": "Tue, 10 Dec 2024 09:00:12 GMT",
            },
            12.0,
        ),
        ({"Retry-After": "3600"}, 120.0),
    ],
)
def test_retry_after_is_honoured_and_capped(headers: dict[str, str], pause: float) -> None:
    site = Site()
    site.add(NEWS, (429, headers, b"slow down"), (200, {}, b"ok"))
    fake = FakeTime()

    assert fetch(site, fake=fake, respect_robots=False).text == "ok"
    assert fake.sleeps == [pause]


def test_connection_failure_is_retried_then_reported() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused")

    site = Site()
    site.add(NEWS, refuse)
    fake = FakeTime()

    message = fetch_error(site, fake=fake, retries=1, respect_robots=False)

    assert message == f"{NEWS}: connection failed ([Errno 111] Connection refused) after 2 attempts"
    assert len(fake.sleeps) == 1


def test_a_name_that_does_not_resolve_is_not_retried() -> None:
    calls: list[str] = []

    def no_such_host(host: str, port: int) -> list[str]:
        calls.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    message = fetch_error(Site(), resolve=no_such_host)

    assert message == f"{NEWS}: cannot resolve en.odkb-csto.org (Name or service not known)"
    assert calls == ["en.odkb-csto.org"]


def test_a_temporary_resolver_failure_is_retried() -> None:
    answers: list[list[str] | None] = [None, [PUBLIC_ADDRESS]]

    def flaky(host: str, port: int) -> list[str]:
        answer = answers.pop(0)
        if answer is None:
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return answer

    site = Site()
    site.page(NEWS, "news")

    assert fetch(site, resolve=flaky, respect_robots=False).text == "news"
    assert answers == []


# -- the deadline of an attempt ----------------------------------------------------------------


def test_a_body_that_trickles_in_fails_at_the_deadline() -> None:
    fake = FakeTime()
    sent: list[int] = []

    def trickle(request: httpx.Request) -> httpx.Response:
        def one_byte_a_second() -> Iterator[bytes]:
            for _ in range(1000):
                fake.now += 1.0
                sent.append(1)
                yield b"x"

        return httpx.Response(200, content=one_byte_a_second())

    site = Site()
    site.add(NEWS, trickle)

    message = fetch_error(site, fake=fake, timeout=5.0, retries=1, respect_robots=False)

    assert message == f"{NEWS}: no complete answer within 5 s after 2 attempts"
    # Five bytes fit in five seconds; the sixth is one too late, on each attempt.
    assert len(sent) == 12


def test_an_answer_whose_head_comes_too_late_fails() -> None:
    fake = FakeTime()

    def late(request: httpx.Request) -> httpx.Response:
        fake.now += 2.5
        return httpx.Response(200, stream=Body(b"late"))

    site = Site()
    site.add(NEWS, late)

    assert fetch_error(site, fake=fake, timeout=2.0, retries=0, respect_robots=False) == (
        f"{NEWS}: no complete answer within 2 s after 1 attempt"
    )


def test_a_transport_timeout_is_the_same_failure() -> None:
    def stalled(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out")

    site = Site()
    site.add(NEWS, stalled)

    assert fetch_error(site, retries=0, timeout=0.5, respect_robots=False) == (
        f"{NEWS}: no complete answer within 0.5 s after 1 attempt"
    )


# -- size cap and content codings ----------------------------------------------------------------


def test_body_declared_over_the_cap_is_cut_at_the_cap() -> None:
    body = bytes(range(256)) * 20  # 5120 bytes
    site = Site()
    site.page(NEWS, body, "application/octet-stream")

    fetched = fetch(site, respect_robots=False, max_bytes=1000)

    assert (fetched.truncated, fetched.content) == (True, body[:1000])


def test_streamed_body_over_the_cap_is_cut_and_no_further_read() -> None:
    chunks_read: list[int] = []

    def endless(request: httpx.Request) -> httpx.Response:
        def chunks() -> Iterator[bytes]:
            for _ in range(10_000):
                chunks_read.append(1)
                yield b"a" * 1000

        return httpx.Response(200, content=chunks())

    site = Site()
    site.add(NEWS, endless)

    fetched = fetch(site, respect_robots=False, max_bytes=2500)

    assert (fetched.truncated, fetched.content) == (True, b"a" * 2500)
    assert len(chunks_read) == 3


def test_body_exactly_at_the_cap_is_complete() -> None:
    site = Site()
    site.add(NEWS, lambda request: httpx.Response(200, content=iter([b"z" * 1000, b"z" * 24])))

    fetched = fetch(site, respect_robots=False, max_bytes=1024)

    assert (fetched.truncated, len(fetched.content)) == (False, 1024)


@pytest.mark.parametrize(
    ("coding", "pack"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),
        # Some servers send raw deflate data without the zlib wrapper.
        ("deflate", lambda data: zlib.compress(data)[2:-4]),
    ],
)
def test_compressed_body_is_inflated_and_capped_after_inflation(
    coding: str, pack: Callable[[bytes], bytes]
) -> None:
    page = "<p>Москва</p>".encode() * 1000
    site = Site()
    site.add(NEWS, (200, {"Content-Encoding": coding}, pack(page)))

    whole = fetch(site, respect_robots=False)
    capped = fetch(site, respect_robots=False, max_bytes=1000)

    assert (whole.content, whole.truncated) == (page, False)
    assert (capped.content, capped.truncated) == (page[:1000], True)


def test_concatenated_gzip_members_are_all_read() -> None:
    site = Site()
    site.add(
        NEWS, (200, {"Content-Encoding": "gzip"}, gzip.compress(b"one ") + gzip.compress(b"two"))
    )

    assert fetch(site, respect_robots=False).content == b"one two"


def test_a_gzip_bomb_is_inflated_no_further_than_the_cap() -> None:
    bomb = gzip_of_zeros(256 << 20)  # 256 MiB of zeros in 255 KiB
    site = Site()
    site.add(NEWS, (200, {"Content-Encoding": "gzip"}, bomb))

    tracemalloc.start()
    try:
        fetched = fetch(site, respect_robots=False, max_bytes=1 << 20)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert (fetched.truncated, len(fetched.content)) == (True, 1 << 20)
    assert peak < 8 << 20


@pytest.mark.parametrize(
    ("coding", "body", "reason"),
    [
        # 269 bytes that inflate to 64 MiB through two rounds of gzip: never inflated.
        (
            "gzip, gzip",
            lambda: gzip.compress(gzip_of_zeros(64 << 20)),
            "stacked content codings refused (gzip, gzip)",
        ),
        (
            "br",
            lambda: b"\x8b\x02\x80news\x03",
            "unsupported content coding 'br' (only gzip and deflate are accepted)",
        ),
    ],
)
def test_stacked_and_unknown_codings_are_refused_at_once(
    coding: str, body: Callable[[], bytes], reason: str
) -> None:
    site = Site()
    site.add(NEWS, (200, {"Content-Encoding": coding}, body()))

    assert fetch_error(site, respect_robots=False) == f"{NEWS}: {reason}"
    assert site.count(NEWS) == 1


def test_broken_compressed_body_is_an_error() -> None:
    site = Site()
    site.add(NEWS, (200, {"Content-Encoding": "gzip"}, b"\x1f\x8bnot gzip at all"))

    message = fetch_error(site, retries=0, respect_robots=False)

    assert message == (
        f"{NEWS}: undecodable compressed body (Error -3 while decompressing data: unknown"
        " compression method) after 1 attempt"
    )


def test_compressed_body_cut_before_its_end_is_an_error() -> None:
    whole = gzip.compress(b"<p>news</p>" * 500)
    site = Site()
    site.add(
        NEWS,
        lambda request: httpx.Response(
            200, headers={"Content-Encoding": "gzip"}, content=iter([whole[:40]])
        ),
    )

    assert fetch_error(site, retries=0, respect_robots=False) == (
        f"{NEWS}: truncated response (the compressed body stops before its end) after 1 attempt"
    )


def test_body_shorter_than_its_content_length_is_an_error() -> None:
    def short(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Length": "5000"}, content=iter([b"x" * 100]))

    site = Site()
    site.add(NEWS, short)

    assert fetch_error(site, retries=0, respect_robots=False) == (
        f"{NEWS}: truncated response (100 of 5000 bytes received) after 1 attempt"
    )


# -- origins, schemes and redirects ------------------------------------------------------------


def test_origin_of() -> None:
    assert origin_of("https://EN.odkb-csto.org/news/?a=1") == "https://en.odkb-csto.org:443"
    assert origin_of("http://en.odkb-csto.org.:8081") == "http://en.odkb-csto.org:8081"
    assert origin_of("http://[::1]/") == "http://[::1]:80"
    assert origin_of("https://домен.рф/") == "https://xn--d1acufc.xn--p1ai:443"
    assert [origin_of(u) for u in ("file:///etc/passwd", "/news/", "http://a.org:x/")] == [None] * 3


def test_allowed_origins_are_normalised_and_checked() -> None:
    site = Site()
    site.page(NEWS, "news")
    for entry in ("HTTPS://En.Odkb-Csto.org", "https://en.odkb-csto.org:443/news/"):
        assert fetch(site, respect_robots=False, allowed_origins=frozenset({entry})).text == "news"
    with pytest.raises(ValueError, match=r"^not an http or https origin: 'ftp://x.org'$"):
        HttpRetriever(replace(BASE, allowed_origins=frozenset({"ftp://x.org"})))


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://en.odkb-csto.org/news/", "http://en.odkb-csto.org/"),
        ("https://en.odkb-csto.org:8443/news/", "https://en.odkb-csto.org:8443/"),
        ("https://odkb-csto.org/news/", "https://odkb-csto.org/"),
    ],
)
def test_only_allowed_origins_are_contacted(url: str, shown: str) -> None:
    site = Site()

    assert fetch_error(site, url) == f"{url}: {shown} refused (not an origin the sources name)"
    assert site.requests == []


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("file:///etc/passwd", "file URLs are refused: only http and https are fetched"),
        (
            "ftp://en.odkb-csto.org/news.txt",
            "ftp URLs are refused: only http and https are fetched",
        ),
        ("/news/", "not an absolute URL"),
        ("http://en.odkb-csto.org:x/", "invalid URL (Invalid port: 'x')"),
    ],
)
def test_what_is_not_an_http_url_is_refused(url: str, reason: str) -> None:
    assert fetch_error(Site(), url) == f"{url}: {reason}"


def test_redirect_within_the_origin_is_followed() -> None:
    site = Site()
    site.add(SITE + "/old/", (301, {"Location": "/news/"}, b""))
    site.page(NEWS, "<h1>News</h1>")

    fetched = fetch(site, SITE + "/old/", respect_robots=False)

    assert (fetched.url, fetched.final_url, fetched.text) == (SITE + "/old/", NEWS, "<h1>News</h1>")


def test_redirect_to_another_origin_is_refused() -> None:
    site = Site()
    site.add(NEWS, (302, {"Location": "http://en.odkb-csto.org:8081/trap"}, b""))

    assert fetch_error(site, respect_robots=False) == (
        f"{NEWS}: redirect to http://en.odkb-csto.org:8081/ refused (another origin)"
    )
    assert site.urls == [NEWS]


def test_redirect_to_another_allowed_origin_is_followed() -> None:
    mirror = "https://odkb-csto.org/news/"
    site = Site()
    site.add(NEWS, (302, {"Location": mirror}, b""))
    site.page(mirror, "mirror")

    fetched = fetch(site, allowed_origins=frozenset({SITE, "https://odkb-csto.org"}))

    assert fetched.final_url == mirror
    # Each origin's robots.txt is read before its first page.
    assert site.urls == [ROBOTS, NEWS, "https://odkb-csto.org/robots.txt", mirror]


def test_upgrade_to_https_on_the_same_host_is_followed() -> None:
    plain = "http://en.odkb-csto.org/news/"
    site = Site()
    site.add(plain, (301, {"Location": NEWS}, b""))
    site.page(NEWS, "secure")

    fetched = fetch(
        site, plain, respect_robots=False, allowed_origins=frozenset({"http://en.odkb-csto.org"})
    )

    assert (fetched.final_url, fetched.text) == (NEWS, "secure")


@pytest.mark.parametrize(
    ("start", "allowed", "location", "shown"),
    [
        # A downgrade is no upgrade.
        (NEWS, SITE, "http://en.odkb-csto.org/news/", "http://en.odkb-csto.org/"),
        # Nor is a move to another port, or to another host.
        (
            "http://en.odkb-csto.org/news/",
            "http://en.odkb-csto.org",
            "https://en.odkb-csto.org:8443/news/",
            "https://en.odkb-csto.org:8443/",
        ),
        (
            "http://en.odkb-csto.org/news/",
            "http://en.odkb-csto.org",
            "https://odkb-csto.org/news/",
            "https://odkb-csto.org/",
        ),
    ],
)
def test_only_the_plain_upgrade_is_an_exception(
    start: str, allowed: str, location: str, shown: str
) -> None:
    site = Site()
    site.add(start, (301, {"Location": location}, b""))

    message = fetch_error(site, start, respect_robots=False, allowed_origins=frozenset({allowed}))

    assert message == f"{start}: redirect to {shown} refused (another origin)"
    assert site.urls == [start]


def test_redirect_to_another_scheme_is_refused() -> None:
    site = Site()
    site.add(NEWS, (302, {"Location": "file:///etc/passwd"}, b""))

    assert fetch_error(site, respect_robots=False) == (
        f"{NEWS}: redirect to a file URL refused: only http and https are fetched"
    )


def test_failure_after_a_redirect_names_both_urls() -> None:
    site = Site()
    site.add(SITE + "/old", (308, {"Location": "/down"}, b""))
    site.add(SITE + "/down", (503, {}, b"maintenance"))

    assert fetch_error(site, SITE + "/old", retries=0, respect_robots=False) == (
        f"{SITE}/old: HTTP 503 after 1 attempt (at {SITE}/down)"
    )


def test_endless_redirects_stop_after_five() -> None:
    site = Site()
    site.add(NEWS, (302, {"Location": "/news/"}, b""))

    assert fetch_error(site, respect_robots=False) == f"{NEWS}: more than 5 redirects"
    assert site.count(NEWS) == 6


def test_redirect_without_location() -> None:
    site = Site()
    site.add(NEWS, (302, {}, b""))

    assert (
        fetch_error(site, respect_robots=False) == f"{NEWS}: HTTP 302 redirect without a Location"
    )


# -- robots.txt ----------------------------------------------------------------------------------


def robots_site(rules: str) -> Site:
    site = Site()
    site.page(ROBOTS, rules, "text/plain")
    return site


def test_robots_disallow_refuses_without_requesting_and_is_read_once() -> None:
    site = robots_site("User-agent: *\nDisallow: /private/\n")
    site.page(NEWS, "news")

    with retriever(site) as http:
        with pytest.raises(FetchError) as caught:
            http.fetch(SITE + "/private/page")
        http.fetch(NEWS)
        http.fetch(NEWS)

    assert str(caught.value) == f"{SITE}/private/page: disallowed by robots.txt"
    assert site.urls == [ROBOTS, NEWS, NEWS]


@pytest.mark.parametrize(
    ("rules", "path", "allowed"),
    [
        # The longest matching rule wins, whatever the order.
        ("Allow: /news/public/\nDisallow: /news/", "/news/public/a", True),
        ("Allow: /news/public/\nDisallow: /news/", "/news/a", False),
        ("Disallow: /news/\nAllow: /news/public/", "/news/public/a", True),
        # Wildcards: * matches anything, $ ends the path.
        ("Disallow: /*.pdf$", "/files/charter.pdf", False),
        ("Disallow: /*.pdf$", "/files/charter.pdf?download=1", True),
        ("Disallow: /*?PAGEN_1=", "/news/?PAGEN_1=2", False),
        ("Disallow: /*?PAGEN_1=", "/news/", True),
    ],
)
def test_robots_rules_follow_rfc_9309(rules: str, path: str, allowed: bool) -> None:
    site = robots_site(f"User-agent: *\n{rules}\n")
    site.page(SITE + path, "page")

    if allowed:
        assert fetch(site, SITE + path).text == "page"
    else:
        assert fetch_error(site, SITE + path) == f"{SITE}{path}: disallowed by robots.txt"


def test_robots_group_of_our_product_token_applies() -> None:
    site = robots_site("User-agent: feeds-test\nDisallow: /\n\nUser-agent: *\nAllow: /\n")

    assert fetch_error(site) == f"{NEWS}: disallowed by robots.txt"


def test_robots_groups_match_the_product_token_not_the_rest_of_the_user_agent() -> None:
    # Our User-Agent mentions feeds.example.org; a group for "example" is not ours.
    site = robots_site("User-agent: example\nDisallow: /\n")
    site.page(NEWS, "news")

    assert fetch(site).text == "news"


def test_robots_is_read_up_to_512_kib() -> None:
    rules = "User-agent: *\nDisallow: /private/\n#" + "x" * 600_000 + "\nDisallow: /news/\n"
    site = robots_site(rules)
    site.page(NEWS, "news")

    with retriever(site) as http:
        assert http.fetch(NEWS).text == "news"
        with pytest.raises(FetchError, match=r"disallowed by robots\.txt$"):
            http.fetch(SITE + "/private/")


def test_compressed_robots_is_inflated() -> None:
    site = Site()
    rules = gzip.compress(b"User-agent: *\nDisallow: /news/\n")
    site.add(ROBOTS, (200, {"Content-Encoding": "gzip", "Content-Type": "text/plain"}, rules))

    assert fetch_error(site) == f"{NEWS}: disallowed by robots.txt"


def test_redirected_robots_is_followed_within_the_allowed_origins() -> None:
    site = Site()
    site.add(ROBOTS, (301, {"Location": "/rules.txt"}, b""))
    site.page(SITE + "/rules.txt", "User-agent: *\nDisallow: /news/\n", "text/plain")

    assert fetch_error(site) == f"{NEWS}: disallowed by robots.txt"
    assert site.urls == [ROBOTS, SITE + "/rules.txt"]


def test_robots_redirected_to_another_origin_allows_everything_unread() -> None:
    site = Site()
    site.add(ROBOTS, (301, {"Location": "https://elsewhere.example/robots.txt"}, b""))
    site.page(NEWS, "news")

    assert fetch(site).text == "news"
    assert site.urls == [ROBOTS, NEWS]


def test_broken_robots_allows_everything() -> None:
    site = Site()
    site.add(ROBOTS, (500, {}, b"down"))
    site.page(NEWS, "news")

    assert fetch(site).text == "news"
    assert site.count(ROBOTS) == 1


def test_robots_can_be_ignored() -> None:
    site = robots_site("User-agent: *\nDisallow: /\n")
    site.page(NEWS, "news")

    assert fetch(site, respect_robots=False).text == "news"
    assert site.urls == [NEWS]


# -- addresses -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("addresses", "refused"),
    [
        (["10.0.0.5"], "10.0.0.5"),
        ([PUBLIC_ADDRESS, "127.0.0.1"], "127.0.0.1"),
        (["::ffff:192.168.1.1"], "192.168.1.1"),
        (["fe80::1%eth0"], "fe80::1"),
        (["169.254.169.254"], "169.254.169.254"),
    ],
)
def test_every_address_of_the_host_must_be_public(addresses: list[str], refused: str) -> None:
    site = Site()

    message = fetch_error(site, resolve=lambda host, port: addresses)

    assert (
        message == f"{NEWS}: private address {refused} refused (set http.allow_private_addresses)"
    )
    assert site.requests == []


def test_private_addresses_can_be_allowed() -> None:
    site = Site()
    site.page(NEWS, "news")

    fetched = fetch(site, resolve=lambda host, port: ["10.0.0.5"], allow_private_addresses=True)

    assert fetched.text == "news"


def test_the_host_is_resolved_once_per_request() -> None:
    asked: list[tuple[str, int]] = []

    def resolve(host: str, port: int) -> list[str]:
        asked.append((host, port))
        return [PUBLIC_ADDRESS]

    site = Site()
    site.add(NEWS, (503, {}, b""), (200, {}, b"news"))

    assert fetch(site, resolve=resolve).text == "news"
    assert asked == [("en.odkb-csto.org", 443)] * 3  # robots.txt and two attempts


# -- pacing and concurrency --------------------------------------------------------------------


def test_requests_to_one_host_are_spaced_by_min_delay() -> None:
    other = "https://odkb-csto.org/news/"
    site = Site()
    site.page(NEWS, "a")
    site.page(other, "b")
    fake = FakeTime()
    with retriever(
        site,
        fake,
        min_delay=1.0,
        respect_robots=False,
        allowed_origins=frozenset({SITE, "https://odkb-csto.org"}),
    ) as http:
        http.fetch(NEWS)
        fake.now += 0.25
        http.fetch(NEWS)
        http.fetch(NEWS)
        # Another host has its own pace.
        http.fetch(other)

    assert fake.sleeps == [0.75, 1.0]


def test_at_most_per_host_concurrency_requests_run_at_once() -> None:
    state = threading.Condition()
    running = [0, 0]  # now, most ever
    gate = threading.Event()

    def held(request: httpx.Request) -> httpx.Response:
        with state:
            running[0] += 1
            running[1] = max(running)
            state.notify_all()
        gate.wait(5)
        with state:
            running[0] -= 1
        return httpx.Response(200, stream=Body(b"ok"))

    site = Site()
    site.add(NEWS, held)
    texts: list[str] = []
    with retriever(site, respect_robots=False, per_host_concurrency=2) as http:

        def read() -> None:
            texts.append(http.fetch(NEWS).text)

        threads = [threading.Thread(target=read) for _ in range(5)]
        for thread in threads:
            thread.start()
        with state:
            assert state.wait_for(lambda: running[0] == 2, timeout=5)
        gate.set()
        for thread in threads:
            thread.join()

    assert texts == ["ok"] * 5
    assert running == [0, 2]


# -- POST (WebSub pings) -----------------------------------------------------------------

HUB = "https://hub.example.org/"


def test_post_sends_a_form_once_and_returns_any_status() -> None:
    site = Site()
    site.add(HUB, (500, {}, b"hub trouble"))
    form = {"hub.mode": "publish", "hub.url": "https://feeds.example.org/csto/all/atom.xml"}

    with retriever(site, allowed_origins=frozenset({HUB})) as http:
        status = http.post(HUB, form)

    assert status == 500
    assert site.urls == [HUB]  # no robots.txt, no retry
    request = site.requests[0]
    assert request.method == "POST"
    assert request.headers["user-agent"] == UA
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qsl(request.content.decode()) == list(form.items())


def test_post_keeps_the_policy_and_the_deadline() -> None:
    fake = FakeTime()

    def late(request: httpx.Request) -> httpx.Response:
        fake.now += 10
        return httpx.Response(204)

    site = Site()
    site.add(HUB, late)
    with retriever(site, fake, allowed_origins=frozenset({HUB})) as http:
        with pytest.raises(FetchError) as slow:
            http.post(HUB, {"hub.mode": "publish"})
        with pytest.raises(FetchError) as elsewhere:
            http.post("https://other.example.org/hub", {"hub.mode": "publish"})

    assert str(slow.value) == f"{HUB}: no complete answer within 5 s"
    assert str(elsewhere.value) == (
        "https://other.example.org/hub: https://other.example.org/ refused"
        " (not an origin the sources name)"
    )


# -- the body as text ------------------------------------------------------------------------------


def test_windows_1251_declared_in_the_header() -> None:
    site = Site()
    site.page(NEWS, (DATA / "ru-plain-1251.html").read_bytes(), "text/html; charset=windows-1251")

    fetched = fetch(site, respect_robots=False)

    assert (fetched.encoding, fetched.warnings) == ("cp1251", ())
    assert f"<h1>{JOURNALISTS}</h1>" in fetched.text
    assert fetched.content_type == "text/html; charset=windows-1251"


def test_windows_1251_declared_only_in_a_meta_tag() -> None:
    site = Site()
    site.page(NEWS, (DATA / "ru-meta-1251.html").read_bytes())

    fetched = fetch(site, respect_robots=False)

    assert fetched.encoding == "cp1251"
    assert f"<h1>{WORKING_GROUP}</h1>" in fetched.text


def test_a_wrong_header_charset_gives_way_with_a_warning_naming_the_url() -> None:
    site = Site()
    site.page(NEWS, (DATA / "ru-plain-1251.html").read_bytes(), "text/html; charset=utf-8")

    fetched = fetch(site, respect_robots=False)

    assert fetched.encoding == "cp1251"
    assert fetched.warnings == (
        f"{NEWS}: declared charset utf-8 does not fit the bytes; read as windows-1251",
    )


def test_a_binary_body_is_fetched_but_is_no_text() -> None:
    site = Site()
    site.page(NEWS, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01", "image/png")

    fetched = fetch(site, respect_robots=False)

    assert fetched.content.startswith(b"\x89PNG")
    with pytest.raises(
        InputError, match=r"^https://en\.odkb-csto\.org/news/: binary file, not text"
    ):
        _ = fetched.text


# -- real sockets on the loopback interface -------------------------------------------------------


def loopback(server: SiteServer, fake: FakeTime | None = None, **changes: Any) -> HttpRetriever:
    fake = fake or FakeTime()
    settings = replace(
        BASE,
        timeout=2.0,
        allow_private_addresses=True,
        respect_robots=False,
        allowed_origins=frozenset({server.base_url}),
    )
    return HttpRetriever(
        replace(settings, **changes),
        sleep=fake.sleep,
        clock=fake.clock,
        rng=random.Random(7),
    )


def test_304_round_trip(site_server: SiteServer) -> None:
    site_server.add(
        "/news/", "<h1>News</h1>", headers={"Last-Modified": "Tue, 10 Dec 2024 09:00:00 GMT"}
    )
    url = site_server.url("/news/")
    with loopback(site_server) as http:
        first = http.fetch(url)
        second = http.fetch(url, validators=first.validators)

    etag = first.validators.etag
    assert etag is not None and etag.startswith('"') and len(etag) == 34
    assert (first.status, first.content) == (200, b"<h1>News</h1>")
    assert (second.status, second.not_modified, second.content) == (304, True, b"")
    assert second.validators == first.validators
    assert site_server.requests[1].headers["if-none-match"] == etag


def test_query_and_percent_escapes_are_sent_as_given(site_server: SiteServer) -> None:
    site_server.add_handler("/news/news_odkb/", lambda request: (200, {}, request.path))
    site_server.add("/documents/statements/del%20ODKB/", "statement")

    with loopback(site_server) as http:
        listing = http.fetch(site_server.url("/news/news_odkb/?PAGEN_1=2"))
        statement = http.fetch(site_server.url("/documents/statements/del%20ODKB/"))

    assert listing.text == "/news/news_odkb/?PAGEN_1=2"
    assert statement.text == "statement"


def test_body_cut_short_by_the_server_is_an_error(site_server: SiteServer) -> None:
    site_server.add_handler("/cut", lambda request: (200, {"Content-Length": "5000"}, b"x" * 100))
    url = site_server.url("/cut")

    with loopback(site_server, retries=1) as http, pytest.raises(FetchError) as caught:
        http.fetch(url)

    assert str(caught.value) == (
        f"{url}: truncated response (100 of 5000 bytes received) after 2 attempts"
    )
    assert site_server.count("/cut") == 2


def test_compressed_body_over_a_socket(site_server: SiteServer) -> None:
    page = "<p>Москва</p>".encode() * 5000
    site_server.add_handler(
        "/gz", lambda request: (200, {"Content-Encoding": "gzip"}, gzip.compress(page))
    )

    with loopback(site_server) as http:
        assert http.fetch(site_server.url("/gz")).content == page


class Dripping:
    """A server that sends ``head`` and then one more byte every 50 ms (for at most
    10 s), as a stuck or hostile server would."""

    def __init__(self, head: bytes) -> None:
        self.head = head
        self.stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> Dripping:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self._listener.close()
        self._thread.join(5)

    def _serve(self) -> None:
        # The client hanging up mid-answer is the point of the test.
        with contextlib.suppress(OSError):
            connection, _ = self._listener.accept()
            with connection:
                connection.recv(65536)
                connection.sendall(self.head)
                for _ in range(200):
                    if self.stop.wait(0.05):
                        break
                    connection.sendall(b"x")


@pytest.mark.parametrize(
    "head",
    [
        # The body trickles in.
        b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n",
        # The head never ends: every read gets a byte in time, only the deadline stops it.
        b"HTTP/1.1 200 OK\r\nX-Slow: ",
    ],
)
def test_a_server_sending_a_byte_at_a_time_fails_at_the_deadline(head: bytes) -> None:
    with Dripping(head) as server:
        url = f"http://127.0.0.1:{server.port}/news/"
        settings = replace(
            BASE,
            timeout=0.5,
            retries=0,
            respect_robots=False,
            allow_private_addresses=True,
            allowed_origins=frozenset({url}),
        )
        started = time.monotonic()
        with HttpRetriever(settings) as http, pytest.raises(FetchError) as caught:
            http.fetch(url)
        elapsed = time.monotonic() - started

    assert str(caught.value) == f"{url}: no complete answer within 0.5 s after 1 attempt"
    assert 0.4 < elapsed < 1.5


def test_redirect_to_another_port_of_the_same_address_is_refused(site_server: SiteServer) -> None:
    with SiteServer() as elsewhere:
        elsewhere.add("/trap", "should never be read")
        site_server.add_handler(
            "/go", lambda request: (302, {"Location": elsewhere.url("/trap")}, b"")
        )
        url = site_server.url("/go")

        with loopback(site_server) as http, pytest.raises(FetchError) as caught:
            http.fetch(url)

        assert str(caught.value) == (
            f"{url}: redirect to http://127.0.0.1:{elsewhere.port}/ refused (another origin)"
        )
        assert elsewhere.requests == []


def test_the_connection_goes_to_the_checked_address_under_the_host_name() -> None:
    # feeds.test resolves nowhere but through the injected resolver: an answer proves
    # the connection went to the checked address, not to a second lookup.
    with SiteServer("127.0.0.2") as server:
        server.add("/news/", "news")
        url = f"http://feeds.test:{server.port}/news/"
        settings = replace(
            BASE,
            respect_robots=False,
            allow_private_addresses=True,
            allowed_origins=frozenset({url}),
        )
        with HttpRetriever(settings, resolve=lambda host, port: ["127.0.0.2"]) as http:
            assert http.fetch(url).text == "news"

        assert server.requests[0].headers["host"] == f"feeds.test:{server.port}"


def test_loopback_names_are_refused_before_connecting(site_server: SiteServer) -> None:
    url = f"http://localhost:{site_server.port}/news/"

    with (
        loopback(
            site_server, allow_private_addresses=False, allowed_origins=frozenset({url})
        ) as http,
        pytest.raises(FetchError) as caught,
    ):
        http.fetch(url)

    assert str(caught.value) in {
        f"{url}: private address 127.0.0.1 refused (set http.allow_private_addresses)",
        f"{url}: private address ::1 refused (set http.allow_private_addresses)",
    }
    assert site_server.requests == []


def test_refused_connection_is_retried_then_reported() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/news/"
    fake = FakeTime()
    settings = replace(
        BASE, retries=1, allow_private_addresses=True, allowed_origins=frozenset({url})
    )

    with HttpRetriever(settings, sleep=fake.sleep) as http, pytest.raises(FetchError) as caught:
        http.fetch(url)

    assert str(caught.value) == (
        f"{url}: connection failed ([Errno 111] Connection refused) after 2 attempts"
    )
    assert len(fake.sleeps) == 1


def test_tls_is_set_up_only_for_an_https_url(
    site_server: SiteServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    contexts: list[object] = []
    real = httpx.create_ssl_context

    def counting(*args: Any, **kwargs: Any) -> Any:
        contexts.append(real(*args, **kwargs))
        return contexts[-1]

    monkeypatch.setattr(httpx, "create_ssl_context", counting)
    site_server.add("/news/", "news")
    secure = site_server.base_url.replace("http://", "https://")
    with loopback(
        site_server, retries=0, allowed_origins=frozenset({site_server.base_url, secure})
    ) as http:
        assert http.fetch(site_server.url("/news/")).status == 200
        assert contexts == []
        # The same server spoken to in TLS: the handshake fails, but the context was made.
        with pytest.raises(FetchError):
            http.fetch(secure + "/news/")
        assert len(contexts) == 1
        assert http.fetch(site_server.url("/news/")).status == 200
        with pytest.raises(FetchError):
            http.fetch(secure + "/news/")
        assert len(contexts) == 1
