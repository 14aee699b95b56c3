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
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from feeds.config import Config, within
from feeds.errors import (
    FetchError,
    OutputError,
    StateError,
)
from feeds.ingest import Ingestor
from feeds.lock import exclusive
from feeds.model import HealthStatus, SourceHealth
from feeds.publish.build import PublishReport, PublishSettings, publish
from feeds.sections import SectionRules
from feeds.source_run import Progress, SourceReport, SourceRun
from feeds.store import Store

if TYPE_CHECKING:
    from feeds.profile import Profile

__all__ = ["Progress", "RefreshReport", "SourceReport", "locked_state", "open_state", "refresh"]


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
    profile = _profile_loader(config)
    sources = [s for s in config.sources if only is None or s.name == only]
    with locked_state(config) as store:
        report = RefreshReport()
        ingestor = Ingestor(store.releases, config.site, SectionRules(config.sections))
        with store.transaction():
            ingestor.refresh_keys()
        for source in sources:
            progress(f"{source.name}: reading ({source.type})")
            moment = now().replace(microsecond=0)
            runner = SourceRun(
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


def _profile_loader(config: Config) -> Callable[[], Profile]:
    """The site profile, loaded when a document first needs it: a run with nothing new
    to parse never does.  Overrides are checked now, since they may be wrong; the
    packaged profile on its own is known to load."""

    @cache
    def load() -> Profile:
        from feeds.profile import profile_for

        return profile_for(config)

    if any(config.profile.values()):
        load()
    return load


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
        # Writes raise OutputError themselves; this is cleaning up or making folders.  A
        # file outside the output folder (the package's own data) is not the output's fault.
        if exc.filename is not None and not within(
            Path(exc.filename).resolve(), config.output.resolve()
        ):
            raise
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
    settings = replace(config.http, allowed_origins=hub_origin)
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
