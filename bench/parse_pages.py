"""CPU time of reading one page: listing and article pages of the fixture site.

    python -m bench.parse_pages [--articles 80] [--repeat 5]

Renders the fixture site's pages once (:mod:`bench.site`), then times
``parse_listing`` on every listing page and ``parse_article`` on every article page
with the packaged profile, and prints the median CPU milliseconds per page of each
kind (the best of ``--repeat`` passes).  Nothing is served and nothing is fetched.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.site import PAGE_PARAM, SECTION, FixtureSite
from feeds.parsing.html import parse_article, parse_listing
from feeds.profile import default_profile

BASE = "http://127.0.0.1:8000"


def _per_page(pages: list[tuple[str, str]], parse: Callable[[str, str], object]) -> float:
    """Median CPU milliseconds of one call of ``parse`` over ``pages``."""
    times: list[float] = []
    for url, html in pages:
        started = time.process_time()
        parse(html, url)
        times.append(time.process_time() - started)
    return 1000 * statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=80)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    site = FixtureSite(args.articles)
    rules = default_profile().html

    def body(path: str) -> str:
        page = site.page(path)
        assert page is not None
        return page.body.decode("utf-8")

    listings = [
        (BASE + path, body(path))
        for path in (
            SECTION + (f"?{PAGE_PARAM}={n}" if n > 1 else "") for n in range(1, site.pages + 1)
        )
    ]
    articles = [(BASE + a.path, body(a.path)) for a in site.articles]
    kinds: dict[str, tuple[list[tuple[str, str]], Callable[[str, str], object]]] = {
        "listing": (listings, lambda html, url: parse_listing(html, url=url, rules=rules)),
        "article": (articles, lambda html, url: parse_article(html, url=url, rules=rules)),
    }
    for kind, (pages, parse) in kinds.items():
        best = min(_per_page(pages, parse) for _ in range(args.repeat))
        print(f"{kind}: {best:.3f} ms CPU per page (median of {len(pages)} pages)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
