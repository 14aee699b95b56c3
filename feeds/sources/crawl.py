"""``type: html`` sources: a section listing of the live site and its article pages.

Listing pages are fetched with conditional GET; an article page is fetched only when the
listing shows an article that was never read successfully, or shows it with a different
title or date.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from feeds.config import HtmlSourceConfig
from feeds.errors import FetchError, SourceError
from feeds.model import DocumentKind, Retrieved
from feeds.parsing.html import ListingItem, parse_listing
from feeds.parsing.urls import fetch_url
from feeds.profile.html import HtmlRules
from feeds.sources.base import ListingPage, Progress, Recall, Retrieval
from feeds.sources.http import Fetched, HttpRetriever, Validators


def page_url(listing: str, number: int, param: str) -> str:
    """Page 1 is the bare listing URL; page N adds ``?<param>=N``."""
    if number == 1:
        return listing
    parts = urlsplit(listing)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != param]
    query.append((param, str(number)))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def fetch_whole(http: HttpRetriever, url: str, validators: Validators | None = None) -> Fetched:
    """Fetch ``url``; a page cut at the size limit is an error, never half an article."""
    fetched = http.fetch(url, validators=validators)
    if fetched.truncated:
        raise FetchError(url, "page larger than the size limit; cut off")
    return fetched


def fingerprint(item: ListingItem) -> str:
    """How a listing shows an article: a changed title or date means it changed."""
    return f"{' '.join(item.title.split())}|{item.date.isoformat() if item.date else ''}"


def crawl(
    source: HtmlSourceConfig,
    http: HttpRetriever,
    rules: HtmlRules,
    recall: Recall,
    progress: Progress,
) -> Retrieval:
    """Read the listing pages, then the articles they show that are new or changed."""
    run = Retrieval()
    items = _read_listing(source, http, rules, recall, run, progress)
    for item in items:
        if recall.listing_fingerprint(source.name, item.url) == fingerprint(item):
            continue
        progress(f"{source.name}: {item.url}")
        run.requests += 1
        try:
            fetched = fetch_whole(http, item.url)
        except SourceError as exc:
            run.problems.append(exc)
            run.failed.add(item.url)
            continue
        run.documents.append(
            Retrieved(
                kind=DocumentKind.ARTICLE,
                locator=item.url,
                body=fetched.content,
                key=item.url,
                url=fetched.final_url,
                content_type=fetched.content_type,
                listing_date=item.date,
            )
        )
    return run


def _read_listing(
    source: HtmlSourceConfig,
    http: HttpRetriever,
    rules: HtmlRules,
    recall: Recall,
    run: Retrieval,
    progress: Progress,
) -> list[ListingItem]:
    items: list[ListingItem] = []
    seen: set[str] = set()
    for number in range(1, source.pages + 1):
        url = page_url(source.url, number, rules.listing.page_param)
        progress(f"{source.name}: listing page {number}")
        try:
            fetched = fetch_whole(http, url, Validators(*recall.validators(url)))
        except SourceError as exc:
            run.problems.append(exc)
            break
        finally:
            run.requests += 1
        if fetched.not_modified:
            run.items += recall.listing_count(source.name, url)
            continue
        page = parse_listing(fetched.text, url=fetched.final_url, rules=rules)
        run.warnings.extend(fetched.warnings)
        if page.used_fallback and page.items:
            run.warnings.append(
                f"{url}: the site profile's listing selectors matched nothing; the generic "
                "extractor was used (the profile needs attention)"
            )
        linked = [replace(i, url=fetch_url(i.url, rules)) for i in page.items]
        fresh = [i for i in linked if i.url not in seen]
        seen.update(i.url for i in fresh)
        items.extend(fresh)
        run.pages.append(
            ListingPage(
                url=url,
                etag=fetched.validators.etag,
                last_modified=fetched.validators.last_modified,
                items={i.url: fingerprint(i) for i in fresh},
            )
        )
        run.items += len(fresh)
        # Past the last page the site shows nothing new (or the last page again): the end
        # of a listing is not a problem.
        if not fresh:
            break
    return items
