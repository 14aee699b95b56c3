"""WebSub: hub links in the feeds, one publish ping per changed feed, failures as warnings.

The hub is a scripted route of the loopback fixture server, which records every POST.
"""

from __future__ import annotations

import datetime as dt
import shutil
import socket
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qsl

import feedparser
import pytest
from lxml import etree

from feeds.cli import main
from feeds.config import load_config
from feeds.publish.validate import check_document
from feeds.refresh import refresh
from tests.support.site_server import Request, SiteServer

PUBLIC = "https://feeds.example.org/csto/"
DATA = Path(__file__).resolve().parent / "data" / "syndication"
CLOCK = dt.datetime(2025, 1, 15, 9, 30, tzinfo=dt.UTC)
FEEDS = ("atom.xml", "rss.xml", "feed.json")
ATOM_LINK = "{http://www.w3.org/2005/Atom}link"


class Hub:
    """A hub that answers every publish ping with ``status`` and keeps the form bodies."""

    def __init__(self, server: SiteServer, status: int = 204) -> None:
        self.status = status
        self.pings: list[list[tuple[str, str]]] = []
        self.content_types: list[str] = []
        self.url = server.url("/hub")
        server.add_handler("/hub", self.answer)

    def answer(self, request: Request) -> tuple[int, dict[str, str], bytes]:
        assert request.method == "POST"
        self.pings.append(parse_qsl(request.body.decode("ascii")))
        self.content_types.append(request.headers.get("content-type", ""))
        return self.status, {"Content-Type": "text/plain"}, b""

    def topics(self) -> list[str]:
        return sorted(dict(ping)["hub.url"] for ping in self.pings)


def project_with_hub(make_project: Callable[..., Path], hub: str) -> Path:
    # The hub listens on the loopback interface.
    return make_project(extra=f"websub:\n  hub: {hub}\nhttp:\n  allow_private_addresses: true\n")


def topics(*sections: str) -> list[str]:
    return sorted(f"{PUBLIC}{s}/{name}" for s in sections for name in FEEDS)


def snapshot(output: Path) -> dict[str, bytes]:
    return {
        p.relative_to(output).as_posix(): p.read_bytes() for p in output.rglob("*") if p.is_file()
    }


def test_changed_feeds_are_pinged_once_each(
    make_project: Callable[..., Path], site_server: SiteServer
) -> None:
    hub = Hub(site_server)
    config = project_with_hub(make_project, hub.url)
    report = refresh(load_config(config), now=lambda: CLOCK)
    assert report.problems == [] and report.warnings == []
    assert hub.topics() == topics("all", "joint-staff", "news")
    assert all(dict(ping)["hub.mode"] == "publish" for ping in hub.pings)
    assert all(len(ping) == 2 for ping in hub.pings)
    assert set(hub.content_types) == {"application/x-www-form-urlencoded"}

    # Nothing new: nothing is written and nobody is pinged.
    hub.pings.clear()
    report = refresh(load_config(config), now=lambda: CLOCK + dt.timedelta(hours=1))
    assert report.publish.written == []
    assert hub.pings == []

    # One new release in the default section: its feeds and the all feeds changed.
    shutil.copy(DATA / "nasty_dump.txt", config.parent / "dumps" / "900_nasty.txt")
    report = refresh(load_config(config), now=lambda: CLOCK + dt.timedelta(hours=2))
    assert [w.rsplit("/", 1)[1] for w in report.warnings] == [
        "900_nasty.txt: 1 stray control character removed"
    ]
    assert hub.topics() == topics("all", "news")


def test_feeds_announce_the_hub(make_project: Callable[..., Path], site_server: SiteServer) -> None:
    hub = Hub(site_server)
    config = project_with_hub(make_project, hub.url)
    refresh(load_config(config), now=lambda: CLOCK)
    output = config.parent / "output"
    for section in ("all", "news", "joint-staff"):
        atom = (output / section / "atom.xml").read_bytes()
        assert check_document(atom, f"{PUBLIC}{section}/atom.xml") == []
        parsed = feedparser.parse(atom)
        assert parsed.bozo == 0
        assert [link.href for link in parsed.feed.links if link.rel == "hub"] == [hub.url]

        rss = (output / section / "rss.xml").read_bytes()
        assert check_document(rss, f"{PUBLIC}{section}/rss.xml") == []
        channel = etree.fromstring(rss).find("channel")
        assert channel is not None
        hubs = [a.get("href") for a in channel.iterfind(ATOM_LINK) if a.get("rel") == "hub"]
        assert hubs == [hub.url]


def test_feeds_without_a_hub_have_no_hub_link(make_project: Callable[..., Path]) -> None:
    config = make_project()
    refresh(load_config(config), now=lambda: CLOCK)
    output = config.parent / "output"
    assert b'rel="hub"' not in (output / "all" / "atom.xml").read_bytes()
    assert b'rel="hub"' not in (output / "all" / "rss.xml").read_bytes()


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.parametrize("failure", ["status 500", "closed port"])
def test_failing_hub_is_a_warning_only(
    failure: str,
    make_project: Callable[..., Path],
    site_server: SiteServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if failure == "status 500":
        hub_url = Hub(site_server, status=500).url
        expected = f"{hub_url}: WebSub ping for {PUBLIC}all/atom.xml answered HTTP 500"
    else:
        hub_url = f"http://127.0.0.1:{closed_port()}/hub"
        expected = f"{hub_url}: WebSub ping for {PUBLIC}all/atom.xml failed: "
    config = project_with_hub(make_project, hub_url)

    report = refresh(load_config(config), now=lambda: CLOCK)
    assert report.problems == []
    assert report.exit_code == 0
    assert len(report.warnings) == 9
    assert report.warnings[0].startswith(expected)
    output = config.parent / "output"
    published = snapshot(output)
    assert len(report.publish.written) == len(published)

    # Rebuilding from state finds every file already right: the failed pings cost nothing.
    assert main(["publish", "-c", str(config)]) == 0
    assert snapshot(output) == published

    # Through the command line the exit code stays 0 and, without a terminal, nothing
    # is printed for a warning.
    shutil.copy(DATA / "nasty_dump.txt", config.parent / "dumps" / "900_nasty.txt")
    capsys.readouterr()
    assert main(["refresh", "-c", str(config)]) == 0
    assert capsys.readouterr() == ("", "")
