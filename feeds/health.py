"""Per-source health and drift detection.

Each run is compared with the source's own recent history.  A source that suddenly
shows nothing, or far less than usual, or whose pages stop yielding dates or bodies,
has most likely changed its markup: the run says so loudly, and the refresh keeps the
source's last good releases instead of publishing what it got this time.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from feeds.errors import FetchError
from feeds.sources.base import SourceRun

#: Runs of history needed before drift is judged.
MIN_HISTORY = 1
#: A source yielding less than this share of its usual item count has drifted.
ITEM_DROP = 0.5
#: A fall of this much in the share of dated / bodied articles is drift.
QUALITY_DROP = 0.4


@dataclass(frozen=True)
class SourceHealth:
    status: str  # "ok", "failed" (errors) or "drift"
    items: int
    date_share: float | None
    body_share: float | None
    message: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def assess(run: SourceRun, history: Sequence[dict[str, Any]]) -> SourceHealth:
    """Judge one run against the source's previous healthy runs (newest first)."""
    date_share = _share(run.with_date, run.parsed)
    body_share = _share(run.with_body, run.parsed)
    good = [h for h in history if h.get("status") == "ok"][:5]
    # A download that failed (host down, HTTP error) explains a short count by itself:
    # that run failed, it says nothing about the site's markup.
    incomplete = any(isinstance(p, FetchError) for p in run.problems)
    message = ""
    if len(good) >= MIN_HISTORY:
        usual = statistics.median(h["items"] for h in good)
        if usual > 0 and run.items == 0 and not incomplete:
            message = f"yielded nothing (usually {usual:g} items): has the site changed?"
        elif usual > 0 and run.items < usual * ITEM_DROP and not incomplete:
            message = f"yielded {run.items} items (usually {usual:g}): has the site changed?"
        else:
            for name, now in (("a date", date_share), ("a body", body_share)):
                before = [
                    h[f"{name[2:]}_share"] for h in good if h.get(f"{name[2:]}_share") is not None
                ]
                if now is not None and before and run.parsed >= 3:
                    usual_share = statistics.median(before)
                    if usual_share - now >= QUALITY_DROP:
                        message = (
                            f"only {now:.0%} of its articles have {name} (usually "
                            f"{usual_share:.0%}): has the site changed?"
                        )
                        break
    if message:
        return SourceHealth("drift", run.items, date_share, body_share, message)
    if run.problems:
        return SourceHealth(
            "failed", run.items, date_share, body_share, f"{len(run.problems)} problem(s)"
        )
    return SourceHealth("ok", run.items, date_share, body_share)
