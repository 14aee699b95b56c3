"""The instants an entry is published and updated at."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from feeds.model import Release
from feeds.store.interface import Releases


def published_instant(
    release: Release, first_seen: dt.datetime, zone: zoneinfo.ZoneInfo
) -> dt.datetime:
    """The release's own date at midnight in the site's zone, its exact timestamp, or the
    time it was first seen."""
    if release.date is not None:
        return dt.datetime.combine(release.date, dt.time(), tzinfo=zone)
    if release.published_at is not None:
        return release.published_at
    return first_seen


class UpdatedClock:
    """Hands out ``updated`` instants that no two entries share.

    The rule is stable: the next free second at or after the moment of the change, and
    after the entry's own current ``updated`` (a change must move it forward).  Within
    one run it remembers where each search ended, so many entries created in the same
    second do not each walk the whole block again.
    """

    def __init__(self, releases: Releases) -> None:
        self.releases = releases
        self._skip: dict[int, int] = {}

    def next(self, moment: dt.datetime, own: dt.datetime | None = None) -> dt.datetime:
        second = int(moment.timestamp())
        if own is not None:
            second = max(second, int(own.timestamp()) + 1)
            # The entry gives its old second up: searches may end there again.
            self._skip.clear()
        walked: list[int] = []
        while self._taken(second):
            walked.append(second)
            second = max(self._skip.get(second, second + 1), second + 1)
        for visited in walked:
            self._skip[visited] = second + 1
        return dt.datetime.fromtimestamp(second, dt.UTC)

    def _taken(self, second: int) -> bool:
        return self.releases.updated_taken(dt.datetime.fromtimestamp(second, dt.UTC))

    def forget(self) -> None:
        """After a rollback the skips may point past seconds that are free again."""
        self._skip.clear()
