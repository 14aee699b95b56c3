"""Reading an answer's body under the size cap, inflating it here.

httpx would inflate a body whole before the cap could be applied, so bodies are read
raw and inflated piece by piece, never more than the room left: the cap counts
decoded bytes, and a small compressed bomb never grows past it in memory.  One coding
at most, gzip or deflate; stacked or unknown codings are refused.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import httpx

from feeds.sources.http.failures import Transient, Unusable

#: The codings inflated here; nothing else is asked for.
ACCEPT_ENCODING = "gzip, deflate"


def read_body(
    response: httpx.Response, limit: int, check_deadline: Callable[[], None]
) -> tuple[bytes, bool]:
    """At most ``limit`` decoded bytes of the body, and whether more was left.

    A body that ends before its Content-Length or before the end of its
    compressed stream is a broken transfer: raise, so half a page is never taken
    for a whole one."""
    inflater = _inflater(response.headers)
    declared = _content_length(response.headers)
    # A plain body declared longer than the cap is known to be cut before reading.
    truncated = inflater is None and declared is not None and declared > limit
    body = bytearray()
    received = 0
    try:
        for chunk in response.iter_raw():
            received += len(chunk)
            check_deadline()
            # One byte past the room left tells a body over the cap from one at it.
            room = limit - len(body)
            piece = inflater.inflate(chunk, room + 1) if inflater else chunk[: room + 1]
            if len(piece) > room:
                body += piece[:room]
                truncated = True
                break
            body += piece
            if truncated and len(body) == limit:
                break
    except httpx.RemoteProtocolError as exc:
        expected = f" of {declared}" if declared is not None else ""
        raise Transient(f"truncated response ({received}{expected} bytes received)") from exc
    except zlib.error as exc:
        # A compressed body that does not inflate was most likely cut in transit.
        raise Transient(f"undecodable compressed body ({exc})") from exc
    if not truncated:
        if declared is not None and received < declared:
            raise Transient(f"truncated response ({received} of {declared} bytes received)")
        if inflater is not None and received and not inflater.finished:
            raise Transient("truncated response (the compressed body stops before its end)")
    return bytes(body), truncated


def _content_length(headers: httpx.Headers) -> int | None:
    value = headers.get("content-length", "").strip()
    return int(value) if value.isdigit() else None


class _Inflater:
    """Inflates a gzip or deflate body piece by piece, never more than asked at once,
    so a small bomb never grows past the size cap in memory."""

    def __init__(self, coding: str) -> None:
        self._coding = coding
        self._zlib: zlib._Decompress | None = None
        self._head = b""
        #: The compressed stream has reached its end.
        self.finished = False

    def inflate(self, data: bytes, most: int) -> bytes:
        """Up to ``most`` bytes out of ``data`` (and what came before)."""
        if self._zlib is None:
            # Two bytes tell a zlib-wrapped deflate stream from a raw one.
            self._head += data
            if len(self._head) < 2:
                return b""
            data, self._head = self._head, b""
            self._zlib = zlib.decompressobj(self._window(data))
        out = bytearray()
        while data and len(out) < most:
            if self._zlib.eof:
                # Another gzip member follows (concatenated files); anything else
                # after the end is ignored, as browsers do.
                if self._coding != "gzip" or not data.startswith(b"\x1f\x8b"):
                    break
                self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
            out += self._zlib.decompress(data, most - len(out))
            data = self._zlib.unused_data if self._zlib.eof else self._zlib.unconsumed_tail
            self.finished = self._zlib.eof
        return bytes(out)

    def _window(self, head: bytes) -> int:
        if self._coding == "gzip":
            return 16 + zlib.MAX_WBITS
        zlib_header = head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0
        return zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS


_CODINGS = {"gzip": "gzip", "x-gzip": "gzip", "deflate": "deflate"}


def _inflater(headers: httpx.Headers) -> _Inflater | None:
    """What undoes the answer's Content-Encoding; None for a plain body."""
    listed = headers.get("content-encoding", "").lower().split(",")
    codings = [c.strip() for c in listed if c.strip() not in ("", "identity")]
    if not codings:
        return None
    if len(codings) > 1:
        raise Unusable(f"stacked content codings refused ({', '.join(codings)})")
    coding = _CODINGS.get(codings[0])
    if coding is None:
        raise Unusable(
            f"unsupported content coding {codings[0]!r} (only gzip and deflate are accepted)"
        )
    return _Inflater(coding)
