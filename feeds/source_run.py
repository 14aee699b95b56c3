"""One source's turn in a refresh: retrieve, parse, ingest, in one transaction.

The source's documents are parsed (in worker processes when there are many) and each
release is stored as soon as its document is parsed.  The figures of the run are then
judged against the source's history; a drift (its yield suddenly dropped: the site's
markup changed) or a failure rolls the whole source back, so its last good state stays
published.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from feeds.config import Config, DumpSourceConfig, FeedSourceConfig, HtmlSourceConfig
from feeds.errors import FeedsError, FetchError, SourceError, bug_reason
from feeds.health import RunFigures, assess, usual_items
from feeds.ingest import Ingestor, Origin, ReadyRelease, ready
from feeds.model import (
    DocumentKind,
    FileStamp,
    FolderRanges,
    HealthStatus,
    ParsedDocument,
    Retrieved,
    SourceHealth,
)
from feeds.store import Store

if TYPE_CHECKING:
    from feeds.parsing.batch import Failure
    from feeds.profile import Profile
    from feeds.sources.base import Retrieval

#: A parsed document and its releases, ready to ingest.
_Parsed = tuple[ParsedDocument, tuple[ReadyRelease, ...]]

Progress = Callable[[str], None]


@dataclass
class SourceReport:
    name: str
    new: int = 0
    changed: int = 0
    seen: int = 0
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    health: SourceHealth | None = None
    requests: int = 0


class _Recall:
    """What sources may know of earlier runs, read from the state."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def file_dates(
        self, source: str, start: str | None = None, end: str | None = None
    ) -> dict[str, tuple[int, int]]:
        return self.store.memory.file_dates(source, start, end)

    def folder_ranges(self, source: str) -> FolderRanges | None:
        return self.store.memory.folder_ranges(source)

    def file_stamp(self, source: str, path: str) -> FileStamp | None:
        return self.store.memory.file_stamp(source, path)

    def validators(self, url: str) -> tuple[str | None, str | None]:
        return self.store.memory.validators(url)

    def listing_fingerprint(self, source: str, url: str) -> str | None:
        return self.store.memory.listing_fingerprint(source, url)

    def listing_count(self, source: str, page: str) -> int:
        return self.store.memory.listing_count(source, page)

    def usual_items(self, source: str) -> int:
        return usual_items(self.store.health.history(source))

    def runs_since_full_walk(self, source: str) -> int | None:
        return self.store.memory.runs_since_full_walk(source)


SourceConfig = DumpSourceConfig | HtmlSourceConfig | FeedSourceConfig


@dataclass
class _Stored:
    """What parsing and storing one source's documents came to."""

    figures: RunFigures
    failed: dict[str, SourceError] = field(default_factory=dict)
    #: Parts of documents (feed items) that could not be read.
    parts: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seen: int = 0
    new: int = 0
    changed: int = 0


class SourceRun:
    """Retrieve, parse and ingest one source, in one transaction."""

    def __init__(
        self,
        config: Config,
        profile: Callable[[], Profile],
        store: Store,
        ingestor: Ingestor,
        source: SourceConfig,
        moment: dt.datetime,
        progress: Progress,
        *,
        full: bool = False,
    ) -> None:
        self.config = config
        #: The site profile, loaded the first time a document needs it.
        self._profile = profile
        self.store = store
        self.ingestor = ingestor
        self.source = source
        self.moment = moment
        self.progress = progress
        self.report = SourceReport(source.name)
        #: The file, URL or path being worked on, for the message of an unexpected error.
        self.at = _places(source)
        #: Crawls read every listing page.
        self.full = full
        #: Documents parsed while the source was still being read (crawls).
        self.early: list[tuple[Retrieved, _Parsed | Failure]] = []

    @property
    def profile(self) -> Profile:
        return self._profile()

    def run(self) -> SourceReport:
        report = self.report
        try:
            with self.store.transaction():
                retrieval = self._retrieve()
                report.requests = retrieval.requests
                report.warnings.extend(retrieval.warnings)
                # Releases are stored as they are parsed; a drift found at the end rolls
                # the whole source back, so its last good state stays.
                stored = self._parse_and_ingest(retrieval)
                problems = [*retrieval.problems, *stored.failed.values()]
                report.problems.extend(str(p) for p in problems)
                report.problems.extend(stored.parts)
                figures = replace(
                    stored.figures,
                    problems=len(problems) + len(stored.parts),
                    download_failed=any(isinstance(p, FetchError) for p in problems),
                )
                health = assess(figures, self.store.health.history(self.source.name))
                report.health = health
                if health.status is HealthStatus.DRIFT:
                    raise _Drift(health)
                report.warnings.extend(stored.warnings)
                report.seen, report.new, report.changed = stored.seen, stored.new, stored.changed
                self._remember(retrieval, retrieval.failed | set(stored.failed))
                self.store.health.record(self.source.name, health)
        except _Drift as drift:
            self.ingestor.rolled_back()
            with self.store.transaction():
                self.store.health.record(self.source.name, drift.health)
        except SourceError as exc:
            self._failed(str(exc), exc.reason)
        except FeedsError as exc:
            self._failed(f"{self.source.name}: {exc}", str(exc))
        except Exception as exc:  # a bug in one source must not stop the others
            reason = bug_reason("unexpected error", exc)
            self._failed(f"{self.source.name}: {self.at}: {reason}", f"{self.at}: {reason}")
        return report

    def _failed(self, line: str, message: str) -> None:
        self.ingestor.rolled_back()
        self.report.problems.append(line)
        self.report.health = SourceHealth(HealthStatus.FAILED, 0, message=message)
        with self.store.transaction():
            self.store.health.record(self.source.name, self.report.health)

    # --- the three steps ---------------------------------------------------------------

    def _retrieve(self) -> Retrieval:
        source, recall = self.source, _Recall(self.store)
        if isinstance(source, DumpSourceConfig):
            from feeds.sources.files import read_dumps

            return read_dumps(source, self.config, recall)
        from feeds.sources.base import http_settings
        from feeds.sources.http import HttpRetriever

        if isinstance(source, HtmlSourceConfig):
            from feeds.sources.crawl import crawl

            with HttpRetriever(http_settings(self.config)) as http:
                return crawl(
                    source,
                    http,
                    lambda: self.profile.html,
                    recall,
                    self.progress,
                    workers=self.config.http.per_host_concurrency,
                    full=self.full,
                    # Each article is parsed as it arrives, while later ones download.
                    consume=self._parse_early,
                )
        from feeds.sources.feed import read_feed

        if source.path is not None:
            return read_feed(source, self.config, None, recall)
        with HttpRetriever(http_settings(self.config)) as http:
            return read_feed(source, self.config, http, recall)

    def _parse_and_ingest(self, retrieval: Retrieval) -> _Stored:
        stored = _Stored(figures=RunFigures(items=retrieval.items))
        known, stored.failed = self._teaser_evidence(retrieval)
        # Dumps are decoded again where they are parsed: holding every decoded text of a
        # large batch until then would cost more memory than decoding twice costs time.
        documents = [d for d in retrieval.documents if d.key not in stored.failed]
        retrieval.documents.clear()
        if not documents and not self.early:
            return stored
        # The parsers load only when there is something to parse.
        from feeds.parsing.batch import Failure, parse_documents

        self.progress(f"{self.source.name}: parsing {len(documents)} document(s)")
        results = parse_documents(
            documents,
            self.profile,
            known=known,
            language=self.source.language,
            then=self._ready,
        )
        for document, result in itertools.chain(self.early, zip(documents, results, strict=True)):
            self.at = document.locator
            if isinstance(result, Failure):
                stored.failed[document.key] = result.error()
                continue
            parsed, releases = result
            stored.figures = _count(stored.figures, document, parsed)
            # Parts of documents (feed items) that could not be read.
            stored.parts += [f"{self.source.name}: {p}" for p in parsed.problems]
            self._ingest(document.kind, parsed, releases, stored)
        self.early.clear()
        return stored

    def _ready(self, parsed: ParsedDocument) -> tuple[ReadyRelease, ...]:
        """The releases of a parsed document, each with the pure part of its ingest done
        (in the worker that parsed it, for a large batch)."""
        language = self.source.language or self.config.site.language
        return tuple(
            ready(release if release.language is not None else replace(release, language=language))
            for release in parsed.releases
        )

    def _parse_early(self, document: Retrieved) -> None:
        """Parse one document while the source is still being read."""
        from feeds.parsing.batch import parse_documents

        self.progress(f"{self.source.name}: {document.locator}")
        (result,) = parse_documents(
            [document],
            self.profile,
            known=frozenset(),
            language=self.source.language,
            then=self._ready,
        )
        self.early.append((document, result))

    def _teaser_evidence(
        self, retrieval: Retrieval
    ) -> tuple[frozenset[str], dict[str, SourceError]]:
        """For dumps: the paragraph keys known to be teasers (shown by two or more dumps
        of the source, or the lead of a stored release), and the dumps that failed."""
        failed: dict[str, SourceError] = {}
        dumps = [d for d in retrieval.documents if d.kind is DocumentKind.DUMP]
        if not dumps:
            return frozenset(), failed
        from feeds.parsing.batch import Failure, prepare_dumps

        memory = self.store.memory
        keys: set[str] = set()
        for document, prepared in zip(dumps, prepare_dumps(dumps, self.profile), strict=True):
            self.at = document.locator
            if isinstance(prepared, Failure):
                failed[document.key] = prepared.error()
                continue
            self.report.warnings.extend(prepared.warnings)
            memory.remember_paragraphs(self.source.name, document.key, prepared.candidates)
            keys.update(prepared.lines)
        counts = memory.paragraph_counts(self.source.name, keys)
        known = {k for k, n in counts.items() if n >= 2}
        known |= self.store.releases.known_texts(keys)
        return frozenset(known), failed

    def _ingest(
        self,
        kind: DocumentKind,
        result: ParsedDocument,
        releases: tuple[ReadyRelease, ...],
        stored: _Stored,
    ) -> None:
        source = self.source
        self.at = result.locator
        prefix = "" if kind is DocumentKind.FEED else f"{result.locator}: "
        stored.warnings.extend(prefix + w for w in result.warnings)
        origin = Origin(
            source=source.name,
            source_type=source.type,
            locator=result.locator,
            section=source.section,
            observed=result.observed,
        )
        for release in releases:
            outcome = self.ingestor.ingest(release, origin, self.moment)
            stored.seen += 1
            stored.new += outcome.created
            stored.changed += outcome.changed and not outcome.created

    def _remember(self, retrieval: Retrieval, failed: set[str]) -> None:
        """What the source learnt, now that its documents are stored.  A file or page that
        failed is not remembered, so it is read again next time."""
        memory, name = self.store.memory, self.source.name
        for key, stamp in retrieval.stamps.items():
            if key not in failed:
                memory.remember_file(name, key, stamp)
        for key in failed:
            memory.remember_paragraphs(name, key, ())
        if isinstance(self.source, DumpSourceConfig):
            memory.forget_files(name, retrieval.gone)
            # A file that failed is read again next time: its range is not as stored.
            ranges = retrieval.folder_ranges
            memory.save_folder_ranges(name, ranges and ranges.without(failed))
        for url, (etag, last_modified) in retrieval.validators.items():
            if url not in failed:
                memory.save_validators(url, etag, last_modified)
        # Listing pages are remembered only when every article on them was read.
        for page in retrieval.pages:
            for url, fingerprint in page.items.items():
                if url not in failed:
                    memory.save_listing_item(name, url, fingerprint, page.url)
            if not failed.intersection(page.items):
                memory.save_validators(page.url, page.etag, page.last_modified)
        if retrieval.full_walk is not None:
            memory.record_walk(name, full=retrieval.full_walk, when=self.moment.isoformat())


def _places(source: SourceConfig) -> str:
    """Where a source reads, as a message names it."""
    if isinstance(source, DumpSourceConfig):
        return ", ".join(source.paths)
    return source.url or getattr(source, "path", None) or source.name


class _Drift(Exception):
    def __init__(self, health: SourceHealth) -> None:
        super().__init__("drift")
        self.health = health


def _count(figures: RunFigures, document: Retrieved, result: ParsedDocument) -> RunFigures:
    """Add one parsed document to the figures drift detection judges."""
    if document.kind is DocumentKind.FEED:
        items = result.others
        return replace(
            figures,
            # Items that could not be read are still items the feed shows.
            items=len(items) + len(result.problems),
            parsed=figures.parsed + len(items),
            with_date=figures.with_date
            + sum(r.date is not None or r.published_at is not None for r in items),
            with_body=figures.with_body + sum(bool(r.paragraphs or r.body_html) for r in items),
        )
    article = result.article
    return replace(
        figures,
        parsed=figures.parsed + 1,
        with_date=figures.with_date + (article is not None and article.date is not None),
        with_body=figures.with_body + (article is not None and bool(article.paragraphs)),
    )
