"""The rules every feed document of ours meets: one rule set for the publishing gate and
the tests.

The rules are the W3C feed validator's that apply to what feeds publishes (Atom 1.0 with
RFC 5005 archive markers and WebSub hub links, RSS 2.0 with the content, Dublin Core and
Atom extensions), the JSON Feed 1.1 specification's, and ours on top: a self link that is
the URL the document is served at, unique ids and unique ``updated`` instants, absolute
links, dates with zones.  Each problem is a :class:`Finding` named after the validator's
message.

:func:`check_document` gives every finding, errors and warnings; a clean document gives
an empty list, and that is the bar the output must meet in the tests::

    findings = check_document(body, url="https://feeds.example.org/csto/all/atom.xml")
    assert findings == []

The gate (:func:`check_atom`, :func:`check_rss`, :func:`check_json_feed`) runs on every
document a publish writes, before it replaces the published one.  It looks for errors
only (the rules that can only warn are skipped, so it stays cheap) and raises
:class:`~feeds.errors.PublishError` naming the file and the first error.

Modules: ``findings`` (findings, value rules), ``markup`` (text and HTML inside
elements), ``elements`` (XML documents of either format), ``atom``, ``rss``,
``jsonfeed``.  May import ``feeds.errors``, ``feeds.text`` and lxml.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Literal

from feeds.errors import PublishError
from feeds.publish.validate import atom, jsonfeed, rss
from feeds.publish.validate.elements import A, parse, short, vocabulary
from feeds.publish.validate.findings import Finding, Report

__all__ = ["CHECKS", "Finding", "check_atom", "check_document", "check_json_feed", "check_rss"]

Format = Literal["atom", "rss", "json"]
ROOTS: dict[str, Format] = {f"{A}feed": "atom", "rss": "rss"}


def check_document(data: bytes, url: str, *, now: dt.datetime | None = None) -> list[Finding]:
    """Every finding for one Atom, RSS or JSON Feed document served at ``url``; dates
    more than a day after ``now`` (default: the current time) are implausible."""
    report = Report(url, now or dt.datetime.now(dt.UTC))
    _check(data, report, None)
    return report.findings


def check_atom(where: str, data: bytes, *, self_url: str) -> None:
    """The gate for an Atom document (a feed or an archive page) served at ``self_url``."""
    _gate("atom", where, data, self_url)


def check_rss(where: str, data: bytes, *, self_url: str) -> None:
    """The gate for an RSS document served at ``self_url``."""
    _gate("rss", where, data, self_url)


def check_json_feed(where: str, data: bytes, *, self_url: str) -> None:
    """The gate for a JSON Feed document served at ``self_url``."""
    _gate("json", where, data, self_url)


CHECKS: dict[str, Callable[..., None]] = {
    "atom.xml": check_atom,
    "rss.xml": check_rss,
    "feed.json": check_json_feed,
}


def _gate(expected: Format, where: str, data: bytes, self_url: str) -> None:
    """Raise PublishError naming ``where`` and the first error when there is one."""
    report = Report(self_url, dt.datetime.now(dt.UTC), warnings=False)
    _check(data, report, expected)
    if report.findings:
        raise PublishError(f"{where}: not published: {report.findings[0]}")


def _check(data: bytes, report: Report, expected: Format | None) -> None:
    if report.characters(data) is None:
        return
    if expected == "json" or (expected is None and data.lstrip()[:1] == b"{"):
        feed = jsonfeed.parse(data, report)
        if feed is not None:
            jsonfeed.check(feed, report)
        return
    root = parse(data, report)
    if root is None:
        return
    found = ROOTS.get(root.tag)
    if found is None or (expected is not None and found != expected):
        wanted = f", not {expected}" if expected else ""
        report.add("error", "UnknownFeedType", "document", f"{short(root.tag)}{wanted}")
        return
    vocabulary(root, report)
    (atom.check if found == "atom" else rss.check)(root, report)
