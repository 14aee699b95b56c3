"""Where a refresh spends its time: py-spy samples of one run, summarised.

py-spy (``pip install py-spy`` in the venv; not a dependency of the package) samples
the child from outside, so the run is the same command as the measured ones.  The
summary keeps the functions with the most samples at the top of the stack (self
time), the files they are in, and the package's own functions with the most samples
anywhere on the stack (inclusive time).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

FRAME = re.compile(r"^(?P<func>.*) \((?P<file>.*?)(?::\d+)?\)$")
TOP = 8
#: Frames on every stack of a refresh: they say nothing about where time goes.
ENTRY = {
    ("main", "feeds/cli.py"),
    ("cmd_refresh", "feeds/cli.py"),
    ("<module>", "feeds/__main__.py"),
}


@dataclass
class Profile:
    case: str
    #: The case group it profiles (dumps, crawl), so a partial run can keep the others.
    group: str = ""
    #: The result row it explains (``dumps-cold``, ...).
    row: str = ""
    samples: int = 0
    #: (function, file, share of samples) by self time.
    self_time: list[tuple[str, str, float]] = field(default_factory=list)
    #: (file, share) by self time.
    files: list[tuple[str, float]] = field(default_factory=list)
    #: (function, file, share) of the package's functions, by inclusive time.
    inclusive: list[tuple[str, str, float]] = field(default_factory=list)
    #: Share of samples spent importing modules (start-up).
    imports: float = 0.0
    note: str = ""


def py_spy() -> str | None:
    beside = Path(sys.executable).with_name("py-spy")
    if beside.exists():
        return str(beside)
    found = shutil.which("py-spy")
    if found:
        return found
    # A measuring tool for this harness only, so it goes into the running venv.
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "py-spy"], capture_output=True, check=False
    )
    return str(beside) if beside.exists() else None


def _frame(text: str) -> tuple[str, str]:
    match = FRAME.match(text.strip())
    if match is None:
        return text.strip(), ""
    return match["func"], match["file"]


def summarise(case: str, raw: str, group: str = "") -> Profile:
    """Summarise py-spy's raw (collapsed stacks) output."""
    own: Counter[tuple[str, str]] = Counter()
    files: Counter[str] = Counter()
    anywhere: Counter[tuple[str, str]] = Counter()
    total = 0
    importing = 0
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_frame(f) for f in stack.split(";")]
        total += count
        importing += count if any(f[1].startswith("<frozen importlib") for f in frames) else 0
        own[frames[-1]] += count
        files[frames[-1][1]] += count
        for frame in set(frames):
            if frame[1].startswith("feeds/"):
                anywhere[frame] += count
    profile = Profile(case, group, samples=total)
    profile.imports = importing / total if total else 0.0
    if not total:
        profile.note = "no samples"
        return profile
    profile.self_time = [(f, p, n / total) for (f, p), n in own.most_common(TOP)]
    profile.files = [(p, n / total) for p, n in files.most_common(TOP)]
    profile.inclusive = [
        (f, p, n / total) for (f, p), n in anywhere.most_common() if (f, p) not in ENTRY
    ][:TOP]
    return profile


def record(
    case: str,
    group: str,
    command: Sequence[str],
    cwd: Path,
    out: Path,
    timeout: float | None,
    row: str = "",
) -> Profile:
    tool = py_spy()
    if tool is None:
        return Profile(case, group, row, note="py-spy could not be installed")
    out.unlink(missing_ok=True)
    try:
        result = subprocess.run(
            [
                tool,
                "record",
                "--rate",
                "250",
                "--format",
                "raw",
                "--output",
                str(out),
                "--",
                *command,
            ],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        note = f"the profiled run did not finish within {timeout:.0f} s"
        return Profile(case, group, row, note=note)
    if not out.exists():
        return Profile(case, group, row, note=f"py-spy failed: {result.stderr.strip()[-300:]}")
    profile = summarise(case, out.read_text(encoding="utf-8", errors="replace"), group)
    profile.row = row
    return profile
