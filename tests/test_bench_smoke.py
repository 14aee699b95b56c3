"""The benchmark harness at a tiny scale: its generators make what they claim, the
fixture site answers like the real one, and a run produces a row per case.

No timing is asserted: these tests check that the benchmark measures the right work.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

from bench import corpus as corpus_module
from bench import report
from bench import run as bench_run
from bench.cases import Row, Run
from bench.site import SECTION, FixtureSite, SiteServer

DATE_LINE = re.compile(r"^\d{2}\.\d{2}\.\d{4}$", re.MULTILINE)


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, dict(reply.headers.items()), reply.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), b""


def test_dump_corpus_has_the_releases_and_the_anatomy(tmp_path: Path) -> None:
    corpus, manifest = corpus_module.ensure(tmp_path / "c", 120, seed=5)
    files = sorted((tmp_path / "c").glob("*.txt"))
    assert manifest.releases == 120
    assert len(files) == manifest.dumps == 120 + manifest.near_duplicates
    assert manifest.near_duplicates == 6
    texts = [f.read_text(encoding="utf-8") for f in files]

    # One primary dump per release: every release's title heads exactly one of the
    # first 120 files, after its sidebar.
    for release, text in zip(corpus.releases[:120], texts[:120], strict=True):
        assert f"\n{release.title}\n" in "\n" + text

    # All three sidebar layouts (and pages without one) are there.
    assert {"blank", "dated", "lines", "none"} <= set(manifest.layouts)
    assert {"repeat", "date_line", "title_only"} <= set(manifest.headers)
    assert any(DATE_LINE.search(t.split("\n\n\n")[0]) for t in texts)

    # Teasers are leads of releases of the corpus, and a crawl's set repeats on
    # several pages.
    leads = {r.lead for r in corpus.releases}
    teaser_pages: Counter[str] = Counter()
    for text, name in zip(texts, manifest.files, strict=True):
        index = int(name[:6])
        own = corpus.releases[index].title if index < 120 else None
        head = text.split(f"\n{own}\n")[0] if own else ""
        for lead in leads:
            if lead in head:
                teaser_pages[lead] += 1
    assert teaser_pages and max(teaser_pages.values()) >= 3

    # Leads state their release's date; dumps end without a final newline.
    release = corpus.releases[0]
    assert (
        str(release.date.year) in release.lead.split(",")[1]
        or str(release.date.year) in release.lead.split(",")[0]
    )
    assert all(not t.endswith("\n") for t in texts)
    assert all(t.rstrip().endswith("news") or t.rstrip().endswith("section") for t in texts)

    # The same arguments give the same files; a new dump is a new release.
    again, _ = corpus_module.ensure(tmp_path / "c", 120, seed=5)
    assert sorted((tmp_path / "c").glob("*.txt")) == files
    new = again.new_dump(1)
    assert again.releases[120].title in new


def test_fixture_site_pages_304_and_counts(tmp_path: Path) -> None:
    site = FixtureSite(20, per_page=8)
    assert site.pages == 3
    with SiteServer(site) as server:
        status, headers, body = _get(server.listing_url)
        assert status == 200
        assert body.count(b'class="news-item"') == 8
        etag, modified = headers["ETag"], headers["Last-Modified"]
        assert _get(server.listing_url, {"If-None-Match": etag})[0] == 304
        assert _get(server.listing_url, {"If-Modified-Since": modified})[0] == 304
        status, _, body = _get(server.listing_url + "?PAGEN_1=3")
        assert status == 200 and body.count(b'class="news-item"') == 4
        article = site.articles[-1]
        status, _, body = _get(server.base_url + article.path)
        assert status == 200 and b'class="news-detail"' in body
        assert _get(server.base_url + SECTION + "missing/")[0] == 404
        counts = server.counts()
        assert counts["listing"] == 4 and counts["listing 304"] == 2
        assert counts["article 200"] == 1 and counts["other 404"] == 1

        # A new article goes on top and changes the listing's validators.
        added = site.add_article()
        status, headers, body = _get(server.listing_url, {"If-None-Match": etag})
        assert status == 200 and added.release.title.encode() in body
        assert headers["ETag"] != etag


@pytest.mark.slow  # runs every benchmark case end to end, each in a child process
def test_harness_produces_a_row_per_case(tmp_path: Path) -> None:
    results = bench_run.main(
        [
            "--scale",
            "tiny",
            "--work",
            str(tmp_path),
            "--no-write",
            "--no-install",
            "--skip",
            "profile",
        ]
    )
    rows = {row.case: row for row in results.rows}
    for case in (
        "dumps-cold",
        "dumps-unchanged",
        "dumps-new-12",
        "crawl-cold",
        "crawl-unchanged",
        "crawl-new",
    ):
        row = rows[case]
        assert row.status == "ok", (case, row.note)
        assert len(row.runs) == 1
        for metric in ("wall", "cpu", "rss_mib", "files_written"):
            value = row.median(metric)
            assert value is not None and value >= 0, (case, metric)
        assert row.median("cpu") or row.median("wall")
    assert rows["dumps-cold"].extra["releases listed"] == 12
    assert rows["dumps-unchanged"].median("files_written") == 0
    # The crawl read the 3 listing pages and 24 articles; unchanged asks again.
    cold = rows["crawl-cold"].runs[0]
    assert cold.requests is not None
    assert cold.requests["listing"] >= 3 and cold.requests["article"] == 24
    assert rows["crawl-new"].runs[0].requests is not None
    assert rows["crawl-new"].runs[0].requests.get("article 200") == 1
    # The floors: each ran once; the start-up ones import what a run of the case did,
    # and the rendering floor wrote every file of the output again.
    for case in (
        "floor-python",
        "floor-startup-new-libraries",
        "floor-startup-new",
        "floor-startup-crawl-libraries",
        "floor-startup-crawl",
        "floor-render",
        "floor-listing-12",
    ):
        assert rows[case].status == "ok" and len(rows[case].runs) == 1, (case, rows[case].note)
        assert rows[case].runs[0].returncode == 0, case
    assert re.fullmatch(
        r"start-up of a one-new-dump run: importing those and its \d\d+ own",
        rows["floor-startup-new"].label,
    )
    output = tmp_path / "projects" / "dumps-12" / "output"
    assert rows["floor-render"].median("files_written") == sum(
        1 for f in output.rglob("*") if f.is_file()
    )
    # The new dumps of the one-new case, plus the one whose run listed the imports.
    assert len(list((tmp_path / "projects" / "dumps-12" / "new").glob("*.txt"))) == 2
    assert rows["serve"].status in ("ok", "skipped", "failed", "timeout")
    if "rss-bridge-cold" in rows:
        bridge = rows["rss-bridge-cold"].runs[0]
        assert bridge.requests is not None and bridge.requests["article"] == 24


def _row(case: str, label: str, cpu: float | None) -> Row:
    runs = (
        []
        if cpu is None
        else [Run(wall=cpu, cpu=cpu, user=cpu, sys=0.0, rss_mib=1.0, returncode=0)]
    )
    return Row(case, "crawl", label, 10, "10 articles", runs=runs)


def test_the_crawl_is_set_against_rss_bridge_in_the_same_run() -> None:
    rows = [
        _row("crawl-cold", "live crawl, cold", 6.0),
        _row("rss-bridge-cold", "crawl, empty cache", 2.5),
        _row("crawl-unchanged", "same site, nothing new", 0.2),
        _row("rss-bridge-unchanged", "same site, nothing new", 4.0),
        # No RSS-Bridge figure for this one (it failed): left out, not divided by zero.
        _row("crawl-new", "one new article", 0.5),
        _row("rss-bridge-new", "one new article", None),
    ]
    assert report.against_reference(rows) == [
        "feeds' CPU time against RSS-Bridge's, in this run: crawl, empty cache 6.00 s against "
        "2.50 s (2.40×); same site, nothing new 0.20 s against 4.00 s (0.05×).",
        "",
    ]
    assert report.against_reference(rows[:1]) == []
