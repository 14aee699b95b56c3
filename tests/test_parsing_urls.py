"""Canonical URLs, resolution, and the section and language maps."""

from __future__ import annotations

import pytest

from feeds.parsing.urls import canonical_url, language_for_url, section_for_url
from feeds.profile import default_profile
from feeds.text.urls import absolutize, query_value

RULES = default_profile().html
NEWS = "https://en.odkb-csto.org/news/news_odkb/"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (f"{NEWS}sovet2018/", f"{NEWS}sovet2018/"),
        ("http://EN.ODKB-CSTO.ORG/news/news_odkb/sovet2018/", f"{NEWS}sovet2018/"),
        (f"{NEWS}sovet2018/?bxajaxid=0c5e3d1f2a4b6c8d9e0f1a2b3c4d5e6f", f"{NEWS}sovet2018/"),
        (
            "http://odkb-csto.org/news/news_odkb/v-sekretariate-odkb-sostoyalos-38-e/?clear_cache=Y",
            "https://odkb-csto.org/news/news_odkb/v-sekretariate-odkb-sostoyalos-38-e/",
        ),
        (f"{NEWS}?PAGEN_1=2", NEWS),
        (f"{NEWS}komandno-shtabnaya-trenirovka-/", f"{NEWS}komandno-shtabnaya-trenirovka-/"),
        (
            "https://en.odkb-csto.org/documents/statements/zayavlenie-del%20ODKB/",
            "https://en.odkb-csto.org/documents/statements/zayavlenie-del%20ODKB/",
        ),
        (
            "https://en.odkb-csto.org/news/smi/sputnik-uzbekistan",
            "https://en.odkb-csto.org/news/smi/sputnik-uzbekistan",
        ),
        (f"{NEWS}sovet2018/#photos", f"{NEWS}sovet2018/"),
        ("https://en.odkb-csto.org", "https://en.odkb-csto.org/"),
        ("https://en.odkb-csto.org:443/structure/", "https://en.odkb-csto.org/structure/"),
        (f"{NEWS}x/?a=1&bxajaxid=ff&b=%20", f"{NEWS}x/?a=1&b=%20"),
        # Other hosts keep their scheme: the test server speaks plain http.
        (
            "http://127.0.0.1:8123/news/news_odkb/x/?clear_cache=Y",
            "http://127.0.0.1:8123/news/news_odkb/x/",
        ),
    ],
)
def test_canonical_url(given: str, expected: str) -> None:
    assert canonical_url(given, RULES) == expected


def test_listing_keeps_its_page_number() -> None:
    url = f"{NEWS}?PAGEN_1=3&bxajaxid=0c5e3d1f2a4b6c8d9e0f1a2b3c4d5e6f"
    assert canonical_url(url, RULES, listing=True) == f"{NEWS}?PAGEN_1=3"


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("/news/speech/", "https://en.odkb-csto.org/news/speech/"),
        ("../../speech/", "https://en.odkb-csto.org/news/speech/"),
        ("photo.jpg", f"{NEWS}sovet2018/photo.jpg"),
        ("  ?PAGEN_1=2 ", f"{NEWS}sovet2018/?PAGEN_1=2"),
        ("IMG-20190925-WA0060%20(1).jpg", f"{NEWS}sovet2018/IMG-20190925-WA0060%20(1).jpg"),
        ("https://pacsto.org/news/", "https://pacsto.org/news/"),
        ("//jscsto.odkb-csto.org/en/", "https://jscsto.odkb-csto.org/en/"),
    ],
)
def test_absolutize(ref: str, expected: str) -> None:
    assert absolutize(ref, f"{NEWS}sovet2018/") == expected


@pytest.mark.parametrize(
    ("url", "section"),
    [
        (f"{NEWS}sovet2018/", "news"),
        ("https://en.odkb-csto.org/news/speech/privetstvennoe-slovo/", "speeches"),
        ("https://en.odkb-csto.org/news/smi/sputnik-uzbekistan", "media"),
        ("https://en.odkb-csto.org/documents/statements/zayavlenie%20ODKB/", "statements"),
        ("https://en.odkb-csto.org/documents/documents/ustav/", "documents"),
        ("https://en.odkb-csto.org/session/2014/session2014/", "sessions"),
        ("https://en.odkb-csto.org/training/trainings_interaction/x/", "trainings"),
        ("https://en.odkb-csto.org/international_org/un/kanal-12948/", "international"),
        ("https://en.odkb-csto.org/75-letie-pobedy/novosti/v-aktau/", "news"),
        ("https://jscsto.odkb-csto.org/en/news/predstaviteli/", "joint-staff"),
        ("https://odkb-csto.org/news/news_odkb/v-sekretariate/", "news"),
        ("http://127.0.0.1:8123/news/speech/x/", "speeches"),
        ("https://en.odkb-csto.org/structure/", None),
        ("https://jscsto.odkb-csto.org/en/", None),
        ("https://en.odkb-csto.org/news/", None),
    ],
)
def test_section_for_url(url: str, section: str | None) -> None:
    assert section_for_url(url, RULES) == section


@pytest.mark.parametrize(
    ("url", "language"),
    [
        (f"{NEWS}sovet2018/", "en"),
        ("https://EN.odkb-csto.org/", "en"),
        ("https://odkb-csto.org/news/news_odkb/x/", "ru"),
        ("https://jscsto.odkb-csto.org/en/news/x/", "en"),
        ("https://jscsto.odkb-csto.org/ru/news/x/", None),
        ("http://127.0.0.1:8123/news/news_odkb/x/", None),
    ],
)
def test_language_for_url(url: str, language: str | None) -> None:
    assert language_for_url(url, RULES) == language


def test_query_value() -> None:
    assert query_value(f"{NEWS}?PAGEN_1=2", "PAGEN_1") == "2"
    assert query_value(f"{NEWS}?PAGEN_1", "PAGEN_1") is None
    assert query_value(NEWS, "PAGEN_1") is None
