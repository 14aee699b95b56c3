"""One refresh: read every source, update state, publish.

Each source runs in its own transaction: a source that fails, drifts or crashes the
process leaves the state as it was before it started, and the other sources go on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from feeds.config import Config, SourceConfig
from feeds.errors import FeedsError, SourceError
from feeds.health import SourceHealth, assess
from feeds.lock import exclusive
from feeds.model import ParsedDocument, Release
from feeds.profile import Profile, profile_for
from feeds.publish.build import PublishInput, PublishReport, publish
from feeds.sections import SectionRules, feed_ids
from feeds.sources.base import Source, SourceContext, SourceRun
from feeds.store import Store


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
            if s.health is not None and s.health.status == "drift"
        ]
        lines += [str(f) for f in self.publish.failures]
        return lines

    @property
    def warnings(self) -> list[str]:
        return [w for s in self.sources for w in s.warnings] + self.notices

    @property
    def exit_code(self) -> int:
        return 1 if self.problems else 0


def source_runner(kind: str) -> Source:
    # Imported here so a dump-only setup never loads the HTTP stack.
    if kind == "dump":
        from feeds.sources.dump import DumpSource

        return DumpSource()
    if kind == "html":
        from feeds.sources.html import HtmlSource

        return HtmlSource()
    from feeds.sources.feed import FeedSource

    return FeedSource()


def open_store(config: Config) -> Store:
    return Store.open(config.state, config.site)


def refresh(
    config: Config,
    *,
    only: str | None = None,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    progress: Callable[[str], None] = lambda _line: None,
) -> RefreshReport:
    """Run every source (or one), then publish.  Raises only for config/lock/state errors."""
    profile = profile_for(config)
    sources = [s for s in config.sources if only is None or s.name == only]
    with exclusive(config.lock_path, config.lock_timeout):
        store = open_store(config)
        try:
            report = RefreshReport()
            rules = SectionRules(config.sections)
            for source in sources:
                progress(f"{source.name}: reading ({source.type})")
                report.sources.append(
                    _run_source(config, profile, store, rules, source, now(), progress)
                )
            report.publish = publish_state(config, store)
            report.notices.extend(_ping_hub(config, report.publish.written))
            return report
        finally:
            store.close()


def _run_source(
    config: Config,
    profile: Profile,
    store: Store,
    rules: SectionRules,
    source: SourceConfig,
    moment: dt.datetime,
    progress: Callable[[str], None],
) -> SourceReport:
    report = SourceReport(source.name)
    context = SourceContext(config, profile, store, moment, progress)
    try:
        with store.transaction():
            run = source_runner(source.type).run(source, context)
            health = assess(run, store.health_history(source.name))
            report.health = health
            report.requests = run.requests
            report.problems.extend(str(p) for p in run.problems)
            report.warnings.extend(run.warnings)
            if health.status == "drift":
                # Undo everything the source did this run: its last good state stays.
                raise _Drift(_health_record(run, health))
            _ingest(store, rules, source, config, run.documents, moment, report)
            store.record_health(source.name, _health_record(run, health))
    except _Drift as drift:
        with store.transaction():
            store.record_health(source.name, drift.record)
    except SourceError as exc:
        report.problems.append(str(exc))
        report.health = SourceHealth("failed", 0, None, None, exc.reason)
        _record_failure(store, source.name, report.health)
    except FeedsError as exc:
        report.problems.append(f"{source.name}: {exc}")
        report.health = SourceHealth("failed", 0, None, None, str(exc))
        _record_failure(store, source.name, report.health)
    except Exception as exc:  # a bug in one source must not stop the others
        report.problems.append(f"{source.name}: internal error: {type(exc).__name__}: {exc}")
        report.health = SourceHealth("failed", 0, None, None, f"internal error: {exc}")
        _record_failure(store, source.name, report.health)
    return report


class _Drift(Exception):
    def __init__(self, record: dict[str, Any]) -> None:
        super().__init__("drift")
        self.record = record


def _record_failure(store: Store, name: str, health: SourceHealth) -> None:
    with store.transaction():
        store.record_health(name, health.as_dict())


def _health_record(run: SourceRun, health: SourceHealth) -> dict[str, Any]:
    record = health.as_dict()
    # Shares are only meaningful when something was parsed; an incremental run that
    # read nothing new must not look like a run whose pages lost their dates.
    if not run.parsed:
        record["date_share"] = record["body_share"] = None
    return record


def _ingest(
    store: Store,
    rules: SectionRules,
    source: SourceConfig,
    config: Config,
    documents: Sequence[ParsedDocument],
    moment: dt.datetime,
    report: SourceReport,
) -> None:
    language = source.language or config.site.language
    for document in documents:
        releases: list[Release] = []
        if document.article is not None:
            releases.append(document.article)
        releases.extend(document.others)
        for release in releases:
            if release.language is None:
                release = replace(release, language=language)
            result = store.ingest(
                release,
                source=source.name,
                source_type=source.type,
                locator=document.locator,
                source_section=source.section,
                rules=rules,
                now=moment,
                observed=document.observed,
            )
            report.seen += 1
            report.new += result.created
            report.changed += result.changed and not result.created


def publish_state(config: Config, store: Store) -> PublishReport:
    """Assign archive pages and (re)write every output file whose bytes change."""
    with store.transaction():
        store.assign_archives(config.feed_size)
    feeds = feed_ids(config.sections)
    data = PublishInput(
        site=config.site,
        sections=config.sections,
        entries=store.entries(),
        archives={feed: store.archive_seqs(feed) for feed in feeds},
        feed_size=config.feed_size,
        hub=config.websub_hub,
        status=status_document(config, store),
    )
    return publish(data, config.output)


def status_document(config: Config, store: Store) -> dict[str, Any]:
    """Per-source health for ``status.json``: health only, no run times, so an
    unchanged refresh leaves the file alone."""
    sources: dict[str, Any] = {}
    for source in config.sources:
        history = store.health_history(source.name, limit=1)
        if history:
            latest = history[0]
            sources[source.name] = {
                "status": latest["status"],
                "items": latest["items"],
                "message": latest.get("message", ""),
                "type": source.type,
            }
        else:
            sources[source.name] = {
                "status": "unknown",
                "items": 0,
                "message": "",
                "type": source.type,
            }
    overall = (
        "ok" if all(s["status"] in ("ok", "unknown") for s in sources.values()) else "attention"
    )
    return {"status": overall, "sources": sources}


def _ping_hub(config: Config, written: Sequence[str]) -> list[str]:
    """Tell the WebSub hub which feeds changed; a failed ping is reported, never fatal."""
    hub = config.websub_hub
    changed = [p for p in written if p.endswith(("/atom.xml", "/rss.xml", "/feed.json"))]
    if not hub or not changed:
        return []
    from feeds.errors import FetchError
    from feeds.sources.html import http_settings
    from feeds.sources.http import HttpRetriever, origin_of

    notices: list[str] = []
    # The hub is the one origin a ping may reach.
    hub_origin = frozenset(o for o in [origin_of(hub)] if o is not None)
    settings = replace(http_settings(config), allowed_origins=hub_origin)
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
