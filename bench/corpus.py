"""Text dumps with the anatomy of the site's stored pages, at any scale.

A corpus is N releases dated 2010-2026, each dumped once, plus about 5% extra dumps
that re-dump an earlier release (a light edit, or the sidebar of another crawl).
Dumps come from *crawls*: a crawl has a date, a sidebar layout and a teaser set (the
leads of the releases newest at its date), and that set repeats on every page the
crawl dumped, as on the real site (docs: the CSTO site notes, sections 2-4).

Sidebar layouts, per crawl:

* ``blank`` - undated teasers separated by two blank lines (now and then one), a
  teaser occasionally two paragraphs; sometimes the file starts with a blank line;
* ``dated`` - ``DD.MM.YYYY`` on its own line before each teaser;
* ``lines`` - one teaser per line, the title on the next line;
* ``none`` - no sidebar.

Headers: the title then the title repeated with `` DD.MM.YYYY``, or a bare date line,
or no date.  Then body paragraphs (blank-line or single-newline separated), a
signature block, navigation lines, and no final newline.

The corpus is a folder of ``NNNNNN_<hash>.txt`` files and ``manifest.json``; the same
arguments give the same bytes.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import json
import random
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench.text import Release, Writer, release_dates

#: Bump when the generated text changes, so cached corpora are made again.
VERSION = 1
FIRST_DAY = dt.date(2010, 1, 11)
LAST_DAY = dt.date(2026, 2, 16)
NEAR_DUPLICATE_SHARE = 0.05
#: Pages per crawl on average: each crawl's teaser set repeats on that many dumps.
PAGES_PER_CRAWL = 40
LAYOUTS = ("blank", "dated", "lines", "none")
LAYOUT_WEIGHTS = (0.40, 0.15, 0.25, 0.20)
HEADERS = ("repeat", "date_line", "title_only")
HEADER_WEIGHTS = (0.55, 0.10, 0.35)
NBSP = "\u00a0"

SIGNATURES = (
    "The CSTO Press Secretary Vladimir Zaynetdinov",
    "CSTO Press Secretary Vladimir Zaynetdinov",
    "CSTO press secretary Vladimir Zainetdinov\n\n\n\nEmail:" + NBSP + " odkb-pressa@gov.ru",
    "The CSTO Press Secretary Vladimir Zaynetdinov\n\n\n\n"
    + (NBSP + " ") * 24
    + " E-mail: odkb-pressa@gov.ru",
    "",
)
NAVIGATIONS = (
    "Go back\n\nBack to the section\n\nBack to the all news",
    "Go back\n\nBack to the section\n\nBack to the all news",
    "Go back\n\nBack to the section\n\nBack to the all news",
    "Back to the section\n\nBack to the all news",
    "Go back\n\nBack to the all news",
)
#: Light edits of a re-dumped article: (old, new) word swaps tried in order.
EDITS = (
    (" discussed ", " considered "),
    (" noted ", " stressed "),
    (" took part ", " participated "),
    (" meeting ", " session "),
    (" said.", " stated."),
)


@dataclass
class Crawl:
    number: int
    date: dt.date
    layout: str
    #: Releases (indexes) whose leads are the sidebar teasers, newest first.
    teasers: list[int]
    #: Teasers of the ``blank`` layout that show two paragraphs (indexes into teasers).
    two_paragraphs: set[int] = field(default_factory=set)
    leading_blank: bool = False


@dataclass
class Manifest:
    releases: int
    dumps: int
    near_duplicates: int
    seed: int
    version: int
    crawls: int
    layouts: dict[str, int]
    headers: dict[str, int]
    #: Dump file names, in order (the first ``releases`` are one per release).
    files: list[str]

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1)


class Corpus:
    """Builds releases, crawls and dump texts; deterministic for a seed."""

    def __init__(self, releases: int, seed: int = 2026) -> None:
        self.count = releases
        self.seed = seed
        self.rng = random.Random(seed)
        writer = Writer(seed)
        dates = release_dates(releases, seed + 1, FIRST_DAY, LAST_DAY)
        self.releases: list[Release] = [writer.release(i, day) for i, day in enumerate(dates)]
        self._writer = writer
        self.crawls = self._crawls()
        self._crawl_dates = [c.date for c in self.crawls]

    # -- crawls ------------------------------------------------------------

    def _crawls(self) -> list[Crawl]:
        rng = self.rng
        total = max(len(LAYOUTS), round(self.count / PAGES_PER_CRAWL))
        # The first crawls take every layout once, so even a small corpus has them all.
        first = rng.sample(LAYOUTS, len(LAYOUTS))
        crawls = []
        for number in range(total):
            # The crawl happens right after its newest release: that release and the
            # four before it are its sidebar.
            newest = max(0, round((number + 1) * self.count / total) - 1)
            layout = (
                first[number] if number < len(first) else rng.choices(LAYOUTS, LAYOUT_WEIGHTS)[0]
            )
            shown = 0 if layout == "none" else rng.randint(1, 5)
            teasers = [i for i in range(newest, max(-1, newest - shown), -1)]
            crawl = Crawl(number, self.releases[newest].date, layout, teasers)
            if layout == "blank":
                crawl.two_paragraphs = {i for i in range(len(teasers)) if rng.random() < 0.15}
                crawl.leading_blank = rng.random() < 0.1
            crawls.append(crawl)
        return crawls

    def crawl_for(self, index: int) -> Crawl:
        """A crawl made after release ``index``: half the time the next one, else any
        later one (an old page saved by a recent crawl carries recent teasers)."""
        first = bisect.bisect_left(self._crawl_dates, self.releases[index].date)
        first = min(first, len(self.crawls) - 1)
        if self.rng.random() < 0.5:
            return self.crawls[first]
        return self.crawls[self.rng.randrange(first, len(self.crawls))]

    # -- dump text ---------------------------------------------------------

    def sidebar(self, crawl: Crawl, own: int) -> str:
        """The teaser block, ending right before the title (separator included)."""
        teasers = [i for i in crawl.teasers if i != own]
        if not teasers:
            return "\n" if crawl.leading_blank else ""
        rng = self.rng
        if crawl.layout == "lines":
            return "".join(self.releases[i].lead + "\n" for i in teasers)
        units = []
        for position, index in enumerate(teasers):
            release = self.releases[index]
            text = release.lead
            if crawl.layout == "blank" and position in crawl.two_paragraphs:
                text += "\n\n" + release.paragraphs[1]
            if crawl.layout == "dated":
                gap = "\n" if rng.random() < 0.1 else "\n\n"
                text = f"{release.date:%d.%m.%Y}{gap}{text}"
            units.append(text)
        separators = ["\n\n\n" if rng.random() < 0.9 else "\n\n" for _ in units[1:]]
        block = units[0]
        for separator, unit in zip(separators, units[1:], strict=True):
            block += separator + unit
        return ("\n" if crawl.leading_blank else "") + block + "\n\n"

    def article(self, release: Release, header: str, single_newline: bool) -> str:
        rng = self.rng
        date = f"{release.date:%d.%m.%Y}"
        if header == "repeat":
            # Now and then the repeat line has a double space where the title has one.
            repeat = release.title
            if rng.random() < 0.05:
                repeat = repeat.replace(" ", "  ", 1)
            top = f"{release.title}\n\n{repeat} {date}\n\n"
        elif header == "date_line":
            top = f"{release.title}\n{date}\n"
        else:
            top = release.title + ("\n\n" if rng.random() < 0.8 else "\n\n\n")
        joiner = "\n" if single_newline else "\n\n"
        paragraphs = []
        for paragraph in release.paragraphs:
            if rng.random() < 0.05:
                paragraph = " " * rng.randint(1, 4) + paragraph
            if rng.random() < 0.1:
                paragraph += NBSP
            paragraphs.append(paragraph)
        body = joiner.join(paragraphs)
        signature = rng.choice(SIGNATURES)
        tail = f"\n\n\n{signature}" if signature else ""
        return f"{top}{body}{tail}\n\n{rng.choice(NAVIGATIONS)}"

    def dump(self, index: int, crawl: Crawl, edit: bool = False) -> tuple[str, str]:
        """The dump text of release ``index`` (no final newline, as the site's dumps)
        and the header variant it got."""
        rng = self.rng
        release = self.releases[index]
        header = rng.choices(HEADERS, HEADER_WEIGHTS)[0]
        if edit:
            release = light_edit(release, rng)
        single = crawl.layout == "lines" or rng.random() < 0.15
        return self.sidebar(crawl, index) + self.article(release, header, single), header

    # -- the one new release of the "one new dump" case ----------------------

    def new_dump(self, k: int) -> str:
        """The k-th release after the corpus (k = 1, 2, ...), dumped by the newest crawl
        with that crawl's sidebar."""
        while len(self.releases) < self.count + k:
            day = self.releases[-1].date + dt.timedelta(days=1)
            self.releases.append(self._writer.release(len(self.releases), day))
        # Its own generator: the text must not depend on whether the corpus was
        # written in this process or found in the cache.
        saved, self.rng = self.rng, random.Random(self.seed * 7919 + k)
        try:
            crawl = self.crawls[-1]
            release = self.releases[self.count + k - 1]
            text = self.sidebar(crawl, self.count + k - 1)
            return text + self.article(release, "repeat", crawl.layout == "lines")
        finally:
            self.rng = saved

    # -- the corpus on disk ------------------------------------------------

    def write(self, folder: Path) -> Manifest:
        folder.mkdir(parents=True, exist_ok=True)
        rng = self.rng
        layouts: Counter[str] = Counter()
        headers: Counter[str] = Counter()
        files = []
        duplicates = round(self.count * NEAR_DUPLICATE_SHARE)
        jobs: list[tuple[int, bool]] = [(i, False) for i in range(self.count)]
        jobs += [(rng.randrange(self.count), True) for _ in range(duplicates)]
        for number, (index, again) in enumerate(jobs):
            crawl = self.crawl_for(index)
            # A re-dump is either the same page with a light edit or the page as
            # another crawl saw it (another sidebar).
            edit = again and rng.random() < 0.5
            text, header = self.dump(index, crawl, edit=edit)
            layouts[crawl.layout if crawl.teasers else "none"] += 1
            headers[header] += 1
            digest = hashlib.sha256(text.encode()).hexdigest()[:16]
            name = f"{number:06d}_{digest}.txt"
            (folder / name).write_text(text, encoding="utf-8")
            files.append(name)
        manifest = Manifest(
            releases=self.count,
            dumps=len(jobs),
            near_duplicates=duplicates,
            seed=self.seed,
            version=VERSION,
            crawls=len(self.crawls),
            layouts=dict(layouts),
            headers=dict(headers),
            files=files,
        )
        (folder / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")
        return manifest


def light_edit(release: Release, rng: random.Random) -> Release:
    """The same article with one word changed in one body paragraph."""
    paragraphs = list(release.paragraphs)
    for old, new in EDITS:
        for i in rng.sample(range(1, len(paragraphs)), len(paragraphs) - 1):
            if old in paragraphs[i]:
                paragraphs[i] = paragraphs[i].replace(old, new, 1)
                return Release(release.number, release.date, release.title, tuple(paragraphs))
    paragraphs[-1] = paragraphs[-1].rstrip(".") + ", the press service reported."
    return Release(release.number, release.date, release.title, tuple(paragraphs))


def load_manifest(folder: Path) -> Manifest | None:
    path = folder / "manifest.json"
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return Manifest(**data)


def ensure(folder: Path, releases: int, seed: int = 2026) -> tuple[Corpus, Manifest]:
    """The corpus in ``folder``, generated unless a matching one is already there.

    The :class:`Corpus` object is always rebuilt (it is cheap next to writing the
    files) because the "one new dump" case asks it for releases after the last one.
    """
    corpus = Corpus(releases, seed)
    manifest = load_manifest(folder)
    if (
        manifest is None
        or (manifest.releases, manifest.seed, manifest.version) != (releases, seed, VERSION)
        or not all((folder / name).exists() for name in manifest.files[-3:])
    ):
        for stale in folder.glob("*.txt"):
            stale.unlink()
        manifest = corpus.write(folder)
    return corpus, manifest
