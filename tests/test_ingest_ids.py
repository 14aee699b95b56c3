"""Permanent ids and release page names."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from feeds.ingest.ids import mint_id, page_paths, slugify


def test_mint_id_is_a_stable_tag_uri() -> None:
    first = mint_id("feeds", dt.date(2026, 3, 1), "some key")
    assert first == mint_id("feeds", dt.date(2026, 3, 1), "some key")
    assert first.startswith("tag:feeds,2026-03-01:release/")
    assert len(first.rsplit("/", 1)[1]) == 16
    assert mint_id("feeds", dt.date(2026, 3, 1), "some key", attempt=1) != first
    assert mint_id("feeds", dt.date(2026, 3, 1), "other key") != first
    assert mint_id("press", dt.date(2026, 3, 2), "some key").startswith("tag:press,2026-03-02:")


def test_slugify() -> None:
    assert slugify("Meeting of the CSTO Collective Security Council begins") == (
        "meeting-of-the-csto-collective-security-council-begins"
    )
    assert slugify("Заседание Совета ОДКБ") == "zasedanie-soveta-odkb"
    assert slugify("“ ” …") == "release"
    long = slugify("word " * 30)
    assert len(long) <= 60 and not long.endswith("-") and long.startswith("word-word")


def test_page_path_is_in_the_month_of_the_release_in_the_site_zone() -> None:
    moscow = zoneinfo.ZoneInfo("Europe/Moscow")
    late = dt.datetime(2024, 5, 31, 22, 30, tzinfo=dt.UTC)  # already June in Moscow
    names = page_paths("A meeting", late, "tag:feeds,2024-06-01:release/abcdef123456", moscow)
    assert names == [
        "releases/2024/06/a-meeting-abcdef.html",
        "releases/2024/06/a-meeting-abcdef12.html",
        "releases/2024/06/a-meeting-abcdef1234.html",
        "releases/2024/06/a-meeting-abcdef123456.html",
    ]
