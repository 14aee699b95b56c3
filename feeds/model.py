"""The data model shared by every pipeline stage.

Stages pass only these frozen dataclasses to each other::

    sources --Retrieved--> parsing --ParsedDocument(Release...)--> ingest --> store
    store --Entry--> publish

A :class:`Release` is what a parser understood of one press release, with no identity
yet.  An :class:`Entry` is a release after ingest gave it its permanent id, its section
and its timestamps.
"""

from __future__ import annotations

import bisect
import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass, field


class ReleaseKind(enum.StrEnum):
    """How complete a release is."""

    #: The article itself: real title, full body.
    FULL = "full"
    #: A teaser (the lead of another release shown in a sidebar): text only, derived title.
    BRIEF = "brief"


class DateOrigin(enum.StrEnum):
    """Where a release's date came from; the order is also the trust order.

    The first five give the release's own date; the others are estimates from evidence,
    and ``NONE`` means there was none: the release is dated by when it was first seen.
    """

    HEADER = "header"  # the article's own date line (dumps, article pages)
    PAGE = "page"  # a date element of a live article page
    FEED = "feed"  # an upstream feed's published date
    LISTING = "listing"  # the date beside a link on a listing page
    TEASER_LINE = "teaser-line"  # the DD.MM.YYYY line above a teaser
    LEAD = "lead"  # a date phrase opening the lead ("On 16 February 2024, ...")
    MENTION = "mention"  # the latest full date the lead mentions ("... on June 6, 2022.")
    NEIGHBOURS = "neighbours"  # its place between dated neighbours (newest first)
    HOST_PAGE = "host-page"  # not long before the dated page whose sidebar shows it
    NONE = "none"

    @property
    def own(self) -> bool:
        """True when the date is the release's own, not an estimate."""
        return self in _OWN

    @property
    def stated(self) -> bool:
        """True when the text states the date: the release's own, or a date phrase that
        opens its lead.  A mentioned date may be about something else (an anniversary
        recalls the year it marks), so it bounds nothing."""
        return self in _OWN or self is DateOrigin.LEAD


_OWN = frozenset(
    {
        DateOrigin.HEADER,
        DateOrigin.PAGE,
        DateOrigin.FEED,
        DateOrigin.LISTING,
        DateOrigin.TEASER_LINE,
    }
)


def estimate(after: dt.date | None, before: dt.date | None) -> dt.date | None:
    """An estimated date from bounds: the middle of what they allow, or the one bound."""
    if after is not None and before is not None:
        if before < after:
            return before
        return after + (before - after) // 2
    return before if before is not None else after


class DocumentKind(enum.StrEnum):
    """What a retrieved document is, which decides the parser that reads it."""

    DUMP = "dump"  # a text dump of an article page
    ARTICLE = "article"  # a live article page (HTML)
    FEED = "feed"  # an upstream RSS or Atom document


@dataclass(frozen=True)
class Retrieved:
    """One document as a source fetched or read it, before any parsing."""

    kind: DocumentKind
    #: How messages name the document: a path (relative to the working folder) or a URL.
    locator: str
    body: bytes
    #: Stable identity for the source's memory: a path relative to the config folder, or
    #: the URL as requested.
    key: str = ""
    #: The URL after redirects (pages and feeds fetched over HTTP).
    url: str | None = None
    #: The Content-Type header as received ("" for files).
    content_type: str = ""
    #: A codec named in the config ("auto" detects it).
    encoding: str = "auto"
    #: Validators of the answer, remembered for the next conditional GET.
    etag: str | None = None
    last_modified: str | None = None
    #: The date a listing page showed beside the link to this article.
    listing_date: dt.date | None = None


@dataclass(frozen=True)
class FileStamp:
    """What a dump source remembers of one file: size and mtime to skip reading it, the
    hash of its bytes to skip parsing it."""

    size: int
    mtime_ns: int
    sha256: str


@dataclass(frozen=True)
class FolderRanges:
    """What a dump source remembers of its whole listing: the files sorted by key and
    cut into ranges, each with the digest of its files' keys, sizes and mtimes.  A run
    compares file by file only the ranges whose digest changed."""

    #: The first key of every range but the first (sorted): range ``i`` holds the keys
    #: from ``bounds[i - 1]`` (included) to ``bounds[i]`` (excluded).
    bounds: tuple[str, ...]
    #: One per range; ``None`` for a range that holds a file not stored yet.
    digests: tuple[str | None, ...]

    def range_of(self, key: str) -> int:
        """The number of the range ``key`` falls in."""
        return bisect.bisect_right(self.bounds, key)

    def without(self, keys: Iterable[str]) -> FolderRanges:
        """These ranges, with no digest for the ranges of ``keys`` (files that were not
        stored: the next run reads their ranges file by file)."""
        unstored = {self.range_of(key) for key in keys}
        if not unstored:
            return self
        digests = tuple(None if i in unstored else d for i, d in enumerate(self.digests))
        return FolderRanges(self.bounds, digests)


@dataclass(frozen=True)
class Asset:
    """An image or attachment.  ``url`` is set only when an absolute URL is known;
    a bare file name from a dump is not a link."""

    name: str
    url: str | None = None


@dataclass(frozen=True)
class Release:
    """One press release as a parser understood it."""

    kind: ReleaseKind
    title: str
    #: True when the title was made from the first sentence (teasers only).
    title_derived: bool = False
    #: The release's own date, or an estimate (``date_origin`` says which).
    date: dt.date | None = None
    date_origin: DateOrigin = DateOrigin.NONE
    #: Bounds of an estimate: the release is not older than ``date_after`` and not newer
    #: than ``date_before`` (from its dated neighbours).
    date_after: dt.date | None = None
    date_before: dt.date | None = None
    #: An exact timestamp when the source gives one (upstream feeds).
    published_at: dt.datetime | None = None
    #: First body paragraph that is not a subtitle: what other pages show as its teaser.
    lead: str = ""
    #: Body as plain-text paragraphs (no navigation, no signature, no contacts).
    paragraphs: tuple[str, ...] = ()
    #: Body as a sanitised HTML fragment (bare URLs already turned into links).
    body_html: str = ""
    images: tuple[Asset, ...] = ()
    attachments: tuple[Asset, ...] = ()
    links: tuple[str, ...] = ()
    #: Signature and contact lines, kept apart from the body.
    contacts: tuple[str, ...] = ()
    #: BCP 47 language code of the text, when detected.
    language: str | None = None
    #: Canonical URL on the site, when known.
    url: str | None = None
    #: Section id suggested by the source (e.g. derived from the URL path).
    section: str | None = None
    #: Free-form hints for the store: e.g. the subtitle, a video marker.
    extra: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ParsedDocument:
    """Everything one document (a dump file, a page, a feed) yielded."""

    #: File path or URL the document was read from.
    locator: str
    #: The article of the document; ``None`` when it holds none (listing pages, feeds).
    article: Release | None
    #: Brief releases (teasers) and, for feeds and listings, other releases.
    others: tuple[Release, ...] = ()
    #: Non-fatal remarks, e.g. "low-confidence title".
    warnings: tuple[str, ...] = ()
    #: Roughly when this copy was made, when the document tells (the newest date its
    #: sidebar shows): an older copy of an article read later must not undo an edit.
    observed: dt.date | None = None
    #: Parts that could not be read, each ``"<where>: <why>"`` (an item of a feed); the
    #: rest of the document was read.
    problems: tuple[str, ...] = ()

    @property
    def releases(self) -> tuple[Release, ...]:
        """The article first, then the others."""
        return (self.article, *self.others) if self.article is not None else self.others


@dataclass(frozen=True)
class Section:
    """A published feed: a slice of all releases."""

    id: str
    title: str
    #: Releases whose canonical URL starts with this prefix belong here.
    url: str | None = None
    #: Regexes over title and lead.
    match: tuple[str, ...] = ()
    default: bool = False
    #: A topical section collects every release its ``match`` rules hit, besides the
    #: release's primary section; a plain section uses ``match`` only to pick the primary one.
    topical: bool = False
    description: str = ""


@dataclass(frozen=True)
class Sighting:
    """One time a source showed us a release: the explanation behind an entry."""

    source: str
    locator: str
    kind: ReleaseKind
    first_seen: dt.datetime
    last_seen: dt.datetime
    content_hash: str


@dataclass(frozen=True)
class Entry:
    """A stored release with its permanent identity, ready to publish."""

    #: Permanent tag URI, minted once.
    id: str
    release: Release
    #: Primary section id (never ``all``).
    section: str
    #: Release date at midnight in the site's zone, or the first-seen time.
    published: dt.datetime
    #: Last time the published content changed; unique within the store.
    updated: dt.datetime
    first_seen: dt.datetime
    #: Path of the release page under the output folder, e.g. ``releases/2024/05/slug.html``.
    page_path: str
    hidden: bool = False
    #: Topical sections the entry also appears in (besides ``section`` and ``all``).
    extra_sections: tuple[str, ...] = ()
    sightings: tuple[Sighting, ...] = field(default=(), compare=False)

    @property
    def date_known(self) -> bool:
        """True when the entry is dated by the release's own date (not an estimate)."""
        release = self.release
        return release.published_at is not None or (
            release.date is not None and release.date_origin.own
        )

    @property
    def feeds(self) -> tuple[str, ...]:
        """Every feed the entry appears in, ``all`` included."""
        return ("all", self.section, *self.extra_sections)


class HealthStatus(enum.StrEnum):
    """How a source's last run went."""

    OK = "ok"
    FAILED = "failed"  # errors: a file, page or the whole source could not be read
    DRIFT = "drift"  # the source yields far less than usual: its markup probably changed
    UNKNOWN = "unknown"  # never run


@dataclass(frozen=True)
class SourceHealth:
    """One run of one source, as drift detection and ``status.json`` see it."""

    status: HealthStatus
    #: Release references the source showed (files, listing items, feed items).
    items: int
    #: Shares of the documents parsed this run that had a date / a body (None: none parsed).
    date_share: float | None = None
    body_share: float | None = None
    message: str = ""


@dataclass(frozen=True)
class Site:
    """What the publisher needs to know about the site and where output is served."""

    title: str
    #: The site the releases come from.
    url: str
    #: Where the output folder is served; ends with a slash.
    public_url: str
    language: str = "en"
    #: IANA zone of the site's calendar dates.
    timezone: str = "Europe/Moscow"
    #: Authority part of minted tag URIs (a name, never derived from URLs).
    id_authority: str = "feeds"
