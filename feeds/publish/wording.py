"""What the HTML pages say, in the language of the page (``publish/locales/<lang>.yaml``).

A page is worded in the site's language; a release page in its release's language, so a
mixed configuration labels each page by what it holds.  Languages without a wording file
fall back to English.  The files are read once and kept in the user's cache folder
(:mod:`feeds.cache`), so a run that writes a few pages does not load the YAML reader.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from feeds import cache as kept

FALLBACK = "en"
#: The wording files, read from the package's folder (importlib.resources would load
#: zipfile and threading first: a tenth of the start-up of a run).
LOCALES = Path(__file__).parent / "locales"


class Wording:
    """The sentences and date format of one language."""

    def __init__(self, language: str, texts: dict[str, Any]) -> None:
        self.language = language
        self._texts = texts

    def __call__(self, key: str, **values: object) -> Markup:
        """The sentence ``key``, its ``{placeholders}`` filled (escaped unless Markup)."""
        return Markup(escape(self._texts[key])).format(**values)

    def date(self, day: dt.date) -> str:
        months: list[str] = self._texts["months"]
        return str(self._texts["date"]).format(
            day=day.day, month=months[day.month - 1], year=day.year
        )


@cache
def wording(language: str) -> Wording:
    """The wording of ``language`` (its primary subtag), or English."""
    primary = language.split("-")[0].lower()
    name = f"{primary}.yaml"
    if not (LOCALES / name).is_file():
        primary, name = FALLBACK, f"{FALLBACK}.yaml"
    texts = kept.load(kept.WORDINGS, name.encode(), b"")
    if not isinstance(texts, dict):
        import yaml

        texts = yaml.safe_load((LOCALES / name).read_text("utf-8"))
        kept.store(kept.WORDINGS, name.encode(), b"", texts)
    return Wording(primary, texts)


def languages() -> list[str]:
    """The languages pages can be worded in."""
    return sorted(p.stem for p in LOCALES.glob("*.yaml"))
