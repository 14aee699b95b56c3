"""Deciding the answer to a request: from memory when it can be, else from the disk.

The loop asks ``Responder.from_memory`` first; it answers only what needs no file
contents (a refusal, a ``304`` or a ``HEAD`` of a remembered version, a cached gzip
body) and otherwise returns None, and the request goes to a worker thread that
calls ``Responder.from_disk``.

What is sent always belongs to one version of a file: a body read by a worker
comes from the descriptor its validators were taken from; the body of a
remembered version goes out with ``sendfile`` from the descriptor the worker
opened, which pins that version; a cached gzip body is kept under the identity
of the version it was made from.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Sequence
from http import HTTPStatus

from feeds.serve.files import (
    GzipCache,
    Identity,
    Version,
    Versions,
    identity_of,
    open_regular,
    read_all,
    read_version,
)
from feeds.serve.protocol import Request, Response, accepts_gzip, not_modified, text_response
from feeds.serve.routes import folder_location, inside, route

_ALLOWED_METHODS = ("GET", "HEAD")
# Versions remembered at most; the oldest go first.
_MAX_VERSIONS = 65536
_HAVE_SENDFILE = hasattr(os, "sendfile")
# Plain numbers: an enum member's value is a property lookup on every request.
_OK = int(HTTPStatus.OK)
_NOT_MODIFIED = int(HTTPStatus.NOT_MODIFIED)


class Responder:
    """Answers requests for the files under one root; safe to call from many threads."""

    def __init__(self, root: str, max_age: int, gzip_cache_bytes: int) -> None:
        self._root = root
        self._max_age = max_age
        self._versions = Versions(_MAX_VERSIONS)
        self._gzip = GzipCache(gzip_cache_bytes)
        # Identities read by ``stat`` in this round of the loop (see ``new_round``).
        self._round: dict[str, Identity | None] = {}

    def new_round(self) -> None:
        """The loop woke for a new batch of events: files are looked at afresh.

        Requests that became ready at the same moment share one ``stat`` per path: an
        answer is as fresh as the moment the batch arrived, not a syscall per request."""
        self._round.clear()

    def from_memory(self, request: Request) -> Response | None:
        """Answer without touching file contents, or None to leave it to a worker.

        Only a remembered version is answered here: its path was resolved inside the
        root when it was read, and what is sent (validators, a cached gzip body) came
        from that read, whichever file the path leads to now.
        """
        method = request.method
        if method not in _ALLOWED_METHODS:
            return text_response(
                HTTPStatus.METHOD_NOT_ALLOWED,
                "method not allowed\n",
                method,
                {"Allow": ", ".join(_ALLOWED_METHODS)},
                # A body we do not read would be taken for the next request.
                close=True,
            )
        found = route(request.target)
        if found is None:
            return _not_found(method)
        version = self._versions.get(found.logical)
        if version is None:
            return None
        if version.path in self._round:
            identity = self._round[version.path]
        else:
            identity = self._round[version.path] = _identity_at(version.path)
        if identity != version.identity:
            return None
        gz = _gzip_wanted(request, version)
        answer = _from_validators(request, version, gz)
        if answer is not None:
            return answer
        if not gz:
            return None  # a GET of the plain form: a worker sends it from the file
        packed = self._gzip.get(found.logical, version.identity)
        return None if packed is None else _ok(version, method, gz=True, body=packed)

    def from_disk(self, request: Request) -> Response:
        """Resolve, open and (when needed) read, hash and compress; runs in a worker."""
        method = request.method
        found = route(request.target)
        if found is None:
            return _not_found(method)
        segments, trailing = found.segments, found.trailing
        root = os.path.realpath(self._root)
        target = os.path.realpath(os.path.join(root, *segments))
        # realpath has followed every symlink: whatever lies outside root is hidden.
        if not inside(target, root):
            return _not_found(method)
        if os.path.isdir(target):
            if not trailing:
                return _redirect_to_folder(request)
            target = os.path.join(target, "index.html")
            segments = (*segments, "index.html")
        elif trailing:
            return _not_found(method)
        opened = open_regular(target)
        if opened is None:
            return _not_found(method)
        fd, info = opened
        response: Response | None = None
        try:
            response = self._answer_file(request, segments, fd, info)
            return response
        finally:
            if response is None or response.file != fd:
                os.close(fd)

    def _answer_file(
        self, request: Request, segments: Sequence[str], fd: int, info: os.stat_result
    ) -> Response:
        """Answer from the file open at ``fd``; the response may keep ``fd`` to send from."""
        logical = "/".join(segments)
        identity = identity_of(info)
        version = self._versions.get(logical)
        body: bytes | None = None
        remembered = version is not None and version.identity == identity
        if version is None or not remembered:
            path = os.path.join(self._root, logical)
            version, body, remembered = read_version(fd, info, path, segments, self._max_age)
            if remembered:
                self._versions.put(logical, version)
        gz = _gzip_wanted(request, version)
        answer = _from_validators(request, version, gz)
        if answer is not None:
            return answer
        method = request.method
        if gz:
            packed = self._gzip.get(logical, identity) if remembered else None
            if packed is None:
                if body is None:
                    body = read_all(fd)
                # mtime=0 keeps the gzip bytes, and so the "-gz" tag, the same every time.
                packed = gzip.compress(body, compresslevel=6, mtime=0)
                if remembered:
                    self._gzip.put(logical, identity, packed)
            return _ok(version, method, gz=True, body=packed)
        if body is None and not _HAVE_SENDFILE:
            body = read_all(fd)
        if body is not None:
            return _ok(version, method, gz=False, body=body)
        # A remembered version: its bytes go from this descriptor, never through Python.
        return Response(
            _OK,
            _ok_fields(version, gz=False, length=version.size),
            file=fd,
            length=version.size,
        )


def _identity_at(path: str) -> Identity | None:
    try:
        return identity_of(os.stat(path))
    except OSError:
        return None


def _gzip_wanted(request: Request, version: Version) -> bool:
    return version.gzip_ok and accepts_gzip(request.headers.get("accept-encoding"))


def _from_validators(request: Request, version: Version, gz: bool) -> Response | None:
    """The answers that need no body: a ``304``, or a ``HEAD`` of the uncompressed form."""
    if not_modified(request.headers, version.tag(gz), version.mtime):
        return Response(_NOT_MODIFIED, version.validator_fields(gz))
    if request.method == "HEAD" and not gz:
        return _ok(version, request.method, gz=False, body=b"", length=version.size)
    return None


def _redirect_to_folder(request: Request) -> Response:
    location = folder_location(request.target)
    return text_response(
        HTTPStatus.MOVED_PERMANENTLY, f"see {location}\n", request.method, {"Location": location}
    )


def _not_found(method: str) -> Response:
    return text_response(HTTPStatus.NOT_FOUND, "not found\n", method)


def _ok_fields(version: Version, *, gz: bool, length: int) -> bytes:
    encoding = b"Content-Encoding: gzip\r\n" if gz else b""
    return b"".join(
        (
            version.type_field,
            b"Content-Length: %d\r\n" % length,
            encoding,
            version.validator_fields(gz),
        )
    )


def _ok(
    version: Version, method: str, *, gz: bool, body: bytes, length: int | None = None
) -> Response:
    """A 200; HEAD gets the headers of the GET and no body."""
    fields = _ok_fields(version, gz=gz, length=len(body) if length is None else length)
    return Response(_OK, fields, b"" if method == "HEAD" else body)
