"""Permanent ids and the names of release pages."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
import zoneinfo

_TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch - y - e yu ya".split(),
        strict=True,
    )
)


def mint_id(authority: str, seen: dt.date, key: str, attempt: int = 0) -> str:
    """A tag URI (RFC 4151) for a new release: minted once, stored, never recomputed."""
    digest = hashlib.sha256(f"{key}\n{attempt}".encode()).hexdigest()[:16]
    return f"tag:{authority},{seen.isoformat()}:release/{digest}"


def slugify(text: str, limit: int = 60) -> str:
    """A readable ASCII slug for release page names (Cyrillic transliterated)."""
    out: list[str] = []
    for char in text.lower():
        out.append(_TRANSLIT[char].strip("-") if char in _TRANSLIT else char)
    ascii_text = unicodedata.normalize("NFKD", "".join(out)).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    if len(slug) > limit:
        slug = slug[:limit].rsplit("-", 1)[0]
    return slug or "release"


def page_paths(
    title: str, published: dt.datetime, entry_id: str, zone: zoneinfo.ZoneInfo
) -> list[str]:
    """``releases/YYYY/MM/<slug>-<id part>.html``, in the month of the release's date:
    the names to try in turn.  Six characters of the id tell releases apart almost
    always; when two of the same title and month share them, a longer part does."""
    local = published.astimezone(zone)
    digest = entry_id.rsplit("/", 1)[-1]
    folder = f"releases/{local:%Y}/{local:%m}/{slugify(title)}"
    return [f"{folder}-{digest[:n]}.html" for n in range(6, len(digest) + 1, 2)]
