"""Validated configs and profiles kept between runs: used only while nothing they depend
on changed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from feeds import cache
from feeds.config import load_config
from feeds.errors import ConfigError
from feeds.profile import profile_for
from tests.conftest import REPO, SAMPLES
from tests.test_config import MINIMAL, write

# Loads the config (and, asked for page_param, its profile) in a fresh interpreter and
# says which of the heavy modules it needed.
_PROBE = """\
import json, sys
from feeds.config import load_config
config = load_config(sys.argv[1])
if sys.argv[2] == "output":
    value = str(config.output)
else:
    from feeds.profile import profile_for
    value = profile_for(config).html.listing.page_param
print(json.dumps({
    sys.argv[2]: value,
    "modules": sorted(m for m in ("pydantic", "pydantic_core", "yaml") if m in sys.modules),
}))
"""


def probe(config: Path, what: str = "output") -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, str(config), what],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    )
    found: dict[str, object] = json.loads(result.stdout)
    return found


def entries(kind: str = "config") -> list[Path]:
    folder = cache.folder()
    assert folder is not None
    return sorted(folder.glob(f"{kind}-*.pickle")) if folder.is_dir() else []


def test_an_unchanged_config_is_not_validated_again(tmp_path: Path) -> None:
    config = write(tmp_path, MINIMAL)
    first = probe(config)
    assert first == {
        "output": str(tmp_path / "output"),
        "modules": ["pydantic", "pydantic_core", "yaml"],
    }
    second = probe(config)
    assert second == {"output": str(tmp_path / "output"), "modules": []}
    # Edited: validated (and kept) again, with the new value.
    config.write_text(MINIMAL + "output: public\n", encoding="utf-8")
    assert probe(config) == {
        "output": str(tmp_path / "public"),
        "modules": ["pydantic", "pydantic_core", "yaml"],
    }
    assert probe(config)["modules"] == []


def test_the_same_bytes_elsewhere_are_another_config(tmp_path: Path) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    one, two = write(tmp_path / "one", MINIMAL), write(tmp_path / "two", MINIMAL)
    assert load_config(one).output == tmp_path / "one" / "output"
    assert load_config(two).output == tmp_path / "two" / "output"
    assert load_config(one).output == tmp_path / "one" / "output"


def test_an_invalid_config_is_never_kept(tmp_path: Path) -> None:
    before = entries()
    config = write(tmp_path, MINIMAL.replace("title: CSTO news", "title: 7"))
    for _ in range(2):
        with pytest.raises(
            ConfigError, match=r"sections\[0\]\.title: expected a string, got an integer"
        ):
            load_config(config)
    assert entries() == before


def test_a_moved_output_folder_is_checked_again(tmp_path: Path) -> None:
    config = write(tmp_path, MINIMAL + "output: site\n")
    assert load_config(config).output == tmp_path / "site"
    # Same bytes, but "site" now leads to the config's own folder: refused, not cached.
    (tmp_path / "site").symlink_to(tmp_path)
    with pytest.raises(ConfigError, match="holds the config folder"):
        load_config(config)


def test_an_entry_others_may_write_or_a_damaged_one_is_ignored(tmp_path: Path) -> None:
    config = write(tmp_path, MINIMAL)
    name, raw = os.fsencode(config.resolve()), config.read_bytes()
    load_config(config)
    entry = cache.entry_path(cache.CONFIGS, name)
    assert entry is not None and entry.is_file()
    os.chmod(entry, 0o620)
    assert cache.load(cache.CONFIGS, name, raw) is None
    assert load_config(config).output == tmp_path / "output"  # validated, and kept anew
    assert cache.load(cache.CONFIGS, name, raw) is not None
    entry.write_bytes(b"not a pickle")
    assert cache.load(cache.CONFIGS, name, raw) is None
    assert load_config(config).output == tmp_path / "output"


def test_without_a_cache_folder_every_load_validates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.delenv("HOME", raising=False)
    assert cache.folder() is None
    config = write(tmp_path, MINIMAL)
    assert load_config(config).output == tmp_path / "output"
    assert load_config(config).output == tmp_path / "output"


def imported(config: Path) -> set[str]:
    """The top-level packages a ``feeds refresh`` run imports."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "feeds", "refresh", "-c", str(config)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith("import time:")]
    return {ln.rsplit("|", 1)[1].strip().split(".")[0] for ln in lines}


def test_a_run_with_nothing_new_imports_no_validation_or_rendering(
    make_project: Callable[..., Path],
) -> None:
    config = make_project()
    assert {"pydantic", "yaml", "jinja2", "feedgen"} <= imported(config)
    assert imported(config).isdisjoint(
        {"pydantic", "pydantic_core", "yaml", "jinja2", "feedgen", "lxml"}
    )


def test_another_version_of_feeds_validates_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write(tmp_path, MINIMAL)
    name, raw = os.fsencode(config.resolve()), config.read_bytes()
    load_config(config)
    assert cache.load(cache.CONFIGS, name, raw) is not None
    monkeypatch.setattr(cache, "__version__", "0.0.0-other")
    assert cache.load(cache.CONFIGS, name, raw) is None


def test_an_unchanged_profile_is_not_validated_again(tmp_path: Path) -> None:
    overridden = MINIMAL + "profile:\n  html:\n    listing:\n      page_param: page\n"
    before = entries("profile")
    config = write(tmp_path, overridden)
    validated = ["pydantic", "pydantic_core", "yaml"]
    assert probe(config, "page_param") == {"page_param": "page", "modules": validated}
    assert probe(config, "page_param") == {"page_param": "page", "modules": []}
    # Other overrides are another profile, validated once too.
    config.write_text(overridden.replace("page_param: page", "page_param: p"), encoding="utf-8")
    assert probe(config, "page_param") == {"page_param": "p", "modules": validated}
    assert probe(config, "page_param") == {"page_param": "p", "modules": []}
    assert len(entries("profile")) == len(before) + 2


def test_a_profile_with_problems_is_never_kept(tmp_path: Path) -> None:
    before = entries("profile")
    config = write(tmp_path, MINIMAL + "profile:\n  dump:\n    navigatoin: []\n")
    for _ in range(2):
        with pytest.raises(ConfigError, match=r"profile\.dump\.navigatoin: unknown key"):
            profile_for(load_config(config))
    assert entries("profile") == before


def test_an_entry_is_stale_once_a_defining_file_changes(tmp_path: Path) -> None:
    defining = tmp_path / "rules.yaml"
    defining.write_text("a: 1\n", encoding="utf-8")
    shelf = cache.Shelf("test", (str(defining),))
    cache.store(shelf, b"name", b"raw", "value")
    assert cache.load(shelf, b"name", b"raw") == "value"
    assert cache.load(shelf, b"name", b"other raw") is None
    defining.write_text("a: 22\n", encoding="utf-8")
    assert cache.load(shelf, b"name", b"raw") is None


def test_a_refresh_with_one_new_dump_imports_no_validation(
    make_project: Callable[..., Path],
) -> None:
    config = make_project(dumps=["001", "002"])
    assert {"pydantic", "yaml"} <= imported(config)
    new = next(SAMPLES.glob("003_*.txt"))
    shutil.copy2(new, config.parent / "dumps" / new.name)
    modules = imported(config)
    # It parses, stores and publishes the new release: no schema is validated again.
    assert {"lxml", "jinja2", "feedgen", "msgspec"} <= modules
    assert modules & {"pydantic", "pydantic_core", "yaml"} == set()


def test_compiled_templates_go_to_a_folder_of_this_user_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    folder = cache.private_folder("templates")
    assert folder == tmp_path / "feeds" / "templates"
    assert folder.stat().st_mode & 0o777 == 0o700
    # A folder others may write could hand this process code to run: not used.
    os.chmod(folder, 0o770)
    assert cache.private_folder("templates") is None
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.delenv("HOME", raising=False)
    assert cache.private_folder("templates") is None
