"""HTML listing and article pages, read with the packaged CSTO profile."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from feeds.errors import ParseError
from feeds.model import Asset, DateOrigin, ParsedDocument, Release, ReleaseKind
from feeds.parsing.html import FALLBACK_WARNING, ListingItem, parse_article, parse_listing
from feeds.profile import default_profile

SITE = Path(__file__).parent / "data" / "site"
INDEX: dict[str, list[dict[str, Any]]] = yaml.safe_load((SITE / "index.yaml").read_text("utf-8"))
RULES = default_profile().html
EN = "https://en.odkb-csto.org"


def _read(page: dict[str, Any]) -> str:
    charset = str(page["content_type"]).rpartition("charset=")[2]
    return (SITE / str(page["file"])).read_bytes().decode(charset)


def _page(path: str) -> dict[str, Any]:
    return next(p for p in INDEX["articles"] + INDEX["listings"] if p["path"] == path)


def _document(path: str) -> ParsedDocument:
    page = _page(path)
    return parse_article(_read(page), url=f"https://{page['host']}{path}", rules=RULES)


def _only(document: ParsedDocument) -> Release:
    assert document.article is not None
    return document.article


def _article(path: str) -> Release:
    return _only(_document(path))


# --- the index describes every page -----------------------------------------


def test_index_lists_every_fixture_file() -> None:
    listed = {p["file"] for p in INDEX["articles"] + INDEX["listings"]}
    on_disk = {p.relative_to(SITE).as_posix() for p in SITE.rglob("*.html")}
    assert listed == on_disk
    assert len(INDEX["articles"]) == 12
    assert len(INDEX["listings"]) == 4


@pytest.mark.parametrize("page", INDEX["articles"], ids=lambda p: p["path"])
def test_article_matches_index(page: dict[str, Any]) -> None:
    url = f"https://{page['host']}{page['path']}"
    document = parse_article(_read(page), url=url, rules=RULES)
    release = document.article
    assert release is not None
    assert document.locator == url
    assert release.kind is ReleaseKind.FULL
    assert release.title == page["title"]
    assert release.date == page["date"]
    assert release.date_origin is (DateOrigin.PAGE if page["date"] else DateOrigin.NONE)
    assert release.section == page["section"]
    assert release.language == page["language"]
    assert len(release.images) == page["images"]
    assert len(release.attachments) == page["attachments"]
    assert release.lead.startswith(page["body_start"])
    assert release.paragraphs[0] == release.lead
    assert release.url == url
    assert (FALLBACK_WARNING in document.warnings) is page["fallback"]
    for phrase in ("Go back", "Back to the section", "Back to the all news", "Назад"):
        assert phrase not in release.paragraphs
        assert phrase not in release.body_html


@pytest.mark.parametrize("page", INDEX["listings"], ids=lambda p: p["path"])
def test_listing_matches_index(page: dict[str, Any]) -> None:
    url = f"https://{page['host']}{page['path']}"
    listing = parse_listing(_read(page), url=url, rules=RULES)
    assert listing.url == url
    assert len(listing.items) == page["items"]
    assert listing.next_page == (f"https://{page['host']}{page['next']}" if page["next"] else None)
    assert listing.used_fallback is page["fallback"]


# --- listings ----------------------------------------------------------------


def test_listing_page_one_items() -> None:
    listing = parse_listing(
        _read(_page("/news/news_odkb/")), url=f"{EN}/news/news_odkb/", rules=RULES
    )
    assert listing.items == (
        ListingItem(
            url=f"{EN}/news/news_odkb/v-minske-proshla-komandno-shtabnaya-trenirovka/",
            title="A command and staff training of the Collective Forces was held in Minsk",
            date=dt.date(2025, 3, 12),
            lead="Staff officers of the member states rehearsed the planning of a joint operation.",
        ),
        ListingItem(
            url=f"{EN}/news/news_odkb/v-minske-proshla-komandno-shtabnaya-trenirovka-/",
            title="Command and staff training in Minsk: the 2024 round",
            date=dt.date(2024, 11, 14),
            lead="The first stage of the training focused on communications between headquarters.",
        ),
    )


def test_listing_keeps_links_as_written() -> None:
    listing = parse_listing(
        _read(_page("/news/news_odkb/?PAGEN_1=2")),
        url=f"{EN}/news/news_odkb/?PAGEN_1=2",
        rules=RULES,
    )
    assert [item.url for item in listing.items] == [
        f"{EN}/news/news_odkb/sostoyalas-videovstrecha-mezhdu-generalnym-sekretarem-odkb"
        "-i-pomoshchnikom-generalnogo-sekretarya-oo/",
        f"{EN}/news/news_odkb/sovet2018/?bxajaxid=0c5e3d1f2a4b6c8d9e0f1a2b3c4d5e6f",
    ]
    assert [item.date for item in listing.items] == [dt.date(2022, 1, 20), dt.date(2018, 11, 27)]


def test_last_listing_page_without_preview() -> None:
    listing = parse_listing(
        _read(_page("/news/news_odkb/?PAGEN_1=3")),
        url=f"{EN}/news/news_odkb/?PAGEN_1=3",
        rules=RULES,
    )
    assert listing.next_page is None
    assert listing.items == (
        ListingItem(
            url=f"{EN}/news/news_odkb/brifing-po-bezopasnosti-informatsii/",
            title="Briefing on information security held at the CSTO Secretariat",
            date=dt.date(2017, 9, 5),
            lead="",
        ),
    )


def test_generic_listing_on_a_loopback_host() -> None:
    base = "http://127.0.0.1:8123"
    listing = parse_listing(
        _read(_page("/75-letie-pobedy/novosti/")),
        url=f"{base}/75-letie-pobedy/novosti/",
        rules=RULES,
    )
    assert listing.used_fallback is True
    assert listing.items == (
        ListingItem(
            url=f"{base}/75-letie-pobedy/novosti/veterany-vstretilis-s-kursantami/",
            title="Veterans met cadets of the military academy",
            date=dt.date(2020, 5, 7),
            lead="Veterans told the cadets about the battles they took part in "
            "and answered their questions.",
        ),
        ListingItem(
            url=f"{base}/75-letie-pobedy/novosti/v-aktau-vozlozhili-tsvety",
            # The date phrase inside the title is not the item's date.
            title="Flowers were laid at the memorial in Aktau, 9 May 1945 remembered",
            date=dt.date(2020, 5, 9),
            lead="Residents of the city and members of the garrison laid flowers "
            "at the eternal flame.",
        ),
    )


def test_listing_of_an_empty_page() -> None:
    listing = parse_listing("<html><body></body></html>", url=f"{EN}/news/smi/", rules=RULES)
    assert listing.items == ()
    assert listing.next_page is None
    assert listing.used_fallback is True


# --- articles ----------------------------------------------------------------


def test_images_and_relative_links_become_absolute() -> None:
    release = _article("/news/news_odkb/sovet2018/")
    assert release.images == (
        Asset("ZVF_2142.JPG", f"{EN}/upload/iblock/3f2/ZVF_2142.JPG"),
        Asset(
            "IMG-20190925-WA0060 (1).jpg",
            f"{EN}/upload/medialibrary/a1c/IMG-20190925-WA0060%20(1).jpg",
        ),
        Asset("ZVF_2150.JPG", f"{EN}/upload/iblock/3f2/ZVF_2150.JPG"),
    )
    assert release.links == (
        f"{EN}/documents/statements/",
        f"{EN}/news/speech/",
        f"{EN}/photo/sovet2018/",
    )
    assert 'href="/' not in release.body_html
    assert 'src="../' not in release.body_html
    assert release.paragraphs[-1] == "The signing ceremony"
    assert len(release.paragraphs) == 4


def test_attachments() -> None:
    release = _article("/documents/statements/zayavlenie-ministrov-inostrannykh-del%20ODKB/")
    assert release.attachments == (
        Asset(
            "39357fa0c1d2e3f4a5b6c7d8e9f0a1b2.docx",
            f"{EN}/upload/iblock/9c4/39357fa0c1d2e3f4a5b6c7d8e9f0a1b2.docx",
        ),
        Asset("Annex 2.pdf", f"{EN}/upload/iblock/9c4/Annex%202.pdf"),
    )
    assert "Download document" not in release.paragraphs
    assert release.url == f"{EN}/documents/statements/zayavlenie-ministrov-inostrannykh-del%20ODKB/"


def test_subtitle_is_kept_apart_from_the_lead() -> None:
    release = _article("/news/speech/privetstvennoe-slovo-generalnogo-sekretarya-odkb/")
    assert release.extra == (
        ("subtitle", "Read out at the opening session, 3 October 2023, Yerevan"),
    )
    assert release.lead == (
        "Dear friends, I am glad to greet the young researchers and journalists "
        "who came to the forum this year."
    )
    assert release.date == dt.date(2023, 10, 3)


def test_undated_page_ignores_dates_in_the_body() -> None:
    release = _article("/international_org/un/o_sotrudnichestve_odkb_s_oon_/")
    assert release.date is None
    assert release.date_origin is DateOrigin.NONE
    assert len(release.paragraphs) == 2


def test_windows_1251_page() -> None:
    page = _page("/news/news_odkb/v-sekretariate-odkb-sostoyalos-38-e-zasedanie/")
    raw = (SITE / page["file"]).read_bytes()
    assert b'charset="windows-1251"' in raw
    html = raw.decode("windows-1251")
    url = "https://odkb-csto.org/news/news_odkb/v-sekretariate-odkb-sostoyalos-38-e-zasedanie/"
    release = _only(parse_article(html, url=url, rules=RULES))
    assert release.title == "В Секретариате ОДКБ состоялось 38-е заседание Рабочей группы"
    assert release.date == dt.date(2025, 5, 28)
    assert release.language == "ru"
    assert release.paragraphs == (
        "28 мая 2025 года в Секретариате ОДКБ прошло очередное заседание Рабочей группы "
        "по вопросам информационной политики.",
        "Участники обсудили план совместных мероприятий на второе полугодие.",
    )


def test_language_falls_back_to_the_html_lang() -> None:
    page = _page("/news/news_odkb/v-sekretariate-odkb-sostoyalos-38-e-zasedanie/")
    url = "http://127.0.0.1:8123" + page["path"]
    release = _only(parse_article(_read(page), url=url, rules=RULES))
    assert release.language == "ru"
    assert release.section == "news"
    assert release.url == url


def test_sanitised_article_body() -> None:
    release = _article("/news/news_odkb/brifing-po-bezopasnosti-informatsii/")
    assert release.body_html == (
        "<p>Experts explained to journalists how the member states share data on cyber "
        "incidents.</p>\n"
        '<p>Watch the recording or read the <a href="https://en.odkb-csto.org/news/news_odkb/"'
        ' rel="noopener noreferrer">other news</a>.</p>\n'
        "\n"
        '<p><img alt="Speakers" src="https://en.odkb-csto.org/upload/iblock/77a/briefing.jpg">'
        "</p>\n"
        "\n"
        '<p>Questions may be sent to <a href="mailto:press@example.org" '
        'rel="noopener noreferrer">the press service</a>.</p>'
    )
    assert release.paragraphs == (
        "Experts explained to journalists how the member states share data on cyber incidents.",
        "Watch the recording or read the other news.",
        "Questions may be sent to the press service.",
    )
    assert release.links == (f"{EN}/news/news_odkb/", "mailto:press@example.org")
    assert release.images == (Asset("briefing.jpg", f"{EN}/upload/iblock/77a/briefing.jpg"),)


def test_generic_article_ignores_sidebar_and_body_dates() -> None:
    document = _document("/en/news/predstaviteli-oboronnykh-vedomstv-obsudili-podgotovku/")
    release = _only(document)
    assert document.warnings == (FALLBACK_WARNING,)
    # Not the banner's logo heading, not the sidebar's 03.03.2025, not April 28, 2003.
    assert release.title == (
        "Representatives of defence ministries discussed the preparation of joint exercises"
    )
    assert release.date == dt.date(2025, 3, 6)
    assert len(release.paragraphs) == 4
    assert release.paragraphs[-1] == "The next meeting is planned for the autumn."
    assert release.language == "en"
    assert release.section == "joint-staff"


def test_generic_article_with_line_breaks_and_a_date_above_the_heading() -> None:
    release = _article("/75-letie-pobedy/novosti/veterany-vstretilis-s-kursantami/")
    assert release.date == dt.date(2020, 5, 7)
    assert release.paragraphs == (
        "Veterans of the Great Patriotic War visited the military academy and spoke with "
        "the first-year cadets.",
        "The guests recalled the spring of 1945 and the road home after the war.",
    )
    assert release.images == (Asset("cadets.jpg", f"{EN}/upload/75/cadets.jpg"),)


def test_generic_article_without_h1() -> None:
    release = _article("/75-letie-pobedy/novosti/v-aktau-vozlozhili-tsvety")
    assert release.title == "Flowers were laid at the memorial in Aktau"
    assert release.date == dt.date(2020, 5, 9)
    assert release.url == f"{EN}/75-letie-pobedy/novosti/v-aktau-vozlozhili-tsvety"
    assert len(release.paragraphs) == 2


def test_canonical_url_of_an_ajax_copy() -> None:
    page = _page("/news/news_odkb/sovet2018/")
    url = "http://en.odkb-csto.org/news/news_odkb/sovet2018/?bxajaxid=0c5e3d1f2a4b6c8d9e0f1a2b3c4d5e6f"
    release = _only(parse_article(_read(page), url=url, rules=RULES))
    assert release.url == f"{EN}/news/news_odkb/sovet2018/"


def test_page_without_a_title() -> None:
    url = f"{EN}/news/news_odkb/bez-zagolovka/"
    with pytest.raises(ParseError) as caught:
        page = "<html><body><div><p>Only a paragraph.</p></div></body></html>"
        parse_article(page, url=url, rules=RULES)
    assert str(caught.value) == f"{url}: no article title found"


# --- the profile -------------------------------------------------------------


def _profile() -> dict[str, Any]:
    text = (Path(__file__).parents[1] / "feeds/profiles/csto/html.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def test_default_profile() -> None:
    assert RULES.listing.page_param == "PAGEN_1"
    assert RULES.urls.strip_params == ("bxajaxid", "clear_cache")
    assert dict(RULES.sections)["jscsto.odkb-csto.org/en/news/"] == "joint-staff"
    dates = RULES.dates
    assert dates.find("On 16 February 2024, in Moscow") == dt.date(2024, 2, 16)
    assert dates.find("On May 16, 2024, the Secretariat") == dt.date(2024, 5, 16)
    assert dates.find("16 февраля 2024 г.") == dt.date(2024, 2, 16)
    assert dates.find("31.02.2024 and 15 May") is None
    assert dates.parse_value("2024-05-16T10:00:00+03:00") == dt.date(2024, 5, 16)


def test_generic_article_with_heading_and_date_inside_the_text_block() -> None:
    page = (
        "<html><body><div class='wrap'><div class='post'>"
        "<h1>Rep<span>resentatives</span> of the   member states met</h1>"
        "<p class='when'>16.02.2024</p>"
        "<p>The meeting took place at the Secretariat and lasted the whole day.</p>"
        "<p>The next meeting, due on 20.03.2024, will be held in Minsk.</p>"
        "</div></div></body></html>"
    )
    document = parse_article(page, url=f"{EN}/news/news_odkb/vstrecha/", rules=RULES)
    release = _only(document)
    assert document.warnings == (FALLBACK_WARNING,)
    assert release.title == "Representatives of the member states met"
    assert release.date == dt.date(2024, 2, 16)
    assert release.paragraphs == (
        "The meeting took place at the Secretariat and lasted the whole day.",
        "The next meeting, due on 20.03.2024, will be held in Minsk.",
    )
    assert "16.02.2024" not in release.body_html


def test_generic_article_never_dates_from_deep_in_the_body() -> None:
    page = (
        "<html><body><h1>A page without a date</h1><div class='text'>"
        "<p>Signed in Moscow on 15.05.1992, the Treaty is still in force today.</p>"
        "<p>It was later amended several times by the member states.</p>"
        "</div></body></html>"
    )
    release = _only(parse_article(page, url=f"{EN}/structure/", rules=RULES))
    assert release.title == "A page without a date"
    assert release.date is None
    assert release.section is None


def test_generic_subtitle_is_the_opening_heading_of_the_text() -> None:
    page = (
        "<html><body><h1>Welcome address</h1><div class='text'>"
        "<h3>of the CSTO Secretary General</h3>"
        "<p>Dear participants, I am pleased to welcome you to the conference.</p>"
        "<p>I wish you fruitful discussions over the coming two days.</p>"
        "</div></body></html>"
    )
    release = _only(parse_article(page, url=f"{EN}/news/speech/address/", rules=RULES))
    assert release.extra == (("subtitle", "of the CSTO Secretary General"),)
    assert release.paragraphs[0] == "of the CSTO Secretary General"
    assert release.lead == "Dear participants, I am pleased to welcome you to the conference."
    assert release.section == "speeches"


def test_signature_and_contacts_leave_the_body() -> None:
    page = (Path(__file__).parent / "data" / "html" / "article-signature.html").read_text("utf-8")
    document = parse_article(
        page,
        url="https://en.odkb-csto.org/news/news_odkb/konsultatsii/",
        rules=default_profile().html,
    )
    article = document.article
    assert article is not None
    assert article.contacts == (
        "The CSTO Press Secretary Vladimir Zaynetdinov",
        "E-mail: odkb-pressa@gov.ru",
    )
    # The name inside a sentence is text, not a signature: it stays.
    assert article.paragraphs == (
        "On 14 March 2025, consultations on arms control took place at the CSTO Secretariat.",
        "Asked by journalists, the CSTO Press Secretary Vladimir Zaynetdinov said the talks "
        "were useful.",
    )
    assert "odkb-pressa" not in article.body_html
