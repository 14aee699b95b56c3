"""Match keys and similarity: which texts count as the same release."""

from __future__ import annotations

import datetime as dt
from difflib import SequenceMatcher

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.ingest import keys as identity
from feeds.ingest.keys import chunks, dates_compatible, shared_needed, similar_text, similar_title
from feeds.text.keys import paragraph_key

LEAD = (
    "On 3 March 2025, the CSTO Secretariat held a working meeting with experts of the member "
    "states on preparations for the joint training of crisis response units planned for the "
    "autumn."
)


def key(text: str) -> str:
    return paragraph_key(text)


def window_ratio(a: str, b: str) -> float:
    """The ratio similar_text compares with its threshold, computed here independently."""
    short, long = sorted((key(a), key(b)), key=len)
    window = long[: len(short) + len(short) // 10]
    return SequenceMatcher(None, short, window, autojunk=False).ratio()


def test_keys_ignore_quotes_dashes_spacing_and_case() -> None:
    assert key("“Quoted” — text\u00a0 HERE") == "quoted text here"
    assert key('"quoted" - text here') == "quoted text here"
    assert key("  On 7 February,\tthe  CSTO\u00a0Secretary General met… ") == (
        "on 7 february the csto secretary general met"
    )
    # Typographic variants of one teaser give one key, hence an exact match.
    curly = "The debate on “UN cooperation with regional organizations” – the CSTO, the CIS."
    straight = 'The debate on "UN cooperation with regional organizations" - the CSTO, the CIS.'
    assert key(curly) == key(straight)
    assert similar_text(key(curly), key(straight.upper()))


def test_equal_and_empty_texts() -> None:
    assert similar_text(key(LEAD), key(LEAD))
    assert not similar_text("", key(LEAD))
    assert not similar_text(key(LEAD), "")
    # Short texts match only when equal, even as a prefix.
    assert similar_text("csto news", "csto news")
    short_prefix = key("On 3 March 2025, the CSTO Secretariat")
    assert len(short_prefix) == 36 < identity.MIN_FUZZY_LENGTH
    assert not similar_text(short_prefix, key(LEAD))


@pytest.mark.parametrize(
    "teaser",
    [
        # The first sentence, or the opening of it, as a sidebar cuts it.
        "On 3 March 2025, the CSTO Secretariat held",
        "On 3 March 2025, the CSTO Secretariat held a working meeting",
        "On 3 March 2025, the CSTO Secretariat held a working meeting with experts of the "
        "member states",
        # The lead followed by more text is a prefix match the other way round.
        LEAD + " The experts agreed on the schedule of the planning conferences.",
    ],
)
def test_prefix_matches_in_both_directions(teaser: str) -> None:
    assert similar_text(key(teaser), key(LEAD))
    assert similar_text(key(LEAD), key(teaser))


def test_light_edits_match() -> None:
    edited = (
        "On 3 March 2025 the CSTO Secretariat hosted a working meeting with experts of member "
        "states on preparations for the joint training of crisis response units planned for "
        "autumn."
    )
    assert round(window_ratio(edited, LEAD), 4) == 0.9661
    assert similar_text(key(edited), key(LEAD))


def test_threshold_is_inclusive_and_tight() -> None:
    # Three words replaced: exactly at the threshold, still the same release.
    at_threshold = LEAD.replace(
        "training of crisis response units", "exercise of rapid reaction forces"
    )
    assert window_ratio(at_threshold, LEAD) == pytest.approx(identity.TEXT_SIMILARITY)
    assert similar_text(key(at_threshold), key(LEAD))
    # One more change of the same size falls just below it: a different release.
    below = LEAD.replace("crisis response units", "peacekeeping forces").replace(
        "the autumn", "the summer"
    )
    assert 0.88 < window_ratio(below, LEAD) < identity.TEXT_SIMILARITY
    assert not similar_text(key(below), key(LEAD))
    # A short prefix just below the threshold: a cut and edited teaser is too far.
    cut = "On 3 March 2025 the CSTO Secretariat held a meeting"
    assert 0.89 < window_ratio(cut, LEAD) < identity.TEXT_SIMILARITY
    assert not similar_text(key(cut), key(LEAD))


def test_releases_sharing_a_phrase_stay_apart() -> None:
    other = (
        "On 3 March 2025, the CSTO Secretariat held a working meeting with the delegation of "
        "the Republic of Belarus on the results of its chairmanship in the Organization."
    )
    assert window_ratio(other, LEAD) < 0.6
    assert not similar_text(key(other), key(LEAD))
    # Same opening formula, same day, different event.
    lavrov = (
        "On 7 February, the CSTO Secretary General Imangali Tasmagambetov met with the "
        "Russian Foreign Minister Sergey Lavrov."
    )
    chairmen = (
        "On 7 February, participants in a meeting of the chairmen of the committees "
        "(commissions) of the parliaments of the CSTO member states met in Moscow."
    )
    assert not similar_text(key(lavrov), key(chairmen))


def test_word_overlap_prefilter_rejects_before_the_ratio() -> None:
    # Same letters, other words: the prefilter alone says no.
    scrambled = " ".join(reversed(key(LEAD).split()))
    assert not similar_text(scrambled, key(LEAD))


def test_similar_title() -> None:
    assert similar_title("", "anything") == 0.0
    assert similar_title("meeting of the council", "meeting of the council") == 1.0
    assert round(similar_title("meeting of the council", "meeting of the councils"), 4) == 0.9778


def test_dates_compatible() -> None:
    day = dt.date(2024, 2, 7)
    assert dates_compatible(None, day, exact=True)
    assert dates_compatible(day, None, exact=False)
    assert dates_compatible(day, day, exact=True)
    assert not dates_compatible(day, dt.date(2024, 2, 8), exact=True)
    # A teaser's "On 7 February" names the event; the article may be dated a week later.
    assert dates_compatible(day, day + dt.timedelta(days=7), exact=False)
    assert not dates_compatible(day, day + dt.timedelta(days=8), exact=False)
    assert not dates_compatible(day, day - dt.timedelta(days=8), exact=False)


TEASER = (
    "On 16 February 2024, the CSTO Secretary General met with the Deputy Prime Minister "
    "and Minister of Foreign Affairs of the Republic of Kazakhstan in Astana."
)
WHOLE_LEAD = (
    TEASER + " The parties exchanged views on the events planned for the chairmanship year."
)
OTHER = (
    "On 14 February 2024, the CSTO Secretariat hosted an educational seminar on topical "
    "issues of Eurasian security, attended by heads of departments and experts."
)


def shared(a: str, b: str) -> int:
    return len(set(chunks(key(a))) & set(chunks(key(b))))


def test_chunks_are_stable_runs_of_the_opening_words() -> None:
    assert chunks(key(LEAD)) == chunks(key(LEAD))
    assert chunks("") == []
    assert len(chunks("two words")) == 1
    # Only the opening words count: what follows the 80th word changes nothing.
    words = " ".join(f"w{i}" for i in range(500))
    assert chunks(words) == chunks(" ".join(words.split()[:80]))


def test_a_teaser_cut_from_the_lead_shares_its_opening_chunks() -> None:
    assert shared(TEASER, WHOLE_LEAD) >= shared_needed(chunks(key(TEASER)))


def test_an_inserted_word_disturbs_one_chunk_not_all() -> None:
    with_year = LEAD.replace("On 3 March 2025,", "On Monday, 3 March 2025,")
    edited = LEAD.replace("held a working meeting", "hosted a working meeting")
    for variant in (with_year, edited):
        query = chunks(key(variant))
        assert shared(variant, LEAD) >= shared_needed(query)
        assert shared(variant, LEAD) < len(query) or variant == LEAD


def test_a_stranger_shares_too_few_chunks() -> None:
    assert shared(OTHER, WHOLE_LEAD) < shared_needed(chunks(key(OTHER)))


def _reference_similar(a: str, b: str) -> bool:
    """similar_text's rule with no shortcut: equal, or a long enough text whose window
    shares enough words and reaches the sequence ratio."""
    if not a or not b:
        return False
    if a == b:
        return True
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) < identity.MIN_FUZZY_LENGTH:
        return False
    window = long[: len(short) + len(short) // 10]
    words, window_words = set(short.split()), set(window.split())
    if not words or not window_words:
        return False
    if len(words & window_words) / min(len(words), len(window_words)) < identity.WORD_OVERLAP:
        return False
    ratio = SequenceMatcher(None, short, window, autojunk=False).ratio()
    return ratio >= identity.TEXT_SIMILARITY


_WORDS = st.sampled_from([*LEAD.lower().replace(",", "").replace(".", "").split(), "x", "y"])


@settings(max_examples=400, deadline=None)
@given(
    st.lists(_WORDS, min_size=4, max_size=30),
    st.lists(st.tuples(st.integers(0, 40), st.sampled_from(["drop", "swap", "add"]))),
)
def test_shortcuts_decide_as_the_full_comparison(
    words: list[str], edits: list[tuple[int, str]]
) -> None:
    """The prefix shortcut and the common-subsequence bound never change a decision."""
    a = " ".join(words)
    edited = list(words)
    for at, what in edits:
        at %= len(edited) or 1
        if what == "drop" and len(edited) > 1:
            del edited[at]
        elif what == "swap":
            edited[at], edited[-1] = edited[-1], edited[at]
        else:
            edited.insert(at, "added")
    for b in (" ".join(edited), a + " and more words after it", a[: len(a) // 2]):
        assert similar_text(a, b) == _reference_similar(a, b), (a, b)
