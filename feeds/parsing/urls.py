"""URLs of the site as its profile describes them: canonical form, section, language."""

from __future__ import annotations

from urllib.parse import urlsplit

from feeds.profile.html import HtmlRules
from feeds.text import urls


def canonical_url(url: str, rules: HtmlRules, *, listing: bool = False) -> str:
    """The canonical form of a URL of the site (see :func:`feeds.text.urls.canonical_url`):
    copy-selecting parameters (``bxajaxid``, ``clear_cache``) dropped; page parameters
    kept for listings only."""
    dropped = set(rules.urls.strip_params)
    if not listing:
        dropped.update(rules.urls.listing_params)
    return urls.canonical_url(url, site_hosts=rules.urls.hosts, dropped_params=dropped)


def fetch_url(url: str, rules: HtmlRules) -> str:
    """The URL to fetch for a listing link: without the parameters that select a partial
    copy (``bxajaxid`` answers an AJAX fragment, not the article)."""
    return urls.without_params(url, rules.urls.strip_params)


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
