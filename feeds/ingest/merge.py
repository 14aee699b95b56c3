"""Two sightings of one release: which version wins, and what each adds."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from feeds.model import DateOrigin, Release, ReleaseKind, estimate

#: How much a source's copy of an article is trusted: live page > upstream feed > dump.
SOURCE_RANK = {"dump": 1, "feed": 2, "html": 3}
_TRUST = list(DateOrigin)


def trust(origin: DateOrigin) -> int:
    """Lower is more trusted (the order of :class:`DateOrigin`)."""
    return _TRUST.index(origin)


def merge_releases(
    stored: Release, stored_rank: int, incoming: Release, rank: int, *, older: bool = False
) -> tuple[Release, int]:
    """The better version of a release, keeping what each sighting knows.

    A full article beats a teaser; a full version with body text beats one without (a
    copy cut before its first paragraph); among full versions the higher-ranked source
    wins, and an equal rank takes the newer sighting (an edit) unless ``older`` says the
    incoming copy was made before the stored one.  Facts the winner lacks (URL, date) are
    kept from the other.
    """
    if stored.kind is ReleaseKind.BRIEF and incoming.kind is ReleaseKind.FULL:
        winner, other, new_rank = incoming, stored, rank
    elif stored.kind is ReleaseKind.FULL and incoming.kind is ReleaseKind.BRIEF:
        winner, other, new_rank = stored, incoming, stored_rank
    elif stored.kind is ReleaseKind.BRIEF:
        winner, other, new_rank = stored, incoming, max(stored_rank, rank)
    elif bool(stored.paragraphs) != bool(incoming.paragraphs):
        if stored.paragraphs:
            winner, other, new_rank = stored, incoming, stored_rank
        else:
            winner, other, new_rank = incoming, stored, rank
    elif rank > stored_rank or (rank == stored_rank and not older):
        winner, other, new_rank = incoming, stored, rank
    else:
        winner, other, new_rank = stored, incoming, stored_rank
    merged = winner
    if merged.title_derived and not other.title_derived:
        # A copy without a title line (its title made from the lead) takes the real one.
        merged = replace(merged, title=other.title, title_derived=False)
    if merged.url is None and other.url is not None and other.kind is ReleaseKind.FULL:
        merged = replace(merged, url=other.url)
    merged = _dated(merged, other)
    if merged.published_at is None and other.published_at is not None:
        merged = replace(merged, published_at=other.published_at)
    return merged, new_rank


def _dated(merged: Release, other: Release) -> Release:
    """The date both sightings together tell: an own date when either has one (the most
    trusted), else the best estimate from all the evidence of both."""
    if merged.date_origin.own or other.date_origin.own:
        if not merged.date_origin.own or (
            other.date_origin.own
            and trust(other.date_origin) < trust(merged.date_origin)
            and other.kind is ReleaseKind.FULL
        ):
            return replace(
                merged,
                date=other.date,
                date_origin=other.date_origin,
                date_after=None,
                date_before=None,
            )
        return merged
    after = _latest(merged.date_after, other.date_after)
    before = _earliest(merged.date_before, other.date_before)
    points = sorted(
        (trust(r.date_origin), r.date)
        for r in (merged, other)
        if r.date is not None and r.date_origin in (DateOrigin.LEAD, DateOrigin.MENTION)
    )
    date: dt.date | None
    if points:
        origin = _TRUST[points[0][0]]
        date = points[0][1]
    elif after is not None or before is not None:
        weakest = max((merged, other), key=lambda r: trust(r.date_origin))
        origin = (
            DateOrigin.HOST_PAGE
            if before is None and weakest.date_origin is DateOrigin.HOST_PAGE
            else DateOrigin.NEIGHBOURS
        )
        date = estimate(after, before)
    else:
        return merged
    return replace(merged, date=date, date_origin=origin, date_after=after, date_before=before)


def _latest(a: dt.date | None, b: dt.date | None) -> dt.date | None:
    return max(d for d in (a, b) if d is not None) if a or b else None


def _earliest(a: dt.date | None, b: dt.date | None) -> dt.date | None:
    return min(d for d in (a, b) if d is not None) if a or b else None
