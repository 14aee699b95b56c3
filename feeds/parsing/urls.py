"""URLs of the site: canonical form, resolution, section and language.

Canonical URLs are ids for dedupe, so they are built by editing the URL text,
never by re-encoding it: slugs with ``%20``, a trailing ``-`` or no final slash
stay exactly as the site wrote them.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit, urlunsplit

from feeds.parsing.html_rules import HtmlRules


def absolutize(ref: str, base: str) -> str:
    """Resolve ``ref`` (as written in a page) against the page URL ``base``."""
    return urljoin(base, ref.strip())


def canonical_url(url: str, rules: HtmlRules, *, listing: bool = False) -> str:
    """The canonical form of a URL of the site.

    On the site's hosts: https, lower-case host, no fragment, no parameters that
    only select a copy (``bxajaxid``, ``clear_cache``); page parameters are kept
    for listings only.  Other hosts (a mirror, a loopback test server) keep their
    scheme, since https may not exist there.
    """
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    netloc = parts.netloc.lower() if "@" not in parts.netloc else parts.netloc
    on_site = host in rules.hosts
    scheme = "https" if on_site else parts.scheme.lower()
    if on_site and parts.port in (80, 443):
        netloc = host
    dropped = set(rules.strip_params)
    if not listing:
        dropped.update(rules.listing_params)
    kept = [pair for pair in parts.query.split("&") if pair and _param_name(pair) not in dropped]
    return urlunsplit((scheme, netloc, parts.path or "/", "&".join(kept), ""))


def _param_name(pair: str) -> str:
    return pair.partition("=")[0]


def _matches(url: str, prefixes: tuple[tuple[str, str], ...]) -> str | None:
    """Value of the longest prefix holding ``url`` ("/path" any host, or "host/path")."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    path = parts.path or "/"
    best: tuple[int, str] | None = None
    for prefix, value in prefixes:
        if prefix.startswith("/"):
            hit = path.startswith(prefix)
        else:
            prefix_host, _, prefix_path = prefix.partition("/")
            hit = host == prefix_host and path.startswith("/" + prefix_path)
        if hit and (best is None or len(prefix) > best[0]):
            best = (len(prefix), value)
    return best[1] if best else None


def section_for_url(url: str, rules: HtmlRules) -> str | None:
    """The site's own section of a page, from the profile's prefix map."""
    return _matches(url, rules.sections)


def language_for_url(url: str, rules: HtmlRules) -> str | None:
    """The language the site serves at this URL, when the profile knows it."""
    return _matches(url, rules.languages)


def query_value(url: str, name: str) -> str | None:
    """The raw value of query parameter ``name``, or None."""
    for pair in urlsplit(url).query.split("&"):
        key, sep, value = pair.partition("=")
        if key == name and sep:
            return value
    return None
