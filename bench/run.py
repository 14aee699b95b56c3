"""Benchmark feeds end to end and write BENCHMARKS.md.

    python bench/run.py --scale smoke            # a few minutes
    python bench/run.py --scale full --work /var/tmp/feeds-bench

Generates the corpora (text dumps, a fixture site on 127.0.0.1), runs every case
through the command line (``python -m feeds refresh -c CONFIG --quiet``), three runs
each, profiles the main cases with py-spy, measures RSS-Bridge on the same fixture site,
calls ``bench/serve_bench.py`` for the serving case when it is there, and writes
``bench/results/<scale>.json`` and BENCHMARKS.md.  Generated corpora are kept under
``--work`` (default: a temporary folder) and reused by later runs.
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
import os
import shlex
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

if __package__ in (None, ""):
    # Run as a script (python bench/run.py): make the repository importable.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import cases, floors, profile, report
from bench import corpus as corpus_module
from bench.site import FixtureSite, SiteServer

GROUPS = ("dumps", "crawl", "floors", "serve", "reference", "profile")


@dataclass(frozen=True)
class Scale:
    name: str
    releases: int
    new_dump_at: tuple[int, ...]
    articles: int
    per_page: int = 8
    runs: int = 3
    cold_runs: int | None = None
    #: Seconds one refresh may take before the case is reported as not finished.
    timeout: float = 900.0
    #: Length and count of each serving scenario's wrk runs.
    serve_seconds: int = 5
    serve_rounds: int = 3


SCALES = {
    "tiny": Scale(
        "tiny",
        releases=12,
        new_dump_at=(12,),
        articles=24,
        runs=1,
        timeout=120,
        serve_seconds=1,
        serve_rounds=1,
    ),
    "smoke": Scale("smoke", releases=200, new_dump_at=(200,), articles=160, timeout=300),
    "full": Scale("full", releases=10_000, new_dump_at=(1_000, 10_000, 100_000), articles=1_000),
}

PREAMBLE = """\
# Benchmarks

Written by `python bench/run.py --scale smoke` and `python bench/run.py --scale full`
(each run rewrites its own section below from `bench/results/<scale>.json`; do not edit
by hand).  Method and cases: [bench/README.md](bench/README.md).

**Method.** Each case runs `python -m feeds refresh -c CONFIG --quiet` in a child
process, three times, and reports the median of each figure. *Wall* is the time from
start to exit; *CPU* is user + sys of the child and the processes it waited for
(`wait4`); *peak RSS* is the most memory of the whole process tree, sampled from
`/proc` every 5 ms as each process's proportional set size, so pages forked workers
share with their parent count once; *files written* counts files under `output/` that
are new or whose mtime changed; *requests* are counted by the fixture site (listing and
article pages, split by status; robots.txt apart).  Cold runs start from an empty state
and output folder, and an empty cache folder (`XDG_CACHE_HOME`, where feeds keeps the
validated config and profile and the compiled templates); "nothing new" runs repeat on
the warm state; "one new" runs each add one more dump or article on top of the previous
run's state.  Generated corpora are deterministic (seeded).

**Targets** are set for the full sizes (10,000 dumps, 1,000 articles); at smoke scale
they are shown but not judged.
"""


def _log(text: str) -> None:
    print(text, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--scale", choices=sorted(SCALES), default="smoke")
    parser.add_argument("--work", type=Path, help="folder for corpora and projects (kept)")
    parser.add_argument("--runs", type=int, help="runs per case (default 3)")
    parser.add_argument("--cold-runs", type=int, help="runs of the cold dump case alone")
    parser.add_argument("--timeout", type=float, help="seconds one refresh may take")
    parser.add_argument("--releases", type=int, help="releases of the cold/unchanged cases")
    parser.add_argument("--new-dump-at", help="comma-separated sizes for the one-new-dump case")
    parser.add_argument("--articles", type=int, help="articles on the fixture site")
    parser.add_argument("--latency", type=float, default=0.0, help="fixture site delay, s")
    parser.add_argument(
        "--skip",
        default="",
        help=f"comma-separated groups to leave out: {', '.join(GROUPS)}",
    )
    parser.add_argument(
        "--no-install", action="store_true", help="do not apt-get install RSS-Bridge"
    )
    parser.add_argument("--note", action="append", default=[], help="a note for the report")
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="run nothing: add --note to the scale's saved results and rewrite BENCHMARKS.md",
    )
    parser.add_argument(
        "--no-write",
        action="store_true",
        help="print the results only; leave bench/results and BENCHMARKS.md alone",
    )
    return parser.parse_args(argv)


def scale_from(args: argparse.Namespace) -> Scale:
    scale = SCALES[args.scale]
    if args.runs:
        scale = replace(scale, runs=args.runs)
    if args.cold_runs:
        scale = replace(scale, cold_runs=args.cold_runs)
    if args.timeout:
        scale = replace(scale, timeout=args.timeout)
    if args.releases:
        scale = replace(scale, releases=args.releases)
    if args.new_dump_at:
        sizes = tuple(int(n) for n in args.new_dump_at.split(",") if n.strip())
        scale = replace(scale, new_dump_at=sizes)
    if args.articles:
        scale = replace(scale, articles=args.articles)
    return scale


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def run_all(
    scale: Scale, work: Path, skip: set[str], latency: float, install: bool, command: str
) -> report.Results:
    started = time.time()
    load_before = _load()
    results = report.Results(
        scale=scale.name,
        command=command,
        date=dt.date.today().isoformat(),
        commit=report.commit(),
        machine=report.machine(),
        runs=scale.runs,
        rows=[],
        settings={
            "dump releases": f"{scale.releases:,}",
            "one new dump at": ", ".join(f"{n:,}" for n in scale.new_dump_at),
            "site articles": f"{scale.articles:,} ({scale.per_page} per listing page)",
            "site latency": f"{latency * 1000:.0f} ms",
        },
    )
    dump_projects: dict[int, Path] = {}
    if "dumps" not in skip:
        _log("== text dumps")
        rows, dump_projects = cases.dump_cases(
            work,
            cases.DumpScale(
                scale.releases,
                scale.new_dump_at,
                scale.runs,
                scale.timeout,
                cold_runs=scale.cold_runs,
            ),
            _log,
        )
        results.rows += rows
    site = FixtureSite(scale.articles, scale.per_page)
    with SiteServer(site, latency=latency) as server:
        crawl_project = None
        if "crawl" not in skip:
            _log(f"== live crawl: {scale.articles} articles on {server.base_url}")
            rows, crawl_project = cases.crawl_cases(work, server, scale.runs, scale.timeout, _log)
            results.rows += rows
        if "floors" not in skip:
            _log("== floors")
            results.rows += floor_rows(scale, work, dump_projects, crawl_project)
        if "reference" not in skip:
            _log("== RSS-Bridge reference")
            version = cases.ensure_rss_bridge(_log, install)
            if version is None:
                results.notes.append("RSS-Bridge (with php-cli) is not installed: no reference.")
            else:
                # A site of its own (the same articles): the feeds cases added some.
                reference_site = FixtureSite(scale.articles, scale.per_page)
                with SiteServer(reference_site, latency=latency) as reference_server:
                    rows = cases.rss_bridge_cases(
                        work, reference_server, scale.runs, scale.timeout, _log
                    )
                for row in rows:
                    row.extra["rss-bridge"] = version
                results.rows += rows
        if "profile" not in skip:
            _log("== profiles")
            out = work / "profiles"
            out.mkdir(parents=True, exist_ok=True)
            # The cold case's own size, or (when it did not finish) the largest size
            # that has a state: a profile of a smaller import beats none.
            profiled = (
                scale.releases
                if scale.releases in dump_projects
                else max(dump_projects, default=None)
            )
            if profiled is not None:
                project = dump_projects[profiled]
                config = project / "sources.yaml"
                mark = "" if profiled == scale.releases else "-at-other-size"
                cases.wipe(project)
                results.profiles.append(
                    profile.record(
                        f"text dumps, cold refresh, {profiled:,} releases",
                        "dumps",
                        cases.refresh_command(config),
                        project,
                        out / "dumps-cold.txt",
                        scale.timeout,
                        row="dumps-cold" + mark,
                    )
                )
                results.profiles.append(
                    profile.record(
                        f"text dumps, nothing new, {profiled:,} releases",
                        "dumps",
                        cases.refresh_command(config),
                        project,
                        out / "dumps-unchanged.txt",
                        scale.timeout,
                        row="dumps-unchanged" + mark,
                    )
                )
            if crawl_project is not None:
                config = crawl_project / "sources.yaml"
                cases.wipe(crawl_project)
                results.profiles.append(
                    profile.record(
                        f"live crawl, cold, {len(site.articles):,} articles",
                        "crawl",
                        cases.refresh_command(config),
                        crawl_project,
                        out / "crawl-cold.txt",
                        scale.timeout,
                        row="crawl-cold",
                    )
                )
                results.profiles.append(
                    profile.record(
                        f"live crawl, nothing new, {len(site.articles):,} articles",
                        "crawl",
                        cases.refresh_command(config),
                        crawl_project,
                        out / "crawl-unchanged.txt",
                        scale.timeout,
                        row="crawl-unchanged",
                    )
                )
    if "serve" not in skip:
        _log("== serving")
        if scale.releases in dump_projects or not cases.SERVE_BENCH.exists():
            root = dump_projects.get(scale.releases, work)
            row = cases.serve_case(
                root,
                work,
                _log,
                scale.timeout,
                scale.serve_seconds,
                scale.serve_rounds,
                releases=scale.releases if scale.releases in dump_projects else 0,
            )
        else:
            row = cases.Row(
                "serve",
                "serve",
                "conditional GET → 304",
                0,
                "–",
                status="skipped",
                note="no published output (dump cases skipped)",
            )
        results.rows.append(row)
    minutes = (time.time() - started) / 60
    # Other jobs on the machine stretch wall times (CPU times much less): say so.
    results.notes.append(
        f"`{report.clean_command(command)}` took {minutes:.1f} minutes; "
        f"load average {load_before} at its start, "
        f"{_load()} at its end ({report.machine()['cores']} cores)."
    )
    return results


def floor_rows(
    scale: Scale, work: Path, dump_projects: dict[int, Path], crawl_project: Path | None
) -> list[cases.Row]:
    """The floors under the cases' targets (:mod:`bench.floors`), from the projects the
    cases left: the dumps' states and the crawl's (its fixture site still serving)."""

    def floor(size: int, size_text: str, bounds: str) -> floors.Floor:
        return floors.Floor(size, size_text, bounds, scale.runs, scale.timeout, _log)

    rows = [floors.interpreter(floor(0, "–", "every case"))]
    new_sizes = sorted(n for n in scale.new_dump_at if n in dump_projects)
    try:
        if new_sizes:
            size, project = new_sizes[0], dump_projects[new_sizes[0]]
            corpus, _ = corpus_module.ensure(
                cases.corpus_folder(work, size, cases.DumpScale.seed), size
            )
            # One more dump than the case added: the run whose imports are listed is
            # one more run of the case.
            cases.add_new_dump(project, corpus, scale.runs + 1)
            modules = floors.imported_by(*_refresh_of(project), scale.timeout)
            where = floor(size, f"{size:,} releases", "one new dump (≤ 0.3 s)")
            rows += floors.start_up("floor-startup-new", modules, "a one-new-dump run", where)
        if crawl_project is not None:
            modules = floors.imported_by(*_refresh_of(crawl_project), scale.timeout)
            where = floor(
                scale.articles,
                f"{scale.articles:,} articles",
                "same site, nothing new (≤ 0.2 s CPU)",
            )
            rows += floors.start_up("floor-startup-crawl", modules, "a nothing-new crawl", where)
    except cases.Failed as exc:
        _log(f"  stopped: {exc}")
    if scale.releases in dump_projects:
        size = scale.releases
        where = floor(size, f"{size:,} releases", "cold refresh (≤ 3 s wall)")
        rows.append(floors.rendering(dump_projects[size] / "sources.yaml", where))
    if new_sizes:
        size = new_sizes[-1]
        folders = [
            cases.corpus_folder(work, size, cases.DumpScale.seed),
            dump_projects[size] / "new",
        ]
        where = floor(size, f"{size:,} releases", f"one new dump at {size:,} (≤ 0.3 s)")
        rows.append(floors.listing(folders, where))
    return rows


def _refresh_of(project: Path) -> tuple[list[str], Path, dict[str, str]]:
    """The command, folder and environment of a case's refresh of ``project``."""
    env = {**os.environ, "XDG_CACHE_HOME": str(project / cases.CONFIG_CACHE)}
    return cases.refresh_command(project / "sources.yaml"), project, env


def main(argv: list[str] | None = None) -> report.Results:
    args = parse_args(argv)
    scale = scale_from(args)
    if args.render_only:
        saved_results = report.load(report.RESULTS / f"{scale.name}.json")
        saved_results.notes += [n for n in args.note if n not in saved_results.notes]
        report.save(saved_results)
        report.write_benchmarks(PREAMBLE)
        return saved_results
    skip = {g.strip() for g in args.skip.split(",") if g.strip()}
    # An installed package has its bytecode compiled at install time; a checkout run
    # under PYTHONDONTWRITEBYTECODE would compile every module on every run instead.
    compileall.compile_dir(Path(__file__).resolve().parent.parent / "feeds", quiet=1)
    command = "python bench/run.py " + shlex.join(argv if argv is not None else sys.argv[1:])
    with tempfile.TemporaryDirectory(prefix="feeds-bench-") as temporary:
        work = (args.work or Path(temporary)).resolve()
        work.mkdir(parents=True, exist_ok=True)
        _log(f"work folder: {work}")
        results = run_all(scale, work, skip, args.latency, not args.no_install, command)
    results.notes += args.note
    if not args.no_write:
        results = report.merge(results, skip)
        saved = report.save(results)
        written = report.write_benchmarks(PREAMBLE)
        _log(f"wrote {saved.relative_to(report.REPO)} and {written.relative_to(report.REPO)}")
    else:
        print("\n".join(report.section(results)))
    return results


if __name__ == "__main__":
    main()
