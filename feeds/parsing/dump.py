"""Parsing a text dump of one article page into its release and its sidebar teasers.

A dump reads, top to bottom::

    [0-5 teasers]  title  [date line]  body  [signature]  [navigation]

Teasers are leads of other releases: undated and separated by blank lines (usually two;
a teaser may have two paragraphs one blank apart), dated (a DD.MM.YYYY line above each),
or one per line.  The title is found by anchors, most reliable first: the title repeated
with the date; the last header date line above the body; for undated pages the first line
that is not a known teaser and looks like a title followed by body text.
"""

from __future__ import annotations

import datetime as dt
import html
import itertools
import re
from dataclasses import dataclass, field

from feeds.errors import ParseError
from feeds.model import Asset, DateOrigin, ParsedDocument, Release, ReleaseKind
from feeds.parsing.dates import (
    HeaderDate,
    HeaderKind,
    has_opening_date_phrase,
    match_header_date,
    match_trailing_date,
    opening_date_phrase,
    resolve_year,
)
from feeds.parsing.language import detect_language
from feeds.profile.dump import DumpRules
from feeds.text.keys import collapse, normalise_lines, paragraph_key

_URL = re.compile(r"https?://[^\s<>\"'«»“”]+")
_URL_TAIL = ".,;:!?)]"
_SENTENCE_END = re.compile(r"[.!?…][\"”»’')]*$")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?…])[\"”»’')]*\s+(?=[\"“«(\d\w])")
_INITIALS = re.compile(r"[A-ZА-ЯЁ](?:\.-?[A-ZА-ЯЁ])*")
_LOW_CONFIDENCE = "title found by fallback heuristics (low confidence)"
# A person's name on a line of its own: initials and surname, either way round.
_NAME_LINE = re.compile(
    r"(?:[A-ZА-ЯЁ]\.\s?){1,3}[A-ZА-ЯЁ][\w'’-]+|[A-ZА-ЯЁ][\w'’-]+\s+(?:[A-ZА-ЯЁ]\.\s?){1,3}"
)
_HEADING_LINES = 5
# A line of at most this many capitalised words is a name (with patronymic), not a title.
_NAME_WORDS = 3


@dataclass
class _Header:
    """Where the title is and what the header lines held."""

    title: int
    #: Index of the first line after the header (title, repeat line, date line, file line).
    body_start: int
    date: dt.date | None = None
    images: list[str] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)
    #: Body text glued to the date ("23.12.2014The session ...").
    glued: str = ""
    fallback: bool = False


@dataclass
class _Teaser:
    date: dt.date | None
    lines: list[str] = field(default_factory=list)


def parse_dump(
    text: str,
    *,
    locator: str,
    rules: DumpRules,
    known_paragraphs: frozenset[str] = frozenset(),
) -> ParsedDocument:
    """Parse one decoded dump.  ``known_paragraphs`` holds :func:`paragraph_key` values of
    paragraphs known to be teasers (seen in other dumps of the source, or stored leads).

    Raises ParseError when no article title can be found.
    """
    lines, contacts, signature_images = _strip_footer(_trim(normalise_lines(text)), rules)
    header = _find_header(lines, rules, known_paragraphs, locator)
    warnings: list[str] = [_LOW_CONFIDENCE] if header.fallback else []
    article = _article(lines, header, contacts, signature_images, rules, warnings)
    teasers = _split_teasers(lines[: header.title], rules)
    others = _teaser_releases(teasers, rules)
    return ParsedDocument(
        locator=locator,
        article=article,
        others=others,
        warnings=tuple(warnings),
        # The sidebar reflects the crawl date: its newest teaser dates the copy.
        observed=max((t.date for t in others if t.date is not None), default=None),
    )


def teaser_candidates(text: str, rules: DumpRules) -> list[str]:
    """Normalised lines near the top of a dump that may be teasers.

    When an anchor (repeated title, header date line) fixes the title, they are the lines
    above it; on undated pages, where the title is a guess, they are the first
    ``rules.title_search_lines`` lines.  Date lines, URL lines and image names are left out.
    A caller counts their :func:`paragraph_key` over the dumps of a source; keys seen in two
    or more dumps make ``known_paragraphs``.  (A page crawled twice then makes its own title
    "known"; :func:`parse_dump` notices when known lines leave no title and ignores them.)
    Dumps without a title give nothing.
    """
    lines, _, _ = _strip_footer(_trim(normalise_lines(text)), rules)
    try:
        header = _find_header(lines, rules, frozenset(), "")
    except ParseError:
        return []
    kept = [
        line
        for line in (lines if header.fallback else lines[: header.title])
        if line
        and not _is_url_line(line)
        and not _is_image_line(line, rules)
        and match_header_date(line, rules) is None
    ]
    return kept[: rules.title_search_lines] if header.fallback else kept


# --- footer --------------------------------------------------------------------------


def _trim(lines: list[str]) -> list[str]:
    start = next((i for i, line in enumerate(lines) if line), len(lines))
    return lines[start:]


def _strip_footer(
    lines: list[str], rules: DumpRules
) -> tuple[list[str], tuple[str, ...], list[str]]:
    """Drop navigation lines, then the signature block within the trailing window."""
    end = len(lines)
    while end and (not lines[end - 1] or _matches_any(lines[end - 1], rules.navigation)):
        end -= 1
    contacts: list[str] = []
    images: list[str] = []
    seen = 0
    cut = end
    for i in range(end - 1, -1, -1):
        if not lines[i]:
            continue
        seen += 1
        if seen > rules.signature_window:
            break
        contact, image = _contact_line(lines[i], rules)
        if contact is None:
            break
        contacts.insert(0, contact)
        if image:
            images.insert(0, image)
        cut = i
    body = lines[:cut]
    while body and not body[-1]:
        body.pop()
    return body, tuple(contacts), images


def _contact_line(line: str, rules: DumpRules) -> tuple[str | None, str]:
    """The contact text of a signature line and an image name prefixing it, if any."""
    image = ""
    rest = line
    found = rules.image_file.match(line)
    if found and line[found.end() : found.end() + 1].isspace():
        image, rest = found.group(), line[found.end() :].strip()
    if any(p.search(rest) for p in rules.contacts):
        return rest, image
    return None, ""


def _matches_any(line: str, patterns: tuple[re.Pattern[str], ...]) -> bool:
    return any(p.search(line) for p in patterns)


# --- title and header ----------------------------------------------------------------


def _nonempty(lines: list[str], start: int = 0) -> list[int]:
    return [i for i in range(start, len(lines)) if lines[i]]


def _find_header(
    lines: list[str], rules: DumpRules, known: frozenset[str], locator: str
) -> _Header:
    filled = _nonempty(lines)
    if not filled:
        raise ParseError(locator, "no article title found (no text above the footer)")
    if len(filled) == 1:
        raise ParseError(locator, "no article title found (a single paragraph)")
    header = _repeat_anchor(lines, filled, rules)
    if header is None:
        header, resume, last_unit = _date_anchor(lines, filled, rules, known, locator)
        if header is None:
            try:
                header = _undated_title(lines, resume, rules, known, locator)
            except ParseError:
                # Nothing title-like below the last date line: that line was the article's
                # own, under a title that ends with a period like a teaser's lead.
                if last_unit is None:
                    raise
                header = last_unit
    return header


def _repeat_anchor(lines: list[str], filled: list[int], rules: DumpRules) -> _Header | None:
    """``Title`` followed by ``Title DD.MM.YYYY`` (spacing may differ)."""
    for prev, j in itertools.pairwise(filled):
        split = match_trailing_date(lines[j], rules)
        if split is None or not split[0]:
            continue
        repeated, header_date = split
        if collapse(repeated) == collapse(lines[prev]) or (
            paragraph_key(repeated) == paragraph_key(lines[prev])
        ):
            return _dated_header(lines, prev, j, header_date, rules)
    return None


def _dated_header(
    lines: list[str], title: int, at: int, found: HeaderDate, rules: DumpRules
) -> _Header:
    header = _Header(title=title, body_start=at + 1, date=found.date)
    if found.kind is HeaderKind.IMAGE:
        header.images.append(found.remainder)
    elif found.kind is HeaderKind.GLUED:
        header.glued = found.remainder
    elif found.kind is HeaderKind.DOWNLOAD:
        name = found.remainder
        if not name:
            following = _nonempty(lines, at + 1)[:1]
            if following and rules.attachment_file.fullmatch(lines[following[0]]):
                name = lines[following[0]]
                header.body_start = following[0] + 1
        if name:
            header.attachments.append(name)
    return header


def _date_anchor(
    lines: list[str],
    filled: list[int],
    rules: DumpRules,
    known: frozenset[str],
    locator: str,
) -> tuple[_Header | None, int, _Header | None]:
    """The header date line, reading dated teasers as [date line + paragraphs] units.

    Returns the header, or None and the index where the undated title search resumes,
    and the header the last date line would make if the search finds no title.
    """
    previous: int | None = None
    glued_lead = 0  # 1 when the previous teaser's lead is glued to its date line
    last_unit: _Header | None = None
    for j in filled:
        found = match_header_date(lines[j], rules)
        if found is None:
            continue
        unit = [i for i in filled if (previous if previous is not None else -1) < i < j]
        if found.kind is not HeaderKind.BARE and unit:
            if not _title_like(lines[unit[-1]], rules, known, strict=False):
                raise ParseError(
                    locator,
                    f"no article title found (nothing title-like above the date line {lines[j]!r})",
                )
            return _dated_header(lines, unit[-1], j, found, rules), j, None
        if not unit:
            previous = j  # a dated teaser block starts here
            glued_lead = int(found.kind is HeaderKind.GLUED)
            continue
        if previous is None:
            # Dated teaser blocks open with a date line, so text above the first one
            # is the title (possibly below undated teasers) or already the body.
            if _title_like(lines[unit[-1]], rules, known, strict=True) or (
                _title_like(lines[unit[-1]], rules, known, strict=False)
                and _search_title(lines[: unit[-1]], 0, rules, known) is None
            ):
                return _dated_header(lines, unit[-1], j, found, rules), j, None
            return None, 0, None
        last_unit = None
        if len(unit) + glued_lead >= 2:
            if _title_like(lines[unit[-1]], rules, known, strict=True):
                return _dated_header(lines, unit[-1], j, found, rules), j, None
            if _title_like(lines[unit[-1]], rules, known, strict=False):
                last_unit = _dated_header(lines, unit[-1], j, found, rules)
        previous = j
        glued_lead = int(found.kind is HeaderKind.GLUED)
    if previous is None:
        return None, 0, None
    # Undated article after dated teasers: the last teaser's lead comes first.
    after = _nonempty(lines, previous + 1 - glued_lead)
    return None, after[0] + 1 if after else len(lines), last_unit


def _undated_title(
    lines: list[str], start: int, rules: DumpRules, known: frozenset[str], locator: str
) -> _Header:
    for relaxed in (False, True):
        for use_known in (True, False) if known else (False,):
            title = _search_title(
                lines, start, rules, known if use_known else frozenset(), relaxed=relaxed
            )
            if title is not None:
                sure = (
                    use_known and not relaxed and _follows_known(lines, start, title, known, rules)
                )
                return _Header(title=title, body_start=title + 1, fallback=not sure)
            if use_known and not relaxed:
                # Before known teasers are ignored (a page crawled twice makes its own
                # title known), the first line below them may be a title with a period:
                # still a guess, as the period is what marks a lead.
                title = _below_known_teasers(lines, start, rules, known)
                if title is not None:
                    return _Header(title=title, body_start=title + 1, fallback=True)
    raise ParseError(locator, "no article title found (no title-like line above body text)")


def _below_known_teasers(
    lines: list[str], start: int, rules: DumpRules, known: frozenset[str]
) -> int | None:
    """The first paragraph below a run of known teasers, when it is a title that ends with
    a period like a lead.  Refused when the teaser right above is title-like (it may be this
    page's own title shown as a one-line teaser, the line below being the lead), when the
    line opens with a date phrase as leads do, and when the known run fills the whole
    search window (a page crawled twice: its title and first body lines are all known)."""
    skipped: list[int] = []
    for i in _nonempty(lines, start):
        if paragraph_key(lines[i]) in known:
            skipped.append(i)
        elif not (_is_url_line(lines[i]) or _is_image_line(lines[i], rules)):
            break
    else:
        return None
    if not skipped or len(skipped) >= rules.title_search_lines:
        return None
    line = lines[i]
    if (
        _title_like(lines[skipped[-1]], rules, frozenset(), strict=True)
        or not _title_like(line, rules, known, strict=False)
        or has_opening_date_phrase(line, rules)
    ):
        return None
    if _body_follows(lines, i, rules) or _subtitle_follows(lines, i, rules, known):
        return i
    return None


def _follows_known(
    lines: list[str], start: int, title: int, known: frozenset[str], rules: DumpRules
) -> bool:
    """True when every line above the title is a known teaser (or a URL or image line of
    one, which are never counted): no guess was involved."""
    return all(
        paragraph_key(lines[i]) in known
        or _is_url_line(lines[i])
        or _is_image_line(lines[i], rules)
        for i in _nonempty(lines, start)
        if i < title
    )


def _search_title(
    lines: list[str],
    start: int,
    rules: DumpRules,
    known: frozenset[str],
    *,
    relaxed: bool = False,
) -> int | None:
    """The first title-like line followed by body text.  ``relaxed`` (the last resort)
    admits a final period, but only on a short single sentence standing as a paragraph of
    its own that does not open with a date phrase, as teasers and leads do."""
    candidates = _nonempty(lines, start)
    while candidates and paragraph_key(lines[candidates[0]]) in known:
        candidates.pop(0)
    for i in candidates[: rules.title_search_lines]:
        line = lines[i]
        if not _title_like(line, rules, known, strict=not relaxed):
            continue
        standalone = (i == 0 or not lines[i - 1]) and (i + 1 < len(lines) and not lines[i + 1])
        if relaxed and (
            not standalone
            or len(line) > rules.max_title_length // 2
            or has_opening_date_phrase(line, rules)
            or _first_sentence(line, rules) != line
        ):
            continue
        if not _body_follows(lines, i, rules) and not _subtitle_follows(lines, i, rules, known):
            continue
        return _prefer_block_end(lines, i, rules, known)
    return None


def _subtitle_follows(lines: list[str], i: int, rules: DumpRules, known: frozenset[str]) -> bool:
    """Title, blank, subtitle, body.  Title-like teasers stand one per line right above the
    title (no blank between), so a title-like line a blank below a paragraph of its own is
    read as a subtitle.  (A title-like teaser in a blank-line sidebar would be misread;
    counting dumps of one crawl makes such a teaser known.)"""
    if i and lines[i - 1]:
        return False
    following = _nonempty(lines, i + 1)[:1]
    if not following or following[0] == i + 1:
        return False
    j = following[0]
    return _title_like(lines[j], rules, known, strict=True) and _body_follows(lines, j, rules)


def _prefer_block_end(lines: list[str], i: int, rules: DumpRules, known: frozenset[str]) -> int:
    """In one-teaser-per-line blocks the title is the block's last line; a title-like line
    inside such a block (not its first line) is more likely a title-like teaser."""
    if i == 0 or not lines[i - 1]:
        return i
    end = i
    while end + 1 < len(lines) and lines[end + 1]:
        end += 1
    if (
        end != i
        and _title_like(lines[end], rules, known, strict=True)
        and _body_follows(lines, end, rules)
    ):
        return end
    return i


def _body_follows(lines: list[str], i: int, rules: DumpRules) -> bool:
    """The next non-empty line, past datelines and heading lines, reads like body text."""
    # A speech heading ("WELCOME SPEECH" / "of the ..." / a name / "to the ...") can take
    # four lines before the salutation that opens the text.
    for j in _nonempty(lines, i + 1)[: _HEADING_LINES + 1]:
        line = lines[j]
        if _matches_any(line, rules.datelines) or _heading_like(line):
            continue
        if _is_image_line(line, rules) or line.casefold().startswith(
            rules.download_phrase.casefold()
        ):
            continue  # pictures and attachments sit between the title and the text
        return _body_like(line, rules)
    return False


def _heading_like(line: str) -> bool:
    """Speech headings: "WELCOME SPEECH", "of the CSTO Secretary General", and the
    speaker's name ("I.N. Tasmagambetov", "Imangali Tasmagambetov")."""
    if _NAME_LINE.fullmatch(line):
        return True
    if _SENTENCE_END.search(line):
        return False
    words = line.split()
    name = len(words) <= _NAME_WORDS and all(w[:1].isupper() and w.isalpha() for w in words)
    return name or line.upper() == line or line[:1].islower()


def _body_like(line: str, rules: DumpRules) -> bool:
    if _is_url_line(line) or _is_image_line(line, rules):
        return False
    line = line.removesuffix(rules.video_marker).rstrip()
    # A colon or semicolon ends the sentence that opens a list: body, never a title.
    return (
        bool(_SENTENCE_END.search(line))
        or line.endswith((":", ";"))
        or len(line) > rules.max_title_length
    )


def _title_like(line: str, rules: DumpRules, known: frozenset[str], *, strict: bool) -> bool:
    """Could ``line`` be a title?  Strict also refuses a final period (teasers have one)."""
    if not line or len(line) > rules.max_title_length or paragraph_key(line) in known:
        return False
    if _URL.search(line) or _is_image_line(line, rules) or match_header_date(line, rules):
        return False
    if _matches_any(line, rules.not_title) or len(line.split()) < rules.min_title_words:
        return False
    if line[-1] in ",;:" or line[0].islower():
        return False
    ellipsis = line.endswith(("...", "…"))
    return not (strict and line.endswith(".") and not ellipsis)


def _is_url_line(line: str) -> bool:
    found = _URL.match(line)
    return found is not None and found.end() == len(line)


def _is_image_line(line: str, rules: DumpRules) -> bool:
    return all(rules.image_file.fullmatch(part) for part in _image_parts(line, rules))


def _image_parts(line: str, rules: DumpRules) -> list[str]:
    parts: list[str] = []
    pos = 0
    while pos < len(line):
        found = rules.image_file.match(line, pos)
        if found is None:
            return [line[pos:]]
        parts.append(found.group())
        pos = found.end()
        while pos < len(line) and line[pos] == " ":
            pos += 1
    return parts or [line]


# --- article body --------------------------------------------------------------------


def _article(
    lines: list[str],
    header: _Header,
    contacts: tuple[str, ...],
    signature_images: list[str],
    rules: DumpRules,
    warnings: list[str],
) -> Release:
    raw = [line for line in lines[header.body_start :] if line]
    if header.glued:
        raw.insert(0, header.glued)
    images = list(header.images)
    attachments = list(header.attachments)
    if raw:
        glued = rules.image_file.match(raw[0])
        if glued and glued.end() < len(raw[0]) and not raw[0][glued.end()].isspace():
            images.append(glued.group())
            raw[0] = raw[0][glued.end() :].lstrip()
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
    return Release(
        kind=ReleaseKind.FULL,
        title=title,
        date=header.date,
        date_origin=DateOrigin.HEADER if header.date else DateOrigin.NONE,
        lead=lead,
        paragraphs=tuple(paragraphs),
        body_html=_html(paragraphs),
        images=tuple(Asset(name) for name in [*images, *signature_images]),
        attachments=tuple(Asset(name) for name in attachments),
        links=_links(paragraphs),
        contacts=contacts,
        language=detect_language(" ".join(paragraphs or [title])),
        extra=tuple(extra),
    )


def _body_paragraphs(
    raw: list[str], rules: DumpRules, images: list[str], attachments: list[str]
) -> list[str]:
    """Body lines minus image-name lines and download lines (collected on the way)."""
    phrase = rules.download_phrase.casefold()
    paragraphs: list[str] = []
    waiting_for_file = False
    for line in raw:
        if waiting_for_file:
            waiting_for_file = False
            if rules.attachment_file.fullmatch(line):
                attachments.append(line)
                continue
        if _is_image_line(line, rules):
            images.extend(_image_parts(line, rules))
        elif line.casefold().startswith(phrase):
            name = line[len(phrase) :].strip()
            if name:
                attachments.append(name)
            waiting_for_file = not name
        else:
            paragraphs.append(line)
    return paragraphs


def _lead_and_subtitle(paragraphs: list[str], rules: DumpRules) -> tuple[str, str]:
    """Skip leading subtitle, dateline and heading lines to reach the lead."""
    subtitle = ""
    for i, para in enumerate(paragraphs[: _HEADING_LINES + 1]):
        heading = _heading_like(para)
        if i == len(paragraphs) - 1 or (_SENTENCE_END.search(para) and not heading):
            return para, subtitle
        if _URL.search(para) or len(para) > rules.max_title_length:
            return para, subtitle
        dateline = _matches_any(para, rules.datelines)
        if not subtitle and not dateline and not heading:
            subtitle = para
    return (paragraphs[0] if paragraphs else ""), subtitle


def _links(paragraphs: list[str]) -> tuple[str, ...]:
    found: list[str] = []
    for para in paragraphs:
        for match in _URL.finditer(para):
            url = match.group().rstrip(_URL_TAIL)
            if url not in found:
                found.append(url)
    return tuple(found)


def _html(paragraphs: list[str]) -> str:
    return "\n".join(f"<p>{_linkify(para)}</p>" for para in paragraphs)


def _linkify(para: str) -> str:
    out: list[str] = []
    pos = 0
    for match in _URL.finditer(para):
        url = match.group().rstrip(_URL_TAIL)
        out.append(html.escape(para[pos : match.start()]))
        href = html.escape(url)
        out.append(f'<a href="{href}">{href}</a>')
        pos = match.start() + len(url)
    out.append(html.escape(para[pos:]))
    return "".join(out)


# --- teasers -------------------------------------------------------------------------


def _split_teasers(region: list[str], rules: DumpRules) -> list[_Teaser]:
    """Group the lines above the title into teasers (see the module docstring)."""
    items: list[tuple[str, int]] = []
    gap = 0
    for line in region:
        if line:
            items.append((line, gap))
            gap = 0
        else:
            gap += 1
    double = any(g >= 2 for _, g in items[1:])
    teasers: list[_Teaser] = []
    for line, gap in items:
        found = match_header_date(line, rules)
        if found is not None:
            teasers.append(_Teaser(found.date))
            if found.kind is not HeaderKind.GLUED:
                continue
            line = found.remainder
        current = teasers[-1] if teasers else None
        if current is None or (current.lines and _starts_teaser(line, gap, double, current, rules)):
            teasers.append(_Teaser(None, [line]))
        else:
            current.lines.append(line)
    return [t for t in teasers if t.lines]


def _starts_teaser(line: str, gap: int, double: bool, current: _Teaser, rules: DumpRules) -> bool:
    if current.date is not None or _is_url_line(line):
        return False  # a dated unit runs to the next date line; URLs belong to their teaser
    if current.lines[-1].endswith((":", ",")) or line[:1].islower():
        return False
    if gap >= 2 or gap == 0:
        return True
    # One blank line: a second paragraph where teasers are two blanks apart, unless it
    # opens like a release of its own.
    return not double or has_opening_date_phrase(line, rules)


def _teaser_releases(teasers: list[_Teaser], rules: DumpRules) -> tuple[Release, ...]:
    dates: list[dt.date | None] = []
    origins: list[DateOrigin] = []
    pending: dict[int, tuple[int, int]] = {}
    for n, teaser in enumerate(teasers):
        phrase = opening_date_phrase(teaser.lines[0], rules)
        if teaser.date is not None:
            dates.append(teaser.date)
            origins.append(DateOrigin.TEASER_LINE)
        elif phrase is not None and phrase.year is not None:
            dates.append(dt.date(phrase.year, phrase.month, phrase.day))
            origins.append(DateOrigin.TEXT)
        else:
            dates.append(None)
            origins.append(DateOrigin.NONE)
            if phrase is not None:
                pending[n] = (phrase.day, phrase.month)
    known = [(n, d) for n, d in enumerate(dates) if d is not None]
    for n, (day, month) in pending.items():
        # Nearest first; on a tie the newer (earlier listed) teaser decides.
        neighbours = [d for _, d in sorted(known, key=lambda nd: (abs(nd[0] - n), nd[0]))]
        if neighbours:
            resolved = resolve_year(day, month, neighbours)
            if resolved >= rules.earliest_date:
                dates[n] = resolved
                origins[n] = DateOrigin.TEXT
    return tuple(
        _teaser_release(teaser, date, origin, rules)
        for teaser, date, origin in zip(teasers, dates, origins, strict=True)
    )


def _teaser_release(
    teaser: _Teaser, date: dt.date | None, origin: DateOrigin, rules: DumpRules
) -> Release:
    paragraphs = teaser.lines
    return Release(
        kind=ReleaseKind.BRIEF,
        title=derive_title(paragraphs[0], rules),
        title_derived=True,
        date=date,
        date_origin=origin,
        lead=paragraphs[0],
        paragraphs=tuple(paragraphs),
        body_html=_html(paragraphs),
        links=_links(paragraphs),
        language=detect_language(" ".join(paragraphs)),
    )


def derive_title(text: str, rules: DumpRules) -> str:
    """A title for a teaser: its first sentence, cut at a word boundary when too long.
    Greetings that open a letter ("Dear colleagues! Dear friends!") are passed over:
    every congratulatory teaser would otherwise get the same title.  Runs of spaces are
    made one: the title is made, not printed, so it takes no stray spacing along."""
    text = collapse(text)
    sentence = first = _first_sentence(text, rules)
    while _matches_any(sentence, rules.salutations):
        text = text.strip()[len(sentence) :]
        sentence = _first_sentence(text, rules) if text.strip() else first
        if sentence is first:
            break
    if sentence.endswith(".") and not sentence.endswith(".."):
        sentence = sentence[:-1]
    limit = rules.derived_title_length
    if len(sentence) <= limit:
        return sentence
    cut = sentence[: limit + 1]
    cut = cut[: cut.rfind(" ")] if " " in cut else sentence[:limit]
    return cut.rstrip(" ,;:-–—") + "…"


def _first_sentence(text: str, rules: DumpRules) -> str:
    for found in _SENTENCE_BREAK.finditer(text):
        before = text[: found.start()].rstrip("\"”»’')")
        words = before.split()
        word = words[-1].lstrip('"“«(').rstrip(".!?…") if words else ""
        if before.endswith(".") and (
            _INITIALS.fullmatch(word) or word.casefold() in rules.abbreviations
        ):
            continue
        return text[: found.start()].strip()
    return text.strip()
