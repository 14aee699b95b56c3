"""Two sightings of one release: which version wins, and what each adds."""

from __future__ import annotations

from dataclasses import replace

from feeds.model import DateOrigin, Release, ReleaseKind

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

    A full article beats a teaser; among full versions the higher-ranked source wins, and
    an equal rank takes the newer sighting (an edit) unless ``older`` says the incoming
    copy was made before the stored one.  Facts the winner lacks (URL, date) are kept
    from the other.
    """
    if stored.kind is ReleaseKind.BRIEF and incoming.kind is ReleaseKind.FULL:
        winner, other, new_rank = incoming, stored, rank
    elif stored.kind is ReleaseKind.FULL and incoming.kind is ReleaseKind.BRIEF:
        winner, other, new_rank = stored, incoming, stored_rank
    elif stored.kind is ReleaseKind.BRIEF:
        winner, other, new_rank = stored, incoming, max(stored_rank, rank)
    elif rank > stored_rank or (rank == stored_rank and not older):
        winner, other, new_rank = incoming, stored, rank
    else:
        winner, other, new_rank = stored, incoming, stored_rank
    merged = winner
    if merged.url is None and other.url is not None and other.kind is ReleaseKind.FULL:
        merged = replace(merged, url=other.url)
    if (merged.date is None and other.date is not None) or (
        merged.date is not None
        and other.date is not None
        and trust(other.date_origin) < trust(merged.date_origin)
        and other.kind is ReleaseKind.FULL
    ):
        merged = replace(merged, date=other.date, date_origin=other.date_origin)
    if merged.published_at is None and other.published_at is not None:
        merged = replace(merged, published_at=other.published_at)
    return merged, new_rank
