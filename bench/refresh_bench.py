"""Benchmark: a full refresh, then an unchanged one, over N generated dumps.

    python bench/refresh_bench.py            # 1000 dumps
    python bench/refresh_bench.py --dumps 200

Each dump has the shape of the site's pages (sidebar teasers shared across dumps,
title, repeated title with date, body, signature, navigation).  Each refresh runs in a
child process, so its peak memory (max RSS) is its own.  Results go to stdout; the
numbers we measured are in bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CONFIG = """\
site: {title: Bench, url: "https://en.odkb-csto.org/", public_url: "https://feeds.example.org/b/"}
feed_size: 50
sections: [{id: news, title: News, default: true}]
sources: [{name: dumps, type: dump, paths: ["dumps/*.txt"]}]
"""

WORDS = (
    "security council member states meeting secretariat cooperation exercise forces "
    "delegation agenda session peacekeeping border region situation ministers defence "
    "consultations representatives organization collective treaty discussed agreed"
).split()


def sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def make_dump(index: int, teasers: list[str], rng: random.Random) -> str:
    day = dt.date(2015, 1, 1) + dt.timedelta(days=index * 3)
    title = f"Release {index}: the " + " ".join(rng.choice(WORDS) for _ in range(8))
    body = "\n\n".join(sentence(rng, rng.randint(30, 80)) for _ in range(rng.randint(3, 8)))
    sidebar = "\n\n\n".join(rng.sample(teasers, 3))
    return (
        f"{sidebar}\n\n{title}\n\n{title} {day:%d.%m.%Y}\n\n{body}\n\n"
        "The CSTO Press Secretary Vladimir Zaynetdinov\n\n"
        "Go back\n\nBack to the section\n\nBack to the all news"
    )


def timed_refresh(project: Path) -> tuple[float, int, int]:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "feeds", "refresh", "--quiet", "-c", str(project / "sources.yaml")],
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if result.returncode not in (0, 1):
        sys.stderr.write(result.stderr)
    return elapsed, result.returncode, peak_kib


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dumps", type=int, default=1000)
    args = parser.parse_args()
    rng = random.Random(5)
    teasers = [sentence(rng, rng.randint(25, 60)) for _ in range(30)]
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        (project / "dumps").mkdir()
        for index in range(args.dumps):
            (project / "dumps" / f"{index:05d}.txt").write_text(
                make_dump(index, teasers, rng), encoding="utf-8"
            )
        (project / "sources.yaml").write_text(CONFIG, encoding="utf-8")
        first, code1, peak = timed_refresh(project)
        second, code2, _ = timed_refresh(project)
        files = sum(1 for p in (project / "output").rglob("*") if p.is_file())
    print(f"dumps: {args.dumps}")
    print(f"first refresh: {first:.2f} s (exit {code1}), {files} output files")
    print(f"unchanged refresh: {second:.2f} s (exit {code2})")
    print(f"peak RSS of a refresh: {peak / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
