"""The event loop: one thread that accepts, reads, writes and keeps the time limits.

An idle keep-alive connection or a slow client therefore costs a socket and a
little memory, never a thread.  What has to open a file goes to the worker pool.
"""

from __future__ import annotations

import errno
import os
import selectors
import socket
import sys
import threading
import traceback
from collections.abc import Callable

from feeds.serve.connections import Clock, Connection, Connections
from feeds.serve.responder import Responder
from feeds.serve.settings import ServeSettings
from feeds.serve.workers import Workers

# How often the loop looks for connections past their deadline.
_SWEEP_SECONDS = 0.1

_LISTENER = "listener"
_WAKE = "wake"


class OutputServer:
    """Serves one output folder; made by ``make_server``, which has bound and listens.

    ``serve_forever()`` runs the loop in the calling thread until ``shutdown()``
    is called from another thread; ``server_close()`` releases the socket.
    """

    def __init__(self, settings: ServeSettings, log: Callable[[str], None] | None) -> None:
        self.settings = settings
        self.log = log
        self.request_queue_size = settings.backlog
        self.max_workers = settings.workers
        self.max_connections = _connection_limit(settings.max_connections, settings.workers)
        family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
        self._listener = socket.socket(family, socket.SOCK_STREAM)
        try:
            # Lets a restarted server bind while old connections linger in TIME_WAIT.
            self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._listener.bind((settings.host, settings.port))
            self._listener.listen(self.request_queue_size)
        except OSError:
            self._listener.close()
            raise
        self._listener.setblocking(False)
        self.server_address: tuple[str, int] = self._listener.getsockname()[:2]
        self._responder = responder = Responder(
            os.fspath(settings.root), settings.max_age, settings.gzip_cache_bytes
        )
        self._clock = Clock()
        self._workers = Workers(settings.workers, responder.from_disk)
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ, _LISTENER)
        self._selector.register(self._workers.wake_socket, selectors.EVENT_READ, _WAKE)
        self._connections = Connections(
            settings,
            self._selector,
            self._clock,
            responder,
            start_job=self._workers.submit,
            on_close=self._connection_closed,
            log=log,
        )
        self._accepting = True
        self._resume_accepting_at = 0.0
        self._stop = False
        self._stopped = threading.Event()
        self._stopped.set()
        self._closed = False

    # --- public ---

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}/"

    @property
    def connections(self) -> int:
        """Connections open now."""
        return len(self._connections)

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        """Run the loop until ``shutdown()``; ``poll_interval`` caps each wait."""
        self._stopped.clear()
        timeout = min(poll_interval, _SWEEP_SECONDS)
        next_sweep = self._clock.tick() + _SWEEP_SECONDS
        try:
            while not self._stop:
                events = self._selector.select(timeout)
                # One reading of the clock serves every deadline set in this round.
                now = self._clock.tick()
                self._responder.new_round()
                for key, mask in events:
                    try:
                        self._dispatch(key.data, mask)
                    except Exception:
                        # A bug met by one connection must not stop the server: show it
                        # and drop that connection.
                        traceback.print_exc(file=sys.stderr)
                        if isinstance(key.data, Connection):
                            self._connections.close(key.data)
                if now >= next_sweep:
                    self._connections.sweep(now)
                    self._resume_accepting(now)
                    next_sweep = now + _SWEEP_SECONDS
        finally:
            self._stop = False
            self._stopped.set()

    def shutdown(self) -> None:
        """Stop ``serve_forever`` (running in another thread) and wait until it returns."""
        self._stop = True
        self._workers.wake()
        self._stopped.wait()

    def server_close(self) -> None:
        """Close the listening socket and every connection; idempotent."""
        if self._closed:
            return
        self._closed = True
        # Workers first: an answer finished from now on is dropped, not queued.
        self._workers.close()
        self._connections.close_all()
        self._selector.close()
        self._listener.close()

    def __enter__(self) -> OutputServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server_close()

    # --- loop ---

    def _dispatch(self, data: object, mask: int) -> None:
        if isinstance(data, Connection):
            self._connections.ready(data, mask)
        elif data == _LISTENER:
            self._accept()
        else:
            for conn, request, future in self._workers.finished():
                self._connections.finish_job(conn, request, future)

    def _accept(self) -> None:
        # Bounded, so a flood of new connections cannot starve the open ones.
        for _ in range(64):
            if len(self._connections) >= self.max_connections:
                self._pause_accepting(0.0)
                return
            try:
                sock, address = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionAbortedError:
                continue
            except OSError as exc:
                if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    # Out of descriptors or memory: leave the rest in the backlog a while.
                    self._pause_accepting(self._clock.now + 0.1)
                    return
                raise
            self._connections.add(sock, str(address[0]))

    def _pause_accepting(self, until: float) -> None:
        if self._accepting:
            self._selector.unregister(self._listener)
            self._accepting = False
        self._resume_accepting_at = until

    def _resume_accepting(self, now: float) -> None:
        if (
            not self._accepting
            and now >= self._resume_accepting_at
            and len(self._connections) < self.max_connections
        ):
            self._selector.register(self._listener, selectors.EVENT_READ, _LISTENER)
            self._accepting = True

    def _connection_closed(self) -> None:
        if not self._accepting and not self._closed:
            self._resume_accepting(self._clock.now)


def _connection_limit(wanted: int, workers: int) -> int:
    """``wanted``, or fewer when the descriptor limit would be reached first."""
    try:
        import resource
    except ImportError:  # not on POSIX
        return wanted
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return wanted
    # Each worker may hold a file open; keep a few for the listener, logs and imports.
    return max(1, min(wanted, soft - workers - 32))
