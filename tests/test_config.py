"""sources.yaml: defaults, paths, and every problem reported with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from feeds.config import DumpSourceConfig, FeedSourceConfig, HtmlSourceConfig, load_config
from feeds.errors import ConfigError
from feeds.sources.base import http_settings

MINIMAL = """\
site:
  title: CSTO releases
  url: https://en.odkb-csto.org/
  public_url: https://feeds.example.org/csto
sections:
  - {id: news, title: CSTO news, default: true}
sources:
  - {name: dumps, type: dump, paths: ["dumps/*.txt"]}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    return [p.split(": ", 1)[1] for p in caught.value.problems]


def test_defaults_and_paths_relative_to_the_config(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL))
    assert config.output == tmp_path / "output"
    assert config.state == tmp_path / "state" / "feeds.sqlite"
    assert config.feed_size == 50
    assert config.site.public_url == "https://feeds.example.org/csto/"
    assert config.site.timezone == "Europe/Moscow"
    assert config.site.language == "en"
    assert config.http.allow_private_addresses is False
    dumps = config.sources[0]
    assert isinstance(dumps, DumpSourceConfig) and dumps.encoding == "auto"
    assert config.source_urls == []


def test_live_sources_name_the_only_hosts_contacted(tmp_path: Path) -> None:
    text = MINIMAL + (
        '  - {name: site, type: html, url: "https://EN.odkb-csto.org/news/news_odkb/", pages: 3}\n'
        '  - {name: partner, type: feed, url: "https://partner.example.org/feed.xml"}\n'
        "  - {name: file, type: feed, path: feeds/partner.xml, section: news}\n"
    )
    config = load_config(write(tmp_path, text))
    assert config.source_urls == [
        "https://EN.odkb-csto.org/news/news_odkb/",
        "https://partner.example.org/feed.xml",
    ]
    assert http_settings(config).allowed_origins == {
        "https://en.odkb-csto.org:443",
        "https://partner.example.org:443",
    }
    site = config.sources[1]
    assert isinstance(site, HtmlSourceConfig) and site.pages == 3
    source = config.sources[3]
    assert isinstance(source, FeedSourceConfig) and source.path is not None
    assert config.resolve(source.path) == tmp_path / "feeds" / "partner.xml"


def test_each_problem_has_its_line_and_key(tmp_path: Path) -> None:
    text = MINIMAL.replace("  title: CSTO releases\n", "  titel: CSTO releases\n") + (
        "  - {name: dumps, type: dump, paths: []}\n"
        "  - {name: f, type: feed, url: 'https://x.org/a', path: a.xml}\n"
        "  - {name: h, type: html, url: 'https://x.org/', pages: 0, encoding: utf-8}\n"
        "  - {name: g, type: dump, paths: ['*.txt'], section: speeches, encoding: klingon}\n"
    )
    assert problems(tmp_path, text) == [
        "site.titel: unknown key (did you mean 'title'?)",
        "sources[1].name: duplicate source name 'dumps'",
        "sources[1].paths: expected at least one glob pattern",
        "sources[2]: a feed source takes url: or path:, not both",
        "sources[3].encoding: unknown key",
        "sources[3].pages: must be greater than 0",
        "sources[4].section: no section with id 'speeches'",
        "sources[4].encoding: unknown encoding 'klingon'",
    ]
    lines = [p.split(": ", 1)[0] for p in load_errors(tmp_path)]
    assert lines[0].endswith(":2")
    assert lines[-1].endswith(":12")


def load_errors(tmp_path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "sources.yaml")
    return caught.value.problems


def test_sections_rules(tmp_path: Path) -> None:
    text = MINIMAL.replace(
        "  - {id: news, title: CSTO news, default: true}\n",
        "  - {id: news, title: CSTO news, default: true}\n"
        "  - {id: news, title: Again}\n"
        "  - {id: topical, topical: true}\n"
        "  - {id: other, default: true, url: not-a-url}\n",
    )
    assert problems(tmp_path, text) == [
        "sections[1].id: duplicate section id 'news'",
        "sections[2].topical: a topical section needs match rules",
        "sections[3].url: expected an absolute http(s) URL",
        "sections: more than one section has default: true",
    ]


def test_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "nope.yaml")
    assert caught.value.problems == [f"{tmp_path / 'nope.yaml'}: config file not found"]
    assert problems(tmp_path, "") == ["the config is empty"]
    assert problems(tmp_path, "site: [unclosed\n")[0].startswith("invalid YAML")
