"""Headless Chromium (Debian's package) driven by Playwright, and a loopback
`feeds serve` to point it at: shared by the browser tests."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from feeds.serve import ServeSettings, make_server
from scripts.screenshot import CHROMIUM, CHROMIUM_ARGS  # the same browser and switches


@pytest.fixture(scope="module", name="browser")
def browser_fixture() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


def watch_problems(page: Page) -> list[str]:
    """A list that fills with the page's console errors, page errors, failed requests and
    error statuses from now on."""
    problems: list[str] = []
    page.on(
        "console",
        lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url} {r.failure}"))
    page.on(
        "response",
        lambda r: problems.append(f"status {r.status}: {r.url}") if r.status >= 400 else None,
    )
    return problems


@contextmanager
def serving(root: Path, port: int = 0) -> Iterator[int]:
    """`feeds serve` over ``root`` on 127.0.0.1 in a thread; yields the port."""
    server = make_server(ServeSettings(root=root, port=port))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def free_port() -> int:
    """A loopback port free right now (for a config that must name it before serving)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
