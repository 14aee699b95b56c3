"""``type: html`` sources end to end: ``feeds refresh`` against the loopback copy of
the site in tests/data/live/site, with request counts read from the server's log."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import time
from pathlib import Path

import pytest

from feeds.config import load_config
from feeds.model import Asset, DateOrigin, Entry
from feeds.refresh import refresh as run_refresh
from tests.support.livesite import (
    LISTING,
    LIVE,
    html_source,
    page,
    read_feed,
    refresh,
    serve,
    snapshot,
    status,
    titles,
    write_config,
)
from tests.support.site_server import Request, SiteServer
from tests.support.state import stored_entries, stored_entry

NEWS = LISTING
AMBASSADOR = NEWS + "generalnyy-sekretar-odkb-vstretilsya-s-poslom-armenii/"
STATEMENT = NEWS + "zayavlenie-ministrov-oborony-odkb/"
WORKING_GROUP = NEWS + "zasedanie-rabochey-gruppy-po-informatsionnoy-politike/"
MINSK = NEWS + "sovet-ministrov-inostrannykh-del-v-minske/"
MINSK_AJAX = MINSK + "?bxajaxid=5f1e0c9a7b3d4e2f8a6c1b0d9e8f7a6b"
TAJIKISTAN = NEWS + "v-tadzhikistane-nachalis-ucheniya-kskr/"
BRIEFING = NEWS + "sostoyalsya-brifing-dlya-zhurnalistov/"
PAGES = [NEWS, NEWS + "?PAGEN_1=2", NEWS + "?PAGEN_1=3"]
ARTICLES = [AMBASSADOR, STATEMENT, WORKING_GROUP, MINSK, TAJIKISTAN]

#: Title and date of every article the listing's three pages link to.
EXPECTED = {
    AMBASSADOR: ("The CSTO Secretary General met the Ambassador of Armenia", "2025-03-14"),
    STATEMENT: ("Statement of the CSTO Defence Ministers on joint air defence", "2025-02-03"),
    WORKING_GROUP: ("Состоялось заседание Рабочей группы по информационной политике", "2025-01-29"),
    MINSK: ("The Council of Foreign Ministers met in Minsk", "2024-12-20"),
    TAJIKISTAN: (
        "Exercises of the Collective Rapid Reaction Forces began in Tajikistan",
        "2024-10-07",
    ),
}
ALL_TITLES = sorted(title for title, _day in EXPECTED.values())


@pytest.fixture
def site(site_server: SiteServer) -> SiteServer:
    serve(site_server)
    return site_server


@pytest.fixture
def project(tmp_path: Path, site: SiteServer) -> Path:
    return write_config(tmp_path, site)


def paths(server: SiteServer) -> list[str]:
    return [request.path for request in server.requests]


def listing_reads(server: SiteServer, listing: str = NEWS) -> list[str]:
    """The listing pages asked for, in order."""
    return [p for p in paths(server) if p == listing or p.startswith(listing + "?")]


def article_reads(server: SiteServer, listing: str = NEWS) -> list[str]:
    """The other pages asked for (but robots.txt), sorted: articles are fetched in
    parallel, in no fixed order."""
    others = set(listing_reads(server, listing)) | {"/robots.txt"}
    return sorted(p for p in paths(server) if p not in others)


def stored(config: Path) -> dict[str, Entry]:
    """Stored entries by canonical URL (or title when there is none)."""
    found = (stored_entry(config, e.id) for e in stored_entries(config, include_hidden=True))
    return {e.release.url or e.release.title: e for e in found if e is not None}


def etag(body: bytes) -> str:
    """The ETag the test server gives a static page."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def others_published(config: Path, site: SiteServer, failed: str) -> None:
    """Every article but ``failed`` is in the feeds, with its title and date."""
    feed = read_feed(config)
    published = {e.link: (e.title, e.published[:10]) for e in feed.entries}
    assert published == {site.url(p): EXPECTED[p] for p in ARTICLES if p != failed}


# -- first and second refresh ----------------------------------------------------------


def test_first_refresh_reads_three_listing_pages_and_every_article_once(
    project: Path, site: SiteServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert refresh(project) == 0
    assert capsys.readouterr() == ("", "")

    # robots.txt, the three pages (never page 4, which the listing links to), each
    # article once; the AJAX copy of the Minsk article is never asked for.
    assert paths(site)[0] == "/robots.txt"
    assert listing_reads(site) == PAGES
    assert article_reads(site) == sorted(ARTICLES)

    feed = read_feed(project)
    published = {e.link: (e.title, e.published) for e in feed.entries}
    assert published == {
        site.url(path): (title, f"{day}T12:00:00+03:00") for path, (title, day) in EXPECTED.items()
    }
    assert len(read_feed(project, "news").entries) == 5

    entries = stored(project)
    ambassador = entries[site.url(AMBASSADOR)].release
    assert ambassador.images == (
        Asset("meeting.jpg", site.url("/upload/iblock/7a1/meeting.jpg")),
        Asset("IMG_0412 (2).jpg", site.url("/upload/medialibrary/b2c/IMG_0412%20(2).jpg")),
    )
    assert ambassador.date_origin is DateOrigin.PAGE
    statement = entries[site.url(STATEMENT)].release
    assert statement.attachments == (
        Asset(
            "2b7e151628aed2a6abf7158809cf4f3c.docx",
            site.url("/upload/iblock/5d0/2b7e151628aed2a6abf7158809cf4f3c.docx"),
        ),
        Asset("Annex 1.pdf", site.url("/upload/iblock/5d0/Annex%201.pdf")),
    )
    assert statement.paragraphs == (
        "The ministers agreed to extend the joint air defence system of the member states "
        "to the southern borders.",
        "The statement and its annex are attached below.",
    )
    # windows-1251 bytes, declared in the Content-Type header.
    russian = entries[site.url(WORKING_GROUP)].release
    assert russian.language == "ru"
    assert russian.paragraphs == (
        "29 января в Секретариате ОДКБ прошло заседание Рабочей группы по информационной "
        "политике и информационной безопасности.",
        "Участники утвердили план работы на первое полугодие.",
    )
    # The page shows no date: the listing's date stands in.
    tajikistan = entries[site.url(TAJIKISTAN)].release
    assert (tajikistan.date, tajikistan.date_origin) == (dt.date(2024, 10, 7), DateOrigin.LISTING)

    assert status(project)["sources"]["site-news"] == {
        "status": "ok",
        "items": 5,
        "message": "",
        "type": "html",
    }


def test_second_refresh_is_conditional_and_changes_nothing(project: Path, site: SiteServer) -> None:
    assert refresh(project) == 0
    before = snapshot(project.parent / "output")
    site.clear_requests()

    assert refresh(project) == 0

    # Page 1 has not changed (304): nothing new can be on the pages after it.
    assert paths(site) == ["/robots.txt", NEWS]
    request = site.requests[1]
    # The server answers 304 exactly when this tag is the page's current one.
    assert request.headers["if-none-match"] == etag(page("listing-1.html"))
    assert "if-modified-since" in request.headers
    assert snapshot(project.parent / "output") == before


def test_new_article_is_read_with_one_article_request(project: Path, site: SiteServer) -> None:
    assert refresh(project) == 0
    site.add(NEWS, page("listing-1-new.html"))
    site.clear_requests()

    assert refresh(project) == 0

    # Page 1 shows the new article beside known ones; page 2 holds known ones only.
    assert listing_reads(site) == [NEWS, PAGES[1]]
    assert article_reads(site) == [BRIEFING]
    assert site.requests[1].headers["if-none-match"] == etag(page("listing-1.html"))
    feed = read_feed(project)
    assert len(feed.entries) == 6
    briefing = next(e for e in feed.entries if e.link == site.url(BRIEFING))
    assert briefing.title == "A briefing for journalists was held at the CSTO Secretariat"
    assert briefing.published == "2025-03-18T12:00:00+03:00"
    assert status(project)["sources"]["site-news"]["items"] == 6


def test_pages_setting_limits_the_listing(tmp_path: Path, site: SiteServer) -> None:
    config = write_config(tmp_path, site, sources=[html_source(site, pages=1)])
    assert refresh(config) == 0
    assert listing_reads(site) == [NEWS]
    assert article_reads(site) == sorted([AMBASSADOR, STATEMENT])
    assert titles(config) == sorted(EXPECTED[p][0] for p in (AMBASSADOR, STATEMENT))


# -- faults ----------------------------------------------------------------------------


def test_server_errors_then_success_are_retried(project: Path, site: SiteServer) -> None:
    body = page("article-statement.html")

    def flaky(request: Request) -> tuple[int, dict[str, str], bytes]:
        return (500, {}, b"busy") if request.call <= 2 else (200, {}, body)

    site.add_handler(STATEMENT, flaky)
    assert refresh(project) == 0
    assert site.count(STATEMENT) == 3
    assert titles(project) == ALL_TITLES


def test_retry_after_is_honoured(project: Path, site: SiteServer) -> None:
    body = page("article-statement.html")
    calls: list[float] = []

    def busy_once(request: Request) -> tuple[int, dict[str, str], bytes]:
        calls.append(time.monotonic())
        if request.call == 1:
            return 429, {"Retry-After": "1"}, b"slow down"
        return 200, {}, body

    site.add_handler(STATEMENT, busy_once)
    assert refresh(project) == 0
    assert len(calls) == 2
    assert calls[1] - calls[0] >= 1.0
    assert titles(project) == ALL_TITLES


def one_problem(capsys: pytest.CaptureFixture[str]) -> str:
    """The run printed exactly one line, on stderr; return it."""
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_timeout_is_reported_and_the_article_read_next_time(
    tmp_path: Path, site: SiteServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, site, http={"timeout": 0.3, "retries": 1})
    body = page("article-statement.html")

    def stalled(request: Request) -> tuple[int, dict[str, str], bytes]:
        site.stopped.wait(1.0)
        return 200, {}, body

    site.add_handler(STATEMENT, stalled)
    assert refresh(config) == 1
    assert one_problem(capsys) == (
        f"{site.url(STATEMENT)}: no complete answer within 0.3 s after 2 attempts"
    )
    others_published(config, site, failed=STATEMENT)
    assert status(config)["sources"]["site-news"]["status"] == "failed"

    # Nothing is lost: the page holding the failed article is read again next time.
    site.add(STATEMENT, body)
    site.clear_requests()
    assert refresh(config) == 0
    assert paths(site).count(STATEMENT) == 1
    assert titles(config) == ALL_TITLES
    assert status(config)["sources"]["site-news"]["status"] == "ok"


def test_truncated_body_is_reported(
    project: Path, site: SiteServer, capsys: pytest.CaptureFixture[str]
) -> None:
    body = page("article-statement.html")
    size = len(body)

    def cut(request: Request) -> tuple[int, dict[str, str], bytes]:
        return 200, {"Content-Length": str(size + 100)}, body

    site.add_handler(STATEMENT, cut)
    assert refresh(project) == 1
    assert one_problem(capsys) == (
        f"{site.url(STATEMENT)}: truncated response ({size} of {size + 100} bytes received) "
        "after 3 attempts"
    )
    others_published(project, site, failed=STATEMENT)


def test_redirect_to_another_host_is_refused_without_contacting_it(
    project: Path, site: SiteServer, capsys: pytest.CaptureFixture[str]
) -> None:
    with SiteServer() as elsewhere:
        elsewhere.add(STATEMENT, page("article-statement.html"))
        target = f"http://localhost:{elsewhere.port}{STATEMENT}"
        site.add_handler(STATEMENT, lambda _request: (302, {"Location": target}, b""))

        assert refresh(project) == 1
        assert elsewhere.requests == []
    assert one_problem(capsys) == (
        f"{site.url(STATEMENT)}: redirect to http://localhost:{elsewhere.port}/ refused"
        " (another origin)"
    )
    assert site.count(STATEMENT) == 1
    others_published(project, site, failed=STATEMENT)


def test_oversized_page_is_cut_off_and_reported(
    tmp_path: Path, site: SiteServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, site, http={"max_bytes": 4000})
    padding = b"<!-- " + b"x" * 5000 + b" -->\n"
    site.add(STATEMENT, page("article-statement.html").replace(b"<body>", b"<body>" + padding))

    assert refresh(config) == 1
    assert one_problem(capsys) == (
        f"{site.url(STATEMENT)}: page larger than the size limit; cut off"
    )
    others_published(config, site, failed=STATEMENT)


def test_host_down_publishes_from_state_and_other_sources(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    with SiteServer() as site:
        serve(site)
        config = write_config(
            tmp_path,
            site,
            sources=[
                html_source(site),
                {"name": "dumps", "type": "dump", "paths": ["dumps/*.txt"]},
            ],
        )
        shutil.copy(LIVE / "dumps" / "kant-exercises.txt", dumps)
        assert refresh(config) == 0
        url = site.url(NEWS)
    before = titles(config)
    assert before == sorted([*ALL_TITLES, "Air defence units of the member states trained at Kant"])

    # The host is gone; meanwhile a new dump arrived.
    shutil.copy(LIVE / "dumps" / "ashgabat-consultations.txt", dumps)
    assert refresh(config) == 1
    problem = one_problem(capsys)
    assert problem.startswith(f"{url}: connection failed (")
    assert problem.endswith(") after 3 attempts")

    assert titles(config) == sorted([*before, "Consultations on Afghanistan were held in Ashgabat"])
    sources = status(config)["sources"]
    assert sources["site-news"]["status"] == "failed"
    assert sources["dumps"]["status"] == "ok"
    assert status(config)["status"] == "attention"


# -- one release seen live and in a dump -----------------------------------------------


@pytest.mark.parametrize("dump_first", [True, False], ids=["dump-first", "live-first"])
def test_live_page_and_dump_of_it_are_one_entry(
    tmp_path: Path, site: SiteServer, dump_first: bool
) -> None:
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    shutil.copy(LIVE / "dumps" / "sovet-ministrov-v-minske.txt", dumps)
    dump = {"name": "dumps", "type": "dump", "paths": ["dumps/*.txt"]}
    live = html_source(site)
    config = write_config(tmp_path, site, sources=[dump, live] if dump_first else [live, dump])

    assert refresh(config) == 0

    feed = read_feed(config)
    # Five live articles and the dump's sidebar teaser; the Minsk article once.
    assert len(feed.entries) == 6
    minsk = [e for e in feed.entries if e.title == "The Council of Foreign Ministers met in Minsk"]
    assert len(minsk) == 1
    assert minsk[0].link == site.url(MINSK)
    assert minsk[0].published == "2024-12-20T12:00:00+03:00"
    entry = stored(config)[site.url(MINSK)]
    assert sorted(s.source for s in entry.sightings if s.kind.value == "full") == [
        "dumps",
        "site-news",
    ]


# -- policy ----------------------------------------------------------------------------


def test_loopback_is_refused_unless_allowed(
    tmp_path: Path, site: SiteServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, site, http={"allow_private_addresses": False})
    assert refresh(config) == 1
    problem = one_problem(capsys)
    assert problem == (
        f"{site.url(NEWS)}: private address 127.0.0.1 refused (set http.allow_private_addresses)"
    )
    assert site.requests == []


def test_only_hosts_named_in_the_config_are_contacted(
    project: Path, site: SiteServer, capsys: pytest.CaptureFixture[str]
) -> None:
    with SiteServer() as elsewhere:
        elsewhere.add(STATEMENT, page("article-statement.html"))
        offsite = f"http://localhost:{elsewhere.port}{STATEMENT}"
        listing = page("listing-1.html").replace(STATEMENT.encode(), offsite.encode())
        site.add(NEWS, listing)

        assert refresh(project) == 1
        assert elsewhere.requests == []
    assert one_problem(capsys) == (
        f"{offsite}: http://localhost:{elsewhere.port}/ refused (not an origin the sources name)"
    )
    others_published(project, site, failed=STATEMENT)


# -- unknown markup --------------------------------------------------------------------

VICTORY = "/75-letie-pobedy/novosti/"
EXHIBITION = VICTORY + "v-bishkeke-otkrylas-fotovystavka/"
ALLEY = VICTORY + "shkolniki-posadili-allei-pamyati"


def victory_project(tmp_path: Path, site: SiteServer) -> Path:
    source = html_source(site, name="victory", pages=1)
    source["url"] = site.url(VICTORY)
    return write_config(tmp_path, site, sources=[source])


def test_generic_extractor_reads_unknown_markup_with_a_warning(
    tmp_path: Path, site: SiteServer
) -> None:
    config = victory_project(tmp_path, site)

    report = run_refresh(load_config(config))

    assert report.exit_code == 0
    assert report.problems == []
    assert report.warnings == [
        f"{site.url(VICTORY)}: the site profile's listing selectors matched nothing; the "
        "generic extractor was used (the profile needs attention)",
        f"{site.url(EXHIBITION)}: profile selectors matched nothing; generic extractor used",
        f"{site.url(ALLEY)}: profile selectors matched nothing; generic extractor used",
    ]
    assert listing_reads(site, VICTORY) == [VICTORY]
    assert article_reads(site, VICTORY) == sorted([EXHIBITION, ALLEY])
    published = {e.link: e.published for e in read_feed(config).entries}
    # The exhibition page dates itself; the alley page has no date, the listing has.
    assert published == {
        site.url(EXHIBITION): "2020-05-06T12:00:00+03:00",
        site.url(ALLEY): "2020-05-04T12:00:00+03:00",
    }
    exhibition = stored(config)[site.url(EXHIBITION)].release
    assert exhibition.title == "A photo exhibition opened in Bishkek"
    assert exhibition.paragraphs == (
        "Photographs from family archives of the member states were put on display in the "
        "city park of Bishkek.",
        "The exhibition will stay open until the end of May.",
    )
    assert status(config)["sources"]["victory"]["status"] == "ok"


def test_generic_extractor_takes_an_h2_title_over_the_site_name(
    tmp_path: Path, site: SiteServer
) -> None:
    # A page with no h1: its h2 heading is the title; <title> adds the project's
    # name, which the profile's title_suffixes do not know.
    config = victory_project(tmp_path, site)
    assert refresh(config) == 0
    assert stored(config)[site.url(ALLEY)].release.title == (
        "Schoolchildren planted an alley of memory"
    )
