"""``feeds serve``: a small static HTTP server for the output folder.

It knows the media types of the files the publisher writes, answers
conditional requests (ETag, Last-Modified), compresses text with gzip, and
never serves anything outside the output folder.

How it is built
---------------
One thread runs an event loop (``server``): it accepts connections and drives
each one (``connections``) without blocking: reading request heads, writing
responses, keeping the time limits.  A request that can be answered from memory
(a ``304`` of a remembered version, a cached gzip body, a ``404`` for a path
that never reaches the disk) is answered right there; one that has to open a
file goes to a bounded pool of worker threads (``workers``).  Which answer a
request gets is decided in ``responder``, from ``routes`` (which file a target
names, its type and cache lifetime), ``files`` (versions of files and their
validators, the gzip cache) and ``protocol`` (HTTP/1.1 heads and the
conditional rules).

Limits: the listen backlog, worker threads, open connections (more wait in
the backlog), the idle time of a keep-alive connection and a total deadline for
a request head (sending it a byte at a time does not keep a connection open),
all in ``settings``; and the size of a head, in ``protocol``.

This package imports the standard library and ``feeds.errors``, and nothing
else of feeds, so that serving stays independent of how the files are made.
"""

from __future__ import annotations

from collections.abc import Callable

from feeds.errors import ConfigError
from feeds.serve.server import OutputServer
from feeds.serve.settings import ServeSettings, check, listen_address

__all__ = ["OutputServer", "ServeSettings", "make_server", "run", "serve_forever"]


def make_server(
    settings: ServeSettings, *, log: Callable[[str], None] | None = None
) -> OutputServer:
    """Bind and listen for ``settings.root``; serve with ``run()`` or ``serve_forever()``.

    The socket listens when this returns, so a caller can announce the address
    (``server.url``) before serving.  Port 0 picks a free port.  A bad setting,
    a missing folder or an address that cannot be bound raise ConfigError.
    """
    check(settings)
    try:
        return OutputServer(settings, log)
    except OSError as exc:
        raise ConfigError(
            [f"{listen_address(settings)}: cannot listen: {exc.strerror or exc}"]
        ) from exc


def run(server: OutputServer) -> None:
    """Serve until interrupted; Ctrl-C closes the server and returns normally."""
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def serve_forever(settings: ServeSettings, *, log: Callable[[str], None] | None = None) -> None:
    """``make_server``, announce the address through ``log``, then ``run``."""
    server = make_server(settings, log=log)
    if log is not None:
        log(f"serving {settings.root} on {server.url}")
    run(server)
