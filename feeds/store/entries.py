"""Reading entries as publishing and the commands see them: whole, in feed order."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from typing import Any

from feeds.model import Entry, ReleaseKind, Sighting
from feeds.store.codec import release_from_json
from feeds.store.database import Database
from feeds.store.interface import Placement

_ENTRY = "id, release, section, extra_sections, published, updated, first_seen, page_path, hidden"


def iso(moment: dt.datetime) -> str:
    """The stored form of an instant: UTC with microseconds and a "Z"
    (``2024-07-25T09:00:00.000000Z``), so that the text sorts as time does."""
    return moment.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_iso(text: str) -> dt.datetime:
    # fromisoformat reads the stored form (with its "Z") many times faster than strptime.
    moment = dt.datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


class EntryReader:
    def __init__(self, database: Database, zone: zoneinfo.ZoneInfo) -> None:
        self.db = database
        #: Published instants are shown in the site's zone.
        self.zone = zone

    def entries(self, *, include_hidden: bool = False) -> list[Entry]:
        """Every stored entry, newest first (published, then id)."""
        where = "" if include_hidden else " WHERE hidden=0"
        rows = self.db.execute(
            f"SELECT {_ENTRY} FROM entries{where} ORDER BY published DESC, id DESC"
        )
        return [self._entry(row) for row in rows]

    def changed(self) -> list[Entry]:
        """Entries (hidden ones too) holding a change the output does not show yet."""
        rows = self.db.execute(f"SELECT {_ENTRY} FROM entries WHERE changed=1 ORDER BY id")
        return [self._entry(row) for row in rows]

    def mark_shown(self, entry_ids: Iterable[str] | None = None) -> None:
        """The output shows these entries as they are now (all entries when None)."""
        if entry_ids is None:
            self.db.execute("UPDATE entries SET changed=0 WHERE changed=1")
            return
        self.db.connection.executemany(
            "UPDATE entries SET changed=0 WHERE id=?", [(i,) for i in entry_ids]
        )

    def by_ids(self, entry_ids: Iterable[str]) -> dict[str, Entry]:
        """The entries with these ids (hidden ones too); unknown ids are left out."""
        found: dict[str, Entry] = {}
        wanted = list(dict.fromkeys(entry_ids))
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.db.execute(
                f"SELECT {_ENTRY} FROM entries WHERE id IN ({marks})", chunk
            ):
                entry = self._entry(row)
                found[entry.id] = entry
        return found

    def placements(self) -> Iterator[Placement]:
        """Every entry's place (hidden ones too), read without decoding its release."""
        rows = self.db.execute(
            "SELECT id, section, extra_sections, hidden, published, updated, page_path "
            "FROM entries ORDER BY seq"
        )
        for row in rows.fetchall():
            yield Placement(
                id=row[0],
                section=row[1],
                extra_sections=tuple(json.loads(row[2])),
                hidden=bool(row[3]),
                published=parse_iso(row[4]),
                updated=parse_iso(row[5]),
                page_path=row[6],
            )

    def entry(self, entry_id: str) -> Entry | None:
        row = self.db.execute(f"SELECT {_ENTRY} FROM entries WHERE id=?", (entry_id,)).fetchone()
        if row is None:
            return None
        sightings = tuple(
            Sighting(
                source=s[0],
                locator=s[1],
                kind=ReleaseKind(s[2]),
                first_seen=parse_iso(s[3]),
                last_seen=parse_iso(s[4]),
                content_hash=s[5],
            )
            for s in self.db.execute(
                "SELECT source, locator, kind, first_seen, last_seen, content_hash "
                "FROM sightings WHERE entry_id=? ORDER BY first_seen, source, locator",
                (entry_id,),
            )
        )
        return replace(self._entry(row), sightings=sightings)

    def _entry(self, row: Sequence[Any]) -> Entry:
        return Entry(
            id=row[0],
            release=release_from_json(row[1]),
            section=row[2],
            extra_sections=tuple(json.loads(row[3])),
            published=parse_iso(row[4]).astimezone(self.zone),
            updated=parse_iso(row[5]),
            first_seen=parse_iso(row[6]),
            page_path=row[7],
            hidden=bool(row[8]),
        )
