"""Parse: pure functions from a retrieved document and the site profile to releases.

No state, no network, no output: what a parser needs to know beyond the document (which
paragraphs are known teasers) comes in as a plain value.

May import ``feeds.model``, ``feeds.errors``, ``feeds.profile`` and ``feeds.text``.
"""

from __future__ import annotations

from dataclasses import replace

from feeds.errors import InputError
from feeds.model import DateOrigin, DocumentKind, ParsedDocument, Retrieved
from feeds.parsing.dump import parse_dump, teaser_candidates
from feeds.parsing.html import parse_article
from feeds.parsing.upstream import parse_feed
from feeds.profile import Profile
from feeds.text.decode import Decoded, declared_charset, decode_bytes
from feeds.text.keys import paragraph_key

__all__ = [
    "candidate_keys",
    "decode_dump",
    "parse_article",
    "parse_document",
    "parse_dump",
    "parse_feed",
]


def decode_dump(document: Retrieved) -> Decoded:
    override = None if document.encoding == "auto" else document.encoding
    return decode_bytes(document.body, locator=document.locator, override=override)


def candidate_keys(text: str, profile: Profile) -> set[str]:
    """Keys of the paragraphs near the top of a dump that may be sidebar teasers; a key
    seen in two or more dumps of a source is a known teaser."""
    return {paragraph_key(p) for p in teaser_candidates(text, profile.dump)}


def parse_document(
    document: Retrieved,
    profile: Profile,
    *,
    known: frozenset[str] = frozenset(),
    text: str | None = None,
    language: str | None = None,
) -> ParsedDocument:
    """The releases of one document.  ``known`` holds keys of paragraphs known to be
    teasers (dumps); ``text`` is the document already decoded, when it is."""
    if document.kind is DocumentKind.DUMP:
        if text is None:
            text = decode_dump(document).text
        return parse_dump(
            text, locator=document.locator, rules=profile.dump, known_paragraphs=known
        )
    if document.kind is DocumentKind.FEED:
        return parse_feed(
            document.body,
            locator=document.locator,
            base_url=document.url,
            language=language,
            rules=profile.html,
        )
    page = decode_bytes(
        document.body,
        locator=document.locator,
        declared=declared_charset(document.content_type),
        markup=True,
    )
    parsed = parse_article(page.text, url=document.url or document.locator, rules=profile.html)
    article = parsed.article
    if article is None:
        raise InputError(document.locator, "no article found")
    if article.date is None and document.listing_date is not None:
        article = replace(article, date=document.listing_date, date_origin=DateOrigin.LISTING)
    return replace(parsed, article=article, warnings=(*page.warnings, *parsed.warnings))
