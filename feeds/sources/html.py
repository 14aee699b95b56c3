"""``type: html`` sources: a section listing of the live site and its article pages.

Listing pages are fetched with conditional GET; an article page is fetched only when
the listing shows an article that was never read successfully, or shows it with a
different title or date.  Listing dates date an article whose page shows none.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from feeds.config import Config, SourceConfig
from feeds.errors import FeedsError, FetchError, InputError, SourceError
from feeds.model import DateOrigin, ParsedDocument
from feeds.parsing.html import ListingItem, parse_article, parse_listing
from feeds.parsing.html_rules import HtmlRules
from feeds.sources.base import SourceContext, SourceRun
from feeds.sources.http import Fetched, HttpRetriever, HttpSettings, Validators, origin_of
from feeds.store import Store


def http_settings(config: Config, *urls: str) -> HttpSettings:
    """Settings for the configuration's sources; ``urls`` adds more origins to allow."""
    http = config.http
    named = [source.url for source in config.sources if source.url] + list(urls)
    return HttpSettings(
        user_agent=http.user_agent,
        timeout=http.timeout,
        min_delay=http.min_delay,
        per_host_concurrency=http.per_host_concurrency,
        retries=http.retries,
        max_bytes=http.max_bytes,
        respect_robots=http.respect_robots,
        allow_private_addresses=http.allow_private_addresses,
        allowed_origins=frozenset(o for o in map(origin_of, named) if o is not None),
    )


def page_url(listing: str, number: int, param: str) -> str:
    """Page 1 is the bare listing URL; page N adds ``?<param>=N``."""
    if number == 1:
        return listing
    parts = urlsplit(listing)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != param]
    query.append((param, str(number)))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def article_url(url: str, rules: HtmlRules) -> str:
    """The URL to fetch for a listing link: without the parameters that select a
    partial copy (``bxajaxid`` answers an AJAX fragment, not the article)."""
    parts = urlsplit(url)
    dropped = set(rules.strip_params)
    kept = [p for p in parts.query.split("&") if p and p.partition("=")[0] not in dropped]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "&".join(kept), ""))


def fetch_whole(http: HttpRetriever, url: str, validators: Validators | None = None) -> Fetched:
    """Fetch ``url``; a page cut at the size limit is an error, never half an article."""
    fetched = http.fetch(url, validators=validators)
    if fetched.truncated:
        raise FetchError(url, "page larger than the size limit; cut off")
    return fetched


def conditional_fetch(http: HttpRetriever, store: Store, url: str) -> Fetched:
    """Fetch with the validators remembered for ``url`` (the caller saves the new ones,
    ``fetched.validators``, once what the page led to has been stored)."""
    return fetch_whole(http, url, Validators(*store.validators(url)))


def _fingerprint(item: ListingItem) -> str:
    return f"{' '.join(item.title.split())}|{item.date.isoformat() if item.date else ''}"


@dataclass
class _Listing:
    items: list[ListingItem]
    #: Listing pages whose validators may be saved once all their articles are read.
    pages: dict[str, tuple[Validators, list[str]]]


class HtmlSource:
    def run(self, source: SourceConfig, context: SourceContext) -> SourceRun:
        assert source.url is not None
        run = SourceRun()
        rules = context.profile.html
        with HttpRetriever(http_settings(context.config)) as http:
            listing = self._read_listing(source, context, http, rules, run)
            failed: set[str] = set()
            for item in listing.items:
                if context.store.listing_fingerprint(source.name, item.url) == _fingerprint(item):
                    continue
                context.progress(f"{source.name}: {item.url}")
                try:
                    document = self._read_article(http, item, rules, run)
                except SourceError as exc:
                    run.problems.append(exc)
                    failed.add(item.url)
                    continue
                except Exception as exc:  # a parser bug costs one page, not the source
                    run.problems.append(
                        InputError(item.url, f"cannot be parsed ({type(exc).__name__}: {exc})")
                    )
                    failed.add(item.url)
                    continue
                run.documents.append(document)
            # Remember the listing pages (validators, items) only when every article on
            # them was read: a failed article is retried on the next run.
            for page, (validators, urls) in listing.pages.items():
                for item in listing.items:
                    if item.url in urls and item.url not in failed:
                        context.store.save_listing_item(
                            source.name, item.url, _fingerprint(item), page
                        )
                if not failed.intersection(urls):
                    context.store.save_validators(page, validators.etag, validators.last_modified)
        return run

    def _read_listing(
        self,
        source: SourceConfig,
        context: SourceContext,
        http: HttpRetriever,
        rules: HtmlRules,
        run: SourceRun,
    ) -> _Listing:
        assert source.url is not None
        listing = _Listing(items=[], pages={})
        seen: set[str] = set()
        for number in range(1, source.pages + 1):
            url = page_url(source.url, number, rules.page_param)
            context.progress(f"{source.name}: listing page {number}")
            try:
                fetched = conditional_fetch(http, context.store, url)
            except SourceError as exc:
                run.problems.append(exc)
                break
            finally:
                run.requests += 1
            if fetched.not_modified:
                run.items += context.store.listing_count(source.name, url)
                continue
            page = parse_listing(fetched.text, url=fetched.final_url, rules=rules)
            run.warnings.extend(fetched.warnings)
            if page.used_fallback and page.items:
                run.warnings.append(
                    f"{url}: the site profile's listing selectors matched nothing; the generic "
                    "extractor was used (the profile needs attention)"
                )
            linked = [replace(i, url=article_url(i.url, rules)) for i in page.items]
            fresh = [i for i in linked if i.url not in seen]
            seen.update(i.url for i in fresh)
            listing.items.extend(fresh)
            listing.pages[url] = (fetched.validators, [i.url for i in fresh])
            run.items += len(fresh)
            # Past the last page the site shows nothing new (or the last page again):
            # the end of a listing is not a problem.
            if not fresh:
                break
        return listing

    def _read_article(
        self,
        http: HttpRetriever,
        item: ListingItem,
        rules: HtmlRules,
        run: SourceRun,
    ) -> ParsedDocument:
        run.requests += 1
        fetched = fetch_whole(http, item.url)
        document = parse_article(fetched.text, url=fetched.final_url, rules=rules)
        run.warnings.extend(fetched.warnings)
        run.parsed += 1
        article = document.article
        if article is None:
            raise InputError(item.url, "no article found")
        if article.date is None and item.date is not None:
            article = replace(article, date=item.date, date_origin=DateOrigin.LISTING)
        run.with_date += article.date is not None
        run.with_body += bool(article.paragraphs)
        run.warnings.extend(f"{item.url}: {w}" for w in document.warnings)
        return replace(document, article=article)


def describe_page(config: Config, url: str) -> str:
    """How the profile reads one page: for profile authors (``feeds fetch URL``)."""
    from feeds.profile import profile_for

    profile = profile_for(config)
    with HttpRetriever(http_settings(config, url)) as http:
        fetched = http.fetch(url)
    lines = [f"url:        {fetched.final_url}", f"charset:    {fetched.encoding}"]
    try:
        document = parse_article(fetched.text, url=fetched.final_url, rules=profile.html)
    except FeedsError as exc:
        lines.append(f"article:    none ({exc})")
    else:
        article = document.article
        if article is not None:
            lines += [
                f"title:      {article.title}",
                f"date:       {article.date or '-'}",
                f"canonical:  {article.url}",
                f"section:    {article.section or '-'}",
                f"language:   {article.language or '-'}",
                f"lead:       {article.lead[:200]}",
                f"paragraphs: {len(article.paragraphs)}",
                f"images:     {', '.join(a.url or a.name for a in article.images) or '-'}",
                f"attachments: {', '.join(a.url or a.name for a in article.attachments) or '-'}",
            ]
        lines += [f"warning:    {w}" for w in document.warnings]
    page = parse_listing(fetched.text, url=fetched.final_url, rules=profile.html)
    lines.append(
        f"listing:    {len(page.items)} items{' (generic extractor)' if page.used_fallback else ''}"
    )
    for item in page.items[:20]:
        lines.append(f"  {item.date or '----------'}  {item.title}  <{item.url}>")
    return "\n".join(lines) + "\n"
