"""The normalised keys a release is looked up by, and the tests of text similarity.

Keys are :func:`~feeds.text.keys.paragraph_key` forms (case, quotes, dashes, spacing and
punctuation do not count).  Fuzzy matching narrows its candidates with word chunks: a
text is cut into runs of words at boundaries chosen by the words themselves, so an
inserted or changed word disturbs one or two chunks and leaves the others equal, and a
teaser that is the opening of a lead shares the lead's opening chunks.
"""

from __future__ import annotations

import datetime as dt
import zlib
from difflib import SequenceMatcher

from feeds.model import DateOrigin, Release
from feeds.store.interface import MatchKeys
from feeds.text.keys import paragraph_key

#: Version of these rules: stored keys computed by an older version are recomputed.
KEYS_VERSION = 2
#: Texts shorter than this (in characters of key) only match when equal.
MIN_FUZZY_LENGTH = 40
#: SequenceMatcher ratio above which two leads are the same text, lightly edited.
TEXT_SIMILARITY = 0.9
#: Word-overlap prefilter before the (slower) sequence comparison.
WORD_OVERLAP = 0.5
#: How far apart two dates may be for releases that match by text only (a teaser's
#: "On 7 February" names the event; the article may be dated the next day).
DATE_TOLERANCE = dt.timedelta(days=7)
#: Only the opening words are chunked: a teaser is at most the lead's first part.
CHUNKED_WORDS = 80
#: A chunk ends after a word whose hash is 0 modulo this, once it has MIN_CHUNK words.
_CHUNK_SPREAD = 4
_MIN_CHUNK = 3


def text_key(release: Release) -> str:
    """The whole text of a release as one key (its paragraphs, else its lead)."""
    return paragraph_key(" ".join(release.paragraphs) or release.lead)


def chunks(key: str) -> list[int]:
    """Hashes of the content-defined word chunks of a key's opening words."""
    words = key.split()[:CHUNKED_WORDS]
    found: list[int] = []
    start = 0
    for i, word in enumerate(words):
        if i + 1 - start >= _MIN_CHUNK and zlib.crc32(word.encode()) % _CHUNK_SPREAD == 0:
            found.append(zlib.crc32(" ".join(words[start : i + 1]).encode()))
            start = i + 1
    if start < len(words) and (len(words) - start >= _MIN_CHUNK or not found):
        found.append(zlib.crc32(" ".join(words[start:]).encode()))
    return found


def stated_date(release: Release) -> dt.date | None:
    """The date a release states (its own, or one its text names), which a twin must
    share; a date estimated from neighbours is no evidence of identity."""
    origin = release.date_origin
    if origin.own or origin in (DateOrigin.LEAD, DateOrigin.MENTION):
        return release.date
    return None


def match_keys(release: Release) -> MatchKeys:
    lead = paragraph_key(release.lead)
    text = text_key(release)
    return MatchKeys(
        url=release.url,
        title_key="" if release.title_derived else paragraph_key(release.title),
        lead_key=lead,
        text_key=text,
        chunks=tuple(dict.fromkeys([*chunks(lead), *chunks(text)])),
        date=stated_date(release),
        date_own=release.date is not None and release.date_origin.own,
    )


def shared_needed(query: list[int]) -> int:
    """How many chunks a stored text must share with a query of these chunks."""
    return 2 if len(query) >= 4 else 1


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
    if window.startswith(short):
        return True  # the teaser is the lead's opening, word for word
    if _word_overlap(short, window) < WORD_OVERLAP:
        return False
    # The longest common subsequence bounds the sequence matcher's matches from above:
    # when even it falls short, the slower comparison cannot succeed.
    # Imported here: a run with nothing new to compare never needs it.
    from rapidfuzz.distance import Indel

    if Indel.normalized_similarity(short, window) < TEXT_SIMILARITY:
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
