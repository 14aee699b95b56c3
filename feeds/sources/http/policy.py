"""Where a request may go: origins on the allow-list, and public addresses only.

Both are checked before any connection: the URL against the origins the sources name
(:class:`AllowList`), then every address its host resolves to
(:func:`checked_addresses`), so a name cannot lead to this machine or its network.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable, Sequence

import httpx

from feeds.errors import FetchError
from feeds.sources.http.failures import Refused, Transient

DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_REDIRECTS = 5

#: ``(host, port) -> addresses``; raises OSError when the name does not resolve.
Resolver = Callable[[str, int], Sequence[str]]


# -- URLs and origins ----------------------------------------------------------------


def origin_of(url: str) -> str | None:
    """``scheme://host:port`` of an absolute http(s) URL, lower case, with the default
    port spelled out; None for anything else."""
    try:
        return url_origin(httpx.URL(url))
    except httpx.InvalidURL:
        return None


def url_origin(url: httpx.URL) -> str | None:
    """:func:`origin_of` for a parsed URL."""
    if url.scheme not in DEFAULT_PORTS or not url.raw_host:
        return None
    host = url.raw_host.decode("ascii").lower().rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    return f"{url.scheme}://{host}:{url.port or DEFAULT_PORTS[url.scheme]}"


def parse_url(url: str) -> httpx.URL:
    """``url`` parsed; a :class:`FetchError` for one that does not parse."""
    try:
        return httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise FetchError(url, f"invalid URL ({exc})") from exc


def _shown(url: httpx.URL) -> str:
    """An origin as a person reads it: ``http://host:8081/``, no default port."""
    return str(url.copy_with(path="/", query=None, fragment=None, username=None, password=None))


class AllowList:
    """The origins requests may go to.  An allowed http origin on port 80 also admits
    its https twin on port 443, so an upgrade redirect is followed."""

    def __init__(self, entries: Iterable[str]) -> None:
        allowed = set()
        for entry in entries:
            found = origin_of(entry)
            if found is None:
                raise ValueError(f"not an http or https origin: {entry!r}")
            allowed.add(found)
        self._allowed = frozenset(allowed)

    def admits(self, origin: str | None) -> bool:
        if origin is None:
            return False
        if origin in self._allowed:
            return True
        # An upgrade to TLS on the same host and default ports lowers no guard.
        host = origin.removeprefix("https://").removesuffix(":443")
        return origin == f"https://{host}:443" and f"http://{host}:80" in self._allowed

    def check(self, requested: str, target: httpx.URL, *, redirected: bool) -> None:
        """Raise :class:`FetchError` unless ``target`` is an http(s) URL on an allowed
        origin; ``redirected`` words the reason for a redirect met on the way."""
        scheme = target.scheme
        if scheme and scheme not in DEFAULT_PORTS:
            if redirected:
                reason = f"redirect to a {scheme} URL refused: only http and https are fetched"
            else:
                reason = f"{scheme} URLs are refused: only http and https are fetched"
            raise FetchError(requested, reason)
        if not scheme or not target.raw_host:
            raise FetchError(requested, "not an absolute URL")
        if not self.admits(url_origin(target)):
            shown = _shown(target)
            if redirected:
                raise FetchError(requested, f"redirect to {shown} refused (another origin)")
            raise FetchError(requested, f"{shown} refused (not an origin the sources name)")


# -- addresses -----------------------------------------------------------------------


def system_resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def checked_addresses(
    resolve: Resolver, host: str, port: int, *, allow_private: bool
) -> tuple[str, ...]:
    """Resolve ``host`` once; refuse it when any address is not a public one."""
    try:
        found = tuple(dict.fromkeys(resolve(host, port)))
    except socket.gaierror as exc:
        reason = f"cannot resolve {host} ({exc.strerror or exc})"
        if exc.errno == socket.EAI_AGAIN:
            raise Transient(reason) from exc
        raise Refused(reason) from exc
    except (OSError, UnicodeError) as exc:
        raise Refused(f"cannot resolve {host} ({exc})") from exc
    if not found:
        raise Refused(f"cannot resolve {host} (no address)")
    if not allow_private:
        for address in found:
            if not _public(address):
                raise Refused(
                    f"private address {_bare(address)} refused (set http.allow_private_addresses)"
                )
    return found


def _bare(address: str) -> str:
    """An address without its IPv6 zone, IPv4-mapped IPv6 addresses as IPv4."""
    parsed = ipaddress.ip_address(address.split("%")[0])
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    return str(parsed)


def _public(address: str) -> bool:
    try:
        parsed = ipaddress.ip_address(_bare(address))
    except ValueError:
        return False
    return (
        parsed.is_global
        and not parsed.is_multicast
        and not parsed.is_reserved
        and not parsed.is_link_local
    )
