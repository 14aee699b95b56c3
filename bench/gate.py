"""How long the publishing gate takes on one 50-entry Atom document.

    .venv/bin/python bench/gate.py [--entries 50] [--runs 200]

The gate runs on every feed document a publish writes, so it has to stay cheap: a few
milliseconds per document.  The same rules with warnings (what the tests run) are timed
beside it.  The document is rendered from made-up releases with paragraphs, an image and
links, like the site's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from collections.abc import Callable

from feeds.model import Asset, DateOrigin, Entry, Release, ReleaseKind, Section, Site
from feeds.publish.syndication import FeedDocument, render_atom
from feeds.publish.validate import check_atom, check_document

PUBLIC = "https://feeds.example.org/csto/"
SITE = Site(title="CSTO releases", url="https://en.odkb-csto.org/", public_url=PUBLIC)
SECTION = Section(id="news", title="CSTO news", description="Meetings and exercises.")
PARAGRAPH = (
    "On {day} the Permanent Council of the Collective Security Treaty Organization met in "
    "Moscow to discuss joint exercises, the crisis response system and the budget. "
)


def document(entries: int) -> bytes:
    seen = dt.datetime(2025, 6, 1, 7, 0, tzinfo=dt.UTC)
    items = []
    for number in range(entries):
        day = dt.date(2025, 5, 1) - dt.timedelta(days=number)
        body = "".join(f"<p>{PARAGRAPH.format(day=day) * 3}</p>" for _ in range(4))
        body += f'<p><a href="https://en.odkb-csto.org/news/{number}/">More</a></p>'
        release = Release(
            kind=ReleaseKind.FULL,
            title=f"Permanent Council meeting number {number}",
            date=day,
            date_origin=DateOrigin.HEADER,
            lead=PARAGRAPH.format(day=day),
            body_html=body,
            images=(Asset(f"photo_{number}.jpg"),),
            language="en",
            url=f"https://en.odkb-csto.org/news/{number}/",
        )
        items.append(
            Entry(
                id=f"tag:feeds,2025-06-01:release/r{number}",
                release=release,
                section=SECTION.id,
                published=dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC),
                updated=seen + dt.timedelta(seconds=number),
                first_seen=seen,
                page_path=f"releases/{day:%Y/%m}/r{number}.html",
            )
        )
    doc = FeedDocument(
        section=SECTION,
        entries=items,
        self_url=f"{PUBLIC}news/atom.xml",
        html_url=f"{PUBLIC}news/index.html",
    )
    return render_atom(SITE, doc)


def per_call(check: Callable[[], object], runs: int) -> float:
    """Milliseconds per call, the best of three rounds of ``runs`` calls."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(runs):
            check()
        best = min(best, (time.perf_counter() - start) / runs)
    return best * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=50)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    body = document(args.entries)
    url = f"{PUBLIC}news/atom.xml"
    assert check_document(body, url) == []
    gate = per_call(lambda: check_atom("news/atom.xml", body, self_url=url), args.runs)
    every = per_call(lambda: check_document(body, url), args.runs)
    print(f"{args.entries} entries, {len(body):,} bytes: gate (errors only) {gate:.2f} ms")
    print(f"every rule, warnings included (the tests' check): {every:.2f} ms")


if __name__ == "__main__":
    main()
