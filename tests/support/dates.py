"""What a parsed release says of its date, as golden files write it."""

from __future__ import annotations

import datetime as dt

from feeds.model import DateOrigin, Release


def own_date(release: Release) -> dt.date | None:
    """The release's own date (a date line, a page's date element), else None."""
    return release.date if release.date_origin.own else None


def stated_date(release: Release) -> dt.date | None:
    """The date a teaser states: its own date line, or the date phrase opening it."""
    if release.date_origin.own or release.date_origin is DateOrigin.LEAD:
        return release.date
    return None
