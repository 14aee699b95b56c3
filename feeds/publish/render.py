"""Rendering the files of a publish plan: feeds, archive pages, release and section pages,
the index and the OPML list, each checked before it is written."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from feeds.errors import PublishError
from feeds.model import Entry, Section, Site
from feeds.pool import spread
from feeds.publish.build import PublishReport, PublishSettings
from feeds.publish.jsonfeed import render_json_feed
from feeds.publish.membership import page_span
from feeds.publish.pages import (
    PER_SECTION,
    all_section,
    render_index,
    render_release_page,
    render_section_page,
)
from feeds.publish.paths import (
    INDEX_FILE,
    OPML_FILE,
    archive_feed_path,
    archive_page_path,
    section_page_path,
)
from feeds.publish.plan import Plan
from feeds.publish.syndication import FeedDocument, render_atom, render_rss
from feeds.publish.validate import CHECKS, check_atom
from feeds.publish.writer import OutputWriter
from feeds.store.interface import State


@dataclass(frozen=True)
class _Pages:
    """What rendering an archive or release page needs besides its entries: plain values
    that worker processes inherit (see :mod:`feeds.pool`)."""

    site: Site
    by_id: Mapping[str, Section]
    default: Section
    titles: Mapping[str, str]
    output: Path


@dataclass(frozen=True)
class _ArchivePage:
    section: Section
    number: int
    entries: tuple[Entry, ...]
    numbers: tuple[int, ...]


@dataclass(frozen=True)
class _ReleasePage:
    entry: Entry


@dataclass(frozen=True)
class _Made:
    """The files one document rendered to, each with the problem its check found; or
    why it could not be rendered."""

    files: list[tuple[str, bytes, str | None]]
    failure: str | None = None


class Renderer:
    """Renders the files of a plan one document at a time: a rebuild of a large history
    holds a few archive pages' entries in memory, not the whole feed.  Archive and
    release pages, most of a rebuild, are rendered by worker processes when there are
    many (:func:`feeds.pool.spread`); this process reads the state and writes."""

    def __init__(self, settings: PublishSettings, state: State) -> None:
        self.settings = settings
        self.site = settings.site
        sections = [all_section(settings.site), *settings.sections]
        self.sections: Sequence[Section] = sections
        self.state = state
        self.pages = _Pages(
            site=settings.site,
            by_id={s.id: s for s in sections},
            default=sections[0],
            titles={s.id: s.title for s in settings.sections},
            output=settings.output,
        )

    def entries(self, ids: Sequence[str]) -> list[Entry]:
        found = self.state.releases.by_ids(ids)
        return [found[i] for i in ids if i in found]

    def write(self, plan: Plan, writer: OutputWriter, report: PublishReport) -> set[str]:
        produced: set[str] = set()

        def accept(made: _Made) -> None:
            if made.failure is not None:
                report.failures.append(PublishError(made.failure))
                return
            for path, body, problem in made.files:
                report.rendered.append(path)
                produced.add(path)
                if problem is not None:
                    report.failures.append(PublishError(problem))
                    continue
                writer.write(path, body)

        index = self.state.feeds
        archives: list[tuple[Section, int, tuple[int, ...]]] = []
        for section in self.sections:
            if section.id not in plan.feeds:
                continue
            numbers = tuple(index.pages(section.id))
            accept(_make(f"{section.id}/", partial(self._head_files, section, numbers), self.pages))
            archives += [(section, n, numbers) for n in sorted(plan.feeds[section.id])]
        count = len(archives) + len(plan.releases)
        for made in spread(
            _render_page,
            self.pages,
            self._page_jobs(archives, plan.releases),
            count,
            chunk=_CHUNK,
            parallel_from=_PARALLEL_FROM,
            # This process reads entries and writes files meanwhile: a core of its own.
            # (It also keeps the peak memory of a rebuild to one worker's on two cores.)
            leave=1,
        ):
            accept(made)
        if plan.full or plan.feeds:
            accept(_make(INDEX_FILE, self._index_file, self.pages))
        if plan.full:
            accept(_make(OPML_FILE, self._opml_file, self.pages))
        return produced

    def _page_jobs(
        self, archives: Sequence[tuple[Section, int, tuple[int, ...]]], releases: Sequence[str]
    ) -> Iterator[_ArchivePage | _ReleasePage]:
        """The archive and release pages to render, their entries read as they are
        asked for."""
        index, size = self.state.feeds, self.settings.feed_size
        for section, number, numbers in archives:
            ids = index.archived_members(section.id, *page_span(number, size))
            yield _ArchivePage(section, number, tuple(self.entries(ids)), numbers)
        for start in range(0, len(releases), _BATCH):
            for entry in self.entries(releases[start : start + _BATCH]):
                yield _ReleasePage(entry)

    def _head_files(self, section: Section, numbers: Sequence[int]) -> dict[str, bytes]:
        """A feed's subscription documents and its section page."""
        site, head = (
            self.site,
            self.entries(self.state.feeds.head(section.id, self.settings.feed_size)),
        )
        base = f"{site.public_url}{section.id}/"
        files: dict[str, bytes] = {}
        last = numbers[-1] if numbers else None
        for name, render in (("atom.xml", render_atom), ("rss.xml", render_rss)):
            doc = FeedDocument(
                section=section,
                entries=head,
                self_url=f"{base}{name}",
                html_url=f"{base}index.html",
                prev_archive=site.public_url + archive_feed_path(section.id, last)
                if last and name == "atom.xml"
                else None,
                hub=self.settings.hub,
                section_titles=self.pages.titles,
            )
            files[f"{section.id}/{name}"] = render(site, doc)
        files[f"{section.id}/feed.json"] = render_json_feed(
            section, head, site=site, section_titles=self.pages.titles
        )
        files[section_page_path(section.id)] = render_section_page(
            section, head, site=site, archive=numbers
        )
        return files

    def _opml_file(self) -> dict[str, bytes]:
        # Imported here: its XML helpers load urllib.request, and the list is written
        # only when the sections change.
        from feeds.publish.opml import render_opml

        return {OPML_FILE: render_opml(self.sections, site=self.site)}

    def _index_file(self) -> dict[str, bytes]:
        heads = [(s, self.entries(self.state.feeds.head(s.id, PER_SECTION))) for s in self.sections]
        return {INDEX_FILE: render_index(heads, site=self.site)}


def _render_page(pages: _Pages, job: _ArchivePage | _ReleasePage) -> _Made:
    """One archive or release page, rendered and checked (in a worker, or here)."""
    if isinstance(job, _ReleasePage):
        entry = job.entry
        where = entry.page_path
        section = pages.by_id.get(entry.section, pages.default)
        return _make(
            where,
            lambda: {where: render_release_page(entry, site=pages.site, section=section)},
            pages,
        )
    where = archive_feed_path(job.section.id, job.number)
    return _make(where, partial(_archive_files, pages, job), pages)


def _archive_files(pages: _Pages, job: _ArchivePage) -> dict[str, bytes]:
    """One archive page of a feed, as Atom (RFC 5005) and as a section page."""
    site, section, number, numbers = pages.site, job.section, job.number, job.numbers
    base = f"{site.public_url}{section.id}/"
    at = numbers.index(number)
    doc = FeedDocument(
        section=section,
        entries=job.entries,
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
        section_titles=pages.titles,
    )
    return {
        archive_feed_path(section.id, number): render_atom(site, doc),
        archive_page_path(section.id, number): render_section_page(
            section, job.entries, site=site, archive=numbers, number=number
        ),
    }


def _make(where: str, render: Callable[[], dict[str, bytes]], pages: _Pages) -> _Made:
    """Render a document and check each of its files: a failure costs that document."""
    try:
        files = render()
    except Exception as exc:
        return _Made([], f"{where}: not published: {type(exc).__name__}: {exc}")
    made: list[tuple[str, bytes, str | None]] = []
    for path, body in files.items():
        try:
            check(path, body, pages.site, pages.output)
        except PublishError as exc:
            made.append((path, body, str(exc)))
            continue
        made.append((path, body, None))
    return _Made(made)


#: Archive and release pages per task sent to a worker, and the fewest worth workers.
_CHUNK = 16
_PARALLEL_FROM = 64
#: Release pages rendered per batch of entries read from the state.
_BATCH = 256


def check(path: str, body: bytes, site: Site, output: Path) -> None:
    """Validate a feed document; raise PublishError naming the file when it fails."""
    name = path.rsplit("/", 1)[-1]
    where = str(output / path)
    url = site.public_url + path
    if "/archive/" in path and name.endswith(".xml"):
        check_atom(where, body, self_url=url)
    elif name in CHECKS:
        CHECKS[name](where, body, self_url=url)
