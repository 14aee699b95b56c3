"""The site profile: packaged YAML, overridden from sources.yaml."""

from __future__ import annotations

import pickle
import re
import zoneinfo
from pathlib import Path
from typing import Any

import pytest
import yaml

from feeds.errors import ConfigError
from feeds.profile import (
    DumpRules,
    HtmlRules,
    default_profile,
    load_profile,
    merge,
    rules_from,
)
from feeds.yamlfile import Located


def test_merge_is_deep_and_replaces_lists() -> None:
    base = {"a": {"b": 1, "c": [1, 2]}, "d": 4}
    assert merge(base, {"a": {"c": [3]}, "e": 5}) == {"a": {"b": 1, "c": [3]}, "d": 4, "e": 5}
    assert base == {"a": {"b": 1, "c": [1, 2]}, "d": 4}


def test_the_site_zone_dates_page_timestamps_unless_the_profile_names_one() -> None:
    assert load_profile({}, "sources.yaml", timezone="Asia/Almaty").html.dates.zone == (
        zoneinfo.ZoneInfo("Asia/Almaty")
    )
    overridden = load_profile(
        {"html": {"dates": {"zone": "Europe/Minsk"}}}, "sources.yaml", timezone="Asia/Almaty"
    )
    assert overridden.html.dates.zone == zoneinfo.ZoneInfo("Europe/Minsk")


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
    assert profile.html.listing.page_param == "page"


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


def problems_of(model: type[Any], data: Any, where: str = "html.yaml") -> list[str]:
    lines: list[str] = []
    assert rules_from(model, Located(data, where), lines) is None
    return lines


def packaged(part: str) -> dict[str, Any]:
    text = (
        Path(__file__).parent.parent / "feeds" / "profile" / "csto" / f"{part}.yaml"
    ).read_text()
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def test_the_packaged_profile_loads() -> None:
    profile = default_profile()
    assert profile.dump.download_phrase == "Download document"
    assert profile.dump.months["февраля"] == 2
    assert [p.pattern for p in profile.dump.navigation][:2] == [
        "^(?:go back)$",
        "^(?:back to the section)$",
    ]
    assert profile.html.listing.page_param == "PAGEN_1"


def test_every_problem_of_the_dump_rules_is_reported() -> None:
    data = packaged("dump")
    data["navigation"][2] = "back to ("
    data["date_formats"] = [r"\d{2}\.\d{2}"]
    data["max_title_length"] = "long"
    del data["video_marker"]
    data["colour"] = "blue"
    data["months"][13] = ["Smarch"]
    problems = problems_of(DumpRules, data, "dump.yaml")
    assert len(problems) == 6
    assert "dump.yaml: colour: unknown key" in problems
    assert any(p.startswith("dump.yaml: navigation[2]: invalid regex: ") for p in problems)
    assert "dump.yaml: date_formats[0]: regex lacks the group(s) day, month, year" in problems
    assert "dump.yaml: max_title_length: expected an integer, got a string" in problems
    assert "dump.yaml: video_marker: required key is missing" in problems
    assert "dump.yaml: months: 13: month keys must be the numbers 1 to 12" in problems


def test_every_problem_of_the_html_rules_is_reported() -> None:
    data = packaged("html")
    data["listing"]["item"] = "div[["
    data["listing"]["colour"] = "red"
    del data["article"]["body"]
    data["title_suffixes"] = ["(unclosed"]
    data["dates"]["patterns"].append(r"(?P<day>\d+)")
    data["dates"]["formats"].append("no directives")
    data["dates"]["months"]["smarch"] = 13
    data["dates"]["zone"] = "Mars/Olympus"
    data["sections"]["/news/"] = "Not A Label"
    problems = problems_of(HtmlRules, data)
    assert "html.yaml: listing.colour: unknown key" in problems
    assert "html.yaml: article.body: required key is missing" in problems
    assert any(
        re.match(r"html\.yaml: listing\.item: bad CSS selector 'div\[\['", p) for p in problems
    )
    assert any(p.startswith("html.yaml: title_suffixes[0]: invalid regex: ") for p in problems)
    assert "html.yaml: dates.formats[4]: bad date format 'no directives'" in problems
    assert "html.yaml: dates.patterns[4]: regex lacks the group(s) month, year" in problems
    assert "html.yaml: dates.months.smarch: must be at most 12" in problems
    assert "html.yaml: dates.zone: unknown time zone 'Mars/Olympus'" in problems
    assert "html.yaml: sections: /news/: bad entry 'Not A Label'" in problems
    assert len(problems) == 9


def test_a_profile_must_be_a_mapping() -> None:
    assert problems_of(HtmlRules, ["not", "a", "mapping"], "x.yaml") == [
        "x.yaml: expected a mapping, got a list"
    ]


def test_a_profile_read_back_compiles_each_pattern_when_first_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    profile = load_profile({"dump": {"navigation": ["return to the list"]}}, "sources.yaml")
    compiled: list[str] = []
    real_compile = re.compile

    def counting(pattern: str, flags: int = 0) -> re.Pattern[str]:
        compiled.append(pattern)
        return real_compile(pattern, flags)

    monkeypatch.setattr(re, "compile", counting)
    read_back = pickle.loads(pickle.dumps(profile))
    assert read_back == profile
    assert compiled == []
    (navigation,) = read_back.dump.navigation
    assert navigation.match("RETURN to the list") is not None
    assert navigation.fullmatch("return to the list, please") is None
    assert compiled == ["^(?:return to the list)$"]
    # Compiled once: the second use goes straight to the compiled pattern.
    assert navigation.search("Return to the list") is not None
    assert compiled == ["^(?:return to the list)$"]
