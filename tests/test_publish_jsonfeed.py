"""JSON Feed 1.1 documents of a section."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from feeds.errors import PublishError
from feeds.model import Asset, DateOrigin, Entry, Release, ReleaseKind, Section, Site
from feeds.publish.jsonfeed import render_json_feed
from feeds.publish.membership import newest_first
from feeds.publish.validate import check_document

DATA = Path(__file__).parent / "data" / "publish"
MSK = ZoneInfo("Europe/Moscow")

SITE = Site(
    title="CSTO releases",
    url="https://en.odkb-csto.org/",
    public_url="https://feeds.example.org/csto/",
)
NEWS = Section(id="news", title="CSTO news", description="Meetings, councils and exercises.")


def json_feed(section: Section, given: list[Entry], *, size: int = 50, **kwargs: Any) -> bytes:
    """The document of a feed whose head is the newest ``size`` visible entries given."""
    head = newest_first(e for e in given if not e.hidden)[:size]
    return render_json_feed(section, head, site=SITE, **kwargs)


def council() -> Entry:
    """Dated, from a dump: no URL, images known by file name only."""
    lead = "A meeting of the Permanent Council of the CSTO was held in Moscow."
    return Entry(
        id="tag:feeds,2024-05-20:release/1a2b",
        release=Release(
            kind=ReleaseKind.FULL,
            title="Permanent Council: Tom & Jerry <notes>",
            date=dt.date(2018, 11, 27),
            date_origin=DateOrigin.HEADER,
            lead=lead,
            paragraphs=(lead,),
            body_html=f"<p>{lead}</p>",
            images=(Asset("ZVF_2142.JPG"),),
            contacts=("odkb-pressa@gov.ru",),
            language="en",
        ),
        section="news",
        published=dt.datetime(2018, 11, 27, tzinfo=MSK),
        updated=dt.datetime(2024, 5, 20, 9, 0, 1, tzinfo=dt.UTC),
        first_seen=dt.datetime(2024, 5, 20, 9, 0, tzinfo=dt.UTC),
        page_path="releases/2018/11/permanent-council-1a2b.html",
    )


def session() -> Entry:
    """Known URL, an absolute image and an attachment."""
    lead = "The session of the Collective Security Council opened in Minsk."
    return Entry(
        id="tag:feeds,2024-05-20:release/5c6d",
        release=Release(
            kind=ReleaseKind.FULL,
            title="The session of the Collective Security Council began",
            date=dt.date(2024, 5, 16),
            date_origin=DateOrigin.PAGE,
            lead=lead,
            body_html=f"<p>{lead}</p>",
            images=(Asset("hall.jpg", "https://en.odkb-csto.org/upload/hall.jpg"),),
            attachments=(Asset("Annex 2.pdf", "https://en.odkb-csto.org/upload/Annex%202.pdf"),),
            language="en",
            url="https://en.odkb-csto.org/news/news_odkb/nachalas-sessiya/",
        ),
        section="news",
        published=dt.datetime(2024, 5, 16, tzinfo=MSK),
        updated=dt.datetime(2024, 5, 20, 9, 0, 2, tzinfo=dt.UTC),
        first_seen=dt.datetime(2024, 5, 20, 9, 0, tzinfo=dt.UTC),
        page_path="releases/2024/05/the-session-5c6d.html",
    )


def undated_russian() -> Entry:
    """Russian text with no date of its own: published is when it was first seen."""
    text = "Генеральный секретарь ОДКБ провёл встречу в Бишкеке."
    seen = dt.datetime(2025, 6, 2, 7, 30, tzinfo=dt.UTC)
    return Entry(
        id="tag:feeds,2025-06-02:release/9a0b",
        release=Release(
            kind=ReleaseKind.FULL,
            title="Встреча в Бишкеке",
            lead=text,
            paragraphs=(text,),
            language="ru",
        ),
        section="news",
        published=seen,
        updated=seen,
        first_seen=seen,
        page_path="releases/2025/06/vstrecha-v-bishkeke-9a0b.html",
    )


def entries() -> list[Entry]:
    return [council(), undated_russian(), session()]


def test_json_feed_matches_the_expected_file() -> None:
    first = json_feed(NEWS, entries(), size=50)
    assert first == (DATA / "news-feed.json").read_bytes()
    assert first == json_feed(NEWS, entries(), size=50)
    assert first.endswith(b"}\n")
    # Non-ASCII text is written as UTF-8, not as \u escapes.
    assert "Встреча в Бишкеке".encode() in first
    findings = check_document(first, "https://feeds.example.org/csto/news/feed.json")
    assert findings == [], "\n".join(map(str, findings))


def test_json_feed_top_level() -> None:
    feed = json.loads(json_feed(NEWS, entries(), size=50))
    assert list(feed) == [
        "version",
        "title",
        "home_page_url",
        "feed_url",
        "description",
        "language",
        "items",
    ]
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] == "CSTO releases: CSTO news"
    assert feed["home_page_url"] == "https://feeds.example.org/csto/news/index.html"
    assert feed["feed_url"] == "https://feeds.example.org/csto/news/feed.json"
    assert feed["language"] == "en"


def test_json_feed_items_newest_first_with_exact_values() -> None:
    raw = json_feed(NEWS, entries(), size=50)
    items = json.loads(raw)["items"]
    assert [i["id"] for i in items] == [
        "tag:feeds,2025-06-02:release/9a0b",
        "tag:feeds,2024-05-20:release/5c6d",
        "tag:feeds,2024-05-20:release/1a2b",
    ]
    russian, session_item, council_item = items
    assert russian == {
        "id": "tag:feeds,2025-06-02:release/9a0b",
        "url": "https://feeds.example.org/csto/releases/2025/06/vstrecha-v-bishkeke-9a0b.html",
        "title": "Встреча в Бишкеке",
        "content_html": "<p>Генеральный секретарь ОДКБ провёл встречу в Бишкеке.</p>",
        "summary": "Генеральный секретарь ОДКБ провёл встречу в Бишкеке.",
        "date_published": "2025-06-02T07:30:00+00:00",
        "date_modified": "2025-06-02T07:30:00+00:00",
        "language": "ru",
        "tags": ["CSTO news"],
        # Undated: published is when it was first seen, and the item says so.
        "_feeds": {
            "kind": "full",
            "title_derived": False,
            "date_known": False,
            "date_origin": "none",
        },
    }
    assert session_item["url"] == "https://en.odkb-csto.org/news/news_odkb/nachalas-sessiya/"
    assert session_item["image"] == "https://en.odkb-csto.org/upload/hall.jpg"
    assert session_item["content_html"] == (
        "<p>The session of the Collective Security Council opened in Minsk.</p>\n"
        '<figure><img src="https://en.odkb-csto.org/upload/hall.jpg" alt="hall.jpg"></figure>\n'
        '<ul><li><a href="https://en.odkb-csto.org/upload/Annex%202.pdf">Annex 2.pdf</a></li></ul>'
    )
    assert session_item["date_published"] == "2024-05-16T00:00:00+03:00"
    assert session_item["date_modified"] == "2024-05-20T09:00:02+00:00"
    # The title is plain text in JSON: escaped nowhere, since JSON needs no HTML escaping.
    assert council_item["title"] == "Permanent Council: Tom & Jerry <notes>"
    assert council_item["content_html"] == (
        "<p>A meeting of the Permanent Council of the CSTO was held in Moscow.</p>"
    )
    assert "image" not in council_item
    assert "odkb-pressa" not in raw.decode()


def test_json_round_trip() -> None:
    raw = json_feed(NEWS, entries(), size=50)
    feed = json.loads(raw)
    again = json.dumps(feed, ensure_ascii=False, indent=2) + "\n"
    assert again.encode("utf-8") == raw


def test_feed_size_and_hidden_entries() -> None:
    hidden = replace(session(), hidden=True)
    raw = json_feed(NEWS, [council(), hidden, undated_russian()], size=1)
    items = json.loads(raw)["items"]
    assert [i["id"] for i in items] == ["tag:feeds,2025-06-02:release/9a0b"]
    empty = json.loads(json_feed(NEWS, [], size=50))
    assert empty["items"] == []


def test_section_without_description_has_no_description_key() -> None:
    section = Section(id="all", title="All releases")
    feed = json.loads(json_feed(section, entries(), size=50))
    assert "description" not in feed
    assert feed["feed_url"] == "https://feeds.example.org/csto/all/feed.json"
    assert {tuple(i["tags"]) for i in feed["items"]} == {("All releases",)}


def test_naive_datetime_is_refused() -> None:
    naive = replace(council(), updated=dt.datetime(2024, 5, 20, 9, 0))
    with pytest.raises(PublishError) as caught:
        json_feed(NEWS, [naive], size=50)
    assert str(caught.value) == (
        "https://feeds.example.org/csto/news/feed.json: "
        "entry tag:feeds,2024-05-20:release/1a2b has a date without a time zone"
    )


def test_items_of_a_mixed_feed_are_tagged_with_their_own_section() -> None:
    all_section = Section(id="all", title="All releases")
    feed = json.loads(json_feed(all_section, entries(), section_titles={"news": "CSTO news"}))
    assert [i["tags"] for i in feed["items"]] == [["CSTO news"]] * 3
