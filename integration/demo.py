"""The demo municipality that ``manage.py seed_demo`` loads.

Three teams, their provider organisations, one user per role and about 300
citizens who arrived from 2012 until this month, each with a case and the
dated facts a Danish integration team keeps. Every CPR number is a
replacement number (day of birth + 60), so no row can be a real person.

The data is planned first, in plain Python with ``random.Random(seed)``, and
then written in one transaction: cases through ``services.case_create``, facts
validated with ``full_clean`` and bulk-created per model, and each case's
stored deadline refreshed once at the end. Seeding is not a person's access,
so it writes no access-log rows beyond those ``case_create`` writes.

The yearly number of refugees aged 18 or over and their shares employed or
self-supporting 6 and 12 months after arrival follow the shape of seed 001's
table 2.1 (about a third of its numbers); the plan is relative to ``today``,
so the command works on any date.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from accounts.roles import Role
from common import cpr
from common.dates import add_months
from integration import services
from integration.models import (
    Case,
    CaseFact,
    CaseStatus,
    CaseStatusChange,
    Citizen,
    ClosingReason,
    DanishAbsence,
    DanishCourse,
    EmploymentCategory,
    EmploymentSource,
    EmploymentSpell,
    FollowUp,
    HealthAssessment,
    HealthResponse,
    Household,
    HousingKind,
    HousingPlacement,
    IntegrationContract,
    IntegrationPlan,
    LadderPlacement,
    LadderStep,
    PlanStatus,
    ProviderKind,
    ProviderOrganisation,
    Repatriation,
    ResidenceBasis,
    ScreeningVisit,
    Team,
    User,
)
from progression import demo as progression_demo

DEFAULT_SEED = 2019
URL = "http://127.0.0.1:8000"

# --- organisations and users ------------------------------------------------

TEAMS = ["Team Nord", "Team Syd", "Team Ungeindsats"]
NORD, SYD, UNGE = TEAMS

PRIVATE, PUBLIC = "private", "public"


@dataclass(frozen=True)
class DemoProvider:
    name: str
    kind: str
    sector: str = ""  # private or public, for workplaces: decides the ladder step
    address: str = ""
    email: str = ""


PROVIDER_WORKPLACE = "Tørring Træ & Byg ApS"
MUNICIPAL_TEAM = "Integrationsholdet, Natur og Rengøring"
PROVIDERS = [
    DemoProvider(
        PROVIDER_WORKPLACE,
        ProviderKind.WORKPLACE,
        PRIVATE,
        "Industrivej 14, 7160 Tørring",
        "praktik@toerring-trae.example",
    ),
    DemoProvider(
        "Juelsminde Fiskeindustri A/S",
        ProviderKind.WORKPLACE,
        PRIVATE,
        "Havnevej 3, 7130 Juelsminde",
        "hr@juelsminde-fisk.example",
    ),
    DemoProvider(
        "Løsning Plast A/S",
        ProviderKind.WORKPLACE,
        PRIVATE,
        "Fabriksvej 22, 8723 Løsning",
        "job@loesning-plast.example",
    ),
    DemoProvider(
        "Hornsyld Gartneri ApS",
        ProviderKind.WORKPLACE,
        PRIVATE,
        "Bredgade 70, 8783 Hornsyld",
        "kontor@hornsyld-gartneri.example",
    ),
    DemoProvider(
        "Restaurant Havnekanten",
        ProviderKind.WORKPLACE,
        PRIVATE,
        "Havnegade 1, 7130 Juelsminde",
        "koekken@havnekanten.example",
    ),
    DemoProvider(
        "Plejecenter Solbakken",
        ProviderKind.WORKPLACE,
        PUBLIC,
        "Solbakken 2, 8722 Hedensted",
        "solbakken@kommune.example",
    ),
    DemoProvider(
        "Vej og Park, Materielgården",
        ProviderKind.WORKPLACE,
        PUBLIC,
        "Materielvej 5, 8722 Hedensted",
        "vejogpark@kommune.example",
    ),
    DemoProvider(
        "Børnehuset Mælkebøtten",
        ProviderKind.WORKPLACE,
        PUBLIC,
        "Skolegade 9, 7171 Uldum",
        "maelkeboetten@kommune.example",
    ),
    DemoProvider(
        "Sprogcenter Vejlefjord",
        ProviderKind.LANGUAGE_SCHOOL,
        address="Sprogvej 1, 8722 Hedensted",
        email="kursist@sprogcenter-vejlefjord.example",
    ),
    DemoProvider(
        "Sprogskolen Midtøst",
        ProviderKind.LANGUAGE_SCHOOL,
        address="Stationsvej 11, 7160 Tørring",
        email="info@sprogskolen-midtoest.example",
    ),
    DemoProvider(
        MUNICIPAL_TEAM,
        ProviderKind.MUNICIPAL,
        address="Materielvej 5, 8722 Hedensted",
        email="integrationsholdet@kommune.example",
    ),
]
PRIVATE_WORKPLACES = [p.name for p in PROVIDERS if p.sector == PRIVATE]
PUBLIC_WORKPLACES = [p.name for p in PROVIDERS if p.sector == PUBLIC]
LANGUAGE_SCHOOLS = [p.name for p in PROVIDERS if p.kind == ProviderKind.LANGUAGE_SCHOOL]


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    first_name: str
    last_name: str
    team: str = ""
    provider: str = ""


DEMO_USERS = [
    DemoUser("caseworker_a", Role.CASEWORKER, "Mette", "Kjær", team=NORD),
    DemoUser("caseworker_b", Role.CASEWORKER, "Lars", "Thomsen", team=SYD),
    DemoUser("caseworker_c", Role.CASEWORKER, "Sofie", "Bundgaard", team=UNGE),
    DemoUser("caseworker_d", Role.CASEWORKER, "Anders", "Poulsen", team=NORD),
    DemoUser("caseworker_e", Role.CASEWORKER, "Camilla", "Mortensen", team=SYD),
    DemoUser("provider", Role.PROVIDER, "Jesper", "Bach", provider=PROVIDER_WORKPLACE),
    DemoUser("manager", Role.MANAGER, "Hanne", "Østergaard", team=NORD),
    DemoUser("secretariat", Role.SECRETARIAT, "Rasmus", "Lund"),
    DemoUser("admin", Role.ADMINISTRATOR, "Birgitte", "Holm"),
]
CASEWORKERS = {t: [u.username for u in DEMO_USERS if u.team == t and u.role == Role.CASEWORKER]
               for t in TEAMS}  # fmt: skip

# --- citizens: names, nationalities, places ---------------------------------

# (male first names, female first names, family names)
NAMES: dict[str, tuple[list[str], list[str], list[str]]] = {
    "arabic": (
        "Mohammad Ahmad Khaled Omar Yousef Ali Hassan Mahmoud Ibrahim Abdullah Bashar Rami "
        "Samer Tarek Walid Fadi Majd Anas Hamza Zaid".split(),
        "Fatima Aisha Maryam Rasha Huda Lina Rana Nour Amal Hala Salma Reem Dima Yasmin "
        "Zeinab Ghada Rima Heba".split(),
        "Al-Ahmad Haddad Khalil Hamdan Al-Hassan Darwish Ibrahim Nasser Mansour Saleh "
        "Youssef Al-Khatib Othman Hussein Kassem Al-Ali Hamoud Suleiman".split(),
    ),
    "tigrinya": (
        "Tesfay Yonas Dawit Samuel Habtom Filmon Mehari Kidane Berhane Robel Merhawi Senay "
        "Tekle Amanuel Natnael Efrem".split(),
        "Selam Helen Saba Ruta Mebrat Tsega Yohana Luwam Senait Feven Rahel Almaz "
        "Winta Eden".split(),
        "Tesfamariam Gebremedhin Haile Kidane Tekle Weldemichael Ghebreyesus Berhane Abraha "
        "Asmerom Woldu Habte".split(),
    ),
    "somali": (
        "Abdirahman Mohamed Abdullahi Hassan Yusuf Ahmed Abdi Ismail Farah Abdirizak "
        "Mustafe".split(),
        "Hodan Sahra Faduma Amina Hamdi Ifrah Nimco Sagal Ayan Khadra Ubah".split(),
        "Warsame Farah Abdi Jama Hersi Osman Mohamud Ali Nur Egal Yusuf".split(),
    ),
    "dari": (
        "Ahmad Mohammad Hamid Jawad Mustafa Reza Sayed Wahid Farid Nasir Habib Javid".split(),
        "Zahra Fatima Maryam Parwana Shabnam Nazanin Marzia Soraya Laila Mahbooba Freshta".split(),
        "Ahmadi Hosseini Rahimi Karimi Sultani Jafari Mohammadi Noori Haidari Sadat Amiri".split(),
    ),
    "farsi": (
        "Reza Ali Mehdi Amir Hossein Saeed Babak Dariush Kaveh Arash".split(),
        "Maryam Narges Shirin Leila Sara Parisa Mahsa Negar Azadeh Roya".split(),
        "Rezaei Moradi Hosseini Karimi Tehrani Sadeghi Rostami Jalali Farahani".split(),
    ),
    "kurdish": (
        "Karwan Aram Dilshad Shivan Rebwar Azad Hemin Saman".split(),
        "Shirin Nasrin Avin Berivan Zhilwan Rozhin Hawre".split(),
        "Hawrami Qadir Rashid Aziz Mahmoud Karim Salih".split(),
    ),
    "ukrainian": (
        "Oleksandr Andriy Mykola Dmytro Serhiy Ivan Yuriy Bohdan".split(),
        "Olena Iryna Natalia Oksana Kateryna Tetiana Yulia Anastasiia Sofiia Halyna".split(),
        "Kovalenko Shevchenko Bondarenko Tkachenko Kravchenko Melnyk Boyko Oliynyk "
        "Lysenko Marchenko Savchuk".split(),
    ),
    "bosnian": (
        "Emir Adnan Senad Mirza Haris Edin".split(),
        "Amra Lejla Selma Azra Emina Aida".split(),
        "Hodžić Begić Mehmedović Delić Hadžić Omerović".split(),
    ),
}

# Per country: name style, patronymic family names (children carry the
# father's first name), and the languages spoken.
COUNTRIES: dict[str, tuple[str, bool, list[str]]] = {
    "SY": ("arabic", False, ["arabisk", "arabisk", "arabisk", "arabisk, kurdisk"]),
    "ER": ("tigrinya", True, ["tigrinya", "tigrinya", "tigrinya", "tigrinya, arabisk"]),
    "SO": ("somali", True, ["somali", "somali", "somali, arabisk"]),
    "AF": ("dari", False, ["dari", "dari", "pashto", "dari, farsi"]),
    "IR": ("farsi", False, ["farsi", "farsi", "farsi, kurdisk"]),
    "IQ": ("arabic", False, ["arabisk", "arabisk, kurdisk"]),
    "UA": ("ukrainian", False, ["ukrainsk, russisk", "ukrainsk"]),
    "BA": ("bosnian", False, ["bosnisk"]),
}


def _nationality_weights(year: int) -> dict[str, float]:
    if year <= 2013:
        return {"SY": 25, "AF": 20, "IR": 15, "SO": 15, "IQ": 10, "ER": 8, "BA": 7}
    if year <= 2016:
        return {"SY": 50, "ER": 30, "AF": 7, "IR": 5, "IQ": 5, "SO": 3}
    if year <= 2021:
        return {"SY": 30, "ER": 25, "AF": 15, "IR": 10, "IQ": 10, "SO": 10}
    return {"UA": 45, "AF": 20, "SY": 15, "ER": 10, "IR": 5, "SO": 5}


LOCALITIES = {
    NORD: ["Hedensted", "Løsning", "Tørring", "Uldum", "Rask Mølle", "Daugård"],
    SYD: ["Juelsminde", "Hornsyld", "Stouby", "Barrit", "Glud", "Bjerre"],
}
ASYLUM_CENTRES = [
    "Center Sandholm",
    "Center Jelling",
    "Center Auning",
    "Center Vipperød",
    "Center Tønder",
    "Center Holmegaard",
    "Center Kongelunden",
]

# --- the cohort table this data imitates -------------------------------------

# Refugees aged 18+ at arrival per year: seed 001's 32, 27, 45, 105, 58, 43
# scaled by a third; later years share a budget, so a later date keeps the
# total near 300 citizens.
EARLY_ADULT_REFUGEES = {2012: 11, 2013: 9, 2014: 15, 2015: 35, 2016: 19, 2017: 14}
LATER_BUDGET = 100
LATER_PER_YEAR_MAX = 10
# Shares employed or self-supporting 6 and 12 months after arrival (table 2.1)
# and on the report date (table 2.1 for the cohorts old enough by now).
SHARE_6_MONTHS = {2012: 0.03, 2013: 0.04, 2014: 0.02, 2015: 0.07, 2016: 0.16, 2017: 0.02}
SHARE_12_MONTHS = {2012: 0.03, 2013: 0.07, 2014: 0.04, 2015: 0.15, 2016: 0.29, 2017: 0.0}
SHARE_NOW = {2012: 0.50, 2013: 0.67, 2014: 0.71, 2015: 0.52, 2016: 0.41}
LATER_SHARE_6_MONTHS = 0.06
LATER_SHARE_12_MONTHS = 0.12


def _share_now(year: int, today: dt.date) -> float:
    if year in SHARE_NOW:
        return SHARE_NOW[year]
    age = today.year - year
    return {0: 0.0, 1: 0.22, 2: 0.32, 3: 0.40, 4: 0.45, 5: 0.48}.get(age, 0.50)


def adult_refugees_per_year(today: dt.date) -> dict[int, int]:
    counts = {y: n for y, n in EARLY_ADULT_REFUGEES.items() if y <= today.year}
    later = list(range(2018, today.year + 1))
    if later:
        per_year = min(LATER_PER_YEAR_MAX, max(4, round(LATER_BUDGET / len(later))))
        for year in later:
            counts[year] = per_year
    if today.year in counts:
        # The current year only as far as it has come.
        elapsed = (today - dt.date(today.year, 1, 1)).days + 1
        counts[today.year] = max(2, round(counts[today.year] * elapsed / 365))
    return counts


# Unaccompanied minors per arrival year, and per number of years before today.
UNACCOMPANIED_MINORS = {2015: 3, 2016: 2}
RECENT_UNACCOMPANIED_MINORS = {0: 1, 1: 1, 3: 1}

# --- the plan -----------------------------------------------------------------


@dataclass
class Phase:
    """A spell of one employment category, and of one ladder step if any."""

    start: dt.date
    end: dt.date | None
    category: str
    step: int | None = None
    provider: str = ""

    def active_on(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or self.end >= day)


@dataclass
class CoursePlan:
    start: dt.date
    end: dt.date | None
    school: str
    module: str
    hours: int
    absences: list[tuple[dt.date, Decimal]] = field(default_factory=list)


@dataclass
class Person:
    first_name: str
    last_name: str
    female: bool
    birth: dt.date
    arrival: dt.date
    basis: str
    nationality: str
    languages: str
    unaccompanied: bool = False
    guardian: Person | None = None
    cpr: str = ""
    # Employment: the first day in ordinary work, and the first day without it.
    emp_start: dt.date | None = None
    emp_category: str = EmploymentCategory.ORDINARY_EMPLOYMENT
    job_loss: dt.date | None = None
    closed_on: dt.date | None = None
    closing_reason: str = ""
    first_placement: dt.date | None = None
    no_placement_yet: bool = False
    phases: list[Phase] = field(default_factory=list)
    courses: list[CoursePlan] = field(default_factory=list)
    screening: tuple[dt.date, str] | None = None
    contract_on: dt.date | None = None
    plan_events: list[tuple[str, dt.date]] = field(default_factory=list)
    health: tuple[dt.date, str, dt.date | None] | None = None
    follow_ups: list[tuple[dt.date, bool]] = field(default_factory=list)
    housing: list[tuple[str, str, bool, dt.date, dt.date | None]] = field(default_factory=list)

    @property
    def age_at_arrival(self) -> int:
        return _age(self.birth, self.arrival)

    @property
    def adult(self) -> bool:
        return self.age_at_arrival >= 18


@dataclass
class HouseholdPlan:
    reference: str
    nationality: str
    team: str
    caseworker: str
    locality: str
    school: str
    members: list[Person] = field(default_factory=list)
    closed_on: dt.date | None = None
    closing_reason: str = ""
    destination: str = ""

    @property
    def head(self) -> Person:
        return self.members[0]


def _age(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _day_between(rng: random.Random, lo: dt.date, hi: dt.date) -> dt.date:
    return lo + dt.timedelta(days=rng.randint(0, max(0, (hi - lo).days)))


def _after(day: dt.date, days: int) -> dt.date:
    return day + dt.timedelta(days=days)


def _weighted(rng: random.Random, weights: dict) -> object:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


# Closing reasons after which the home, the register spells and all else end.
LEFT_HOME = {ClosingReason.MOVED_AWAY, ClosingReason.REPATRIATED, ClosingReason.DECEASED}

# Internships and wage subsidies are agreed for a period; the rest runs until changed.
PLANNED_STEPS = {
    LadderStep.WAGE_SUBSIDY_PRIVATE,
    LadderStep.WAGE_SUBSIDY_PUBLIC,
    LadderStep.INTERNSHIP_PRIVATE,
    LadderStep.INTERNSHIP_PUBLIC,
}


def _count(share: float, n: int) -> int:
    """``share`` of ``n`` people, rounded half up."""
    return math.floor(share * n + 0.5)


class Planner:
    """Plans every household, person and fact; touches no database."""

    def __init__(self, *, seed: int, today: dt.date, taken_cprs: Iterable[str] = ()):
        self.rng = random.Random(seed)
        self.today = today
        self.used_cprs: set[str] = set(taken_cprs)
        self.households: list[HouseholdPlan] = []
        self._household_serial: Counter[int] = Counter()
        # Households go round the team's caseworkers, so that caseloads are even.
        self._next_caseworker = {t: itertools.cycle(names) for t, names in CASEWORKERS.items()}

    # people ---------------------------------------------------------------

    def _birth(self, arrival: dt.date, age: int) -> dt.date:
        """A birth date that makes the person exactly ``age`` on ``arrival``."""
        hi = add_months(arrival, -12 * age)
        lo = _after(add_months(arrival, -12 * (age + 1)), 1)
        return _day_between(self.rng, lo, hi)

    def _cpr(self, birth: dt.date, female: bool) -> str:
        # The 7th digit gives the century: 0-3 for the 1900s, 4-9 for 2000-2036.
        centuries = "0123" if birth.year < 2000 else "456789"
        day = birth.day + cpr.REPLACEMENT_DAY_OFFSET
        stem = f"{day:02d}{birth.month:02d}{birth.year % 100:02d}"
        while True:
            last = self.rng.choice("02468" if female else "13579")
            number = f"{stem}{self.rng.choice(centuries)}{self.rng.randint(0, 99):02d}{last}"
            if number not in self.used_cprs:
                break
        number = cpr.validate(number)
        assert cpr.is_replacement(number) and cpr.birth_date(number) == birth
        self.used_cprs.add(number)
        return number

    def _person(
        self,
        nationality: str,
        *,
        female: bool,
        age: int,
        arrival: dt.date,
        basis: str = ResidenceBasis.REFUGEE,
        last_name: str | None = None,
    ) -> Person:
        style, _patronymic, languages = COUNTRIES[nationality]
        male_names, female_names, family_names = NAMES[style]
        if style == "arabic" and nationality == "IQ" and self.rng.random() < 0.3:
            male_names, female_names, family_names = NAMES["kurdish"]
        langs = self.rng.choice(languages)
        if age >= 18 and self.rng.random() < 0.2:
            langs += ", engelsk"
        birth = self._birth(arrival, age)
        return Person(
            first_name=self.rng.choice(female_names if female else male_names),
            last_name=last_name or self.rng.choice(family_names),
            female=female,
            birth=birth,
            arrival=arrival,
            basis=basis,
            nationality=nationality,
            languages=langs if age >= 3 else "",
            cpr=self._cpr(birth, female),
        )

    def _children(
        self,
        household: HouseholdPlan,
        *,
        mother_age: int,
        father: Person | None,
        count: int,
        arrival: dt.date,
        basis: str,
        guardian: Person,
    ) -> None:
        patronymic = COUNTRIES[household.nationality][1]
        ages = sorted(
            (self.rng.randint(0, min(17, max(0, mother_age - 19))) for _ in range(count)),
            reverse=True,
        )
        for age in ages:
            if patronymic and father is not None:
                last = father.first_name
            else:
                last = (father or guardian).last_name
            child = self._person(
                household.nationality,
                female=self.rng.random() < 0.5,
                age=age,
                arrival=arrival,
                basis=basis,
                last_name=last,
            )
            child.guardian = guardian
            household.members.append(child)

    def _new_household(self, year: int, nationality: str, team: str) -> HouseholdPlan:
        self._household_serial[year] += 1
        locality_team = team if team in LOCALITIES else self.rng.choice([NORD, SYD])
        return HouseholdPlan(
            reference=f"H{year}-{self._household_serial[year]:03d}",
            nationality=nationality,
            team=team,
            caseworker=next(self._next_caseworker[team]),
            locality=self.rng.choice(LOCALITIES[locality_team]),
            school=self.rng.choices(LANGUAGE_SCHOOLS, weights=[6, 4])[0],
        )

    def _arrival(self, year: int) -> dt.date:
        last = min(dt.date(year, 12, 31), self.today)
        return _day_between(self.rng, dt.date(year, 1, 1), last)

    def plan_households(self) -> None:
        for year, target in adult_refugees_per_year(self.today).items():
            planned = 0
            while planned < target:
                planned += self._plan_household(year, remaining=target - planned)
            minors = UNACCOMPANIED_MINORS.get(year, 0)
            minors += RECENT_UNACCOMPANIED_MINORS.get(self.today.year - year, 0)
            for _ in range(minors):
                self._plan_unaccompanied_minor(year)
        self._make_recent_arrivals()

    def _plan_household(self, year: int, *, remaining: int) -> int:
        """Plan one household arriving in ``year``; return its adult refugees."""
        rng = self.rng
        nationality = _weighted(rng, _nationality_weights(year))
        if year == 2012 and not any(h.nationality == "BA" for h in self.households):
            nationality = "BA"  # so that one household can go home to Bosnia
        if nationality == "UA":
            kinds = {"single": 30, "parent_kids": 45, "couple_kids": 10, "older": 15}
        elif year == 2015:
            kinds = {"single": 62, "couple_kids": 18, "parent_kids": 8, "couple": 7, "older": 5}
        else:
            kinds = {"single": 50, "couple_kids": 22, "parent_kids": 10, "couple": 10, "older": 8}
        kind = _weighted(rng, kinds)
        if remaining < 2 and kind in ("couple", "couple_kids"):
            kind = "single"
        arrival = self._arrival(year)
        if kind == "single":
            age = rng.choice([rng.randint(18, 24), rng.randint(25, 34), rng.randint(25, 44)])
        elif kind == "older":
            age = rng.randint(55, 64)
        else:
            age = rng.randint(22, 45)
        team = UNGE if kind == "single" and age <= 27 else rng.choice([NORD, SYD])
        household = self._new_household(year, nationality, team)
        if kind == "single":
            female = rng.random() < (0.6 if nationality == "UA" else 0.3)
            head = self._person(nationality, female=female, age=age, arrival=arrival)
            household.members.append(head)
            if not female and 22 <= age <= 45 and rng.random() < 0.35:
                self._plan_family_reunification(household, head)
            adults = 1
        elif kind == "parent_kids":
            female = rng.random() < 0.85
            head = self._person(nationality, female=female, age=age, arrival=arrival)
            household.members.append(head)
            self._children(
                household,
                mother_age=age,
                father=None if female else head,
                count=rng.randint(1, 2),
                arrival=arrival,
                basis=ResidenceBasis.REFUGEE,
                guardian=head,
            )
            adults = 1
        elif kind == "older":
            head = self._person(nationality, female=rng.random() < 0.5, age=age, arrival=arrival)
            household.members.append(head)
            adults = 1
            if remaining >= 2 and rng.random() < 0.5:
                spouse = self._person(
                    nationality,
                    female=not head.female,
                    age=min(66, max(50, age + rng.randint(-5, 5))),
                    arrival=arrival,
                    last_name=None if COUNTRIES[nationality][1] else head.last_name,
                )
                household.members.append(spouse)
                adults = 2
        else:
            father = self._person(nationality, female=False, age=age, arrival=arrival)
            mother_age = max(19, age - rng.randint(0, 6))
            mother = self._person(
                nationality,
                female=True,
                age=mother_age,
                arrival=arrival,
                last_name=None if COUNTRIES[nationality][1] else father.last_name,
            )
            household.members += [father, mother]
            if kind == "couple_kids":
                self._children(
                    household,
                    mother_age=mother_age,
                    father=father,
                    count=rng.choice([1, 1, 2, 2, 3]),
                    arrival=arrival,
                    basis=ResidenceBasis.REFUGEE,
                    guardian=mother,
                )
            adults = 2
        self.households.append(household)
        return adults

    def _plan_family_reunification(self, household: HouseholdPlan, refugee: Person) -> None:
        """The wife and children follow the refugee 6-18 months later."""
        arrival = add_months(refugee.arrival, self.rng.randint(6, 18))
        arrival = _after(arrival, self.rng.randint(0, 27))
        if arrival > self.today:
            return
        wife_age = max(19, refugee.age_at_arrival - self.rng.randint(0, 6))
        wife = self._person(
            household.nationality,
            female=True,
            age=wife_age,
            arrival=arrival,
            basis=ResidenceBasis.FAMILY_REUNIFIED,
            last_name=None if COUNTRIES[household.nationality][1] else refugee.last_name,
        )
        household.members.append(wife)
        self._children(
            household,
            mother_age=wife_age,
            father=refugee,
            count=self.rng.choice([0, 1, 1, 2, 3]),
            arrival=arrival,
            basis=ResidenceBasis.FAMILY_REUNIFIED,
            guardian=wife,
        )

    def _plan_unaccompanied_minor(self, year: int) -> None:
        nationality = self.rng.choice(["ER", "AF", "SY", "ER"])
        household = self._new_household(year, nationality, UNGE)
        minor = self._person(
            nationality,
            female=self.rng.random() < 0.2,
            age=self.rng.randint(15, 17),
            arrival=self._arrival(year),
        )
        minor.unaccompanied = True
        household.members.append(minor)
        self.households.append(household)

    def _make_recent_arrivals(self) -> None:
        """The newest cases: one arrived days ago, one a fortnight ago; neither placed yet."""
        singles = [
            h
            for h in self.households
            if h.head.arrival.year == self.today.year and len(h.members) == 1 and h.head.adult
        ]
        for household, days_ago in zip(singles[-2:], (self.rng.randint(1, 3), 12), strict=False):
            arrival = _after(self.today, -days_ago)
            if arrival.year == self.today.year:
                household.head.arrival = arrival
                household.head.no_placement_yet = True

    # outcomes -----------------------------------------------------------

    def plan_outcomes(self) -> None:
        self._plan_household_departures()
        self._plan_employment()
        for household in self.households:
            for person in household.members:
                if person.closed_on is None and (person.adult or person.unaccompanied):
                    self._plan_closing(person)
            for person in household.members:
                if person.guardian is not None and person.closed_on is None:
                    person.closed_on = person.guardian.closed_on
                    person.closing_reason = person.guardian.closing_reason

    def _plan_household_departures(self) -> None:
        """Repatriations and moves: whole households, before anyone found work."""
        rng = self.rng
        candidates = [h for h in self.households if h.head.arrival <= add_months(self.today, -24)]
        rng.shuffle(candidates)
        repatriated: list[HouseholdPlan] = []
        wanted = ["BA", "SY", "SO", "AF", "IQ", "SY"]
        for nationality in wanted:
            for household in candidates:
                if household.nationality == nationality and household not in repatriated:
                    repatriated.append(household)
                    break
        for household in repatriated:
            first = min(m.arrival for m in household.members)
            last = max(m.arrival for m in household.members)
            lo = max(add_months(last, 8), add_months(first, 12))
            hi = min(add_months(first, 34), _after(self.today, -14))
            if lo > hi:
                continue
            household.closed_on = _day_between(rng, lo, hi)
            household.closing_reason = ClosingReason.REPATRIATED
            household.destination = household.nationality
        movers = [h for h in candidates if not h.closing_reason]
        recent = [
            h
            for h in self.households
            if not h.closing_reason and h.head.arrival > add_months(self.today, -24)
        ]
        moving = rng.sample(movers, k=len(movers) // 10)
        moving += rng.sample(recent, k=len(recent) // 25)
        for household in moving:
            first = min(m.arrival for m in household.members)
            last = max(m.arrival for m in household.members)
            lo = add_months(last, 3)
            hi = min(add_months(first, 48), _after(self.today, -7))
            if lo > hi:
                continue
            household.closed_on = _day_between(rng, lo, hi)
            household.closing_reason = ClosingReason.MOVED_AWAY
        for household in self.households:
            if household.closing_reason:
                for member in household.members:
                    member.closed_on = household.closed_on
                    member.closing_reason = household.closing_reason
        guardians = {id(m.guardian) for h in self.households for m in h.members}
        older = [
            m
            for h in self.households
            for m in h.members
            if not m.closing_reason
            and m.age_at_arrival >= 50
            and m.arrival <= add_months(self.today, -12)
            and id(m) not in guardians
        ]
        if older:
            person = rng.choice(older)
            hi = min(add_months(person.arrival, 48), _after(self.today, -30))
            person.closed_on = _day_between(rng, add_months(person.arrival, 6), hi)
            person.closing_reason = ClosingReason.DECEASED

    def _employability(self, person: Person, household: HouseholdPlan) -> float:
        age = person.age_at_arrival
        weight = 1.0 if age < 45 else 0.5 if age < 55 else 0.05
        small_children = any(
            m.guardian is person and _age(m.birth, person.arrival) < 3 for m in household.members
        )
        return weight * (0.5 if small_children else 1.0)

    def _plan_employment(self) -> None:
        """Give each cohort of adult refugees the shares of table 2.1.

        The counts are exact per cohort (rounded half up); who gets them is
        a weighted draw, so that the young find work before the old.
        """
        rng = self.rng
        cohorts: dict[int, list[tuple[Person, HouseholdPlan]]] = {}
        for household in self.households:
            for person in household.members:
                if person.adult and person.basis == ResidenceBasis.REFUGEE:
                    cohorts.setdefault(person.arrival.year, []).append((person, household))
                elif person.adult:
                    self._plan_other_employment(person)
        for year, members in sorted(cohorts.items()):
            n = len(members)
            k6 = _count(SHARE_6_MONTHS.get(year, LATER_SHARE_6_MONTHS), n)
            k12 = _count(SHARE_12_MONTHS.get(year, LATER_SHARE_12_MONTHS), n)
            k_now = _count(_share_now(year, self.today), n)
            available = [(p, h) for p, h in members if not p.closing_reason]
            # Efraimidis-Spirakis: a weighted order without replacement.
            order = sorted(
                available,
                key=lambda ph: rng.random() ** (1 / self._employability(*ph)),
                reverse=True,
            )
            people = [p for p, _h in order]
            early, later = people[:k6], people[k6:]
            for person in early:
                six = add_months(person.arrival, 6)
                person.emp_start = _day_between(rng, _after(person.arrival, 60), six)
            if k12 >= k6:
                between, later = later[: k12 - k6], later[k12 - k6 :]
                for person in between:
                    person.emp_start = _day_between(
                        rng,
                        _after(add_months(person.arrival, 6), 1),
                        add_months(person.arrival, 12),
                    )
                at_twelve = early + between
            else:
                at_twelve = early[:k12]
                for person in early[k12:]:
                    person.job_loss = _day_between(
                        rng,
                        _after(add_months(person.arrival, 6), 1),
                        add_months(person.arrival, 12),
                    )
            if k_now >= len(at_twelve):
                late = later[: k_now - len(at_twelve)]
                for person in late:
                    lo = _after(add_months(person.arrival, 12), 1)
                    hi = min(self.today, add_months(person.arrival, 60))
                    if lo <= hi:
                        person.emp_start = _day_between(rng, lo, hi)
            else:
                for person in at_twelve[k_now:]:
                    lo = _after(add_months(person.arrival, 12), 1)
                    if lo <= self.today:
                        person.job_loss = _day_between(rng, lo, self.today)
            for person in people:
                if person.emp_start is not None:
                    person.emp_category = self._ordinary_category()

    def _plan_other_employment(self, person: Person) -> None:
        """Family reunified adults: fewer find work, and later."""
        if person.closing_reason or person.age_at_arrival >= 55:
            return
        if self.rng.random() < 0.4:
            person.emp_start = _after(
                add_months(person.arrival, self.rng.randint(8, 48)), self.rng.randint(0, 27)
            )
            person.emp_category = self._ordinary_category()
            if person.emp_start > self.today:
                person.emp_start = None

    def _ordinary_category(self) -> str:
        return _weighted(
            self.rng,
            {
                EmploymentCategory.ORDINARY_EMPLOYMENT: 72,
                EmploymentCategory.ORDINARY_EDUCATION: 10,
                EmploymentCategory.ADULT_APPRENTICE: 10,
                EmploymentCategory.ROTATION_SUBSTITUTE: 3,
                EmploymentCategory.SELF_SUPPORTING: 5,
            },
        )

    def _plan_closing(self, person: Person) -> None:
        """Pension, self-support or the end of the 3-5 year programme."""
        rng = self.rng
        programme_end = add_months(person.arrival, rng.randint(42, 60))
        pension_day = add_months(person.birth, 67 * 12)
        employed_for_good = person.emp_start is not None and person.job_loss is None
        self_supporting = None
        if employed_for_good and rng.random() < 0.45:
            self_supporting = _after(person.emp_start, rng.randint(180, 365))
        if pension_day <= min(programme_end, self.today) and not person.emp_start:
            person.closed_on, person.closing_reason = pension_day, ClosingReason.PENSION
        elif self_supporting and self_supporting <= min(programme_end, self.today):
            person.closed_on, person.closing_reason = (
                self_supporting,
                ClosingReason.SELF_SUPPORTING,
            )
        elif programme_end <= self.today:
            person.closed_on = programme_end
            person.closing_reason = ClosingReason.PROGRAMME_COMPLETED

    # ladder and employment -------------------------------------------

    def plan_trajectories(self) -> None:
        for household in self.households:
            for person in household.members:
                if person.adult:
                    self._plan_phases(person)
        self._refer_to_provider_workplace()

    def _first_placement_delay(self, person: Person) -> int:
        # Before the 2015 action plan, 96 hours was no target yet.
        breach_rate = 0.15 if person.arrival < dt.date(2015, 7, 1) else 0.06
        if self.rng.random() < breach_rate:
            return self.rng.randint(5, 21)
        return _weighted(self.rng, {0: 8, 1: 25, 2: 30, 3: 22, 4: 15})

    def _activation_step(self, months: float) -> int:
        if months < 6:
            weights = {6: 35, 5: 30, 4: 35}
        elif months < 18:
            weights = {6: 15, 5: 25, 4: 35, 3: 10, 2: 15}
        else:
            weights = {6: 15, 5: 20, 4: 25, 3: 15, 2: 25}
        return _weighted(self.rng, weights)

    def _plan_phases(self, person: Person) -> None:
        """Benefits, then ladder placements, then (for some) ordinary work.

        The employment spells run on after a programme that ended normally
        (the DREAM register keeps reporting); after a move, a repatriation,
        a death or a pension they stop on the closing day. Ladder placements
        stop when the case closes.
        """
        today = self.today
        continuing = person.closing_reason in (
            "",
            ClosingReason.PROGRAMME_COMPLETED,
            ClosingReason.SELF_SUPPORTING,
        )
        programme_last = min(person.closed_on or today, today)
        horizon = today if continuing else programme_last
        if not person.no_placement_yet:
            first = _after(person.arrival, self._first_placement_delay(person))
            if first <= programme_last:
                person.first_placement = first
        phases: list[Phase] = []
        day = person.arrival
        if person.first_placement != day:
            end = _after(person.first_placement, -1) if person.first_placement else None
            phases.append(Phase(day, end, EmploymentCategory.BENEFITS))
            day = person.first_placement or _after(horizon, 1)
        while day <= horizon:
            phase = self._next_phase(person, day, programme_last)
            phases.append(phase)
            if phase.end is None:
                break
            day = _after(phase.end, 1)
        person.phases = self._clip(phases, horizon, open_ended=continuing)

    def _next_phase(self, person: Person, day: dt.date, programme_last: dt.date) -> Phase:
        rng = self.rng
        in_programme = day <= programme_last
        employed = (
            person.emp_start is not None
            and person.emp_start <= day
            and (person.job_loss is None or day < person.job_loss)
        )
        if employed:
            end = _after(person.job_loss, -1) if person.job_loss else None
            category = person.emp_category
            if not in_programme or category == EmploymentCategory.SELF_SUPPORTING:
                return Phase(day, end, category)
            if person.closed_on is not None and (end is None or end > person.closed_on):
                end = person.closed_on
            provider = ""
            if category != EmploymentCategory.ORDINARY_EDUCATION:
                private = rng.random() < 0.7
                provider = rng.choice(PRIVATE_WORKPLACES if private else PUBLIC_WORKPLACES)
            return Phase(day, end, category, LadderStep.ORDINARY, provider)
        next_job = person.emp_start if person.emp_start and person.emp_start > day else None
        if not in_programme:
            end = _after(next_job, -1) if next_job else None
            return Phase(day, end, EmploymentCategory.BENEFITS)
        step = self._activation_step((day - person.arrival).days / 30.4)
        if step == LadderStep.OTHER:
            length, category = rng.randint(60, 180), EmploymentCategory.BENEFITS
            provider = MUNICIPAL_TEAM
        elif step in (LadderStep.INTERNSHIP_PRIVATE, LadderStep.INTERNSHIP_PUBLIC):
            length, category = rng.randint(30, 120), EmploymentCategory.INTERNSHIP
            private = step == LadderStep.INTERNSHIP_PRIVATE
            provider = rng.choice(PRIVATE_WORKPLACES if private else PUBLIC_WORKPLACES)
        else:
            length, category = rng.randint(120, 365), EmploymentCategory.WAGE_SUBSIDY
            private = step == LadderStep.WAGE_SUBSIDY_PRIVATE
            provider = rng.choice(PRIVATE_WORKPLACES if private else PUBLIC_WORKPLACES)
        end = _after(day, length - 1)
        if next_job is not None:
            end = min(end, _after(next_job, -1))
        if person.closed_on is not None and person.closed_on < end:
            end = person.closed_on
        return Phase(day, end, category, step, provider)

    def _clip(self, phases: list[Phase], horizon: dt.date, *, open_ended: bool) -> list[Phase]:
        """Nothing after the horizon. What runs on past today stays open, except
        a planned end of most internships and wage subsidies."""
        clipped = []
        for phase in phases:
            if phase.start > horizon:
                break
            if phase.end is None or phase.end > horizon:
                if not open_ended:
                    phase.end = horizon
                elif phase.step in PLANNED_STEPS and phase.end and self.rng.random() < 0.7:
                    pass
                else:
                    phase.end = None
            clipped.append(phase)
        return clipped

    def _refer_to_provider_workplace(self) -> None:
        """The demo provider user must have people placed with it today."""
        today = self.today
        current = [
            phase
            for h in self.households
            for p in h.members
            if p.closed_on is None
            for phase in p.phases
            if phase.step is not None and phase.active_on(today)
        ]
        self.rng.shuffle(current)
        moves = {
            LadderStep.ORDINARY: LadderStep.ORDINARY,
            LadderStep.WAGE_SUBSIDY_PRIVATE: LadderStep.WAGE_SUBSIDY_PRIVATE,
            LadderStep.INTERNSHIP_PRIVATE: LadderStep.INTERNSHIP_PRIVATE,
            LadderStep.WAGE_SUBSIDY_PUBLIC: LadderStep.WAGE_SUBSIDY_PRIVATE,
            LadderStep.INTERNSHIP_PUBLIC: LadderStep.INTERNSHIP_PRIVATE,
            LadderStep.OTHER: LadderStep.INTERNSHIP_PRIVATE,
        }
        wanted = 6
        # Private placements first, then public ones, then the activity team.
        current.sort(
            key=lambda ph: (ph.provider not in PRIVATE_WORKPLACES, ph.step == LadderStep.OTHER)
        )
        for phase in current:
            if sum(ph.provider == PROVIDER_WORKPLACE for ph in current) >= wanted:
                break
            if phase.provider == PROVIDER_WORKPLACE or (
                phase.step == LadderStep.ORDINARY and not phase.provider
            ):
                continue
            phase.step = moves[phase.step]
            phase.provider = PROVIDER_WORKPLACE
            if phase.category == EmploymentCategory.BENEFITS:
                phase.category = EmploymentCategory.INTERNSHIP

    # the other facts ---------------------------------------------------------

    def plan_facts(self) -> None:
        for household in self.households:
            self._plan_housing(household)
            screening = None
            if self.rng.random() < 0.75:
                screening = (
                    _after(household.head.arrival, -self.rng.randint(5, 45)),
                    self.rng.choice(ASYLUM_CENTRES),
                )
            for person in household.members:
                if person.guardian is not None:
                    continue
                last = min(person.closed_on or self.today, self.today)
                if person.basis == ResidenceBasis.REFUGEE and screening:
                    person.screening = screening
                self._plan_contract(person, last)
                self._plan_health(person, last)
                self._plan_follow_ups(person, last)
                self._plan_courses(person, household.school, last)
            for person in household.members:
                guardian = person.guardian
                if guardian is None:
                    continue
                last = min(person.closed_on or self.today, self.today)
                if guardian.health:
                    offered, response, done = guardian.health
                    person.health = (offered, response, done)
                else:
                    self._plan_health(person, last)
                person.follow_ups = [f for f in guardian.follow_ups if f[0] <= last]

    def _plan_housing(self, household: HouseholdPlan) -> None:
        rng = self.rng
        near_job = rng.random() < 0.1
        for person in household.members:
            left_home = person.closing_reason in LEFT_HOME
            end_all = person.closed_on if left_home else None
            own_from = person.arrival
            if person.basis == ResidenceBasis.REFUGEE and rng.random() < 0.6:
                own_from = add_months(person.arrival, rng.randint(3, 15))
                temp_end = _after(own_from, -1)
                if end_all and end_all < temp_end:
                    temp_end = end_all
                if temp_end >= self.today:
                    temp_end = None
                person.housing.append(
                    (HousingKind.TEMPORARY, household.locality, False, person.arrival, temp_end)
                )
            if own_from <= min(self.today, end_all or self.today):
                person.housing.append(
                    (HousingKind.OWN_LEASE, household.locality, near_job, own_from, end_all)
                )

    def _plan_contract(self, person: Person, last: dt.date) -> None:
        rng = self.rng
        signed = _after(person.arrival, rng.randint(5, 30))
        if signed > last:
            return
        person.contract_on = signed
        offered = _after(signed, rng.randint(0, 14))
        if offered > last:
            return
        events = [(PlanStatus.OFFERED, offered)]
        answer = _weighted(rng, {PlanStatus.ACCEPTED: 60, PlanStatus.DECLINED: 30, "": 10})
        if answer:
            events.append((answer, _after(offered, rng.randint(0, 21))))
        if answer == PlanStatus.DECLINED and rng.random() < 0.25:
            events.append((PlanStatus.REQUESTED, add_months(offered, rng.randint(3, 18))))
        person.plan_events = [(s, d) for s, d in events if d <= last]

    def _plan_health(self, person: Person, last: dt.date) -> None:
        rng = self.rng
        timing = _weighted(rng, {"on_time": 88, "late": 6, "missing": 6})
        if timing == "missing":
            return
        days = rng.randint(7, 85) if timing == "on_time" else rng.randint(95, 160)
        offered = _after(person.arrival, days)
        if offered > last:
            return
        recent = offered > _after(self.today, -60)
        response = _weighted(
            rng,
            {
                HealthResponse.ACCEPTED: 70 if recent else 82,
                HealthResponse.DECLINED: 15,
                HealthResponse.PENDING: 15 if recent else 3,
            },
        )
        done = None
        if response == HealthResponse.ACCEPTED:
            done = _after(offered, rng.randint(10, 60))
            if done > last:
                done = None
        person.health = (offered, response, done)

    def _plan_follow_ups(self, person: Person, last: dt.date) -> None:
        rng = self.rng
        # Some open cases have fallen behind: their last follow-up was long ago.
        if person.closed_on is None and rng.random() < 0.1:
            last = min(last, _after(self.today, -rng.randint(100, 150)))
        held = _after(person.arrival, rng.randint(60, 92))
        while held <= last:
            person.follow_ups.append((held, rng.random() < 0.92))
            late = rng.random() < 0.06
            held = _after(held, rng.randint(95, 140) if late else rng.randint(75, 92))

    def _plan_courses(self, person: Person, school: str, last: dt.date) -> None:
        """Danish modules of 4-7 months, for up to five years or until the last module."""
        if not (person.adult or person.unaccompanied):
            return
        rng = self.rng
        track = _weighted(rng, {"DU1": 15, "DU2": 65, "DU3": 20})
        modules = 6 if rng.random() > 0.12 else rng.randint(1, 3)
        stop = min(last, add_months(person.arrival, 60))
        base_absence = rng.choice([2, 4, 6, 8, 10, 12, 15, 20, 28, 40])
        start = _after(person.arrival, rng.randint(10, 40))
        for module in range(1, modules + 1):
            if start > stop:
                break
            end: dt.date | None = _after(start, rng.randint(120, 210) - 1)
            if person.closed_on is not None and end > person.closed_on:
                end = person.closed_on
            hours = self._course_hours(person, start)
            course = CoursePlan(start, end, school, f"{track} modul {module}", hours)
            if person.closed_on is None and end >= self.today:
                course.end = end if rng.random() < 0.5 else None
            self._plan_absence(course, base_absence)
            person.courses.append(course)
            if end >= stop:
                break
            start = _after(end, rng.randint(1, 20))

    def _course_hours(self, person: Person, day: dt.date) -> int:
        for phase in person.phases:
            if phase.active_on(day):
                if phase.category in (
                    EmploymentCategory.BENEFITS,
                    EmploymentCategory.INTERNSHIP,
                ):
                    return 18
                if phase.category == EmploymentCategory.WAGE_SUBSIDY:
                    return 9
                return 6
        return 18

    def _plan_absence(self, course: CoursePlan, base: float) -> None:
        """Monthly absence for every month of the last two years, some before."""
        this_month = self.today.replace(day=1)
        recent_from = add_months(this_month, -24)
        month = course.start.replace(day=1)
        end = min(course.end or self.today, self.today)
        while month <= end and month < this_month:
            if month >= recent_from or self.rng.random() < 0.25:
                value = max(0.0, min(100.0, base + self.rng.gauss(0, 5)))
                course.absences.append((month, Decimal(f"{value:.1f}")))
            month = add_months(month, 1)

    def plan(self) -> list[HouseholdPlan]:
        self.plan_households()
        self.plan_outcomes()
        self.plan_trajectories()
        self.plan_facts()
        return self.households


# --- writing it ---------------------------------------------------------------


def is_seeded() -> bool:
    return User.objects.filter(username__in=[u.username for u in DEMO_USERS]).exists()


def demo_users() -> list[User]:
    """The demo users that exist, in the order of DEMO_USERS."""
    by_name = {
        u.username: u
        for u in User.objects.filter(
            username__in=[d.username for d in DEMO_USERS]
        ).prefetch_related("groups")
    }
    return [by_name[d.username] for d in DEMO_USERS if d.username in by_name]


@transaction.atomic
def reset_passwords(password: str) -> list[User]:
    users = demo_users()
    for user in users:
        user.set_password(password)
        user.save(update_fields=["password"])
    return users


def _role_group(role: str) -> Group:
    group = Group.objects.filter(name=role).first()
    if group is None:
        # The post_migrate hook has not run in this database yet.
        from accounts.roles import sync_role_groups

        sync_role_groups()
        group = Group.objects.get(name=role)
    return group


def _create_organisations() -> tuple[dict[str, Team], dict[str, ProviderOrganisation]]:
    teams = {}
    for name in TEAMS:
        team = Team.objects.filter(name=name).first() or Team(name=name)
        if team.pk is None:
            team.full_clean()
            team.save()
        teams[name] = team
    providers = {}
    for spec in PROVIDERS:
        org = ProviderOrganisation.objects.filter(name=spec.name).first()
        if org is None:
            org = services.provider_organisation_save(
                actor=None,
                organisation=ProviderOrganisation(
                    name=spec.name, kind=spec.kind, address=spec.address, contact_email=spec.email
                ),
            )
        providers[spec.name] = org
    return teams, providers


def _create_users(
    password: str, teams: dict[str, Team], providers: dict[str, ProviderOrganisation]
) -> dict[str, User]:
    users = {}
    for spec in DEMO_USERS:
        user = User(
            username=spec.username,
            first_name=spec.first_name,
            last_name=spec.last_name,
            email=f"{spec.username}@kommune.example",
            team=teams.get(spec.team),
            provider_organisation=providers.get(spec.provider),
            is_staff=spec.role == Role.ADMINISTRATOR,
            is_superuser=False,
        )
        user.set_password(password)
        user.full_clean()
        user.save()
        user.groups.add(_role_group(spec.role))
        users[spec.username] = user
    return users


class _FactBatch:
    """Facts collected per model, validated, and then written in bulk."""

    def __init__(self):
        self.rows: dict[type[CaseFact], list[CaseFact]] = {}
        self.written: Counter[str] = Counter()

    def add(self, case: Case, fact: CaseFact) -> CaseFact:
        fact.case = case
        self.rows.setdefault(type(fact), []).append(fact)
        return fact

    def write(self, models: Sequence[type[CaseFact]]) -> None:
        for model in models:
            rows = self.rows.pop(model, [])
            for fact in rows:
                # The uuid is fresh, and the case, provider and course were made
                # in this transaction: skip the queries that look them up.
                fact.full_clean(exclude=["case", "uuid", "provider", "course"])
            bulk_create_with_history(rows, model, batch_size=500)
            self.written[model.__name__] += len(rows)


def _close(case: Case, *, on: dt.date, reason: str) -> None:
    """services.case_transition without its access-log row, which seeding must not write."""
    case.status = CaseStatus.CLOSED
    case.closing_reason = reason
    case.closed_on = on
    case.version += 1
    case.full_clean(exclude=["citizen", "uuid"])
    case._history_user = None
    case.save(update_fields=["status", "closing_reason", "closed_on", "version"])
    CaseStatusChange.objects.create(
        case=case,
        from_status=CaseStatus.OPEN,
        to_status=CaseStatus.CLOSED,
        reason=reason,
        changed_on=on,
        changed_by=None,
    )


def _merge_spells(phases: list[Phase], today: dt.date) -> list[Phase]:
    """Employment spells: consecutive phases of one category are one spell, and
    the register knows no planned end."""
    spells: list[Phase] = []
    for phase in phases:
        end = phase.end if phase.end is None or phase.end <= today else None
        if spells and spells[-1].category == phase.category and spells[-1].end is not None:
            spells[-1] = Phase(spells[-1].start, end, phase.category)
        else:
            spells.append(Phase(phase.start, end, phase.category))
    return spells


def _add_facts(
    batch: _FactBatch,
    person: Person,
    case: Case,
    providers: dict[str, ProviderOrganisation],
    today: dt.date,
) -> list[tuple[DanishCourse, CoursePlan]]:
    """Queue the person's facts; return the courses, whose absence comes later."""
    if person.screening:
        visit_date, location = person.screening
        batch.add(case, ScreeningVisit(visit_date=visit_date, location=location))
    for kind, locality, near_job, start, end in person.housing:
        batch.add(
            case,
            HousingPlacement(
                kind=kind,
                locality=locality,
                near_known_job=near_job,
                start_date=start,
                end_date=end,
            ),
        )
    for phase in person.phases:
        if phase.step is not None:
            batch.add(
                case,
                LadderPlacement(
                    step=phase.step,
                    provider=providers.get(phase.provider),
                    start_date=phase.start,
                    end_date=phase.end,
                ),
            )
    for spell in _merge_spells(person.phases, today):
        batch.add(
            case,
            EmploymentSpell(
                category=spell.category,
                start_date=spell.start,
                end_date=spell.end,
                source=EmploymentSource.DREAM,
            ),
        )
    courses = []
    for plan in person.courses:
        course = DanishCourse(
            provider=providers[plan.school],
            module=plan.module,
            hours_per_week=plan.hours,
            start_date=plan.start,
            end_date=plan.end,
        )
        batch.add(case, course)
        courses.append((course, plan))
    if person.contract_on:
        batch.add(case, IntegrationContract(signed_on=person.contract_on))
    for status, day in person.plan_events:
        batch.add(case, IntegrationPlan(status=status, event_date=day))
    if person.health:
        offered, response, done = person.health
        batch.add(case, HealthAssessment(offered_on=offered, response=response, done_on=done))
    for held, guidance in person.follow_ups:
        batch.add(case, FollowUp(held_on=held, repatriation_guidance_given=guidance))
    return courses


def _repatriation(plan: HouseholdPlan) -> Repatriation:
    left_on = plan.closed_on
    ages = [_age(m.birth, left_on) for m in plan.members]
    return Repatriation(
        left_on=left_on,
        destination_country=plan.destination,
        adults=sum(1 for a in ages if a >= 18),
        children=sum(1 for a in ages if a < 18),
    )


@dataclass
class SeedResult:
    users: list[User]
    counts: dict[str, int]


@transaction.atomic
def seed(*, password: str, seed: int = DEFAULT_SEED, today: dt.date | None = None) -> SeedResult:
    """Create the demo municipality; the caller checks ``is_seeded()`` first."""
    today = today or timezone.localdate()
    teams, providers = _create_organisations()
    users = _create_users(password, teams, providers)
    taken = Citizen.objects.values_list("cpr", flat=True)
    households = Planner(seed=seed, today=today, taken_cprs=taken).plan()

    batch = _FactBatch()
    courses: list[tuple[DanishCourse, CoursePlan]] = []
    cases: list[tuple[Case, Person]] = []
    taken_refs = set(Household.objects.values_list("reference", flat=True))
    for plan in households:
        reference = plan.reference if plan.reference not in taken_refs else f"{plan.reference}-D"
        household = Household(reference=reference)
        household.full_clean()
        household.save()
        for person in plan.members:
            case = services.case_create(
                actor=None,
                team=teams[plan.team],
                caseworker=users[plan.caseworker],
                cpr=person.cpr,
                first_name=person.first_name,
                last_name=person.last_name,
                nationality=person.nationality,
                residence_basis=person.basis,
                arrival_date=person.arrival,
                languages=person.languages,
                household=household,
                unaccompanied_minor=person.unaccompanied,
            )
            cases.append((case, person))
            courses += _add_facts(batch, person, case, providers, today)
            if person is plan.head and plan.closing_reason == ClosingReason.REPATRIATED:
                # One row for the household, on the case of the first to arrive.
                batch.add(case, _repatriation(plan))

    batch.write(
        [
            ScreeningVisit,
            HousingPlacement,
            LadderPlacement,
            EmploymentSpell,
            DanishCourse,
            IntegrationContract,
            IntegrationPlan,
            HealthAssessment,
            FollowUp,
            Repatriation,
        ]
    )
    for course, plan in courses:
        for month, percent in plan.absences:
            absence = DanishAbsence(course=course, month=month, absence_percent=percent)
            batch.add(course.case, absence)
    batch.write([DanishAbsence])

    for case, person in cases:
        if person.closed_on is not None:
            _close(case, on=person.closed_on, reason=person.closing_reason)
        services.case_refresh_deadlines(case=case, today=today)

    closed = sum(1 for _c, p in cases if p.closed_on is not None)
    progression_counts = progression_demo.seed_rounds(
        cases=[case for case, _person in cases], seed=seed, today=today
    )
    from evaluation import demo as evaluation_demo

    report_counts = evaluation_demo.seed_report_inputs(today=today)
    counts = {
        "households": len(households),
        "citizens": len(cases),
        "open cases": len(cases) - closed,
        "closed cases": closed,
        "ladder placements": batch.written["LadderPlacement"],
        "employment spells": batch.written["EmploymentSpell"],
        "Danish courses": batch.written["DanishCourse"],
        "monthly absence rows": batch.written["DanishAbsence"],
        "health assessments": batch.written["HealthAssessment"],
        "follow-ups": batch.written["FollowUp"],
        "repatriations": batch.written["Repatriation"],
        **progression_counts,
        **report_counts,
    }
    return SeedResult(users=[users[u.username] for u in DEMO_USERS], counts=counts)
