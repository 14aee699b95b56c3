"""Ingest over a real SQLite state: matching, merging, timestamps, archives."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from feeds.ingest import IngestResult, Origin
from feeds.ingest.merge import merge_releases
from feeds.model import DateOrigin, Release, ReleaseKind
from tests.support.ingesting import State, opened

NOW = dt.datetime(2026, 3, 1, 12, 0, 0, tzinfo=dt.UTC)

LEAD = (
    "On 3 March 2025, the CSTO Secretariat held a working meeting with experts of the member "
    "states on preparations for the joint training of crisis response units planned for the "
    "autumn."
)
ARTICLE = Release(
    kind=ReleaseKind.FULL,
    title="Experts prepared the joint training of crisis response units",
    date=dt.date(2025, 3, 3),
    date_origin=DateOrigin.HEADER,
    lead=LEAD,
    paragraphs=(LEAD, "The experts agreed on the schedule of the planning conferences."),
    body_html="<p>body</p>",
    language="en",
)
TEASER = Release(
    kind=ReleaseKind.BRIEF,
    title="On 3 March 2025, the CSTO Secretariat held a working meeting with experts of the…",
    title_derived=True,
    date=dt.date(2025, 3, 3),
    date_origin=DateOrigin.LEAD,
    lead=LEAD,
    paragraphs=(LEAD,),
    language="en",
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[State]:
    yield from opened(tmp_path / "state" / "feeds.sqlite")


def ingest(
    store: State, release: Release, locator: str, now: dt.datetime = NOW, source_type: str = "dump"
) -> IngestResult:
    return store.ingest(release, locator, now, source_type=source_type)


def distinct(n: int) -> str:
    """A text sharing no word with distinct(m) for m != n, so no two of them match."""
    words = ("council", "ministers", "exercise", "secretariat", "delegation", "briefing")
    return f"Event{n} " + " ".join(f"{word}{n}" for word in words) + f" held in city{n}."


def brief(text: str, day: dt.date | None = None) -> Release:
    return Release(
        kind=ReleaseKind.BRIEF,
        title=text[:60],
        title_derived=True,
        date=day,
        date_origin=DateOrigin.LEAD if day else DateOrigin.NONE,
        lead=text,
        paragraphs=(text,),
    )


def test_teaser_then_article_keeps_the_id_and_gains_the_title(store: State) -> None:
    first = ingest(store, TEASER, "dumps/alpha.txt")
    assert (first.created, first.changed) == (True, True)
    before = store.entry(first.entry_id)
    assert before is not None and before.release.kind is ReleaseKind.BRIEF
    later = NOW + dt.timedelta(hours=1)
    second = ingest(store, ARTICLE, "dumps/beta.txt", now=later)
    assert second == IngestResult(first.entry_id, False, True)
    after = store.entry(first.entry_id)
    assert after is not None
    assert after.release.title == ARTICLE.title
    assert after.release.kind is ReleaseKind.FULL
    assert after.release.paragraphs == ARTICLE.paragraphs
    assert after.release.date_origin is DateOrigin.HEADER
    assert after.published == dt.datetime(2025, 3, 3, 12, tzinfo=store.zone)
    assert after.first_seen == NOW
    assert after.updated == later
    assert [(s.locator, s.kind) for s in after.sightings] == [
        ("dumps/alpha.txt", ReleaseKind.BRIEF),
        ("dumps/beta.txt", ReleaseKind.FULL),
    ]
    assert len(store.entries()) == 1


def test_article_then_teaser_is_only_a_sighting(store: State) -> None:
    first = ingest(store, ARTICLE, "dumps/beta.txt")
    second = ingest(store, TEASER, "dumps/alpha.txt", now=NOW + dt.timedelta(hours=1))
    assert second == IngestResult(first.entry_id, False, False)
    entry = store.entry(first.entry_id)
    assert entry is not None
    assert entry.release == ARTICLE
    assert entry.updated == NOW
    assert len(entry.sightings) == 2


#: A copy without a title line: the title made from its lead, the body complete.
UNTITLED = replace(
    ARTICLE,
    title="On 3 March 2025, the CSTO Secretariat held a working meeting with experts of the "
    "member states on preparations for the joint training of crisis response units planned "
    "for the autumn",
    title_derived=True,
    date=None,
    date_origin=DateOrigin.NONE,
)


@pytest.mark.parametrize("untitled_first", [True, False])
def test_a_copy_without_a_title_line_takes_the_real_title_whenever_it_comes(
    store: State, untitled_first: bool
) -> None:
    later = NOW + dt.timedelta(hours=1)
    order = [(UNTITLED, "dumps/ajax.txt"), (ARTICLE, "dumps/beta.txt")]
    if not untitled_first:
        order.reverse()
    first = ingest(store, *order[0])
    second = ingest(store, *order[1], now=later)
    assert second.entry_id == first.entry_id
    entry = store.entry(first.entry_id)
    assert entry is not None
    assert entry.release.title == ARTICLE.title
    assert not entry.release.title_derived
    assert entry.release.date == dt.date(2025, 3, 3)
    assert entry.release.date_origin is DateOrigin.HEADER
    assert len(store.entries()) == 1


def test_prefix_and_edited_teasers_match_the_article(store: State) -> None:
    article = ingest(store, ARTICLE, "dumps/beta.txt").entry_id
    cut = brief("On 3 March 2025, the CSTO Secretariat held a working meeting with experts of")
    edited = brief(LEAD.replace("held", "hosted").replace("the autumn", "autumn"))
    assert ingest(store, cut, "dumps/x.txt").entry_id == article
    assert ingest(store, edited, "dumps/y.txt").entry_id == article
    assert len(store.entries()) == 1


def test_different_releases_sharing_a_phrase_stay_apart(store: State) -> None:
    article = ingest(store, ARTICLE, "dumps/beta.txt").entry_id
    other = brief(
        "On 3 March 2025, the CSTO Secretariat held a working meeting with the delegation of the "
        "Republic of Belarus on the results of its chairmanship in the Organization.",
        dt.date(2025, 3, 3),
    )
    result = ingest(store, other, "dumps/x.txt")
    assert result.created and result.entry_id != article
    # Same text, dated far apart: a yearly event, not the same release.
    yearly = brief(LEAD, dt.date(2024, 3, 3))
    assert ingest(store, replace(yearly, lead=LEAD + " Again."), "dumps/z.txt").created
    assert len(store.entries()) == 3


def test_same_title_different_date_are_two_releases(store: State) -> None:
    first = ingest(store, ARTICLE, "dumps/a.txt").entry_id
    next_year = replace(
        ARTICLE,
        date=dt.date(2026, 3, 3),
        lead="On 3 March 2026, the experts met again to review the training.",
        paragraphs=("On 3 March 2026, the experts met again to review the training.",),
    )
    second = ingest(store, next_year, "dumps/b.txt")
    assert second.created and second.entry_id != first


def test_edit_moves_updated_only_when_content_changes(store: State) -> None:
    entry_id = ingest(store, ARTICLE, "dumps/beta.txt").entry_id
    # The same copy read again later: nothing changes.
    again = ingest(store, ARTICLE, "dumps/beta.txt", now=NOW + dt.timedelta(days=1))
    assert again == IngestResult(entry_id, False, False)
    entry = store.entry(entry_id)
    assert entry is not None and entry.updated == NOW
    assert entry.sightings[0].last_seen == NOW + dt.timedelta(days=1)
    # An edited body (same file): same id, later updated.
    edited = replace(
        ARTICLE,
        paragraphs=(LEAD, "The experts agreed on the schedule and on the list of observers."),
    )
    later = NOW + dt.timedelta(days=2)
    assert ingest(store, edited, "dumps/beta.txt", now=later) == IngestResult(entry_id, False, True)
    entry = store.entry(entry_id)
    assert entry is not None
    assert entry.updated == later
    assert (
        entry.release.paragraphs[1]
        == "The experts agreed on the schedule and on the list of observers."
    )
    assert entry.published == dt.datetime(2025, 3, 3, 12, tzinfo=store.zone)


def test_edited_title_on_the_same_file_keeps_the_id(store: State) -> None:
    entry_id = ingest(store, ARTICLE, "dumps/beta.txt").entry_id
    retitled = replace(
        ARTICLE,
        title="Experts met to prepare the joint training",
        lead="The CSTO Secretariat held a working meeting with experts of the member states.",
        paragraphs=(
            "The CSTO Secretariat held a working meeting with experts of the member states.",
        ),
    )
    result = ingest(store, retitled, "dumps/beta.txt", now=NOW + dt.timedelta(hours=3))
    assert result == IngestResult(entry_id, False, True)
    entry = store.entry(entry_id)
    assert entry is not None and entry.release.title == "Experts met to prepare the joint training"


def test_updated_instants_are_unique_and_never_after_the_run(store: State) -> None:
    ids = [ingest(store, brief(distinct(n)), "d.txt").entry_id for n in range(30)]
    assert len(set(ids)) == 30
    entries = store.entries()
    stamps = sorted(e.updated for e in entries)
    assert len(set(stamps)) == 30
    # The stable rule: the second of the change, stepping back a second at a time.
    assert stamps == [NOW - dt.timedelta(seconds=n) for n in range(29, -1, -1)]
    # Undated releases with no evidence are published when first seen.
    assert {e.published for e in entries} == {NOW}
    # A later change at the same moment: still unique, still not after the moment.
    first = store.entry(ids[0])
    assert first is not None and first.updated == NOW
    changed = ingest(
        store, replace(first.release, kind=ReleaseKind.FULL, title="Event zero"), "e.txt"
    )
    assert changed.entry_id == ids[0] and changed.changed
    entry = store.entry(ids[0])
    assert entry is not None and entry.updated == NOW


def test_a_thousand_releases_in_one_run_are_never_dated_after_it(store: State) -> None:
    with store.transaction():
        for n in range(1000):
            store.ingestor.ingest(brief(distinct(n)), Origin("dumps", "dump", f"{n}.txt"), NOW)
    stamps = [e.updated for e in store.entries()]
    assert len(set(stamps)) == 1000
    assert max(stamps) == NOW
    assert min(stamps) == NOW - dt.timedelta(seconds=999)


def test_hidden_entries_are_kept_but_not_listed(store: State) -> None:
    entry_id = ingest(store, ARTICLE, "dumps/beta.txt").entry_id
    with store.transaction():
        assert store.set_hidden(entry_id, True)
        assert not store.set_hidden("tag:nope", True)
    assert store.entries() == []
    assert [e.id for e in store.entries(include_hidden=True)] == [entry_id]
    # A hidden release seen again is matched, not minted anew.
    assert ingest(store, ARTICLE, "dumps/beta.txt").entry_id == entry_id
    with store.transaction():
        store.set_hidden(entry_id, False)
    assert [e.id for e in store.entries()] == [entry_id]


def test_archive_membership_is_permanent(store: State) -> None:
    days = [dt.date(2025, 1, d) for d in range(1, 8)]
    ids = {day: ingest(store, brief(distinct(day.day), day), "d.txt").entry_id for day in days}
    with store.transaction():
        store.assign_archives(3)
    seqs = store.archive_seqs("all")
    # The four oldest are archived, oldest first.
    assert seqs == {ids[days[0]]: 1, ids[days[1]]: 2, ids[days[2]]: 3, ids[days[3]]: 4}
    assert store.archive_seqs("news") == seqs
    # An older release arriving late does not reshuffle what is archived.
    late_release = brief(distinct(99), dt.date(2024, 12, 1))
    late = ingest(store, late_release, "late.txt").entry_id
    with store.transaction():
        store.assign_archives(3)
    assert store.archive_seqs("all") == {**seqs, late: 5}


def test_merge_rules() -> None:
    url = "https://en.odkb-csto.org/news/news_odkb/x/"
    dated_teaser = replace(TEASER, url=None)
    # Full beats brief whichever arrives first.
    assert merge_releases(dated_teaser, 1, ARTICLE, 1) == (ARTICLE, 1)
    assert merge_releases(ARTICLE, 1, dated_teaser, 3) == (ARTICLE, 1)
    # A higher-ranked full version wins and keeps the URL the other knew.
    page = replace(ARTICLE, title="Live title", url=None)
    merged, rank = merge_releases(replace(ARTICLE, url=url), 1, page, 3)
    assert (merged.title, merged.url, rank) == ("Live title", url, 3)
    # A lower-ranked full version loses.
    assert merge_releases(page, 3, ARTICLE, 1) == (page, 3)
    # A winner without a date takes the other's.
    undated = replace(ARTICLE, date=None, date_origin=DateOrigin.NONE)
    merged, _ = merge_releases(ARTICLE, 1, undated, 1)
    assert (merged.date, merged.date_origin) == (dt.date(2025, 3, 3), DateOrigin.HEADER)


def test_an_edit_moves_updated_forward(store: State) -> None:
    ids = [ingest(store, brief(distinct(n)), "d.txt").entry_id for n in range(30)]
    last = store.entry(ids[-1])
    assert last is not None and last.updated == NOW - dt.timedelta(seconds=29)
    # Ten seconds later the last one is edited: its updated moves to that moment.
    edited = replace(last.release, kind=ReleaseKind.FULL, title="Event 29", title_derived=False)
    result = ingest(store, edited, "d.txt", now=NOW + dt.timedelta(seconds=10))
    assert result == IngestResult(ids[-1], False, True)
    entry = store.entry(ids[-1])
    assert entry is not None and entry.updated == NOW + dt.timedelta(seconds=10)


def test_an_edit_at_a_reused_moment_still_moves_forward(store: State) -> None:
    ids = [ingest(store, brief(distinct(n)), "d.txt").entry_id for n in range(3)]
    last = store.entry(ids[-1])
    assert last is not None and last.updated == NOW - dt.timedelta(seconds=2)
    # A clock that did not move (a test's fixed clock): the first free instant after the
    # entry's own, never later than the moment.
    edited = replace(last.release, kind=ReleaseKind.FULL, title="Event 2", title_derived=False)
    ingest(store, edited, "d.txt", now=NOW)
    entry = store.entry(ids[-1])
    assert entry is not None and entry.updated == NOW - dt.timedelta(seconds=2)
    ingest(store, brief(distinct(7)), "e.txt", now=NOW)
    stamps = sorted(e.updated for e in store.entries())
    assert len(set(stamps)) == 4 and max(stamps) == NOW


# A one-line sidebar teaser (2025-era crawls) that is the article's title, not its lead.
TITLE_TEASER = Release(
    kind=ReleaseKind.BRIEF,
    title="Experts prepared the joint training of crisis response units",
    title_derived=True,
    lead="Experts prepared the joint training of crisis response units",
    paragraphs=("Experts prepared the joint training of crisis response units",),
    language="en",
)


@pytest.mark.parametrize("teaser_first", [True, False])
def test_a_teaser_that_is_the_article_title_is_the_same_release(
    store: State, teaser_first: bool
) -> None:
    order = [(TITLE_TEASER, "sidebar.txt"), (ARTICLE, "article.txt")]
    if not teaser_first:
        order.reverse()
    first = ingest(store, *order[0])
    second = ingest(store, *order[1])
    assert second.entry_id == first.entry_id
    assert not second.created
    [entry] = store.entries()
    assert entry.release.kind is ReleaseKind.FULL
    assert entry.release.title == ARTICLE.title
    assert entry.release.date == dt.date(2025, 3, 3)


def test_an_older_copy_read_again_does_not_undo_a_later_edit(store: State) -> None:
    edited = replace(
        ARTICLE,
        paragraphs=(LEAD, "The experts agreed on the schedule and on the list of observers."),
    )
    entry_id = ingest(store, ARTICLE, "crawl-1/page.txt").entry_id
    later = NOW + dt.timedelta(days=1)
    assert ingest(store, edited, "crawl-2/page.txt", now=later).changed
    # The first crawl's copy under a new name (or copied elsewhere): a sighting, no change.
    result = ingest(store, ARTICLE, "crawl-1/renamed.txt", now=later + dt.timedelta(days=1))
    assert result == IngestResult(entry_id, False, False)
    entry = store.entry(entry_id)
    assert entry is not None
    assert entry.release == edited
    assert entry.updated == later
    assert [s.locator for s in entry.sightings] == [
        "crawl-1/page.txt",
        "crawl-2/page.txt",
        "crawl-1/renamed.txt",
    ]


def test_a_file_edited_back_in_place_is_an_edit(store: State) -> None:
    edited = replace(ARTICLE, paragraphs=(LEAD, "A sentence added by mistake."))
    entry_id = ingest(store, ARTICLE, "page.txt").entry_id
    assert ingest(store, edited, "page.txt", now=NOW + dt.timedelta(days=1)).changed
    # The only sighting of the first version was this file, and it now holds the edit:
    # going back to the first text is a new edit, not an old copy.
    back = ingest(store, ARTICLE, "page.txt", now=NOW + dt.timedelta(days=2))
    assert back == IngestResult(entry_id, False, True)
    entry = store.entry(entry_id)
    assert entry is not None and entry.release == ARTICLE
    assert entry.updated == NOW + dt.timedelta(days=2)


def test_releases_that_open_with_the_same_greeting_stay_apart(store: State) -> None:
    first = Release(
        kind=ReleaseKind.FULL,
        title="Welcome speech of the CSTO Secretary General at the youth forum in Minsk",
        date=dt.date(2024, 10, 3),
        date_origin=DateOrigin.HEADER,
        lead="Dear friends!",
        paragraphs=("Dear friends!", "I am glad to welcome the participants of the forum."),
        language="en",
    )
    second = Release(
        kind=ReleaseKind.FULL,
        title="Welcome speech of the CSTO Secretary General at the expert forum in Astana",
        lead="Dear friends!",
        paragraphs=("Dear friends!", "It is a pleasure to open the expert discussion."),
        language="en",
    )
    letter = replace(
        TEASER,
        title="Dear friends!",
        date=None,
        lead="Dear friends!",
        paragraphs=("Dear friends!", "On behalf of the Secretariat I congratulate you."),
    )
    ids = {
        ingest(store, release, f"{n}.txt").entry_id
        for n, release in enumerate((first, second, letter))
    }
    assert len(ids) == 3
    assert len(store.entries()) == 3


EDITED = replace(
    ARTICLE,
    paragraphs=(LEAD, "The experts agreed on the schedule of the three planning conferences."),
)


def test_an_older_crawl_read_later_does_not_undo_an_edit(store: State) -> None:
    newer = ingest_observed(store, EDITED, "crawl-2024-12/a.txt", dt.date(2024, 12, 10))
    updated = store.entries()[0].updated
    older = ingest_observed(
        store, ARTICLE, "crawl-2024-03/a.txt", dt.date(2024, 3, 5), NOW + dt.timedelta(hours=1)
    )
    assert older.entry_id == newer.entry_id
    assert not older.changed
    [entry] = store.entries()
    assert entry.release.paragraphs == EDITED.paragraphs
    assert entry.updated == updated


def test_a_newer_crawl_read_later_is_an_edit(store: State) -> None:
    older = ingest_observed(store, ARTICLE, "crawl-2024-03/a.txt", dt.date(2024, 3, 5))
    updated = store.entries()[0].updated
    newer = ingest_observed(
        store, EDITED, "crawl-2024-12/a.txt", dt.date(2024, 12, 10), NOW + dt.timedelta(hours=1)
    )
    assert newer.entry_id == older.entry_id and newer.changed
    [entry] = store.entries()
    assert entry.release.paragraphs == EDITED.paragraphs
    assert entry.updated > updated


def ingest_observed(
    store: State, release: Release, locator: str, observed: dt.date, now: dt.datetime = NOW
) -> IngestResult:
    return store.ingest(release, locator, now, observed=observed)


#: A copy of ARTICLE cut inside its repeated title line: the title, and nothing else.
CUT_COPY = replace(
    ARTICLE, date=None, date_origin=DateOrigin.NONE, lead="", paragraphs=(), body_html=""
)


@pytest.mark.parametrize("cut_first", [True, False])
def test_a_copy_cut_before_its_body_joins_the_article_and_never_empties_it(
    store: State, cut_first: bool
) -> None:
    # The cut copy comes from the newer crawl: newer, yet it must not replace the body.
    order = [
        (CUT_COPY, "crawl-2025-10/a.txt", dt.date(2025, 10, 14)),
        (ARTICLE, "crawl-2025-07/a.txt", dt.date(2025, 7, 8)),
    ]
    if not cut_first:
        order.reverse()
    first = ingest_observed(store, *order[0])
    second = ingest_observed(store, *order[1], NOW + dt.timedelta(hours=1))
    assert second.entry_id == first.entry_id and not second.created
    [entry] = store.entries()
    assert entry.release.title == ARTICLE.title
    assert entry.release.paragraphs == ARTICLE.paragraphs
    assert (entry.release.date, entry.release.date_origin) == (
        dt.date(2025, 3, 3),
        DateOrigin.HEADER,
    )


def test_merge_keeps_the_version_with_a_body() -> None:
    assert merge_releases(ARTICLE, 1, CUT_COPY, 1) == (ARTICLE, 1)
    assert merge_releases(ARTICLE, 1, CUT_COPY, 3) == (ARTICLE, 1)
    assert merge_releases(CUT_COPY, 3, ARTICLE, 1, older=True) == (ARTICLE, 1)


def test_two_releases_of_one_title_and_month_get_pages_of_their_own(
    store: State, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ids that share their first characters (as some do among a hundred thousand) still
    give two page names."""
    import feeds.ingest as ingest_module

    real = ingest_module.mint_id  # type: ignore[attr-defined]

    def shared_start(authority: str, seen: dt.date, key: str, attempt: int = 0) -> str:
        digest = real(authority, seen, key, attempt).rsplit("/", 1)[1]
        return f"tag:{authority},{seen.isoformat()}:release/abcdef{digest[:10]}"

    monkeypatch.setattr(ingest_module, "mint_id", shared_start)
    first = replace(ARTICLE, lead="The first meeting of the month took place in Minsk today.")
    second = replace(
        ARTICLE,
        lead="A second and unrelated gathering was held in Astana by other delegations.",
        paragraphs=("A second and unrelated gathering was held in Astana.",),
        date=ARTICLE.date + dt.timedelta(days=1) if ARTICLE.date else None,
    )
    ids = [ingest(store, r, f"dumps/{n}.txt").entry_id for n, r in enumerate((first, second))]
    pages = {e.id: e.page_path for e in store.entries()}
    folder = pages[ids[0]].rsplit("-", 1)[0]
    assert pages == {
        ids[0]: f"{folder}-abcdef.html",
        ids[1]: f"{folder}-{ids[1].rsplit('/', 1)[1][:8]}.html",
    }
