"""``sources.yaml``: its schema, and the :class:`Config` a run works with.

Paths are relative to the config file's folder.  Every problem is reported with its
line (see :mod:`feeds.schema`).
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from feeds.errors import ConfigError
from feeds.model import Section, Site
from feeds.schema import Encoding, Problems, Regex, Schema, TimeZone, WebUrl, validate
from feeds.yamlfile import read_yaml

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


class SiteConfig(Schema):
    title: str = "Releases"
    url: WebUrl
    public_url: WebUrl
    language: str = "en"
    timezone: TimeZone = "Europe/Moscow"
    id_authority: Annotated[str, AfterValidator(_authority)] = "feeds"


class HttpSettings(Schema):
    """How feeds fetches pages (``http:``); the one settings type of the HTTP client."""

    user_agent: str = "feeds/0.1 (+https://feeds.example.org/csto/)"
    #: Minimum seconds between the starts of two requests to one host.
    min_delay: float = Field(1.0, ge=0)
    #: Seconds one attempt may take, from connecting to the last byte of the body.
    timeout: float = Field(20.0, gt=0)
    #: Extra attempts after a connection error, a timeout, a 429 or a 5xx.
    retries: int = Field(3, ge=0)
    #: Bodies are cut at this many (decoded) bytes and reported as truncated.
    max_bytes: int = Field(5_000_000, gt=0)
    per_host_concurrency: int = Field(2, gt=0)
    respect_robots: bool = True
    allow_private_addresses: bool = False
    #: Origins (``scheme://host[:port]``) that may be contacted besides those of the
    #: sources, e.g. where the site redirects to.  Any other origin is refused.
    allowed_origins: frozenset[str] = Field(frozenset(), strict=False)
    backoff_base: float = Field(0.5, ge=0)
    backoff_max: float = Field(30.0, ge=0)
    #: A longer Retry-After is shortened to this.
    retry_after_max: float = Field(120.0, ge=0)


class WebsubConfig(Schema):
    hub: WebUrl | None = None


class ProfileOverrides(Schema):
    """Keys of the packaged site profile to replace (checked by :mod:`feeds.profile`)."""

    model_config = Schema.model_config | {"strict": False}

    dump: dict[str, Any] = Field(default_factory=dict)
    html: dict[str, Any] = Field(default_factory=dict)


class SectionConfig(Schema):
    id: Annotated[str, AfterValidator(_section_id)]
    title: str | None = None
    default: bool = False
    url: WebUrl | None = None
    match: list[Regex] = Field(default_factory=list)
    topical: bool = False
    description: str = ""

    @field_validator("topical")
    @classmethod
    def _topical_needs_rules(cls, value: bool, info: ValidationInfo) -> bool:
        if value and not info.data.get("match"):
            raise ValueError("a topical section needs match rules")
        return value

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


class _SourceBase(Schema):
    name: str
    section: str | None = None
    language: str | None = None


class DumpSourceConfig(_SourceBase):
    """``type: dump``: text dumps on disk."""

    type: Literal["dump"]
    #: Glob patterns, relative to the config folder.
    paths: list[str]
    encoding: Encoding = "auto"

    @field_validator("paths")
    @classmethod
    def _some_paths(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("expected at least one glob pattern")
        return value


class HtmlSourceConfig(_SourceBase):
    """``type: html``: a section listing of the live site and its article pages."""

    type: Literal["html"]
    url: WebUrl
    #: How many listing pages to follow.
    pages: int = Field(1, gt=0)
    #: One run in this many reads every listing page; the others stop at the first page
    #: whose items are all known and unchanged.
    full_walk_every: int = Field(24, gt=0)


class FeedSourceConfig(_SourceBase):
    """``type: feed``: an existing RSS or Atom feed, by URL or as a local file."""

    type: Literal["feed"]
    url: WebUrl | None = None
    path: str | None = None

    @model_validator(mode="after")
    def _url_or_path(self) -> FeedSourceConfig:
        if self.url is None and self.path is None:
            raise ValueError("a feed source needs url: or path:")
        if self.url is not None and self.path is not None:
            raise ValueError("a feed source takes url: or path:, not both")
        return self


SourceConfig = Annotated[
    DumpSourceConfig | HtmlSourceConfig | FeedSourceConfig, Field(discriminator="type")
]


class ConfigFile(Schema):
    """The whole of ``sources.yaml``."""

    site: SiteConfig
    output: str = "output"
    state: str = "state/feeds.sqlite"
    feed_size: int = Field(50, gt=0)
    lock_timeout: float = Field(30.0, ge=0)
    http: HttpSettings = HttpSettings()
    websub: WebsubConfig = WebsubConfig()
    profile: ProfileOverrides = ProfileOverrides()
    sections: list[SectionConfig]
    sources: list[SourceConfig]

    @field_validator("sections")
    @classmethod
    def _some_sections(cls, value: list[SectionConfig]) -> list[SectionConfig]:
        if not value:
            raise ValueError("expected a non-empty list of sections")
        return value


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


def display_path(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def load_config(path: str | Path) -> Config:
    """Read and validate a config file; raise ConfigError listing every problem."""
    config_path = Path(path)
    where = str(path)
    try:
        raw = config_path.read_bytes()
    except FileNotFoundError:
        raise ConfigError([f"{where}: config file not found"]) from None
    except OSError as exc:
        raise ConfigError([f"{where}: cannot read config: {exc.strerror or exc}"]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{where}: cannot read config: not UTF-8 ({exc.reason})"]) from None
    resolved = config_path.resolve()
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
        profile=parsed.profile.model_dump(),
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
