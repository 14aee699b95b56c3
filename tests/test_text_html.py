"""HTML fragments: the sanitiser, absolute references and text extraction."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import feeds.text.html as html_module
from feeds.errors import ParseError
from feeds.text.html import (
    MAX_DEPTH,
    check_depth,
    html_links,
    html_paragraphs,
    html_to_text,
    nesting_depth,
    sanitize_html,
)

BASE = "https://en.odkb-csto.org/news/news_odkb/sovet2018/"


def clean(fragment: str) -> str:
    return sanitize_html(fragment, base_url=BASE)


@pytest.mark.parametrize(
    ("dangerous", "expected"),
    [
        ("<p>a</p><script>alert(1)</script>", "<p>a</p>"),
        ("<style>p { color: red }</style><p>a</p>", "<p>a</p>"),
        ('<iframe src="https://video.example.org/1">no frames</iframe><p>a</p>', "<p>a</p>"),
        ('<object data="/x.swf">player</object><p>a</p>', "<p>a</p>"),
        ('<form action="/s"><input name="q"><button>Go</button></form><p>a</p>', "<p>a</p>"),
        ('<p onclick="steal()" onmouseover="x()">a</p>', "<p>a</p>"),
        ('<p style="color: red" class="lead" id="x">a</p>', "<p>a</p>"),
        ('<a href="javascript:alert(1)">a</a>', "a"),
        ('<a href="JaVaScRiPt:alert(1)">a</a>', "a"),
        ('<a href="java&#09;script:alert(1)">a</a>', "a"),
        ('<a href=" javascript:alert(1)">a</a>', "a"),
        ('<a href="vbscript:msgbox(1)">a</a>', "a"),
        ('<a href="data:text/html;base64,PHNjcmlwdD4=">a</a>', "a"),
        ('<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="x">', ""),
        ('<img src="/a.jpg" onerror="steal()">', '<img src="https://en.odkb-csto.org/a.jpg">'),
        ("<p>a<!-- hidden --></p>", "<p>a</p>"),
        ('<svg><script>alert(1)</script></svg><p>a</p>', "<p>a</p>"),
        ("<div><p>a</p></div>", "<p>a</p>"),
        ("<h1>Big</h1><h2>Small</h2>", "Big<h2>Small</h2>"),
        ('<a href="https://x.example/" target="_blank" rel="opener">a</a>',
         '<a href="https://x.example/" rel="noopener noreferrer">a</a>'),
    ],
)  # fmt: skip
def test_dangerous_constructs_are_removed(dangerous: str, expected: str) -> None:
    assert clean(dangerous) == expected


def test_allowed_markup_is_kept() -> None:
    fragment = (
        "<p><strong>a</strong> <em>b</em> <sub>2</sub><sup>3</sup></p>"
        '<table><tbody><tr><td colspan="2" style="x">c</td></tr></tbody></table>'
        '<figure><img src="https://x.example/p.jpg" alt="p" width="640" height="auto">'
        "<figcaption>d</figcaption></figure><hr>"
    )
    assert clean(fragment) == (
        "<p><strong>a</strong> <em>b</em> <sub>2</sub><sup>3</sup></p>"
        '<table><tbody><tr><td colspan="2">c</td></tr></tbody></table>'
        '<figure><img src="https://x.example/p.jpg" alt="p" width="640">'
        "<figcaption>d</figcaption></figure><hr>"
    )


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        ('<a href="/news/speech/">s</a>',
         '<a href="https://en.odkb-csto.org/news/speech/" rel="noopener noreferrer">s</a>'),
        ('<a href="../../speech/">s</a>',
         '<a href="https://en.odkb-csto.org/news/speech/" rel="noopener noreferrer">s</a>'),
        ('<img src="ZVF_2142.JPG">',
         f'<img src="{BASE}ZVF_2142.JPG">'),
        ('<a href="//pacsto.org/">p</a>',
         '<a href="https://pacsto.org/" rel="noopener noreferrer">p</a>'),
        ('<a href="mailto:odkb-pressa@example.org">m</a>',
         '<a href="mailto:odkb-pressa@example.org" rel="noopener noreferrer">m</a>'),
    ],
)  # fmt: skip
def test_relative_urls_become_absolute(fragment: str, expected: str) -> None:
    assert clean(fragment) == expected


def test_relative_urls_go_without_a_base() -> None:
    fragment = '<a href="/news/">n</a> <img src="a.jpg"> <a href="https://x.example/">x</a>'
    assert sanitize_html(fragment, base_url=None) == (
        'n  <a href="https://x.example/" rel="noopener noreferrer">x</a>'
    )


def test_xml_invalid_characters_are_removed() -> None:
    fragment = "<p>a\x00b\x08c\x0bd\x1fe\ufffef\uffffg\ud800h\udfffi\tj</p>"
    assert clean(fragment) == "<p>abc defghi\tj</p>"


def test_output_is_deterministic() -> None:
    fragment = '<p><img width="10" alt="a" src="/x.jpg" title="t"></p>'
    first = clean(fragment)
    assert first == clean(fragment)
    assert first == '<p><img width="10" alt="a" src="https://en.odkb-csto.org/x.jpg" title="t"></p>'


def test_paragraphs_and_text() -> None:
    fragment = (
        "<p>First  line<br>second line</p><div>Third <b>bold</b>\n text</div>"
        "Loose text<script>var x;</script><!-- note --><ul><li>One</li><li>Two</li></ul>"
    )
    assert html_paragraphs(fragment) == (
        "First line",
        "second line",
        "Third bold text",
        "Loose text",
        "One",
        "Two",
    )
    assert html_to_text(fragment) == (
        "First line\n\nsecond line\n\nThird bold text\n\nLoose text\n\nOne\n\nTwo"
    )
    assert html_paragraphs("  ") == ()
    assert html_to_text("<p>caf&eacute; &amp; tea</p>") == "café & tea"


def test_links() -> None:
    fragment = '<a href="https://a.example/">a</a><a href="mailto:b@c.d">b</a><a href="https://a.example/">c</a><a>d</a>'
    assert html_links(fragment) == ("https://a.example/", "mailto:b@c.d")


# Tags a parser may nest, imply parents for, or close early.
_TAGS = ("div", "p", "span", "table", "tr", "td", "li", "ul", "dt", "dd", "html", "body",
         "head", "select", "option", "frameset", "pre", "caption", "col")  # fmt: skip


@given(st.lists(st.sampled_from(_TAGS).flatmap(
    lambda t: st.sampled_from([f"<{t}>", f"<{t}>x", f"</{t}>", "x", "<!-- c -->", "<"])
), max_size=40))  # fmt: skip
def test_a_parser_nests_no_deeper_than_the_tags_the_markup_opens(parts: list[str]) -> None:
    # check_depth skips the parse below its limit on this bound: html and body are the
    # elements the parser adds itself.
    markup = "".join(parts)
    assert nesting_depth(markup, limit=10_000) <= markup.count("<") + 2


def test_markup_with_few_tags_is_not_parsed_to_be_measured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    measured: list[str] = []

    def measure(markup: str) -> int:
        measured.append(markup)
        return 0

    monkeypatch.setattr(html_module, "nesting_depth", measure)
    few = "<p>a</p>" * ((MAX_DEPTH - 8) // 2)
    check_depth(few, "body")
    assert measured == []
    check_depth(few + "<br>", "body")
    assert len(measured) == 1


def test_deep_markup_is_refused_with_its_place() -> None:
    deep = "<div>" * (MAX_DEPTH + 1) + "x"
    with pytest.raises(ParseError, match=r"^https://x\.example/a: elements nested more than 256"):
        check_depth(deep, "https://x.example/a")
    check_depth("<div>" * (MAX_DEPTH - 2) + "x", "https://x.example/a")
