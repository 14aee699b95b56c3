"""robots.txt: read once per origin, matched by RFC 9309 rules (longest match, ``*``
and ``$``, through protego).

A robots.txt that is missing or cannot be read allows everything: a broken one must
not stop the source.  A refusal (a name that does not resolve, a private address) is
not swallowed: it fails the fetch that asked.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

import httpx
from protego import Protego

from feeds.sources.http.failures import Transient, Unusable
from feeds.sources.http.policy import MAX_REDIRECTS, AllowList, url_origin
from feeds.sources.http.wire import REDIRECT_STATUSES, Reply

#: RFC 9309 asks crawlers to read at least 500 KiB of a robots.txt.
ROBOTS_MAX_BYTES = 512 * 1024

#: ``(url, limit) -> reply``: one GET attempt, its body read up to ``limit`` bytes.
SendOnce = Callable[[httpx.URL, int], Reply]


class RobotsRules:
    """Each origin's robots.txt, read on first use.  Safe to share between threads."""

    def __init__(self, user_agent: str, allowed: AllowList, send: SendOnce) -> None:
        # robots.txt groups are matched on the product token, not on the comment or
        # URL that follows it in the User-Agent.
        self._product = re.split(r"[/\s]", user_agent.strip(), maxsplit=1)[0]
        self._allowed = allowed
        self._send = send
        self._lock = threading.Lock()
        self._rules: dict[str, Protego | None] = {}
        self._origin_locks: dict[str, threading.Lock] = {}

    def allow(self, target: httpx.URL) -> bool:
        """Whether the robots.txt of ``target``'s origin lets this client fetch it."""
        origin = url_origin(target) or ""
        with self._lock:
            origin_lock = self._origin_locks.setdefault(origin, threading.Lock())
        # One reader per origin, so concurrent fetches wait for a single robots.txt.
        with origin_lock:
            if origin not in self._rules:
                self._rules[origin] = self._read(target.join("/robots.txt"))
            rules = self._rules[origin]
        return rules is None or rules.can_fetch(str(target), self._product)

    def _read(self, robots_url: httpx.URL) -> Protego | None:
        """The parsed robots.txt, or ``None`` (allow everything) when there is none
        or it cannot be read; redirects are followed within the allowed origins."""
        target = robots_url
        for _ in range(MAX_REDIRECTS + 1):
            try:
                reply = self._send(target, ROBOTS_MAX_BYTES)
            except (Transient, Unusable):
                return None
            if reply.status in REDIRECT_STATUSES:
                location = reply.headers.get("location")
                try:
                    target = reply.url.join(location or "")
                except httpx.InvalidURL:
                    return None
                if not location or not self._allowed.admits(url_origin(target)):
                    return None
                continue
            if not 200 <= reply.status < 300:
                return None
            return Protego.parse(reply.content.decode("utf-8", errors="replace"))
        return None
