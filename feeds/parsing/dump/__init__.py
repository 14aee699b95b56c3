"""Parsing a text dump of one article page into its release and its sidebar teasers.

A dump reads, top to bottom::

    [0-5 teasers]  title  [date line]  body  [signature]  [navigation]

:mod:`.lines` reads the lines and takes the footer off; :mod:`.header` finds where the
sidebar ends and the article begins; :mod:`.teasers` turns the sidebar into releases and
:mod:`.body` the article.  A copy may stop anywhere (stored copies are often cut short):
a title is still found above a body cut mid-word, or at the very end.
"""

from __future__ import annotations

from dataclasses import replace

from feeds.errors import ParseError
from feeds.model import ParsedDocument
from feeds.parsing.dates import match_header_date
from feeds.parsing.dump.body import article_release, is_static
from feeds.parsing.dump.header import find_header
from feeds.parsing.dump.lines import is_image_line, is_url_line, read_dump
from feeds.parsing.dump.teasers import derive_title, teaser_releases, teasers
from feeds.profile.dump import DumpRules

__all__ = ["derive_title", "parse_dump", "teaser_candidates"]

LOW_CONFIDENCE = "title found without a date anchor: the first title-like line above body text"
STATIC_PAGE = "a static background page, not news: left out of the feeds"
UNTITLED = (
    "no title line (the lead stands in the sidebar and again below it, as in a partial, "
    "AJAX-loaded copy): the title is the lead's first sentence until a copy with its "
    "title arrives"
)


def parse_dump(
    text: str,
    *,
    locator: str,
    rules: DumpRules,
    known_paragraphs: frozenset[str] = frozenset(),
) -> ParsedDocument:
    """Parse one decoded dump.  ``known_paragraphs`` holds keys of paragraphs known to be
    teasers (seen in other dumps of the source, or leads of stored releases).

    Raises ParseError when no human could name the page's title.
    """
    dump = read_dump(text, rules)
    header = find_header(dump, rules, known_paragraphs, locator)
    lines = dump.texts()
    warnings: list[str] = []
    others = teaser_releases(teasers(list(dump.lines[: header.title]), rules), rules, header.date)
    # The sidebar reflects the crawl date: its newest dated teaser dates the copy.
    observed = max(
        (t.date for t in others if t.date is not None and t.date_origin.stated), default=None
    )
    if not header.untitled and is_static(lines[header.title], header, rules):
        return ParsedDocument(locator, None, others, (STATIC_PAGE,), observed)
    if header.untitled:
        warnings.append(UNTITLED)
    elif header.guessed:
        warnings.append(LOW_CONFIDENCE)
    article = article_release(lines, header, dump.contacts, dump.signature_images, rules, warnings)
    if header.untitled:
        title = derive_title(article.lead or lines[header.title], rules)
        article = replace(article, title=title, title_derived=True)
    return ParsedDocument(
        locator=locator,
        article=article,
        others=others,
        warnings=tuple(warnings),
        observed=observed,
    )


def teaser_candidates(text: str, rules: DumpRules) -> list[str]:
    """Lines near the top of a dump that may be teasers.

    When an anchor (repeated title, header date line) fixes the title, they are the lines
    above it; on undated pages, where the title is a guess, they are the first
    ``rules.title_search_lines`` lines.  Date lines, URL lines and image names are left
    out.  A caller counts their keys over the dumps of a source; keys seen in two or more
    dumps are known teasers.  Dumps without a title give nothing.
    """
    dump = read_dump(text, rules)
    try:
        header = find_header(dump, rules, frozenset(), "")
    except ParseError:
        return []
    lines = dump.texts()
    kept = [
        line
        for line in (lines if header.guessed else lines[: header.title])
        if not is_url_line(line)
        and not is_image_line(line, rules)
        and match_header_date(line, rules) is None
    ]
    return kept[: rules.title_search_lines] if header.guessed else kept
