"""Reading live HTML pages: listings (links to releases) and article pages.

Pages are parsed with lxml (:mod:`.tree`).  The site profile's selectors are tried
first; when they find nothing, generic extractors take over, so a redesign of the site
degrades to a warning instead of an empty feed: :mod:`.listing` reads listing pages,
:mod:`.article` article pages, with the generic finders of :mod:`.blocks` and the date
finders of :mod:`.dates`.
"""

from __future__ import annotations

from feeds.parsing.html.article import BODY_FALLBACK_WARNING, FALLBACK_WARNING, parse_article
from feeds.parsing.html.listing import ListingItem, ListingPage, parse_listing

__all__ = [
    "BODY_FALLBACK_WARNING",
    "FALLBACK_WARNING",
    "ListingItem",
    "ListingPage",
    "parse_article",
    "parse_listing",
]
