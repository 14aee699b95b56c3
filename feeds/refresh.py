"""One refresh: every source retrieved, parsed and ingested, then the output published.

Each source runs in its own transaction: a source that fails, drifts or crashes the
process leaves the state as it was before it started, and the other sources go on.
This module only orchestrates; the work lives in sources, parsing, ingest, store and
publish.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from feeds.config import Config, DumpSourceConfig, FeedSourceConfig, HtmlSourceConfig
from feeds.errors import (
    FeedsError,
    FetchError,
    OutputError,
    SourceError,
    StateError,
    bug_reason,
)
from feeds.health import RunFigures, assess, usual_items
from feeds.ingest import Ingestor, Origin
from feeds.lock import exclusive
from feeds.model import (
    DocumentKind,
    FileStamp,
    HealthStatus,
    ParsedDocument,
    Retrieved,
    SourceHealth,
)
from feeds.profile import Profile, profile_for
from feeds.publish.build import PublishReport, PublishSettings, publish
from feeds.sections import SectionRules
from feeds.store import Store

if TYPE_CHECKING:
    from feeds.parsing.batch import Failure
    from feeds.sources.base import Retrieval

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


@dataclass
class RefreshReport:
    sources: list[SourceReport] = field(default_factory=list)
    publish: PublishReport = field(default_factory=PublishReport)
    notices: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        lines = [p for s in self.sources for p in s.problems]
        lines += [
            f"{s.name}: drift: {s.health.message}"
            for s in self.sources
            if s.health is not None and s.health.status is HealthStatus.DRIFT
        ]
        lines += [str(f) for f in self.publish.failures]
        return lines

    @property
    def warnings(self) -> list[str]:
        return [w for s in self.sources for w in s.warnings] + self.notices

    @property
    def exit_code(self) -> int:
        return 1 if self.problems else 0


@contextmanager
def open_state(config: Config, *, must_exist: bool = False) -> Iterator[Store]:
    """The state of a configuration, open for the duration of the block."""
    if must_exist and not config.state.exists():
        raise StateError(f"{config.state}: no state yet: run `feeds refresh` first")
    store = Store.open(config.state, timezone=config.site.timezone)
    try:
        yield store
    finally:
        store.close()


@contextmanager
def locked_state(config: Config, *, must_exist: bool = False) -> Iterator[Store]:
    """The state, open under the lock that keeps writers from overlapping."""
    with (
        exclusive(config.lock_path, config.lock_timeout),
        open_state(config, must_exist=must_exist) as store,
    ):
        yield store


class _Recall:
    """What sources may know of earlier runs, read from the state."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def file_stamps(self, source: str) -> dict[str, FileStamp]:
        return self.store.memory.file_stamps(source)

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


def refresh(
    config: Config,
    *,
    only: str | None = None,
    full: bool = False,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    progress: Progress = lambda _line: None,
) -> RefreshReport:
    """Run every source (or one), then publish.  Raises only for config/lock/state errors.

    ``full`` makes html sources read every listing page, not only the new ones."""
    profile = profile_for(config)
    sources = [s for s in config.sources if only is None or s.name == only]
    with locked_state(config) as store:
        report = RefreshReport()
        ingestor = Ingestor(store.releases, config.site, SectionRules(config.sections))
        with store.transaction():
            ingestor.refresh_keys()
        for source in sources:
            progress(f"{source.name}: reading ({source.type})")
            moment = now().replace(microsecond=0)
            runner = _SourceRun(
                config, profile, store, ingestor, source, moment, progress, full=full
            )
            report.sources.append(runner.run())
        try:
            report.publish = publish_state(config, store)
        except OutputError as exc:
            # The sources' work is stored: the next run publishes it.
            report.publish = PublishReport(failures=[exc])
        report.notices.extend(_ping_hub(config, report.publish.written))
        return report


SourceConfig = DumpSourceConfig | HtmlSourceConfig | FeedSourceConfig


@dataclass
class _Parsed:
    document: Retrieved
    parsed: ParsedDocument


class _SourceRun:
    """Retrieve, parse and ingest one source, in one transaction."""

    def __init__(
        self,
        config: Config,
        profile: Profile,
        store: Store,
        ingestor: Ingestor,
        source: SourceConfig,
        moment: dt.datetime,
        progress: Progress,
        *,
        full: bool = False,
    ) -> None:
        self.config = config
        self.profile = profile
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
        self.early: list[tuple[Retrieved, ParsedDocument | Failure]] = []

    def run(self) -> SourceReport:
        report = self.report
        try:
            with self.store.transaction():
                retrieval = self._retrieve()
                report.requests = retrieval.requests
                report.warnings.extend(retrieval.warnings)
                parsed, failed, figures = self._parse(retrieval)
                problems = [*retrieval.problems, *failed.values()]
                report.problems.extend(str(p) for p in problems)
                # Parts of documents (feed items) that could not be read.
                parts = [
                    f"{self.source.name}: {p}" for item in parsed for p in item.parsed.problems
                ]
                report.problems.extend(parts)
                figures = replace(
                    figures,
                    problems=len(problems) + len(parts),
                    download_failed=any(isinstance(p, FetchError) for p in problems),
                )
                health = assess(figures, self.store.health.history(self.source.name))
                report.health = health
                if health.status is HealthStatus.DRIFT:
                    # Undo everything the source did this run: its last good state stays.
                    raise _Drift(health)
                self._ingest(parsed)
                self._remember(retrieval, retrieval.failed | set(failed))
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
                    self.profile.html,
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

    def _parse(
        self, retrieval: Retrieval
    ) -> tuple[list[_Parsed], dict[str, SourceError], RunFigures]:
        texts, known, failed = self._teaser_evidence(retrieval)
        documents = [d for d in retrieval.documents if d.key not in failed]
        parsed: list[_Parsed] = []
        figures = RunFigures(items=retrieval.items)
        if not documents and not self.early:
            return parsed, failed, figures
        # The parsers load only when there is something to parse.
        from feeds.parsing.batch import Failure, parse_documents

        self.progress(f"{self.source.name}: parsing {len(documents)} document(s)")
        results = parse_documents(
            documents, self.profile, known=known, texts=texts, language=self.source.language
        )
        figures = RunFigures(items=retrieval.items)
        for document, result in [*self.early, *zip(documents, results, strict=True)]:
            self.at = document.locator
            if isinstance(result, Failure):
                failed[document.key] = result.error()
                continue
            parsed.append(_Parsed(document, result))
            figures = _count(figures, document, result)
        return parsed, failed, figures

    def _parse_early(self, document: Retrieved) -> None:
        """Parse one document while the source is still being read."""
        from feeds.parsing.batch import parse_documents

        self.progress(f"{self.source.name}: {document.locator}")
        (result,) = parse_documents(
            [document], self.profile, known=frozenset(), texts={}, language=self.source.language
        )
        self.early.append((document, result))

    def _teaser_evidence(
        self, retrieval: Retrieval
    ) -> tuple[dict[str, str], frozenset[str], dict[str, SourceError]]:
        """For dumps: decoded texts, and the paragraph keys known to be teasers (shown by
        two or more dumps of the source, or the lead of a stored release)."""
        texts: dict[str, str] = {}
        failed: dict[str, SourceError] = {}
        dumps = [d for d in retrieval.documents if d.kind is DocumentKind.DUMP]
        if not dumps:
            return texts, frozenset(), failed
        from feeds.parsing.batch import Failure, prepare_dumps

        memory = self.store.memory
        keys: set[str] = set()
        for document, prepared in zip(dumps, prepare_dumps(dumps, self.profile), strict=True):
            self.at = document.locator
            if isinstance(prepared, Failure):
                failed[document.key] = prepared.error()
                continue
            texts[document.key] = prepared.text
            self.report.warnings.extend(prepared.warnings)
            memory.remember_paragraphs(self.source.name, document.key, prepared.candidates)
            keys.update(prepared.lines)
        counts = memory.paragraph_counts(self.source.name, keys)
        known = {k for k, n in counts.items() if n >= 2}
        known |= self.store.releases.known_texts(keys)
        return texts, frozenset(known), failed

    def _ingest(self, parsed: Sequence[_Parsed]) -> None:
        source = self.source
        language = source.language or self.config.site.language
        for item in parsed:
            document, result = item.document, item.parsed
            self.at = result.locator
            prefix = "" if document.kind is DocumentKind.FEED else f"{result.locator}: "
            self.report.warnings.extend(prefix + w for w in result.warnings)
            origin = Origin(
                source=source.name,
                source_type=source.type,
                locator=result.locator,
                section=source.section,
                observed=result.observed,
            )
            for release in result.releases:
                if release.language is None:
                    release = replace(release, language=language)
                outcome = self.ingestor.ingest(release, origin, self.moment)
                self.report.seen += 1
                self.report.new += outcome.created
                self.report.changed += outcome.changed and not outcome.created

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
            memory.forget_files(name, retrieval.present)
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


def publish_state(config: Config, store: Store, *, full: bool = False) -> PublishReport:
    """Publish what changed since the last publish (everything with ``full``)."""
    settings = PublishSettings(
        site=config.site,
        sections=config.sections,
        feed_size=config.feed_size,
        output=config.output,
        hub=config.websub_hub,
    )
    try:
        return publish(store, settings, status_document(config, store), full=full)
    except OSError as exc:
        # Writes raise OutputError themselves; this is cleaning up or making folders.
        from feeds.publish.writer import output_error

        raise output_error(exc, config.output) from None


def status_document(config: Config, store: Store) -> dict[str, Any]:
    """Per-source health for ``status.json``: health only, no run times, so an unchanged
    refresh leaves the file alone."""
    sources: dict[str, Any] = {}
    for source in config.sources:
        history = store.health.history(source.name, limit=1)
        latest = history[0] if history else SourceHealth(HealthStatus.UNKNOWN, 0)
        sources[source.name] = {
            "status": latest.status.value,
            "items": latest.items,
            "message": latest.message,
            "type": source.type,
        }
    healthy = (HealthStatus.OK.value, HealthStatus.UNKNOWN.value)
    overall = "ok" if all(s["status"] in healthy for s in sources.values()) else "attention"
    return {"status": overall, "sources": sources}


def _ping_hub(config: Config, written: Sequence[str]) -> list[str]:
    """Tell the WebSub hub which feeds changed; a failed ping is reported, never fatal."""
    hub = config.websub_hub
    changed = [p for p in written if p.endswith(("/atom.xml", "/rss.xml", "/feed.json"))]
    if not hub or not changed:
        return []
    from feeds.sources.http import HttpRetriever, origin_of

    notices: list[str] = []
    # The hub is the one origin a ping may reach.
    hub_origin = frozenset(o for o in [origin_of(hub)] if o is not None)
    settings = config.http.model_copy(update={"allowed_origins": hub_origin})
    with HttpRetriever(settings) as http:
        for path in changed:
            topic = config.site.public_url + path
            try:
                status = http.post(hub, {"hub.mode": "publish", "hub.url": topic})
            except FetchError as exc:
                notices.append(f"{hub}: WebSub ping for {topic} failed: {exc.reason}")
                continue
            if status >= 300:
                notices.append(f"{hub}: WebSub ping for {topic} answered HTTP {status}")
    return notices
