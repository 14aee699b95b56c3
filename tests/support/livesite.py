"""The live fixture site of this folder, served by the loopback test server, and
the temporary projects that read it.

Tests import it as ``tests.support.livesite``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import feedparser
import yaml

from feeds.cli import main
from tests.support.site_server import SiteServer

LIVE = Path(__file__).resolve().parent.parent / "data" / "live"
SITE = LIVE / "site"
LISTING = "/news/news_odkb/"
HTML_UTF8 = "text/html; charset=utf-8"

#: The http block every test starts from: no pause between requests, loopback allowed.
HTTP: dict[str, Any] = {
    "min_delay": 0,
    "allow_private_addresses": True,
    "retries": 2,
    "timeout": 2,
}


def serve(server: SiteServer) -> None:
    """Put every page of ``site/routes.yaml`` on ``server``."""
    for route in yaml.safe_load((SITE / "routes.yaml").read_text(encoding="utf-8")):
        server.add(
            route["path"],
            (SITE / route["file"]).read_bytes(),
            content_type=route.get("content_type", HTML_UTF8),
        )


def page(name: str) -> bytes:
    return (SITE / name).read_bytes()


def html_source(server: SiteServer, name: str = "site-news", pages: int = 3) -> dict[str, Any]:
    return {"name": name, "type": "html", "url": server.url(LISTING), "pages": pages}


def write_config(
    folder: Path,
    server: SiteServer,
    *,
    sources: list[dict[str, Any]] | None = None,
    http: dict[str, Any] | None = None,
    sections: list[dict[str, Any]] | None = None,
) -> Path:
    """A project in ``folder`` whose html source reads the loopback copy of the site.

    The site stays https://en.odkb-csto.org/; the ``news`` section is given the
    loopback listing URL, since loopback URLs keep their host when canonicalised."""
    config = {
        "site": {
            "title": "CSTO releases",
            "url": "https://en.odkb-csto.org/",
            "public_url": "https://feeds.example.org/csto/",
            "timezone": "Europe/Moscow",
        },
        "output": "output",
        "state": "state/feeds.sqlite",
        "http": {**HTTP, **(http or {})},
        "sections": [
            {"id": "news", "title": "CSTO news", "default": True, "url": server.url(LISTING)},
            *(sections or []),
        ],
        "sources": sources if sources is not None else [html_source(server)],
    }
    path = folder / "sources.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def refresh(config: Path, *args: str) -> int:
    """``feeds refresh --quiet`` as cron runs it."""
    return main(["refresh", "-c", str(config), "--quiet", *args])


def read_feed(config: Path, section: str = "all", name: str = "atom.xml") -> Any:
    parsed = feedparser.parse((config.parent / "output" / section / name).read_bytes())
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return parsed


def titles(config: Path, section: str = "all") -> list[str]:
    return sorted(entry.title for entry in read_feed(config, section).entries)


def snapshot(output: Path) -> dict[str, tuple[bytes, int]]:
    """Every output file with its bytes and mtime (ns): what "unchanged" means."""
    return {
        str(path.relative_to(output)): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(output.rglob("*"))
        if path.is_file()
    }


def status(config: Path) -> dict[str, Any]:
    import json

    data: dict[str, Any] = json.loads(
        (config.parent / "output" / "status.json").read_text(encoding="utf-8")
    )
    return data
