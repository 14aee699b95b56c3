"""A polite HTTP client: the only place feeds talks to the network.

Politeness and safety, in the order a request meets them, and the module of each::

    HttpRetriever.fetch(url)                                         retriever.py
     |-- 1. an http(s) URL on an allowed origin                      policy.py
     |-- 2. robots.txt allows the path                               robots.py
     |-- each attempt, up to 1 + retries:
     |     |-- 3. a slot on the host, min_delay after the last       pacing.py
     |     |-- 4. resolve once, every address public                 policy.py
     |     |-- 5. connect to a checked address, within timeout       transport.py
     |     |-- 6. read the body raw, inflate it, cut it at the cap   body.py
     |     '-- 7. 429, 5xx, no or a broken answer: wait, go again    pacing.py
     |-- 8. a redirect: back to 1 with its Location
     '-- the last answer: a Fetched, or a FetchError                 wire.py

1. only http and https URLs, and only to an origin (scheme, host, port) the sources
   name (``allowed_origins``); an allowed http origin on port 80 also admits its https
   twin on port 443, so an upgrade redirect is followed;
2. the origin's robots.txt (read once, RFC 9309 rules: longest match, ``*`` and ``$``)
   must allow the path;
3. at most ``per_host_concurrency`` requests run at once against one host, and two
   requests to one host start at least ``min_delay`` seconds apart;
4. the host is resolved once per attempt and every address is checked (no loopback,
   private, link-local or reserved address unless allowed); the connection goes to a
   checked address, while the Host header, TLS SNI and the certificate check keep
   the host name;
5. one attempt has ``timeout`` seconds for everything: connecting, TLS, the answer's
   head and its whole body;
6. bodies are read raw and inflated here (gzip or deflate, one coding at most) with a
   bounded output, and cut at ``max_bytes`` decoded bytes; a body the server cut
   short is an error, never a page;
7. connection errors, timeouts, 429 and 5xx are retried with exponential backoff and
   full jitter, or after the server's ``Retry-After``;
8. redirects are followed by hand, and only to allowed origins.

Conditional GET is supported through :class:`Validators`: a 304 answer comes back
as ``Fetched(not_modified=True)``.  Every failure is a
:class:`feeds.errors.FetchError` whose message starts with the requested URL.

Imports: httpx, httpcore and protego; of feeds, only ``feeds.config``,
``feeds.errors`` and ``feeds.text.decode``.  Inside, ``retriever.py`` alone puts the
modules together; the others import no more of the package than ``failures.py`` (the
internal exceptions), ``policy.py`` and ``wire.py``.
"""

from __future__ import annotations

from feeds.sources.http.body import ACCEPT_ENCODING
from feeds.sources.http.policy import DEFAULT_PORTS, MAX_REDIRECTS, Resolver, origin_of
from feeds.sources.http.retriever import HttpRetriever
from feeds.sources.http.robots import ROBOTS_MAX_BYTES
from feeds.sources.http.wire import ACCEPT, REDIRECT_STATUSES, Fetched, Validators

__all__ = [
    "ACCEPT",
    "ACCEPT_ENCODING",
    "DEFAULT_PORTS",
    "MAX_REDIRECTS",
    "REDIRECT_STATUSES",
    "ROBOTS_MAX_BYTES",
    "Fetched",
    "HttpRetriever",
    "Resolver",
    "Validators",
    "origin_of",
]
