"""What can be set about serving, the defaults, and the checks made before binding."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from feeds.errors import ConfigError

#: Seconds a keep-alive connection may wait for its next request.
IDLE_TIMEOUT = 30.0
#: Seconds a client has to send a whole request head, from its first byte.
HEADER_TIMEOUT = 10.0
#: Connections the kernel queues while the server is not accepting.
BACKLOG = 128
#: Threads that open, read, hash and compress files.
WORKERS = 64
#: Open connections; further ones wait in the listen backlog.
MAX_CONNECTIONS = 1024
#: Bytes of gzip bodies kept in memory.
GZIP_CACHE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class ServeSettings:
    """Where and how to serve the output folder."""

    root: Path
    host: str = "127.0.0.1"
    port: int = 8080
    #: Cache lifetime in seconds of feeds, pages and everything but archives.
    max_age: int = 300
    workers: int = WORKERS
    backlog: int = BACKLOG
    max_connections: int = MAX_CONNECTIONS
    idle_timeout: float = IDLE_TIMEOUT
    header_timeout: float = HEADER_TIMEOUT
    gzip_cache_bytes: int = GZIP_CACHE_BYTES


def check(settings: ServeSettings) -> None:
    """Raise ConfigError for a bad setting or a missing folder."""
    port = settings.port
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ConfigError(
            [f"{listen_address(settings)}: cannot listen: port must be a number from 0 to 65535"]
        )
    problems = [
        f"serve: {name} must be at least {least}, not {value}"
        for name, value, least in (
            ("workers", settings.workers, 1),
            ("backlog", settings.backlog, 1),
            ("max_connections", settings.max_connections, 1),
            ("gzip_cache_bytes", settings.gzip_cache_bytes, 0),
        )
        if value < least
    ]
    problems += [
        f"serve: {name} must be more than 0 seconds, not {value}"
        for name, value in (
            ("idle_timeout", settings.idle_timeout),
            ("header_timeout", settings.header_timeout),
        )
        if not value > 0
    ]
    if problems:
        raise ConfigError(problems)
    if not settings.root.is_dir():
        raise ConfigError([f"{settings.root}: output folder does not exist or is not a folder"])


def listen_address(settings: ServeSettings) -> str:
    """The address as configured, for messages (the bound one may differ: port 0)."""
    return f"{settings.host}:{settings.port}"
