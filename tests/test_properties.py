"""Properties over generated and damaged input: every parser answers with releases or with
the package's own error for that input, never with another exception, and sanitised HTML
never holds anything a browser would run.

Inputs are the real sample dumps, pages and feeds of this repository, damaged at random
(spans cut, repeated or swapped, bytes and hostile fragments inserted), and documents
built from generated text.  Each property runs a modest number of examples with a
deadline, so the whole file stays fast.
"""

from __future__ import annotations

import functools
import re
import tempfile
import textwrap
from pathlib import Path
from typing import Any

import yaml
from bs4 import BeautifulSoup, Tag
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feeds.config import Config, load_config
from feeds.errors import ConfigError, InputError, ParseError
from feeds.ingest.safe import safe_release
from feeds.model import DocumentKind, ParsedDocument, Retrieved
from feeds.parsing import parse_document
from feeds.parsing.html import parse_article, parse_listing
from feeds.parsing.upstream import parse_feed
from feeds.profile import Profile, default_profile
from feeds.text.clean import clean_text
from feeds.text.decode import unreadable
from feeds.text.html import sanitize_html

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"
PAGE_URL = "https://en.odkb-csto.org/news/news_odkb/some-article/"
LISTING_URL = "https://en.odkb-csto.org/news/news_odkb/"
FEED_URL = "https://partner.example.org/feed.xml"

# Each property: a few dozen examples, each within seconds, nothing kept between runs.
PROPERTY = settings(
    max_examples=50,
    deadline=5000,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@functools.cache
def profile() -> Profile:
    return default_profile()


@functools.cache
def corpus(kind: str) -> tuple[bytes, ...]:
    """The repository's real inputs of one kind, as bytes."""
    if kind == "dump":
        found = [*(REPO / "samples" / "dumps").glob("*.txt"), *DATA.rglob("*.txt")]
    elif kind == "html":
        found = list(DATA.rglob("*.html"))
    else:
        found = [p for p in DATA.rglob("*.xml") if "syndication" not in p.parts]
    return tuple(p.read_bytes() for p in sorted(found))


# -- damage ------------------------------------------------------------------------------

#: Fragments that have broken parsers somewhere: controls, escapes, odd references,
#: half tags, bidi overrides, replacement characters, deep nesting.
HOSTILE = [
    b"\x00",
    b"\x1b[31m",
    b"\x1b]0;title\x07",
    b"\xc2\x9b2J",
    b"\xe2\x80\xae",
    b"&#xD800;",
    b"&#0;",
    b"&#x110000;",
    b"&#99999999999999999999;",
    b"&amp;#xDFFF;",
    b"<",
    b"</div>",
    b"<![CDATA[",
    b"]]>",
    b"<!--",
    b"<p>",
    b"<script>alert(1)</script>",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"\xef\xbf\xbd" * 20,
    b"\r",
    b"\n\n\n",
    b"<div>" * 300,
    b"12.03.2024",
    b"Go back",
]


@st.composite
def damaged(draw: st.DrawFn, kind: str) -> bytes:
    """A real input of ``kind`` with a few random edits."""
    data = bytearray(draw(st.sampled_from(corpus(kind))))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["cut", "repeat", "insert", "hostile", "flip"]))
        if action == "cut":
            del data[at : at + draw(st.integers(0, 400))]
        elif action == "repeat":
            data[at:at] = data[at : at + draw(st.integers(0, 400))]
        elif action == "insert":
            data[at:at] = draw(st.binary(max_size=40))
        elif action == "hostile":
            data[at:at] = draw(st.sampled_from(HOSTILE))
        elif data:
            at = min(at, len(data) - 1)
            data[at] = draw(st.integers(0, 255))
    return bytes(data)


def assert_releases(parsed: ParsedDocument) -> None:
    """Every release has a title, readable once cleaned for storing (as ingest does)."""
    for release in parsed.releases:
        title = safe_release(release).title
        assert title.strip(), repr(release.title)
        assert clean_text(title) == title, repr(title)
        assert not unreadable(title), repr(title)


def parse_or_refuse(document: Retrieved) -> None:
    """The property itself: releases, or an InputError naming the document."""
    try:
        parsed = parse_document(document, profile())
    except InputError as exc:
        assert exc.where == document.locator or exc.where.startswith("http"), str(exc)
        assert exc.reason, str(exc)
        return
    assert_releases(parsed)


# -- the parsers ------------------------------------------------------------------------


@PROPERTY
@given(damaged("dump"))
def test_damaged_dumps_parse_or_fail_with_an_input_error(data: bytes) -> None:
    parse_or_refuse(Retrieved(kind=DocumentKind.DUMP, locator="damaged.txt", body=data))


@PROPERTY
@given(damaged("html"), st.sampled_from(["text/html; charset=utf-8", "text/html", ""]))
def test_damaged_pages_parse_or_fail_with_an_input_error(data: bytes, content_type: str) -> None:
    parse_or_refuse(
        Retrieved(
            kind=DocumentKind.ARTICLE,
            locator=PAGE_URL,
            body=data,
            url=PAGE_URL,
            content_type=content_type,
        )
    )


@PROPERTY
@given(damaged("html"))
def test_damaged_listings_parse_or_fail_with_a_parse_error(data: bytes) -> None:
    text = data.decode("utf-8", "replace")
    try:
        listing = parse_listing(text, url=LISTING_URL, rules=profile().html)
    except ParseError as exc:
        assert exc.where == LISTING_URL
        return
    for item in listing.items:
        assert item.url.startswith(("http://", "https://")), item.url


@PROPERTY
@given(st.text(max_size=2000))
def test_any_text_as_a_page_parses_or_fails_with_a_parse_error(text: str) -> None:
    for markup in (text, f"<html><body><h1>{text}</h1><div><p>{text}</p></div></body></html>"):
        body = markup.encode("utf-8", "surrogatepass")
        parse_or_refuse(
            Retrieved(kind=DocumentKind.ARTICLE, locator=PAGE_URL, body=body, url=PAGE_URL)
        )
        # The extractor alone: a page, or a ParseError naming it.
        try:
            parse_article(markup, url=PAGE_URL, rules=profile().html)
        except ParseError as exc:
            assert exc.where == PAGE_URL


@PROPERTY
@given(damaged("feed"))
def test_damaged_feeds_parse_or_fail_with_an_input_error(data: bytes) -> None:
    parse_or_refuse(Retrieved(kind=DocumentKind.FEED, locator=FEED_URL, body=data, url=FEED_URL))


ITEM_TEXT = st.lists(
    st.text(alphabet=st.characters(codec="utf-8"), max_size=12)
    | st.sampled_from(["&", "<", "]]>", "\x1b[2J", "\u202e", "<b>", "&#x1b;[31m"]),
    max_size=8,
).map("".join)


@st.composite
def generated_feed(draw: st.DrawFn) -> bytes:
    """An RSS document whose items' text is generated, some written as references to
    characters XML refuses."""
    items = []
    for number in range(draw(st.integers(0, 5))):
        title = draw(ITEM_TEXT)
        body = draw(ITEM_TEXT)
        reference = draw(st.sampled_from(["", "&#xD800;", "&#x1;", "&#1114112;", "&#65534;"]))
        escape = draw(st.booleans())
        if escape:
            title = title.replace("&", "&amp;").replace("<", "&lt;")
            body = f"<![CDATA[{body.replace(']]>', '')}]]>"
        items.append(
            f"<item><title>{title}{reference}</title>"
            f"<link>https://partner.example.org/{number}</link>"
            f"<description>{body}{reference}</description>"
            f"<pubDate>{draw(st.sampled_from(['', 'Mon, 03 Feb 2025 10:00:00 +0300', 'x']))}"
            "</pubDate></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>P</title>'
        f"<link>https://partner.example.org/</link>{''.join(items)}</channel></rss>"
    ).encode("utf-8", "surrogatepass")


@PROPERTY
@given(generated_feed())
def test_generated_feeds_lose_at_most_their_bad_items(data: bytes) -> None:
    try:
        parsed = parse_feed(data, locator=FEED_URL, base_url=FEED_URL, rules=profile().html)
    except InputError as exc:
        assert exc.where == FEED_URL
        return
    assert_releases(parsed)
    for problem in parsed.problems:
        assert problem.startswith(f"{FEED_URL}: item "), problem


# -- the sanitiser ----------------------------------------------------------------------

#: Elements that run code, load other documents or change how a page is read.
EXECUTABLE_TAGS = {
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "svg",
    "math", "form", "input", "button", "textarea", "select", "option", "base", "meta",
    "link", "template", "noscript", "noembed", "xmp", "plaintext", "portal", "video",
    "audio", "source", "track", "image", "animate", "set", "foreignobject", "marquee",
}  # fmt: skip
URL_ATTRIBUTES = {"href", "src", "cite", "action", "formaction", "poster", "background"}
SAFE_SCHEMES = ("http://", "https://", "mailto:")
TAGS = sorted(EXECUTABLE_TAGS | {"p", "a", "img", "div", "span", "b", "table", "td", "ul"})
ATTRIBUTES = [
    "href", "src", "style", "onclick", "onerror", "onload", "OnMouseOver", "srcdoc",
    "xlink:href", "formaction", "action", "data", "title", "alt", "width", "class", "id",
    "background", "poster", "dynsrc", "lowsrc", "srcset",
]  # fmt: skip
VALUES = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " java\tscript:alert(1)",
    "jav&#x09;ascript:alert(1)",
    "&#106;avascript:alert(1)",
    "javascript&colon;alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "data:image/svg+xml,<svg onload=alert(1)>",
    "livescript:alert(1)",
    "expression(alert(1))",
    "width: expression(alert(1))",
    "background:url(javascript:alert(1))",
    "//evil.example/x.js",
    "x",
    "/relative/path",
    "https://ok.example/pic.jpg",
    "mailto:a@b.example",
    '"><script>alert(1)</script>',
    "alert(1)",
]


@st.composite
def hostile_html(draw: st.DrawFn, depth: int = 0) -> str:
    """Markup built from executable elements, event handlers and script URLs, nested and
    mixed with generated text, unclosed tags and comments."""
    parts = []
    for _ in range(draw(st.integers(1, 4))):
        choice = draw(st.integers(0, 9))
        if choice <= 5 and depth < 4:
            tag = draw(st.sampled_from(TAGS))
            if draw(st.booleans()):
                tag = tag.upper()
            attributes = "".join(
                f" {draw(st.sampled_from(ATTRIBUTES))}="
                + draw(st.sampled_from(['"{}"', "'{}'", "{}"])).format(
                    draw(st.sampled_from(VALUES))
                )
                for _ in range(draw(st.integers(0, 3)))
            )
            inner = draw(hostile_html(depth + 1))
            close = draw(st.sampled_from([f"</{tag}>", "", f"</{tag} >"]))
            parts.append(f"<{tag}{attributes}>{inner}{close}")
        elif choice == 6:
            parts.append(draw(st.sampled_from(["<!--", "-->", "<!-- <script> -->", "<![CDATA["])))
        elif choice == 7:
            parts.append(draw(st.sampled_from(["&lt;script&gt;", "&#60;script&#62;", "<", ">"])))
        else:
            parts.append(draw(st.text(max_size=30)))
    return "".join(parts)


def assert_inert(html: str) -> None:
    """Nothing in ``html`` would run, whichever of two parsers reads it."""
    for builder in ("lxml", "html.parser"):
        soup = BeautifulSoup(html, builder)
        for element in soup.find_all(True):
            assert isinstance(element, Tag)
            assert element.name.lower() not in EXECUTABLE_TAGS, (builder, html)
            for name, value in element.attrs.items():
                lowered = name.lower()
                assert not lowered.startswith("on"), (builder, name, html)
                assert lowered not in {"style", "srcdoc", "srcset", "formaction", "action"}
                if lowered in URL_ATTRIBUTES:
                    shown = re.sub(r"[\x00-\x20]", "", str(value)).lower()
                    assert shown.startswith(SAFE_SCHEMES), (builder, name, value, html)


@PROPERTY
@given(hostile_html(), st.sampled_from([PAGE_URL, None]))
def test_sanitised_html_never_holds_anything_executable(markup: str, base: str | None) -> None:
    try:
        cleaned = sanitize_html(markup, base_url=base, site_url="https://en.odkb-csto.org/")
    except ParseError:
        return  # nested past the depth bound: refused, nothing published
    assert_inert(cleaned)
    # Cleaned again (as a stored body is before publishing), it stays inert and the same.
    again = sanitize_html(cleaned, base_url=None, rel=False)
    assert_inert(again)


@PROPERTY
@given(damaged("html"))
def test_sanitised_real_pages_never_hold_anything_executable(data: bytes) -> None:
    try:
        cleaned = sanitize_html(data.decode("utf-8", "replace"), base_url=PAGE_URL)
    except ParseError:
        return
    assert_inert(cleaned)


# -- the config loader ------------------------------------------------------------------

CONFIG = (REPO / "sources.yaml").read_text(encoding="utf-8")
CONFIG_LINES = [
    "output: /",
    "output: .",
    "state: output/x.sqlite",
    "feed_size: -1",
    "feed_size: 1e400",
    "http: {max_bytes: 0}",
    "http: [1, 2]",
    "site: null",
    "sections: []",
    "sources: {}",
    "  - {name: x, type: feed, url: 'file:///etc/passwd'}",
    "  - {name: x, type: dump, paths: ['/']}",
    "  - {name: x, type: html, url: 'https://x.example/', pages: 99999999999999999999}",
    "a: &a [x, x, x, x, x, x, x, x, x, x]",
    "b: [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]",
    "c: *undefined",
    "? [complex, key]\n: value",
    "!!python/object:os.system {}",
    "x: !!binary AAAA",
    "x: 2024-13-45",
    "\t- tab indented",
    "\ufeffsite: x",
    "  id: news",
    "- - - -",
    "{",
    "'",
]


@st.composite
def damaged_config(draw: st.DrawFn) -> str:
    lines = CONFIG.splitlines()
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(lines)))
        action = draw(st.sampled_from(["cut", "repeat", "insert", "text", "indent"]))
        if action == "cut" and lines:
            del lines[min(at, len(lines) - 1)]
        elif action == "repeat" and lines:
            lines.insert(at, lines[min(at, len(lines) - 1)])
        elif action == "insert":
            lines.insert(at, draw(st.sampled_from(CONFIG_LINES)))
        elif action == "text":
            lines.insert(at, draw(st.text(max_size=40)))
        elif lines:
            index = min(at, len(lines) - 1)
            lines[index] = " " * draw(st.integers(0, 4)) + lines[index].lstrip()
    return "\n".join(lines) + "\n"


YAML_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)


@st.composite
def generated_config(draw: st.DrawFn) -> str:
    """The keys of a real config with generated values, or generated keys and values."""
    data: dict[str, Any] = yaml.safe_load(CONFIG)
    for key in draw(st.lists(st.sampled_from(sorted(data)), max_size=3)):
        data[key] = draw(YAML_VALUES)
    if draw(st.booleans()):
        data.update(draw(st.dictionaries(st.text(max_size=10), YAML_VALUES, max_size=3)))
    return yaml.safe_dump(data, allow_unicode=True)


def load_or_refuse(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sources.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            config = load_config(path)
        except ConfigError as exc:
            assert exc.problems
            for problem in exc.problems:
                assert problem.startswith(str(path.resolve())) or problem.startswith(str(path)), (
                    problem
                )
            return
    assert isinstance(config, Config)
    assert config.output != config.folder and config.output.parent != config.output


@PROPERTY
@given(damaged_config())
def test_damaged_configs_load_or_list_their_problems(text: str) -> None:
    load_or_refuse(text)


@PROPERTY
@given(generated_config())
def test_generated_configs_load_or_list_their_problems(text: str) -> None:
    load_or_refuse(text)


@PROPERTY
@given(st.text(max_size=300))
def test_any_text_as_a_config_loads_or_lists_its_problems(text: str) -> None:
    load_or_refuse(textwrap.dedent(text))
