"""Deciding whether two sightings describe the same release.

Pure functions over normalised text keys (see :func:`feeds.parsing.text.paragraph_key`);
the store calls them with the candidates it holds.  The thresholds are deliberate and
tested: a teaser may be a prefix of the article's lead (or the other way round) or a
lightly edited copy of it, but two different releases that merely share a phrase must
stay apart.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher

from feeds.model import ReleaseKind
from feeds.textindex import ShingleIndex

#: Texts shorter than this (in characters of key) only match when equal.
MIN_FUZZY_LENGTH = 40
#: SequenceMatcher ratio above which two leads are the same text, lightly edited.
TEXT_SIMILARITY = 0.9
#: Word-overlap prefilter, cheap enough to run against every stored release.
WORD_OVERLAP = 0.5
#: How far apart two dates may be for releases that match by text only (a teaser's
#: "On 7 February" names the event; the article may be dated the next day).
DATE_TOLERANCE = dt.timedelta(days=7)


def similar_text(a: str, b: str) -> bool:
    """True when one key is the other, a prefix of it, or a light edit of either."""
    if not a or not b:
        return False
    if a == b:
        return True
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) < MIN_FUZZY_LENGTH:
        return False
    # Compare the shorter text with the same stretch of the longer one, so that a teaser
    # cut after its first sentences still matches the whole lead.
    window = long[: len(short) + len(short) // 10]
    if _word_overlap(short, window) < WORD_OVERLAP:
        return False
    return SequenceMatcher(None, short, window, autojunk=False).ratio() >= TEXT_SIMILARITY


def similar_title(a: str, b: str) -> float:
    if not a or not b:
        return 0.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def _word_overlap(a: str, b: str) -> float:
    wa, wb = set(a.split()), set(b.split())
    if not wa or not wb:
        return 0.0
    return len(wa & wb) / min(len(wa), len(wb))


def dates_compatible(a: dt.date | None, b: dt.date | None, *, exact: bool) -> bool:
    """Unknown dates never conflict; known ones must be equal (or close, when not exact)."""
    if a is None or b is None:
        return True
    if exact:
        return a == b
    return abs(a - b) <= DATE_TOLERANCE


def mint_id(authority: str, seen: dt.date, key: str, attempt: int = 0) -> str:
    """A tag URI (RFC 4151) for a new release: minted once, stored, never recomputed."""
    digest = hashlib.sha256(f"{key}\n{attempt}".encode()).hexdigest()[:16]
    return f"tag:{authority},{seen.isoformat()}:release/{digest}"


_TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        [
            "a",
            "b",
            "v",
            "g",
            "d",
            "e",
            "e",
            "zh",
            "z",
            "i",
            "y",
            "k",
            "l",
            "m",
            "n",
            "o",
            "p",
            "r",
            "s",
            "t",
            "u",
            "f",
            "kh",
            "ts",
            "ch",
            "sh",
            "shch",
            "-",
            "y",
            "-",
            "e",
            "yu",
            "ya",
        ],
        strict=True,
    )
)


def slugify(text: str, limit: int = 60) -> str:
    """A readable ASCII slug for release page names (Cyrillic transliterated)."""
    out: list[str] = []
    for char in text.lower():
        if char in _TRANSLIT:
            out.append(_TRANSLIT[char].strip("-"))
        else:
            out.append(char)
    ascii_text = unicodedata.normalize("NFKD", "".join(out)).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    if len(slug) > limit:
        slug = slug[:limit].rsplit("-", 1)[0]
    return slug or "release"


@dataclass
class MatchKey:
    """What matching needs to know about one stored entry."""

    id: str
    seq: int
    kind: ReleaseKind
    url: str | None
    title_key: str
    lead_key: str
    text_key: str
    date: dt.date | None


class MatchIndex:
    """Stored entries indexed for matching: exact maps by URL, title and text, and a
    shingle index that narrows fuzzy text comparison to likely twins.

    Lookups return keys in storage order, so ties go to the entry stored first.
    """

    def __init__(self) -> None:
        self.keys: dict[str, MatchKey] = {}
        self._by_url: defaultdict[str, set[str]] = defaultdict(set)
        self._by_title: defaultdict[str, set[str]] = defaultdict(set)
        self._by_text: defaultdict[str, set[str]] = defaultdict(set)
        self._shingles = ShingleIndex()

    def put(self, key: MatchKey) -> None:
        self.remove(key.id)
        self.keys[key.id] = key
        if key.url:
            self._by_url[key.url].add(key.id)
        if key.title_key:
            self._by_title[key.title_key].add(key.id)
        for text in {key.lead_key, key.text_key} - {""}:
            self._by_text[text].add(key.id)
        self._shingles.put(key.id, key.lead_key, key.text_key)

    def remove(self, entry_id: str) -> None:
        old = self.keys.pop(entry_id, None)
        if old is None:
            return
        for table, value in (
            (self._by_url, old.url),
            (self._by_title, old.title_key),
            (self._by_text, old.lead_key),
            (self._by_text, old.text_key),
        ):
            if value and value in table:
                table[value].discard(entry_id)
        self._shingles.remove(entry_id)

    def _ordered(self, ids: Iterable[str]) -> list[MatchKey]:
        return sorted((self.keys[i] for i in set(ids)), key=lambda k: k.seq)

    def by_url(self, url: str) -> list[MatchKey]:
        return self._ordered(self._by_url.get(url, ()))

    def by_title(self, title_key: str) -> list[MatchKey]:
        return self._ordered(self._by_title.get(title_key, ()))

    def by_text(self, *texts: str) -> list[MatchKey]:
        """Keys whose lead or whole text equals one of ``texts``."""
        return self._ordered(i for t in texts if t for i in self._by_text.get(t, ()))

    def near(self, *texts: str) -> list[MatchKey]:
        """Keys sharing enough word shingles with one of ``texts`` to be worth comparing."""
        return self._ordered(i for t in texts if t for i in self._shingles.candidates(t))
