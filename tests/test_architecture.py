"""The stages keep their boundaries, read from the package's own imports and sizes.

Every import counts, also those inside functions: a boundary is about what a stage may
depend on, not about when the import runs.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "feeds"
MAX_MODULE_LINES = 500
MAX_CLASS_LINES = 300

#: stage -> modules it must never import (prefix match on dotted names).
FORBIDDEN = {
    "feeds.sources": ("feeds.store", "feeds.publish", "feeds.ingest", "sqlite3"),
    "feeds.parsing": (
        "feeds.sources",
        "feeds.store",
        "feeds.publish",
        "feeds.ingest",
        "httpx",
        "socket",
        "urllib.request",
        "http.client",
        "sqlite3",
    ),
    "feeds.store": ("feeds.parsing", "feeds.sources", "feeds.publish", "feeds.ingest"),
    "feeds.publish": ("feeds.sources", "feeds.parsing", "feeds.ingest"),
    "feeds.ingest": ("feeds.sources", "feeds.parsing", "feeds.publish", "httpx"),
    "feeds.text": ("feeds.sources", "feeds.store", "feeds.publish", "feeds.parsing", "httpx"),
    "feeds.profile": ("feeds.sources", "feeds.store", "feeds.publish", "httpx"),
    "feeds.serve": ("feeds.sources", "feeds.parsing", "feeds.store", "feeds.ingest"),
}
#: Third-party libraries only one stage may use.
ONLY_UNDER = {"httpx": "feeds.sources", "feedgen": "feeds.publish", "jinja2": "feeds.publish"}


def modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, path


def imports(name: str, path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


@pytest.mark.parametrize(("name", "path"), list(modules()), ids=lambda v: str(v))
def test_module_keeps_its_stage_boundaries(name: str, path: Path) -> None:
    used = imports(name, path)
    for stage, forbidden in FORBIDDEN.items():
        if _under(name, stage):
            wrong = sorted(u for u in used for f in forbidden if _under(u, f))
            assert wrong == [], f"{name} imports {wrong}"
    for library, home in ONLY_UNDER.items():
        if not _under(name, home):
            wrong = sorted(u for u in used if _under(u, library))
            assert wrong == [], f"{name} imports {wrong}: only {home} may"


@pytest.mark.parametrize(("name", "path"), list(modules()), ids=lambda v: str(v))
def test_module_and_class_sizes(name: str, path: Path) -> None:
    text = path.read_text("utf-8")
    assert len(text.splitlines()) <= MAX_MODULE_LINES, f"{name} is over {MAX_MODULE_LINES} lines"
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ClassDef):
            size = (node.end_lineno or node.lineno) - node.lineno + 1
            assert size <= MAX_CLASS_LINES, f"{name}.{node.name} is {size} lines"


def test_the_checks_see_the_imports() -> None:
    """The import reader finds absolute, relative and function-level imports."""
    refresh = PACKAGE / "refresh.py"
    found = imports("feeds.refresh", refresh)
    assert "feeds.sources.http" in found  # imported inside a function
    assert "feeds.publish.build" in found
