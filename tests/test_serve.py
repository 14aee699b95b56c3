"""Tests of feeds.serve against a real server on 127.0.0.1 over a made-up output tree."""

from __future__ import annotations

import ast
import contextlib
import email.utils
import errno
import gzip
import hashlib
import http.client
import os
import random
import re
import resource
import select
import selectors
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from feeds.errors import ConfigError
from feeds.serve import OutputServer, ServeSettings, files, make_server
from feeds.serve.responder import Responder

REPO_ROOT = Path(__file__).resolve().parents[1]

ATOM = (
    b'<?xml version="1.0" encoding="utf-8"?>\n'
    b'<feed xmlns="http://www.w3.org/2005/Atom">\n'
    b"  <title>CSTO news</title>\n"
    b"  <id>tag:feeds.example.org,2024:news</id>\n"
    b"  <updated>2024-05-14T00:00:00+03:00</updated>\n"
    b'  <link rel="self" href="https://feeds.example.org/csto/news/atom.xml"/>\n'
    b"  <entry>\n"
    b"    <title>CSTO Secretary General met the Ambassador of Armenia</title>\n"
    b"    <id>tag:feeds.example.org,2024-05-14:1</id>\n"
    b"    <updated>2024-05-14T00:00:00+03:00</updated>\n"
    b"  </entry>\n"
    b"</feed>\n"
)
RSS = (
    b'<?xml version="1.0" encoding="utf-8"?>\n'
    b'<rss version="2.0"><channel><title>CSTO news</title>'
    b"<link>https://en.odkb-csto.org/</link><description>CSTO news</description>"
    b"</channel></rss>\n"
)
FEED_JSON = b'{"version": "https://jsonfeed.org/version/1.1", "title": "CSTO news", "items": []}\n'
ARCHIVE = ATOM.replace(b"<title>CSTO news</title>", b"<title>CSTO news, archive 1</title>")
ROOT_INDEX = b"<!doctype html>\n<title>CSTO releases</title>\n<h1>CSTO releases</h1>\n"
NEWS_INDEX = b"<!doctype html>\n<title>CSTO news</title>\n<h1>CSTO news</h1>\n"
RELEASE_PAGE = b"<!doctype html>\n<title>Joint Staff meeting</title>\n<p>Text.</p>\n"
OPML = b'<?xml version="1.0"?>\n<opml version="2.0"><head><title>CSTO</title></head></opml>\n'
STATUS = b'{"ok": true, "sources": {"sample-dumps": "ok"}}\n'
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 2
SECRET = b"outside the output folder\n"

FILES: dict[str, bytes] = {
    "index.html": ROOT_INDEX,
    "feeds.opml": OPML,
    "status.json": STATUS,
    "news/atom.xml": ATOM,
    "news/rss.xml": RSS,
    "news/feed.json": FEED_JSON,
    "news/index.html": NEWS_INDEX,
    "news/archive/1.xml": ARCHIVE,
    "news/logo.png": PNG,
    "news/style.css": b"body { margin: 0 }\n",
    "news/data.bin": b"\x00\x01\x02",
    "releases/2024/05/joint-staff-meeting.html": RELEASE_PAGE,
    ".state.json": b'{"hidden": true}\n',
    "news/.atom.xml.partial": b"half",
}


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Running:
    root: Path
    port: int
    log: list[str]

    def request(self, method: str, path: str, headers: dict[str, str] | None = None) -> Reply:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            # skip_accept_encoding: http.client would otherwise send "identity" itself.
            conn.putrequest(method, path, skip_accept_encoding=True)
            for name, value in (headers or {}).items():
                conn.putheader(name, value)
            conn.endheaders()
            response = conn.getresponse()
            body = response.read()
            return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, body)
        finally:
            conn.close()

    def get(self, path: str, **headers: str) -> Reply:
        return self.request("GET", path, {k.replace("_", "-"): v for k, v in headers.items()})


def write_tree(root: Path) -> None:
    for name, data in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (root / "releases/2024/06").mkdir(parents=True)  # a folder with no index.html


def replace_file(path: Path, data: bytes) -> None:
    """Write like the publisher does: temp file in the same folder, fsync, os.replace."""
    temp = path.with_name(f".{path.name}.tmp")
    with open(temp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)


def etag_of(data: bytes) -> str:
    return '"' + hashlib.sha256(data).hexdigest()[:32] + '"'


def settle_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remember a version as soon as it is read.

    The files of a test are seconds old at most, and the server reads files changed
    within RACY_SECONDS (by mtime or ctime, which cannot be set back) on every request.
    """
    monkeypatch.setattr(files, "RACY_SECONDS", 0.0)


class Opens:
    """Every os.open of a file under ``root``: the only way the server opens files."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
        self.paths: list[str] = []
        self._prefix = os.path.realpath(root) + os.sep
        real_open = os.open

        def counting(path: Any, flags: int, mode: int = 0o777, **kwargs: Any) -> int:
            name = os.fspath(path)
            if isinstance(name, str) and name.startswith(self._prefix):
                self.paths.append(name[len(self._prefix) :])
            return real_open(path, flags, mode, **kwargs)

        monkeypatch.setattr(os, "open", counting)

    def of(self, name: str) -> int:
        return self.paths.count(name)


class Compressions:
    """Every gzip.compress call, by size of its input."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.inputs: list[int] = []
        real_compress = gzip.compress

        def counting(data: bytes, *args: Any, **kwargs: Any) -> bytes:
            self.inputs.append(len(data))
            return real_compress(data, *args, **kwargs)

        monkeypatch.setattr(gzip, "compress", counting)


@contextlib.contextmanager
def serving(root: Path, **overrides: Any) -> Iterator[tuple[Running, OutputServer]]:
    """A server for ``root`` on a free port, running in a thread until the block ends."""
    log: list[str] = []
    settings = ServeSettings(root=root, port=0, max_age=120, **overrides)
    httpd = make_server(settings, log=log.append)
    # A short poll interval keeps shutdown, and so each test, fast.
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield Running(root=root, port=int(httpd.server_address[1]), log=log), httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture
def output(tmp_path: Path) -> Path:
    root = tmp_path / "output"
    root.mkdir()
    write_tree(root)
    (tmp_path / "secret").write_bytes(SECRET)
    (root / "releases" / "outside.html").symlink_to(tmp_path / "secret")
    (root / "news" / "latest.xml").symlink_to(root / "news" / "atom.xml")
    return root


@pytest.fixture
def server(output: Path) -> Iterator[Running]:
    with serving(output) as (running, _):
        yield running


# --- media types and headers --------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "content_type", "data"),
    [
        ("/news/atom.xml", "application/atom+xml; charset=utf-8", ATOM),
        ("/news/rss.xml", "application/rss+xml; charset=utf-8", RSS),
        ("/news/feed.json", "application/feed+json; charset=utf-8", FEED_JSON),
        ("/news/archive/1.xml", "application/atom+xml; charset=utf-8", ARCHIVE),
        ("/news/index.html", "text/html; charset=utf-8", NEWS_INDEX),
        ("/releases/2024/05/joint-staff-meeting.html", "text/html; charset=utf-8", RELEASE_PAGE),
        ("/feeds.opml", "text/x-opml; charset=utf-8", OPML),
        ("/status.json", "application/json", STATUS),
        ("/news/logo.png", "image/png", PNG),
        ("/news/style.css", "text/css; charset=utf-8", b"body { margin: 0 }\n"),
        ("/news/data.bin", "application/octet-stream", b"\x00\x01\x02"),
    ],
)
def test_media_types_and_bodies(server: Running, path: str, content_type: str, data: bytes) -> None:
    reply = server.get(path)
    assert reply.status == 200
    assert reply.headers["content-type"] == content_type
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert reply.headers["content-length"] == str(len(data))
    assert reply.body == data


def test_validators_come_from_the_file(server: Running) -> None:
    reply = server.get("/news/atom.xml")
    mtime = (server.root / "news/atom.xml").stat().st_mtime
    assert reply.headers["etag"] == etag_of(ATOM)
    assert reply.headers["last-modified"] == email.utils.formatdate(mtime, usegmt=True)
    assert reply.headers["last-modified"].endswith(" GMT")
    assert "content-encoding" not in reply.headers


def test_cache_control_feeds_and_archives(server: Running) -> None:
    assert server.get("/news/atom.xml").headers["cache-control"] == "public, max-age=120"
    assert server.get("/news/index.html").headers["cache-control"] == "public, max-age=120"
    assert server.get("/news/archive/1.xml").headers["cache-control"] == "public, max-age=86400"


def test_head_has_get_headers_and_no_body(server: Running) -> None:
    for accept in ("identity", "gzip"):
        got = server.get("/news/atom.xml", Accept_Encoding=accept)
        head = server.request("HEAD", "/news/atom.xml", {"Accept-Encoding": accept})
        assert head.status == 200
        assert head.body == b""
        for name in ("content-type", "content-length", "etag", "last-modified", "cache-control"):
            assert head.headers[name] == got.headers[name]


def test_symlink_inside_root_is_served(server: Running) -> None:
    reply = server.get("/news/latest.xml")
    assert reply.status == 200
    assert reply.body == ATOM


# --- conditional requests ---------------------------------------------------------


def test_if_none_match_gives_304_without_body(server: Running) -> None:
    first = server.get("/news/atom.xml")
    reply = server.get("/news/atom.xml", If_None_Match=first.headers["etag"])
    assert reply.status == 304
    assert reply.body == b""
    assert reply.headers["etag"] == first.headers["etag"]
    assert reply.headers["last-modified"] == first.headers["last-modified"]
    assert reply.headers["cache-control"] == "public, max-age=120"
    assert reply.headers["vary"] == "Accept-Encoding"


@pytest.mark.parametrize(
    "header",
    [
        "W/{tag}",
        '"not-it", {tag}',
        '"a,b", W/{tag} , "c"',
        "*",
    ],
)
def test_if_none_match_lists_weak_tags_and_star(server: Running, header: str) -> None:
    reply = server.get("/news/atom.xml", If_None_Match=header.format(tag=etag_of(ATOM)))
    assert reply.status == 304
    assert reply.body == b""


def test_if_none_match_mismatch_gives_full_body(server: Running) -> None:
    reply = server.get("/news/atom.xml", If_None_Match='"0123", W/"4567"')
    assert reply.status == 200
    assert reply.body == ATOM


def test_if_modified_since(server: Running) -> None:
    last_modified = server.get("/news/rss.xml").headers["last-modified"]
    same = server.get("/news/rss.xml", If_Modified_Since=last_modified)
    assert same.status == 304
    assert same.body == b""
    older = server.get("/news/rss.xml", If_Modified_Since="Mon, 01 Jan 2001 00:00:00 GMT")
    assert older.status == 200
    assert older.body == RSS
    garbage = server.get("/news/rss.xml", If_Modified_Since="yesterday")
    assert garbage.status == 200


def test_if_none_match_takes_precedence(server: Running) -> None:
    last_modified = server.get("/news/rss.xml").headers["last-modified"]
    reply = server.get("/news/rss.xml", If_None_Match='"stale"', If_Modified_Since=last_modified)
    assert reply.status == 200
    assert reply.body == RSS


def test_etag_changes_exactly_when_bytes_change(server: Running) -> None:
    path = server.root / "news/atom.xml"
    before = server.get("/news/atom.xml").headers["etag"]

    replace_file(path, ATOM)
    os.utime(path, (1_700_000_000, 1_700_000_000))  # a new mtime, the same bytes
    same = server.get("/news/atom.xml")
    assert same.headers["etag"] == before
    assert same.headers["last-modified"] == "Tue, 14 Nov 2023 22:13:20 GMT"
    assert server.get("/news/atom.xml", If_None_Match=before).status == 304

    changed_bytes = ATOM.replace(b"Armenia", b"Belarus")
    replace_file(path, changed_bytes)
    changed = server.get("/news/atom.xml", If_None_Match=before)
    assert changed.status == 200
    assert changed.body == changed_bytes
    assert changed.headers["etag"] == etag_of(changed_bytes)
    assert changed.headers["etag"] != before


# --- gzip ---------------------------------------------------------------------------


def test_gzip_round_trip_and_own_etag(server: Running) -> None:
    plain = server.get("/news/atom.xml")
    packed = server.get("/news/atom.xml", Accept_Encoding="br;q=1.0, gzip;q=0.8")
    assert packed.status == 200
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.headers["vary"] == "Accept-Encoding"
    assert packed.headers["content-length"] == str(len(packed.body))
    assert gzip.decompress(packed.body) == ATOM
    assert packed.headers["etag"] == etag_of(ATOM)[:-1] + '-gz"'
    assert packed.headers["etag"] != plain.headers["etag"]
    # Deterministic: the same bytes and tag again, and the tag validates.
    again = server.get("/news/atom.xml", Accept_Encoding="gzip")
    assert again.body == packed.body
    assert again.headers["etag"] == packed.headers["etag"]
    cached = server.get(
        "/news/atom.xml", Accept_Encoding="gzip", If_None_Match=packed.headers["etag"]
    )
    assert cached.status == 304
    assert cached.headers["etag"] == packed.headers["etag"]


@pytest.mark.parametrize(
    ("accept", "gzipped"),
    [
        ("gzip", True),
        ("x-gzip", True),
        ("*", True),
        ("GZIP;Q=0.5", True),
        ("gzip;q=0", False),
        ("gzip;q=0.000, *", False),
        ("*;q=0", False),
        ("identity", False),
        ("deflate, br", False),
    ],
)
def test_accept_encoding_quality_values(server: Running, accept: str, gzipped: bool) -> None:
    reply = server.get("/news/atom.xml", Accept_Encoding=accept)
    assert ("content-encoding" in reply.headers) is gzipped
    assert (gzip.decompress(reply.body) if gzipped else reply.body) == ATOM


def test_small_and_binary_files_are_not_gzipped(server: Running) -> None:
    small = server.get("/news/feed.json", Accept_Encoding="gzip")
    assert small.body == FEED_JSON
    assert "content-encoding" not in small.headers
    assert small.headers["etag"] == etag_of(FEED_JSON)
    image = server.get("/news/logo.png", Accept_Encoding="gzip")
    assert image.body == PNG
    assert "content-encoding" not in image.headers
    assert "vary" not in image.headers


# --- folders --------------------------------------------------------------------------


def test_root_serves_index(server: Running) -> None:
    reply = server.get("/")
    assert reply.status == 200
    assert reply.body == ROOT_INDEX
    assert reply.headers["content-type"] == "text/html; charset=utf-8"


def test_folder_with_slash_serves_its_index(server: Running) -> None:
    reply = server.get("/news/?utm=1")
    assert reply.status == 200
    assert reply.body == NEWS_INDEX


@pytest.mark.parametrize(
    ("path", "location"),
    [("/news", "/news/"), ("/news?page=2", "/news/?page=2"), ("/releases/2024", "/releases/2024/")],
)
def test_folder_without_slash_redirects(server: Running, path: str, location: str) -> None:
    reply = server.get(path)
    assert reply.status == 301
    assert reply.headers["location"] == location


def test_no_directory_listing(server: Running) -> None:
    for path in ("/releases/", "/releases/2024/06/", "/news/archive/"):
        reply = server.get(path)
        assert reply.status == 404
        assert reply.body == b"not found\n"


def test_file_with_trailing_slash_is_not_found(server: Running) -> None:
    assert server.get("/news/atom.xml/").status == 404


# --- security and errors --------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/../etc/passwd",
        "/../secret",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/%2E%2E/secret",
        "/releases/..%2f..%2fsecret",
        "/releases/%2e%2e%2f%2e%2e%2fsecret",
        "/releases/..\\..\\secret",
        "/releases/..%5c..%5csecret",
        "/%5cetc%5cpasswd",
        "//etc/passwd",
        "/%2fetc%2fpasswd",
        "/news/atom.xml%00.html",
        "/releases/outside.html",
        "/.state.json",
        "/%2estate.json",
        "/news/.atom.xml.partial",
        "/news/./atom.xml",
        "/news/%ff.xml",
        "/no-such-file.xml",
    ],
)
def test_unsafe_or_missing_paths_are_not_found(server: Running, path: str) -> None:
    reply = server.get(path)
    assert reply.status == 404
    assert reply.headers["content-type"] == "text/plain; charset=utf-8"
    assert reply.body == b"not found\n"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "OPTIONS", "BREW"])
def test_other_methods_get_405(server: Running, method: str) -> None:
    reply = server.request(method, "/news/atom.xml")
    assert reply.status == 405
    assert reply.headers["allow"] == "GET, HEAD"
    assert reply.body == b"method not allowed\n"


def test_keep_alive_serves_several_requests_on_one_connection(server: Running) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        bodies = []
        for path in ("/news/rss.xml", "/nothing", "/feeds.opml"):
            conn.request("GET", path)
            response = conn.getresponse()
            bodies.append((response.status, response.getheader("Server"), response.read()))
    finally:
        conn.close()
    assert bodies == [(200, "feeds", RSS), (404, "feeds", b"not found\n"), (200, "feeds", OPML)]


def test_one_log_line_per_request(server: Running) -> None:
    server.get("/news/atom.xml")
    server.get("/nothing")
    assert len(server.log) == 2
    assert server.log[0].endswith('"GET /news/atom.xml HTTP/1.1" 200')
    assert server.log[1].endswith('"GET /nothing HTTP/1.1" 404')


def test_missing_root_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        make_server(ServeSettings(root=tmp_path / "output", port=0))
    assert caught.value.problems == [
        f"{tmp_path / 'output'}: output folder does not exist or is not a folder"
    ]


# --- atomic replacement -----------------------------------------------------------


@pytest.mark.parametrize("remembered", [False, True], ids=["read-each-time", "sendfile"])
def test_replacement_during_concurrent_reads_is_never_mixed(
    server: Running, monkeypatch: pytest.MonkeyPatch, remembered: bool
) -> None:
    if remembered:
        # Versions are remembered at once, so bodies go out by sendfile from the open file.
        settle_at_once(monkeypatch)
    path = server.root / "news/atom.xml"
    # Big enough that a read spans many chunks; different lengths and contents.
    old = b"<!-- old -->" + b"a" * 600_000
    new = b"<!-- new -->" + b"b" * 900_000
    replace_file(path, old)
    bodies: list[tuple[bytes, str]] = []
    failures: list[str] = []
    lock = threading.Lock()

    def reader() -> None:
        for _ in range(25):
            reply = server.get("/news/atom.xml")
            with lock:
                bodies.append((reply.body, reply.headers.get("etag", "")))

    readers = [threading.Thread(target=reader) for _ in range(4)]

    def writer() -> None:
        # Keep swapping for as long as the readers run (bounded all the same).
        try:
            for i in range(5_000):
                if not any(thread.is_alive() for thread in readers):
                    break
                replace_file(path, new if i % 2 == 0 else old)
        except OSError as exc:  # reported below rather than lost in the thread
            failures.append(str(exc))

    writing = threading.Thread(target=writer)
    for thread in [*readers, writing]:
        thread.start()
    for thread in [*readers, writing]:
        thread.join(timeout=60)

    assert failures == []
    assert len(bodies) == 100
    assert {body for body, _ in bodies} == {old, new}
    for body, etag in bodies:
        assert body in (old, new)
        assert etag == etag_of(body)


# --- serve_forever --------------------------------------------------------------------


def test_serve_forever_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    root = tmp_path / "output"
    root.mkdir()
    (root / "index.html").write_bytes(ROOT_INDEX)
    code = (
        "import sys; from pathlib import Path\n"
        "from feeds.serve import ServeSettings, serve_forever\n"
        "serve_forever(ServeSettings(root=Path(sys.argv[1]), port=0),"
        " log=lambda line: print(line, flush=True))\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(root)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        banner = proc.stdout.readline().decode().strip()
        assert banner.startswith(f"serving {root} on http://127.0.0.1:")
        port = int(banner.rsplit(":", 1)[1].rstrip("/"))
        reply = Running(root=root, port=port, log=[]).get("/")
        assert reply.body == ROOT_INDEX
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    assert err == b""
    assert out.decode().endswith('"GET / HTTP/1.1" 200\n')


def test_busy_port_is_a_config_error(server: Running) -> None:
    with pytest.raises(ConfigError) as caught:
        make_server(ServeSettings(root=server.root, port=server.port))
    reason = os.strerror(errno.EADDRINUSE)  # "Address already in use" on Linux
    assert caught.value.problems == [f"127.0.0.1:{server.port}: cannot listen: {reason}"]


# --- remembered versions: cheap 304s and cached gzip bodies -------------------------------


def test_304_is_answered_without_opening_the_file(
    output: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settle_at_once(monkeypatch)
    opens = Opens(monkeypatch, output)
    with serving(output) as (server, _):
        first = server.get("/news/atom.xml")
        folder = server.get("/news/")
        # The first request of a version reads it (to hash it): the counting works.
        assert opens.of("news/atom.xml") == 1
        assert opens.of("news/index.html") == 1
        conditionals = [
            ("/news/atom.xml", {"If-None-Match": first.headers["etag"]}),
            ("/news/atom.xml", {"If-None-Match": f'"other", W/{first.headers["etag"]}'}),
            ("/news/atom.xml", {"If-Modified-Since": first.headers["last-modified"]}),
            ("/news/", {"If-None-Match": folder.headers["etag"]}),
        ]
        for path, headers in conditionals:
            for method in ("GET", "HEAD"):
                reply = server.request(method, path, headers)
                assert reply.status == 304
                assert reply.body == b""
                assert reply.headers["etag"] == (
                    folder.headers["etag"] if path == "/news/" else first.headers["etag"]
                )
        assert opens.of("news/atom.xml") == 1
        assert opens.of("news/index.html") == 1
        assert len(server.log) == 2 + 2 * len(conditionals)
        assert all(line.endswith(" 304") for line in server.log[2:])


def test_a_new_version_is_read_again(output: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settle_at_once(monkeypatch)
    opens = Opens(monkeypatch, output)
    path = output / "news/rss.xml"
    with serving(output) as (server, _):
        before = server.get("/news/rss.xml").headers["etag"]
        changed = RSS.replace(b"CSTO news", b"CSTO press")
        replace_file(path, changed)
        reply = server.get("/news/rss.xml", If_None_Match=before)
        assert reply.status == 200
        assert reply.body == changed
        assert reply.headers["etag"] == etag_of(changed)
        assert opens.of("news/rss.xml") == 2
        # Touched in place with the same bytes: a new ctime, so read once more, same tag.
        os.utime(path)
        assert server.get("/news/rss.xml", If_None_Match=etag_of(changed)).status == 304
        assert opens.of("news/rss.xml") == 3
        assert server.get("/news/rss.xml", If_None_Match=etag_of(changed)).status == 304
        assert opens.of("news/rss.xml") == 3


def test_requests_ready_together_share_one_stat(
    output: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settle_at_once(monkeypatch)
    stats: list[str] = []
    real_stat = os.stat

    def counting(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        stats.append(os.fspath(path))
        return real_stat(path, *args, **kwargs)

    with serving(output) as (server, _):
        tag = server.get("/news/atom.xml").headers["etag"]
        monkeypatch.setattr(os, "stat", counting)
        conditional = raw_request("/news/atom.xml", f"If-None-Match: {tag}")
        # Five pipelined requests arrive in one packet: one round of the loop.
        reply = exchange(
            server.port,
            conditional * 4
            + raw_request("/news/atom.xml", f"If-None-Match: {tag}", "Connection: close"),
        )
        assert reply.count(b"HTTP/1.1 304 Not Modified\r\n") == 5
        assert stats.count(os.path.join(output, "news", "atom.xml")) == 1
        # A later round looks again, and finds the new version.
        replace_file(output / "news/atom.xml", ATOM.replace(b"CSTO", b"ODKB"))
        stats.clear()
        assert server.get("/news/atom.xml", If_None_Match=tag).status == 200
        # The loop's look, then the worker's own as it reads the file.
        assert stats.count(os.path.join(output, "news", "atom.xml")) >= 2


def test_young_files_are_read_on_every_request(
    output: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Written a moment ago: the file may still change within the same clock tick.
    opens = Opens(monkeypatch, output)
    with serving(output) as (server, _):
        tag = server.get("/news/rss.xml").headers["etag"]
        assert server.get("/news/rss.xml", If_None_Match=tag).status == 304
        assert opens.of("news/rss.xml") == 2
        settle_at_once(monkeypatch)
        assert server.get("/news/rss.xml", If_None_Match=tag).status == 304
        assert server.get("/news/rss.xml", If_None_Match=tag).status == 304
        assert opens.of("news/rss.xml") == 3


def test_gzip_body_is_compressed_once_per_version(
    output: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settle_at_once(monkeypatch)
    opens = Opens(monkeypatch, output)
    compressions = Compressions(monkeypatch)
    path = output / "news/atom.xml"
    with serving(output) as (server, _):
        first = server.get("/news/atom.xml", Accept_Encoding="gzip")
        assert gzip.decompress(first.body) == ATOM
        assert compressions.inputs == [len(ATOM)]
        for method in ("GET", "HEAD"):
            again = server.request(method, "/news/atom.xml", {"Accept-Encoding": "gzip"})
            assert again.status == 200
            assert again.body == (first.body if method == "GET" else b"")
            assert again.headers["content-length"] == str(len(first.body))
            assert again.headers["etag"] == first.headers["etag"]
        # Served from memory: neither compressed nor even opened again.
        assert compressions.inputs == [len(ATOM)]
        assert opens.of("news/atom.xml") == 1

        changed = ATOM.replace(b"Armenia", b"Kazakhstan")
        replace_file(path, changed)
        fresh = server.get(
            "/news/atom.xml", Accept_Encoding="gzip", If_None_Match=first.headers["etag"]
        )
        assert fresh.status == 200
        assert gzip.decompress(fresh.body) == changed
        assert fresh.headers["etag"] == etag_of(changed)[:-1] + '-gz"'
        assert server.get("/news/atom.xml", Accept_Encoding="gzip").body == fresh.body
        assert compressions.inputs == [len(ATOM), len(changed)]


def test_gzip_cache_is_bounded_by_bytes(output: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(7)
    words = ["treaty", "council", "border", "exercise", "session", "statement", "forces"]
    texts = {
        name: " ".join(rng.choice(words) + str(rng.randrange(1000)) for _ in range(4000)).encode()
        for name in ("a.txt", "b.txt", "c.txt")
    }
    packed = max(len(gzip.compress(text, compresslevel=6, mtime=0)) for text in texts.values())
    for name, text in texts.items():
        (output / name).write_bytes(text)
    settle_at_once(monkeypatch)
    compressions = Compressions(monkeypatch)
    # Room for two bodies, not three.
    with serving(output, gzip_cache_bytes=packed * 5 // 2) as (server, _):
        for name in ("a.txt", "b.txt", "c.txt", "c.txt", "b.txt"):
            reply = server.get(f"/{name}", Accept_Encoding="gzip")
            assert gzip.decompress(reply.body) == texts[name]
        assert len(compressions.inputs) == 3  # c and b were still cached
        reply = server.get("/a.txt", Accept_Encoding="gzip")
        assert gzip.decompress(reply.body) == texts["a.txt"]
        assert len(compressions.inputs) == 4  # a, least recently used, had been evicted


# --- connections and limits ---------------------------------------------------------------


def raw_request(path: str, *extra: str) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", *extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_until_closed(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def exchange_concurrently(
    port: int, count: int, request: bytes, *, seconds: float = 30.0, watch: Callable[[], None]
) -> list[bytes]:
    """Open ``count`` connections at once, send ``request`` on each, read until each closes."""
    selector = selectors.DefaultSelector()
    replies: dict[socket.socket, bytearray] = {}
    sockets = []
    for _ in range(count):
        client = socket.socket()
        client.setblocking(False)
        client.connect_ex(("127.0.0.1", port))
        sockets.append(client)
        replies[client] = bytearray()
        selector.register(client, selectors.EVENT_WRITE)
    pending = set(sockets)
    deadline = time.monotonic() + seconds
    try:
        while pending and time.monotonic() < deadline:
            watch()
            for key, mask in selector.select(0.05):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                if mask & selectors.EVENT_WRITE:
                    if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                        sock.sendall(request)
                        selector.modify(sock, selectors.EVENT_READ)
                    continue
                try:
                    chunk = sock.recv(65536)
                except ConnectionError:
                    chunk = b""
                if chunk:
                    replies[sock] += chunk
                else:
                    selector.unregister(sock)
                    pending.discard(sock)
    finally:
        selector.close()
        for sock in sockets:
            sock.close()
    return [bytes(replies[sock]) for sock in sockets]


def test_500_concurrent_connections_are_all_answered(output: Path) -> None:
    ensure_descriptors(2000)
    with serving(output) as (server, _):
        replies = exchange_concurrently(
            server.port,
            500,
            raw_request("/news/rss.xml", "Connection: close"),
            watch=lambda: None,
        )
    assert len(replies) == 500
    for reply in replies:
        assert reply.startswith(b"HTTP/1.1 200 OK\r\n")
        assert reply.endswith(b"\r\n\r\n" + RSS)
    assert len(server.log) == 500


def test_connections_beyond_the_limit_wait_and_are_answered(output: Path) -> None:
    with serving(output, max_connections=8) as (server, httpd):
        peak = 0

        def watch() -> None:
            nonlocal peak
            peak = max(peak, httpd.connections)

        replies = exchange_concurrently(
            server.port, 100, raw_request("/feeds.opml", "Connection: close"), watch=watch
        )
    assert [reply.split(b"\r\n", 1)[0] for reply in replies] == [b"HTTP/1.1 200 OK"] * 100
    assert all(reply.endswith(OPML) for reply in replies)
    assert 1 <= peak <= 8


def ensure_descriptors(wanted: int) -> None:
    """Both ends of every connection live in this process: raise the soft limit if needed."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        ceiling = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (ceiling, hard))


def test_listen_backlog_holds_at_least_128_connections(output: Path) -> None:
    httpd = make_server(ServeSettings(root=output, port=0))
    port = int(httpd.server_address[1])
    clients = []
    try:
        assert httpd.request_queue_size >= 128
        # Not serving yet, so nothing is accepted: the kernel completes handshakes only
        # while the backlog has room (backlog + 1 on Linux), then drops further SYNs.
        for _ in range(200):
            client = socket.socket()
            client.setblocking(False)
            client.connect_ex(("127.0.0.1", port))
            clients.append(client)
        connected: set[socket.socket] = set()
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline and len(connected) < 128:
            waiting = [client for client in clients if client not in connected]
            _, writable, _ = select.select([], waiting, [], 0.05)
            for client in writable:
                if client.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                    connected.add(client)
        assert len(connected) >= 128
    finally:
        for client in clients:
            client.close()
        httpd.server_close()


def test_worker_threads_are_bounded(output: Path) -> None:
    with make_server(ServeSettings(root=output, port=0)) as default:
        assert default.max_workers == 64
    names = [f"page-{index}.html" for index in range(30)]
    for name in names:
        (output / name).write_bytes(f"<p>{name}</p>\n".encode())
    with serving(output, workers=3) as (server, httpd):
        assert httpd.max_workers == 3
        before = set(threading.enumerate())
        clients = [socket.create_connection(("127.0.0.1", server.port), timeout=10) for _ in names]
        try:
            # Every request needs a worker (new files); all connections stay open meanwhile.
            for client, name in zip(clients, names, strict=True):
                client.sendall(raw_request(f"/{name}"))
            for client, name in zip(clients, names, strict=True):
                reply = b""
                while not reply.endswith(f"<p>{name}</p>\n".encode()):
                    chunk = client.recv(65536)
                    assert chunk, f"{name}: closed before the body"
                    reply += chunk
                assert reply.startswith(b"HTTP/1.1 200 OK\r\n")
            started = [thread for thread in threading.enumerate() if thread not in before]
            assert httpd.connections == len(names)
            assert 1 <= len(started) <= 3
        finally:
            for client in clients:
                client.close()


def test_slow_request_head_is_dropped_while_others_are_served(output: Path) -> None:
    head = raw_request("/news/atom.xml", "X-Padding: " + "p" * 200)
    with serving(output, header_timeout=0.5) as (server, _):
        slow = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        sent = 0
        answer = b""
        dropped = False
        others = []
        try:
            # One byte at a time, at least 50 ms apart: the whole head would take 13 s.
            for byte in head:
                try:
                    slow.sendall(bytes([byte]))
                except OSError:
                    dropped = True
                    break
                sent += 1
                others.append(server.get("/news/rss.xml").status)
                readable, _, _ = select.select([slow], [], [], 0.05)
                if readable:
                    with contextlib.suppress(ConnectionResetError):
                        answer = read_until_closed(slow)
                    dropped = True
                    break
        finally:
            slow.close()
    assert 0 < sent < len(head)
    assert dropped
    # Bytes sent after the server's last read can turn its close into a reset, which
    # may discard the 408 on the way: then there is no answer, but never another one.
    if answer:
        assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
        assert b"Connection: close\r\n" in answer
    assert others and set(others) == {200}


def test_idle_keep_alive_connection_is_closed(output: Path) -> None:
    with serving(output, idle_timeout=0.3) as (server, _):
        client = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        try:
            client.sendall(raw_request("/feeds.opml"))
            reply = b""
            while not reply.endswith(OPML):
                reply += client.recv(65536)
            # No second request: the server closes (recv returns b"", not a timeout).
            assert client.recv(65536) == b""
        finally:
            client.close()
    assert reply.startswith(b"HTTP/1.1 200 OK\r\n")


def test_client_leaving_mid_response_is_silent(
    output: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    settle_at_once(monkeypatch)
    big = os.urandom(8_000_000)
    (output / "news/data.bin").write_bytes(big)
    with serving(output) as (server, _):
        # The first answer sends bytes it read; the second, of a remembered version, uses
        # sendfile.  Either way the client reads a little, then resets the connection.
        for _ in range(2):
            client = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            client.sendall(raw_request("/news/data.bin"))
            assert client.recv(1024).startswith(b"HTTP/1.1 200 OK\r\n")
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            client.close()
        time.sleep(0.2)
        assert server.get("/news/rss.xml").body == RSS
        whole = server.get("/news/data.bin")
        assert whole.body == big
    out, err = capfd.readouterr()
    assert err == ""
    assert out == ""


# --- HTTP details ---------------------------------------------------------------------


def exchange(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        client.sendall(data)
        return read_until_closed(client)


def test_pipelined_requests_are_answered_in_order(server: Running) -> None:
    data = (
        raw_request("/news/rss.xml")
        + raw_request("/nothing")
        + raw_request("/feeds.opml", "Connection: close")
    )
    reply = exchange(server.port, data)
    assert re.findall(rb"HTTP/1\.1 \d{3} [A-Za-z ]+(?=\r\n)", reply) == [
        b"HTTP/1.1 200 OK",
        b"HTTP/1.1 404 Not Found",
        b"HTTP/1.1 200 OK",
    ]
    assert reply.index(RSS) < reply.index(b"not found\n") < reply.index(OPML)
    assert reply.endswith(OPML)


def test_http_1_0_keeps_the_connection_only_when_asked(server: Running) -> None:
    closing = exchange(server.port, b"GET /feeds.opml HTTP/1.0\r\n\r\n")
    assert closing.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"\r\nConnection: close\r\n" in closing
    assert closing.endswith(OPML)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as client:
        client.sendall(b"GET /feeds.opml HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        reply = b""
        while not reply.endswith(OPML):
            reply += client.recv(65536)
        assert b"\r\nConnection: keep-alive\r\n" in reply
        client.sendall(b"GET /status.json HTTP/1.0\r\n\r\n")
        assert read_until_closed(client).endswith(STATUS)


def test_bare_lf_line_ends_are_accepted(server: Running) -> None:
    reply = exchange(server.port, b"GET /feeds.opml HTTP/1.1\nConnection: close\n\n")
    assert reply.startswith(b"HTTP/1.1 200 OK\r\n")
    assert reply.endswith(OPML)


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"GET /feeds.opml\r\n\r\n", b"400 Bad Request"),
        (b"GET  /feeds.opml HTTP/1.1\r\n\r\n", b"400 Bad Request"),
        (b"GET /feeds.opml HTTP/1.1\r\nHost : x\r\n\r\n", b"400 Bad Request"),
        (b"GET /feeds.opml HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", b"400 Bad Request"),
        (b"GET /feeds.opml HTTP/2.0\r\n\r\n", b"505 HTTP Version Not Supported"),
        (b"GET /" + b"a" * 40_000 + b" HTTP/1.1\r\n\r\n", b"431 Request Header Fields Too Large"),
        (
            b"GET / HTTP/1.1\r\n" + b"X-A: b\r\n" * 101 + b"\r\n",
            b"431 Request Header Fields Too Large",
        ),
    ],
)
def test_malformed_heads_get_an_error_and_the_connection_closes(
    server: Running, data: bytes, status: bytes
) -> None:
    reply = exchange(server.port, data)
    assert reply.startswith(b"HTTP/1.1 " + status + b"\r\n")
    assert b"\r\nConnection: close\r\n" in reply
    assert server.log[-1].endswith(" " + status.split(b" ")[0].decode())


# --- starting ---------------------------------------------------------------------------


def test_server_listens_as_soon_as_it_is_made(output: Path) -> None:
    httpd = make_server(ServeSettings(root=output, port=0))
    port = int(httpd.server_address[1])
    assert httpd.url == f"http://127.0.0.1:{port}/"
    # Connected and sent before anything serves: the request waits in the backlog.
    client = socket.create_connection(("127.0.0.1", port), timeout=10)
    client.sendall(raw_request("/feeds.opml", "Connection: close"))
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        reply = read_until_closed(client)
    finally:
        client.close()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
    assert reply.startswith(b"HTTP/1.1 200 OK\r\n")
    assert reply.endswith(OPML)


@pytest.mark.parametrize("port", [-1, 65536, 70000])
def test_bad_port_is_a_config_error(output: Path, port: int) -> None:
    with pytest.raises(ConfigError) as caught:
        make_server(ServeSettings(root=output, port=port))
    assert caught.value.problems == [
        f"127.0.0.1:{port}: cannot listen: port must be a number from 0 to 65535"
    ]


def test_address_of_another_machine_is_a_config_error(output: Path) -> None:
    # 192.0.2.1 is reserved for documentation: no interface here has it, so bind fails.
    with pytest.raises(ConfigError) as caught:
        make_server(ServeSettings(root=output, host="192.0.2.1", port=8080))
    reason = os.strerror(errno.EADDRNOTAVAIL)  # "Cannot assign requested address"
    assert caught.value.problems == [f"192.0.2.1:8080: cannot listen: {reason}"]


def test_bad_limits_are_config_errors(output: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        make_server(ServeSettings(root=output, port=0, workers=0, header_timeout=0))
    assert caught.value.problems == [
        "serve: workers must be at least 1, not 0",
        "serve: header_timeout must be more than 0 seconds, not 0",
    ]


def test_a_failure_while_answering_is_a_500_and_serving_goes_on(
    server: Running, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("broken on purpose")

    monkeypatch.setattr(Responder, "_answer_file", broken)
    reply = server.get("/news/atom.xml")
    assert reply.status == 500
    assert reply.body == b"internal server error\n"
    assert "RuntimeError: broken on purpose" in capfd.readouterr().err
    monkeypatch.undo()
    assert server.get("/news/atom.xml").body == ATOM


def test_the_serve_package_imports_only_the_standard_library_and_feeds_errors() -> None:
    package = REPO_ROOT / "feeds" / "serve"
    for module in sorted(package.glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                allowed = top in sys.stdlib_module_names or name == "feeds.errors"
                allowed = allowed or name.startswith("feeds.serve.") or name == "feeds.serve"
                assert allowed, f"{module.name} imports {name}"
