"""A real SQLite state with an ingestor, for tests of identity decisions."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

from feeds.ingest import Ingestor, IngestResult, Origin
from feeds.model import Entry, Release, Section, Site
from feeds.publish.plan import Planner
from feeds.sections import SectionRules, feed_ids
from feeds.store import Store

SITE = Site(
    title="CSTO releases",
    url="https://en.odkb-csto.org/",
    public_url="https://feeds.example.org/csto/",
)
SECTIONS = (
    Section(id="news", title="CSTO news", default=True),
    Section(id="joint-staff", title="Joint Staff", match=(r"\bJoint Staff\b",)),
)


class State:
    """A state file under test: ingest releases, read entries back."""

    def __init__(self, path: Path, site: Site = SITE) -> None:
        self.store = Store.open(path, timezone=site.timezone)
        self.ingestor = Ingestor(self.store.releases, site, SectionRules(SECTIONS))
        self.zone = zoneinfo.ZoneInfo(site.timezone)

    def close(self) -> None:
        self.store.close()

    def transaction(self) -> AbstractContextManager[None]:
        return self.store.transaction()

    def ingest(
        self,
        release: Release,
        locator: str,
        now: dt.datetime,
        *,
        source_type: str = "dump",
        observed: dt.date | None = None,
    ) -> IngestResult:
        origin = Origin("dumps", source_type, locator, observed=observed)
        with self.store.transaction():
            return self.ingestor.ingest(release, origin, now)

    def entry(self, entry_id: str) -> Entry | None:
        return self.store.releases.entry(entry_id)

    def entries(self, *, include_hidden: bool = False) -> list[Entry]:
        return self.store.releases.entries(include_hidden=include_hidden)

    def set_hidden(self, entry_id: str, hidden: bool) -> bool:
        return self.store.releases.set_hidden(entry_id, hidden)

    def assign_archives(self, feed_size: int) -> None:
        """What publishing does to the state: place changed entries, archive overflow."""
        Planner(self.store.feeds, self.store.releases, feed_ids(SECTIONS), feed_size).changes()
        self.store.releases.mark_shown()

    def archive_seqs(self, feed: str) -> dict[str, int]:
        rows = self.store.database.execute(
            "SELECT entry_id, seq FROM archives WHERE feed=?", (feed,)
        )
        return {r[0]: r[1] for r in rows}


def opened(path: Path) -> Iterator[State]:
    state = State(path)
    try:
        yield state
    finally:
        state.close()
