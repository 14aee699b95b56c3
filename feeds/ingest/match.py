"""Is this sighting a release we already hold?  The match decision, in one place.

Lookups go through the repository, by exact keys first (URL, title, lead, whole text),
then by shared word chunks for light edits and teasers cut short; the thresholds live in
:mod:`feeds.ingest.keys`.
"""

from __future__ import annotations

from feeds.ingest.keys import (
    MIN_FUZZY_LENGTH,
    chunks,
    dates_compatible,
    shared_needed,
    similar_text,
    similar_title,
)
from feeds.model import Release, ReleaseKind
from feeds.store.interface import Candidate, MatchKeys, Releases


def find_match(
    release: Release, keys: MatchKeys, repo: Releases, *, source: str, locator: str
) -> str | None:
    """The id of the stored entry describing the same release, if any."""
    if release.kind is ReleaseKind.BRIEF:
        return _match_teaser(release, keys, repo)
    return _match_article(release, keys, repo, source=source, locator=locator)


def _dates_agree(k: Candidate, keys: MatchKeys, *, exact: bool) -> bool:
    """Unknown dates never conflict; own dates must be equal where ``exact``; a date
    a text names may be a few days off the event (a teaser's "On 7 February")."""
    return dates_compatible(k.date, keys.date, exact=exact and k.date_own and keys.date_own)


def _titles_agree(title: str, other: str) -> bool:
    """Two articles with similar leads are one release when their titles are alike, or
    when one has no title of its own (a copy without a title line: the lead decides)."""
    return not title or not other or similar_title(title, other) >= 0.5


def _near(repo: Releases, *texts: str) -> list[Candidate]:
    query = list(dict.fromkeys(c for t in texts if t for c in chunks(t)))
    return repo.by_chunks(query, shared_needed(query)) if query else []


def _match_teaser(release: Release, keys: MatchKeys, repo: Releases) -> str | None:
    lead, text = keys.lead_key, keys.text_key
    # A short lead ("Dear friends!") opens many different releases: it identifies
    # nothing on its own.  Whole texts may still be equal, however short.
    lead_says = len(lead) >= MIN_FUZZY_LENGTH
    for k in repo.by_text(lead, text):
        if (
            (lead_says and lead == k.lead_key)
            or (lead and lead == k.text_key)
            or (text and text == k.text_key)
        ):
            return k.id
    # One-line teasers of 2025-era sidebars can be the article's title, not its lead.
    for k in repo.by_title(lead):
        if _dates_agree(k, keys, exact=False):
            return k.id
    fuzzy = [
        k
        for k in sorted(_near(repo, lead, text), key=lambda k: k.seq)
        if _dates_agree(k, keys, exact=False)
        and ((lead_says and similar_text(lead, k.lead_key)) or similar_text(text, k.text_key))
    ]
    fuzzy.sort(key=lambda k: k.kind is not ReleaseKind.FULL)
    return fuzzy[0].id if fuzzy else None


def _match_article(
    release: Release, keys: MatchKeys, repo: Releases, *, source: str, locator: str
) -> str | None:
    if release.url:
        for k in repo.by_url(release.url):
            return k.id
    title, lead = keys.title_key, keys.lead_key
    lead_says = len(lead) >= MIN_FUZZY_LENGTH

    def url_conflict(k: Candidate) -> bool:
        return bool(release.url and k.url and k.url != release.url)

    if title:
        titled = [k for k in repo.by_title(title) if not url_conflict(k)]
        for k in titled:
            if k.date is not None and keys.date is not None:
                if _dates_agree(k, keys, exact=True):
                    return k.id
            elif similar_text(lead, k.lead_key) or not k.lead_key:
                return k.id
        # A copy cut before its body says no more than its title (and perhaps a date):
        # it is the one release stored under that title, when there is only one.
        if not lead and len(titled) == 1 and _dates_agree(titled[0], keys, exact=True):
            return titled[0].id
        # A stored one-line teaser that is this article's title.
        for k in repo.by_text(title):
            if (
                k.kind is ReleaseKind.BRIEF
                and title in (k.lead_key, k.text_key)
                and _dates_agree(k, keys, exact=False)
            ):
                return k.id
    for k in sorted(_near(repo, lead), key=lambda k: k.seq) if lead_says else ():
        if url_conflict(k) or not similar_text(lead, k.lead_key or k.text_key):
            continue
        if k.kind is ReleaseKind.BRIEF:
            if _dates_agree(k, keys, exact=False):
                return k.id
        elif _dates_agree(k, keys, exact=True) and _titles_agree(title, k.title_key):
            return k.id
    found = repo.last_full_sighting(source, locator)
    if found is not None and not url_conflict(found) and _dates_agree(found, keys, exact=True):
        return found.id
    return None
