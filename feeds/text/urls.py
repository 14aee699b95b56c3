"""URL rules: what counts as absolute, resolving references, the canonical form.

Canonical URLs are ids for deduplication, so they are built by editing the URL text,
never by re-encoding it: slugs with ``%20``, a trailing ``-`` or no final slash stay
exactly as the site wrote them.
"""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import urljoin, urlsplit, urlunsplit

WEB_SCHEMES = frozenset({"http", "https"})
#: Schemes a reference in published content may use.
CONTENT_SCHEMES = frozenset({"http", "https", "mailto"})


def is_absolute(url: str | None, schemes: Collection[str] = WEB_SCHEMES) -> bool:
    """True for a URL with one of ``schemes`` and a host (mailto: needs an address)."""
    if not url:
        return False
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in schemes:
        return False
    if scheme == "mailto":
        return bool(parts.path)
    return bool(parts.netloc)


def absolutize(ref: str, base: str) -> str:
    """Resolve ``ref`` (as written in a page) against the page URL ``base``."""
    return urljoin(base, ref.strip())


def canonical_url(
    url: str,
    *,
    site_hosts: Collection[str],
    dropped_params: Collection[str],
) -> str:
    """The canonical form of a URL.

    On the site's hosts: https, lower-case host, no default port, no fragment, no
    ``dropped_params``.  Other hosts (a mirror, a loopback test server) keep their scheme,
    since https may not exist there.
    """
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    netloc = parts.netloc.lower() if "@" not in parts.netloc else parts.netloc
    on_site = host in site_hosts
    scheme = "https" if on_site else parts.scheme.lower()
    if on_site and parts.port in (80, 443):
        netloc = host
    kept = [
        pair for pair in parts.query.split("&") if pair and param_name(pair) not in dropped_params
    ]
    return urlunsplit((scheme, netloc, parts.path or "/", "&".join(kept), ""))


def without_params(url: str, dropped: Collection[str]) -> str:
    """``url`` without the query parameters named in ``dropped`` (and no fragment)."""
    parts = urlsplit(url)
    kept = [p for p in parts.query.split("&") if p and param_name(p) not in dropped]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "&".join(kept), ""))


def param_name(pair: str) -> str:
    return pair.partition("=")[0]


def query_value(url: str, name: str) -> str | None:
    """The raw value of query parameter ``name``, or None."""
    for pair in urlsplit(url).query.split("&"):
        key, sep, value = pair.partition("=")
        if key == name and sep:
            return value
    return None
