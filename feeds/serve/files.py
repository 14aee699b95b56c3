"""Versions of files, their validators, and the memory that spares reading them again.

Validators
----------
The ETag is the SHA-256 of the file's bytes (its first 32 hex digits), so a
file rewritten with the same bytes keeps its tag and clients do not download
it again; a tag made from ``stat`` data alone (as nginx makes it) would change
with every rewrite, and would not match the tags clients already hold.
Hashing needs the bytes: the first request for each *version* of a file reads
it once.  The tag is then kept per path together with that version's identity
from ``stat``: device, inode, size, ``mtime_ns`` and ``ctime_ns``.  A later
request ``stat``\\s the path and, when the identity is the same, decides
``304`` from memory without opening the file.  The publisher's ``os.replace``
gives a new inode and ctime, so a new version is never mistaken for the old one.

A file changed in place within one tick of the file system clock can keep its
size and times, and a tag kept for it would describe bytes it no longer has.
So a version is remembered only when it was read at least ``RACY_SECONDS``
after its last change (the rule git uses for "racily clean" index entries);
younger files are read on every request until they settle.

gzip bodies are kept per path and version in a cache bounded by bytes (least
recently used go first), so a gzip ``200`` of a known version costs no read
and no compression.

Snapshots
---------
A file is read from one open descriptor, and its validators come from that
descriptor's ``fstat``, so a file swapped by ``os.replace`` during a refresh is
served wholly old or wholly new.
"""

from __future__ import annotations

import collections
import hashlib
import os
import stat
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from feeds.serve.protocol import header_lines, http_date
from feeds.serve.routes import cache_control, compressible, content_type

#: Below this size gzip saves too little to be worth a second representation.
GZIP_MIN_BYTES = 256
#: A version read this soon after its last change is not remembered (see above).
RACY_SECONDS = 2.0

_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
    # A FIFO that slipped into the folder must not block a worker in open().
    | getattr(os, "O_NONBLOCK", 0)
)

Identity = tuple[int, int, int, int, int]


def identity_of(info: os.stat_result) -> Identity:
    """What tells one version of a file from another without reading it."""
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


@dataclass(frozen=True, slots=True)
class Version:
    """The validators of one version of one file, with its header lines rendered."""

    identity: Identity
    #: The path under the configured root that the loop ``stat``s (symlinks unresolved).
    path: str
    size: int
    etag: str
    gz_etag: str
    #: Whole seconds, as If-Modified-Since compares them.
    mtime: int
    #: Compressible and big enough to be worth it.
    gzip_ok: bool
    type_field: bytes
    plain_fields: bytes
    gz_fields: bytes

    def tag(self, gz: bool) -> str:
        return self.gz_etag if gz else self.etag

    def validator_fields(self, gz: bool) -> bytes:
        """ETag, Last-Modified, Cache-Control, Vary: what a 200 and a 304 both carry."""
        return self.gz_fields if gz else self.plain_fields


def _make_version(
    info: os.stat_result,
    path: str,
    size: int,
    digest: str,
    segments: Sequence[str],
    max_age: int,
) -> Version:
    media_type = content_type(segments)
    varies = compressible(media_type)
    etag = f'"{digest}"'
    gz_etag = f'"{digest}-gz"'

    def validators(tag: str) -> bytes:
        return header_lines(
            f"ETag: {tag}",
            f"Last-Modified: {http_date(info.st_mtime)}",
            f"Cache-Control: {cache_control(segments, max_age)}",
            *(["Vary: Accept-Encoding"] if varies else []),
            "X-Content-Type-Options: nosniff",
        )

    return Version(
        identity=identity_of(info),
        path=path,
        size=size,
        etag=etag,
        gz_etag=gz_etag,
        mtime=int(info.st_mtime),
        gzip_ok=varies and size >= GZIP_MIN_BYTES,
        type_field=f"Content-Type: {media_type}\r\n".encode("latin-1"),
        plain_fields=validators(etag),
        gz_fields=validators(gz_etag),
    )


def open_regular(path: str) -> tuple[int, os.stat_result] | None:
    """An open descriptor of the regular file at ``path`` and its ``fstat``, or None.

    Symlinks were resolved by the caller, so one met here is refused.
    """
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
    except BaseException:
        os.close(fd)
        raise
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        return None
    return fd, info


def read_all(fd: int) -> bytes:
    with open(fd, "rb", closefd=False) as handle:
        handle.seek(0)
        return handle.read()


def read_version(
    fd: int, info: os.stat_result, path: str, segments: Sequence[str], max_age: int
) -> tuple[Version, bytes, bool]:
    """Read the file open at ``fd`` and make its version; also whether it may be remembered.

    ``info`` is the ``fstat`` of ``fd`` taken before the read; ``path`` is where the loop
    will ``stat`` it.
    """
    started = time.time_ns()
    body = read_all(fd)
    digest = hashlib.sha256(body).hexdigest()[:32]
    version = _make_version(info, path, len(body), digest, segments, max_age)
    changed_at = max(info.st_mtime_ns, info.st_ctime_ns)
    settled = changed_at + int(RACY_SECONDS * 1e9) <= started
    # The same identity after the read: nothing wrote to the file meanwhile.
    return version, body, settled and identity_of(os.fstat(fd)) == version.identity


class Versions:
    """Remembered validators, one version per path, bounded in count."""

    def __init__(self, max_entries: int) -> None:
        self._max = max_entries
        self._items: dict[str, Version] = {}
        self._lock = threading.Lock()

    def get(self, path: str) -> Version | None:
        # A plain dict read is atomic; the loop looks up without taking the lock.
        return self._items.get(path)

    def put(self, path: str, version: Version) -> None:
        with self._lock:
            if path not in self._items and len(self._items) >= self._max:
                # Oldest first: paths still in use come back on their next request.
                del self._items[next(iter(self._items))]
            self._items[path] = version

    def __len__(self) -> int:
        return len(self._items)


class GzipCache:
    """gzip bodies per path and version, least recently used evicted past ``max_bytes``."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._items: collections.OrderedDict[str, tuple[Identity, bytes]] = (
            collections.OrderedDict()
        )
        self._lock = threading.Lock()

    def get(self, path: str, identity: Identity) -> bytes | None:
        with self._lock:
            item = self._items.get(path)
            if item is None or item[0] != identity:
                return None
            self._items.move_to_end(path)
            return item[1]

    def put(self, path: str, identity: Identity, body: bytes) -> None:
        # One huge body must not push out everything else.
        if len(body) > self.max_bytes // 2:
            return
        with self._lock:
            old = self._items.pop(path, None)
            if old is not None:
                self.size -= len(old[1])
            self._items[path] = (identity, body)
            self.size += len(body)
            while self.size > self.max_bytes:
                _, (_, evicted) = self._items.popitem(last=False)
                self.size -= len(evicted)

    def __len__(self) -> int:
        return len(self._items)
