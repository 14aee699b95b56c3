"""Parse: pure functions from a retrieved document and the site profile to releases.

No state, no network, no output: what a parser needs to know beyond the document (which
paragraphs are known teasers) comes in as a plain value.

May import ``feeds.model``, ``feeds.errors``, ``feeds.profile`` and ``feeds.text``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from feeds.errors import InputError, ParseError
from feeds.model import DateOrigin, DocumentKind, ParsedDocument, Retrieved
from feeds.parsing.dump import parse_dump, teaser_candidates
from feeds.profile import Profile
from feeds.text.decode import Decoded, charset_hint, declared_charset, decode_bytes, unreadable
from feeds.text.keys import paragraph_key

__all__ = ["candidate_keys", "decode_dump", "parse_document", "parse_dump"]


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
        with _charset_hinted(text):
            parsed = parse_dump(
                text, locator=document.locator, rules=profile.dump, known_paragraphs=known
            )
        return _readable(parsed, text)
    if document.kind is DocumentKind.FEED:
        from feeds.parsing.upstream import parse_feed  # feedparser loads only for feeds

        return parse_feed(
            document.body,
            locator=document.locator,
            base_url=document.url,
            language=language,
            rules=profile.html,
        )
    from feeds.parsing.html import parse_article  # lxml's HTML side loads only for pages

    page = decode_bytes(
        document.body,
        locator=document.locator,
        declared=declared_charset(document.content_type),
        markup=True,
    )
    with _charset_hinted(page.text):
        parsed = parse_article(page.text, url=document.url or document.locator, rules=profile.html)
    article = parsed.article
    if article is None:
        raise InputError(document.locator, "no article found" + charset_hint(page.text))
    if article.date is None and document.listing_date is not None:
        article = replace(article, date=document.listing_date, date_origin=DateOrigin.LISTING)
    parsed = replace(parsed, article=article, warnings=(*page.warnings, *parsed.warnings))
    return _readable(parsed, page.text)


@contextmanager
def _charset_hinted(text: str) -> Iterator[None]:
    """A parse error says so when the text was likely read with the wrong character set."""
    try:
        yield
    except ParseError as exc:
        hint = charset_hint(text)
        if not hint:
            raise
        raise ParseError(exc.where, exc.reason + hint) from None


def _readable(parsed: ParsedDocument, text: str) -> ParsedDocument:
    """No title of replacement characters is published: a document whose article has one
    is an error; a teaser with one is left out, with a warning."""
    article = parsed.article
    if article is not None and unreadable(article.title):
        raise ParseError(
            parsed.locator, "the title could not be decoded" + (charset_hint(text) or "")
        )
    kept = tuple(r for r in parsed.others if not unreadable(r.title))
    if len(kept) == len(parsed.others):
        return parsed
    dropped = len(parsed.others) - len(kept)
    warning = f"{dropped} teaser(s) left out: their titles could not be decoded"
    return replace(parsed, others=kept, warnings=(*parsed.warnings, warning))
