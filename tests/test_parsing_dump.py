"""Golden tests of the dump parser: every ``<case>.txt`` beside a ``<case>.expected.yaml``."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from feeds.errors import ParseError
from feeds.model import DateOrigin, ParsedDocument, ReleaseKind
from feeds.parsing.dump import LOW_CONFIDENCE, derive_title, parse_dump, teaser_candidates
from feeds.profile import default_profile
from feeds.text.decode import decode_bytes
from feeds.text.keys import paragraph_key
from tests.support.dates import own_date, stated_date

DATA = Path(__file__).parent / "data" / "dumps"
SAMPLES = Path(__file__).parent.parent / "samples" / "dumps"
RULES = default_profile().dump


def _cases() -> list[tuple[Path, Path]]:
    own = [
        (p.with_name(p.name[: -len(".expected.yaml")] + ".txt"), p)
        for p in sorted(DATA.glob("*.expected.yaml"))
    ]
    seeds = [
        (SAMPLES / (p.name[: -len(".expected.yaml")] + ".txt"), p)
        for p in sorted((DATA / "samples").glob("*.expected.yaml"))
    ]
    return own + seeds


def _parse(path: Path, known: frozenset[str] = frozenset()) -> ParsedDocument:
    text = decode_bytes(path.read_bytes(), locator=str(path)).text
    return parse_dump(text, locator=str(path), rules=RULES, known_paragraphs=known)


def _words(paragraphs: tuple[str, ...]) -> list[str]:
    return " ".join(paragraphs).split()


def test_every_case_has_its_dump() -> None:
    cases = _cases()
    assert len(cases) == 29
    assert all(dump.is_file() for dump, _ in cases)
    assert {p.name for p in DATA.glob("*.txt")} == {d.name for d, _ in cases if d.parent == DATA}


@pytest.mark.parametrize(("dump", "expected_file"), _cases(), ids=lambda p: p.stem)
def test_dump_case(dump: Path, expected_file: Path) -> None:
    expected: dict[str, Any] = yaml.safe_load(expected_file.read_text(encoding="utf-8"))
    if "error" in expected:
        with pytest.raises(ParseError) as caught:
            _parse(dump)
        assert str(caught.value).startswith(f"{dump}: {expected['error']} (")
        return
    doc = _parse(dump)
    article = doc.article
    assert article is not None
    assert doc.locator == str(dump)
    assert article.kind is ReleaseKind.FULL
    assert article.title == expected["title"]
    assert own_date(article) == expected["date"]
    words = _words(article.paragraphs)
    assert " ".join(words[:5]) == expected["body_first"]
    assert " ".join(words[-5:]) == expected["body_last"]
    assert len(article.paragraphs) == expected["paragraphs"]
    assert [a.name for a in article.images] == expected["images"]
    assert [a.name for a in article.attachments] == expected["attachments"]
    assert all(a.url is None for a in (*article.images, *article.attachments))
    assert len(article.contacts) == expected["contacts"]
    if "contact_lines" in expected:
        assert list(article.contacts) == expected["contact_lines"]
    assert article.language == expected["language"]
    assert len(doc.warnings) == expected.get("warnings", 0)
    assert article.lead == expected.get("lead", article.paragraphs[0])
    assert dict(article.extra).get("subtitle") == expected.get("subtitle")
    assert (("video", "yes") in article.extra) == bool(expected.get("video"))
    assert list(article.links) == expected.get("links", [])
    # Contacts never leak into the body or the lead.
    for contact in article.contacts:
        assert contact not in article.paragraphs
        assert contact not in article.body_html
    assert "odkb-pressa" not in article.body_html
    assert article.body_html.count("<p>") == len(article.paragraphs)

    teasers = doc.others
    assert len(teasers) == expected["teasers"]
    assert [stated_date(t) for t in teasers] == expected["teaser_dates"]
    if "teaser_paragraphs" in expected:
        assert [len(t.paragraphs) for t in teasers] == expected["teaser_paragraphs"]
    for teaser in teasers:
        assert teaser.kind is ReleaseKind.BRIEF
        assert teaser.title_derived
        assert teaser.lead == teaser.paragraphs[0]
        assert teaser.title and teaser.title != article.title
        assert teaser.date_origin is not DateOrigin.HEADER
        assert (teaser.date is None) == (teaser.date_origin is DateOrigin.NONE)


def test_seed_002_teaser_details_and_links() -> None:
    doc = _parse(SAMPLES / "002_992e3ac4f41bb9cb.txt")
    assert doc.article is not None
    assert doc.article.body_html.endswith(
        '<p>Broadcast of the meeting: <a href="https://www.youtube.com/watch?v=Z2bkirRydgE">'
        "https://www.youtube.com/watch?v=Z2bkirRydgE</a></p>"
    )
    origins = [t.date_origin for t in doc.others]
    assert origins == [DateOrigin.LEAD] * 5
    # A teaser's title is its whole first sentence, never cut short.
    assert doc.others[3].title == (
        "On 7 February, participants in a meeting of the chairmen of the committees "
        "(commissions) of the parliaments of the CSTO member states, with jurisdiction over "
        "international relations, defense and security issues visited the CSTO Joint Staff"
    )
    assert doc.others[4].title == (
        "On 7 February, the CSTO Secretary General Imangali Tasmagambetov met with the "
        "Russian Foreign Minister Sergey Lavrov"
    )


def test_dated_teasers_carry_teaser_line_origin() -> None:
    doc = _parse(DATA / "d_date_image.txt")
    assert [t.date_origin for t in doc.others] == [DateOrigin.TEASER_LINE] * 2
    assert doc.others[1].paragraphs == (
        "The CSTO Joint Staff completed the inspection of the units of the Collective "
        "Rapid Reaction Forces.",
        "Most of the inspected units were rated as combat ready.",
    )
    assert doc.others[1].body_html.count("<p>") == 2


def test_teaser_url_line_becomes_a_link() -> None:
    doc = _parse(DATA / "aktau_one_blank.txt")
    assert doc.others[2].links == ("https://example.org/relay-of-memory-2020",)


def test_known_paragraphs_resolve_title_like_teaser() -> None:
    first, second = DATA / "known" / "crawl_a.txt", DATA / "known" / "crawl_b.txt"
    counts: Counter[str] = Counter()
    for path in (first, second):
        text = path.read_text(encoding="utf-8")
        counts.update({paragraph_key(p) for p in teaser_candidates(text, RULES)})
    known = frozenset(key for key, n in counts.items() if n >= 2)
    assert len(known) == 3

    # Alone, the title-like teaser is read as a headline teaser (a teaser on another topic
    # opens right below it); the title is still a guess.
    alone = _parse(first)
    assert alone.article is not None
    assert alone.article.title == "Servicemen of the CSTO rapid reaction forces completed a march"
    assert alone.warnings == (LOW_CONFIDENCE,)

    doc = _parse(first, known)
    assert doc.article is not None
    assert doc.article.title == "Servicemen of the CSTO rapid reaction forces completed a march"
    assert doc.warnings == ()
    assert len(doc.others) == 3
    assert doc.others[0].date == dt.date(2025, 6, 4)
    other = _parse(second, known)
    assert other.article is not None
    assert other.article.title == "Experts of the CSTO member states met in Dushanbe"


def test_known_paragraphs_do_not_swallow_a_repeated_article() -> None:
    # The same article crawled twice: its title is never a candidate, so it stays the title.
    path = DATA / "title_only_five_teasers.txt"
    known = frozenset(paragraph_key(p) for p in teaser_candidates(path.read_text(), RULES))
    doc = _parse(path, known)
    assert doc.article is not None
    assert doc.article.title.startswith("On November 23, in Yerevan,")
    assert len(doc.others) == 5


def test_teaser_candidates_leave_out_dates_and_title() -> None:
    text = (DATA / "d_date_image.txt").read_text(encoding="utf-8")
    assert teaser_candidates(text, RULES) == [
        "On November 19, the CSTO Secretary General met with the Minister of Defence of the "
        "Kyrgyz Republic in Bishkek.",
        "The CSTO Joint Staff completed the inspection of the units of the Collective Rapid "
        "Reaction Forces.",
        "Most of the inspected units were rated as combat ready.",
    ]
    assert teaser_candidates((DATA / "no_title_charter.txt").read_text(), RULES) == []


def test_derive_title_keeps_initials_and_whole_sentences() -> None:
    assert derive_title("The prize went to A.E. Snesarev fellows. Then more.", RULES) == (
        "The prize went to A.E. Snesarev fellows"
    )
    # Never cut: a long first sentence is the whole title, its date included.
    long = "word " * 60 + "held on 19 July 2024. Next."
    assert derive_title(long, RULES) == "word " * 60 + "held on 19 July 2024"
    assert derive_title("Dear friends! Happy holiday to you all!", RULES) == (
        "Happy holiday to you all!"
    )


def test_default_rules_values() -> None:
    assert RULES.signature_window == 8
    assert RULES.earliest_date == dt.date(2002, 1, 1)
    assert RULES.max_title_length == 300
    assert RULES.months["мая"] == 5
    assert RULES.months["december"] == 12
    assert RULES.download_phrase == "Download document"
    assert any(p.fullmatch("Вернуться в раздел") for p in RULES.navigation)


def test_seed_teasers_counted_across_dumps_confirm_the_seed_000_title() -> None:
    seeds = sorted(SAMPLES.glob("*.txt"))
    counts: Counter[str] = Counter()
    for path in seeds:
        counts.update({paragraph_key(p) for p in teaser_candidates(path.read_text(), RULES)})
    known = frozenset(key for key, n in counts.items() if n >= 2)
    assert len(known) == 3  # the May-2024 teaser set shared by seeds 000 and 001
    doc = _parse(SAMPLES / "000_cf36241004f3aa92.txt", known)
    assert doc.article is not None
    assert doc.article.title.startswith("A meeting of the Parliamentary Assembly Council")
    assert doc.warnings == ()
    assert len(doc.others) == 3


def test_derived_titles_take_no_stray_spacing() -> None:
    text = "The CSTO Secretary General  Imangali Tasmagambetov met\u00a0the press.  Then more."
    assert derive_title(text, RULES) == (
        "The CSTO Secretary General Imangali Tasmagambetov met the press"
    )


@pytest.mark.parametrize(
    ("seed", "observed"),
    [("002_992e3ac4f41bb9cb.txt", dt.date(2024, 2, 16)), ("004_4b67952beaed8799.txt", None)],
)
def test_the_newest_sidebar_date_dates_the_copy(seed: str, observed: dt.date | None) -> None:
    text = decode_bytes((SAMPLES / seed).read_bytes(), locator=seed).text
    assert parse_dump(text, locator=seed, rules=RULES).observed == observed


def test_a_recalled_year_never_dates_a_sidebar() -> None:
    # An anniversary teaser names the year it marks; a year-less "this year" teaser below
    # it must take its year from the stated dates around, and the anniversary stays
    # between them.
    sidebar = [
        "On 12 May 2025, the CSTO Secretariat hosted a briefing for the diplomatic corps.",
        "The Council of Defence Ministers marks its anniversary: it was set up on 11 May "
        "2003 in Dushanbe.",
        "On 11 May this year, staff of the Secretariat completed a course on crisis response.",
        "On 10 May 2025, the Joint Staff held consultations on the planning of trainings.",
    ]
    text = "\n".join(
        [
            *sidebar,
            "",
            "The CSTO Secretary General met the Ambassador of Mongolia",
            "",
            "The sides discussed cooperation in the fight against drug trafficking.",
        ]
    )
    doc = parse_dump(text, locator="anniversary.txt", rules=RULES)
    assert doc.article is not None
    assert doc.article.title == "The CSTO Secretary General met the Ambassador of Mongolia"
    assert [(t.date, t.date_origin) for t in doc.others] == [
        (dt.date(2025, 5, 12), DateOrigin.LEAD),
        (dt.date(2025, 5, 11), DateOrigin.MENTION),
        (dt.date(2025, 5, 11), DateOrigin.LEAD),
        (dt.date(2025, 5, 10), DateOrigin.LEAD),
    ]
