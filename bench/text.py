"""Invented press releases: titles, dated leads and body paragraphs from templates.

Everything here is made up from the word lists below, so a corpus of any size can be
generated without copying a line from the site.  The shapes follow what the site's
releases look like (a title, a lead that states the release's date, three to seven
body paragraphs), and the slots are many enough that two releases of one template
still differ in most of their word shingles: a benchmark corpus whose releases look
like duplicates of each other would measure deduplication, not import.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

MEMBERS = (
    ("the Republic of Armenia", "Armenian", "Yerevan"),
    ("the Republic of Belarus", "Belarusian", "Minsk"),
    ("the Republic of Kazakhstan", "Kazakh", "Astana"),
    ("the Kyrgyz Republic", "Kyrgyz", "Bishkek"),
    ("the Russian Federation", "Russian", "Moscow"),
    ("the Republic of Tajikistan", "Tajik", "Dushanbe"),
)
CITIES = (
    "Moscow",
    "Minsk",
    "Astana",
    "Bishkek",
    "Dushanbe",
    "Yerevan",
    "Almaty",
    "Osh",
    "Brest",
    "Khujand",
    "Gyumri",
    "Grodno",
    "Karaganda",
    "Cholpon-Ata",
    "Kulob",
    "Vitebsk",
)
FIRST_NAMES = (
    "Arman",
    "Bakyt",
    "Daniyar",
    "Erlan",
    "Farhod",
    "Gagik",
    "Ilyas",
    "Kanat",
    "Lev",
    "Marat",
    "Nurbek",
    "Oleg",
    "Pavel",
    "Ruslan",
    "Saken",
    "Timur",
    "Ulan",
    "Vadim",
    "Yerzhan",
    "Zaur",
    "Aida",
    "Dinara",
    "Gulnara",
    "Irina",
    "Madina",
    "Nadezhda",
)
SURNAMES = (
    "Abenov",
    "Baktyrov",
    "Chernyshov",
    "Dovlatyan",
    "Esenov",
    "Fedorchuk",
    "Galstyan",
    "Ismailov",
    "Karimov",
    "Lavrinenko",
    "Mukanov",
    "Nazaryan",
    "Orlovsky",
    "Petrosyan",
    "Rakhimov",
    "Sadykov",
    "Tokmakov",
    "Usmanov",
    "Voronin",
    "Yakubov",
    "Zhunusov",
    "Avetisyan",
    "Belousov",
    "Kasymov",
    "Lebedinsky",
    "Sharipov",
    "Tulegenov",
)
ROLES = (
    "Permanent and Plenipotentiary Representative of {country} to the CSTO",
    "Minister of Foreign Affairs of {country}",
    "Minister of Defence of {country}",
    "Secretary of the Security Council of {country}",
    "Ambassador Extraordinary and Plenipotentiary of {country}",
    "Chief of the General Staff of the Armed Forces of {country}",
    "Deputy Minister of Emergency Situations of {country}",
    "head of the border service of {country}",
    "Chairman of the State Committee for National Security of {country}",
)
OUTSIDE = (
    "the United Nations Office on Drugs and Crime",
    "the Shanghai Cooperation Organisation",
    "the Commonwealth of Independent States",
    "the International Committee of the Red Cross",
    "the Eurasian Economic Commission",
    "the OSCE Secretariat",
    "the Anti-Terrorism Centre",
    "the CIS Executive Committee",
    "the Regional Anti-Terrorist Structure",
)
BODIES = (
    "Permanent Council",
    "Council of Foreign Ministers",
    "Council of Defence Ministers",
    "Committee of Secretaries of Security Councils",
    "Collective Security Council",
    "Coordination Council on countering illegal migration",
    "Coordination Council on emergency situations",
    "Coordination Council on countering drug trafficking",
    "Working Group on Afghanistan",
    "Scientific and Expert Council",
    "Consultative Coordination Centre for computer incidents",
    "Working Group on information policy and information security",
    "Military Committee",
    "Interstate Commission for military and economic cooperation",
)
TOPICS = (
    "countering international terrorism",
    "information security",
    "biological safety",
    "the situation on the Tajik-Afghan border",
    "countering drug trafficking",
    "crisis response",
    "peacekeeping training",
    "countering illegal migration",
    "the protection of critical infrastructure",
    "cooperation with the United Nations",
    "military and technical cooperation",
    "the training of staff officers",
    "the modernisation of the Collective Rapid Reaction Forces",
    "air defence coordination",
    "the exchange of operational information",
    "emergency response in the border regions",
    "the prevention of cyber incidents",
    "the training of peacekeeping contingents",
    "the Organization's information policy",
    "countering the financing of terrorism",
    "arms control and non-proliferation",
    "the unified air defence system",
    "humanitarian demining",
    "the security of the Central Asian region",
    "the work of the crisis response centre",
    "the legal framework of the Organization",
    "joint procurement of equipment",
    "the preparation of the chairmanship programme",
    "medical support of the Collective Forces",
    "satellite communications of the forces",
)
EXERCISES = (
    "Interaction",
    "Search",
    "Echelon",
    "Cobalt",
    "Frontier",
    "Indestructible Brotherhood",
    "Thunder",
    "Barrier",
    "Channel",
    "Proxy",
    "Steppe Shield",
    "Mountain Watch",
)
ADJECTIVES = (
    "stable",
    "tense",
    "difficult",
    "predictable",
    "under control",
    "changeable",
)
MONTHS = tuple(
    "January February March April May June July August September October November December".split()
)
ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")

TITLES = (
    "The CSTO Secretary General met with the {role}",
    "A meeting of the CSTO {body} was held in {city}",
    "The CSTO {body} discussed {topic}",
    "The CSTO Secretariat hosted a round table on {topic}",
    'The joint exercise "{exercise}-{year}" of the Collective Forces began in {country}',
    "Consultations of representatives of the member states on {topic} took place in {city}",
    "The CSTO Secretary General took part in a conference on {topic} in {city}",
    "A delegation of {country} visited the CSTO Joint Staff to discuss {topic}",
    "The CSTO Secretary General held talks with the head of {outside}",
    "Experts of the member states agreed on proposals on {topic} in {city}",
    'The {ordinal} stage of the operation "{exercise}-{year}" ended in {country}',
    "Statement of the CSTO {body} on {topic}",
    "Welcome address of the CSTO Secretary General to the participants of the forum on {topic}",
    "The CSTO Joint Staff held a briefing on {topic}",
    "A seminar for the press services of the member states on {topic} opened in {city}",
)
LEADS = (
    "{on} the CSTO Secretary General {person} met with {person2}, {role}, in {city}.",
    "{on} {city} hosted a meeting of the CSTO {body} chaired by {person}, {role}.",
    "{on} the CSTO Secretariat held consultations of experts of the member states on {topic}.",
    "{on} representatives of {outside} and the CSTO Secretariat discussed {topic} in {city}.",
    '{on} the active phase of the joint exercise "{exercise}-{year}" began at a training '
    "ground near {city} with {n} servicemen and {n2} units of equipment.",
    "{on} {person}, {role}, visited the CSTO Joint Staff, where officers presented the work "
    "on {topic}.",
    "{on} in {city}, the CSTO {body} considered {topic} and the plan of work for {year2}.",
)
CLAUSES = (
    "the situation in the {region} region of collective security remains {adjective}",
    "joint work on {topic} has intensified over the past {n3} months",
    "the member states are ready to share their experience in {topic}",
    "the decisions adopted last year on {topic} are being carried out on schedule",
    "{n3} draft documents on {topic} are ready for the next meeting of the {body}",
    "the {adjective2} experience of {country} in {topic} deserves wider use",
    "the Organization will continue its dialogue with {outside} on {topic}",
)
SENTENCES = (
    "The parties discussed {topic} and {topic2}.",
    "{person} noted that {clause}.",
    "According to {person}, {clause}.",
    "The participants reviewed {n3} draft documents, including the plan on {topic}.",
    "It was decided to submit the agreed proposals to the CSTO {body} in {month} {year2}.",
    "Particular attention was paid to {topic} in {city} and in the border areas of {country}.",
    "The {nationality} side informed the participants about {topic}.",
    "\u201cWe attach great importance to {topic},\u201d {person} said.",
    "The meeting was also attended by {person2}, {role}.",
    "{n} specialists from {n4} member states took part in the event.",
    "Following the meeting, a protocol on {topic} was signed.",
    "The next meeting is planned for {month} {year2} in {city2}.",
    "The exercise plan provides for {n4} stages and the use of {n2} units of equipment.",
    "Representatives of {outside} spoke about {topic}.",
)
REGIONS = ("Central Asian", "Caucasus", "East European")
ADJECTIVES2 = ("practical", "positive", "valuable", "recent", "extensive")


@dataclass(frozen=True)
class Release:
    """One invented release: its date, title and paragraphs (the first is the lead)."""

    number: int
    date: dt.date
    title: str
    paragraphs: tuple[str, ...]

    @property
    def lead(self) -> str:
        return self.paragraphs[0]


def long_date(day: dt.date, rng: random.Random) -> str:
    """A lead's date phrase: "On 16 February 2024," or "On May 16, 2024,"."""
    month = MONTHS[day.month - 1]
    if rng.random() < 0.5:
        return f"On {day.day} {month} {day.year},"
    return f"On {month} {day.day}, {day.year},"


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"


class Writer:
    """Fills the templates; one instance per corpus keeps titles unique."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self._titles: set[str] = set()

    def _slots(self, day: dt.date) -> dict[str, str]:
        rng = self.rng
        country, nationality, capital = rng.choice(MEMBERS)
        return {
            "person": _person(rng),
            "person2": _person(rng),
            "role": rng.choice(ROLES).format(country=rng.choice(MEMBERS)[0]),
            "country": country,
            "nationality": nationality,
            "city": rng.choice((capital, *rng.sample(CITIES, 2))),
            "city2": rng.choice(CITIES),
            "body": rng.choice(BODIES),
            "topic": rng.choice(TOPICS),
            "topic2": rng.choice(TOPICS),
            "outside": rng.choice(OUTSIDE),
            "exercise": rng.choice(EXERCISES),
            "ordinal": rng.choice(ORDINALS),
            "year": str(day.year),
            "year2": str(day.year + rng.choice((0, 0, 1))),
            "month": rng.choice(MONTHS),
            "region": rng.choice(REGIONS),
            "adjective": rng.choice(ADJECTIVES),
            "adjective2": rng.choice(ADJECTIVES2),
            "n": str(rng.randint(120, 4800)),
            "n2": str(rng.randint(40, 900)),
            "n3": str(rng.randint(2, 14)),
            "n4": str(rng.randint(2, 6)),
        }

    def _sentence(self, template: str, day: dt.date, on: str = "") -> str:
        slots = self._slots(day)
        slots["clause"] = self.rng.choice(CLAUSES).format(**slots)
        slots["on"] = on
        return template.format(**slots)

    def title(self, day: dt.date) -> str:
        # Real titles repeat rarely; here they never do, so the expected number of
        # releases is exact.  A qualifier is added when the draws collide.
        for attempt in range(30):
            title = self.rng.choice(TITLES).format(**self._slots(day))
            if attempt >= 10:
                title += f" on {day.day} {MONTHS[day.month - 1]}"
            if attempt >= 20:
                title += f" ({self.rng.randint(2, 999)})"
            if title not in self._titles:
                self._titles.add(title)
                return title
        raise RuntimeError("no unique title")  # pragma: no cover - 30 draws always differ

    def release(self, number: int, day: dt.date) -> Release:
        rng = self.rng
        title = self.title(day)
        # The lead states the release's own date, as the site's leads do, so a
        # sidebar teaser (a lead) can be matched to its article.
        lead = self._sentence(rng.choice(LEADS), day, on=long_date(day, rng))
        lead += " " + self._sentence(rng.choice(SENTENCES), day)
        paragraphs = [lead]
        for _ in range(rng.randint(2, 6)):
            count = rng.randint(2, 4)
            paragraphs.append(
                " ".join(self._sentence(rng.choice(SENTENCES), day) for _ in range(count))
            )
        return Release(number, day, title, tuple(paragraphs))


def release_dates(count: int, seed: int, first: dt.date, last: dt.date) -> list[dt.date]:
    """``count`` dates between ``first`` and ``last``, ascending, several a day at scale."""
    rng = random.Random(seed)
    span = (last - first).days
    return sorted(first + dt.timedelta(days=rng.randint(0, span)) for _ in range(count))
