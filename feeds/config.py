"""``sources.yaml``: its schema, and the :class:`Config` a run works with.

Paths are relative to the config file's folder.  Every problem is reported with its
line (see :mod:`feeds.schema`).

The schema is standard dataclasses that pydantic validates (:mod:`feeds.fields`), and a
validated config is kept in the user's cache folder (:mod:`feeds.cache`): a run
whose config file is unchanged imports neither pydantic nor the YAML reader, which is
most of the start-up of a run with nothing new to do.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from feeds import cache
from feeds.errors import ConfigError
from feeds.fields import (
    FORBID_EXTRA,
    STRICT,
    Check,
    Encoding,
    Flag,
    Integer,
    Number,
    Regex,
    Tagged,
    Text,
    TimeZone,
    WebUrl,
    above,
    at_least,
)
from feeds.model import Section, Site

if TYPE_CHECKING:
    from feeds.schema import Problems

RESERVED_SECTION_IDS = frozenset({"all", "releases"})
_SECTION_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_AUTHORITY = re.compile(r"[a-z0-9]+(?:[.-][a-z0-9]+)*")


def _section_id(value: str) -> str:
    if not _SECTION_ID.match(value):
        raise ValueError(f"{value!r} is not a lowercase slug (a-z, 0-9, -)")
    if value in RESERVED_SECTION_IDS:
        raise ValueError(f"{value!r} is reserved")
    return value


def _authority(value: str) -> str:
    if not _AUTHORITY.fullmatch(value):
        raise ValueError("must be a lowercase domain-like name (letters, digits, dots, dashes)")
    return value


def _some(what: str) -> Check:
    def check(value: list[Any]) -> list[Any]:
        if not value:
            raise ValueError(f"expected {what}")
        return value

    return Check(check)


@dataclass(frozen=True, kw_only=True)
class SiteConfig:
    __pydantic_config__: ClassVar = FORBID_EXTRA

    title: Text = "Releases"
    url: WebUrl
    public_url: WebUrl
    language: Text = "en"
    timezone: TimeZone = "Europe/Moscow"
    id_authority: Annotated[str, STRICT, Check(_authority)] = "feeds"


@dataclass(frozen=True, kw_only=True)
class HttpSettings:
    """How feeds fetches pages (``http:``); the one settings type of the HTTP client."""

    __pydantic_config__: ClassVar = FORBID_EXTRA

    user_agent: Text = "feeds/0.1 (+https://feeds.example.org/csto/)"
    #: Minimum seconds between the starts of two requests to one host.
    min_delay: Annotated[Number, at_least(0)] = 1.0
    #: Seconds one attempt may take, from connecting to the last byte of the body.
    timeout: Annotated[Number, above(0)] = 20.0
    #: Extra attempts after a connection error, a timeout, a 429 or a 5xx.
    retries: Annotated[Integer, at_least(0)] = 3
    #: Bodies are cut at this many (decoded) bytes and reported as truncated.
    max_bytes: Annotated[Integer, above(0)] = 5_000_000
    per_host_concurrency: Annotated[Integer, above(0)] = 2
    respect_robots: Flag = True
    allow_private_addresses: Flag = False
    #: Origins (``scheme://host[:port]``) that may be contacted besides those of the
    #: sources, e.g. where the site redirects to.  Any other origin is refused.
    allowed_origins: frozenset[Text] = frozenset()
    backoff_base: Annotated[Number, at_least(0)] = 0.5
    backoff_max: Annotated[Number, at_least(0)] = 30.0
    #: A longer Retry-After is shortened to this.
    retry_after_max: Annotated[Number, at_least(0)] = 120.0


@dataclass(frozen=True, kw_only=True)
class WebsubConfig:
    __pydantic_config__: ClassVar = FORBID_EXTRA

    hub: WebUrl | None = None


@dataclass(frozen=True, kw_only=True)
class ProfileOverrides:
    """Keys of the packaged site profile to replace (checked by :mod:`feeds.profile`)."""

    __pydantic_config__: ClassVar = FORBID_EXTRA

    dump: dict[str, Any] = field(default_factory=dict)
    html: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class SectionConfig:
    __pydantic_config__: ClassVar = FORBID_EXTRA

    id: Annotated[str, STRICT, Check(_section_id)]
    title: Text | None = None
    default: Flag = False
    url: WebUrl | None = None
    match: list[Regex] = field(default_factory=list)
    #: Needs match rules (checked with the references: see ``_check_references``).
    topical: Flag = False
    description: Text = ""

    def section(self) -> Section:
        return Section(
            id=self.id,
            title=self.id if self.title is None else self.title,
            url=self.url,
            match=tuple(self.match),
            default=self.default,
            topical=self.topical,
            description=self.description,
        )


@dataclass(frozen=True, kw_only=True)
class _SourceBase:
    __pydantic_config__: ClassVar = FORBID_EXTRA

    name: Text
    section: Text | None = None
    language: Text | None = None


@dataclass(frozen=True, kw_only=True)
class DumpSourceConfig(_SourceBase):
    """``type: dump``: text dumps on disk."""

    type: Literal["dump"]
    #: Glob patterns, relative to the config folder.
    paths: Annotated[list[Text], _some("at least one glob pattern")]
    encoding: Encoding = "auto"


@dataclass(frozen=True, kw_only=True)
class HtmlSourceConfig(_SourceBase):
    """``type: html``: a section listing of the live site and its article pages."""

    type: Literal["html"]
    url: WebUrl
    #: How many listing pages to follow.
    pages: Annotated[Integer, above(0)] = 1
    #: One run in this many reads every listing page; the others stop at the first page
    #: whose items are all known and unchanged.
    full_walk_every: Annotated[Integer, above(0)] = 24


@dataclass(frozen=True, kw_only=True)
class FeedSourceConfig(_SourceBase):
    """``type: feed``: an existing RSS or Atom feed, by URL or as a local file."""

    type: Literal["feed"]
    url: WebUrl | None = None
    path: Text | None = None

    def __post_init__(self) -> None:
        if self.url is None and self.path is None:
            raise ValueError("a feed source needs url: or path:")
        if self.url is not None and self.path is not None:
            raise ValueError("a feed source takes url: or path:, not both")


SourceConfig = DumpSourceConfig | HtmlSourceConfig | FeedSourceConfig


@dataclass(frozen=True, kw_only=True)
class ConfigFile:
    """The whole of ``sources.yaml``."""

    __pydantic_config__: ClassVar = FORBID_EXTRA

    site: SiteConfig
    output: Text = "output"
    state: Text = "state/feeds.sqlite"
    feed_size: Annotated[Integer, above(0)] = 50
    lock_timeout: Annotated[Number, at_least(0)] = 30.0
    http: HttpSettings = field(default_factory=HttpSettings)
    websub: WebsubConfig = field(default_factory=WebsubConfig)
    profile: ProfileOverrides = field(default_factory=ProfileOverrides)
    sections: Annotated[list[SectionConfig], _some("a non-empty list of sections")]
    sources: list[Annotated[SourceConfig, Tagged("type")]]


@dataclass(frozen=True)
class Config:
    """A validated configuration with its paths resolved."""

    path: Path
    site: Site
    output: Path
    state: Path
    feed_size: int
    sections: tuple[Section, ...]
    sources: tuple[DumpSourceConfig | HtmlSourceConfig | FeedSourceConfig, ...]
    http: HttpSettings = field(default_factory=HttpSettings)
    lock_timeout: float = 30.0
    websub_hub: str | None = None
    #: Overrides merged onto the packaged site profile: {"dump": {...}, "html": {...}}.
    profile: Mapping[str, Any] = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        return self.path.parent

    @property
    def lock_path(self) -> Path:
        """The lock file that keeps refreshes (and hide, publish) from overlapping."""
        return self.state.with_name(self.state.name + ".lock")

    @property
    def where(self) -> str:
        """The config file as messages name it."""
        return display_path(self.path)

    @property
    def source_urls(self) -> list[str]:
        """The URLs the sources name: their origins are the ones feeds may contact."""
        return [url for source in self.sources if (url := getattr(source, "url", None))]

    def resolve(self, relative: str) -> Path:
        """A path of the config, relative to its folder."""
        return self.folder / relative

    def places(self) -> tuple[str, ...]:
        """The places this config writes to and reads from, every link resolved: what
        ``_check_places`` judged when the config was validated."""
        read = [
            place
            for source in self.sources
            for _, _, place in _source_paths(dataclasses.asdict(source))
        ]
        return tuple(
            str(_place(self.folder, str(place))) for place in (self.output, self.state, *read)
        )


def display_path(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def load_config(path: str | Path) -> Config:
    """Read and validate a config file; raise ConfigError listing every problem.

    A config validated before, with the same bytes and the same places on disk, comes
    from the cache without being validated again."""
    config_path = Path(path)
    where = str(path)
    try:
        raw = config_path.read_bytes()
    except FileNotFoundError:
        raise ConfigError([f"{where}: config file not found"]) from None
    except OSError as exc:
        raise ConfigError([f"{where}: cannot read config: {exc.strerror or exc}"]) from None
    resolved = config_path.resolve()
    name = os.fsencode(resolved)
    match cache.load(cache.CONFIGS, name, raw):
        # Kept with the places it had: the checks of ``_check_places`` hold for those.
        case (Config() as cached, tuple() as places) if cached.places() == places:
            return cached
    config = _validate(raw, resolved, where)
    cache.store(cache.CONFIGS, name, raw, (config, config.places()))
    return config


def _validate(raw: bytes, resolved: Path, where: str) -> Config:
    from feeds.schema import Problems, validate
    from feeds.yamlfile import read_yaml

    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{where}: cannot read config: not UTF-8 ({exc.reason})"]) from None
    located = read_yaml(text, display_path(resolved))
    if located.data is None:
        raise ConfigError([f"{located.where}: the config is empty"])
    problems = Problems(located)
    if not isinstance(located.data, dict):
        problems.add((), "expected a mapping of settings")
        problems.raise_if_any()
    parsed: ConfigFile | None = validate(ConfigFile, located, problems)
    _check_references(located.data, problems)
    folder = resolved.parent
    _check_places(located.data, folder, problems)
    problems.raise_if_any()
    assert parsed is not None
    return Config(
        path=resolved,
        site=_site(parsed.site),
        output=folder / parsed.output,
        state=folder / parsed.state,
        feed_size=parsed.feed_size,
        sections=tuple(s.section() for s in parsed.sections),
        sources=tuple(parsed.sources),
        http=parsed.http,
        lock_timeout=parsed.lock_timeout,
        websub_hub=parsed.websub.hub,
        profile=dataclasses.asdict(parsed.profile),
    )


def _site(site: SiteConfig) -> Site:
    public_url = site.public_url if site.public_url.endswith("/") else site.public_url + "/"
    return Site(
        title=site.title,
        url=site.url,
        public_url=public_url,
        language=site.language,
        timezone=site.timezone,
        id_authority=site.id_authority,
    )


def _check_references(data: dict[str, Any], problems: Problems) -> None:
    """What no single key can check: names are unique and references resolve.

    Read from the raw data, so these problems are reported with all the others."""
    sections = _items(data, "sections")
    seen: set[str] = set()
    for i, section in sections:
        section_id = section.get("id")
        if isinstance(section_id, str):
            if section_id in seen:
                problems.add(("sections", i, "id"), f"duplicate section id {section_id!r}")
            seen.add(section_id)
        if section.get("topical") is True and not section.get("match"):
            problems.add(("sections", i, "topical"), "a topical section needs match rules")
    if sum(s.get("default") is True for _, s in sections) > 1:
        problems.add_trailing(("sections",), "more than one section has default: true")
    names: set[str] = set()
    for i, item in _items(data, "sources"):
        name, wanted = item.get("name"), item.get("section")
        if isinstance(name, str):
            if name in names:
                problems.add(("sources", i, "name"), f"duplicate source name {name!r}")
            names.add(name)
        if isinstance(wanted, str) and wanted not in seen:
            problems.add(("sources", i, "section"), f"no section with id {wanted!r}")


_GLOB = re.compile(r"[*?[]")


def _check_places(data: dict[str, Any], folder: Path, problems: Problems) -> None:
    """``output`` must be a folder of its own: feeds writes (and replaces) files there, and
    ``feeds serve`` shows everything in it.  So it may not be the filesystem root, hold the
    config, hold the state or its lock, or hold files the sources read."""
    output_value = data.get("output", "output")
    state_value = data.get("state", "state/feeds.sqlite")
    if not isinstance(output_value, str):
        return
    output = _place(folder, output_value)
    what = f"output {output_value!r} ({output})"
    if output == Path(output.anchor):
        problems.add(("output",), f"{what} is the filesystem root: name a folder of its own")
        return
    if within(folder, output):
        problems.add(
            ("output",),
            f"{what} holds the config folder: name a folder of its own, such as 'output'",
        )
        return
    if isinstance(state_value, str):
        state = _place(folder, state_value)
        if within(state, output):
            # The lock file sits beside the state, so this covers both.
            problems.add(
                ("state",) if "state" in data else ("output",),
                f"state {state_value!r} and its lock file would be inside output "
                f"{output_value!r}, where anyone reading the output could download them: "
                "keep the state outside the output folder",
            )
    for i, item in _items(data, "sources"):
        for key, value, place in _source_paths(item):
            if within(_place(folder, place), output):
                problems.add(
                    ("sources", i, *key),
                    f"{value!r} reads from inside output {output_value!r}: feeds writes "
                    "and removes files there, so keep sources in another folder",
                )


def _source_paths(item: dict[str, Any]) -> list[tuple[tuple[str | int, ...], str, str]]:
    """``(key path, value, place)`` of each place a source reads: the folder part of each
    dump glob (up to its first wildcard), a feed's file."""
    found: list[tuple[tuple[str | int, ...], str, str]] = []
    paths = item.get("paths")
    if item.get("type") == "dump" and isinstance(paths, list):
        for j, pattern in enumerate(paths):
            if isinstance(pattern, str) and pattern:
                parts = Path(pattern).parts
                fixed = list(itertools.takewhile(lambda p: not _GLOB.search(p), parts))
                found.append((("paths", j), pattern, str(Path(*fixed)) if fixed else "."))
    path = item.get("path")
    if item.get("type") == "feed" and isinstance(path, str) and path:
        found.append((("path",), path, path))
    return found


def _place(folder: Path, value: str) -> Path:
    """Where a configured path points, links and ``..`` resolved."""
    try:
        return (folder / value).resolve()
    except (OSError, RuntimeError, ValueError):
        return Path(os.path.normpath(folder / value))


def within(path: Path, folder: Path) -> bool:
    """True when ``path`` is ``folder`` or below it (both resolved)."""
    return path == folder or folder in path.parents


def _items(data: dict[str, Any], key: str) -> list[tuple[int, dict[str, Any]]]:
    value = data.get(key)
    if not isinstance(value, list):
        return []
    return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)]
