"""Rendering the files of a publish plan: feeds, archive pages, release and section pages,
the index and the OPML list, each checked before it is written."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from feeds.errors import PublishError
from feeds.model import Entry, Section, Site
from feeds.publish.build import PublishReport, PublishSettings
from feeds.publish.jsonfeed import render_json_feed
from feeds.publish.membership import page_span
from feeds.publish.opml import render_opml
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


class Renderer:
    """Renders the files of a plan one document at a time: a rebuild of a large history
    holds one archive page's entries in memory, not the whole feed."""

    def __init__(self, settings: PublishSettings, state: State) -> None:
        self.settings = settings
        self.site = settings.site
        sections = [all_section(settings.site), *settings.sections]
        self.sections: Sequence[Section] = sections
        self.by_id = {s.id: s for s in sections}
        self.state = state
        self.titles = {s.id: s.title for s in settings.sections}

    def entries(self, ids: Sequence[str]) -> list[Entry]:
        found = self.state.releases.by_ids(ids)
        return [found[i] for i in ids if i in found]

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

        index, size = self.state.feeds, self.settings.feed_size
        for section in self.sections:
            if section.id not in plan.feeds:
                continue
            numbers = index.pages(section.id)
            emit(f"{section.id}/", partial(self._head_files, section, numbers))
            for number in sorted(plan.feeds[section.id]):
                ids = index.archived_members(section.id, *page_span(number, size))
                where = archive_feed_path(section.id, number)
                emit(where, partial(self._archive_files, section, number, ids, numbers))
        for start in range(0, len(plan.releases), _BATCH):
            batch = self.entries(plan.releases[start : start + _BATCH])
            for entry in batch:
                emit(entry.page_path, partial(self._release_file, entry))
        if plan.full or plan.feeds:
            emit(INDEX_FILE, self._index_file)
        if plan.full:
            emit(OPML_FILE, lambda: {OPML_FILE: render_opml(self.sections, site=self.site)})
        return produced

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
                section_titles=self.titles,
            )
            files[f"{section.id}/{name}"] = render(site, doc)
        files[f"{section.id}/feed.json"] = render_json_feed(
            section, head, site=site, section_titles=self.titles
        )
        files[section_page_path(section.id)] = render_section_page(
            section, head, site=site, archive=numbers
        )
        return files

    def _archive_files(
        self, section: Section, number: int, ids: Sequence[str], numbers: Sequence[int]
    ) -> dict[str, bytes]:
        """One archive page of a feed, as Atom (RFC 5005) and as a section page."""
        site, entries = self.site, self.entries(ids)
        base = f"{site.public_url}{section.id}/"
        at = list(numbers).index(number)
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
        return {
            archive_feed_path(section.id, number): render_atom(site, doc),
            archive_page_path(section.id, number): render_section_page(
                section, entries, site=site, archive=numbers, number=number
            ),
        }

    def _release_file(self, entry: Entry) -> dict[str, bytes]:
        section = self.by_id.get(entry.section, self.sections[0])
        return {entry.page_path: render_release_page(entry, site=self.site, section=section)}

    def _index_file(self) -> dict[str, bytes]:
        heads = [(s, self.entries(self.state.feeds.head(s.id, PER_SECTION))) for s in self.sections]
        return {INDEX_FILE: render_index(heads, site=self.site)}


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
