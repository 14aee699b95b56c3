"""The feed rules (``feeds/publish/validate/``): every finding on broken documents, and
the publishing gate built on the same rules.

``tests/data/syndication/broken/`` holds documents with known defects and the findings
each must give, so the checker that the clean-output tests rely on is shown to see them.
The gate must keep a document with an error off the disk, and let warnings through.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from feeds.cli import main
from feeds.config import load_config
from feeds.errors import PublishError
from feeds.model import Section, Site
from feeds.publish import render as rendering
from feeds.publish import syndication
from feeds.publish.syndication import FeedDocument
from feeds.publish.validate import check_atom, check_document, check_json_feed, check_rss
from feeds.refresh import refresh

DATA = Path(__file__).resolve().parent / "data" / "syndication"
BROKEN = DATA / "broken"
EXPECTED = yaml.safe_load((BROKEN / "expected.yaml").read_text(encoding="utf-8"))
CHECKED_AT = dt.datetime(2025, 1, 16, tzinfo=dt.UTC)
CLOCK = dt.datetime(2025, 1, 15, 9, 30, tzinfo=dt.UTC)
PUBLIC = "https://feeds.example.org/csto/"


# --- the checker --------------------------------------------------------------------------


def test_every_broken_document_has_its_expectation() -> None:
    documents = [p.name for p in BROKEN.iterdir() if p.name != "expected.yaml"]
    assert sorted(EXPECTED) == sorted(documents)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_checker_finds_each_defect(name: str) -> None:
    case = EXPECTED[name]
    findings = check_document((BROKEN / name).read_bytes(), case["url"], now=CHECKED_AT)
    assert [f"{f.level} {f.code} at {f.where}" for f in findings] == case["findings"]


def test_golden_documents_are_clean() -> None:
    for name in ("atom.xml", "rss.xml"):
        body = (DATA / f"nasty.{name}").read_bytes()
        assert check_document(body, f"{PUBLIC}news/{name}") == []


def test_checker_names_the_self_link_mismatch() -> None:
    body = (DATA / "nasty.atom.xml").read_bytes()
    findings = check_document(body, "http://127.0.0.1:8080/news/atom.xml")
    assert [str(f) for f in findings] == [
        "error SelfDoesntMatchLocation at feed: "
        "'https://feeds.example.org/csto/news/atom.xml' != 'http://127.0.0.1:8080/news/atom.xml'"
    ]


# --- the gate's own checks ----------------------------------------------------------------


def golden(name: str) -> bytes:
    return (DATA / f"nasty.{name}").read_bytes()


GATE_CASES = [
    (
        "atom.xml",
        lambda b: b[:-30],
        "error NotWellFormed at document: ",
    ),
    (
        "atom.xml",
        lambda b: b.replace(b"news/atom.xml", b"news/feed.atom"),
        "error SelfDoesntMatchLocation at feed: "
        "'https://feeds.example.org/csto/news/feed.atom' != "
        "'https://feeds.example.org/csto/news/atom.xml'",
    ),
    (
        "atom.xml",
        lambda b: b.replace(b"2025-06-01T07:00:01+00:00", b"2025-06-01T07:00:02+00:00"),
        "error DuplicateUpdated at tag:feeds,2025-06-01:release/amp1: '2025-06-01T07:00:02+00:00'",
    ),
    (
        "atom.xml",
        lambda b: b.replace(b"release/amp1", b"release/ru01"),
        "error DuplicateIds at tag:feeds,2025-06-01:release/ru01: "
        "'tag:feeds,2025-06-01:release/ru01'",
    ),
    (
        "atom.xml",
        lambda b: b.replace(b"<published>2024-03-12T00:00:00+03:00", b"<published>2024-03-12"),
        "error InvalidRFC3339Date at tag:feeds,2025-06-01:release/amp1: published '2024-03-12'",
    ),
    (
        "atom.xml",
        lambda b: b.replace(b'href="https://feeds.example.org/csto/releases/2024', b'href="/2024'),
        "error InvalidFullLink at tag:feeds,2025-06-01:release/amp1: "
        "link rel='alternate' href='/2024/03/amp1.html'",
    ),
    (
        "rss.xml",
        lambda b: b.replace(b"Tue, 12 Mar 2024 00:00:00 +0300", b"Tue, 12 Mar 2024"),
        "error InvalidRFC2822Date at item[1]: pubDate 'Tue, 12 Mar 2024'",
    ),
    (
        "rss.xml",
        lambda b: b.replace(b"release/url1<", b"release/ru01<"),
        "error DuplicateGuid at item[2]: 'tag:feeds,2025-06-01:release/ru01'",
    ),
]


@pytest.mark.parametrize(("name", "damage", "reason"), GATE_CASES)
def test_gate_rejects_a_damaged_document(
    name: str, damage: Callable[[bytes], bytes], reason: str
) -> None:
    check = check_atom if name == "atom.xml" else check_rss
    where = f"output/news/{name}"
    check(where, golden(name), self_url=f"{PUBLIC}news/{name}")
    with pytest.raises(PublishError) as caught:
        check(where, damage(golden(name)), self_url=f"{PUBLIC}news/{name}")
    assert str(caught.value).startswith(f"{where}: not published: {reason}")


def test_gate_rejects_a_json_feed_with_the_wrong_address() -> None:
    body = b'{"version": "https://jsonfeed.org/version/1.1", "title": "T", "feed_url": "x", '
    body += b'"items": []}'
    with pytest.raises(PublishError) as caught:
        check_json_feed("out/all/feed.json", body, self_url=f"{PUBLIC}all/feed.json")
    assert str(caught.value) == (
        "out/all/feed.json: not published: error SelfDoesntMatchLocation at feed: "
        f"'x' != '{PUBLIC}all/feed.json'"
    )


WARNED = [
    (check_atom, (BROKEN / "atom_feed_updated_later.xml").read_bytes(), "atom.xml"),
    (check_rss, golden("rss.xml").replace(b' type="application/rss+xml"', b""), "rss.xml"),
]


@pytest.mark.parametrize(("check", "body", "name"), WARNED)
def test_gate_lets_warnings_through(check: Callable[..., None], body: bytes, name: str) -> None:
    """Warnings are defects the tests refuse, but they never hold a document back."""
    url = f"{PUBLIC}news/{name}"
    assert [f.level for f in check_document(body, url)] == ["warning"]
    check(f"out/news/{name}", body, self_url=url)


def test_gate_wants_the_format_its_file_name_promises() -> None:
    with pytest.raises(PublishError) as caught:
        check_atom("out/news/atom.xml", golden("rss.xml"), self_url=f"{PUBLIC}news/atom.xml")
    assert str(caught.value) == (
        "out/news/atom.xml: not published: error UnknownFeedType at document: rss, not atom"
    )


# --- the gate in a refresh ----------------------------------------------------------------


def break_rss_of(section_id: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the RSS renderer lose the end of one section's document."""
    real = syndication.render_rss

    def render(site: Site, doc: FeedDocument) -> bytes:
        body = real(site, doc)
        return body[: len(body) // 2] if doc.section.id == section_id else body

    monkeypatch.setattr(rendering, "render_rss", render)


def test_failing_document_keeps_the_published_one(
    make_project: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = make_project()
    assert refresh(load_config(config), now=lambda: CLOCK).exit_code == 0
    output = config.parent / "output"
    before = {p: p.read_bytes() for p in output.rglob("*") if p.is_file()}
    target = output / "joint-staff" / "rss.xml"
    stamp = target.stat().st_mtime_ns

    break_rss_of("joint-staff", monkeypatch)
    # A new dump changes every feed, the broken one included.
    (config.parent / "dumps" / "900_nasty.txt").write_bytes(
        (DATA / "nasty_dump.txt").read_bytes().replace(b"security", b"Joint Staff security")
    )
    capsys.readouterr()
    assert main(["refresh", "-c", str(config)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"{target}: not published: error NotWellFormed at document: ")
    assert target.read_bytes() == before[target]
    assert target.stat().st_mtime_ns == stamp
    # Everything else was published.
    assert (output / "joint-staff" / "atom.xml").read_bytes() != before[
        output / "joint-staff" / "atom.xml"
    ]
    assert b"Joint Staff security" in (output / "all" / "rss.xml").read_bytes()


def test_failing_document_is_never_created(
    make_project: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_project()
    break_rss_of("news", monkeypatch)
    report = refresh(load_config(config), now=lambda: CLOCK)
    output = config.parent / "output"
    assert report.exit_code == 1
    assert [str(f).split(": not published: ")[0] for f in report.publish.failures] == [
        str(output / "news" / "rss.xml")
    ]
    assert report.problems == [str(report.publish.failures[0])]
    assert not (output / "news" / "rss.xml").exists()
    assert (output / "news" / "atom.xml").is_file()
    assert "news/rss.xml" not in report.publish.written


def test_archive_documents_go_through_the_gate(
    make_project: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_project(feed_size=3)
    real = syndication.render_atom

    def render(site: Site, doc: FeedDocument) -> bytes:
        body = real(site, doc)
        return body.replace(b'rel="self"', b'rel="related"') if doc.is_archive else body

    monkeypatch.setattr(rendering, "render_atom", render)
    report = refresh(load_config(config), now=lambda: CLOCK)
    output = config.parent / "output"
    failed = sorted(str(f).split(": not published: ")[0] for f in report.publish.failures)
    assert failed == sorted(
        [str(output / "all" / "archive" / f"{n}.xml") for n in range(1, 7)]
        + [str(output / "news" / "archive" / f"{n}.xml") for n in range(1, 6)]
    )
    assert list(output.glob("*/archive/*.xml")) == []
    assert report.exit_code == 1


def test_section_feed_documents_are_checked_against_their_own_address() -> None:
    site = Site(title="T", url="https://en.odkb-csto.org/", public_url=PUBLIC)
    section = Section(id="news", title="News")
    doc = FeedDocument(
        section=section, entries=[], self_url=f"{PUBLIC}news/atom.xml", html_url=PUBLIC
    )
    body = syndication.render_atom(site, doc)
    rendering.check("news/atom.xml", body, site, Path("out"))
    with pytest.raises(PublishError) as caught:
        rendering.check("all/atom.xml", body, site, Path("out"))
    assert str(caught.value).startswith(
        "out/all/atom.xml: not published: error SelfDoesntMatchLocation at feed"
    )
