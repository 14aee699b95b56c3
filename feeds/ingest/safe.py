"""Text is text: what every release loses before it is stored.

Whatever a parser let through, a stored release holds no control character, terminal
escape sequence or bidirectional override (:func:`feeds.text.clean.clean_text`), and its
one-line fields (title, lead) hold no line break or tab either.  Done once, here, so that
``feeds list``, ``feeds show``, the pages and the feeds never meet such characters in
anything stored from now on.
"""

from __future__ import annotations

from dataclasses import replace

from feeds.model import Asset, Release
from feeds.text.clean import clean_text, one_line


def safe_release(release: Release) -> Release:
    """``release`` with every text field cleaned; the same object when nothing changes."""
    cleaned = replace(
        release,
        title=one_line(release.title),
        lead=one_line(release.lead),
        paragraphs=tuple(clean_text(p) for p in release.paragraphs),
        body_html=clean_text(release.body_html),
        images=tuple(_asset(a) for a in release.images),
        attachments=tuple(_asset(a) for a in release.attachments),
        links=tuple(one_line(link) for link in release.links),
        contacts=tuple(clean_text(c) for c in release.contacts),
        language=one_line(release.language) if release.language is not None else None,
        url=one_line(release.url) if release.url is not None else None,
        extra=tuple((one_line(k), clean_text(v)) for k, v in release.extra),
    )
    return release if cleaned == release else cleaned


def _asset(asset: Asset) -> Asset:
    return Asset(
        name=one_line(asset.name),
        url=one_line(asset.url) if asset.url is not None else None,
    )
