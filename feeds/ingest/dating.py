"""The instants an entry is published and updated at.

``published``: an exact timestamp (an upstream feed's) on the release's own day is used as
it is.  A release's own calendar date is published at the instant it was first seen
when that is on its own day (a refresh caught it live), else at noon in the site's zone,
so that readers from UTC-8 to UTC+12 show its own day.  An estimated date is published at
noon too, but never later than the release was first seen; with no date at all, the
release is published when it was first seen.

``updated``: the second of the change, unique among entries.  Changes made in the same run
(or at the same second) step back by a second each, so no instant is ever later than the
run that set it.  Whole seconds: feed readers drop fractions, and two entries a fraction
apart would share an instant for them.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from feeds.model import Release
from feeds.store.interface import Releases

NOON = dt.time(12)
TICK = dt.timedelta(seconds=1)


def published_instant(
    release: Release, first_seen: dt.datetime, zone: zoneinfo.ZoneInfo
) -> dt.datetime:
    stamp = release.published_at
    if release.date is None or (
        stamp is not None and stamp.astimezone(zone).date() == release.date
    ):
        # An exact time on the release's own day (an upstream feed's), or no date at all.
        return stamp if stamp is not None else first_seen
    if release.date_origin.own and first_seen.astimezone(zone).date() == release.date:
        return first_seen.astimezone(zone)
    noon = dt.datetime.combine(release.date, NOON, tzinfo=zone)
    if not release.date_origin.own and noon > first_seen:
        return first_seen.astimezone(zone)
    return noon


class UpdatedClock:
    """Hands out ``updated`` instants that no two entries share."""

    def __init__(self, releases: Releases) -> None:
        self.releases = releases
        #: For each moment of this run, the instant below the last one handed out.
        self._below: dict[dt.datetime, dt.datetime] = {}
        #: For each moment of this run, the instants handed out at it.
        self._handed: dict[dt.datetime, set[dt.datetime]] = {}

    def next(self, moment: dt.datetime, own: dt.datetime | None = None) -> dt.datetime:
        """A free instant at or before ``moment`` (``own``, the entry's current one, is
        free for it), after ``own``: a change moves an entry forward."""
        moment = moment.replace(microsecond=0)
        handed = self._handed.setdefault(moment, set())
        if own is not None and own in handed:
            # Changed again at the same moment: the instant it got for it still holds.
            return own
        candidate = self._below.get(moment, moment)
        while candidate != own and self.releases.updated_taken(candidate):
            candidate -= TICK
        if own is not None and candidate < own:
            # The clock has not moved past this entry's last change (a clock reused):
            # the first free instant after it, never later than the moment; else it stays.
            candidate = own + TICK
            while candidate <= moment and self.releases.updated_taken(candidate):
                candidate += TICK
            if candidate > moment:
                return own
            handed.add(candidate)
            return candidate
        self._below[moment] = candidate - TICK
        handed.add(candidate)
        return candidate

    def forget(self) -> None:
        """After a rollback the instants handed out are free again."""
        self._below.clear()
        self._handed.clear()
