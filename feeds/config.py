"""Loading and validating ``sources.yaml``.

Every problem is collected (not just the first) and reported as
``<file>:<line>: <key path>: <what is wrong>`` so a typo is found in one go.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from feeds.errors import ConfigError
from feeds.model import Section, Site

RESERVED_SECTION_IDS = frozenset({"all", "releases"})
SECTION_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SOURCE_TYPES = ("dump", "html", "feed")


@dataclass(frozen=True)
class HttpConfig:
    user_agent: str = "feeds/0.1 (+https://feeds.example.org/csto/)"
    min_delay: float = 1.0
    timeout: float = 20.0
    retries: int = 3
    max_bytes: int = 5_000_000
    per_host_concurrency: int = 2
    allow_private_addresses: bool = False
    respect_robots: bool = True


@dataclass(frozen=True)
class SourceConfig:
    name: str
    type: str
    section: str | None = None
    #: dump: glob patterns, relative to the config folder.
    paths: tuple[str, ...] = ()
    encoding: str = "auto"
    #: html: a listing URL; feed: a feed URL.
    url: str | None = None
    #: html: how many listing pages to follow.
    pages: int = 1
    #: feed: a local feed file.
    path: Path | None = None
    language: str | None = None


@dataclass(frozen=True)
class Config:
    path: Path
    site: Site
    output: Path
    state: Path
    feed_size: int
    sections: tuple[Section, ...]
    sources: tuple[SourceConfig, ...]
    http: HttpConfig = HttpConfig()
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
    def allowed_hosts(self) -> frozenset[str]:
        """Hosts the configuration names; no other host is ever contacted."""
        hosts = set()
        for source in self.sources:
            if source.url:
                host = urlsplit(source.url).hostname
                if host:
                    hosts.add(host.lower())
        return frozenset(hosts)


# --- YAML with line numbers -------------------------------------------------------------

Located = dict[tuple[str | int, ...], int]


def _compose(text: str, where: str) -> tuple[Any, Located]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([f"{where}{line}: invalid YAML: {problem}"]) from exc
    lines: Located = {}
    if node is None:
        return None, lines
    return _to_python(node, (), lines), lines


def _to_python(node: yaml.Node, path: tuple[str | int, ...], lines: Located) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            # A key that is itself a mapping or list (e.g. from stray braces) is reported
            # as an unknown key under a readable name, not as a dump of YAML nodes.
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "{...}"
            lines[(*path, key)] = key_node.start_mark.line + 1
            result[key] = _to_python(value_node, (*path, key), lines)
            lines[(*path, key)] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(item, (*path, i), lines) for i, item in enumerate(node.value)]
    return yaml.SafeLoader("").construct_object(node, deep=True)


class _Checker:
    """Collects problems with their locations while reading the raw mapping."""

    def __init__(self, where: str, lines: Located) -> None:
        self.where = where
        self.lines = lines
        self.problems: list[str] = []

    def problem(self, path: tuple[str | int, ...], message: str) -> None:
        probe = path
        while probe and probe not in self.lines:
            probe = probe[:-1]
        line = self.lines.get(probe)
        location = f"{self.where}:{line}" if line else self.where
        dotted = _dotted(path)
        self.problems.append(f"{location}: {dotted + ': ' if dotted else ''}{message}")

    def mapping(
        self, value: Any, path: tuple[str | int, ...], allowed: tuple[str, ...]
    ) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem(path, f"expected a mapping, got {_kind(value)}")
            return {}
        for key in value:
            if key not in allowed:
                hint = _closest(key, allowed)
                self.problem(
                    (*path, key), "unknown key" + (f" (did you mean {hint!r}?)" if hint else "")
                )
        return value

    def get(
        self,
        data: Mapping[str, Any],
        path: tuple[str | int, ...],
        key: str,
        kind: type | tuple[type, ...],
        default: Any = None,
        *,
        required: bool = False,
        check: Callable[[Any], str | None] | None = None,
    ) -> Any:
        if key not in data or data[key] is None:
            if required:
                self.problem((*path, key) if path else (key,), "required key is missing")
            return default
        value = data[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        # YAML booleans are ints in Python; keep them apart.
        if isinstance(value, bool) and bool not in kinds:
            ok = False
        elif float in kinds and isinstance(value, int) and not isinstance(value, bool):
            ok = True
            value = float(value)
        else:
            ok = isinstance(value, kinds)
        if not ok:
            names = " or ".join(_type_name(k) for k in kinds)
            self.problem((*path, key), f"expected {names}, got {_kind(value)}")
            return default
        if check is not None:
            message = check(value)
            if message:
                self.problem((*path, key), message)
                return default
        return value


def _dotted(path: tuple[str | int, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return _type_name(type(value))


def _type_name(kind: type) -> str:
    return {
        str: "a string",
        int: "an integer",
        float: "a number",
        bool: "true/false",
        list: "a list",
        dict: "a mapping",
    }.get(kind, kind.__name__)


def _closest(key: str, allowed: tuple[str, ...]) -> str | None:
    import difflib

    found = difflib.get_close_matches(key, allowed, n=1, cutoff=0.75)
    return found[0] if found else None


def _http_url(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "expected an absolute http(s) URL"
    return None


def _positive(value: float) -> str | None:
    return None if value > 0 else "must be greater than 0"


def _not_negative(value: float) -> str | None:
    return None if value >= 0 else "must not be negative"


def _timezone(value: str) -> str | None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {value!r}"
    return None


def _encoding(value: str) -> str | None:
    if value == "auto":
        return None
    import codecs

    try:
        codecs.lookup(value)
    except LookupError:
        return f"unknown encoding {value!r}"
    return None


def _regex(value: str) -> str | None:
    try:
        re.compile(value)
    except re.error as exc:
        return f"invalid regular expression: {exc}"
    return None


# --- the schema -----------------------------------------------------------------------

TOP_KEYS = (
    "site",
    "output",
    "state",
    "feed_size",
    "lock_timeout",
    "http",
    "websub",
    "profile",
    "sections",
    "sources",
)
SITE_KEYS = ("title", "url", "public_url", "language", "timezone", "id_authority")
HTTP_KEYS = (
    "user_agent",
    "min_delay",
    "timeout",
    "retries",
    "max_bytes",
    "per_host_concurrency",
    "allow_private_addresses",
    "respect_robots",
)
SECTION_KEYS = ("id", "title", "default", "url", "match", "topical", "description")
SOURCE_KEYS: dict[str, tuple[str, ...]] = {
    "dump": ("name", "type", "section", "paths", "encoding", "language"),
    "html": ("name", "type", "section", "url", "pages", "language"),
    "feed": ("name", "type", "section", "url", "path", "language"),
}


def load_config(path: str | Path) -> Config:
    """Read and validate a config file; raise ConfigError listing every problem."""
    config_path = Path(path)
    where = str(path)
    try:
        text = config_path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError([f"{where}: config file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{where}: cannot read config: {exc}"]) from None
    raw, lines = _compose(text, where)
    return parse_config(raw, lines, config_path.resolve())


def parse_config(raw: Any, lines: Located, config_path: Path) -> Config:
    where = str(config_path) if not lines else display_path(config_path)
    c = _Checker(where, lines)
    if raw is None:
        raise ConfigError([f"{where}: the config is empty"])
    top = c.mapping(raw, (), TOP_KEYS)
    folder = config_path.parent

    site = _parse_site(c, top)
    output = folder / c.get(top, (), "output", str, "output")
    state = folder / c.get(top, (), "state", str, "state/feeds.sqlite")
    feed_size = c.get(top, (), "feed_size", int, 50, check=_positive)
    lock_timeout = c.get(top, (), "lock_timeout", float, 30.0, check=_not_negative)
    http = _parse_http(c, top)
    websub = c.mapping(top.get("websub"), ("websub",), ("hub",))
    hub = c.get(websub, ("websub",), "hub", str, None, check=_http_url)
    profile = c.mapping(top.get("profile"), ("profile",), ("dump", "html"))
    sections = _parse_sections(c, top)
    sources = _parse_sources(c, top, folder, {s.id for s in sections})

    if c.problems:
        raise ConfigError(c.problems)
    return Config(
        path=config_path,
        site=site,
        output=output,
        state=state,
        feed_size=feed_size,
        sections=tuple(sections),
        sources=tuple(sources),
        http=http,
        lock_timeout=lock_timeout,
        websub_hub=hub,
        profile=profile,
    )


def display_path(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _parse_site(c: _Checker, top: Mapping[str, Any]) -> Site:
    path = ("site",)
    if "site" not in top:
        c.problem(path, "required key is missing")
    data = c.mapping(top.get("site"), path, SITE_KEYS)
    title = c.get(data, path, "title", str, "Releases")
    url = c.get(data, path, "url", str, "https://example.invalid/", required=True, check=_http_url)
    public_url = c.get(
        data, path, "public_url", str, "http://localhost:8080/", required=True, check=_http_url
    )
    if not public_url.endswith("/"):
        public_url += "/"
    language = c.get(data, path, "language", str, "en")
    timezone = c.get(data, path, "timezone", str, "Europe/Moscow", check=_timezone)
    authority = c.get(
        data,
        path,
        "id_authority",
        str,
        "feeds",
        check=lambda v: (
            None
            if re.fullmatch(r"[a-z0-9]+(?:[.-][a-z0-9]+)*", v)
            else "must be a lowercase domain-like name (letters, digits, dots, dashes)"
        ),
    )
    return Site(
        title=title,
        url=url,
        public_url=public_url,
        language=language,
        timezone=timezone,
        id_authority=authority,
    )


def _parse_http(c: _Checker, top: Mapping[str, Any]) -> HttpConfig:
    path = ("http",)
    data = c.mapping(top.get("http"), path, HTTP_KEYS)
    d = HttpConfig()
    return HttpConfig(
        user_agent=c.get(data, path, "user_agent", str, d.user_agent),
        min_delay=c.get(data, path, "min_delay", float, d.min_delay, check=_not_negative),
        timeout=c.get(data, path, "timeout", float, d.timeout, check=_positive),
        retries=c.get(data, path, "retries", int, d.retries, check=_not_negative),
        max_bytes=c.get(data, path, "max_bytes", int, d.max_bytes, check=_positive),
        per_host_concurrency=c.get(
            data, path, "per_host_concurrency", int, d.per_host_concurrency, check=_positive
        ),
        allow_private_addresses=c.get(
            data, path, "allow_private_addresses", bool, d.allow_private_addresses
        ),
        respect_robots=c.get(data, path, "respect_robots", bool, d.respect_robots),
    )


def _parse_sections(c: _Checker, top: Mapping[str, Any]) -> list[Section]:
    raw = top.get("sections")
    if raw is None:
        c.problem(("sections",), "required key is missing (at least one section)")
        return []
    if not isinstance(raw, list) or not raw:
        c.problem(("sections",), "expected a non-empty list of sections")
        return []
    sections: list[Section] = []
    seen: set[str] = set()
    defaults = 0
    for i, item in enumerate(raw):
        path: tuple[str | int, ...] = ("sections", i)
        data = c.mapping(item, path, SECTION_KEYS)
        if not data:
            continue
        section_id = c.get(data, path, "id", str, None, required=True)
        if section_id is not None:
            if not SECTION_ID.match(section_id):
                c.problem((*path, "id"), f"{section_id!r} is not a lowercase slug (a-z, 0-9, -)")
            elif section_id in RESERVED_SECTION_IDS:
                c.problem((*path, "id"), f"{section_id!r} is reserved")
            elif section_id in seen:
                c.problem((*path, "id"), f"duplicate section id {section_id!r}")
            seen.add(section_id)
        title = c.get(data, path, "title", str, section_id or "")
        url = c.get(data, path, "url", str, None, check=_http_url)
        match = c.get(data, path, "match", list, [])
        patterns: list[str] = []
        for j, pattern in enumerate(match):
            if not isinstance(pattern, str):
                c.problem((*path, "match", j), f"expected a string, got {_kind(pattern)}")
                continue
            message = _regex(pattern)
            if message:
                c.problem((*path, "match", j), message)
            else:
                patterns.append(pattern)
        default = c.get(data, path, "default", bool, False)
        defaults += bool(default)
        topical = c.get(data, path, "topical", bool, False)
        if topical and not patterns:
            c.problem((*path, "topical"), "a topical section needs match rules")
        sections.append(
            Section(
                id=section_id or f"section-{i}",
                title=title,
                url=url,
                match=tuple(patterns),
                default=default,
                topical=topical,
                description=c.get(data, path, "description", str, ""),
            )
        )
    if defaults > 1:
        c.problem(("sections",), "more than one section has default: true")
    return sections


def _parse_sources(
    c: _Checker, top: Mapping[str, Any], folder: Path, section_ids: set[str]
) -> list[SourceConfig]:
    raw = top.get("sources")
    if raw is None:
        c.problem(("sources",), "required key is missing")
        return []
    if not isinstance(raw, list):
        c.problem(("sources",), "expected a list of sources")
        return []
    sources: list[SourceConfig] = []
    names: set[str] = set()
    for i, item in enumerate(raw):
        path: tuple[str | int, ...] = ("sources", i)
        if not isinstance(item, dict):
            c.problem(path, f"expected a mapping, got {_kind(item)}")
            continue
        source_type = c.get(item, path, "type", str, None, required=True)
        if source_type is not None and source_type not in SOURCE_TYPES:
            c.problem(
                (*path, "type"), f"unknown source type {source_type!r} (one of: dump, html, feed)"
            )
            source_type = None
        allowed = SOURCE_KEYS.get(
            source_type or "", tuple({k for v in SOURCE_KEYS.values() for k in v})
        )
        data = c.mapping(item, path, allowed)
        name = c.get(data, path, "name", str, None, required=True)
        if name is not None:
            if name in names:
                c.problem((*path, "name"), f"duplicate source name {name!r}")
            names.add(name)
        section = c.get(data, path, "section", str, None)
        if section is not None and section not in section_ids:
            c.problem((*path, "section"), f"no section with id {section!r}")
        language = c.get(data, path, "language", str, None)
        source = SourceConfig(
            name=name or f"source-{i}",
            type=source_type or "dump",
            section=section,
            language=language,
        )
        if source_type == "dump":
            paths = c.get(data, path, "paths", list, [], required=True)
            if not all(isinstance(p, str) for p in paths):
                c.problem((*path, "paths"), "expected a list of glob patterns (strings)")
                paths = []
            elif "paths" in data and not paths:
                c.problem((*path, "paths"), "expected at least one glob pattern")
            encoding = c.get(data, path, "encoding", str, "auto", check=_encoding)
            source = SourceConfig(
                name=source.name,
                type="dump",
                section=section,
                paths=tuple(paths),
                encoding=encoding,
                language=language,
            )
        elif source_type == "html":
            url = c.get(data, path, "url", str, None, required=True, check=_http_url)
            pages = c.get(data, path, "pages", int, 1, check=_positive)
            source = SourceConfig(
                name=source.name,
                type="html",
                section=section,
                url=url,
                pages=pages,
                language=language,
            )
        elif source_type == "feed":
            url = c.get(data, path, "url", str, None, check=_http_url)
            file = c.get(data, path, "path", str, None)
            if data.get("url") is None and data.get("path") is None:
                c.problem(path, "a feed source needs url: or path:")
            elif data.get("url") is not None and data.get("path") is not None:
                c.problem(path, "a feed source takes url: or path:, not both")
            source = SourceConfig(
                name=source.name,
                type="feed",
                section=section,
                url=url,
                path=folder / file if file else None,
                language=language,
            )
        sources.append(source)
    return sources
