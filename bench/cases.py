"""The benchmark cases: each drives ``python -m feeds`` in a child process.

Only the command line is used (``refresh -c CONFIG --quiet``), so the cases stay valid
whatever the package does inside.  A case is run ``runs`` times and reported by the
median of each figure.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench import corpus as corpus_module
from bench import measure
from bench.site import SiteServer

PAGE_KINDS = ("listing", "article")


@dataclass(frozen=True)
class Target:
    """A limit on the median of one figure; ``size`` is the corpus or site size the
    limit was set for (``None``: any size)."""

    metric: str
    limit: float
    text: str
    size: int | None = None


@dataclass
class Run:
    wall: float
    cpu: float
    user: float
    sys: float
    rss_mib: float
    returncode: int
    files_written: int | None = None
    #: Requests the fixture site received during the run, by kind and status.
    requests: dict[str, int] | None = None

    @classmethod
    def of(
        cls,
        result: measure.Measurement,
        files_written: int | None = None,
        requests: dict[str, int] | None = None,
    ) -> Run:
        return cls(
            wall=result.wall,
            cpu=result.cpu,
            user=result.user,
            sys=result.sys,
            rss_mib=result.peak_rss_mib,
            returncode=result.returncode,
            files_written=files_written,
            requests=requests,
        )

    @property
    def page_requests(self) -> int | None:
        if self.requests is None:
            return None
        return sum(self.requests.get(kind, 0) for kind in PAGE_KINDS)


@dataclass
class Row:
    case: str
    group: str
    label: str
    size: int
    size_text: str
    targets: list[Target] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)
    status: str = "ok"
    note: str = ""
    #: Extra figures a case reports (releases listed, serve_bench's numbers, ...).
    extra: dict[str, object] = field(default_factory=dict)

    def median(self, metric: str) -> float | None:
        values = [v for v in (_metric(run, metric) for run in self.runs) if v is not None]
        return statistics.median(values) if values else None

    def verdicts(self) -> list[tuple[Target, float | None, bool | None]]:
        """Each target with the median it is judged on, and whether it is met
        (``None`` when the case ran at another size than the target's)."""
        found: list[tuple[Target, float | None, bool | None]] = []
        for target in self.targets:
            value = self.median(target.metric)
            if value is None or (target.size is not None and target.size != self.size):
                found.append((target, value, None))
            else:
                found.append((target, value, value <= target.limit))
        return found


def _metric(run: Run, metric: str) -> float | None:
    if metric == "page_requests":
        pages = run.page_requests
        return None if pages is None else float(pages)
    if metric == "files_written":
        return None if run.files_written is None else float(run.files_written)
    value = getattr(run, metric)
    return float(value) if isinstance(value, int | float) else None


# -- projects -----------------------------------------------------------------

SITE_BLOCK = """\
site:
  title: Bench
  url: "{site_url}"
  public_url: "https://feeds.example.org/bench/"
feed_size: 50
"""
SECTIONS_BLOCK = """\
sections:
  - {id: news, title: CSTO news, default: true, url: "https://en.odkb-csto.org/news/news_odkb/"}
  - {id: speeches, title: Speeches, match: ['^(Welcome|Greeting|Opening) (speech|address)']}
  - {id: statements, title: Statements, match: ['^(Joint )?Statement (of|by) ']}
  - {id: trainings, title: Trainings, match: ['\\b(exercises?|operation)\\b']}
  - {id: peacekeeping, title: Peacekeeping, topical: true, match: ['peacekeep']}
"""


def dump_config(project: Path, corpus_dir: Path) -> Path:
    config = project / "sources.yaml"
    config.write_text(
        SITE_BLOCK.format(site_url="https://en.odkb-csto.org/")
        + SECTIONS_BLOCK
        + "sources:\n"
        + "  - name: dumps\n"
        + "    type: dump\n"
        + f'    paths: ["{corpus_dir}/*.txt", "new/*.txt"]\n',
        encoding="utf-8",
    )
    return config


def crawl_config(project: Path, server: SiteServer, pages: int) -> Path:
    config = project / "sources.yaml"
    config.write_text(
        SITE_BLOCK.format(site_url=server.base_url + "/")
        + SECTIONS_BLOCK
        + "http:\n"
        + "  min_delay: 0\n"
        + "  allow_private_addresses: true\n"
        + "  respect_robots: true\n"
        + "sources:\n"
        + "  - name: site\n"
        + "    type: html\n"
        + f'    url: "{server.listing_url}"\n'
        + f"    pages: {pages}\n",
        encoding="utf-8",
    )
    return config


def wipe(project: Path) -> None:
    """Back to a project that was never refreshed (config and corpus stay); its validated
    config goes too, so a cold run validates it as a first run on a machine does."""
    for name in ("state", "output", "new", CONFIG_CACHE):
        shutil.rmtree(project / name, ignore_errors=True)


#: Each project's own cache folder (``XDG_CACHE_HOME``), where feeds keeps its validated
#: config and profile and its compiled templates.
CONFIG_CACHE = "cache"


def refresh_command(config: Path) -> list[str]:
    return [sys.executable, "-m", "feeds", "refresh", "-c", str(config), "--quiet"]


def refresh(
    config: Path, timeout: float | None, server: SiteServer | None = None
) -> tuple[Run, measure.Measurement]:
    """One measured ``feeds refresh``; exit 1 (a page or file failed) still counts."""
    output = config.parent / "output"
    before = measure.mtimes(output)
    if server is not None:
        server.reset_counts()
    env = {**os.environ, "XDG_CACHE_HOME": str(config.parent / CONFIG_CACHE)}
    result = measure.run(refresh_command(config), cwd=config.parent, env=env, timeout=timeout)
    counts = dict(server.counts()) if server is not None else None
    written = measure.files_written(before, measure.mtimes(output))
    return Run.of(result, written, counts), result


class Failed(Exception):
    """A run that timed out or exited with 2 or more: the case stops there."""


def repeat(
    row: Row,
    runs: int,
    step: Callable[[int], tuple[Run, measure.Measurement]],
    log: Callable[[str], None],
) -> Row:
    for number in range(runs):
        run, result = step(number)
        row.runs.append(run)
        log(
            f"  {row.case} run {number + 1}: wall {run.wall:.2f} s, cpu {run.cpu:.2f} s, "
            f"rss {run.rss_mib:.0f} MiB, files {run.files_written}, "
            f"pages {run.page_requests}, exit {run.returncode}"
        )
        if result.timed_out:
            row.status = "timeout"
            row.note = f"run {number + 1} stopped after {result.wall:.0f} s"
            raise Failed(row.note)
        if result.returncode not in (0, 1):
            row.status = "failed"
            row.note = f"exit {result.returncode}: {result.stderr.strip()[-300:]}"
            raise Failed(row.note)
    return row


def releases_listed(config: Path) -> int | None:
    result = subprocess.run(
        [sys.executable, "-m", "feeds", "list", "-c", str(config)],
        capture_output=True,
        text=True,
        cwd=config.parent,
    )
    return result.stdout.count("\n") if result.returncode == 0 else None


# -- dump cases -----------------------------------------------------------------


@dataclass
class DumpScale:
    releases: int
    new_dump_at: Sequence[int]
    runs: int
    timeout: float | None
    seed: int = 2026
    #: Runs of the cold case alone (it is by far the longest at full scale).
    cold_runs: int | None = None


def corpus_folder(work: Path, releases: int, seed: int) -> Path:
    return work / "corpora" / f"dumps-{releases}-seed{seed}-v{corpus_module.VERSION}"


def dump_cases(
    work: Path, scale: DumpScale, log: Callable[[str], None]
) -> tuple[list[Row], dict[int, Path]]:
    """Cold, unchanged and one-new-dump rows; also the warm project per size (for the
    profile and the serve case)."""
    rows: list[Row] = []
    projects: dict[int, Path] = {}
    sizes = [scale.releases, *[n for n in scale.new_dump_at if n != scale.releases]]
    for size in sizes:
        try:
            project = _dump_size(work, scale, size, rows, log)
        except Failed as exc:
            log(f"  stopped: {exc}")
            continue
        if project is not None:
            projects[size] = project
    return rows, projects


def _dump_size(
    work: Path, scale: DumpScale, size: int, rows: list[Row], log: Callable[[str], None]
) -> Path | None:
    """The cases at one corpus size; the warm project, or ``None`` when it has none."""
    folder = corpus_folder(work, size, scale.seed)
    log(f"corpus: {size:,} releases in {folder}")
    corpus, manifest = corpus_module.ensure(folder, size, scale.seed)
    size_text = f"{size:,} releases ({manifest.dumps:,} dumps)"
    project = work / "projects" / f"dumps-{size}"
    project.mkdir(parents=True, exist_ok=True)
    config = dump_config(project, folder)
    wipe(project)
    if size == scale.releases:
        cold = Row(
            "dumps-cold",
            "dumps",
            "cold refresh",
            size,
            size_text,
            [
                Target("wall", 3.0, "≤ 3 s wall", 10_000),
                Target("rss_mib", 200.0, "≤ 200 MB", 10_000),
            ],
        )
        rows.append(cold)

        def cold_step(number: int) -> tuple[Run, measure.Measurement]:
            wipe(project)
            return refresh(config, scale.timeout)

        repeat(cold, scale.cold_runs or scale.runs, cold_step, log)
        cold.extra["releases listed"] = releases_listed(config)
        unchanged = Row(
            "dumps-unchanged",
            "dumps",
            "nothing new",
            size,
            size_text,
            [
                Target("wall", 0.3, "≤ 0.3 s", 10_000),
                Target("files_written", 0, "0 files written"),
            ],
        )
        rows.append(unchanged)
        repeat(unchanged, scale.runs, lambda n: refresh(config, scale.timeout), log)
    new = Row(
        f"dumps-new-{size}",
        "dumps",
        "one new dump",
        size,
        size_text,
        [Target("wall", 0.3, "≤ 0.3 s")],
    )
    if size != scale.releases:
        setup, result = refresh(config, scale.timeout)
        log(f"  warm state for {size:,}: {setup.wall:.1f} s, exit {setup.returncode}")
        # A state built by an import that failed in part is not the state the case is
        # about: the one-new figures would measure the retries.
        if result.timed_out or setup.returncode != 0:
            new.status = "timeout" if result.timed_out else "failed"
            new.note = (
                f"the cold import that builds the state did not finish within {scale.timeout:.0f} s"
                if result.timed_out
                else f"the cold import failed (exit {setup.returncode})"
            )
            rows.append(new)
            return None
    if size not in scale.new_dump_at:
        return project
    rows.append(new)

    def new_step(number: int) -> tuple[Run, measure.Measurement]:
        # Each run adds one more release on top of the last: what a cron job sees
        # when one dump arrives between two refreshes.
        add_new_dump(project, corpus, number + 1)
        return refresh(config, scale.timeout)

    repeat(new, scale.runs, new_step, log)
    return project


def add_new_dump(project: Path, corpus: corpus_module.Corpus, k: int) -> None:
    """The k-th release after the corpus (k = 1, 2, ...), as a dump in the project's
    folder of new dumps."""
    (project / "new").mkdir(exist_ok=True)
    text = corpus.new_dump(k)
    (project / "new" / f"new_{k:03d}.txt").write_text(text, encoding="utf-8")


# -- crawl cases ----------------------------------------------------------------


def crawl_cases(
    work: Path,
    server: SiteServer,
    runs: int,
    timeout: float | None,
    log: Callable[[str], None],
) -> tuple[list[Row], Path]:
    site = server.site
    pages = site.pages
    size = len(site.articles)
    size_text = f"{size:,} articles, {pages} listing pages"
    project = work / "projects" / f"crawl-{size}"
    project.mkdir(parents=True, exist_ok=True)
    config = crawl_config(project, server, pages)
    wipe(project)
    rows: list[Row] = []
    try:
        cold = Row(
            "crawl-cold",
            "crawl",
            "live crawl, cold",
            size,
            size_text,
            [Target("cpu", 1.2, "≤ 1.2 s CPU", 1_000)],
        )
        rows.append(cold)

        def cold_step(number: int) -> tuple[Run, measure.Measurement]:
            wipe(project)
            return refresh(config, timeout, server)

        repeat(cold, runs, cold_step, log)
        cold.extra["releases listed"] = releases_listed(config)
        unchanged = Row(
            "crawl-unchanged",
            "crawl",
            "same site, nothing new",
            size,
            size_text,
            [
                Target("page_requests", 2, "≤ 2 page requests"),
                Target("cpu", 0.2, "≤ 0.2 s CPU", 1_000),
            ],
        )
        rows.append(unchanged)
        repeat(unchanged, runs, lambda n: refresh(config, timeout, server), log)
        new = Row(
            "crawl-new",
            "crawl",
            "one new article",
            size,
            size_text,
            [Target("page_requests", 3, "≤ 3 page requests")],
        )
        rows.append(new)

        def new_step(number: int) -> tuple[Run, measure.Measurement]:
            site.add_article()
            return refresh(config, timeout, server)

        repeat(new, runs, new_step, log)
    except Failed as exc:
        log(f"  stopped: {exc}")
    return rows, project


# -- the RSS-Bridge reference -------------------------------------------------------

RSS_BRIDGE_ROOT = Path("/usr/share/rss-bridge")
CA_FILE = "/etc/ssl/certs/ca-certificates.crt"


def rss_bridge_version() -> str | None:
    result = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Version}", "rss-bridge"], capture_output=True, text=True
    )
    return result.stdout.strip() if result.returncode == 0 and result.stdout else None


def ensure_rss_bridge(log: Callable[[str], None], install: bool) -> str | None:
    """RSS-Bridge's version once it is there (installed from Debian when allowed and
    missing), or ``None``."""
    have = (RSS_BRIDGE_ROOT / "lib" / "rssbridge.php").exists() and shutil.which("php")
    if not have and install and shutil.which("apt-get") and os.geteuid() == 0:
        log("installing rss-bridge and php-cli from Debian")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "rss-bridge", "php-cli", "php-curl"],
            env=env,
            capture_output=True,
        )
        have = (RSS_BRIDGE_ROOT / "lib" / "rssbridge.php").exists() and shutil.which("php")
    if not have:
        return None
    return rss_bridge_version() or "unknown version"


def rss_bridge_cases(
    work: Path,
    server: SiteServer,
    runs: int,
    timeout: float | None,
    log: Callable[[str], None],
) -> list[Row]:
    site = server.site
    size = len(site.articles)
    folder = work / "rss-bridge"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    script = Path(__file__).with_name("rssbridge_crawl.php")
    rows: list[Row] = []

    def crawl(fresh: bool) -> tuple[Run, measure.Measurement]:
        if fresh:
            shutil.rmtree(folder / "cache", ignore_errors=True)
        (folder / "cache").mkdir(exist_ok=True)
        server.reset_counts()
        command = [
            "php",
            "-d",
            f"curl.cainfo={CA_FILE}",
            str(script),
            str(RSS_BRIDGE_ROOT),
            server.listing_url,
            str(site.pages),
            str(folder / "cache"),
            str(folder / "feed.xml"),
        ]
        result = measure.run(command, timeout=timeout)
        return Run.of(result, requests=dict(server.counts())), result

    size_text = f"{size:,} articles, {site.pages} listing pages"
    try:
        for case, label, fresh, add in (
            ("rss-bridge-cold", "crawl, empty cache", True, False),
            ("rss-bridge-unchanged", "same site, nothing new", False, False),
            ("rss-bridge-new", "one new article", False, True),
        ):
            row = Row(case, "reference", label, size, size_text)
            rows.append(row)

            def step(
                number: int, fresh: bool = fresh, add: bool = add
            ) -> tuple[Run, measure.Measurement]:
                if add:
                    site.add_article()
                return crawl(fresh)

            repeat(row, runs, step, log)
    except Failed as exc:
        log(f"  stopped: {exc}")
    return rows


# -- serving --------------------------------------------------------------------


SERVE_BENCH = Path(__file__).with_name("serve_bench.py")


def serve_case(
    root: Path,
    work: Path,
    log: Callable[[str], None],
    timeout: float | None,
    seconds: int = 5,
    rounds: int = 3,
    releases: int = 0,
) -> Row:
    """Hands the published folder of ``releases`` releases to ``bench/serve_bench.py``
    (feeds serve against nginx, measured with wrk) and keeps what it reports."""
    row = Row(
        "serve",
        "serve",
        "conditional GET → 304, 50 connections",
        releases,
        f"output of the dump corpus ({root.name})",
    )
    script = SERVE_BENCH
    if not script.exists():
        row.status = "skipped"
        row.note = "bench/serve_bench.py is not in this tree yet; the serve case was skipped"
        return row
    out = work / "serve.json"
    out.unlink(missing_ok=True)
    try:
        result = subprocess.run(
            [
                sys.executable,
                str(script),
                *("--root", str(root / "output"), "--json", str(out)),
                *("--seconds", str(seconds), "--rounds", str(rounds)),
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        row.status = "timeout"
        row.note = f"serve_bench.py did not finish within {timeout:.0f} s"
        return row
    if result.returncode != 0 or not out.exists():
        row.status = "failed"
        row.note = f"serve_bench.py exited {result.returncode}: {result.stderr.strip()[-300:]}"
        return row
    row.extra["serve_bench"] = json.loads(out.read_text(encoding="utf-8"))
    log("  serve_bench.py done")
    return row
