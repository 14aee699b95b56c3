"""The open client connections, and HTTP/1.1 with keep-alive on each of them.

Everything here runs in the loop thread and never blocks: a connection reads
what has arrived, answers complete request heads one at a time and in order,
and writes what the socket takes now, keeping the rest until it is writable
again.  While a worker answers a request its connection is left alone.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import os
import selectors
import socket
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus

from feeds.serve.protocol import (
    HttpError,
    Request,
    Response,
    error_response,
    http_date,
    parse_head,
    render_head,
    take_head,
)
from feeds.serve.responder import Responder
from feeds.serve.settings import ServeSettings

# Bodies up to this size go out in the same write as their head.
_JOIN_BODY_BYTES = 64 * 1024


class Clock:
    """The loop's time: one reading per round, and the Date header formatted once a second.

    Every deadline set in one round of the loop counts from the same reading.
    """

    def __init__(self) -> None:
        self.now = time.monotonic()
        self._second = -1
        self._field = b""

    def tick(self) -> float:
        self.now = time.monotonic()
        return self.now

    def date_field(self) -> bytes:
        now = int(time.time())
        if now != self._second:
            self._field = f"Date: {http_date(now)}\r\n".encode("latin-1")
            self._second = now
        return self._field


@dataclass(slots=True)
class FileBody:
    fd: int
    offset: int
    remaining: int


class Connection:
    """One client connection, owned by the loop thread."""

    __slots__ = (
        "address",
        "busy",
        "close_after",
        "closed",
        "deadline",
        "events",
        "fd",
        "idle",
        "inbuf",
        "out",
        "sock",
    )

    def __init__(self, sock: socket.socket, address: str, deadline: float) -> None:
        self.sock = sock
        self.fd = sock.fileno()
        self.address = address
        self.inbuf = bytearray()
        self.out: collections.deque[memoryview | FileBody] = collections.deque()
        #: A worker is answering; nothing else happens on the connection meanwhile.
        self.busy = False
        self.close_after = False
        self.closed = False
        #: Between requests on a kept-alive connection (the idle timeout applies).
        self.idle = False
        self.deadline = deadline
        #: The events the selector watches for (0: not registered).
        self.events = 0


class Connections:
    """The open connections: what to do when one is readable or writable, or past its time.

    ``start_job`` hands a request that needs the disk to a worker; its answer comes
    back through ``finish_job``.  ``on_close`` is told whenever a connection closes.
    """

    def __init__(
        self,
        settings: ServeSettings,
        selector: selectors.BaseSelector,
        clock: Clock,
        responder: Responder,
        *,
        start_job: Callable[[Connection, Request], None],
        on_close: Callable[[], None],
        log: Callable[[str], None] | None,
    ) -> None:
        self._settings = settings
        self._selector = selector
        self._clock = clock
        self._responder = responder
        self._start_job = start_job
        self._on_close = on_close
        self._log = log
        self._open: set[Connection] = set()

    def __len__(self) -> int:
        return len(self._open)

    def add(self, sock: socket.socket, address: str) -> None:
        sock.setblocking(False)
        # Heads and bodies may go out in separate writes; Nagle would hold the body.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = Connection(sock, address, self._clock.now + self._settings.header_timeout)
        self._open.add(conn)
        self._watch(conn, selectors.EVENT_READ)

    def ready(self, conn: Connection, mask: int) -> None:
        """The selector found ``conn`` readable or writable (``mask``)."""
        if conn.closed:
            return
        if mask & selectors.EVENT_WRITE:
            if self._flush(conn):
                self._after_response(conn)
        else:
            self._read(conn)

    def finish_job(
        self, conn: Connection, request: Request, future: concurrent.futures.Future[Response]
    ) -> None:
        """Send what a worker answered for ``request`` on ``conn``."""
        try:
            response = future.result()
        except Exception:
            # A bug, not a client problem: show it, and answer 500.
            traceback.print_exc(file=sys.stderr)
            response = error_response(HTTPStatus.INTERNAL_SERVER_ERROR, close=True)
        if conn.closed:
            response.discard()
            return
        conn.busy = False
        if self._reply(conn, request, response):
            self._after_response(conn)

    def sweep(self, now: float) -> None:
        """Drop connections past their deadline: slow heads, idle keep-alives, stalled reads."""
        for conn in list(self._open):
            if conn.busy or now < conn.deadline:
                continue
            if conn.inbuf and not conn.out:
                # A head that did not arrive in time: say so, best effort, then drop.
                self._log_status(conn, "", HTTPStatus.REQUEST_TIMEOUT)
                response = error_response(HTTPStatus.REQUEST_TIMEOUT)
                with contextlib.suppress(OSError):
                    # Unread input would turn the close into a reset that can discard
                    # the answer: read what has come (the socket does not block).
                    while conn.sock.recv(65536):
                        pass
                with contextlib.suppress(OSError):
                    head = render_head(response, False, False, self._clock.date_field())
                    conn.sock.send(head + response.body)
            self.close(conn)

    def close(self, conn: Connection) -> None:
        if conn.closed:
            return
        conn.closed = True
        if conn.events:
            self._selector.unregister(conn.sock)
            conn.events = 0
        for item in conn.out:
            if isinstance(item, FileBody):
                os.close(item.fd)
        conn.out.clear()
        conn.sock.close()
        self._open.discard(conn)
        self._on_close()

    def close_all(self) -> None:
        for conn in list(self._open):
            self.close(conn)

    def _watch(self, conn: Connection, events: int) -> None:
        """Register ``conn`` for ``events`` (0: not at all)."""
        if events == conn.events:
            return
        if conn.events == 0:
            self._selector.register(conn.sock, events, conn)
        elif events == 0:
            self._selector.unregister(conn.sock)
        else:
            self._selector.modify(conn.sock, events, conn)
        conn.events = events

    def _read(self, conn: Connection) -> None:
        try:
            data = conn.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self.close(conn)
            return
        if not data:
            self.close(conn)
            return
        if conn.idle:
            # The next request has begun: its head must now arrive in time.
            conn.idle = False
            conn.deadline = self._clock.now + self._settings.header_timeout
        conn.inbuf += data
        self._process(conn)

    def _process(self, conn: Connection) -> None:
        """Answer the complete request heads in ``conn.inbuf``, one at a time, in order."""
        while not (conn.busy or conn.out or conn.closed or conn.close_after):
            try:
                head = take_head(conn.inbuf)
                if head is None:
                    self._watch(conn, selectors.EVENT_READ)
                    return
                request = parse_head(head)
            except HttpError as exc:
                self._reply_error(conn, exc)
                return
            response = self._responder.from_memory(request)
            if response is None:
                conn.busy = True
                self._watch(conn, 0)
                self._start_job(conn, request)
                return
            if self._reply(conn, request, response):
                self._after_response(conn, process=False)

    def _after_response(self, conn: Connection, *, process: bool = True) -> None:
        """A response went out whole: close, or wait for (or answer) the next request."""
        if conn.close_after:
            self.close(conn)
            return
        settings = self._settings
        conn.idle = not conn.inbuf
        conn.deadline = self._clock.now + (
            settings.idle_timeout if conn.idle else settings.header_timeout
        )
        self._watch(conn, selectors.EVENT_READ)
        if process:
            self._process(conn)

    def _log_status(self, conn: Connection, requestline: str, status: int) -> None:
        if self._log is not None:
            self._log(f'{conn.address} "{requestline}" {int(status)}')

    def _reply(self, conn: Connection, request: Request, response: Response) -> bool:
        """Log, queue and start sending ``response``; True when it went out whole."""
        self._log_status(conn, request.requestline, response.status)
        keep_alive = request.keep_alive and not response.close
        return self._send(conn, response, keep_alive, request.http10)

    def _reply_error(self, conn: Connection, error: HttpError) -> None:
        self._log_status(conn, error.requestline, error.status)
        if self._send(conn, error_response(error.status), False, False):
            self.close(conn)

    def _send(self, conn: Connection, response: Response, keep_alive: bool, http10: bool) -> bool:
        if not keep_alive:
            conn.close_after = True
        head = render_head(response, keep_alive, http10, self._clock.date_field())
        body = response.body
        if body and len(body) <= _JOIN_BODY_BYTES:
            head += body
            body = b""
        if not (conn.out or body or response.file is not None):
            # The usual case: one small write that the socket takes whole.
            try:
                sent = conn.sock.send(head)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError:
                self.close(conn)
                return False
            if sent == len(head):
                return True
            head = head[sent:]
        conn.out.append(memoryview(head))
        if body:
            conn.out.append(memoryview(body))
        if response.file is not None:
            conn.out.append(FileBody(response.file, 0, response.length))
            response.file = None  # the connection owns the descriptor now
        return self._flush(conn)

    def _flush(self, conn: Connection) -> bool:
        """Write what the socket takes now; True when nothing is left to send."""
        out = conn.out
        try:
            while out:
                item = out[0]
                if isinstance(item, FileBody):
                    sent = os.sendfile(conn.fd, item.fd, item.offset, item.remaining)
                    if sent == 0:
                        # The file shrank under us (changed in place): the promised length
                        # cannot be kept, so the connection cannot be either.
                        self.close(conn)
                        return False
                    item.offset += sent
                    item.remaining -= sent
                    if item.remaining == 0:
                        os.close(item.fd)
                        out.popleft()
                else:
                    sent = conn.sock.send(item)
                    if sent < len(item):
                        out[0] = item[sent:]
                    else:
                        out.popleft()
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:
            # The client went away mid-response (reset, broken pipe): nothing to report.
            self.close(conn)
            return False
        if out:
            # A client that stops reading is dropped after the idle timeout.
            conn.deadline = self._clock.now + self._settings.idle_timeout
            self._watch(conn, selectors.EVENT_WRITE)
            return False
        return True
