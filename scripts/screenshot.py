"""Take a screenshot of the published site index with headless Chromium.

    python -m scripts.screenshot                 # index made from built-in sample releases
    python -m scripts.screenshot output/         # index of an existing output folder
    python -m scripts.screenshot --out shot.png --width 1200

The folder is served on 127.0.0.1 by the same server as ``feeds serve``, and the page
is captured whole at the given width (default: docs/screenshot-index.png, 1200 px).
Needs Debian's ``chromium`` package and the ``playwright`` Python package.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import threading
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import sync_playwright

from feeds.model import DateOrigin, Entry, Release, ReleaseKind, Section, Site
from feeds.publish.opml import render_opml
from feeds.publish.pages import render_index, render_release_page, render_section_page
from feeds.serve import ServeSettings, make_server

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking switches Chromium keeps trying to reach Google's
# hosts, which a closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshot-index.png"
MSK = ZoneInfo("Europe/Moscow")
SITE_URL = "https://en.odkb-csto.org/"

# (key, section, date, title, lead, canonical URL or "")
SAMPLES = [
    (
        "a1",
        "news",
        dt.date(2023, 11, 23),
        "Meeting of the CSTO Collective Security Council begins",
        "A meeting of the heads of the Collective Security Treaty Organization member states "
        "under the chairmanship of the President of the Republic of Belarus has begun in Minsk "
        "in the narrow format.",
        "https://en.odkb-csto.org/news/news_odkb/nachalas-sessiya-soveta-kollektivnoy-"
        "bezopasnosti-odkb/",
    ),
    (
        "b2",
        "news",
        dt.date(2022, 1, 20),
        "The CSTO Secretary General had a meeting via videoconferencing with the UN Assistant "
        "Secretary General for Political Affairs",
        "The parties discussed developments in the CSTO area of responsibility and spoke in "
        "favour of continuing cooperation between the CSTO and specialised UN agencies.",
        "",
    ),
    (
        "c3",
        "news",
        dt.date(2019, 6, 24),
        "The Committee of Secretaries of the Security Council of the CSTO at a meeting in Bishkek "
        "on June 27 will discuss additional measures to combat international terrorism",
        "A meeting of the Committee of Secretaries of the Security Council will be held on "
        "June 27, 2019 in Bishkek.",
        "",
    ),
    (
        "d4",
        "news",
        dt.date(2018, 11, 27),
        "At the Permanent Council of the CSTO, the Russian side provided information on the "
        "violation of the rules of peaceful passage in its territorial sea",
        "A meeting of the Permanent Council of the Collective Security Treaty Organization was "
        "held under the chairmanship of the Permanent Representative of the Kyrgyz Republic.",
        "",
    ),
    (
        "e5",
        "joint-staff",
        dt.date(2024, 5, 16),
        "The CSTO Secretariat hosted a round table on cooperation in the information and "
        "analytical sphere",
        "On May 16, 2024, the CSTO Secretariat hosted a round table timed to coincide with the "
        "Press Day in the Republic of Belarus.",
        "",
    ),
    (
        "f6",
        "joint-staff",
        None,
        "15 May marks the 32nd anniversary of the conclusion of the Collective Security Treaty",
        "15 May marks the 32nd anniversary of the conclusion of the Collective Security Treaty. "
        "The document has played an important stabilising role in the post-Soviet space.",
        "",
    ),
]
SECTIONS = [
    Section(id="all", title="All releases", description="Every release, newest first."),
    Section(id="news", title="CSTO news", description="Meetings, councils and exercises."),
    Section(id="joint-staff", title="Joint Staff", description="Releases naming the Joint Staff."),
]


def sample_entries() -> list[Entry]:
    seen = dt.datetime(2024, 5, 20, 9, 0, tzinfo=dt.UTC)
    entries = []
    for number, (key, section, day, title, lead, url) in enumerate(SAMPLES):
        published = dt.datetime(day.year, day.month, day.day, tzinfo=MSK) if day else seen
        release = Release(
            kind=ReleaseKind.FULL if day else ReleaseKind.BRIEF,
            title=title,
            title_derived=day is None,
            date=day,
            date_origin=DateOrigin.HEADER if day else DateOrigin.NONE,
            lead=lead,
            paragraphs=(lead,),
            language="en",
            url=url or None,
        )
        entries.append(
            Entry(
                id=f"tag:feeds,2024-05-20:release/{key}",
                release=release,
                section=section,
                published=published,
                updated=seen + dt.timedelta(seconds=number),
                first_seen=seen,
                page_path=f"releases/{published:%Y/%m}/sample-{key}.html",
            )
        )
    return entries


def write_samples(root: Path, site: Site) -> None:
    """Write an index, its section pages and release pages made from the samples."""
    entries = sample_entries()
    by_section = {s.id: [e for e in entries if s.id in ("all", e.section)] for s in SECTIONS}
    files = {
        "index.html": render_index([(s, by_section[s.id]) for s in SECTIONS], site=site),
        "feeds.opml": render_opml(SECTIONS, site=site),
    }
    for section in SECTIONS:
        files[f"{section.id}/index.html"] = render_section_page(
            section, by_section[section.id], site=site
        )
    by_id = {s.id: s for s in SECTIONS}
    for entry in entries:
        files[entry.page_path] = render_release_page(entry, site=site, section=by_id[entry.section])
    for path, body in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)


def screenshot(root: Path | None, out: Path, width: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        folder = root or Path(scratch)
        server = make_server(ServeSettings(root=folder, port=0))
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            if root is None:
                write_samples(folder, Site(title="CSTO releases", url=SITE_URL, public_url=base))
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
                )
                try:
                    page = browser.new_page(viewport={"width": width, "height": 800})
                    page.goto(base + "index.html", wait_until="load")
                    out.parent.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(out), full_page=True)
                finally:
                    browser.close()
        finally:
            server.shutdown()
            server.server_close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("output", nargs="?", type=Path, help="existing output folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="PNG file to write")
    parser.add_argument("--width", type=int, default=1200, help="window width in CSS pixels")
    args = parser.parse_args(argv)
    root: Path | None = args.output
    if root is not None and not (root / "index.html").is_file():
        print(f"{root}: no index.html in this folder", file=sys.stderr)
        return 2
    screenshot(root, args.out, args.width)
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
