"""Tests of feeds.serve against a real server on 127.0.0.1 over a made-up output tree."""

from __future__ import annotations

import email.utils
import errno
import gzip
import hashlib
import http.client
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from feeds.errors import ConfigError
from feeds.serve import ServeSettings, make_server

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


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Running]:
    root = tmp_path / "output"
    root.mkdir()
    write_tree(root)
    (tmp_path / "secret").write_bytes(SECRET)
    (root / "releases" / "outside.html").symlink_to(tmp_path / "secret")
    (root / "news" / "latest.xml").symlink_to(root / "news" / "atom.xml")
    log: list[str] = []
    httpd = make_server(ServeSettings(root=root, port=0, max_age=120), log=log.append)
    # A short poll interval keeps shutdown, and so each test, fast.
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield Running(root=root, port=int(httpd.server_address[1]), log=log)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


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


def test_replacement_during_concurrent_reads_is_never_mixed(server: Running) -> None:
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
