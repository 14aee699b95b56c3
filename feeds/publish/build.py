"""Publishing: render what a plan touches, check it, write it, and record the run.

:func:`publish` asks the :class:`~feeds.publish.plan.Planner` what changed since the
last publish, renders only those files (everything when the settings or the published
code changed, when the output folder lost its index, or when asked), checks each feed
document before it replaces the published one, writes each file as it is rendered, and
removes only files it wrote itself that no longer belong.  The state records the run
(what is now shown, the membership and archive pages) in the same transaction, after
the files are flushed to disk; a run with a failure records nothing, so the next run
does the same work again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from feeds import __version__
from feeds.errors import PublishError
from feeds.model import Section, Site
from feeds.publish.paths import INDEX_FILE, STATUS_FILE, archive_files
from feeds.publish.plan import Planner
from feeds.publish.writer import OutputWriter
from feeds.sections import feed_ids
from feeds.store.interface import State

#: The state's record of the settings and code the published files were made with.
FINGERPRINT_KEY = "publish.fingerprint"


@dataclass(frozen=True)
class PublishSettings:
    site: Site
    #: The configured sections (the feed of every release comes on top).
    sections: Sequence[Section]
    feed_size: int
    output: Path
    hub: str | None = None


@dataclass
class PublishReport:
    #: Files rendered this run (whether their bytes changed or not).
    rendered: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failures: list[PublishError] = field(default_factory=list)
    full: bool = False


class _Abandoned(Exception):
    """Raised inside the publish transaction to roll the state back."""


def publish(
    state: State, settings: PublishSettings, status: Mapping[str, object], *, full: bool = False
) -> PublishReport:
    """Publish what changed (or everything, with ``full``); see the module's text."""
    fingerprint = settings_fingerprint(settings)
    # Asked for everything: files on disk are compared too, so a damaged one is repaired.
    writer = OutputWriter(settings.output, state.outputs, verify=full)
    full = (
        full
        or state.outputs.meta(FINGERPRINT_KEY) != fingerprint
        or not (settings.output / INDEX_FILE).is_file()
    )
    report = PublishReport(full=full)
    try:
        with state.transaction():
            planner = Planner(
                state.feeds, state.releases, feed_ids(settings.sections), settings.feed_size
            )
            plan = planner.full() if full else planner.changes()
            produced: set[str] = set()
            if full or not plan.empty:
                # The renderers (feedgen, jinja2, lxml) load only when there is work.
                from feeds.publish.render import Renderer

                produced = Renderer(settings, state).write(plan, writer, report)
            writer.write(STATUS_FILE, status_bytes(status))
            if report.failures:
                raise _Abandoned
            if full:
                gone: Iterable[str] = sorted(writer.known() - produced - {STATUS_FILE})
            else:
                gone = [*plan.gone, *_archive_files(plan.gone_archive)]
            for path in gone:
                writer.remove(path)
            writer.sync()
            state.releases.mark_shown(None if full else plan.shown)
            state.outputs.set_meta(FINGERPRINT_KEY, fingerprint)
    except _Abandoned:
        writer.sync()
    report.written, report.removed = writer.written, writer.removed
    return report


def status_bytes(status: Mapping[str, object]) -> bytes:
    return (json.dumps(status, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def settings_fingerprint(settings: PublishSettings) -> str:
    """Changes whenever published bytes could change for reasons other than entries:
    the settings, the version, or the templates, wording and code of this package."""
    digest = hashlib.sha256(__version__.encode())
    digest.update(repr((settings.site, tuple(settings.sections), settings.feed_size)).encode())
    digest.update(repr(settings.hub).encode())
    for item in _package_files():
        digest.update(item.name.encode())
        digest.update(item.read_bytes())
    return digest.hexdigest()


def _package_files() -> Iterator[Path]:
    stack = [Path(__file__).parent]
    while stack:
        folder = stack.pop()
        for item in sorted(folder.iterdir(), key=lambda i: i.name):
            if item.is_dir():
                if item.name != "__pycache__":
                    stack.append(item)
            elif item.name.endswith((".py", ".j2", ".css", ".yaml")):
                yield item


def _archive_files(pages: Iterable[tuple[str, int]]) -> list[str]:
    return [path for feed, number in pages for path in archive_files(feed, number)]
