"""Building the whole output folder from state.

:func:`render_output` turns stored entries into ``{relative path: bytes}``: pure and
deterministic.  :func:`publish` validates each feed document, writes the files whose
bytes changed, and keeps the previously published file of any document that fails.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from feeds.errors import PublishError
from feeds.model import Entry, Section, Site
from feeds.publish.jsonfeed import render_json_feed
from feeds.publish.membership import FeedView, feed_view
from feeds.publish.opml import render_opml
from feeds.publish.pages import (
    all_section,
    archive_page_path,
    render_index,
    render_release_page,
    render_section_page,
    section_page_path,
)
from feeds.publish.syndication import FeedDocument, render_atom, render_rss
from feeds.publish.validate import CHECKS, check_atom
from feeds.publish.writer import remove_stale_temporaries, write_if_changed

#: Files under these folders are owned by the publisher: ones it no longer makes are removed.
MANAGED_PATTERNS = ("releases/**/*.html", "*/archive/*.xml", "*/archive/*.html")


@dataclass(frozen=True)
class PublishInput:
    site: Site
    sections: Sequence[Section]
    entries: Sequence[Entry]
    #: feed id -> {entry id: archive sequence number}
    archives: Mapping[str, dict[str, int]]
    feed_size: int
    hub: str | None = None
    status: Mapping[str, object] | None = None


@dataclass
class PublishReport:
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failures: list[PublishError] = field(default_factory=list)


def all_sections(sections: Sequence[Section], site: Site) -> list[Section]:
    return [all_section(site), *sections]


def render_output(
    data: PublishInput, failures: list[PublishError] | None = None
) -> dict[str, bytes]:
    """Every output file.  A renderer that raises costs only its own files: the error
    goes to ``failures`` (when given, else it propagates) and the rest is rendered."""
    site = data.site
    files: dict[str, bytes] = {}
    sections = all_sections(data.sections, site)
    by_id = {s.id: s for s in sections}
    heads: list[tuple[Section, list[Entry]]] = []

    def attempt(where: str, render: Callable[[], dict[str, bytes]]) -> None:
        try:
            files.update(render())
        except Exception as exc:
            if failures is None:
                raise
            failures.append(PublishError(f"{where}: not published: {type(exc).__name__}: {exc}"))

    for section in sections:
        view = feed_view(section, data.entries, data.archives.get(section.id, {}), data.feed_size)
        heads.append((section, view.head))
        attempt(f"{section.id}/", partial(_section_files, data, view))
    for entry in data.entries:
        section = by_id.get(entry.section, sections[0])
        attempt(entry.page_path, partial(_release_file, entry, site, section))
    files["index.html"] = render_index(heads, site=site)
    files["feeds.opml"] = render_opml(sections, site=site)
    files["status.json"] = (
        json.dumps(data.status or {}, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    ).encode()
    return files


def _section_files(data: PublishInput, view: FeedView) -> dict[str, bytes]:
    files = _feed_files(data, view)
    numbers = list(view.pages)
    files[section_page_path(view.section.id)] = render_section_page(
        view.section, view.head, site=data.site, archive=numbers
    )
    for number, entries in view.pages.items():
        files[archive_page_path(view.section.id, number)] = render_section_page(
            view.section, entries, site=data.site, archive=numbers, number=number
        )
    return files


def _release_file(entry: Entry, site: Site, section: Section) -> dict[str, bytes]:
    return {entry.page_path: render_release_page(entry, site=site, section=section)}


def _feed_files(data: PublishInput, view: FeedView) -> dict[str, bytes]:
    site, section = data.site, view.section
    base = f"{site.public_url}{section.id}/"
    files: dict[str, bytes] = {}
    titles = {s.id: s.title for s in data.sections}
    numbers = list(view.pages)
    last = numbers[-1] if numbers else None
    for index, number in enumerate(numbers):
        url = f"{base}archive/{number}.xml"
        doc = FeedDocument(
            section=section,
            entries=view.pages[number],
            self_url=url,
            html_url=f"{base}index.html",
            current_url=f"{base}atom.xml",
            prev_archive=f"{base}archive/{numbers[index - 1]}.xml" if index else None,
            next_archive=f"{base}archive/{numbers[index + 1]}.xml"
            if index + 1 < len(numbers)
            else None,
            is_archive=True,
            section_titles=titles,
        )
        files[f"{section.id}/archive/{number}.xml"] = render_atom(site, doc)
    head_doc = FeedDocument(
        section=section,
        entries=view.head,
        self_url=f"{base}atom.xml",
        html_url=f"{base}index.html",
        prev_archive=f"{base}archive/{last}.xml" if last else None,
        hub=data.hub,
        section_titles=titles,
    )
    files[f"{section.id}/atom.xml"] = render_atom(site, head_doc)
    rss_doc = FeedDocument(
        section=section,
        entries=view.head,
        self_url=f"{base}rss.xml",
        html_url=f"{base}index.html",
        hub=data.hub,
        section_titles=titles,
    )
    files[f"{section.id}/rss.xml"] = render_rss(site, rss_doc)
    files[f"{section.id}/feed.json"] = render_json_feed(
        section, view.head, site=site, section_titles=titles
    )
    return files


def check(path: str, body: bytes, site: Site, output: Path) -> None:
    """Validate a feed document; raise PublishError naming the file when it fails."""
    name = path.rsplit("/", 1)[-1]
    where = str(output / path)
    url = site.public_url + path
    if "/archive/" in path and name.endswith(".xml"):
        check_atom(where, body, self_url=url)
    elif name in CHECKS:
        CHECKS[name](where, body, self_url=url)


def publish(data: PublishInput, output: Path) -> PublishReport:
    """Write every changed file; a document failing validation keeps its old version."""
    report = PublishReport()
    remove_stale_temporaries(output)
    files = render_output(data, report.failures)
    for path, body in sorted(files.items()):
        try:
            check(path, body, data.site, output)
        except PublishError as exc:
            report.failures.append(exc)
            continue
        if write_if_changed(output / path, body):
            report.written.append(path)
    if report.failures:
        # Some files were not rendered this time: nothing counts as stale.
        return report
    for pattern in MANAGED_PATTERNS:
        for stale in sorted(output.glob(pattern)):
            relative = stale.relative_to(output).as_posix()
            if relative not in files:
                stale.unlink()
                report.removed.append(relative)
    return report
