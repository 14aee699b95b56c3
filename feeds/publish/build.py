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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from importlib import resources
from pathlib import Path

from feeds import __version__
from feeds.errors import PublishError
from feeds.model import Entry, Section, Site
from feeds.publish.jsonfeed import render_json_feed
from feeds.publish.membership import FeedView, page_span
from feeds.publish.opml import render_opml
from feeds.publish.pages import (
    INDEX_FILE,
    OPML_FILE,
    PER_SECTION,
    all_section,
    archive_page_path,
    render_index,
    render_release_page,
    render_section_page,
    section_page_path,
)
from feeds.publish.plan import Plan, Planner
from feeds.publish.syndication import FeedDocument, render_atom, render_rss
from feeds.publish.validate import CHECKS, check_atom
from feeds.publish.writer import OutputWriter
from feeds.store.interface import State

STATUS_FILE = "status.json"
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
    sections = [all_section(settings.site), *settings.sections]
    try:
        with state.transaction():
            planner = Planner(
                state.feeds, state.releases, [s.id for s in sections], settings.feed_size
            )
            if full:
                plan, everything = planner.full()
                renderer = _Renderer(settings, sections, state, {e.id: e for e in everything})
            else:
                plan = planner.changes()
                renderer = _Renderer(settings, sections, state, {})
            produced = renderer.write(plan, writer, report)
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


def _package_files() -> Iterator[resources.abc.Traversable]:
    root = resources.files("feeds.publish")
    stack = [root]
    while stack:
        folder = stack.pop()
        for item in sorted(folder.iterdir(), key=lambda i: i.name):
            if item.is_dir():
                if item.name != "__pycache__":
                    stack.append(item)
            elif item.name.endswith((".py", ".j2", ".css", ".yaml")):
                yield item


def _archive_files(pages: Iterable[tuple[str, int]]) -> list[str]:
    return [
        p for feed, n in pages for p in (archive_feed_path(feed, n), archive_page_path(feed, n))
    ]


def archive_feed_path(feed: str, number: int) -> str:
    return f"{feed}/archive/{number}.xml"


class _Renderer:
    """Renders the files of a plan, loading each entry it needs once."""

    def __init__(
        self,
        settings: PublishSettings,
        sections: Sequence[Section],
        state: State,
        loaded: dict[str, Entry],
    ) -> None:
        self.settings = settings
        self.site = settings.site
        self.sections = sections
        self.by_id = {s.id: s for s in sections}
        self.state = state
        self.loaded = loaded
        self.titles = {s.id: s.title for s in settings.sections}

    def entries(self, ids: Sequence[str]) -> list[Entry]:
        missing = [i for i in ids if i not in self.loaded]
        if missing:
            self.loaded.update(self.state.releases.by_ids(missing))
        return [self.loaded[i] for i in ids if i in self.loaded]

    def write(self, plan: Plan, writer: OutputWriter, report: PublishReport) -> set[str]:
        produced: set[str] = set()

        def emit(where: str, render: Callable[[], dict[str, bytes]]) -> None:
            try:
                files = render()
            except Exception as exc:
                report.failures.append(
                    PublishError(f"{where}: not published: {type(exc).__name__}: {exc}")
                )
                return
            for path, body in files.items():
                report.rendered.append(path)
                produced.add(path)
                try:
                    check(path, body, self.site, self.settings.output)
                except PublishError as exc:
                    report.failures.append(exc)
                    continue
                writer.write(path, body)

        for section in self.sections:
            if section.id in plan.feeds:
                emit(f"{section.id}/", partial(self._feed_files, section, plan.feeds[section.id]))
        for entry in plan.releases:
            emit(entry.page_path, partial(self._release_file, entry))
        if plan.full or plan.feeds:
            emit(INDEX_FILE, self._index_file)
        if plan.full:
            emit(OPML_FILE, lambda: {OPML_FILE: render_opml(self.sections, site=self.site)})
        return produced

    def view(self, section: Section, numbers: Iterable[int]) -> FeedView:
        index, size = self.state.feeds, self.settings.feed_size
        pages = {
            n: self.entries(index.archived_members(section.id, *page_span(n, size)))
            for n in sorted(numbers)
        }
        head = self.entries(index.head(section.id, size))
        return FeedView(section, head, index.pages(section.id), pages)

    def _feed_files(self, section: Section, numbers: Iterable[int]) -> dict[str, bytes]:
        view = self.view(section, numbers)
        files = self._feed_documents(view)
        files[section_page_path(section.id)] = render_section_page(
            section, view.head, site=self.site, archive=view.numbers
        )
        for number, entries in view.pages.items():
            files[archive_page_path(section.id, number)] = render_section_page(
                section, entries, site=self.site, archive=view.numbers, number=number
            )
        return files

    def _feed_documents(self, view: FeedView) -> dict[str, bytes]:
        site, section, numbers = self.site, view.section, view.numbers
        base = f"{site.public_url}{section.id}/"
        files: dict[str, bytes] = {}
        for number, entries in view.pages.items():
            at = numbers.index(number)
            doc = FeedDocument(
                section=section,
                entries=entries,
                self_url=site.public_url + archive_feed_path(section.id, number),
                html_url=f"{base}index.html",
                current_url=f"{base}atom.xml",
                prev_archive=site.public_url + archive_feed_path(section.id, numbers[at - 1])
                if at
                else None,
                next_archive=site.public_url + archive_feed_path(section.id, numbers[at + 1])
                if at + 1 < len(numbers)
                else None,
                is_archive=True,
                section_titles=self.titles,
            )
            files[archive_feed_path(section.id, number)] = render_atom(site, doc)
        last = numbers[-1] if numbers else None
        for name, render in (("atom.xml", render_atom), ("rss.xml", render_rss)):
            doc = FeedDocument(
                section=section,
                entries=view.head,
                self_url=f"{base}{name}",
                html_url=f"{base}index.html",
                prev_archive=site.public_url + archive_feed_path(section.id, last)
                if last and name == "atom.xml"
                else None,
                hub=self.settings.hub,
                section_titles=self.titles,
            )
            files[f"{section.id}/{name}"] = render(site, doc)
        files[f"{section.id}/feed.json"] = render_json_feed(
            section, view.head, site=site, section_titles=self.titles
        )
        return files

    def _release_file(self, entry: Entry) -> dict[str, bytes]:
        section = self.by_id.get(entry.section, self.sections[0])
        return {entry.page_path: render_release_page(entry, site=self.site, section=section)}

    def _index_file(self) -> dict[str, bytes]:
        heads = [(s, self.entries(self.state.feeds.head(s.id, PER_SECTION))) for s in self.sections]
        return {INDEX_FILE: render_index(heads, site=self.site)}


def check(path: str, body: bytes, site: Site, output: Path) -> None:
    """Validate a feed document; raise PublishError naming the file when it fails."""
    name = path.rsplit("/", 1)[-1]
    where = str(output / path)
    url = site.public_url + path
    if "/archive/" in path and name.endswith(".xml"):
        check_atom(where, body, self_url=url)
    elif name in CHECKS:
        CHECKS[name](where, body, self_url=url)
