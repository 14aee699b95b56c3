"""End to end: the `feeds` command on a temporary project, output read back with feedparser."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import feedparser
import pytest

from feeds.cli import main
from tests.conftest import SAMPLES

# Exact expectations for the five sample dumps: (title, date) of each article.
ARTICLES = {
    "A meeting of the Parliamentary Assembly Council of the Collective Security Treaty "
    "Organization will be held in Yerevan": None,
    "The CSTO Secretary General had a meeting via videoconferencing with the UN Assistant "
    "Secretary General for Political Affairs": "2022-01-20",
    "Meeting of the CSTO Collective Security Council begins": "2023-11-23",
    "The Committee of Secretaries of the Security Council of the CSTO at a meeting in Bishkek "
    "on June 27 will discuss additional measures taken in the format of the Organization to "
    "combat international terrorism and extremism": "2019-06-24",
    "At the Permanent Council of the CSTO, the Russian side provided information on the "
    "violation by Ukraine of the rules of peaceful passage in the territorial sea of the "
    "Russian Federation": "2018-11-27",
}
# 5 articles + 3 + 3 (the same three again) + 5 + 4 + 2 teasers.
DISTINCT_RELEASES = 19


def run(config: Path, *args: str) -> int:
    return main([args[0], "-c", str(config), *args[1:]])


def read_feed(path: Path) -> feedparser.FeedParserDict:
    parsed = feedparser.parse(path.read_bytes())
    assert parsed.bozo == 0, (path, parsed.get("bozo_exception"))
    return parsed


def test_refresh_publishes_every_section_and_reads_back(
    make_project: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_project()
    assert run(config, "refresh") == 0
    # Not a terminal: nothing at all on success.
    assert capsys.readouterr() == ("", "")
    output = config.parent / "output"
    for section in ("all", "news", "joint-staff"):
        for name in ("atom.xml", "rss.xml"):
            assert (output / section / name).is_file()

    atom = read_feed(output / "all" / "atom.xml")
    rss = read_feed(output / "all" / "rss.xml")
    assert len(atom.entries) == DISTINCT_RELEASES
    assert len(rss.entries) == DISTINCT_RELEASES
    ids = [e.id for e in atom.entries]
    assert len(set(ids)) == DISTINCT_RELEASES
    assert all(i.startswith("tag:feeds,") for i in ids)
    assert {e.id for e in rss.entries} == set(ids)

    by_title = {e.title: e for e in atom.entries}
    for title, day in ARTICLES.items():
        entry = by_title[title]
        if day is not None:
            assert entry.published == f"{day}T12:00:00+03:00"
    # Teasers keep their own dates, the year of "On 7 February" comes from neighbours.
    dated = sorted(e.published[:10] for e in atom.entries if e.published.endswith("+03:00"))
    assert dated.count("2024-02-07") == 2
    assert dated.count("2024-02-14") == 2
    assert "2024-05-15" in dated and "2024-05-16" in dated and "2024-04-24" in dated

    # Two teasers mention the Joint Staff: they go to that section by its match rule.
    joint = read_feed(output / "joint-staff" / "atom.xml")
    assert len(joint.entries) == 2
    news = read_feed(output / "news" / "atom.xml")
    assert len(news.entries) == DISTINCT_RELEASES - 2

    # Self links come from public_url; the feed's updated is its newest entry's.
    assert atom.feed.links[0].href == "https://feeds.example.org/csto/all/atom.xml"
    assert atom.feed.updated == max(e.updated for e in atom.entries)
    # Content holds no navigation or signature.
    for entry in atom.entries:
        text = entry.content[0].value
        for banned in ("Go back", "Back to the section", "odkb-pressa@gov.ru", "+7495"):
            assert banned not in text


def test_second_refresh_changes_nothing(make_project: Callable[..., Path]) -> None:
    config = make_project()
    assert run(config, "refresh") == 0
    output = config.parent / "output"
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in output.rglob("*") if p.is_file()}
    assert run(config, "refresh") == 0
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in output.rglob("*") if p.is_file()}
    assert before == after


def test_publish_rebuilds_identical_bytes(make_project: Callable[..., Path]) -> None:
    config = make_project()
    assert run(config, "refresh") == 0
    output = config.parent / "output"
    before = {p.relative_to(output): p.read_bytes() for p in output.rglob("*") if p.is_file()}
    import shutil

    shutil.rmtree(output)
    assert run(config, "publish") == 0
    after = {p.relative_to(output): p.read_bytes() for p in output.rglob("*") if p.is_file()}
    assert before == after


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "empty file"),
        ("blank.txt", b"\n \r\n\t\n", "empty file"),
        ("binary.txt", bytes(range(256)) * 8, "binary file"),
        ("notitle.txt", b"Go back\n\nBack to the section\n\nBack to the all news", "no article"),
    ],
)
def test_bad_file_is_reported_and_the_rest_published(
    make_project: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
    name: str,
    content: bytes,
    reason: str,
) -> None:
    config = make_project()
    (config.parent / "dumps" / name).write_bytes(content)
    assert run(config, "refresh") == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert name in err[0] and reason in err[0]
    atom = read_feed(config.parent / "output" / "all" / "atom.xml")
    assert len(atom.entries) == DISTINCT_RELEASES


def test_windows_1251_dump_is_decoded(make_project: Callable[..., Path]) -> None:
    config = make_project(dumps=[])
    text = (
        "Генеральный секретарь ОДКБ провел встречу с делегацией\n\n"
        "Генеральный секретарь ОДКБ провел встречу с делегацией 12.03.2025\n\n"
        "12 марта 2025 года в Секретариате ОДКБ состоялась встреча с делегацией парламента.\n\n"
        "Стороны обсудили вопросы сотрудничества.\n\n"
        "Назад\n\nВернуться в раздел\n"
    )
    (config.parent / "dumps" / "ru.txt").write_bytes(text.encode("windows-1251"))
    assert run(config, "refresh") == 0
    atom = read_feed(config.parent / "output" / "all" / "atom.xml")
    assert [e.title for e in atom.entries] == [
        "Генеральный секретарь ОДКБ провел встречу с делегацией"
    ]
    assert atom.entries[0].published == "2025-03-12T12:00:00+03:00"


def test_bad_config_lists_every_problem_and_touches_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "sources.yaml"
    config.write_text(
        "site:\n  title: x\n  url: https://en.odkb-csto.org/\n  public_url: nope\n"
        "feed_sise: 3\n"
        "sections:\n  - {id: all, title: All}\n"
        "sources:\n  - {name: d, type: dumps, paths: ['*.txt']}\n",
        encoding="utf-8",
    )
    assert run(config, "refresh") == 2
    err = capsys.readouterr().err.splitlines()
    # In the order of the file's lines.
    assert err == [
        f"{config}:4: site.public_url: expected an absolute http(s) URL",
        f"{config}:5: feed_sise: unknown key (did you mean 'feed_size'?)",
        f"{config}:7: sections[0].id: 'all' is reserved",
        f"{config}:9: sources[0].type: unknown source type 'dumps' (one of: dump, html, feed)",
    ]
    assert not (tmp_path / "output").exists()
    assert not (tmp_path / "state").exists()
    assert run(config, "validate") == 2


def test_help_on_every_command() -> None:
    for command in (
        "refresh",
        "validate",
        "publish",
        "serve",
        "list",
        "show",
        "hide",
        "unhide",
        "fetch",
    ):
        result = subprocess.run(
            [sys.executable, "-m", "feeds", command, "--help"], capture_output=True, text=True
        )
        assert result.returncode == 0, command
        assert "usage: feeds " + command in result.stdout


def test_list_and_show(
    make_project: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_project(dumps=["004"])
    assert run(config, "refresh") == 0
    capsys.readouterr()
    assert run(config, "list") == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    article = next(line for line in lines if "2018-11-27" in line)
    entry_id = article.split("\t")[0]
    assert run(config, "show", entry_id) == 0
    shown = capsys.readouterr().out
    assert "title:      At the Permanent Council of the CSTO" in shown
    assert "004_4b67952beaed8799.txt" in shown
    assert run(config, "show", "tag:nope") == 1


def test_a_parser_crash_costs_one_file_not_the_source(
    make_project: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import feeds.parsing as parsing

    real = parsing.parse_dump

    def fragile(text: str, *, locator: str, **kwargs: object) -> object:
        if locator.endswith("002_992e3ac4f41bb9cb.txt"):
            raise RuntimeError("unexpected layout")
        return real(text, locator=locator, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(parsing, "parse_dump", fragile)
    config = make_project()
    assert run(config, "refresh") == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    # A parser crash is a bug: the line names the file and says where to report it.
    assert "002_992e3ac4f41bb9cb.txt: cannot be parsed (RuntimeError: unexpected layout)" in err[0]
    assert "this is a bug in feeds; please report it" in err[0]
    # The other four files are published: 19 releases less 002's article and 5 teasers.
    atom = read_feed(config.parent / "output" / "all" / "atom.xml")
    assert len(atom.entries) == DISTINCT_RELEASES - 6


def test_only_refreshes_the_named_source(
    make_project: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_project(dumps=["004"])
    with config.open("a", encoding="utf-8") as handle:  # the sources list ends the file
        handle.write('  - {name: more, type: dump, paths: ["more/*.txt"]}\n')
    (config.parent / "more").mkdir()
    for name in ("000_cf36241004f3aa92.txt",):
        (config.parent / "more" / name).write_bytes((SAMPLES / name).read_bytes())
    assert run(config, "refresh", "--only", "more") == 0
    titles = [e.title for e in read_feed(config.parent / "output" / "all" / "atom.xml").entries]
    # 000 alone: its article and three teasers; nothing of 004.
    assert len(titles) == 4
    assert next(iter(ARTICLES)) in titles
    assert run(config, "refresh", "--only", "dumps") == 0
    assert len(read_feed(config.parent / "output" / "all" / "atom.xml").entries) == 7
    capsys.readouterr()
    assert run(config, "refresh", "--only", "nope") == 2
    assert (
        capsys.readouterr()
        .err.strip()
        .endswith("--only nope: no such source (sources: dumps, more)")
    )
