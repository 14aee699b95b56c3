"""The benchmark's floors: the modules a start-up floor imports are those a run imported,
and the report sets each floor beside the target it lies under."""

from __future__ import annotations

import sys
from pathlib import Path

from bench import floors, report
from bench.cases import Row, Run
from tests.conftest import REPO

IMPORTTIME = REPO / "tests" / "data" / "bench" / "importtime.txt"


def test_the_modules_are_read_from_an_importtime_report_in_order() -> None:
    modules = floors.modules_in(IMPORTTIME.read_text(encoding="utf-8"))
    # In the order the imports ended; the header, the entry point (running it would do
    # the work) and a second report of the same module (a worker's) are left out.
    assert modules == [
        "_io",
        "marshal",
        "posix",
        "_frozen_importlib_external",
        "feeds.errors",
        "feeds.cache",
        "feeds.model",
        "feeds.config",
        "feeds.cli",
        "h11._events",
        "h11",
        "httpx",
        "feeds.sources.crawl",
    ]


def test_a_run_reports_the_modules_it_imported(tmp_path: Path) -> None:
    script = tmp_path / "job.py"
    script.write_text("import json\nimport feeds.errors\n", encoding="utf-8")
    modules = floors.imported_by([sys.executable, str(script)], REPO, {}, 60)
    assert {"json", "json.decoder", "feeds", "feeds.errors"} <= set(modules)
    assert "sqlite3" not in modules and "__main__" not in modules


def test_a_start_up_floor_imports_the_libraries_alone_then_the_package_too() -> None:
    modules = ["json", "feeds.errors", "feeds", "fractions"]
    floor = floors.Floor(1, "1 release", "one new dump (≤ 0.3 s)", runs=1, timeout=60)
    rows = floors.start_up("floor-x", modules, "a test run", floor)
    assert [(r.case, r.label, r.status, len(r.runs)) for r in rows] == [
        ("floor-x-libraries", "start-up of a test run: importing its 2 library modules", "ok", 1),
        ("floor-x", "start-up of a test run: importing those and its 2 own", "ok", 1),
    ]
    assert all(r.runs[0].returncode == 0 for r in rows)
    assert rows[0].extra["bounds"] == "one new dump (≤ 0.3 s)"


def _floor(case: str, label: str, wall: float, bounds: str) -> Row:
    run = Run(wall=wall, cpu=wall * 2, user=wall, sys=wall, rss_mib=30.0, returncode=0)
    return Row(
        case, "floors", label, 10_000, "10,000 releases", runs=[run], extra={"bounds": bounds}
    )


def test_the_report_sets_each_floor_beside_the_target_it_lies_under() -> None:
    rows = [
        _floor("floor-render", "rendering alone", 12.5, "cold refresh (≤ 3 s wall)"),
        Row("floor-listing-100000", "floors", "listing alone", 100_000, "100,000 releases"),
        Row("dumps-cold", "dumps", "cold refresh", 10_000, "10,000 releases"),
    ]
    assert report.floors_under_targets(rows) == [
        "Floors measured in the same run (see *Floors* below):",
        "",
        "- cold refresh (≤ 3 s wall): rendering alone (10,000 releases) takes 12.50 s wall, "
        "25.00 s CPU",
        "",
    ]
    assert report.floors_under_targets(rows[1:]) == []
