"""The published pages as a person's browser sees them.

The index, the section pages and the release pages are written to a temporary output
folder, served by ``feeds serve``'s server on 127.0.0.1, and opened in headless Chromium
(Debian's ``chromium`` package) through Playwright.
"""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page

from feeds.config import load_config
from feeds.model import Asset, DateOrigin, Entry, Release, ReleaseKind, Section, Site
from feeds.publish.opml import render_opml
from feeds.publish.pages import render_index, render_release_page, render_section_page
from feeds.refresh import refresh
from tests.support.browser import (
    browser_fixture,  # noqa: F401  (the `browser` fixture)
    serving,
    watch_problems,
)

pytestmark = pytest.mark.slow

MSK = ZoneInfo("Europe/Moscow")

NEWS = Section(id="news", title="CSTO news", description="Meetings, councils and exercises.")
ALL = Section(id="all", title="All releases")

# Stand-ins for the Atom, RSS and JSON writers' output: only fetched, never parsed here.
PLACEHOLDER_FEEDS = {
    "atom.xml": b'<?xml version="1.0" encoding="utf-8"?>\n'
    b'<feed xmlns="http://www.w3.org/2005/Atom"/>\n',
    "rss.xml": b'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel/></rss>\n',
    "feed.json": b'{"version": "https://jsonfeed.org/version/1.1", "items": []}\n',
}


def tiny_png() -> bytes:
    """A 2x2 grey PNG, enough for the browser to decode a real image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 2, 2, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x80\x80" * 2)
    chunks = chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


def make_entries(public_url: str) -> list[Entry]:
    def entry(key: str, release: Release, published: dt.datetime, slug: str) -> Entry:
        return Entry(
            id=f"tag:feeds,2024-05-20:release/{key}",
            release=release,
            section="news",
            published=published,
            updated=published + dt.timedelta(days=1),
            first_seen=published,
            page_path=f"releases/{published:%Y/%m}/{slug}.html",
        )

    lead = "A meeting of the Permanent Council of the CSTO was held in Moscow."
    return [
        entry(
            "1a2b",
            Release(
                kind=ReleaseKind.FULL,
                title="Permanent Council: Q&A <session> on the Black Sea",
                date=dt.date(2018, 11, 27),
                date_origin=DateOrigin.HEADER,
                lead=lead,
                body_html=f"<p>{lead}</p>",
                images=(Asset("ZVF_2142.JPG"), Asset("hall.png", public_url + "media/hall.png")),
                attachments=(Asset("Annex 2.pdf"),),
                language="en",
            ),
            dt.datetime(2018, 11, 27, tzinfo=MSK),
            "permanent-council-1a2b",
        ),
        entry(
            "9a0b",
            Release(
                kind=ReleaseKind.FULL,
                title="Генеральный секретарь ОДКБ провёл встречу",
                date=dt.date(2025, 5, 28),
                date_origin=DateOrigin.HEADER,
                lead="28 мая 2025 года в г. Бишкеке состоялась встреча.",
                body_html="<p>28 мая 2025 года в г. Бишкеке состоялась встреча.</p>",
                language="ru",
            ),
            dt.datetime(2025, 5, 28, tzinfo=MSK),
            "generalnyy-sekretar-9a0b",
        ),
        entry(
            "7e8f",
            Release(
                kind=ReleaseKind.BRIEF,
                title="The CSTO Secretary General met the Ambassador of Belarus",
                title_derived=True,
                lead="The CSTO Secretary General met the Ambassador of Belarus. They met in May.",
                language="en",
            ),
            dt.datetime(2024, 7, 3, 8, 15, tzinfo=dt.UTC),
            "the-csto-secretary-general-7e8f",
        ),
    ]


def write_output(root: Path, site: Site) -> tuple[list[str], dict[str, str]]:
    """Write the pages; return the page paths and the h1 each release page must show."""
    entries = make_entries(site.public_url)
    pages: dict[str, bytes] = {
        "index.html": render_index([(ALL, entries), (NEWS, entries)], site=site),
        "feeds.opml": render_opml([ALL, NEWS], site=site),
        "media/hall.png": tiny_png(),
    }
    for section in (ALL, NEWS):
        pages[f"{section.id}/index.html"] = render_section_page(section, entries, site=site)
        for name, body in PLACEHOLDER_FEEDS.items():
            pages[f"{section.id}/{name}"] = body
    titles = {}
    for entry in entries:
        pages[entry.page_path] = render_release_page(entry, site=site, section=NEWS)
        titles[entry.page_path] = entry.release.title
    for path, body in pages.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
    html_pages = ["index.html", "all/index.html", "news/index.html", *titles]
    return html_pages, titles


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, Path]]:
    root = tmp_path_factory.mktemp("output")
    with serving(root) as port:
        yield (
            Site(
                title="CSTO releases",
                url="https://en.odkb-csto.org/",
                public_url=f"http://127.0.0.1:{port}/",
            ),
            root,
        )


def open_page(page: Page, url: str) -> list[str]:
    """Load ``url``; return every console error, page error and failed request seen."""
    problems = watch_problems(page)
    response = page.goto(url, wait_until="load")
    assert response is not None and response.status == 200, url
    return problems


def test_pages_load_cleanly_in_chromium(served: tuple[Site, Path], browser: Browser) -> None:
    site, root = served
    html_pages, titles = write_output(root, site)
    # A phone-sized window: a page that overflows sideways is not readable on mobile.
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        checked_feeds = 0
        for path in html_pages:
            page = context.new_page()
            problems = open_page(page, site.public_url + path)

            alternates = page.eval_on_selector_all(
                'link[rel="alternate"]', "links => links.map(l => [l.href, l.type])"
            )
            assert len(alternates) == (6 if path == "index.html" else 3), path
            for href, media_type in alternates:
                fetched = page.request.get(href)
                assert fetched.status == 200, href
                assert fetched.headers["content-type"].split(";")[0] == media_type, href
                checked_feeds += 1

            # Every link into the output resolves too (the OPML list included).
            anchors = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
            for href in anchors:
                if href.startswith(site.public_url):
                    assert page.request.get(href).status == 200, f"{path}: {href}"

            if path in titles:
                assert page.inner_text("h1") == titles[path]
                assert page.title().startswith(titles[path])
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"{path} is {width}px wide"
            assert problems == [], path
            page.close()
        assert checked_feeds == 6 + 3 * 2 + 3 * 3
    finally:
        context.close()


def test_release_page_shows_its_image_and_language(
    served: tuple[Site, Path], browser: Browser
) -> None:
    site, root = served
    write_output(root, site)
    page = browser.new_page()
    try:
        problems = open_page(page, site.public_url + "releases/2018/11/permanent-council-1a2b.html")
        assert page.eval_on_selector("figure img", "img => img.naturalWidth") == 2
        assert page.inner_text("h1") == "Permanent Council: Q&A <session> on the Black Sea"
        article = page.inner_text("article")
        assert "Images: " not in article and "Attachments: " not in article
        assert (
            "Images and attachments (file names only; the files are on the original page): "
            "ZVF_2142.JPG, Annex 2.pdf"
        ) in article
        assert problems == []

        russian = "releases/2025/05/generalnyy-sekretar-9a0b.html"
        problems = open_page(page, site.public_url + russian)
        assert page.get_attribute("html", "lang") == "ru"
        assert page.inner_text("p.meta") == "28 мая 2025 г. · CSTO news"
        assert page.inner_text("h1") == "Генеральный секретарь ОДКБ провёл встречу"
        assert problems == []
    finally:
        page.close()


def test_published_folder_browses_from_disk(
    make_project: Callable[..., Path], browser: Browser
) -> None:
    """The real output of the sample dumps, opened as files: every page reachable from the
    index by clicking, every link between pages stays inside the folder, and the section
    pages lead to every release through their older pages."""
    config = make_project(feed_size=3)
    report = refresh(
        load_config(config), now=lambda: dt.datetime(2025, 1, 15, 9, 30, tzinfo=dt.UTC)
    )
    assert report.problems == []
    output = (config.parent / "output").resolve()
    folder = output.as_uri() + "/"
    start = folder + "index.html"
    page = browser.new_page()
    seen: set[str] = set()
    queue = [start]
    try:
        while queue:
            url = queue.pop()
            if url in seen:
                continue
            seen.add(url)
            problems = watch_problems(page)
            page.goto(url, wait_until="load")
            assert page.title(), url
            hrefs = page.eval_on_selector_all(
                "a[href], link[href]:not([rel=icon])", "items => items.map(a => a.href)"
            )
            for href in hrefs:
                target = href.split("#")[0]
                if target.startswith("file:"):
                    assert target.startswith(folder), f"{url} leaves the folder: {href}"
                    assert Path(unquote(urlsplit(target).path)).is_file(), f"{url}: {href}"
                    if target.endswith(".html"):
                        queue.append(target)
                else:
                    # Only the original site and addresses the releases themselves carry.
                    assert "feeds.example.org" not in target, f"{url}: {href}"
            assert problems == [], url
    finally:
        page.close()
    reached = {unquote(urlsplit(u).path) for u in seen}
    every_page = {str(p) for p in output.rglob("*.html")}
    assert reached == every_page
    assert len([p for p in every_page if "/releases/" in p]) == 19
