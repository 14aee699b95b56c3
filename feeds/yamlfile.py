"""Reading YAML written by people: plain data, where each key was, and hard limits.

Configs and site profiles are small.  A file far larger than any real config, or one
whose anchors and aliases expand into millions of nodes (a "billion laughs"), is refused
before it can cost minutes or gigabytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from feeds.errors import ConfigError

#: Bytes: a real configuration is a few kilobytes.
MAX_BYTES = 1_000_000
#: Aliases (``*name``) in one document.
MAX_ALIASES = 100
#: Nodes visited while turning the document into data, aliases expanded.
MAX_NODES = 200_000

Path = tuple[str | int, ...]


@dataclass
class Located:
    """Plain data read from YAML, and the line and column of every key and item."""

    data: Any
    where: str
    positions: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def position(self, path: Path) -> tuple[int, int] | None:
        """(line, column) of ``path``, or of its nearest ancestor that has one."""
        probe = path
        while probe and probe not in self.positions:
            probe = probe[:-1]
        return self.positions.get(probe)

    def locate(self, path: Path) -> str:
        """``file:line`` of ``path`` (just the file when nothing is known)."""
        found = self.position(path)
        return f"{self.where}:{found[0]}" if found else self.where


class _CountingLoader(yaml.SafeLoader):
    """A safe loader that stops at too many aliases."""

    aliases = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise yaml.YAMLError(f"more than {MAX_ALIASES} aliases")
        return super().compose_node(parent, index)


def read_yaml(text: str, where: str) -> Located:
    """Parse ``text``; raise ConfigError ("<where>:<line>: invalid YAML: ...") when it is
    not YAML or breaks a limit."""
    if len(text) > MAX_BYTES:
        raise ConfigError(
            [
                f"{where}: {len(text):,} characters is too large for a configuration "
                f"(at most {MAX_BYTES:,})"
            ]
        )
    loader: _CountingLoader | None = None
    try:
        # The reader checks every character as the loader is made.
        loader = _CountingLoader(text)
        node = loader.get_single_node()
    except yaml.reader.ReaderError as exc:
        number = text.count("\n", 0, exc.position) + 1
        raise ConfigError(
            [f"{where}:{number}: invalid YAML: character U+{exc.character:04X} is not allowed"]
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([f"{where}{line}: invalid YAML: {problem}"]) from None
    finally:
        if loader is not None:
            loader.dispose()
    located = Located(None, where)
    if node is not None:
        located.data = _Builder(located.positions, where).build(node, ())
    return located


class _Builder:
    """Turns composed YAML nodes into plain data, recording where each key was, within
    :data:`MAX_NODES` (aliases expanded)."""

    def __init__(self, positions: dict[Path, tuple[int, int]], where: str) -> None:
        self.positions = positions
        self.where = where
        self.budget = MAX_NODES
        # One constructor for every scalar: making one per scalar costs more than the rest.
        self.scalars = yaml.SafeLoader("")

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise ConfigError(
                [f"{self.where}: invalid YAML: aliases expand to more than {MAX_NODES:,} values"]
            )
        self.positions.setdefault(path, (node.start_mark.line + 1, node.start_mark.column))
        if isinstance(node, yaml.MappingNode):
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                # A key that is itself a mapping or list (e.g. from stray braces) is
                # reported as an unknown key under a readable name, not as YAML nodes.
                key = self.key(key_node) if isinstance(key_node, yaml.ScalarNode) else "{...}"
                mark = key_node.start_mark
                self.positions[(*path, key)] = (mark.line + 1, mark.column)
                result[key] = self.build(value_node, (*path, key))
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        return self.scalar(node)

    def key(self, node: yaml.ScalarNode) -> str | int:
        """A mapping key: month numbers stay numbers, anything else is read as text."""
        value = self.scalar(node)
        return value if isinstance(value, int) and not isinstance(value, bool) else str(node.value)

    def scalar(self, node: yaml.Node) -> Any:
        """The value of a scalar; one YAML cannot make (a 13th month, an unknown tag) is
        reported with its line."""
        try:
            return self.scalars.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, OverflowError, TypeError) as exc:
            problem = getattr(exc, "problem", None) or str(exc)
            line = node.start_mark.line + 1
            raise ConfigError(
                [f"{self.where}:{line}: invalid YAML: {node.value!r} cannot be read ({problem})"]
            ) from None


def dotted(path: Path) -> str:
    """``sources[2].url`` for ``("sources", 2, "url")``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
