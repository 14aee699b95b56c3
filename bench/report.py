"""Results files (``bench/results/<scale>.json``) and BENCHMARKS.md made from them.

BENCHMARKS.md is written from every results file present, so a smoke run and a
full run each update their own section and keep the other's.
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.cases import Row, Run, Target
from bench.profile import Profile

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
BENCHMARKS = REPO / "BENCHMARKS.md"


@dataclass
class Results:
    scale: str
    command: str
    date: str
    commit: str
    machine: dict[str, str]
    runs: int
    rows: list[Row]
    profiles: list[Profile] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: The scale's sizes and settings, as run.
    settings: dict[str, Any] = field(default_factory=dict)


def machine() -> dict[str, str]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        memory = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
        ram = f"{int(memory) / 1024 / 1024:.1f} GiB"
    except OSError:
        ram = "unknown"
    return {
        "cpu": model,
        "cores": str(os.cpu_count()),
        "ram": ram,
        "python": platform.python_version(),
        "os": platform.platform(terse=True),
    }


def commit() -> str:
    result = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
    )
    return result.stdout.strip() or "unknown"


# -- JSON -----------------------------------------------------------------------


def save(results: Results) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{results.scale}.json"
    path.write_text(json.dumps(asdict(results), indent=1, ensure_ascii=False) + "\n")
    return path


def merge(new: Results, groups_kept: set[str]) -> Results:
    """``new`` plus, from this scale's saved results, the rows and profiles of the
    groups this run left out: a scale can be run in parts."""
    path = RESULTS / f"{new.scale}.json"
    if not groups_kept or not path.exists():
        return new
    old = load(path)
    keep_profiles = "profile" in groups_kept
    new.rows = [r for r in old.rows if r.group in groups_kept] + new.rows
    new.profiles = [
        p for p in old.profiles if keep_profiles or p.group in groups_kept
    ] + new.profiles
    new.notes = [n for n in old.notes if n not in new.notes] + new.notes
    if old.command != new.command:
        new.command = f"{old.command}` and `{new.command}"
    return new


_ROWS_BY_CASE = {
    "text dumps, cold refresh": "dumps-cold",
    "text dumps, nothing new": "dumps-unchanged",
    "live crawl, cold": "crawl-cold",
    "live crawl, nothing new": "crawl-unchanged",
}


def load(path: Path) -> Results:
    data = json.loads(path.read_text(encoding="utf-8"))
    rows = []
    for raw in data.pop("rows"):
        raw["targets"] = [Target(**t) for t in raw["targets"]]
        raw["runs"] = [Run(**r) for r in raw["runs"]]
        rows.append(Row(**raw))
    profiles = []
    for raw in data.pop("profiles"):
        # Results saved before profiles named their row: the case text tells.
        if not raw.get("row"):
            raw["row"] = next(
                (r for t, r in _ROWS_BY_CASE.items() if raw["case"].startswith(t)), ""
            )
        for key in ("self_time", "inclusive", "files"):
            raw[key] = [tuple(item) for item in raw[key]]
        profiles.append(Profile(**raw))
    return Results(rows=rows, profiles=profiles, **data)


# -- markdown ---------------------------------------------------------------------

ORDER = ("smoke", "full")
GROUPS = ("dumps", "crawl", "floors", "serve", "reference")


def _s(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _verdict(row: Row) -> tuple[str, str]:
    targets = []
    verdicts = []
    for target, value, met in row.verdicts():
        targets.append(target.text)
        if met is None:
            size = f"{target.size:,}" if target.size else "another size"
            verdicts.append(f"n/a (set for {size})")
        else:
            verdicts.append("met" if met else f"**missed** ({_s(value)})")
    return "; ".join(targets) or "–", "; ".join(verdicts) or "–"


def _requests(row: Row) -> str:
    runs = [r for r in row.runs if r.requests is not None]
    if not runs:
        return "–"
    # The median run by page requests, shown whole.
    run = sorted(runs, key=lambda r: r.page_requests or 0)[len(runs) // 2]
    counts = run.requests or {}
    parts = []
    for kind in ("listing", "article"):
        if counts.get(kind):
            statuses = ", ".join(
                f"{counts[key]}×{key.split()[1]}"
                for key in sorted(counts)
                if key.startswith(kind + " ")
            )
            parts.append(f"{counts[kind]} {kind} ({statuses})")
    if counts.get("robots"):
        parts.append(f"{counts['robots']} robots.txt")
    return "; ".join(parts) or "none"


def _notes(results: Results) -> list[str]:
    notes = [f"{r.case}: {r.status} — {r.note}" for r in results.rows if r.status != "ok"]
    for row in results.rows:
        version = row.extra.get("rss-bridge")
        if row.case == "rss-bridge-cold" and version:
            notes.append(
                f"RSS-Bridge {version} (Debian package) ships no CssSelectorBridge or "
                "CssSelectorComplexBridge; the closest bridge it has is XPathBridge (the "
                "same selector-driven extraction, with XPath instead of CSS). "
                "bench/rssbridge_crawl.php runs XPathBridge over every listing page, then "
                "over every article linked from them, in one PHP process, with RSS-Bridge's "
                "own fetching (curl, its page cache, If-Modified-Since), and writes one Atom "
                "feed. It keeps no state besides that page cache, so every run asks for "
                "every page again."
            )
    return notes + results.notes


def _status(row: Row) -> str:
    return "" if row.status == "ok" else f" — {row.status}: {row.note}"


def _table(
    rows: list[Row], with_requests: bool, with_targets: bool = True, with_bounds: bool = False
) -> list[str]:
    head = "| case | size | runs | wall s | CPU s | peak RSS MiB | files written |"
    rule = "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
    if with_requests:
        head += " page requests | requests sent (median run) |"
        rule += " ---: | --- |"
    if with_targets:
        head += " target | verdict |"
        rule += " --- | --- |"
    if with_bounds:
        head += " under the target of |"
        rule += " --- |"
    lines = [head, rule]
    for row in rows:
        cells = [
            f"{row.label}{_status(row)}",
            row.size_text,
            str(len(row.runs)),
            _s(row.median("wall")),
            _s(row.median("cpu")),
            _s(row.median("rss_mib"), 0),
            _s(row.median("files_written"), 0),
        ]
        if with_requests:
            cells += [_s(row.median("page_requests"), 0), _requests(row)]
        if with_targets:
            cells += list(_verdict(row))
        if with_bounds:
            cells.append(str(row.extra.get("bounds", "–")))
        lines.append("| " + " | ".join(cells) + " |")
    return lines


#: Each crawl case and the RSS-Bridge case that reads the same site the same way.
_REFERENCE_PAIRS = (
    ("crawl-cold", "rss-bridge-cold"),
    ("crawl-unchanged", "rss-bridge-unchanged"),
    ("crawl-new", "rss-bridge-new"),
)


def against_reference(rows: list[Row]) -> list[str]:
    """feeds' CPU time over RSS-Bridge's for each crawl case, both measured in this run
    (the crawl's target is RSS-Bridge's figure on the machine it was set on)."""
    by_case = {row.case: row for row in rows}
    parts = []
    for ours, theirs in _REFERENCE_PAIRS:
        if ours not in by_case or theirs not in by_case:
            continue
        mine, bridge = by_case[ours].median("cpu"), by_case[theirs].median("cpu")
        if mine is None or not bridge:
            continue
        parts.append(
            f"{by_case[theirs].label} {mine:.2f} s against {bridge:.2f} s ({mine / bridge:.2f}×)"
        )
    if not parts:
        return []
    return ["feeds' CPU time against RSS-Bridge's, in this run: " + "; ".join(parts) + ".", ""]


def floors_under_targets(rows: list[Row]) -> list[str]:
    """One line per floor: its figure beside the target it lies under."""
    lines = []
    for row in rows:
        if row.group != "floors" or not row.runs:
            continue
        wall, cpu = row.median("wall"), row.median("cpu")
        size = f" ({row.size_text})" if row.size_text != "–" else ""
        lines.append(
            f"- {row.extra.get('bounds', '–')}: {row.label}{size} takes "
            f"{_s(wall)} s wall, {_s(cpu)} s CPU"
        )
    if not lines:
        return []
    return ["Floors measured in the same run (see *Floors* below):", "", *lines, ""]


def _extras(rows: list[Row]) -> list[str]:
    lines = []
    for row in rows:
        for key, value in row.extra.items():
            if key == "bounds":
                continue
            if key in ("serve_bench", "rss-bridge"):
                continue
            lines.append(f"- {row.label} ({row.size_text}): {key}: {value}")
    return lines


def _profile(profile: Profile) -> list[str]:
    lines = [f"**{profile.case}** ({profile.samples} samples at 250 Hz)"]
    if profile.note:
        return [*lines, "", f"- {profile.note}", ""]
    lines.append("")
    lines.append(f"- importing modules (start-up): {profile.imports:.0%}")
    lines.append(
        "- inclusive, the package's functions: "
        + "; ".join(f"`{f}` ({p}) {share:.0%}" for f, p, share in profile.inclusive[:6])
    )
    lines.append(
        "- self time, any code: "
        + "; ".join(f"`{f}` ({p}) {share:.0%}" for f, p, share in profile.self_time[:6])
    )
    lines.append(
        "- self time by file: "
        + "; ".join(f"{p or '?'} {share:.0%}" for p, share in profile.files[:6])
    )
    lines.append("")
    return lines


def _serve(row: Row) -> list[str]:
    if row.status != "ok":
        return [f"- {row.status}: {row.note}"]
    data = row.extra.get("serve_bench")
    if not isinstance(data, dict) or "results" not in data:
        return ["serve_bench.py reported:", "", "```json", json.dumps(data, indent=1), "```"]
    results: dict[str, dict[str, dict[str, Any]]] = data["results"]
    scenarios: dict[str, str] = data.get("scenarios", {})
    output = f"the {row.size:,}-release output" if row.size else "the published output"
    lines = [
        f"`{data.get('path')}` of {output}, {data.get('rounds')} rounds of "
        f"{data.get('seconds')} s per scenario with wrk (keep-alive), median round shown; "
        f"{data.get('nginx')}.",
        "",
        "| scenario | server | requests/s | server CPU µs/request | p50 ms | p99 ms | max ms "
        "| errors |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, title in scenarios.items():
        for server in ("feeds", "nginx"):
            m = results.get(server, {}).get(name)
            if m is None:
                continue
            errors = m["socket_errors"] + m["timeouts"] + m["bad_status"]
            cpu = m.get("server_cpu_us")
            lines.append(
                f"| {title} | {server} | {m['requests_per_second']:,.0f} | "
                f"{'?' if cpu is None else f'{cpu:.1f}'} | {m['p50_ms']:.2f} | "
                f"{m['p99_ms']:.2f} | {m['max_ms']:.1f} | {errors} |"
            )
    lines += ["", *_serve_verdicts(results)]
    return lines


def _serve_verdicts(results: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    """The serving targets, judged from the scenarios' figures."""
    feeds, nginx = results.get("feeds", {}), results.get("nginx", {})
    lines = []
    if "not_modified" in feeds and "not_modified" in nginx:
        ratio = (
            feeds["not_modified"]["requests_per_second"]
            / nginx["not_modified"]["requests_per_second"]
        )
        verdict = "met" if ratio >= 0.5 else "**missed**"
        lines.append(f"- 304s at ≥ 0.5× nginx's rate: {ratio:.2f}× — {verdict}")
    if "not_modified" in feeds and "gzip" in feeds:
        lines.append(_cheaper_304(feeds["not_modified"], feeds["gzip"]))
    if "concurrent" in feeds:
        worst = feeds["concurrent"]["max_ms"]
        errors = sum(feeds["concurrent"][k] for k in ("socket_errors", "timeouts", "bad_status"))
        verdict = "met" if worst < 1000 and errors == 0 else "**missed**"
        lines.append(
            f"- 50 connections, no stall, every request under 1 s: slowest {worst:.1f} ms, "
            f"{errors} errors — {verdict}"
        )
    return lines


def _cheaper_304(not_modified: dict[str, Any], gzip_200: dict[str, Any]) -> str:
    """A 304 against a gzip 200: by the server's CPU per request where measured."""
    if "server_cpu_us" in not_modified and "server_cpu_us" in gzip_200:
        ratio = gzip_200["server_cpu_us"] / not_modified["server_cpu_us"]
        measure = (
            f"{not_modified['server_cpu_us']:.1f} µs of server CPU per 304, "
            f"{gzip_200['server_cpu_us']:.1f} µs per gzip 200 ({ratio:.2f}×)"
        )
    else:
        ratio = not_modified["requests_per_second"] / gzip_200["requests_per_second"]
        measure = f"{ratio:.2f}× the rate"
    verdict = "met" if ratio >= 3 else "**missed**"
    return (
        f"- a 304 ≥ 3× cheaper than a gzip 200: {measure} — {verdict} (neither reads the "
        "file: the gzip body comes from the cache kept per file version, so both cost "
        "about one parse of the request head and one send; nginx compresses each response)"
    )


def clean_command(command: str) -> str:
    """The command without its ``--note`` texts (they are shown as notes)."""
    parts = []
    for one in command.split("` and `"):
        words = shlex.split(one)
        kept = [w for i, w in enumerate(words) if w != "--note" and words[i - 1] != "--note"]
        parts.append(shlex.join(kept))
    return "` and `".join(parts)


def section(results: Results) -> list[str]:
    groups: dict[str, list[Row]] = {}
    for row in results.rows:
        groups.setdefault(row.group, []).append(row)
    m = results.machine
    lines = [
        f"## {results.scale} scale",
        "",
        f"Run on {results.date} at commit `{results.commit}` with "
        f"`{clean_command(results.command)}` "
        f"({results.runs} run{'s' if results.runs != 1 else ''} per case, medians shown); "
        f"{m['cpu']}, {m['cores']} cores, {m['ram']} RAM, Python {m['python']}.",
        "",
    ]
    if results.settings:
        lines += [
            "Sizes: " + ", ".join(f"{k} {v}" for k, v in results.settings.items()) + ".",
            "",
        ]
    if "dumps" in groups:
        lines += ["### Text dumps", "", *_table(groups["dumps"], False), ""]
    if "crawl" in groups:
        lines += ["### Live crawl (fixture site on 127.0.0.1)", "", *_table(groups["crawl"], True)]
        lines.append("")
    if "floors" in groups:
        lines += [
            "### Floors (measured in the same run)",
            "",
            "What each case cannot cost less than on this machine: a fresh interpreter; "
            "one importing exactly the modules a run of the case imported, and nothing "
            "else; `feeds publish` rendering, checking and writing every file of the cold "
            "case's state again, with no source read; one `stat` per dump file.",
            "",
            *_table(groups["floors"], False, with_targets=False, with_bounds=True),
            "",
        ]
    extras = _extras(groups.get("dumps", []) + groups.get("crawl", []))
    if extras:
        lines += [*extras, ""]
    if "serve" in groups:
        lines += ["### Serving (conditional GET → 304, 50 connections)", ""]
        for row in groups["serve"]:
            lines += _serve(row)
        lines.append("")
    if "reference" in groups:
        lines += [
            "### Reference: RSS-Bridge on the same fixture site",
            "",
            *_table(groups["reference"], True, with_targets=False),
            "",
            *against_reference(results.rows),
        ]
    if results.profiles:
        lines += ["### Where the time goes (py-spy)", ""]
        for profile in results.profiles:
            lines += _profile(profile)
    notes = _notes(results)
    if notes:
        lines += ["### Notes", "", *[f"- {note}" for note in notes], ""]
    return lines


def _bound(profiles: dict[str, Profile], case: str) -> str:
    profile = profiles.get(case)
    where = ""
    if profile is None:
        # Profiled at a smaller size when the case's own size did not finish.
        profile = profiles.get(case + "-at-other-size")
        where = f" ({profile.case})" if profile else ""
    if profile is None or not profile.samples:
        return "not profiled at this size"
    calls = [(f, share) for f, p, share in profile.inclusive if f != "refresh"][:4]
    text = ", ".join(f"`{f}` {share:.0%}" for f, share in calls)
    return f"{text}; imports {profile.imports:.0%}{where}"


def glance(results: Results) -> list[str]:
    """Each judged target of a run with its median, verdict and where the time went."""
    profiles = {p.row: p for p in results.profiles if p.row}
    lines = [
        f"## Against the targets ({results.scale} scale, {results.date})",
        "",
        "| case | size | target | today (median) | verdict | most samples in (py-spy) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in sorted(results.rows, key=lambda r: GROUPS.index(r.group)):
        for target, value, met in row.verdicts():
            today = _s(value, 0 if target.metric.endswith("requests") else 2)
            verdict = "–" if met is None else ("met" if met else "**missed**")
            if row.status != "ok":
                # A run stopped at the time limit still gives lower bounds.
                today = "–" if value is None else f"≥ {today}"
                verdict = f"{'**missed**, ' if met is False else ''}{row.status}: {row.note}"
            lines.append(
                f"| {row.label} | {row.size_text} | {target.text} | {today} | {verdict} | "
                f"{_bound(profiles, row.case)} |"
            )
    return [*lines, "", *floors_under_targets(results.rows)]


def render(results: list[Results], preamble: str) -> str:
    ordered = sorted(results, key=lambda r: ORDER.index(r.scale) if r.scale in ORDER else 9)
    lines = [preamble.rstrip(), ""]
    for item in [r for r in ordered if r.scale == "full"] or ordered[-1:]:
        lines += glance(item)
    for item in ordered:
        lines += section(item)
    return "\n".join(lines).rstrip() + "\n"


def write_benchmarks(preamble: str) -> Path:
    found = [load(path) for path in sorted(RESULTS.glob("*.json"))]
    BENCHMARKS.write_text(render(found, preamble), encoding="utf-8")
    return BENCHMARKS


def python_version() -> str:
    return sys.version.split()[0]
