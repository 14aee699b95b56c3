"""What every source hands to the refresh: documents, problems and health figures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from feeds.config import Config, SourceConfig
from feeds.errors import SourceError
from feeds.model import ParsedDocument
from feeds.profile import Profile
from feeds.store import Store


@dataclass(frozen=True)
class SourceContext:
    config: Config
    profile: Profile
    store: Store
    now: dt.datetime
    #: Progress callback (a line of text); silent under cron.
    progress: Callable[[str], None] = lambda _line: None


@dataclass
class SourceRun:
    """The outcome of reading one source once."""

    documents: list[ParsedDocument] = field(default_factory=list)
    problems: list[SourceError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: Release references the source shows now (dump files, listing items, feed items),
    #: whether or not they were read again this time; the base of drift detection.
    items: int = 0
    #: Documents actually parsed this run, and how many had a title, date and body.
    parsed: int = 0
    with_date: int = 0
    with_body: int = 0
    #: Requests sent (live sources), for the progress display.
    requests: int = 0


class Source(Protocol):
    def run(self, source: SourceConfig, context: SourceContext) -> SourceRun: ...
