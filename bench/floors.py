"""Floors: what a case cannot cost less than on this machine, measured in the same run.

A target below its floor cannot be met by any change to feeds' own work, only by doing
without what the floor measures.  Each floor runs in a child process like the cases:

* **interpreter**: ``python -c pass``.
* **start-up**: a fresh interpreter importing exactly the modules one run of a case
  imported (read from that run's ``-X importtime`` report) and doing nothing else: the
  libraries' modules alone, a floor no change to feeds lowers short of dropping a
  library; then with the package's own, what loading feeds' code (its classes and
  module-level patterns) adds.
* **rendering**: ``feeds publish`` of the cold case's state with its output folder
  emptied first: every file rendered, checked and written again, with no source read and
  nothing parsed or stored.
* **listing**: one ``stat`` per dump file of the largest corpus, in a bare interpreter:
  what noticing a changed file costs when every file has to be looked at.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench import measure
from bench.cases import CONFIG_CACHE, Failed, Row, Run, repeat

GROUP = "floors"
#: The package whose own modules a start-up floor counts apart.
PACKAGE = "feeds"

#: Imports a start-up floor must not repeat: running the package's entry point would do
#: the work, not only load it.
_NOT_IMPORTED = ("__main__",)

_IMPORT_ALL = """\
import importlib, sys
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except Exception:
        pass
"""

_STAT_ALL = """\
import os, sys
for folder in sys.argv[1:]:
    with os.scandir(folder) as entries:
        for entry in entries:
            os.stat(entry.path)
"""


def modules_in(importtime_report: str) -> list[str]:
    """The modules an ``-X importtime`` report lists, in the order their imports ended
    (each once)."""
    found: dict[str, None] = {}
    for line in importtime_report.splitlines():
        if not line.startswith("import time:"):
            continue
        name = line.rsplit("|", 1)[-1].strip()
        if not name or name == "imported package":
            continue
        if name in _NOT_IMPORTED or name.endswith(".__main__"):
            continue
        found[name] = None
    return list(found)


def imported_by(
    command: Sequence[str], cwd: Path, env: Mapping[str, str], timeout: float | None
) -> list[str]:
    """The modules one run of ``command`` (``python ...``) imports."""
    traced = [command[0], "-X", "importtime", *command[1:]]
    try:
        result = subprocess.run(
            traced, cwd=cwd, env=dict(env), capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        raise Failed(f"the run under -X importtime took over {timeout:.0f} s") from None
    if result.returncode not in (0, 1):
        raise Failed(f"the run under -X importtime ended with exit {result.returncode}")
    return modules_in(result.stderr)


@dataclass(frozen=True)
class Floor:
    """Where a floor is measured and what it lies under."""

    size: int
    size_text: str
    #: The target (case and limit) the floor lies under.
    bounds: str
    runs: int
    timeout: float | None
    log: Callable[[str], None] = print


def interpreter(floor: Floor) -> Row:
    """A bare interpreter's start and exit."""
    command = [sys.executable, "-c", "pass"]
    return _measure("floor-python", "interpreter: python -c pass", floor, _command(command, floor))


def start_up(case: str, modules: Sequence[str], of: str, floor: Floor) -> list[Row]:
    """Importing the modules one run of the case ``of`` imported, nothing run: first the
    libraries' alone (the standard library's and the dependencies'), then with the
    package's own."""
    libraries = [m for m in modules if not _own(m)]
    return [
        _measure(
            key,
            f"start-up of {of}: importing {label}",
            floor,
            _command([sys.executable, "-c", _IMPORT_ALL, *names], floor),
        )
        for key, names, label in (
            (f"{case}-libraries", libraries, f"its {len(libraries)} library modules"),
            (case, modules, f"those and its {len(modules) - len(libraries)} own"),
        )
    ]


def _own(module: str) -> bool:
    return module == PACKAGE or module.startswith(PACKAGE + ".")


def rendering(config: Path, floor: Floor) -> Row:
    """``feeds publish`` of the state beside ``config``, every file written anew."""
    project = config.parent
    env = {**os.environ, "XDG_CACHE_HOME": str(project / CONFIG_CACHE)}
    command = [sys.executable, "-m", "feeds", "publish", "-c", str(config), "--quiet"]

    def step(number: int) -> tuple[Run, measure.Measurement]:
        shutil.rmtree(project / "output", ignore_errors=True)
        result = measure.run(command, cwd=project, env=env, timeout=floor.timeout)
        written = measure.files_written({}, measure.mtimes(project / "output"))
        return Run.of(result, written), result

    label = "rendering alone: feeds publish of the cold case's state"
    return _measure("floor-render", label, floor, step)


def listing(folders: Sequence[Path], floor: Floor) -> Row:
    """One ``stat`` per file of ``folders``."""
    command = [sys.executable, "-c", _STAT_ALL, *map(str, folders)]
    label = "listing alone: one stat per dump file"
    return _measure(f"floor-listing-{floor.size}", label, floor, _command(command, floor))


def _measure(
    case: str, label: str, floor: Floor, step: Callable[[int], tuple[Run, measure.Measurement]]
) -> Row:
    row = Row(case, GROUP, label, floor.size, floor.size_text)
    row.extra["bounds"] = floor.bounds
    try:
        repeat(row, floor.runs, step, floor.log)
    except Failed as exc:
        floor.log(f"  stopped: {exc}")
    return row


def _command(
    command: Sequence[str], floor: Floor
) -> Callable[[int], tuple[Run, measure.Measurement]]:
    def step(number: int) -> tuple[Run, measure.Measurement]:
        result = measure.run(command, timeout=floor.timeout)
        return Run.of(result), result

    return step
