"""``type: html`` sources: a section listing of the live site and its article pages.

Listing pages are read newest first, with conditional GET.  An article page is fetched
only when the listing shows an article that was never read successfully, or shows it
with a different title or date.  Paging stops at the first page whose items are all
known and unchanged (an unchanged page, a 304, is such a page): the site lists newest
first, so nothing new lies beyond it.  One run in ``full_walk_every``, or any run asked
to, reads every page up to ``pages`` instead, which catches a silent edit further down.

Article pages are fetched by a small pool of threads (``http.per_host_concurrency``,
through the one retriever, which keeps every politeness rule), while this thread goes
on reading listing pages and hands finished articles on, in listing order.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from feeds.config import HtmlSourceConfig
from feeds.errors import FetchError, SourceError
from feeds.model import DocumentKind, Retrieved
from feeds.sources.base import ListingPage, Progress, Recall, Retrieval
from feeds.sources.http import Fetched, HttpRetriever, Validators

if TYPE_CHECKING:
    from feeds.parsing.html import ListingItem
    from feeds.profile.html import HtmlRules

#: Receives each article as soon as it (and every one listed before it) is fetched.
Consumer = Callable[[Retrieved], None]


def page_url(listing: str, number: int, rules: Callable[[], HtmlRules]) -> str:
    """Page 1 is the bare listing URL; page N adds ``?<param>=N``, the profile's paging
    parameter (the rules are asked for only then)."""
    if number == 1:
        return listing
    param = rules().listing.page_param
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


def full_walk_due(source: HtmlSourceConfig, recall: Recall) -> bool:
    """True when this run should read every listing page: never done, or done
    ``full_walk_every`` runs ago."""
    since = recall.runs_since_full_walk(source.name)
    return since is None or since + 1 >= source.full_walk_every


def crawl(
    source: HtmlSourceConfig,
    http: HttpRetriever,
    rules: Callable[[], HtmlRules],
    recall: Recall,
    progress: Progress,
    *,
    workers: int = 1,
    full: bool = False,
    consume: Consumer | None = None,
) -> Retrieval:
    """Read the listing pages, then the articles they show that are new or changed.

    ``full`` reads every listing page whatever the state says.  Articles go to
    ``consume`` when it is given, else into the retrieval's documents.  ``rules`` (the
    site profile's) are asked for when a page is to be parsed: a run whose first
    listing page is unchanged (a 304) needs neither them nor the parser.
    """
    run = Retrieval(full_walk=full or full_walk_due(source, recall))
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="crawl") as pool:
        articles = _Articles(http, pool, run, consume or run.documents.append)
        _Walk(source, http, rules, recall, run, progress, articles).pages()
        articles.finish()
    return run


@dataclass
class _Pending:
    item: ListingItem
    future: Future[Fetched]


class _Articles:
    """Article fetches in flight, handed on in the order they were asked for."""

    def __init__(
        self, http: HttpRetriever, pool: ThreadPoolExecutor, run: Retrieval, consume: Consumer
    ) -> None:
        self._http = http
        self._pool = pool
        self._run = run
        self._consume = consume
        self._pending: deque[_Pending] = deque()

    def fetch(self, item: ListingItem) -> None:
        self._run.requests += 1
        self._pending.append(_Pending(item, self._pool.submit(fetch_whole, self._http, item.url)))

    def hand_on(self) -> None:
        """Pass on the articles that are done, up to the first still in flight."""
        while self._pending and self._pending[0].future.done():
            self._settle(self._pending.popleft())

    def finish(self) -> None:
        while self._pending:
            self._settle(self._pending.popleft())

    def _settle(self, pending: _Pending) -> None:
        item = pending.item
        try:
            fetched = pending.future.result()
        except SourceError as exc:
            self._run.problems.append(exc)
            self._run.failed.add(item.url)
            return
        self._consume(
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


@dataclass
class _Walk:
    """The listing pages of one run, newest first."""

    source: HtmlSourceConfig
    http: HttpRetriever
    rules: Callable[[], HtmlRules]
    recall: Recall
    run: Retrieval
    progress: Progress
    articles: _Articles

    def pages(self) -> None:
        source, run = self.source, self.run
        seen: set[str] = set()
        #: Items this run found that no earlier run listed, and the most one page held.
        unknown = largest = 0
        stopped_early = False
        for number in range(1, source.pages + 1):
            url = page_url(source.url, number, self.rules)
            self.progress(f"{source.name}: listing page {number}")
            run.requests += 1
            try:
                fetched = fetch_whole(self.http, url, Validators(*self.recall.validators(url)))
            except SourceError as exc:
                run.problems.append(exc)
                run.full_walk = False
                break
            if fetched.not_modified:
                # Unchanged since every article on it was read.
                if not run.full_walk:
                    stopped_early = True
                    break
                run.items += self.recall.listing_count(source.name, url)
                continue
            fresh = self._read_page(url, fetched, seen)
            run.items += len(fresh)
            largest = max(largest, len(fresh))
            known = [self.recall.listing_fingerprint(source.name, i.url) for i in fresh]
            unknown += sum(k is None for k in known)
            for item, before in zip(fresh, known, strict=True):
                if before != fingerprint(item):
                    self.progress(f"{source.name}: {item.url}")
                    self.articles.fetch(item)
            self.articles.hand_on()
            # Past the last page the site shows nothing new (or the last page again):
            # the end of a listing is not a problem.
            if not fresh:
                break
            if not run.full_walk and all(
                k == fingerprint(i) for i, k in zip(fresh, known, strict=True)
            ):
                stopped_early = True
                break
        if stopped_early:
            # The pages not read show what they showed before, moved down by the new
            # items (and the configured pages hold no more than they can).
            estimate = self.recall.usual_items(source.name) + unknown
            if largest:
                estimate = min(estimate, source.pages * largest)
            run.items = max(run.items, estimate)

    def _read_page(self, url: str, fetched: Fetched, seen: set[str]) -> list[ListingItem]:
        """The page's items not met on an earlier page of this run; the page is added
        to those the run read."""
        from feeds.parsing.html import parse_listing
        from feeds.parsing.urls import fetch_url

        run, rules = self.run, self.rules()
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
        run.pages.append(
            ListingPage(
                url=url,
                etag=fetched.validators.etag,
                last_modified=fetched.validators.last_modified,
                items={i.url: fingerprint(i) for i in fresh},
            )
        )
        return fresh
