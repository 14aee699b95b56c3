"""Assigning releases to sections.

The primary section follows the contract's order: the section whose ``url`` prefix
holds the release's canonical URL, then the source's section, then ``match`` rules,
then the default section.  Topical sections additionally collect every release their
``match`` rules hit.  Every release is also in the pseudo-section ``all``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from feeds.model import Release, Section

ALL = "all"


@dataclass(frozen=True)
class SectionRules:
    sections: tuple[Section, ...]

    @cached_property
    def _patterns(self) -> dict[str, tuple[re.Pattern[str], ...]]:
        return {s.id: tuple(re.compile(p, re.IGNORECASE) for p in s.match) for s in self.sections}

    @property
    def default(self) -> str:
        for section in self.sections:
            if section.default:
                return section.id
        return self.sections[0].id

    def _matches(self, section: Section, release: Release) -> bool:
        text = f"{release.title}\n{release.lead}"
        return any(p.search(text) for p in self._patterns[section.id])

    def primary(self, release: Release, source_section: str | None) -> str:
        if release.url:
            url = _comparable(release.url)
            by_prefix = [s for s in self.sections if s.url and url.startswith(_comparable(s.url))]
            if by_prefix:
                return max(by_prefix, key=lambda s: len(s.url or "")).id
        if source_section:
            return source_section
        known = {s.id for s in self.sections}
        if release.section and release.section in known:
            return release.section
        for section in self.sections:
            if not section.topical and section.match and self._matches(section, release):
                return section.id
        return self.default

    def topical(self, release: Release, primary: str) -> tuple[str, ...]:
        return tuple(
            s.id
            for s in self.sections
            if s.topical and s.id != primary and self._matches(s, release)
        )


def _comparable(url: str) -> str:
    """Scheme-less, host-lowercased form: http and https copies of a page are one page."""
    rest = url.split("://", 1)[-1]
    host, _, path = rest.partition("/")
    return f"{host.lower()}/{path}"


def feed_ids(sections: Sequence[Section]) -> list[str]:
    """Every published feed: ``all`` first, then the configured sections."""
    return [ALL, *(s.id for s in sections)]
