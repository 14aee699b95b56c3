"""The real output of a refresh on the sample dumps, served and opened in Chromium.

The server is bound first so its port can go into ``site.public_url``; the refresh then
writes self links and release-page links that point at that very server.  Every page is
opened in headless Chromium (Debian's ``chromium``) through Playwright.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from feeds.config import load_config
from feeds.publish.validate import check_document
from feeds.refresh import refresh
from tests.support.browser import (
    browser_fixture,  # noqa: F401  (the `browser` fixture)
    free_port,
    serving,
    watch_problems,
)
from tests.support.state import stored_entries

pytestmark = pytest.mark.slow

CLOCK = dt.datetime(2025, 1, 15, 9, 30, tzinfo=dt.UTC)
MEDIA_TYPES = {
    "atom.xml": "application/atom+xml",
    "rss.xml": "application/rss+xml",
    "feed.json": "application/feed+json",
}
SECTIONS = {"all": "All releases", "news": "CSTO news", "joint-staff": "Joint Staff"}
DISTINCT_RELEASES = 19
REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Served:
    public_url: str
    output: Path
    #: Release page path -> the title its h1 must show.
    titles: dict[str, str]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    from tests.conftest import BASE_CONFIG, SAMPLES

    root = tmp_path_factory.mktemp("project")
    (root / "dumps").mkdir()
    for dump in sorted(SAMPLES.glob("*.txt")):
        (root / "dumps" / dump.name).write_bytes(dump.read_bytes())
    output = root / "output"
    output.mkdir()
    port = free_port()
    public_url = f"http://127.0.0.1:{port}/"
    config_text = BASE_CONFIG.format(feed_size=5, lock_timeout=5).replace(
        "https://feeds.example.org/csto/", public_url
    )
    (root / "sources.yaml").write_text(config_text, encoding="utf-8")
    config = load_config(root / "sources.yaml")
    report = refresh(config, now=lambda: CLOCK)
    assert report.problems == []
    titles = {e.page_path: e.release.title for e in stored_entries(config)}
    with serving(output, port):
        yield Served(public_url, output, titles)


def check_alternates(page: Page, public_url: str, path: str) -> int:
    """Every autodiscovery link answers 200 with its announced type; feeds are clean."""
    alternates = page.eval_on_selector_all(
        'link[rel="alternate"]', "links => links.map(l => [l.href, l.type])"
    )
    for href, media_type in alternates:
        assert href.startswith(public_url), (path, href)
        fetched = page.request.get(href)
        assert fetched.status == 200, href
        assert fetched.headers["content-type"].split(";")[0] == media_type, href
        name = href.rsplit("/", 1)[-1]
        assert MEDIA_TYPES[name] == media_type, href
        assert check_document(fetched.body(), href) == [], href
    return len(alternates)


def test_every_page_loads_cleanly(served: Served, browser: Browser) -> None:
    pages = ["index.html", *(f"{s}/index.html" for s in SECTIONS), *sorted(served.titles)]
    assert len(served.titles) == DISTINCT_RELEASES
    context = browser.new_context()
    alternates = 0
    try:
        for path in pages:
            page = context.new_page()
            problems = watch_problems(page)
            response = page.goto(served.public_url + path, wait_until="load")
            assert response is not None and response.status == 200, path
            assert response.headers["content-type"] == "text/html; charset=utf-8", path
            alternates += check_alternates(page, served.public_url, path)
            h1 = page.inner_text("h1")
            if path == "index.html":
                assert h1 == "CSTO releases"
            elif path.endswith("/index.html"):
                assert h1 == SECTIONS[path.split("/")[0]]
            else:
                assert h1 == served.titles[path]
            assert problems == [], path
            page.close()
    finally:
        context.close()
    # The index announces all three sections, each other page its own section's three.
    assert alternates == 3 * 3 + 3 * 3 + DISTINCT_RELEASES * 3


def test_index_links_reach_every_section_page(served: Served, browser: Browser) -> None:
    page = browser.new_page()
    try:
        problems = watch_problems(page)
        page.goto(served.public_url + "index.html", wait_until="load")
        anchors = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
        local = sorted({a for a in anchors if a.startswith(served.public_url)})
        for href in local:
            assert page.request.get(href).status == 200, href
        for section in SECTIONS:
            assert f"{served.public_url}{section}/index.html" in local
        assert problems == []
    finally:
        page.close()


def test_screenshot_script_captures_the_real_index(served: Served, tmp_path: Path) -> None:
    # A process of its own: Playwright's sync API does not nest inside this module's.
    out = tmp_path / "index.png"
    command = [sys.executable, "-m", "scripts.screenshot", str(served.output)]
    command += ["--out", str(out), "--width", "900"]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{out}\n"
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(data[16:20], "big") == 900
    # A full-page capture of an index with three sections is taller than one screen.
    assert int.from_bytes(data[20:24], "big") > 800
