"""RFC 5005 archived feeds: the head feed plus a chain of complete, unchanging pages."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import feedparser
from lxml import etree

from feeds.config import load_config
from feeds.refresh import refresh
from tests.support.state import stored_entries

REPO = Path(__file__).resolve().parent.parent
SAMPLES = sorted((REPO / "samples" / "dumps").glob("*.txt"))
DATA = Path(__file__).resolve().parent / "data" / "refresh"
NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
PUBLIC = "https://feeds.example.org/csto/"
ATOM = "{http://www.w3.org/2005/Atom}"
HISTORY = "{http://purl.org/syndication/history/1.0}"

CONFIG = f"""\
site:
  title: CSTO releases
  url: https://en.odkb-csto.org/
  public_url: {PUBLIC}
  timezone: Europe/Moscow
output: output
state: state/feeds.sqlite
feed_size: 3
sections:
  - {{id: news, title: CSTO news, default: true}}
  - {{id: joint-staff, title: Joint Staff, match: ['\\bJoint Staff\\b']}}
sources:
  - {{name: dumps, type: dump, paths: ["dumps/*.txt"]}}
"""


def project(tmp_path: Path) -> Path:
    (tmp_path / "dumps").mkdir()
    for sample in SAMPLES:
        shutil.copy2(sample, tmp_path / "dumps" / sample.name)
    config = tmp_path / "sources.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    return config


def run(config: Path, now: dt.datetime = NOW) -> list[str]:
    report = refresh(load_config(config), now=lambda: now)
    assert report.problems == []
    return report.publish.written


def links(root: etree._Element) -> dict[str, str]:
    return {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}


def walk(output: Path, feed: str) -> list[tuple[str, list[str]]]:
    """Follow prev-archive links from the head feed: (document path, entry ids) in order."""
    path = f"{feed}/atom.xml"
    seen: list[tuple[str, list[str]]] = []
    while path:
        assert path not in {p for p, _ in seen}, f"loop at {path}"
        body = (output / path).read_bytes()
        parsed = feedparser.parse(body)
        assert parsed.bozo == 0, path
        root = etree.fromstring(body)
        seen.append((path, [e.findtext(f"{ATOM}id") or "" for e in root.findall(f"{ATOM}entry")]))
        rel = links(root)
        assert rel["self"] == PUBLIC + path
        archive = root.find(f"{HISTORY}archive") is not None
        assert archive == (path != f"{feed}/atom.xml"), path
        if archive:
            assert rel["current"] == f"{PUBLIC}{feed}/atom.xml"
        previous = rel.get("prev-archive")
        assert previous is None or previous.startswith(PUBLIC)
        path = previous[len(PUBLIC) :] if previous else ""
    return seen


def stored_ids(config: Path, feed: str) -> list[str]:
    return [e.id for e in stored_entries(config) if feed in e.feeds]


def test_prev_archive_chain_yields_every_release_once(tmp_path: Path) -> None:
    config = project(tmp_path)
    run(config)
    output = tmp_path / "output"
    chain = walk(output, "all")
    assert [p for p, _ in chain] == [
        "all/atom.xml",
        *(f"all/archive/{n}.xml" for n in range(6, 0, -1)),
    ]
    assert [len(ids) for _, ids in chain] == [3, 1, 3, 3, 3, 3, 3]
    ids = [i for _, page in chain for i in page]
    assert len(ids) == len(set(ids)) == 19
    assert sorted(ids) == sorted(stored_ids(config, "all"))

    news = walk(output, "news")
    assert [len(page) for _, page in news] == [3, 2, 3, 3, 3, 3]
    assert sorted(i for _, page in news for i in page) == sorted(stored_ids(config, "news"))
    # Two entries fit in the head: no archive at all.
    joint = walk(output, "joint-staff")
    assert [len(page) for _, page in joint] == [2]
    assert not (output / "joint-staff" / "archive").exists()

    # Each page links to its neighbours both ways.
    first = etree.fromstring((output / "all/archive/1.xml").read_bytes())
    assert "prev-archive" not in links(first)
    assert links(first)["next-archive"] == f"{PUBLIC}all/archive/2.xml"
    last = etree.fromstring((output / "all/archive/6.xml").read_bytes())
    assert "next-archive" not in links(last)
    assert links(last)["prev-archive"] == f"{PUBLIC}all/archive/5.xml"
    # Archive pages are not subscription documents: no hub, distinct feed ids.
    assert first.findtext(f"{ATOM}id") == "tag:feeds,2024:feed/all/archive/1.xml"


def test_oldest_releases_fill_the_first_pages(tmp_path: Path) -> None:
    config = project(tmp_path)
    run(config)
    first = feedparser.parse((tmp_path / "output/all/archive/1.xml").read_bytes())
    # The oldest dated release and the two teasers of its page, estimated from that page's date.
    assert [e.published for e in first.entries] == ["2018-11-27T12:00:00+03:00"] * 3
    assert [e.title[:40] for e in first.entries] == [
        "At the Permanent Council of the CSTO, th",
        "The Collective Security Treaty Organizat",
        "On May 15, 1992, the heads of state of t",
    ]


def test_new_dump_leaves_complete_archive_pages_alone(tmp_path: Path) -> None:
    config = project(tmp_path)
    run(config)
    output = tmp_path / "output"
    complete = {
        p.relative_to(output).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(output.glob("*/archive/*.xml"))
    }
    shutil.copy2(DATA / "beta.txt", tmp_path / "dumps" / "beta.txt")
    written = run(config, NOW + dt.timedelta(days=1))
    # The new release is older than the head: it goes straight to the open last page.
    open_pages = {
        f"{name}.{kind}" for name in ("all/archive/6", "news/archive/5") for kind in ("xml", "html")
    }
    assert open_pages <= set(written)
    assert [p for p in written if "/archive/" in p and p not in open_pages] == []
    for path, (body, mtime) in complete.items():
        if path in ("all/archive/6.xml", "news/archive/5.xml"):
            continue
        now = output / path
        assert (now.read_bytes(), now.stat().st_mtime_ns) == (body, mtime), path
    chain = walk(output, "all")
    assert [len(ids) for _, ids in chain] == [3, 2, 3, 3, 3, 3, 3]
    ids = [i for _, page in chain for i in page]
    assert len(ids) == len(set(ids)) == 20
