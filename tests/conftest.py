"""Shared fixtures: a loopback fixture-site server and configs written to temp folders."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.site_server import site_server  # noqa: F401  (a fixture)

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples" / "dumps"
DATA = Path(__file__).resolve().parent / "data"

BASE_CONFIG = """\
site:
  title: CSTO releases
  url: https://en.odkb-csto.org/
  public_url: https://feeds.example.org/csto/
  timezone: Europe/Moscow
output: output
state: state/feeds.sqlite
feed_size: {feed_size}
lock_timeout: {lock_timeout}
sections:
  - {{id: news, title: CSTO news, default: true, url: "https://en.odkb-csto.org/news/news_odkb/"}}
  - {{id: joint-staff, title: Joint Staff, match: ['\\bJoint Staff\\b']}}
sources:
  - {{name: dumps, type: dump, paths: ["dumps/*.txt"]}}
"""


@pytest.fixture(autouse=True, scope="session")
def config_cache_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Validated configs go to a folder of the test run, never the user's cache (the
    feeds processes tests start inherit it too)."""
    folder = tmp_path_factory.mktemp("xdg-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(folder))
        yield folder


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Path]:
    """A project folder with the sample dumps and a config; returns the config path."""

    def make(
        *,
        dumps: list[str] | None = None,
        feed_size: int = 50,
        lock_timeout: float = 5,
        extra: str = "",
    ) -> Path:
        folder = tmp_path / "dumps"
        folder.mkdir(exist_ok=True)
        for source in sorted(SAMPLES.glob("*.txt")):
            if dumps is None or source.name[:3] in dumps:
                shutil.copy2(source, folder / source.name)
        config = tmp_path / "sources.yaml"
        config.write_text(
            BASE_CONFIG.format(feed_size=feed_size, lock_timeout=lock_timeout)
            + textwrap.dedent(extra),
            encoding="utf-8",
        )
        return config

    return make
