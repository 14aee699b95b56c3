"""Incremental, parallel crawls: what each run asks of the site.

The request counts are read from a real server on 127.0.0.1 serving a generated site
(five listing pages of three articles, newest first, in the markup of the packaged
profile); the walk's decisions are also checked without sockets, behind
``httpx.MockTransport``.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from feeds.config import HtmlSourceConfig, HttpSettings
from feeds.model import FileStamp, FolderRanges
from feeds.profile import default_profile
from feeds.profile.html import HtmlRules
from feeds.sources.base import Retrieval
from feeds.sources.crawl import crawl, fingerprint, full_walk_due
from feeds.sources.http import HttpRetriever
from feeds.store import Store
from tests.support.livesite import LISTING, read_feed, refresh, status, write_config
from tests.support.site_server import Request, SiteServer

PER_PAGE = 3
WORDS = (
    "council ministers delegation exercise border staff treaty session secretary "
    "cooperation migration security forces training mountain river capital summit "
    "agreement logistics medical engineers signal convoy airfield harbour archive "
    "museum festival students veterans anniversary exhibition library observers "
    "inspection bridge railway drought harvest satellite laboratory orchestra"
).split()


def _words(rng: random.Random, count: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(count))


@dataclass
class Article:
    slug: str
    title: str
    day: dt.date
    text: str

    @property
    def path(self) -> str:
        return f"{LISTING}{self.slug}/"


def make_article(number: int) -> Article:
    rng = random.Random(number)
    return Article(
        slug=f"article-{number}",
        title=f"The {_words(rng, 6)} met for the {number}th time".capitalize(),
        day=dt.date(2024, 1, 1) + dt.timedelta(days=number),
        text=f"{_words(rng, 40)}. {_words(rng, 30)}.",
    )


def article_page(article: Article) -> str:
    return (
        f"<!DOCTYPE html><html lang='en'><head><title>{article.title} | CSTO</title></head>"
        f"<body><div class='news-detail'><h1>{article.title}</h1>"
        f"<span class='news-date-time'>{article.day:%d.%m.%Y}</span>"
        f"<div class='news-detail__text'><p>{article.text}</p></div></div></body></html>"
    )


def listing_page(articles: list[Article], number: int, last: int) -> str:
    items = "".join(
        f"<div class='news-item'><a href='{a.path}'><b>{a.title}</b></a>"
        f"<span class='news-date-time'>{a.day:%d.%m.%Y}</span>"
        f"<div class='news-item__preview'>{a.text[:80]}</div></div>"
        for a in articles
    )
    pager = f"<a href='{LISTING}?PAGEN_1={number + 1}'>Next</a>" if number < last else ""
    return (
        "<!DOCTYPE html><html lang='en'><head><title>CSTO news</title></head><body>"
        f"<div class='news-list'>{items}</div><div class='pager'>{pager}</div></body></html>"
    )


def page_path(number: int) -> str:
    return LISTING if number == 1 else f"{LISTING}?PAGEN_1={number}"


class Site:
    """The generated site: ``articles`` newest first, served by ``server``."""

    def __init__(self, server: SiteServer, count: int = 5 * PER_PAGE) -> None:
        self.server = server
        self.articles = [make_article(n) for n in range(count, 0, -1)]
        self.publish()

    @property
    def pages(self) -> int:
        return -(-len(self.articles) // PER_PAGE)

    def publish(self) -> None:
        """(Re)serve every page; unchanged pages keep their ETag."""
        self.server.add("/robots.txt", "User-agent: *\nAllow: /\n", content_type="text/plain")
        for article in self.articles:
            self.server.add(article.path, article_page(article))
        for number in range(1, self.pages + 1):
            chunk = self.articles[(number - 1) * PER_PAGE : number * PER_PAGE]
            self.server.add(page_path(number), listing_page(chunk, number, self.pages))

    def listing_requests(self) -> list[str]:
        return [p for p in self.paths() if p == LISTING or p.startswith(LISTING + "?")]

    def paths(self) -> list[str]:
        return [r.path for r in self.server.requests if r.path != "/robots.txt"]

    def articles_read(self) -> list[str]:
        listings = set(self.listing_requests())
        return sorted(p for p in self.paths() if p not in listings)


@pytest.fixture
def site(site_server: SiteServer) -> Site:
    return Site(site_server)


def project(tmp_path: Path, site: Site, **source: Any) -> Path:
    http = source.pop("http", {})
    entry = {"name": "news", "type": "html", "url": site.server.url(LISTING), "pages": site.pages}
    return write_config(tmp_path, site.server, sources=[entry | source], http=http)


def titles(config: Path) -> set[str]:
    return {entry.title for entry in read_feed(config).entries}


# -- what each run asks for --------------------------------------------------------------


def test_nothing_new_sends_one_page_request(tmp_path: Path, site: Site) -> None:
    config = project(tmp_path, site)
    assert refresh(config) == 0
    assert len(site.listing_requests()) == site.pages
    assert len(site.articles_read()) == len(site.articles)
    site.server.clear_requests()

    assert refresh(config) == 0

    assert site.paths() == [LISTING]
    assert status(config)["sources"]["news"] == {
        "status": "ok",
        "items": len(site.articles),
        "message": "",
        "type": "html",
    }


def test_one_new_article_costs_at_most_three_page_requests(tmp_path: Path, site: Site) -> None:
    config = project(tmp_path, site)
    assert refresh(config) == 0
    new = make_article(100)
    # On top of page 1: every article moves down one place, every page changes.
    site.articles.insert(0, new)
    site.publish()
    site.server.clear_requests()

    assert refresh(config) == 0

    assert site.listing_requests() == [page_path(1), page_path(2)]
    assert site.articles_read() == [new.path]
    assert new.title in titles(config)
    # The five pages read hold 15 items: the oldest one has moved past them.
    assert status(config)["sources"]["news"]["items"] == 5 * PER_PAGE


def test_full_flag_walks_every_listing_page(tmp_path: Path, site: Site) -> None:
    config = project(tmp_path, site)
    assert refresh(config) == 0
    site.server.clear_requests()

    assert refresh(config, "--full") == 0

    assert site.listing_requests() == [page_path(n) for n in range(1, site.pages + 1)]
    assert site.articles_read() == []


def test_a_full_walk_comes_by_itself_every_n_runs(tmp_path: Path, site: Site) -> None:
    config = project(tmp_path, site, full_walk_every=3)
    walked = []
    for _run in range(5):
        site.server.clear_requests()
        assert refresh(config) == 0
        walked.append(len(site.listing_requests()))
    assert walked == [site.pages, 1, 1, site.pages, 1]
    store = Store.open(config.parent / "state" / "feeds.sqlite", timezone="UTC")
    try:
        assert store.memory.runs_since_full_walk("news") == 1
        assert store.memory.last_full_walk("news") is not None
    finally:
        store.close()


def test_a_silently_edited_item_on_page_one_is_read_again(tmp_path: Path, site: Site) -> None:
    config = project(tmp_path, site)
    assert refresh(config) == 0
    edited = site.articles[1]
    old_title = edited.title
    edited.title = "A corrected title of the second article"
    site.publish()
    site.server.clear_requests()

    assert refresh(config) == 0

    assert site.articles_read() == [edited.path]
    assert site.listing_requests() == [page_path(1), page_path(2)]
    found = titles(config)
    assert edited.title in found
    assert old_title not in found


def test_an_edit_further_down_waits_for_the_full_walk(tmp_path: Path, site: Site) -> None:
    config = project(tmp_path, site)
    assert refresh(config) == 0
    edited = site.articles[-1]
    edited.title = "A corrected title of the oldest article"
    site.publish()

    assert refresh(config) == 0
    assert edited.title not in titles(config)

    site.server.clear_requests()
    assert refresh(config, "--full") == 0
    assert site.articles_read() == [edited.path]
    assert edited.title in titles(config)


# -- in parallel, and still polite -------------------------------------------------------


@dataclass
class InFlight:
    """Counts the article requests being answered at once."""

    hold: float
    now: int = 0
    most: int = 0
    starts: list[float] = field(default_factory=list)
    lock: threading.Condition = field(default_factory=threading.Condition)

    def answer(self, body: str, wanted: int) -> tuple[int, dict[str, str], str]:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
            self.starts.append(time.monotonic())
            self.lock.notify_all()
            # Stay in flight until ``wanted`` have run at once (or a while has passed).
            self.lock.wait_for(lambda: self.most >= wanted, timeout=self.hold)
            self.now -= 1
        return 200, {}, body


def slow_articles(site: Site, flight: InFlight, wanted: int) -> None:
    for article in site.articles:
        body = article_page(article)

        def handler(request: Request, body: str = body) -> tuple[int, dict[str, str], str]:
            return flight.answer(body, wanted)

        site.server.add_handler(article.path, handler)


def test_articles_are_fetched_in_parallel_up_to_the_host_limit(tmp_path: Path, site: Site) -> None:
    flight = InFlight(hold=1.5)
    slow_articles(site, flight, wanted=4)
    config = project(tmp_path, site, http={"per_host_concurrency": 4})

    assert refresh(config) == 0

    assert flight.most == 4
    assert len(titles(config)) == len(site.articles)


def test_min_delay_still_spaces_requests_fetched_in_parallel(tmp_path: Path, site: Site) -> None:
    site.articles = site.articles[: 2 * PER_PAGE]
    site.publish()
    flight = InFlight(hold=0.0)
    slow_articles(site, flight, wanted=1)
    config = project(tmp_path, site, http={"per_host_concurrency": 4, "min_delay": 0.25})

    assert refresh(config) == 0

    assert len(flight.starts) == 2 * PER_PAGE
    gaps = [b - a for a, b in zip(flight.starts, flight.starts[1:], strict=False)]
    # Starts are paced by the client; the server sees them a little late or early.
    assert min(gaps) >= 0.2


# -- the walk's decisions, without sockets -----------------------------------------------

ORIGIN = "https://en.odkb-csto.org"


@dataclass
class Memory:
    """A Recall from plain values."""

    fingerprints: dict[str, str] = field(default_factory=dict)
    since_full: int | None = None
    usual: int = 0
    etags: dict[str, str] = field(default_factory=dict)

    def file_dates(
        self, source: str, start: str | None = None, end: str | None = None
    ) -> dict[str, tuple[int, int]]:
        return {}

    def folder_ranges(self, source: str) -> FolderRanges | None:
        return None

    def file_stamp(self, source: str, path: str) -> FileStamp | None:
        return None

    def validators(self, url: str) -> tuple[str | None, str | None]:
        return self.etags.get(url), None

    def listing_fingerprint(self, source: str, url: str) -> str | None:
        return self.fingerprints.get(url)

    def listing_count(self, source: str, page: str) -> int:
        return 0

    def usual_items(self, source: str) -> int:
        return self.usual

    def runs_since_full_walk(self, source: str) -> int | None:
        return self.since_full


def mock_site(routes: dict[str, str], pages: int) -> tuple[list[Article], HtmlSourceConfig]:
    """``pages`` full listing pages in ``routes``; their articles, and a source reading them."""
    articles = [make_article(n) for n in range(pages * PER_PAGE, 0, -1)]
    routes[f"{ORIGIN}/robots.txt"] = "User-agent: *\nAllow: /\n"
    for number in range(1, pages + 1):
        chunk = articles[(number - 1) * PER_PAGE : number * PER_PAGE]
        routes[ORIGIN + page_path(number)] = listing_page(chunk, number, pages)
    for article in articles:
        routes[ORIGIN + article.path] = article_page(article)
    return articles, HtmlSourceConfig(name="news", type="html", url=ORIGIN + LISTING, pages=pages)


@pytest.fixture
def mock_http() -> Iterator[tuple[HttpRetriever, list[str], dict[str, str]]]:
    routes: dict[str, str] = {}
    asked: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        body = routes.get(str(request.url))
        if body is None:
            return httpx.Response(404)
        data = body.encode()
        tag = f'"{zlib.crc32(data):08x}"'
        if request.headers.get("if-none-match") == tag:
            return httpx.Response(304, headers={"ETag": tag})
        headers = {"Content-Type": "text/html", "Content-Length": str(len(data)), "ETag": tag}
        # A stream, as off the wire (the retriever reads bodies raw).
        return httpx.Response(200, headers=headers, stream=httpx.ByteStream(data))

    settings = HttpSettings(min_delay=0, allowed_origins=frozenset({ORIGIN}))
    http = HttpRetriever(
        settings, transport=httpx.MockTransport(answer), resolve=lambda h, p: ["93.184.216.34"]
    )
    with http:
        yield http, asked, routes


def walk_all(source: HtmlSourceConfig, http: HttpRetriever, html: HtmlRules) -> Retrieval:
    """A first crawl of the site: every listing page and article."""
    return crawl(source, http, lambda: html, Memory(), lambda _line: None, full=True)


def test_walk_stops_at_the_first_page_of_known_items(
    mock_http: tuple[HttpRetriever, list[str], dict[str, str]],
) -> None:
    http, asked, routes = mock_http
    articles, source = mock_site(routes, 4)
    html = default_profile().html
    # Known: everything but the newest article.
    memory = Memory(usual=11, since_full=0)
    cold = walk_all(source, http, html)
    memory.fingerprints = {
        item: fp for page in cold.pages for item, fp in page.items.items() if "-12/" not in item
    }
    asked.clear()

    run = crawl(source, http, lambda: html, memory, lambda _line: None, workers=2)

    assert run.full_walk is False
    listings = [u for u in asked if LISTING + "?" in u or u.endswith(LISTING)]
    assert listings == [ORIGIN + page_path(1), ORIGIN + page_path(2)]
    assert [d.locator for d in run.documents] == [ORIGIN + articles[0].path]
    # The pages not read are taken to show what they showed: 11 known, 1 new.
    assert run.items == 12
    # ...but never more than the pages read can hold.
    memory.usual = 12
    assert crawl(source, http, lambda: html, memory, lambda _line: None).items == 12
    assert run.requests == 3


def test_documents_are_handed_on_in_listing_order(
    mock_http: tuple[HttpRetriever, list[str], dict[str, str]],
) -> None:
    http, _asked, routes = mock_http
    articles, source = mock_site(routes, 2)
    handed: list[str] = []

    run = crawl(
        source,
        http,
        lambda: default_profile().html,
        Memory(),
        lambda _line: None,
        workers=4,
        consume=lambda document: handed.append(document.locator),
    )

    assert run.full_walk is True
    assert handed == [ORIGIN + a.path for a in articles]
    assert run.documents == []
    assert run.items == 6


def test_a_full_walk_is_due_every_n_runs() -> None:
    source = HtmlSourceConfig(name="news", type="html", url=ORIGIN + LISTING, full_walk_every=3)
    assert full_walk_due(source, Memory(since_full=None))
    assert not full_walk_due(source, Memory(since_full=0))
    assert not full_walk_due(source, Memory(since_full=1))
    assert full_walk_due(source, Memory(since_full=2))


def test_fingerprint_is_title_and_date() -> None:
    from feeds.parsing.html import ListingItem

    item = ListingItem(url="u", title="A  title", date=dt.date(2024, 2, 16), lead="x")
    assert fingerprint(item) == "A title|2024-02-16"


def test_an_unchanged_first_page_needs_no_rules_and_no_parser(
    mock_http: tuple[HttpRetriever, list[str], dict[str, str]],
) -> None:
    http, asked, routes = mock_http
    source = mock_site(routes, 3)[1]
    html = default_profile().html
    cold = walk_all(source, http, html)
    assert [bool(page.etag) for page in cold.pages] == [True, True, True]
    memory = Memory(
        fingerprints={item: fp for page in cold.pages for item, fp in page.items.items()},
        since_full=0,
        etags={page.url: page.etag for page in cold.pages if page.etag},
    )
    asked.clear()
    asked_for_rules: list[str] = []

    def rules() -> HtmlRules:
        asked_for_rules.append("rules")
        return html

    run = crawl(source, http, rules, memory, lambda _line: None)

    assert asked == [ORIGIN + page_path(1)]
    assert (run.requests, run.documents, run.pages, asked_for_rules) == (1, [], [], [])
