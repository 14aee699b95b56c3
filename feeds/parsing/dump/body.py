"""The article below the header: body paragraphs, lead, pictures and attachments.

Image file names and "Download document" lines are never body text: they are the
release's images and attachments (a bare file name from a dump is not a link).
"""

from __future__ import annotations

import datetime as dt

from feeds.model import Asset, DateOrigin, Release, ReleaseKind
from feeds.parsing.dates import mentioned_dates, opening_date_phrase
from feeds.parsing.dump.header import Header
from feeds.parsing.dump.lines import (
    SENTENCE_END,
    URL,
    heading_like,
    image_parts,
    is_download_line,
    is_image_line,
    matches_any,
)
from feeds.parsing.dump.render import paragraph_links, paragraphs_html
from feeds.parsing.language import detect_language
from feeds.profile.dump import DumpRules

#: Heading lines (a speech's "WELCOME SPEECH" / "of the ..." / a name) a body may open with.
_HEADING_LINES = 5


def article_release(
    lines: list[str],
    header: Header,
    contacts: tuple[str, ...],
    signature_images: tuple[str, ...],
    rules: DumpRules,
    warnings: list[str],
) -> Release:
    raw = list(lines[header.body_start :])
    if header.glued:
        raw.insert(0, header.glued)
    images = list(header.images)
    attachments = list(header.attachments)
    paragraphs = _body_paragraphs(raw, rules, images, attachments)
    extra: list[tuple[str, str]] = []
    marker = rules.video_marker
    if paragraphs and paragraphs[0].endswith(marker):
        paragraphs[0] = paragraphs[0][: -len(marker)].rstrip()
        extra.append(("video", "yes"))
    lead, subtitle = _lead_and_subtitle(paragraphs, rules)
    if subtitle:
        extra.insert(0, ("subtitle", subtitle))
    if not paragraphs:
        warnings.append("the article has no body text")
    title = lines[header.title]
    date, origin = _date(header, lead, rules)
    return Release(
        kind=ReleaseKind.FULL,
        title=title,
        date=date,
        date_origin=origin,
        lead=lead,
        paragraphs=tuple(paragraphs),
        body_html=paragraphs_html(paragraphs),
        images=tuple(Asset(name) for name in [*images, *signature_images]),
        attachments=tuple(Asset(name) for name in attachments),
        links=paragraph_links(paragraphs),
        contacts=contacts,
        language=detect_language(" ".join(paragraphs or [title])),
        extra=tuple(extra),
    )


def _date(header: Header, lead: str, rules: DumpRules) -> tuple[dt.date | None, DateOrigin]:
    """The page's own date, or an estimate: a date phrase opening the lead, else the
    latest full date the lead mentions."""
    if header.date is not None:
        return header.date, DateOrigin.HEADER
    phrase = opening_date_phrase(lead, rules) if lead else None
    if phrase is not None and phrase.year is not None:
        return dt.date(phrase.year, phrase.month, phrase.day), DateOrigin.LEAD
    mentioned = mentioned_dates(lead, rules) if lead else []
    if mentioned:
        return max(mentioned), DateOrigin.MENTION
    return None, DateOrigin.NONE


def _body_paragraphs(
    raw: list[str], rules: DumpRules, images: list[str], attachments: list[str]
) -> list[str]:
    """Body lines without image names and download lines (collected on the way)."""
    paragraphs: list[str] = []
    waiting_for_file = False
    for line in raw:
        if waiting_for_file:
            waiting_for_file = False
            if rules.attachment_file.fullmatch(line):
                attachments.append(line)
                continue
        if is_image_line(line, rules) or rules.image_line.fullmatch(line):
            images.extend(image_parts(line, rules) if is_image_line(line, rules) else [line])
            continue
        if is_download_line(line, rules):
            name = line[len(rules.download_phrase) :].strip()
            if name:
                attachments.append(name)
            waiting_for_file = not name
            continue
        line = _without_images(line, rules, images)
        if line:
            paragraphs.append(line)
    return paragraphs


def _without_images(line: str, rules: DumpRules, images: list[str]) -> str:
    """A paragraph without the image names glued to its start, prefixing it, or trailing
    it ("IMG-...jpgIn the period ...", "DSC_0420.JPG The sides ...", "... gifts.   X.JPG")."""
    found = rules.image_file.match(line)
    if found:
        images.append(found.group())
        line = line[found.end() :].lstrip()
    trailing = rules.trailing_image.search(line)
    if trailing:
        images.append(trailing.group("name"))
        line = line[: trailing.start()].rstrip()
    return line


def _lead_and_subtitle(paragraphs: list[str], rules: DumpRules) -> tuple[str, str]:
    """Skip leading subtitle, dateline and heading lines to reach the lead."""
    subtitle = ""
    for i, para in enumerate(paragraphs[: _HEADING_LINES + 1]):
        heading = heading_like(para)
        if i == len(paragraphs) - 1 or (SENTENCE_END.search(para) and not heading):
            return para, subtitle
        if URL.search(para) or len(para) > rules.max_title_length:
            return para, subtitle
        dateline = matches_any(para, rules.datelines)
        if not subtitle and not dateline and not heading:
            subtitle = para
    return (paragraphs[0] if paragraphs else ""), subtitle


def is_static(title: str, header: Header, rules: DumpRules) -> bool:
    """A static background page ("About CSTO Cooperation with the UN"): no date of its
    own and a title the profile names as background rather than news."""
    return header.date is None and matches_any(title, rules.static_titles)
