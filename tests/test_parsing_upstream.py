"""Upstream RSS and Atom feeds read into releases."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from feeds.errors import InputError
from feeds.model import Asset, DateOrigin, ParsedDocument, ReleaseKind
from feeds.parsing.upstream import parse_feed

DATA = Path(__file__).parent / "data" / "upstream"
MSK = dt.timezone(dt.timedelta(hours=3))


def read(name: str, base_url: str | None = None) -> ParsedDocument:
    return parse_feed((DATA / name).read_bytes(), locator=name, base_url=base_url)


def test_rss_items() -> None:
    document = read("rss.xml", base_url="https://partner.example.org/csto/feed.xml")
    assert document.locator == "rss.xml"
    assert document.article is None
    assert document.warnings == ("rss.xml: item 3 has no title or no link; skipped",)
    assert len(document.others) == 2
    first, second = document.others

    # Same release as the fixture site's /news/news_odkb/sovet2018/: same canonical URL.
    assert first.kind is ReleaseKind.FULL
    assert first.title == "The Collective Security Council met in Astana"
    assert first.url == "https://en.odkb-csto.org/news/news_odkb/sovet2018/"
    assert first.section == "news"
    assert first.published_at == dt.datetime(2018, 11, 27, 18, 40, tzinfo=MSK)
    assert first.date == dt.date(2018, 11, 27)
    assert first.date_origin is DateOrigin.FEED
    assert first.language == "en"
    assert first.body_html == (
        "<p>Heads of the member states gathered in Astana.</p>"
        '<p><img src="https://partner.example.org/upload/iblock/3f2/ZVF_2142.JPG"></p>'
    )
    assert first.paragraphs == ("Heads of the member states gathered in Astana.",)
    assert first.lead == "Heads of the member states gathered in Astana."
    assert first.images == (
        Asset("astana session.jpg", "https://partner.example.org/media/astana%20session.jpg"),
        Asset("ZVF_2142.JPG", "https://partner.example.org/upload/iblock/3f2/ZVF_2142.JPG"),
    )

    # A link off the site is kept as written.
    assert second.url == "https://partner.example.org/csto/review-2024/"
    assert second.section is None
    assert second.published_at == dt.datetime(2024, 12, 23, 23, 30, tzinfo=MSK)
    assert second.date == dt.date(2024, 12, 23)  # the feed's own calendar day, not UTC's
    assert second.body_html == "A plain-text review: no markup here &amp; none needed."
    assert second.lead == "A plain-text review: no markup here & none needed."


def test_atom_entries() -> None:
    document = read("atom.xml")
    assert document.warnings == ()
    first, second = document.others
    assert first.title == (
        "Representatives of defence ministries discussed the preparation of joint exercises"
    )
    assert first.url == (
        "https://jscsto.odkb-csto.org/en/news/predstaviteli-oboronnykh-vedomstv-obsudili-podgotovku/"
    )
    assert first.section == "joint-staff"
    assert first.published_at == dt.datetime(2025, 3, 6, 14, 5, tzinfo=MSK)
    assert first.date == dt.date(2025, 3, 6)
    assert first.language == "en"
    assert first.body_html == (
        "<p>Officers from the defence ministries met at the Joint Staff.</p>"
        '<p><a href="https://jscsto.odkb-csto.org/en/about/" rel="noopener noreferrer">'
        "About the Joint Staff</a> share</p>"
        '<img src="https://jscsto.odkb-csto.org/upload/js/meeting.jpg">'
    )
    assert first.links == ("https://jscsto.odkb-csto.org/en/about/",)
    assert first.images == (
        Asset("meeting.jpg", "https://jscsto.odkb-csto.org/upload/js/meeting.jpg"),
    )

    assert second.title == "Представители оборонных ведомств обсудили подготовку учений"
    assert second.language == "ru"
    assert second.section is None
    # No <published>: the updated time stands in.
    assert second.published_at == dt.datetime(2025, 3, 6, 10, 0, tzinfo=dt.UTC)
    assert second.paragraphs == ("Офицеры оборонных ведомств встретились в Объединённом штабе.",)


def test_language_argument_is_the_last_resort() -> None:
    data = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        b"<item><title>One</title><link>https://x.example/1</link></item></channel></rss>"
    )
    document = parse_feed(data, locator="inline", language="ru")
    (release,) = document.others
    assert release.language == "ru"
    assert release.date is None
    assert release.date_origin is DateOrigin.NONE
    assert release.body_html == ""
    assert release.lead == ""


def test_broken_feed_is_an_input_error() -> None:
    with pytest.raises(InputError) as caught:
        read("broken.xml")
    assert str(caught.value).startswith("broken.xml: not an RSS or Atom feed (")


@pytest.mark.parametrize("data", [b"", b"plain words, not XML", b"<html><body></body></html>"])
def test_other_non_feeds(data: bytes) -> None:
    with pytest.raises(InputError) as caught:
        parse_feed(data, locator="https://x.example/feed")
    assert caught.value.where == "https://x.example/feed"
    assert caught.value.reason.startswith("not an RSS or Atom feed (")


def test_empty_but_valid_feed() -> None:
    data = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
    assert parse_feed(data, locator="empty.xml").others == ()


def test_a_title_that_is_only_a_control_character_reference_is_no_title() -> None:
    # "&amp;#1;" in an RSS title is HTML text whose one character is U+0001: cleaned, the
    # title is empty, so the item is skipped with a warning and its neighbour kept.
    data = (
        b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>P</title>'
        b"<item><title>&amp;#1;</title><link>https://partner.example.org/0</link></item>"
        b"<item><title>Kept &amp;#1;item</title><link>https://partner.example.org/1</link></item>"
        b"</channel></rss>"
    )
    parsed = parse_feed(data, locator="controls.xml")
    assert [r.title for r in parsed.releases] == ["Kept item"]
    assert parsed.warnings == ("controls.xml: item 1 has no title or no link; skipped",)
