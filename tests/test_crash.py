"""Crash safety: a refresh killed at any moment leaves state and output usable.

Sixty dumps are generated from a template; each shows the leads of two others as
sidebar teasers, so killed runs leave teasers whose articles come later.  Runs are
killed with SIGKILL at seeded random moments across a run's duration, then one run goes
to completion and its result is compared with an uninterrupted run on a fresh copy.
"""

from __future__ import annotations

import datetime as dt
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import feedparser
import pytest

from tests.support.state import stored_entries

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data" / "refresh" / "crash"
COUNT = 60
KILLS = 25
SEED = 20260301
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]

# Three sources, so a killed run can leave some of them committed and others not.
CONFIG = """\
site:
  title: CSTO releases
  url: https://en.odkb-csto.org/
  public_url: https://feeds.example.org/csto/
  timezone: Europe/Moscow
output: output
state: state/feeds.sqlite
feed_size: 10
lock_timeout: 30
sections:
  - {id: news, title: CSTO news, default: true}
  - {id: medicine, title: Medicine, match: ['medicine']}
sources:
  - {name: first, type: dump, paths: ["dumps/0*.txt", "dumps/1*.txt"]}
  - {name: second, type: dump, paths: ["dumps/2*.txt", "dumps/3*.txt"]}
  - {name: third, type: dump, paths: ["dumps/4*.txt", "dumps/5*.txt"]}
"""


def make_project(root: Path, folder: str = "dumps") -> Path:
    """Write the config and COUNT dumps (into ``folder``); the same seed gives the same files."""
    rng = random.Random(SEED)
    words = (DATA / "words.txt").read_text(encoding="utf-8").split()
    template = (DATA / "template.txt").read_text(encoding="utf-8")
    leads: list[str] = []
    titles: list[str] = []
    days: list[dt.date] = []
    for n in range(COUNT):
        w = rng.sample(words, 6)
        day = dt.date(2025, 1, 1) + dt.timedelta(days=5 * n)
        days.append(day)
        leads.append(
            f"On {day.day} {MONTHS[day.month - 1]} {day.year}, experts on {w[0]}, {w[1]} and "
            f"{w[2]} met with specialists in {w[3]}, {w[4]} and {w[5]} (meeting {n + 1})."
        )
        titles.append(f"Experts on {w[0]} and {w[3]} held meeting {n + 1}")
    (root / folder).mkdir(parents=True)
    (root / "dumps").mkdir(exist_ok=True)
    for n in range(COUNT):
        text = template.format(
            teaser_a=leads[(n + 1) % COUNT],
            teaser_b=leads[(n + 7) % COUNT],
            title=titles[n],
            date=f"{days[n]:%d.%m.%Y}",
            lead=leads[n],
        )
        (root / folder / f"{n:02d}.txt").write_text(text, encoding="utf-8")
    config = root / "sources.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    return config


def command(config: Path) -> list[str]:
    return [sys.executable, "-m", "feeds", "refresh", "-c", str(config), "--quiet"]


def run_to_end(config: Path) -> float:
    started = time.monotonic()
    result = subprocess.run(command(config), cwd=REPO, capture_output=True, text=True, timeout=120)
    assert (result.returncode, result.stderr) == (0, "")
    return time.monotonic() - started


def summary(config: Path) -> tuple[dict[str, list[str]], list[tuple[str, str, str]]]:
    """Stored ids per feed, and (kind, title, published) of every release."""
    entries = stored_entries(config, include_hidden=True)
    feeds: dict[str, list[str]] = {"all": sorted(e.id for e in entries)}
    for entry in entries:
        for feed in (entry.section, *entry.extra_sections):
            feeds.setdefault(feed, []).append(entry.id)
    rows = sorted((e.release.kind.value, e.release.title, e.published.isoformat()) for e in entries)
    return {k: sorted(v) for k, v in feeds.items()}, rows


def check_output(config: Path, feeds: dict[str, list[str]]) -> None:
    output = config.parent / "output"
    assert sorted(p.name for p in output.rglob("*.tmp")) == []
    for path in sorted(output.rglob("*.xml")):
        assert feedparser.parse(path.read_bytes()).bozo == 0, path
    for feed, members in feeds.items():
        head = feedparser.parse((output / feed / "atom.xml").read_bytes()).entries
        assert len(head) == min(10, len(members)), feed
        assert len(feedparser.parse((output / feed / "rss.xml").read_bytes()).entries) == len(head)
        # The head feed plus its archive pages hold every release of the feed once.
        seen = [e.id for e in head]
        for page in sorted((output / feed).glob("archive/*.xml")):
            seen.extend(e.id for e in feedparser.parse(page.read_bytes()).entries)
        assert sorted(seen) == members, feed
    assert len(list((output / "releases").rglob("*.html"))) == COUNT


def test_killed_refreshes_recover(tmp_path: Path) -> None:
    reference = make_project(tmp_path / "reference")
    duration = run_to_end(reference)
    ref_feeds, ref_rows = summary(reference)
    assert len(ref_feeds["all"]) == len(set(ref_feeds["all"])) == COUNT
    assert sorted(ref_feeds) == ["all", "medicine", "news"]
    assert [kind for kind, _, _ in ref_rows] == ["full"] * COUNT

    # The crashed project receives the dumps a few at a time, in a shuffled order, so
    # that every killed run has work to do (reading, matching, publishing).
    config = make_project(tmp_path / "crashed", folder="incoming")
    rng = random.Random(SEED)
    incoming = sorted((config.parent / "incoming").glob("*.txt"))
    rng.shuffle(incoming)
    killed = 0
    for number in range(KILLS):
        for file in incoming[number * COUNT // KILLS : (number + 1) * COUNT // KILLS]:
            file.rename(config.parent / "dumps" / file.name)
        process = subprocess.Popen(
            command(config), cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(rng.uniform(0.05, duration))
        process.send_signal(signal.SIGKILL)
        killed += process.wait(timeout=30) == -signal.SIGKILL
    assert not list((config.parent / "incoming").iterdir())
    # Many kills landed while a run was working (the others after it had finished; a
    # few files per run take less time than the whole reference run).
    assert killed >= KILLS // 4
    run_to_end(config)
    feeds, rows = summary(config)
    assert len(feeds["all"]) == len(set(feeds["all"])) == COUNT
    assert {k: len(v) for k, v in feeds.items()} == {k: len(v) for k, v in ref_feeds.items()}
    # Same releases, same titles and dates, nothing lost or doubled.
    assert rows == ref_rows
    check_output(config, feeds)
    check_output(reference, ref_feeds)
    # A further run finds nothing to do.
    before = {p: p.stat().st_mtime_ns for p in (config.parent / "output").rglob("*")}
    run_to_end(config)
    assert {p: p.stat().st_mtime_ns for p in (config.parent / "output").rglob("*")} == before
