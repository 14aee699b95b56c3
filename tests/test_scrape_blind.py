"""Scraping sites the extractors were not written against.

Each folder of ``tests/data/sites_blind/`` is a small site in its own markup (a Bitrix
variant with other class names, a semantic HTML5 site, an old table layout, a Russian
windows-1251 site).  Its ``routes.yaml`` maps server paths to files and its
``expected.yaml`` lists every article of the listing's two pages with its exact title
and date, and the links outside the listing proper that must not become entries.
The site is served on 127.0.0.1 and read by ``feeds refresh`` as cron would run it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from feeds.parsing.html import parse_article, parse_listing
from feeds.profile import default_profile
from tests.support.livesite import html_source, read_feed, refresh, write_config
from tests.support.site_server import SiteServer

SITES = Path(__file__).resolve().parent / "data" / "sites_blind"
SITE_NAMES = sorted(path.name for path in SITES.iterdir() if (path / "expected.yaml").is_file())


@dataclass(frozen=True)
class Expected:
    content_type: str
    #: url path -> (title, date)
    articles: dict[str, tuple[str, dt.date]]
    #: url path -> image paths the entry's content must link absolutely
    images: dict[str, list[str]]
    #: url path -> the summary the entry must carry
    leads: dict[str, str]
    not_articles: list[str]


def load_expected(site: str) -> Expected:
    data: dict[str, Any] = yaml.safe_load((SITES / site / "expected.yaml").read_text("utf-8"))
    return Expected(
        content_type=data.get("content_type", "text/html; charset=utf-8"),
        articles={a["url"]: (a["title"], a["date"]) for a in data["articles"]},
        images={a["url"]: a["images"] for a in data["articles"] if "images" in a},
        leads={a["url"]: a["lead"] for a in data["articles"] if "lead" in a},
        not_articles=list(data.get("not_articles", [])),
    )


def serve_site(server: SiteServer, site: str, content_type: str) -> None:
    routes: dict[str, str] = yaml.safe_load((SITES / site / "routes.yaml").read_text("utf-8"))
    for path, name in routes.items():
        server.add(path, (SITES / site / name).read_bytes(), content_type=content_type)


@dataclass(frozen=True)
class Scraped:
    server: SiteServer
    expected: Expected
    #: entry link -> the feedparser entry
    entries: dict[str, Any]
    code: int


@pytest.fixture(params=SITE_NAMES)
def scraped(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Scraped]:
    site: str = request.param
    expected = load_expected(site)
    with SiteServer() as server:
        serve_site(server, site, expected.content_type)
        config = write_config(tmp_path, server, sources=[html_source(server, pages=2)])
        code = refresh(config)
        entries = {entry.link: entry for entry in read_feed(config).entries}
        yield Scraped(server, expected, entries, code)


def noon_in_moscow(day: dt.date) -> str:
    return f"{day.isoformat()}T12:00:00+03:00"


def test_refresh_reads_every_page_without_a_problem(scraped: Scraped) -> None:
    assert scraped.code == 0
    assert scraped.server.count("/news/news_odkb/?PAGEN_1=2") == 1


def test_the_feed_holds_exactly_the_listed_articles_with_exact_titles(scraped: Scraped) -> None:
    got = {link: entry.title for link, entry in scraped.entries.items()}
    want = {
        scraped.server.url(path): title for path, (title, _) in scraped.expected.articles.items()
    }
    assert got == want


def test_every_article_is_published_at_noon_of_its_own_date(scraped: Scraped) -> None:
    got = {link: entry.published for link, entry in scraped.entries.items()}
    want = {
        scraped.server.url(path): noon_in_moscow(day)
        for path, (_, day) in scraped.expected.articles.items()
    }
    assert got == want


def test_no_sidebar_or_menu_link_becomes_an_entry(scraped: Scraped) -> None:
    taken = [
        path
        for path in scraped.expected.not_articles
        if scraped.server.url(path) in scraped.entries
    ]
    assert taken == []
    # Nor was any of them fetched: the listing never offered them as articles.
    assert [path for path in scraped.expected.not_articles if scraped.server.count(path)] == []


def test_images_are_linked_with_absolute_urls(scraped: Scraped) -> None:
    for path, images in scraped.expected.images.items():
        content = scraped.entries[scraped.server.url(path)].content[0].value
        for image in images:
            assert f'src="{scraped.server.url(image)}"' in content, (path, image)


def test_summaries_are_the_first_paragraph_of_text(scraped: Scraped) -> None:
    assert scraped.expected.leads
    got = {
        path: scraped.entries[scraped.server.url(path)].summary for path in scraped.expected.leads
    }
    assert got == scraped.expected.leads


# --- the general rules behind the sites above, on pages small enough to read ---

RULES = default_profile().html
BASE = "http://127.0.0.1:8000/news/news_odkb/"


def test_an_undated_listing_keeps_its_items_and_drops_a_dated_sidebar() -> None:
    # The CSTO listing may show no dates at all; a "popular" block beside it does.
    rows = "".join(
        f'<li><a href="item-{n}/">Release number {n} of the section</a>'
        f"<p>The lead of release {n}, long enough to be a lead.</p></li>"
        for n in (1, 2, 3)
    )
    page = (
        f'<html><body><ul class="list">{rows}</ul><div class="side">'
        '<div><a href="popular-1/">A popular release</a> <span>01.03.2025</span></div>'
        '<div><a href="popular-2/">Another popular one</a> <span>27.02.2025</span></div>'
        "</div></body></html>"
    )
    listing = parse_listing(page, url=BASE, rules=RULES)
    assert [(i.url, i.date) for i in listing.items] == [
        (f"{BASE}item-{n}/", None) for n in (1, 2, 3)
    ]


def test_a_date_printed_inside_the_link_is_not_part_of_the_title() -> None:
    page = (
        '<html><body><div class="list">'
        f'<div><a href="{BASE}one/">16.02.2024<br>First release title</a></div>'
        f'<div><a href="{BASE}two/"><i>15 February 2024</i> Second release title</a></div>'
        "</div></body></html>"
    )
    items = parse_listing(page, url=BASE, rules=RULES).items
    assert [(i.title, i.date) for i in items] == [
        ("First release title", dt.date(2024, 2, 16)),
        ("Second release title", dt.date(2024, 2, 15)),
    ]


def test_a_utc_timestamp_is_dated_in_the_site_zone() -> None:
    page = (
        "<html><body><main><article><h1>A late evening release in Vienna</h1>"
        '<time datetime="2025-01-17T22:15:00Z"></time>'
        "<p>The text of the release, long enough to be the body of it.</p>"
        "</article></main></body></html>"
    )
    article = parse_article(page, url=BASE + "late/", rules=RULES).article
    assert article is not None
    assert article.date == dt.date(2025, 1, 18)
