"""The HTTP retriever against a real server on 127.0.0.1."""

from __future__ import annotations

import gzip
import random
import socket
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from feeds.errors import FetchError
from feeds.sources.http import Fetched, HttpRetriever, HttpSettings, Validators, decode_body
from tests.support.site_server import Handler, Reply, Request, SiteServer
from tests.support.site_server import site_server as site_server_fixture  # noqa: F401

DATA = Path(__file__).parent / "data" / "http"
UA = "feeds-test/2.0 (+https://feeds.example.org/csto/)"
BASE = HttpSettings(
    user_agent=UA,
    timeout=2.0,
    min_delay=0.0,
    retries=3,
    respect_robots=True,
    allow_private_addresses=True,
    allowed_hosts=frozenset({"127.0.0.1"}),
)
WORKING_GROUP = "В Секретариате ОДКБ состоялось заседание рабочей группы"
JOURNALISTS = "Генеральный секретарь ОДКБ провёл встречу с журналистами"


class FakeTime:
    """A clock that only moves when the retriever sleeps (or the test says so)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def retriever(fake: FakeTime, **changes: Any) -> HttpRetriever:
    settings = replace(BASE, **changes)
    return HttpRetriever(settings, sleep=fake.sleep, clock=fake.clock, rng=random.Random(7))


def fetch(url: str, fake: FakeTime | None = None, **changes: Any) -> Fetched:
    with retriever(fake or FakeTime(), **changes) as http:
        return http.fetch(url)


def fetch_error(url: str, fake: FakeTime | None = None, **changes: Any) -> str:
    with pytest.raises(FetchError) as caught:
        fetch(url, fake, **changes)
    return str(caught.value)


def scripted(*replies: Reply) -> Handler:
    """A handler answering with ``replies`` in turn (the last one repeats)."""

    def handler(request: Request) -> Reply:
        return replies[min(request.call, len(replies)) - 1]

    return handler


# -- headers and conditional GET ----------------------------------------------


def test_user_agent_is_sent_with_robots_and_page(site_server: SiteServer) -> None:
    site_server.add("/news/", "<h1>News</h1>")

    fetched = fetch(site_server.url("/news/"))

    assert fetched.text == "<h1>News</h1>"
    assert [(r.method, r.path) for r in site_server.requests] == [
        ("GET", "/robots.txt"),
        ("GET", "/news/"),
    ]
    assert [r.headers["user-agent"] for r in site_server.requests] == [UA, UA]


def test_second_fetch_with_validators_gets_304(site_server: SiteServer) -> None:
    site_server.add(
        "/news/", "<h1>News</h1>", headers={"Last-Modified": "Tue, 10 Dec 2024 09:00:00 GMT"}
    )
    url = site_server.url("/news/")
    fake = FakeTime()
    with retriever(fake, respect_robots=False) as http:
        first = http.fetch(url)
        second = http.fetch(url, validators=first.validators)

    etag = first.validators.etag
    assert etag is not None and etag.startswith('"') and len(etag) == 34
    assert first.validators.last_modified == "Tue, 10 Dec 2024 09:00:00 GMT"
    assert (first.status, first.not_modified, first.content) == (200, False, b"<h1>News</h1>")
    assert (second.status, second.not_modified, second.content, second.text) == (304, True, b"", "")
    assert second.validators == first.validators
    sent = site_server.requests[1].headers
    assert sent["if-none-match"] == etag
    assert sent["if-modified-since"] == "Tue, 10 Dec 2024 09:00:00 GMT"
    assert "if-none-match" not in site_server.requests[0].headers


def test_last_modified_alone_is_enough_for_304(site_server: SiteServer) -> None:
    site_server.add("/a", "A", headers={"Last-Modified": "Tue, 10 Dec 2024 09:00:00 GMT"})
    validators = Validators(last_modified="Wed, 11 Dec 2024 09:00:00 GMT")
    with retriever(FakeTime(), respect_robots=False) as http:
        fetched = http.fetch(site_server.url("/a"), validators=validators)

    assert fetched.not_modified is True
    assert fetched.validators.last_modified == "Tue, 10 Dec 2024 09:00:00 GMT"


def test_changed_page_comes_back_in_full_despite_validators(site_server: SiteServer) -> None:
    site_server.add("/a", "new text")
    with retriever(FakeTime(), respect_robots=False) as http:
        fetched = http.fetch(site_server.url("/a"), validators=Validators(etag='"old"'))

    assert (fetched.status, fetched.text) == (200, "new text")
    assert fetched.validators.etag != '"old"'


# -- retries -------------------------------------------------------------------


def test_two_server_errors_then_success(site_server: SiteServer) -> None:
    handler = scripted((500, {}, b"oops"), (500, {}, b"oops"), (200, {}, b"fine"))
    site_server.add_handler("/flaky", handler)
    fake = FakeTime()

    fetched = fetch(site_server.url("/flaky"), fake, respect_robots=False)

    assert (fetched.status, fetched.text) == (200, "fine")
    assert site_server.count("/flaky") == 3
    # Full jitter: uniform in [0, base * 2**attempt], drawn from the injected generator.
    expected = random.Random(7)
    assert fake.sleeps == [expected.uniform(0, 0.5), expected.uniform(0, 1.0)]


def test_server_errors_until_the_end_name_url_and_attempts(site_server: SiteServer) -> None:
    site_server.add("/down", "maintenance", status=503)
    url = site_server.url("/down")
    fake = FakeTime()

    message = fetch_error(url, fake, retries=2, respect_robots=False)

    assert message == f"{url}: HTTP 503 after 3 attempts"
    assert site_server.count("/down") == 3
    assert len(fake.sleeps) == 2


def test_query_and_percent_escapes_are_sent_as_given(site_server: SiteServer) -> None:
    site_server.add_handler("/news/news_odkb/", lambda request: (200, {}, request.path))
    site_server.add("/documents/statements/del%20ODKB/", "statement")

    listing = fetch(site_server.url("/news/news_odkb/?PAGEN_1=2"), respect_robots=False)
    statement = fetch(site_server.url("/documents/statements/del%20ODKB/"), respect_robots=False)

    assert listing.text == "/news/news_odkb/?PAGEN_1=2"
    assert statement.text == "statement"


def test_removed_page_is_gone(site_server: SiteServer) -> None:
    site_server.add("/news/", "news")
    url = site_server.url("/news/")
    with retriever(FakeTime(), respect_robots=False) as http:
        before = http.fetch(url)
        site_server.remove("/news/")
        with pytest.raises(FetchError) as caught:
            http.fetch(url)

    assert before.text == "news"
    assert str(caught.value) == f"{url}: HTTP 404 Not Found"


def test_client_errors_are_not_retried(site_server: SiteServer) -> None:
    url = site_server.url("/missing/")

    assert fetch_error(url, respect_robots=False) == f"{url}: HTTP 404 Not Found"
    assert site_server.count("/missing/") == 1


def test_retry_after_in_seconds_is_honoured(site_server: SiteServer) -> None:
    handler = scripted((429, {"Retry-After": "1"}, b"slow down"), (200, {}, b"ok"))
    site_server.add_handler("/busy", handler)
    fake = FakeTime()

    fetched = fetch(site_server.url("/busy"), fake, respect_robots=False)

    assert fetched.text == "ok"
    assert fake.sleeps == [1.0]
    assert site_server.count("/busy") == 2


def test_retry_after_as_http_date_is_measured_from_the_answer_date(
    site_server: SiteServer,
) -> None:
    busy = {"Date": "Tue, 10 Dec 2024 09:00:00 GMT", "Retry-After": "Tue, 10 Dec 2024 09:00:07 GMT"}
    handler = scripted((503, busy, b""), (200, {}, b"ok"))
    site_server.add_handler("/busy", handler)
    fake = FakeTime()

    fetch(site_server.url("/busy"), fake, respect_robots=False)

    assert fake.sleeps == [7.0]


def test_retry_after_is_capped(site_server: SiteServer) -> None:
    handler = scripted((429, {"Retry-After": "3600"}, b""), (200, {}, b"ok"))
    site_server.add_handler("/busy", handler)
    fake = FakeTime()

    fetch(site_server.url("/busy"), fake, respect_robots=False, retry_after_max=5.0)

    assert fake.sleeps == [5.0]


def test_timeout_is_retried_then_reported(site_server: SiteServer) -> None:
    def slow(request: Request) -> Reply:
        site_server.stopped.wait(1.5)
        return 200, {}, b"too late"

    site_server.add_handler("/slow", slow)
    url = site_server.url("/slow")
    started = time.monotonic()

    message = fetch_error(url, timeout=0.3, retries=1, respect_robots=False)

    assert message == f"{url}: timed out (ReadTimeout) after 2 attempts"
    assert site_server.count("/slow") == 2
    assert time.monotonic() - started < 1.4


def test_refused_connection_is_retried_then_reported() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/news/"
    fake = FakeTime()

    message = fetch_error(url, fake, retries=1)

    assert message.startswith(f"{url}: connection failed (")
    assert message.endswith(") after 2 attempts")
    assert len(fake.sleeps) == 1


def test_body_cut_short_by_the_server_is_an_error(site_server: SiteServer) -> None:
    site_server.add_handler("/cut", lambda request: (200, {"Content-Length": "5000"}, b"x" * 100))
    url = site_server.url("/cut")

    message = fetch_error(url, retries=1, respect_robots=False)

    assert message == f"{url}: truncated response (100 of 5000 bytes received) after 2 attempts"
    assert site_server.count("/cut") == 2


# -- size cap --------------------------------------------------------------------


def test_oversized_page_with_length_is_cut_at_the_cap(site_server: SiteServer) -> None:
    body = bytes(range(256)) * 20  # 5120 bytes
    site_server.add("/big", body, content_type="application/octet-stream")

    fetched = fetch(site_server.url("/big"), respect_robots=False, max_bytes=1000)

    assert fetched.truncated is True
    assert len(fetched.content) == 1000
    assert fetched.content == body[:1000]


def test_oversized_chunked_page_is_cut_at_the_cap(site_server: SiteServer) -> None:
    body = b"<p>" + b"a" * 100_000 + b"</p>"
    site_server.add_handler("/big", lambda request: (200, {"Transfer-Encoding": "chunked"}, body))

    fetched = fetch(site_server.url("/big"), respect_robots=False, max_bytes=20_000)

    assert fetched.truncated is True
    assert fetched.content == body[:20_000]


def test_page_exactly_at_the_cap_is_complete(site_server: SiteServer) -> None:
    site_server.add_handler(
        "/even", lambda request: (200, {"Transfer-Encoding": "chunked"}, b"z" * 32_768)
    )

    fetched = fetch(site_server.url("/even"), respect_robots=False, max_bytes=32_768)

    assert fetched.truncated is False
    assert len(fetched.content) == 32_768


def test_compressed_body_is_inflated_and_capped_after_inflation(site_server: SiteServer) -> None:
    page = "<p>Москва</p>".encode() * 1000
    site_server.add_handler(
        "/gz", lambda request: (200, {"Content-Encoding": "gzip"}, gzip.compress(page))
    )

    whole = fetch(site_server.url("/gz"), respect_robots=False)
    capped = fetch(site_server.url("/gz"), respect_robots=False, max_bytes=1000)

    assert (whole.content, whole.truncated) == (page, False)
    assert (capped.content, capped.truncated) == (page[:1000], True)


def test_broken_compressed_body_is_an_error(site_server: SiteServer) -> None:
    site_server.add_handler(
        "/gz", lambda request: (200, {"Content-Encoding": "gzip"}, b"\x1f\x8bnot gzip at all")
    )
    url = site_server.url("/gz")

    message = fetch_error(url, retries=0, respect_robots=False)

    assert message.startswith(f"{url}: undecodable compressed body (")
    assert message.endswith(") after 1 attempt")


# -- redirects -------------------------------------------------------------------


def test_redirect_on_the_same_host_is_followed(site_server: SiteServer) -> None:
    site_server.add_handler("/old/", lambda request: (301, {"Location": "/news/"}, b""))
    site_server.add("/news/", "<h1>News</h1>")

    fetched = fetch(site_server.url("/old/"), respect_robots=False)

    assert fetched.url == site_server.url("/old/")
    assert fetched.final_url == site_server.url("/news/")
    assert fetched.text == "<h1>News</h1>"


def test_redirect_to_another_host_is_refused(site_server: SiteServer) -> None:
    with SiteServer() as elsewhere:
        elsewhere.add("/trap", "should never be read")
        target = f"http://localhost:{elsewhere.port}/trap"
        site_server.add_handler("/go", lambda request: (302, {"Location": target}, b""))
        url = site_server.url("/go")

        message = fetch_error(url, respect_robots=False)

        assert message == f"{url}: redirect to localhost refused (host not in sources)"
        assert elsewhere.requests == []


def test_failure_after_a_redirect_names_both_urls(site_server: SiteServer) -> None:
    site_server.add_handler("/old", lambda request: (308, {"Location": "/down"}, b""))
    site_server.add("/down", "maintenance", status=503)
    url = site_server.url("/old")

    message = fetch_error(url, retries=0, respect_robots=False)

    assert message == f"{url}: HTTP 503 after 1 attempt (at {site_server.url('/down')})"


def test_endless_redirects_stop_after_five(site_server: SiteServer) -> None:
    site_server.add_handler("/loop", lambda request: (302, {"Location": "/loop"}, b""))
    url = site_server.url("/loop")

    assert fetch_error(url, respect_robots=False) == f"{url}: more than 5 redirects"
    assert site_server.count("/loop") == 6


# -- robots.txt --------------------------------------------------------------------


def test_robots_disallow_refuses_without_requesting(site_server: SiteServer) -> None:
    site_server.add(
        "/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain"
    )
    site_server.add("/news/", "news")
    private = site_server.url("/private/page")

    with retriever(FakeTime()) as http:
        with pytest.raises(FetchError) as caught:
            http.fetch(private)
        http.fetch(site_server.url("/news/"))
        http.fetch(site_server.url("/news/"))

    assert str(caught.value) == f"{private}: disallowed by robots.txt"
    assert [r.path for r in site_server.requests] == ["/robots.txt", "/news/", "/news/"]


def test_robots_rules_for_our_product_token_apply(site_server: SiteServer) -> None:
    rules = "User-agent: feeds-test\nDisallow: /\n\nUser-agent: *\nAllow: /\n"
    site_server.add("/robots.txt", rules, content_type="text/plain")
    url = site_server.url("/news/")

    assert fetch_error(url) == f"{url}: disallowed by robots.txt"
    assert site_server.count("/news/") == 0


def test_redirected_robots_is_followed_on_the_same_host(site_server: SiteServer) -> None:
    site_server.add_handler("/robots.txt", lambda request: (301, {"Location": "/rules.txt"}, b""))
    site_server.add("/rules.txt", "User-agent: *\nDisallow: /news/\n", content_type="text/plain")
    url = site_server.url("/news/")

    assert fetch_error(url) == f"{url}: disallowed by robots.txt"
    assert [r.path for r in site_server.requests] == ["/robots.txt", "/rules.txt"]


def test_broken_robots_allows_everything(site_server: SiteServer) -> None:
    site_server.add("/robots.txt", "down", status=500)
    site_server.add("/news/", "news")

    assert fetch(site_server.url("/news/")).text == "news"
    assert site_server.count("/robots.txt") == 1


def test_robots_can_be_ignored(site_server: SiteServer) -> None:
    site_server.add("/robots.txt", "User-agent: *\nDisallow: /\n", content_type="text/plain")
    site_server.add("/news/", "news")

    assert fetch(site_server.url("/news/"), respect_robots=False).text == "news"
    assert site_server.count("/robots.txt") == 0


# -- host policy ---------------------------------------------------------------------


def test_private_address_is_refused_unless_allowed(site_server: SiteServer) -> None:
    site_server.add("/news/", "news")
    url = site_server.url("/news/")

    message = fetch_error(url, allow_private_addresses=False)

    assert message == f"{url}: private address 127.0.0.1 refused (set http.allow_private_addresses)"
    assert site_server.requests == []


def test_names_are_resolved_before_the_private_check(site_server: SiteServer) -> None:
    url = f"http://localhost:{site_server.port}/news/"

    message = fetch_error(
        url, allow_private_addresses=False, allowed_hosts=frozenset({"localhost"})
    )

    assert message in {
        f"{url}: private address 127.0.0.1 refused (set http.allow_private_addresses)",
        f"{url}: private address ::1 refused (set http.allow_private_addresses)",
    }
    assert site_server.requests == []


def test_host_outside_the_sources_is_refused(site_server: SiteServer) -> None:
    url = site_server.url("/news/")

    message = fetch_error(url, allowed_hosts=frozenset({"en.odkb-csto.org"}))

    assert message == f"{url}: host 127.0.0.1 refused (host not in sources)"
    assert site_server.requests == []


def test_other_schemes_are_refused() -> None:
    url = "ftp://127.0.0.1/news.txt"

    assert fetch_error(url) == f"{url}: ftp URL refused (only http and https)"
    assert fetch_error("/news/") == "/news/: not an absolute URL"


# -- pacing and concurrency ---------------------------------------------------------


def test_requests_to_one_host_are_spaced_by_min_delay(site_server: SiteServer) -> None:
    site_server.add("/a", "a")
    fake = FakeTime()
    with retriever(
        fake,
        min_delay=1.0,
        respect_robots=False,
        allowed_hosts=frozenset({"127.0.0.1", "localhost"}),
    ) as http:
        http.fetch(site_server.url("/a"))
        fake.now += 0.25
        http.fetch(site_server.url("/a"))
        http.fetch(site_server.url("/a"))
        # Another host has its own pace.
        http.fetch(f"http://localhost:{site_server.port}/a")

    assert fake.sleeps == [0.75, 1.0]
    assert site_server.count("/a") == 4


def test_at_most_two_requests_run_at_once_per_host(site_server: SiteServer) -> None:
    lock = threading.Lock()
    running = [0, 0]  # now, most ever

    def slow(request: Request) -> Reply:
        with lock:
            running[0] += 1
            running[1] = max(running)
        site_server.stopped.wait(0.15)
        with lock:
            running[0] -= 1
        return 200, {}, b"ok"

    site_server.add_handler("/slow", slow)
    http = HttpRetriever(replace(BASE, respect_robots=False, per_host_concurrency=2))
    with http:
        threads = [
            threading.Thread(target=http.fetch, args=(site_server.url("/slow"),)) for _ in range(5)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert site_server.count("/slow") == 5
    assert running == [0, 2]


# -- character sets ------------------------------------------------------------------


def test_windows_1251_declared_in_the_header(site_server: SiteServer) -> None:
    site_server.add(
        "/ru/",
        (DATA / "ru-plain-1251.html").read_bytes(),
        content_type="text/html; charset=windows-1251",
    )

    fetched = fetch(site_server.url("/ru/"), respect_robots=False)

    assert fetched.encoding == "cp1251"
    assert f"<h1>{JOURNALISTS}</h1>" in fetched.text
    assert fetched.content_type == "text/html; charset=windows-1251"


def test_windows_1251_declared_only_in_a_meta_tag(site_server: SiteServer) -> None:
    site_server.add("/ru/", (DATA / "ru-meta-1251.html").read_bytes(), content_type="text/html")

    fetched = fetch(site_server.url("/ru/"), respect_robots=False)

    assert fetched.encoding == "cp1251"
    assert f"<h1>{WORKING_GROUP}</h1>" in fetched.text
    assert "«Взаимодействие»" in fetched.text


def test_undeclared_windows_1251_is_recognised(site_server: SiteServer) -> None:
    site_server.add("/ru/", (DATA / "ru-plain-1251.html").read_bytes(), content_type="text/html")

    fetched = fetch(site_server.url("/ru/"), respect_robots=False)

    assert fetched.encoding == "cp1251"
    assert f"<h1>{JOURNALISTS}</h1>" in fetched.text


def test_header_charset_wins_over_meta() -> None:
    page = '<meta charset="utf-8"><p>Москва</p>'.encode("cp1251")

    assert decode_body(page, "text/html; charset=cp1251") == (
        '<meta charset="utf-8"><p>Москва</p>',
        "cp1251",
    )


def test_html5_meta_charset() -> None:
    page = '<html><head><meta charset="windows-1251"></head><p>Ереван</p>'.encode("cp1251")

    assert decode_body(page, "text/html")[1] == "cp1251"
    assert decode_body(page, "text/html")[0].endswith("<p>Ереван</p>")


def test_undeclared_utf8_and_bom() -> None:
    text = "<p>Минск, 12 мая</p>"

    assert decode_body(text.encode("utf-8"), "text/html") == (text, "utf-8")
    assert decode_body(b"\xef\xbb\xbf" + text.encode("utf-8"), "") == (text, "utf-8-sig")


def test_latin1_label_means_windows_1252() -> None:
    assert decode_body(b"\x93quoted\x94", "text/html; charset=ISO-8859-1") == (
        "\u201cquoted\u201d",
        "cp1252",
    )


def test_koi8_r_is_left_to_charset_detection() -> None:
    text = (
        "Генеральный секретарь ОДКБ провёл встречу с журналистами. Речь шла о совместных"
        " мерах по укреплению безопасности в регионе и о подготовке к учениям."
    )

    assert decode_body(text.encode("koi8-r"), "text/plain") == (text, "koi8-r")


def test_unknown_charset_label_is_ignored() -> None:
    assert decode_body("Бишкек".encode(), "text/html; charset=x-made-up") == ("Бишкек", "utf-8")
