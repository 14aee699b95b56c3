"""Hostile input and faults: every case that once made feeds fall, and what must hold now.

One test per case (F1 to F13), run through the ``feeds`` command where it can be, each
asserting what a user sees: the files that survive, the entries published, the one line
printed, the exit code and, where a case once cost gigabytes, the peak memory of the run.
Then the messages that used to leave a user guessing.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import gzip
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import feedparser
import pytest

from feeds.cli import main
from feeds.config import load_config
from feeds.errors import InputError, ParseError
from feeds.model import DocumentKind, Retrieved
from feeds.parsing import parse_document
from feeds.profile import default_profile
from feeds.refresh import refresh as run_refresh
from feeds.sources import files as local_files
from tests.conftest import REPO, SAMPLES
from tests.support.livesite import LISTING, page, serve, write_config
from tests.support.site_server import SiteServer
from tests.test_serve import ensure_descriptors, exchange_concurrently, raw_request, serving
from tests.test_sources_http import Dripping, gzip_of_zeros

#: The five sample dumps hold this many distinct releases (articles and teasers).
SAMPLE_RELEASES = 19
#: The sample dump whose article the cases below damage, and that article's title.
DUMP_004 = "004_4b67952beaed8799.txt"
TITLE_004 = (
    "At the Permanent Council of the CSTO, the Russian side provided information on the "
    "violation by Ukraine of the rules of peaceful passage in the territorial sea of the "
    "Russian Federation"
)
STATEMENT = LISTING + "zayavlenie-ministrov-oborony-odkb/"
WORKING_GROUP = LISTING + "zasedanie-rabochey-gruppy-po-informatsionnoy-politike/"
#: Live articles besides the statement, by the titles they are published with.
LIVE_OTHERS = {
    "The CSTO Secretary General met the Ambassador of Armenia",
    "Состоялось заседание Рабочей группы по информационной политике",
    "The Council of Foreign Ministers met in Minsk",
    "Exercises of the Collective Rapid Reaction Forces began in Tajikistan",
}
# What a terminal would act on: C0 controls but tab and newline, DEL, C1, bidi controls.
TERMINAL_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


# -- projects ---------------------------------------------------------------------------


def make_config(
    folder: Path,
    *,
    output: str = "output",
    state: str = "state/feeds.sqlite",
    sources: str = '  - {name: dumps, type: dump, paths: ["dumps/*.txt"]}\n',
    http: str = "",
    dumps: bool = True,
) -> Path:
    """A project in ``folder``: the sample dumps under dumps/ and a config naming them."""
    if dumps:
        (folder / "dumps").mkdir(exist_ok=True)
        for sample in sorted(SAMPLES.glob("*.txt")):
            (folder / "dumps" / sample.name).write_bytes(sample.read_bytes())
    text = textwrap.dedent(
        f"""\
        site:
          title: CSTO releases
          url: https://en.odkb-csto.org/
          public_url: https://feeds.example.org/csto/
        output: {json.dumps(output)}
        state: {json.dumps(state)}
        """
    )
    text += http
    text += "sections:\n  - {id: news, title: CSTO news, default: true}\nsources:\n" + sources
    config = folder / "sources.yaml"
    config.write_text(text, encoding="utf-8")
    return config


def feeds(
    capsys: pytest.CaptureFixture[str], config: Path, command: str, *args: str
) -> tuple[int, str, list[str]]:
    """Run one ``feeds`` command as cron does: exit code, stdout and the stderr lines."""
    capsys.readouterr()
    extra = ("--quiet",) if command == "refresh" else ()
    code = main([command, "-c", str(config), *extra, *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err.splitlines()


def entries(config: Path, section: str = "all") -> list[Any]:
    parsed = feedparser.parse((config.parent / "output" / section / "atom.xml").read_bytes())
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return list(parsed.entries)


def titles(config: Path) -> set[str]:
    return {entry.title for entry in entries(config)}


def status(config: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((config.parent / "output" / "status.json").read_bytes())
    return data


def snapshot(output: Path) -> dict[str, bytes]:
    return {
        p.relative_to(output).as_posix(): p.read_bytes() for p in output.rglob("*") if p.is_file()
    }


# Runs one command in a child process and writes the child's peak resident memory (KiB)
# to the file named by its first argument.  VmHWM is the peak since the program started
# (ru_maxrss would count the test process the child was forked from).
_MEASURED = """
import re, resource, sys
from feeds.cli import main
try:
    code = main(sys.argv[2:])
finally:
    try:
        with open("/proc/self/status") as status:
            peak = int(re.search(r"VmHWM:\\s*(\\d+)", status.read()).group(1))
    except OSError:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with open(sys.argv[1], "w") as report:
        report.write(str(peak))
sys.exit(code)
"""


def measured(tmp_path: Path, *args: str) -> tuple[int, str, list[str], int]:
    """``feeds ARGS`` in a child process: exit code, stdout, stderr lines and the peak
    resident memory of the whole process in bytes (the interpreter included)."""
    report = tmp_path / "peak.txt"
    done = subprocess.run(
        [sys.executable, "-c", _MEASURED, str(report), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stdout, done.stderr.splitlines(), int(report.read_text()) << 10


#: A child refreshing a small project peaks well under this (the interpreter and libraries
#: take most of it); a page or file inflated or read whole would take it far above.
PEAK_LIMIT = 160 << 20


def damage_dump(config: Path, edit: Callable[[bytes], bytes]) -> None:
    path = config.parent / "dumps" / DUMP_004
    path.write_bytes(edit(path.read_bytes()))


@pytest.fixture
def site(site_server: SiteServer) -> SiteServer:
    serve(site_server)
    return site_server


def live_titles(config: Path) -> set[str]:
    return {entry.title for entry in entries(config)}


# A partner's feed of four items; {nested} fills the third one's description.
PARTNER_FEED = """\
<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Partner</title><link>https://partner.example.org/</link>
<item><title>Partner item one</title><link>https://partner.example.org/1</link>
  <description>The first item, all plain.</description></item>
<item><title>Partner &#xD800;item&#x1; two \x1b[31mred\x1b[0m</title>
  <link>https://partner.example.org/2</link>
  <description>Bad &#xDFFF;characters &#x7; dropped, the item kept.</description></item>
<item><title>Partner item three</title><link>https://partner.example.org/3</link>
  <description>{nested}</description></item>
<item><title>Partner item four</title><link>https://partner.example.org/4</link>
  <description>The last item, all plain.</description></item>
</channel></rss>
"""


# -- F1, F2: the output folder is feeds' own ---------------------------------------------


@pytest.mark.parametrize(
    ("output", "line", "says"),
    [
        ("/", 5, "is the filesystem root"),
        (".", 5, "holds the config folder"),
        ("..", 5, "holds the config folder"),
        # The state (state/feeds.sqlite) would be served: reported at its own line.
        ("state", 6, "its lock file would be inside output"),
        ("dumps", 10, "'dumps/*.txt' reads from inside output"),
    ],
)
def test_f1_output_that_is_root_config_state_or_source_folder_is_refused(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    output: str,
    line: int,
    says: str,
) -> None:
    folder = tmp_path / "project"
    folder.mkdir()
    config = make_config(folder, output=output)
    # Files that are not feeds' own, in the places a cleanup would look.
    unrelated = [
        folder / "notes" / "archive" / "1.xml",
        folder / "releases" / "2020" / "01" / "mine.html",
        folder / ".draft.tmp",
    ]
    for path in unrelated:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("not feeds' file\n", encoding="utf-8")
    before = {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}

    for command in ("validate", "refresh", "publish", "list"):
        code, out, err = feeds(capsys, config, command)
        assert (code, out) == (2, ""), command
        assert len(err) == 1, (command, err)
        assert err[0].startswith(f"{config}:{line}: ") and says in err[0], err[0]

    # Nothing was read, written or removed anywhere.
    assert {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()} == before
    assert not (folder / "state" / "feeds.sqlite").exists()


def test_f2_state_and_lock_inside_output_are_a_config_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_config(tmp_path, output="public", state="public/data/feeds.sqlite")

    code, out, err = feeds(capsys, config, "validate")

    assert (code, out) == (2, "")
    assert err == [
        f"{config}:6: state: state 'public/data/feeds.sqlite' and its lock file would be "
        "inside output 'public', where anyone reading the output could download them: keep "
        "the state outside the output folder"
    ]
    # refresh and serve refuse the same config before creating anything to serve.
    assert feeds(capsys, config, "refresh")[0] == 2
    assert feeds(capsys, config, "serve", "--port", "0")[0] == 2
    assert not (tmp_path / "public").exists()


# -- F3, F4: every fetch is bounded in bytes and in time --------------------------------


@functools.cache
def zeros_gzipped() -> bytes:
    """256 MiB of zeros, gzipped: 255 KiB."""
    return gzip_of_zeros(256 << 20)


@pytest.mark.parametrize(
    ("coding", "body", "reason"),
    [
        # 256 MiB of zeros gzipped twice: a kilobyte on the wire, never inflated.
        ("gzip, gzip", lambda: gzip.compress(zeros_gzipped()), None),
        # 256 MiB of zeros gzipped once: inflated no further than the size cap.
        ("gzip", zeros_gzipped, "page larger than the size limit; cut off"),
    ],
    ids=["stacked", "bomb"],
)
def test_f3_compression_bomb_costs_one_page_and_little_memory(
    tmp_path: Path,
    site: SiteServer,
    capsys: pytest.CaptureFixture[str],
    coding: str,
    body: Callable[[], bytes],
    reason: str | None,
) -> None:
    config = write_config(tmp_path, site)
    data = body()
    site.add_handler(STATEMENT, lambda _request: (200, {"Content-Encoding": coding}, data))

    code, out, err, peak = measured(tmp_path, "refresh", "-c", str(config), "--quiet")

    expected = reason or "stacked content codings refused (gzip, gzip)"
    assert (code, out, err) == (1, "", [f"{site.url(STATEMENT)}: {expected}"])
    assert live_titles(config) == LIVE_OTHERS
    assert peak < PEAK_LIMIT, f"peak {peak >> 20} MiB"


def test_f4_a_page_sent_a_byte_at_a_time_fails_at_the_deadline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Dripping(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n") as server:
        url = f"http://127.0.0.1:{server.port}/news/"
        config = make_config(
            tmp_path,
            sources=(
                '  - {name: dumps, type: dump, paths: ["dumps/*.txt"]}\n'
                f"  - {{name: slow, type: html, url: {json.dumps(url)}}}\n"
            ),
            http=(
                "http: {timeout: 0.5, retries: 0, min_delay: 0, respect_robots: false,"
                " allow_private_addresses: true}\n"
            ),
        )
        started = time.monotonic()
        code, out, err = feeds(capsys, config, "refresh")
        elapsed = time.monotonic() - started

        assert (code, out, err) == (
            1,
            "",
            [f"{url}: no complete answer within 0.5 s after 1 attempt"],
        )
        assert elapsed < 10
        assert len(entries(config)) == SAMPLE_RELEASES
        assert status(config)["sources"]["slow"]["status"] == "failed"
        # The lock was let go: the next run starts at once.
        assert feeds(capsys, config, "refresh", "--only", "dumps")[0] == 0


# -- F5: local files are capped like downloads -----------------------------------------


def test_f5_huge_or_endless_feed_file_costs_only_its_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with (tmp_path / "big.xml").open("wb") as handle:
        handle.truncate(200_000_000)  # 200 MB, sparse
    (tmp_path / "partner.xml").write_text(PARTNER_FEED.format(nested=""), encoding="utf-8")
    config = make_config(
        tmp_path,
        dumps=False,
        sources=(
            "  - {name: partner, type: feed, path: partner.xml}\n"
            "  - {name: zero, type: feed, path: /dev/zero}\n"
            "  - {name: big, type: feed, path: big.xml}\n"
        ),
        http="http: {max_bytes: 1000000}\n",
    )

    code, out, err, peak = measured(tmp_path, "refresh", "-c", str(config), "--quiet")

    assert (code, out) == (1, "")
    assert err == [
        "/dev/zero: not a regular file (a device, pipe or folder); not read",
        f"{tmp_path / 'big.xml'}: file too large (200,000,000 bytes, more than the size limit"
        " of 1,000,000 bytes); not read (raise http.max_bytes if it is genuine)",
    ]
    assert len(entries(config)) == 4
    sources = status(config)["sources"]
    assert [sources[name]["status"] for name in ("partner", "zero", "big")] == [
        "ok",
        "failed",
        "failed",
    ]
    assert peak < PEAK_LIMIT, f"peak {peak >> 20} MiB"

    # A file that grows while it is read (its size said 0 when opened) is cut as it is
    # read: never more than the cap is held.
    growing = tmp_path / "growing.xml"
    growing.write_bytes(b"<rss>" + b" " * 30_000_000)
    real_fstat = os.fstat

    def fstat(fd: int) -> os.stat_result:
        return os.stat_result((*real_fstat(fd)[:6], 0, *real_fstat(fd)[7:]))

    monkeypatch.setattr(local_files, "os", type("os", (), {"fstat": staticmethod(fstat)}))
    tracemalloc.start()
    try:
        with pytest.raises(InputError) as caught:
            local_files.read_capped(growing, 1_000_000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert caught.value.reason == (
        "file too large (more than the size limit of 1,000,000 bytes); not read "
        "(raise http.max_bytes if it is genuine)"
    )
    assert peak < 4 << 20, f"peak {peak >> 20} MiB"


# -- F6: one bad item costs one item ----------------------------------------------------


def test_f6_bad_character_in_one_item_costs_at_most_that_item(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nested = ("&lt;div&gt;" * 400) + "text" + ("&lt;/div&gt;" * 400)
    (tmp_path / "partner.xml").write_text(PARTNER_FEED.format(nested=nested), encoding="utf-8")
    config = make_config(
        tmp_path,
        sources="  - {name: partner, type: feed, path: partner.xml}\n",
        dumps=False,
    )

    code, out, err = feeds(capsys, config, "refresh")

    # The item that cannot be read is named with its feed and source; nothing says
    # "internal error".
    assert (code, out) == (1, "")
    assert err == [
        f"partner: {tmp_path / 'partner.xml'}: item 3 (https://partner.example.org/3): "
        "elements nested more than 256 levels deep: not a readable page (damaged or hostile "
        "markup); the other items are read"
    ]
    published = {entry.link: entry for entry in entries(config)}
    assert sorted(published) == [f"https://partner.example.org/{n}" for n in (1, 2, 4)]
    # The bad characters are gone, the text around them kept.
    second = published["https://partner.example.org/2"]
    assert second.title == "Partner item two red"
    assert second.summary == "Bad characters dropped, the item kept."
    assert status(config)["sources"]["partner"]["items"] == 4


# -- F7: configs are bounded in size and aliases ---------------------------------------


def alias_bomb(levels: int, width: int) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels):
        refs = ", ".join(f"*a{level - 1}" for _ in range(width))
        lines.append(f"a{level}: &a{level} [{refs}]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        # 9 levels of 9 aliases: 387 million strings once expanded.
        (alias_bomb(9, 9), "invalid YAML: aliases expand to more than 200,000 values"),
        (alias_bomb(30, 9), "invalid YAML: more than 100 aliases"),
        ("# padding\n" * 1_000_000, "10,000,000 characters is too large for a configuration"),
    ],
    ids=["expanding", "many-aliases", "10MB"],
)
def test_f7_alias_bomb_or_huge_config_is_refused_quickly(
    tmp_path: Path, text: str, says: str
) -> None:
    config = tmp_path / "sources.yaml"
    config.write_text(text, encoding="utf-8")

    started = time.monotonic()
    code, out, err, peak = measured(tmp_path, "validate", "-c", str(config))

    assert (code, out, len(err)) == (2, "", 1)
    assert err[0].startswith(str(config)) and says in err[0], err[0]
    assert time.monotonic() - started < 10
    assert peak < PEAK_LIMIT, f"peak {peak >> 20} MiB"


# -- F8: text is text everywhere -------------------------------------------------------

ESCAPED_TITLE = (
    "\x1b]0;owned\x07\x1b[31mAt the Permanent Council of the CSTO,\x1b[0m the Russian\u202e side "
    "provided information\x9b2J on the violation by Ukraine of the rules of peaceful "
    "passage in the territorial sea of the Russian Federation\x07"
)


def test_f8_terminal_escapes_in_a_title_never_reach_terminal_pages_or_feeds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_config(tmp_path)
    damage_dump(config, lambda data: data.replace(TITLE_004.encode(), ESCAPED_TITLE.encode()))

    assert feeds(capsys, config, "refresh")[0] == 0
    # Stored clean at ingest: the feeds carry the title without its escapes.
    assert TITLE_004 in titles(config)

    # State written by an older version may hold anything: list and show clean it too.
    with sqlite3.connect(tmp_path / "state" / "feeds.sqlite") as db:
        entry_id, stored = db.execute(
            "SELECT id, release FROM entries WHERE release LIKE ?", ("%Permanent Council%",)
        ).fetchone()
        release = json.loads(stored)
        release["title"] = ESCAPED_TITLE
        release["lead"] = "\x1b[2J\x1b[Hcleared " + release["lead"]
        db.execute("UPDATE entries SET release=? WHERE id=?", (json.dumps(release), entry_id))
    db.close()

    code, listed, _ = feeds(capsys, config, "list")
    assert code == 0 and TITLE_004 in listed
    code, shown, _ = feeds(capsys, config, "show", entry_id)
    assert code == 0 and f"title:      {TITLE_004}\n" in shown
    for printed in (listed, shown):
        assert not TERMINAL_UNSAFE.search(printed), repr(TERMINAL_UNSAFE.search(printed))

    assert feeds(capsys, config, "publish") == (0, "", [])
    pages = sorted((tmp_path / "output").rglob("*.html"))
    assert pages
    for path in pages:
        text = path.read_text(encoding="utf-8")
        assert not TERMINAL_UNSAFE.search(text), (path, TERMINAL_UNSAFE.search(text))


# -- F9: a wrong charset never publishes a title of U+FFFD -----------------------------


def test_f9_page_in_windows_1251_served_as_utf8_is_read_right_and_named(
    tmp_path: Path, site: SiteServer, capsys: pytest.CaptureFixture[str]
) -> None:
    site.add(
        WORKING_GROUP,
        page("article-working-group.cp1251.html"),
        content_type="text/html; charset=utf-8",
    )
    broken = page("article-statement.html").replace(
        b"Statement of the CSTO Defence Ministers on joint air defence",
        ("\ufffd" * 24).encode(),
    )
    site.add(STATEMENT, broken)
    config = write_config(tmp_path, site)

    report = run_refresh(load_config(config))

    warnings = "\n".join(report.warnings)
    assert f"{site.url(WORKING_GROUP)}: declared charset utf-8 does not fit the bytes" in warnings
    assert report.problems == [
        # The title is on the page twice: in its head and as its heading.
        f"{site.url(STATEMENT)}: the title could not be decoded (48 characters could not be "
        "decoded: is the character set wrong? a dump source can name it with encoding:)"
    ]
    published = live_titles(config)
    assert published == LIVE_OTHERS
    assert not any("\ufffd" in title for title in published)


# -- F10: a full or read-only disk is one line, and nothing is lost --------------------


@pytest.mark.parametrize(
    ("code", "says"),
    [
        (errno.ENOSPC, "cannot write: no space left on the device; free some space"),
        (errno.EROFS, "cannot write: the file system is read-only; make the output folder"),
        (errno.EACCES, "cannot write: permission denied; let this user write to the output"),
    ],
    ids=["ENOSPC", "EROFS", "EACCES"],
)
def test_f10_full_or_read_only_output_is_one_line_and_loses_nothing(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    code: int,
    says: str,
) -> None:
    config = make_config(tmp_path)
    (tmp_path / "dumps" / DUMP_004).unlink()
    assert feeds(capsys, config, "refresh")[0] == 0
    output = tmp_path / "output"
    before = snapshot(output)
    assert TITLE_004 not in titles(config)

    # A new dump arrives; then every write fails.
    (tmp_path / "dumps" / DUMP_004).write_bytes((SAMPLES / DUMP_004).read_bytes())

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError(code, os.strerror(code), str(args[0]) if args else None)

    with monkeypatch.context() as patch:
        patch.setattr(os, "replace", refuse)
        exit_code, out, err = feeds(capsys, config, "refresh")

    assert (exit_code, out, len(err)) == (1, "", 1)
    assert err[0].startswith(str(output) + "/") and says in err[0], err[0]
    assert err[0].endswith("then run again (files already published are unchanged)")
    assert snapshot(output) == before
    assert not list(output.rglob("*.tmp"))

    # The next run publishes everything, the new release included.
    assert feeds(capsys, config, "refresh") == (0, "", [])
    assert TITLE_004 in titles(config)


def test_f10_full_disk_under_the_state_is_one_line_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from feeds.store.database import Database

    config = make_config(tmp_path)
    real_open = Database.open

    def full(path: Path) -> Database:
        # The state may grow by a page or two, as on a disk that is all but full.
        database = real_open(path)
        pages = database.execute("PRAGMA page_count").fetchone()[0]
        database.execute(f"PRAGMA max_page_count={pages + 2}")
        return database

    monkeypatch.setattr(Database, "open", full)
    code, out, err = feeds(capsys, config, "refresh")

    assert (code, out, len(err)) == (1, "", 1)
    assert f"{tmp_path / 'state' / 'feeds.sqlite'}: cannot write the state" in err[0]
    assert err[0].endswith("free some space or make its folder writable, then run again")

    monkeypatch.setattr(Database, "open", real_open)
    assert feeds(capsys, config, "refresh") == (0, "", [])
    assert len(entries(config)) == SAMPLE_RELEASES


# -- F11: feeds serve under load and slow clients --------------------------------------


def test_f11_serve_answers_many_clients_and_drops_slow_headers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The full set is in test_serve: 500 connections, backlog, bounded threads, slow
    request heads; here the published output of a real project is served."""
    config = make_config(tmp_path)
    assert feeds(capsys, config, "refresh")[0] == 0
    atom = (tmp_path / "output" / "all" / "atom.xml").read_bytes()
    ensure_descriptors(1000)
    with serving(tmp_path / "output", header_timeout=0.5) as (server, httpd):
        assert httpd.request_queue_size >= 128
        assert httpd.max_workers <= 64
        slow = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        try:
            slow.sendall(b"GET /all/atom.xml HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            replies = exchange_concurrently(
                server.port,
                300,
                raw_request("/all/atom.xml", "Connection: close"),
                watch=lambda: None,
            )
            # The slow client is dropped once its head is late, while the others were served.
            slow.settimeout(5)
            with contextlib.suppress(ConnectionResetError):
                while slow.recv(65536):
                    pass
        finally:
            slow.close()
    assert len(replies) == 300
    assert all(r.startswith(b"HTTP/1.1 200 OK\r\n") and r.endswith(atom) for r in replies)


# -- F12: origins, not hosts -----------------------------------------------------------


def test_f12_redirect_to_another_port_of_the_same_host_is_refused(
    tmp_path: Path, site: SiteServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """Connections go to the address that was checked (no second lookup): see
    test_sources_http.test_the_connection_goes_to_the_checked_address_under_the_host_name."""
    with SiteServer() as elsewhere:
        elsewhere.add(STATEMENT, page("article-statement.html"))
        target = elsewhere.url(STATEMENT)
        site.add_handler(STATEMENT, lambda _request: (302, {"Location": target}, b""))
        config = write_config(tmp_path, site)

        code, out, err = feeds(capsys, config, "refresh")

        assert elsewhere.requests == []
    assert (code, out) == (1, "")
    assert err == [
        f"{site.url(STATEMENT)}: redirect to http://127.0.0.1:{elsewhere.port}/ refused"
        " (another origin)"
    ]
    assert live_titles(config) == LIVE_OTHERS


# -- F13: a stray NUL costs nothing ----------------------------------------------------


def test_f13_dump_with_a_stray_nul_still_yields_its_release(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_config(tmp_path)
    damage_dump(config, lambda data: data.replace(b"November 27th", b"November\x00 27th", 1))

    report = run_refresh(load_config(config))

    assert report.problems == []
    assert f"dumps/{DUMP_004}: 1 stray control character removed" in "\n".join(report.warnings)
    assert TITLE_004 in titles(config)
    assert len(entries(config)) == SAMPLE_RELEASES
    assert not any("\x00" in entry.summary for entry in entries(config))


# -- what used to leave a user guessing ------------------------------------------------


def test_file_url_is_refused_as_a_file_url(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_config(
        tmp_path, sources='  - {name: local, type: feed, url: "file:///etc/passwd"}\n'
    )
    assert feeds(capsys, config, "validate") == (
        2,
        "",
        [
            f"{config}:10: sources[0].url: file URLs are refused: expected an absolute http(s)"
            " URL (a feed file on disk goes in path:)"
        ],
    )
    good = make_config(tmp_path)
    assert feeds(capsys, good, "fetch", "file:///etc/passwd") == (
        1,
        "",
        ["file:///etc/passwd: file URLs are refused: only http and https are fetched"],
    )


def test_unexpected_error_in_a_source_names_source_file_and_where_to_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from feeds.ingest import Ingestor

    real = Ingestor.ingest

    def fragile(self: Ingestor, release: Any, origin: Any, now: Any) -> Any:
        if origin.locator.endswith(DUMP_004):
            raise KeyError("surprise")
        return real(self, release, origin, now)

    monkeypatch.setattr(Ingestor, "ingest", fragile)
    config = make_config(tmp_path)

    code, out, err = feeds(capsys, config, "refresh")

    assert (code, out, len(err)) == (1, "", 1)
    assert err[0].startswith(
        f"dumps: {tmp_path}/dumps/{DUMP_004}: unexpected error (KeyError: 'surprise'):"
    )
    assert "this is a bug in feeds; please report it with the command you ran" in err[0]
    assert "internal error" not in err[0]


def test_bug_anywhere_is_one_line_saying_where_to_report_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from feeds import refresh as refresh_module

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(refresh_module, "refresh", broken)
    config = make_config(tmp_path)
    monkeypatch.delenv("FEEDS_DEBUG", raising=False)

    assert feeds(capsys, config, "refresh") == (
        1,
        "",
        [
            f"feeds refresh -c {config}: unexpected error (ZeroDivisionError: division by "
            "zero): this is a bug in feeds; please report it with the command you ran and "
            'this line (see "Reporting problems" in README.md; FEEDS_DEBUG=1 shows the '
            "details)"
        ],
    )
    monkeypatch.setenv("FEEDS_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        main(["refresh", "-c", str(config)])


def test_no_article_title_found_suspects_the_charset() -> None:
    mojibake = "\ufffd\ufffd\ufffd\ufffd \ufffd\ufffd\ufffd " * 40
    body = f"<html><body><div><p>{mojibake}</p></div></body></html>".encode()
    document = Retrieved(
        kind=DocumentKind.ARTICLE,
        locator="https://en.odkb-csto.org/news/news_odkb/x/",
        body=body,
        url="https://en.odkb-csto.org/news/news_odkb/x/",
        content_type="text/html; charset=utf-8",
    )
    with pytest.raises(ParseError) as caught:
        parse_document(document, default_profile())
    assert str(caught.value) == (
        "https://en.odkb-csto.org/news/news_odkb/x/: no article title found (280 characters "
        "could not be decoded: is the character set wrong? a dump source can name it with "
        "encoding:)"
    )


def test_deeply_nested_page_is_a_clear_error_for_that_page(
    tmp_path: Path, site: SiteServer, capsys: pytest.CaptureFixture[str]
) -> None:
    nested = b"<div>" * 100_000 + b"<p>deep</p>" + b"</div>" * 100_000
    site.add(STATEMENT, page("article-statement.html").replace(b"<body>", b"<body>" + nested))
    config = write_config(tmp_path, site, http={"max_bytes": 5_000_000})

    started = time.monotonic()
    code, out, err = feeds(capsys, config, "refresh")

    assert (code, out) == (1, "")
    assert err == [
        f"{site.url(STATEMENT)}: elements nested more than 256 levels deep: not a readable "
        "page (damaged or hostile markup)"
    ]
    assert live_titles(config) == LIVE_OTHERS
    assert time.monotonic() - started < 30


def test_broken_pipe_exits_quietly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = make_config(tmp_path)
    assert feeds(capsys, config, "refresh")[0] == 0
    # `feeds list | head -0`: the reader is gone before anything is written.
    process = subprocess.Popen(
        [sys.executable, "-m", "feeds.cli", "list", "-c", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    err = process.stderr.read()
    process.stderr.close()
    assert (process.wait(30), err) == (0, b"")


def test_serve_on_a_bad_port_is_one_usage_line_and_never_says_serving(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_config(tmp_path)
    assert feeds(capsys, config, "refresh")[0] == 0
    code, out, err = feeds(capsys, config, "serve", "--port", "80000")
    assert (code, out) == (2, "")
    assert err == ["127.0.0.1:80000: cannot listen: port must be a number from 0 to 65535"]


def test_dump_source_matching_no_file_is_a_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_config(
        tmp_path, sources='  - {name: dumps, type: dump, paths: ["dumsp/*.txt", "*.text"]}\n'
    )
    expected = f"no file matches dumsp/*.txt, *.text (in {tmp_path}): check the source's paths"

    assert feeds(capsys, config, "refresh") == (1, "", [f"dumps: {expected}"])
    report = status(config)
    assert report["status"] == "attention"
    assert report["sources"]["dumps"]["status"] == "failed"
    assert report["sources"]["dumps"]["message"] == expected
