"""A dump as lines: normalised text, the footer taken off, and what each line looks like.

Blank lines are not kept as lines; each line remembers how many blank lines stood above
it (its ``gap``), which carries layout signal (teasers two blanks apart, paragraphs of one
teaser one blank apart, one-per-line sidebars with none).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from feeds.parsing.dates import match_header_date
from feeds.profile.dump import DumpRules
from feeds.profile.patterns import LazyPattern
from feeds.text.keys import normalise_lines, paragraph_key

URL = re.compile(r"https?://[^\s<>\"'«»“”]+")
URL_TAIL = ".,;:!?)]"
SENTENCE_END = re.compile(r"[.!?…][\"”»’')]*$")
# A person's name on a line of its own: initials and surname, either way round.
_NAME_LINE = re.compile(
    r"(?:[A-ZА-ЯЁ]\.\s?){1,3}[A-ZА-ЯЁ][\w'’-]+|[A-ZА-ЯЁ][\w'’-]+\s+(?:[A-ZА-ЯЁ]\.\s?){1,3}"
)
# A line of at most this many capitalised words is a name (with patronymic), not a title.
_NAME_WORDS = 3


@dataclass(frozen=True)
class Line:
    text: str
    #: Blank lines right above this one.
    gap: int


@dataclass(frozen=True)
class Dump:
    """The lines of a dump above its footer, and what the footer held."""

    lines: tuple[Line, ...]
    #: Signature and contact lines taken off the end.
    contacts: tuple[str, ...]
    #: Image file names that prefixed a signature line.
    signature_images: tuple[str, ...]
    #: Blank lines after the last line: a copy that stops mid-line has none.
    trailing_gap: int

    def texts(self) -> list[str]:
        return [line.text for line in self.lines]


def read_dump(text: str, rules: DumpRules) -> Dump:
    """Normalised lines without navigation, signature and contact lines at the end."""
    raw = normalise_lines(text)
    while raw and not raw[-1]:
        raw.pop()
    end = len(raw)
    while end and (not raw[end - 1] or matches_any(raw[end - 1], rules.navigation)):
        end -= 1
    navigation = end < len(raw)
    contacts: list[str] = []
    images: list[str] = []
    seen = 0
    cut = end
    for i in range(end - 1, -1, -1):
        if not raw[i]:
            continue
        seen += 1
        if seen > rules.signature_window:
            break
        contact, image = _contact_line(raw[i], rules)
        if contact is None:
            break
        contacts.insert(0, contact)
        if image:
            images.insert(0, image)
        cut = i
    lines: list[Line] = []
    gap = 0
    for line in raw[:cut]:
        if line:
            lines.append(Line(line, gap if lines else 0))
            gap = 0
        else:
            gap += 1
    # A footer or a signature closes the page; without one the copy may stop mid-line.
    closed = navigation or bool(contacts) or gap > 0
    return Dump(tuple(lines), tuple(contacts), tuple(images), 1 if closed else 0)


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


def matches_any(line: str, patterns: tuple[LazyPattern, ...]) -> bool:
    return any(p.search(line) for p in patterns)


def is_url_line(line: str) -> bool:
    found = URL.match(line)
    return found is not None and found.end() == len(line)


def image_parts(line: str, rules: DumpRules) -> list[str]:
    """The image names a line consists of, or ``[line]`` when it is not only images."""
    parts: list[str] = []
    pos = 0
    while pos < len(line):
        found = rules.image_file.match(line, pos)
        if found is None:
            return [line[pos:]] if not parts else [*parts, line[pos:]]
        parts.append(found.group())
        pos = found.end()
        while pos < len(line) and line[pos] == " ":
            pos += 1
    return parts or [line]


def is_image_line(line: str, rules: DumpRules) -> bool:
    return all(rules.image_file.fullmatch(part) for part in image_parts(line, rules))


def is_date_line(line: str, rules: DumpRules) -> bool:
    return match_header_date(line, rules) is not None


def is_download_line(line: str, rules: DumpRules) -> bool:
    return line.casefold().startswith(rules.download_phrase.casefold())


def ends_sentence(line: str, rules: DumpRules) -> bool:
    return bool(SENTENCE_END.search(line.removesuffix(rules.video_marker).rstrip()))


def heading_like(line: str) -> bool:
    """Speech headings: "WELCOME SPEECH", "of the CSTO Secretary General", and the
    speaker's name ("I.N. Tasmagambetov", "Imangali Tasmagambetov")."""
    if _NAME_LINE.fullmatch(line):
        return True
    if SENTENCE_END.search(line):
        return False
    words = line.split()
    name = len(words) <= _NAME_WORDS and all(w[:1].isupper() and w.isalpha() for w in words)
    return name or line.upper() == line or line[:1].islower()


def key(line: str) -> str:
    return paragraph_key(line)
