"""The shingle index narrows fuzzy matching to likely twins without losing any."""

from __future__ import annotations

from feeds.parsing.text import paragraph_key
from feeds.textindex import ShingleIndex, shingles

LEAD = paragraph_key(
    "On 16 February 2024, the CSTO Secretary General met with the Deputy Prime Minister "
    "and Minister of Foreign Affairs of the Republic of Kazakhstan in Astana. The parties "
    "exchanged views on the events planned for the chairmanship year."
)
OTHER = paragraph_key(
    "On 14 February 2024, the CSTO Secretariat hosted an educational seminar on topical "
    "issues of Eurasian security, attended by heads of departments and experts."
)


def test_shingles_are_word_four_grams_of_the_opening() -> None:
    assert shingles("a b c d e") == {("a", "b", "c", "d"), ("b", "c", "d", "e")}
    assert shingles("two words") == {("two", "words")}
    assert shingles("") == frozenset()
    assert len(shingles(" ".join(f"w{i}" for i in range(500)))) == 80 - 4 + 1


def test_prefix_and_light_edit_are_candidates_and_a_stranger_is_not() -> None:
    index = ShingleIndex()
    index.put("lead", LEAD)
    index.put("other", OTHER)
    teaser = paragraph_key(
        "On 16 February 2024, the CSTO Secretary General met with the Deputy Prime Minister "
        "and Minister of Foreign Affairs of the Republic of Kazakhstan in Astana."
    )
    edited = LEAD.replace("exchanged views on", "discussed")
    assert index.candidates(teaser) == ["lead"]
    assert index.candidates(edited) == ["lead"]
    # Sharing words but few word runs is not enough to be compared at all.
    stranger = paragraph_key(
        "The Minister of Defence of the Republic of Belarus met the CSTO Secretary General "
        "in Minsk on 20 March 2024 to discuss the exercises planned for the autumn."
    )
    assert index.candidates(stranger) == []


def test_put_replaces_and_remove_forgets() -> None:
    index = ShingleIndex()
    index.put("x", LEAD)
    index.put("x", OTHER)
    assert index.candidates(LEAD) == []
    assert index.candidates(OTHER) == ["x"]
    index.remove("x")
    assert index.candidates(OTHER) == []
