"""Run one command and measure it: wall time, CPU time and peak memory of its tree.

* CPU: ``os.wait4`` returns the child's resource usage, which includes every
  descendant it waited for; user + sys is the figure.
* Peak memory: a thread samples ``/proc`` every few milliseconds and adds up the memory
  of the child and all its descendants (``/proc/PID/task/*/children``): each process's
  proportional set size (``smaps_rollup``'s Pss), so pages that forked workers share
  with their parent count once, not once per process (resident size where Pss is not
  available).  The child's ``ru_maxrss`` is not used: Linux carries the high-water
  mark of the image a process replaces at ``exec`` into it, so it would report the
  harness's own size for every run once the harness has grown.
* Files written: files under a folder that are new or whose mtime changed.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
SAMPLE_EVERY = 0.005


@dataclass(frozen=True)
class Measurement:
    wall: float
    user: float
    sys: float
    peak_rss_mib: float
    returncode: int
    stderr: str
    timed_out: bool = False

    @property
    def cpu(self) -> float:
        return self.user + self.sys


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found.extend(int(p) for p in handle.read().split())
        except OSError:
            continue
    return found


def tree_rss(root: int) -> int:
    """Bytes of memory ``root`` and every descendant alive now use (shared pages
    divided among the processes sharing them)."""
    total = 0
    stack = [root]
    while stack:
        pid = stack.pop()
        used = _process_memory(pid)
        if used is None:
            continue
        total += used
        stack.extend(_children(pid))
    return total


def _process_memory(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    try:
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * PAGE_SIZE
    except (OSError, IndexError, ValueError):
        return None


class _Sampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, tree_rss(self.pid))
            self.done.wait(SAMPLE_EVERY)


def run(
    command: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> Measurement:
    """Run ``command`` to its end (or ``timeout``) and measure it."""
    with tempfile.TemporaryFile() as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        sampler = _Sampler(process.pid)
        sampler.start()
        timed_out = False
        deadline = None if timeout is None else started + timeout
        while True:
            # Poll with WNOHANG so a timeout can end the run; wait4 reaps the child
            # and hands back its rusage in the same call.
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if deadline is not None and time.perf_counter() > deadline and not timed_out:
                timed_out = True
                process.kill()
            time.sleep(0.002)
        wall = time.perf_counter() - started
        sampler.done.set()
        sampler.join()
        process.returncode = os.waitstatus_to_exitcode(status)
        stderr.seek(0)
        text = stderr.read().decode("utf-8", "replace")
    peak = sampler.peak
    return Measurement(
        wall=wall,
        user=usage.ru_utime,
        sys=usage.ru_stime,
        peak_rss_mib=peak / (1024 * 1024),
        returncode=process.returncode,
        stderr=text[-4000:],
        timed_out=timed_out,
    )


def mtimes(folder: Path) -> dict[str, int]:
    """Relative path -> mtime (ns) of every file under ``folder``."""
    if not folder.exists():
        return {}
    found = {}
    for path in folder.rglob("*"):
        if path.is_file():
            found[str(path.relative_to(folder))] = path.stat().st_mtime_ns
    return found


def files_written(before: Mapping[str, int], after: Mapping[str, int]) -> int:
    return sum(1 for name, mtime in after.items() if before.get(name) != mtime)
