"""A fixture copy of the site's news section, served on 127.0.0.1.

N invented articles (:mod:`bench.text`), newest first, ``per_page`` to a listing page:
page 1 is ``/news/news_odkb/``, page N is ``/news/news_odkb/?PAGEN_1=N``, as on the
site's CMS (a page past the last one shows the last one again).  The markup follows
the selectors of ``feeds/profiles/csto/html.yaml`` (a ``news.list`` listing, a
``news.detail`` article with a sidebar, a signature paragraph and back links).

Every page has a strong ETag (a hash of its bytes) and a Last-Modified date that moves
when its bytes change; ``If-None-Match`` / ``If-Modified-Since`` get a 304.  Requests
are counted by kind (listing, article, robots, other) and by status.  ``add_article``
puts one new article on top (it shifts every listing page, as on the site);
``latency`` delays every response.

Pages are rendered once per content version and kept, so the server answers from
memory and is not what a crawl of it measures.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import html
import math
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bench.text import Release, Writer, release_dates

SECTION = "/news/news_odkb/"
PAGE_PARAM = "PAGEN_1"
FIRST_DAY = dt.date(2016, 1, 1)
LAST_DAY = dt.date(2026, 2, 16)
SYLLABLES = (
    "ge",
    "ne",
    "ral",
    "nyy",
    "sek",
    "re",
    "tar",
    "odkb",
    "vstre",
    "cha",
    "sov",
    "et",
    "zase",
    "da",
    "nie",
    "uche",
    "nie",
    "kol",
    "lek",
    "tiv",
    "nykh",
    "sil",
    "mi",
    "nis",
    "trov",
    "shtab",
    "trenir",
    "ovka",
    "bez",
    "opas",
    "nost",
    "kon",
    "sul",
    "tatsii",
)


@dataclass(frozen=True)
class Article:
    release: Release
    slug: str
    image: bool

    @property
    def path(self) -> str:
        return f"{SECTION}{self.slug}/"


@dataclass(frozen=True)
class Page:
    body: bytes
    etag: str
    last_modified: str
    kind: str


def _slug(rng: random.Random, taken: set[str]) -> str:
    """A transliteration-like slug; a taken one gets a ``1`` or ``-1`` as on the site."""
    slug = "-".join(
        "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        for _ in range(rng.randint(3, 7))
    )[:100]
    while slug in taken:
        slug += "-1" if rng.random() < 0.5 else "1"
    taken.add(slug)
    return slug


class FixtureSite:
    """The articles and their pages; thread-safe."""

    def __init__(self, articles: int, per_page: int = 8, seed: int = 77) -> None:
        self.per_page = per_page
        self.seed = seed
        self._writer = Writer(seed)
        self._rng = random.Random(seed + 1)
        self._slugs: set[str] = set()
        self._by_slug: dict[str, int] = {}
        self._lock = threading.Lock()
        dates = release_dates(articles, seed + 2, FIRST_DAY, LAST_DAY)
        #: Oldest first; article k's sidebar shows articles k-1, k-2, k-3 (older
        #: ones), so adding an article changes listing pages only.
        self.articles: list[Article] = [self._article(i, day) for i, day in enumerate(dates)]
        self._pages: dict[str, Page] = {}
        #: path -> (etag, last-modified seconds) of the last bytes served there.
        self._stamps: dict[str, tuple[str, int]] = {}

    def _article(self, number: int, day: dt.date) -> Article:
        release = self._writer.release(number, day)
        article = Article(release, _slug(self._rng, self._slugs), self._rng.random() < 0.3)
        self._by_slug[article.slug] = number
        return article

    @property
    def pages(self) -> int:
        return max(1, math.ceil(len(self.articles) / self.per_page))

    def add_article(self) -> Article:
        """One new article, dated a day after the newest, on top of page 1."""
        with self._lock:
            day = self.articles[-1].release.date + dt.timedelta(days=1)
            article = self._article(len(self.articles), day)
            self.articles.append(article)
            self._pages = {k: v for k, v in self._pages.items() if v.kind != "listing"}
            return article

    def listing_url(self, base: str, number: int) -> str:
        return f"{base}{SECTION}" + (f"?{PAGE_PARAM}={number}" if number > 1 else "")

    # -- pages ---------------------------------------------------------------

    def page(self, target: str) -> Page | None:
        with self._lock:
            page = self._pages.get(target)
            if page is None:
                rendered = self._render(target)
                if rendered is None:
                    return None
                body, kind = rendered
                page = self._stamp(target, body, kind)
                self._pages[target] = page
            return page

    def _stamp(self, target: str, body: bytes, kind: str) -> Page:
        etag = '"' + hashlib.sha256(body).hexdigest()[:24] + '"'
        previous = self._stamps.get(target)
        if previous is not None and previous[0] == etag:
            seconds = previous[1]
        else:
            # Strictly later than the last change, so a client that dates its copy
            # by the second (If-Modified-Since) still sees a change made within it.
            seconds = max(int(time.time()), previous[1] + 1 if previous else 0)
        self._stamps[target] = (etag, seconds)
        return Page(body, etag, email.utils.formatdate(seconds, usegmt=True), kind)

    def _render(self, target: str) -> tuple[bytes, str] | None:
        parts = urlsplit(target)
        if parts.path == "/robots.txt":
            return b"User-agent: *\nDisallow: /search/\n", "robots"
        if parts.path == SECTION:
            query = parse_qs(parts.query)
            try:
                number = int(query.get(PAGE_PARAM, ["1"])[0])
            except ValueError:
                return None
            return self._listing(max(1, number)).encode(), "listing"
        if parts.path.startswith(SECTION) and not parts.query:
            index = self._by_slug.get(parts.path[len(SECTION) :].strip("/"))
            if index is not None:
                return self._article_page(index).encode(), "article"
        return None

    def _listing(self, number: int) -> str:
        # The CMS shows the last page again past the end.
        number = min(number, self.pages)
        newest_first = self.articles[::-1]
        chunk = newest_first[(number - 1) * self.per_page : number * self.per_page]
        items = "\n".join(
            f"""    <div class="news-item" id="bx_{a.release.number:07d}">
      <div class="news-item__date news-date-time">{a.release.date:%d.%m.%Y}</div>
      <a href="{a.path}"><span class="news-item__title">{html.escape(a.release.title)}</span></a>
      <div class="news-item__preview">{html.escape(a.release.lead)}</div>
    </div>"""
            for a in chunk
        )
        links = []
        for n in range(max(1, number - 2), min(self.pages, number + 2) + 1):
            if n == number:
                links.append(f'<span class="modern-page-current">{n}</span>')
            else:
                links.append(f'<a href="{self.listing_url("", n)}">{n}</a>')
        if number < self.pages:
            links.append(
                f'<a class="modern-page-next" href="{self.listing_url("", number + 1)}">Next</a>'
            )
        return _frame(
            "CSTO news",
            f"""<main class="content">
  <h1 class="page-title">CSTO news</h1>
  <div class="news-list">
{items}
  </div>
  <div class="modern-page-navigation">{" ".join(links)}</div>
</main>""",
        )

    def _article_page(self, index: int) -> str:
        article = self.articles[index]
        release = article.release
        sidebar = "\n".join(
            f"""    <div class="sidebar-news__item">
      <span class="news-date-time">{other.release.date:%d.%m.%Y}</span>
      <p>{html.escape(other.release.lead)}</p>
    </div>"""
            for other in self.articles[max(0, index - 3) : index][::-1]
        )
        image = (
            f'  <img class="detail-picture" src="/upload/iblock/{index % 997:03d}/'
            f'IMG_{index:05d}.JPG" alt="">\n'
            if article.image
            else ""
        )
        paragraphs = "\n".join(f"    <p>{html.escape(p)}</p>" for p in release.paragraphs)
        return _frame(
            release.title,
            f"""<div class="layout">
<aside class="sidebar">
  <div class="sidebar-news">
{sidebar}
  </div>
</aside>
<main class="content">
<div class="news-detail">
  <h1>{html.escape(release.title)}</h1>
  <span class="news-date-time">{release.date:%d.%m.%Y}</span>
{image}  <div class="news-detail__text">
{paragraphs}
    <p>The CSTO Press Secretary Vladimir Zaynetdinov</p>
  </div>
  <div class="news-detail__back">
    <p><a href="javascript:history.back()">Go back</a></p>
    <p><a href="{SECTION}">Back to the section</a></p>
    <p><a href="/news/">Back to the all news</a></p>
  </div>
</div>
</main>
</div>""",
        )


def _frame(title: str, content: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{html.escape(title)} | CSTO</title>
</head>
<body>
<header class="site-header">
  <a class="logo" href="/">CSTO</a>
  <nav class="main-menu">
    <a href="{SECTION}">CSTO news</a> <a href="/news/speech/">Speeches</a>
  </nav>
</header>
{content}
<footer class="site-footer"><a href="/contacts/">Contacts</a></footer>
</body>
</html>
"""


def not_modified(page: Page, headers: dict[str, str]) -> bool:
    """RFC 9110's order: If-None-Match, when sent, decides alone."""
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or page.etag in tags
    since = headers.get("if-modified-since")
    if since is None:
        return False
    try:
        return email.utils.parsedate_to_datetime(
            page.last_modified
        ) <= email.utils.parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False


class SiteServer:
    """Serves a :class:`FixtureSite` on 127.0.0.1 from a thread; a context manager."""

    def __init__(self, site: FixtureSite, latency: float = 0.0) -> None:
        self.site = site
        self.latency = latency
        self.port = 0
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> SiteServer:
        self._httpd = _Server(("127.0.0.1", 0), _Handler, self)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def listing_url(self) -> str:
        return self.base_url + SECTION

    def counts(self) -> Counter[str]:
        """Requests so far, keyed ``kind`` and ``kind 200`` / ``kind 304`` / ``kind 404``."""
        with self._lock:
            return Counter(self._counts)

    def reset_counts(self) -> None:
        with self._lock:
            self._counts.clear()

    def _count(self, kind: str, status: int) -> None:
        with self._lock:
            self._counts[kind] += 1
            self._counts[f"{kind} {status}"] += 1


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Crawlers open several connections at once; the default backlog of 5 refuses some.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], handler: Any, owner: SiteServer) -> None:
        self.owner = owner
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client hanging up mid-answer is not the server's failure


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in one write with Nagle off: otherwise each keep-alive
    # response waits out the client's delayed ACK (40 ms) and the server, not the
    # crawler, sets the pace.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        owner = self.server.owner
        if owner.latency:
            time.sleep(owner.latency)
        page = owner.site.page(self.path)
        if page is None:
            owner._count("other", 404)
            self._reply(404, {"Content-Type": "text/plain"}, b"not found\n")
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        validators = {"ETag": page.etag, "Last-Modified": page.last_modified}
        if not_modified(page, headers):
            owner._count(page.kind, 304)
            self._reply(304, validators, b"")
            return
        owner._count(page.kind, 200)
        kind = "text/plain" if page.kind == "robots" else "text/html; charset=utf-8"
        self._reply(200, {"Content-Type": kind, **validators}, page.body)

    def _reply(self, status: int, headers: dict[str, str], body: bytes) -> None:
        lines = [
            f"HTTP/1.1 {status} {self.responses[status][0]}",
            f"Date: {self.date_time_string()}",
            *(f"{name}: {value}" for name, value in headers.items()),
        ]
        if status != 304:
            lines.append(f"Content-Length: {len(body)}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.wfile.write(head if self.command == "HEAD" or status == 304 else head + body)
