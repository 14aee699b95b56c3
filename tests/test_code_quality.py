"""The code base stays ruff-clean, ruff-formatted and `mypy --strict` clean, tests included
(run as part of the suite), and an installed package holds every data file it reads."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHECKED = ["feeds", "tests", "scripts", "bench"]


def _tool(name: str) -> list[str]:
    beside = Path(sys.executable).with_name(name)
    if beside.exists():
        return [str(beside)]
    found = shutil.which(name)
    assert found, f"{name} is not installed (pip install -e '.[test]')"
    return [found]


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)


def test_ruff_is_clean() -> None:
    result = _run(*_tool("ruff"), "check", *CHECKED)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_kept() -> None:
    result = _run(*_tool("ruff"), "format", "--check", *CHECKED)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_is_clean() -> None:
    result = _run(sys.executable, "-m", "mypy", "--strict", *CHECKED)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_data_file_of_the_package_is_installed() -> None:
    # A file the package reads at run time (templates, locales, the site profile) that
    # no package-data pattern names works from a checkout and fails once installed.
    settings = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = settings["tool"]["setuptools"]["package-data"]["feeds"]
    package = REPO / "feeds"
    declared = {p.relative_to(package) for pattern in patterns for p in package.glob(pattern)}
    data = {
        p.relative_to(package)
        for p in package.rglob("*")
        if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts
    }
    assert data - declared == set()
    assert Path("publish/locales/ru.yaml") in declared
