"""The site profile: packaged YAML, overridden from sources.yaml."""

from __future__ import annotations

import zoneinfo

import pytest

from feeds.errors import ConfigError
from feeds.profile import load_profile, merge


def test_merge_is_deep_and_replaces_lists() -> None:
    base = {"a": {"b": 1, "c": [1, 2]}, "d": 4}
    assert merge(base, {"a": {"c": [3]}, "e": 5}) == {"a": {"b": 1, "c": [3]}, "d": 4, "e": 5}
    assert base == {"a": {"b": 1, "c": [1, 2]}, "d": 4}


def test_the_site_zone_dates_page_timestamps_unless_the_profile_names_one() -> None:
    assert load_profile({}, "sources.yaml", timezone="Asia/Almaty").html.zone == (
        zoneinfo.ZoneInfo("Asia/Almaty")
    )
    overridden = load_profile(
        {"html": {"dates": {"zone": "Europe/Minsk"}}}, "sources.yaml", timezone="Asia/Almaty"
    )
    assert overridden.html.zone == zoneinfo.ZoneInfo("Europe/Minsk")


def test_overrides_change_the_rules() -> None:
    profile = load_profile(
        {
            "dump": {"navigation": ["return to the list"]},
            "html": {"listing": {"page_param": "page"}},
        },
        "sources.yaml",
    )
    # Navigation phrases match whole lines.
    assert [bool(p.match("Return to the list")) for p in profile.dump.navigation] == [True]
    assert not any(p.match("Go back") for p in profile.dump.navigation)
    assert profile.html.page_param == "page"


def test_every_problem_of_both_parts_is_reported() -> None:
    with pytest.raises(ConfigError) as caught:
        load_profile(
            {"dump": {"navigatoin": []}, "html": {"dates": {"zone": "Mars/Olympus"}}},
            "sources.yaml",
        )
    problems = caught.value.problems
    assert len(problems) == 2
    assert problems[0].startswith("sources.yaml: profile.dump")
    assert "navigatoin" in problems[0]
    assert problems[1].startswith("sources.yaml: profile.html")
    assert "Mars/Olympus" in problems[1]
