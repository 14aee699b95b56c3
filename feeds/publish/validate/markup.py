"""Rules for text and HTML carried inside feed elements.

These only warn: a reader still shows the entry, but the text was escaped wrongly or
the HTML holds what a reader strips or cannot resolve.  The publishing gate skips them.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

from feeds.publish.validate.findings import Finding, is_absolute_url

#: HTML elements a feed reader can render; anything else in HTML content is text gone wrong.
# fmt: off
HTML_ELEMENTS = frozenset(
    {
        "a", "abbr", "acronym", "address", "area", "article", "aside", "audio", "b", "bdi", "bdo",
        "big", "blockquote", "br", "caption", "center", "cite", "code", "col", "colgroup", "dd",
        "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "font", "footer",
        "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "i", "img", "ins", "kbd", "li", "map",
        "mark", "nav", "ol", "p", "picture", "pre", "q", "rp", "rt", "ruby", "s", "samp", "section",
        "small", "source", "span", "strike", "strong", "sub", "summary", "sup", "table", "tbody",
        "td", "tfoot", "th", "thead", "time", "tr", "tt", "u", "ul", "var", "video", "wbr",
    }
)
# fmt: on
#: Elements and attributes the validator calls a security risk in feed content.
# fmt: off
UNSAFE_ELEMENTS = frozenset(
    {
        "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "form",
        "input", "button", "meta", "link", "base",
    }
)
# fmt: on
URL_ATTRIBUTES = frozenset({"href", "src", "cite", "longdesc", "background", "poster", "action"})
#: Entity text inside decoded HTML: the value was escaped once too often.
ENTITY_TEXT = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z]+\d*);")
END_TAG = re.compile(r"</[A-Za-z][A-Za-z0-9]*\s*>")


class _HtmlScan(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[str] = []
        self.references: list[tuple[str, str, str]] = []
        self.handlers: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append(tag)
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append(f"{tag} {name}")
            if name in URL_ATTRIBUTES and value is not None:
                self.references.append((tag, name, value))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def html_findings(value: str, where: str, element: str) -> list[Finding]:
    """What the validator says about an escaped HTML value (Atom type="html", RSS
    description and content:encoded, JSON Feed content_html)."""
    scan = _HtmlScan()
    scan.feed(value)
    scan.close()
    found: list[Finding] = []
    for tag in scan.elements:
        if tag in UNSAFE_ELEMENTS:
            found.append(Finding("warning", "SecurityRisk", where, f"{element} has <{tag}>"))
        elif tag not in HTML_ELEMENTS:
            found.append(Finding("warning", "NotHtml", where, f"{element} has <{tag}>"))
    for handler in scan.handlers:
        found.append(Finding("warning", "SecurityRisk", where, f"{element}: {handler}"))
    for tag, attribute, url in scan.references:
        scheme = urlsplit(url.strip()).scheme.lower()
        if scheme in ("javascript", "vbscript"):
            found.append(Finding("warning", "SecurityRisk", where, f"{element}: {tag} {url!r}"))
        elif not is_absolute_url(url.strip()):
            found.append(
                Finding("warning", "ContainsRelRef", where, f"{element}: {tag} {attribute}={url!r}")
            )
    entity = ENTITY_TEXT.search("".join(scan.text))
    if entity:
        found.append(
            Finding("warning", "DoubleEscaped", where, f"{element} shows {entity.group()!r}")
        )
    return found


def text_findings(value: str, where: str, element: str) -> list[Finding]:
    """A plain-text value that holds markup or entities was escaped wrongly."""
    for pattern in (END_TAG, ENTITY_TEXT):
        match = pattern.search(value)
        if match:
            return [Finding("warning", "ContainsHTML", where, f"{element} has {match.group()!r}")]
    return []
