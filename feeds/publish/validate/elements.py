"""Rules for XML feed documents of either format: parsing, element counts, children,
``xml:lang``, namespaces and ``atom:link`` (which RSS channels carry too)."""

from __future__ import annotations

from collections import Counter

from lxml import etree

from feeds.publish.validate.findings import BCP47, Report, is_absolute_url

ATOM_NS = "http://www.w3.org/2005/Atom"
HISTORY_NS = "http://purl.org/syndication/history/1.0"
DC_NS = "http://purl.org/dc/elements/1.1/"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
XML_NS = "http://www.w3.org/XML/1998/namespace"
A = f"{{{ATOM_NS}}}"
XML_LANG = f"{{{XML_NS}}}lang"
#: Namespaces the validator knows; an element in any other one is undefined.
KNOWN_NAMESPACES = frozenset({ATOM_NS, HISTORY_NS, DC_NS, CONTENT_NS, XML_NS})
PREFIXES = {ATOM_NS: "atom", HISTORY_NS: "fh", DC_NS: "dc", CONTENT_NS: "content"}
#: Relations the validator knows (IANA registry, RFC 5005, WebSub).
# fmt: off
ATOM_RELS = frozenset(
    {
        "alternate", "self", "related", "enclosure", "via", "hub", "current", "prev-archive",
        "next-archive", "first", "last", "previous", "next", "license", "replies", "edit",
        "edit-media", "payment", "search",
    }
)
# fmt: on


def parse(data: bytes, report: Report) -> etree._Element | None:
    """The root element; None (and an error) when the bytes are not well-formed XML.

    Entities are not expanded and nothing is fetched."""
    try:
        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        code = "UndeclaredPrefix" if "Namespace prefix" in str(exc) else "NotWellFormed"
        report.add("error", code, "document", str(exc))
        return None


def short(tag: str) -> str:
    """``atom:link``, ``dc:language`` or a plain RSS name."""
    qname = etree.QName(tag)
    local: str = qname.localname
    if qname.namespace is None:
        return local
    return f"{PREFIXES.get(qname.namespace, qname.namespace)}:{local}"


def path(element: etree._Element) -> str:
    names = []
    node: etree._Element | None = element
    while node is not None:
        names.append(short(node.tag))
        node = node.getparent()
    return "/".join(reversed(names))


def text(element: etree._Element | None) -> str:
    return (element.text or "") if element is not None else ""


def vocabulary(root: etree._Element, report: Report) -> None:
    """Every ``xml:lang`` is a BCP 47 tag; every element is in a namespace we know."""
    for element in root.iter():
        value = element.get(XML_LANG)
        if value is not None and not BCP47.match(value):
            report.add("error", "InvalidLanguage", path(element), f"xml:lang {value!r}")
    if not report.warnings:
        return
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        namespace = etree.QName(element).namespace
        if namespace is not None and namespace not in KNOWN_NAMESPACES:
            report.add("warning", "UnknownNamespace", path(element), namespace)


class Children:
    """The element children of one element by tag, checked into ``report`` as ``where``."""

    def __init__(self, parent: etree._Element, report: Report, where: str) -> None:
        self.report = report
        self.where = where
        self.by_tag: dict[str, list[etree._Element]] = {}
        for child in parent:
            if isinstance(child.tag, str):
                self.by_tag.setdefault(child.tag, []).append(child)

    def all(self, tag: str) -> list[etree._Element]:
        return self.by_tag.get(tag, [])

    def first(self, tag: str) -> etree._Element | None:
        found = self.by_tag.get(tag)
        return found[0] if found else None

    def once(self, tag: str, *, required: bool = True) -> etree._Element | None:
        """The one ``tag`` child: an error when there is none (if required) or more."""
        found = self.by_tag.get(tag)
        if not found:
            if required:
                self.report.add("error", "MissingElement", self.where, f"no {short(tag)}")
            return None
        if len(found) > 1:
            detail = f"{len(found)} {short(tag)} elements"
            self.report.add("error", "DuplicateElement", self.where, detail)
        return found[0]

    def only(self, allowed: frozenset[str]) -> None:
        """Every child is one of the ``allowed`` elements."""
        for tag, found in self.by_tag.items():
            if tag not in allowed:
                for _ in found:
                    self.report.add("error", "UndefinedElement", self.where, f"{short(tag)} here")


def links(children: Children, self_type: str | None = None) -> Counter[str]:
    """The ``atom:link`` children of a feed, entry or RSS channel, by relation.

    Every link has an absolute ``href``, a known relation and no twin alternate.  With
    ``self_type`` (a feed's media type), the feed has exactly one self link: the URL it
    is served at, with that type.
    """
    report, where = children.report, children.where
    rels: Counter[str] = Counter()
    alternates: set[tuple[str, str]] = set()
    for link in children.all(f"{A}link"):
        href = link.get("href")
        rel = link.get("rel", "alternate")
        rels[rel] += 1
        if href is None:
            report.add("error", "MissingHref", where, f"link rel={rel!r}")
            continue
        if not is_absolute_url(href):
            report.add("error", "InvalidFullLink", where, f"link rel={rel!r} href={href!r}")
        if rel not in ATOM_RELS and not is_absolute_url(rel):
            report.add("warning", "UnregisteredAtomLinkRel", where, repr(rel))
        if rel == "alternate":
            key = (link.get("type", ""), link.get("hreflang", ""))
            if key in alternates:
                report.add("error", "DuplicateAtomLink", where, f"alternate {key}")
            alternates.add(key)
        if rel == "self" and self_type is not None:
            report.self_url(href, where)
            if link.get("type") is None:
                report.add("warning", "MissingTypeAttr", where, "self link has no type")
            elif link.get("type") != self_type:
                report.add(
                    "warning", "UnexpectedContentType", where, f"self type {link.get('type')!r}"
                )
    if self_type is not None and rels["self"] > 1:
        report.add("error", "DuplicateAtomLink", where, f"{rels['self']} self links")
    return rels
