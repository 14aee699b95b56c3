"""`feeds fetch URL`: how the site profile reads one page, for profile authors."""

from __future__ import annotations

from pathlib import Path

import pytest

from feeds.cli import main
from tests.support.livesite import serve, write_config
from tests.support.site_server import SiteServer


def test_fetch_shows_the_article_as_the_profile_reads_it(
    site_server: SiteServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    serve(site_server)
    config = write_config(tmp_path, site_server)
    url = site_server.url("/news/news_odkb/zasedanie-rabochey-gruppy-po-informatsionnoy-politike/")
    assert main(["fetch", "-c", str(config), url]) == 0
    out = capsys.readouterr().out.splitlines()
    fields = {line[:12].strip().rstrip(":"): line[12:].strip() for line in out if ":" in line[:12]}
    assert fields["charset"] == "cp1251"
    assert fields["title"] == "Состоялось заседание Рабочей группы по информационной политике"
    assert fields["language"] == "ru"
    # Nothing was stored: fetch only reads.
    assert not (tmp_path / "state").exists()


def test_fetch_reports_an_unreachable_page(
    site_server: SiteServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, site_server)
    url = site_server.url("/news/news_odkb/missing/")
    assert main(["fetch", "-c", str(config), url]) == 1
    assert capsys.readouterr().err.strip().startswith(url + ": HTTP 404")
