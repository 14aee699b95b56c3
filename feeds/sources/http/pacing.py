"""When a request may start: per-host concurrency and spacing, and the wait before
another attempt.

Both take the clock, sleep and random numbers from the retriever, so tests run them
without waiting.
"""

from __future__ import annotations

import contextlib
import random
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from feeds.config import HttpSettings


@dataclass
class _Host:
    """One host's politeness bookkeeping."""

    slots: threading.BoundedSemaphore
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: Earliest start allowed for the next request (clock time).
    next_start: float | None = None


class HostPacing:
    """At most ``per_host_concurrency`` requests at once against one host, and two
    paced requests to one host start at least ``min_delay`` seconds apart.  Safe to
    share between threads."""

    def __init__(
        self,
        settings: HttpSettings,
        *,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
    ) -> None:
        self._concurrency = settings.per_host_concurrency
        self._min_delay = settings.min_delay
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._hosts: dict[str, _Host] = {}

    @contextlib.contextmanager
    def turn(self, host: str, *, paced: bool = True) -> Iterator[None]:
        """Hold one of ``host``'s slots for the block; when ``paced``, the block starts
        no earlier than the host's next start slot."""
        state = self._host(host.lower())
        with state.slots:
            if paced:
                self._wait_for_start(state)
            yield

    def _host(self, host: str) -> _Host:
        with self._lock:
            state = self._hosts.get(host)
            if state is None:
                state = self._hosts[host] = _Host(threading.BoundedSemaphore(self._concurrency))
            return state

    def _wait_for_start(self, state: _Host) -> None:
        """Wait for this request's start slot; slots are handed out min_delay apart."""
        with state.lock:
            now = self._clock()
            start = now if state.next_start is None else max(now, state.next_start)
            state.next_start = start + self._min_delay
        if start > now:
            self._sleep(start - now)


class Backoff:
    """The wait before another attempt: the server's ``Retry-After`` (capped at
    ``retry_after_max``), or else exponential backoff with full jitter.  Safe to share
    between threads."""

    def __init__(self, settings: HttpSettings, rng: random.Random) -> None:
        self._base = settings.backoff_base
        self._most = settings.backoff_max
        self._retry_after_max = settings.retry_after_max
        self._rng = rng
        self._rng_lock = threading.Lock()

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait after attempt number ``attempt`` (from 0) failed."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self._retry_after_max)
        ceiling = min(self._most, self._base * 2**attempt)
        with self._rng_lock:
            return self._rng.uniform(0.0, ceiling)
