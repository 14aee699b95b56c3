"""Per-source health and drift detection.

Each run is compared with the source's own recent history.  A source that suddenly shows
nothing, or far less than usual, or whose pages stop yielding dates or bodies, has most
likely changed its markup: the run says so loudly, and the refresh keeps the source's last
good releases instead of publishing what it got this time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from feeds.model import HealthStatus, SourceHealth

#: Runs of history needed before drift is judged.
MIN_HISTORY = 1
#: A source yielding less than this share of its usual item count has drifted.
ITEM_DROP = 0.5
#: A fall of this much in the share of dated / bodied articles is drift.
QUALITY_DROP = 0.4
#: Healthy runs a run is compared with.
COMPARED_RUNS = 5


@dataclass(frozen=True)
class RunFigures:
    """What one run of a source showed, as drift detection needs it."""

    #: Release references the source shows now (files, listing items, feed items).
    items: int
    #: Documents parsed this run, and how many had a date and a body.
    parsed: int = 0
    with_date: int = 0
    with_body: int = 0
    #: Problems this run (any), and whether a download failed (which alone explains a
    #: short count: that run failed, it says nothing about the site's markup).
    problems: int = 0
    download_failed: bool = False


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def assess(run: RunFigures, history: Sequence[SourceHealth]) -> SourceHealth:
    """Judge one run against the source's previous healthy runs (newest first)."""
    date_share = _share(run.with_date, run.parsed)
    body_share = _share(run.with_body, run.parsed)
    good = [h for h in history if h.status is HealthStatus.OK][:COMPARED_RUNS]
    message = ""
    if len(good) >= MIN_HISTORY:
        usual = median(h.items for h in good)
        if usual > 0 and run.items == 0 and not run.download_failed:
            message = f"yielded nothing (usually {usual:g} items): has the site changed?"
        elif usual > 0 and run.items < usual * ITEM_DROP and not run.download_failed:
            message = f"yielded {run.items} items (usually {usual:g}): has the site changed?"
        else:
            message = _quality_drop(run, good, date_share, body_share)
    if message:
        return SourceHealth(HealthStatus.DRIFT, run.items, date_share, body_share, message)
    if run.problems:
        return SourceHealth(
            HealthStatus.FAILED, run.items, date_share, body_share, f"{run.problems} problem(s)"
        )
    return SourceHealth(HealthStatus.OK, run.items, date_share, body_share)


def _quality_drop(
    run: RunFigures,
    good: Sequence[SourceHealth],
    date_share: float | None,
    body_share: float | None,
) -> str:
    for name, now, before in (
        ("a date", date_share, [h.date_share for h in good]),
        ("a body", body_share, [h.body_share for h in good]),
    ):
        known = [b for b in before if b is not None]
        if now is not None and known and run.parsed >= 3:
            usual_share = median(known)
            if usual_share - now >= QUALITY_DROP:
                return (
                    f"only {now:.0%} of its articles have {name} (usually "
                    f"{usual_share:.0%}): has the site changed?"
                )
    return ""


def usual_items(history: Sequence[SourceHealth]) -> int:
    """The item count of the last healthy run (0 when there is none)."""
    good = [h for h in history if h.status is HealthStatus.OK]
    return good[0].items if good else 0


def median(values: Iterable[float]) -> float:
    """The middle value (the mean of the two middle ones for an even count), as
    ``statistics.median`` gives it: that module loads fractions and decimal, a few
    milliseconds of every run, for a median of a few numbers."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no median of nothing")
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
