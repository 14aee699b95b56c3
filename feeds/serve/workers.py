"""The worker pool: threads for what needs the disk, and the way back to the loop.

A worker never touches a connection.  It leaves its answer in a queue and wakes
the loop with a byte on a socket pair that the loop watches; the loop then sends
the answer on the connection it owns.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import functools
import socket
from collections.abc import Callable, Iterator

from feeds.serve.connections import Connection
from feeds.serve.protocol import Request, Response

Finished = tuple[Connection, Request, concurrent.futures.Future[Response]]


class Workers:
    """``count`` threads that run ``job`` on requests; ``finished()`` yields their answers."""

    def __init__(self, count: int, job: Callable[[Request], Response]) -> None:
        self._job = job
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=count, thread_name_prefix="feeds-serve"
        )
        self._done: collections.deque[Finished] = collections.deque()
        #: Readable when an answer is waiting (or the loop was woken to stop).
        self.wake_socket, self._wake_w = socket.socketpair()
        self.wake_socket.setblocking(False)
        self._wake_w.setblocking(False)
        self._closed = False

    def submit(self, conn: Connection, request: Request) -> None:
        future = self._pool.submit(self._job, request)
        future.add_done_callback(functools.partial(self._job_done, conn, request))

    def wake(self) -> None:
        # A full pipe wakes the loop all the same; a closed one means it has stopped.
        with contextlib.suppress(OSError):
            self._wake_w.send(b"\0")

    def finished(self) -> Iterator[Finished]:
        """The jobs done since the last call, in the order they finished."""
        try:
            while self.wake_socket.recv(4096):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        while self._done:
            yield self._done.popleft()

    def close(self) -> None:
        """Cancel what has not started; answers that come later are dropped."""
        self._closed = True
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.wake_socket.close()
        self._wake_w.close()

    def _job_done(
        self, conn: Connection, request: Request, future: concurrent.futures.Future[Response]
    ) -> None:
        # Runs in the worker thread: hand over to the loop, which owns the connection.
        if self._closed:
            if not future.cancelled() and future.exception() is None:
                future.result().discard()
            return
        self._done.append((conn, request, future))
        self.wake()
