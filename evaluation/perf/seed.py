"""Synthetic municipalities for the benchmark: S, M and L citizens on PostgreSQL.

Each citizen arrived within the last ten years and has the case a Danish
integration team keeps: household, screening visit, housing, the employment
priority ladder, Danish courses with monthly absence, contract and plan,
health assessment, 3-monthly follow-ups, DREAM employment spells, and (as an
adult) a progression round every 50-80 days for as long as the case is open.
A programme lasts five years, so a citizen who finished it has about 20
to 25 rounds; about half the cases are open. Open cases are spread over teams of
about eight caseworkers with about 80 open cases each, so a larger size has
more teams and caseworkers, not longer caseloads; providers grow with the
size too (a language school has about a hundred students at every size).

Scores follow ``progression.demo``: one level per person that rises with the
years in Denmark, item 7 highest and item 1 lowest, the citizens a little
above their caseworkers; dialogue topics wherever raters differ by
``PROGRESSION_DIVERGENCE``. Every CPR number is a replacement number.

Planned with ``random.Random(seed)`` (the same seed gives the same data on the
same date) and written with PostgreSQL's COPY, ids assigned here; derived
columns are filled as the services fill them (deadlines through
``integration.deadlines``, horizons, measurement index). History tables are
left empty (only the case history page reads them) and so is the access log
but for one "case created" row per citizen. Foreign keys are correct by
construction; as a superuser the load skips their triggers
(``session_replication_role``) and the tests check them afterwards.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone

from accounts.roles import Role
from common import cpr, data_version
from common.bulk import copy_text
from common.dates import add_months
from integration import deadlines
from integration.demo import ASYLUM_CENTRES, COUNTRIES, NAMES
from integration.models import (
    AccessLog,
    Case,
    CaseStatusChange,
    Citizen,
    DanishAbsence,
    DanishCourse,
    EmploymentSpell,
    FollowUp,
    HealthAssessment,
    Household,
    HousingPlacement,
    IntegrationContract,
    IntegrationPlan,
    LadderPlacement,
    ProviderKind,
    ProviderOrganisation,
    Repatriation,
    ScreeningVisit,
    Team,
    User,
)
from progression.demo import AGREEMENTS, GENERAL_AGREEMENTS, ITEM_OFFSET, LINK_LANGUAGES
from progression.models import CitizenLink, DialogueTopic, Measurement, Round
from progression.services import questionnaire_current

SIZES = {"S": 1_000, "M": 10_000, "L": 100_000}
DEFAULT_SEED = 5

YEARS_BACK = 10
PROGRAMME_YEARS = 5
MEASURED_FROM = dt.date(2017, 1, 1)
LINKS_FROM = dt.date(2020, 1, 1)
OPEN_CASES_PER_CASEWORKER = 80
CASEWORKERS_PER_TEAM = 8
TEAMS_PER_MANAGER = 10
# One organisation per so many citizens, so that a provider's referral list
# is about as long at every size (at most about a hundred active referrals).
CITIZENS_PER_WORKPLACE = 60
CITIZENS_PER_LANGUAGE_SCHOOL = 500
CITIZENS_PER_MUNICIPAL_TEAM = 1000
# Rows buffered before they go to the database in one COPY per table.
FLUSH_LINES = 200_000

DISTRICTS = ["Nord", "Syd", "Øst", "Vest", "Midt", "By", "Land", "Ung"]
TOWNS = (
    "Hedensted Løsning Tørring Uldum Juelsminde Hornsyld Stouby Horsens Vejle Odder "
    "Brædstrup Give Jelling Egtved Børkop Fredericia Kolding Skanderborg Ry Silkeborg"
).split()
TRADES = (
    "Tømrer Gartneri Plast Fiskeindustri Rengøring Byggemarked Lager Køkken Auto Metal "
    "Transport Bageri Slagteri Møbel Landbrug Maskin"
).split()
PUBLIC_PLACES = "Plejecenter Børnehus Vej og Park Genbrugsplads Skole Rådhus Bibliotek".split(" ")
STAFF_FIRST = (
    "Mette Lars Sofie Anders Camilla Jesper Hanne Rasmus Birgitte Louise Mads Trine".split()
)
STAFF_LAST = "Kjær Thomsen Bundgaard Poulsen Mortensen Bach Østergaard Lund Holm Nielsen".split()
JOB_CATEGORIES = {
    "ordinary_employment": 70,
    "ordinary_education": 15,
    "adult_apprentice": 7,
    "rotation_substitute": 3,
    "self_supporting": 5,
}
STEP_CATEGORY = {2: "wage_subsidy", 3: "wage_subsidy", 4: "internship", 5: "internship"}
STEP_WEIGHTS = {6: 30, 4: 22, 5: 18, 2: 15, 3: 15}
D = dt.timedelta


def _weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _day(rng: random.Random, lo: dt.date, hi: dt.date) -> dt.date:
    return lo + D(days=rng.randint(0, max(0, (hi - lo).days)))


def _age(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _score(value: float) -> int:
    return 1 if value < 1.5 else 5 if value >= 4.5 else int(value + 0.5)


# --- the plan -----------------------------------------------------------------


@dataclass(eq=False)
class _Person:
    first_name: str
    last_name: str
    female: bool
    birth: dt.date
    arrival: dt.date
    basis: str
    nationality: str
    languages: str
    cpr: str
    unaccompanied: bool = False
    guardian: _Person | None = None
    closed_on: dt.date | None = None
    closing_reason: str = ""
    job_start: dt.date | None = None
    job_end: dt.date | None = None
    job_category: str = ""

    @property
    def adult(self) -> bool:
        return _age(self.birth, self.arrival) >= 18


@dataclass(eq=False)
class _Household:
    reference: str
    nationality: str
    school: int  # index into the language schools
    town: str
    members: list[_Person] = field(default_factory=list)
    team: int = 0
    caseworker: int = 0  # index into the team's caseworkers
    destination: str = ""


class _Planner:
    """People, households and how each case ends; no database."""

    def __init__(self, rng: random.Random, today: dt.date, citizens: int, schools: int):
        self.rng = rng
        self.today = today
        self.target = citizens
        self.schools = schools
        self.used: set[str] = set()
        self.households: list[_Household] = []
        self.count = 0

    def cpr_for(self, birth: dt.date, female: bool) -> str:
        rng = self.rng
        digits = "0123" if birth.year < 2000 else "456789"
        stem = (
            f"{birth.day + cpr.REPLACEMENT_DAY_OFFSET:02d}{birth.month:02d}{birth.year % 100:02d}"
        )
        while True:
            last = rng.choice("02468" if female else "13579")
            number = f"{stem}{rng.choice(digits)}{rng.randint(0, 99):02d}{last}"
            if number not in self.used:
                self.used.add(number)
                return number

    def person(
        self,
        nationality: str,
        *,
        female: bool,
        age: int,
        arrival: dt.date,
        basis: str,
        last_name: str | None = None,
    ) -> _Person:
        rng = self.rng
        style, _patronymic, languages = COUNTRIES[nationality]
        male_names, female_names, family_names = NAMES[style]
        hi = add_months(arrival, -12 * age)
        lo = add_months(arrival, -12 * (age + 1)) + D(days=1)
        birth = _day(rng, lo, hi)
        langs = rng.choice(languages) if age >= 3 else ""
        self.count += 1
        return _Person(
            first_name=rng.choice(female_names if female else male_names),
            last_name=last_name or rng.choice(family_names),
            female=female,
            birth=birth,
            arrival=arrival,
            basis=basis,
            nationality=nationality,
            languages=langs,
            cpr=self.cpr_for(birth, female),
        )

    def arrival(self) -> dt.date:
        return _day(self.rng, add_months(self.today, -12 * YEARS_BACK), self.today - D(days=1))

    def plan(self) -> list[_Household]:
        while self.count < self.target:
            self.household()
        # The last household may overshoot: its youngest members stay behind.
        last = self.households[-1]
        del last.members[len(last.members) - (self.count - self.target) :]
        self.count = self.target
        self.departures()
        for household in self.households:
            for person in household.members:
                if person.adult:
                    self.employment(person, household)
            for person in household.members:
                self.closing(person)
        return self.households

    def household(self) -> None:
        rng = self.rng
        arrival = self.arrival()
        year = arrival.year
        weights = (
            {"SY": 30, "ER": 25, "AF": 15, "IR": 10, "IQ": 10, "SO": 10}
            if year < 2022
            else {"UA": 45, "AF": 20, "SY": 15, "ER": 10, "IR": 5, "SO": 5}
        )
        nationality = _weighted(rng, weights)
        kind = _weighted(
            rng,
            {
                "single": 45,
                "couple": 8,
                "couple_kids": 22,
                "parent_kids": 13,
                "older": 6,
                "minor": 2,
            },
        )
        household = _Household(
            reference=f"B{year}-{len(self.households) + 1:06d}",
            nationality=nationality,
            school=rng.randrange(self.schools),
            town=rng.choice(TOWNS),
        )
        refugee = "refugee"
        patronymic = COUNTRIES[nationality][1]

        def children(
            mother_age: int,
            father: _Person | None,
            guardian: _Person,
            n: int,
            day: dt.date,
            basis: str,
        ) -> None:
            for _ in range(n):
                age = rng.randint(0, min(17, max(0, mother_age - 19)))
                last = father.first_name if patronymic and father else guardian.last_name
                child = self.person(
                    nationality,
                    female=rng.random() < 0.5,
                    age=age,
                    arrival=day,
                    basis=basis,
                    last_name=last,
                )
                child.guardian = guardian
                household.members.append(child)

        if kind == "minor":
            minor = self.person(
                nationality,
                female=rng.random() < 0.2,
                age=rng.randint(15, 17),
                arrival=arrival,
                basis=refugee,
            )
            minor.unaccompanied = True
            household.members.append(minor)
        elif kind in ("single", "older"):
            age = rng.randint(55, 66) if kind == "older" else rng.randint(18, 44)
            female = rng.random() < (0.55 if nationality == "UA" else 0.3)
            head = self.person(nationality, female=female, age=age, arrival=arrival, basis=refugee)
            household.members.append(head)
            if kind == "single" and not female and age >= 22 and rng.random() < 0.35:
                # The wife and children follow the refugee 6-18 months later.
                later = add_months(arrival, rng.randint(6, 18)) + D(days=rng.randint(0, 27))
                if later < self.today:
                    wife_age = max(19, age - rng.randint(0, 6))
                    wife = self.person(
                        nationality,
                        female=True,
                        age=wife_age,
                        arrival=later,
                        basis="family_reunified",
                        last_name=None if patronymic else head.last_name,
                    )
                    household.members.append(wife)
                    children(
                        wife_age, head, wife, rng.choice([0, 1, 1, 2, 3]), later, "family_reunified"
                    )
        elif kind == "parent_kids":
            age = rng.randint(22, 45)
            female = rng.random() < 0.85
            head = self.person(nationality, female=female, age=age, arrival=arrival, basis=refugee)
            household.members.append(head)
            children(age, None if female else head, head, rng.randint(1, 3), arrival, refugee)
        else:
            age = rng.randint(22, 45)
            father = self.person(nationality, female=False, age=age, arrival=arrival, basis=refugee)
            mother_age = max(19, age - rng.randint(0, 6))
            mother = self.person(
                nationality,
                female=True,
                age=mother_age,
                arrival=arrival,
                basis=refugee,
                last_name=None if patronymic else father.last_name,
            )
            household.members += [father, mother]
            if kind == "couple_kids":
                children(mother_age, father, mother, rng.choice([1, 1, 2, 2, 3]), arrival, refugee)
        self.households.append(household)

    def departures(self) -> None:
        """Whole households that moved away or went home."""
        rng = self.rng
        for household in self.households:
            first = min(m.arrival for m in household.members)
            last = max(m.arrival for m in household.members)
            draw = rng.random()
            if draw < 0.008:
                lo, hi = max(add_months(last, 8), add_months(first, 12)), add_months(first, 34)
                reason = "repatriated"
                household.destination = household.nationality
            elif draw < 0.078:
                lo, hi = add_months(last, 3), add_months(first, 48)
                reason = "moved_away"
            else:
                continue
            hi = min(hi, self.today - D(days=7))
            if lo > hi:
                household.destination = ""
                continue
            day = _day(rng, lo, hi)
            for member in household.members:
                member.closed_on, member.closing_reason = day, reason

    def employment(self, person: _Person, household: _Household) -> None:
        rng = self.rng
        age = _age(person.birth, person.arrival)
        chance = 0.72 if age < 45 else 0.45 if age < 55 else 0.15 if age < 60 else 0.03
        small = any(
            m.guardian is person and _age(m.birth, person.arrival) < 3 for m in household.members
        )
        if small:
            chance *= 0.6
        if rng.random() >= chance:
            return
        if rng.random() < 0.07:
            delay = rng.randint(60, 180)
        else:
            delay = int(math.exp(rng.gauss(math.log(26 * 30.4), 0.6)))
        start = person.arrival + D(days=delay)
        stop = person.closed_on or self.today
        if start > stop:
            return
        person.job_start = start
        person.job_category = _weighted(rng, JOB_CATEGORIES)
        if rng.random() < 0.22:
            person.job_end = start + D(days=rng.randint(90, 720))

    def closing(self, person: _Person) -> None:
        """The programme ends after five years; a few close early."""
        if person.closed_on is not None:
            return
        rng = self.rng
        if person.guardian is not None:
            end = add_months(person.arrival, 12 * PROGRAMME_YEARS) + D(days=rng.randint(0, 60))
            if end < self.today:
                person.closed_on, person.closing_reason = end, "programme_completed"
            return
        working = person.job_start is not None and person.job_end is None
        if working and rng.random() < 0.3:
            day = add_months(person.job_start, rng.randint(12, 30))
            if day < self.today:
                person.closed_on, person.closing_reason = day, "self_supporting"
                return
        if person.adult and rng.random() < 0.0015:
            day = _day(rng, add_months(person.arrival, 6), add_months(person.arrival, 48))
            if day < self.today:
                person.closed_on, person.closing_reason = day, "deceased"
                return
        end = add_months(person.arrival, 12 * PROGRAMME_YEARS) + D(days=rng.randint(0, 60))
        if end < self.today:
            employed = person.job_start is not None and (
                person.job_end is None or person.job_end >= end
            )
            age = _age(person.birth, end)
            reason = "self_supporting" if employed else "pension" if age >= 67 else ""
            person.closed_on, person.closing_reason = end, reason or "programme_completed"


# --- writing with COPY ------------------------------------------------------------


class _Copy:
    """Rows of one table, sent with COPY when the seed flushes."""

    def __init__(self, model, fields: str):
        meta = model._meta
        fields = fields.split()
        self.model = model
        self.fields = fields
        self.table = meta.db_table
        self.columns = ", ".join(
            connection.ops.quote_name(meta.get_field(f).column) for f in fields
        )
        self.lines: list[str] = []
        self.written = 0

    def row(self, *values) -> None:
        self.lines.append("\t".join([copy_text(v) for v in values]) + "\n")

    def flush(self, cursor) -> None:
        if not self.lines:
            return
        data = io.StringIO("".join(self.lines))
        cursor.copy_expert(f"COPY {self.table} ({self.columns}) FROM STDIN", data)
        self.written += len(self.lines)
        self.lines = []


FACT = "id uuid case version created_by created_at "


class _Tables:
    """Every table the seed writes with COPY, in an order where parents come first."""

    def __init__(self):
        self.households = _Copy(Household, "id uuid reference")
        self.citizens = _Copy(
            Citizen,
            "id uuid cpr first_name last_name birth_date sex nationality languages household "
            "unaccompanied_minor residence_basis arrival_date adult_at_arrival horizon_3m "
            "horizon_6m horizon_12m",
        )
        self.cases = _Copy(
            Case,
            "id uuid citizen team caseworker status closing_reason closed_on version "
            "first_placement_on next_deadline next_deadline_kind open_topics created_at",
        )
        self.status_changes = _Copy(
            CaseStatusChange,
            "case from_status to_status reason note changed_on changed_by changed_at",
        )
        self.access_log = _Copy(
            AccessLog,
            "at user username action citizen search_term what path",
        )
        self.screening = _Copy(ScreeningVisit, FACT + "visit_date location note")
        self.housing = _Copy(
            HousingPlacement,
            FACT + "start_date end_date kind locality near_known_job",
        )
        self.ladder = _Copy(LadderPlacement, FACT + "start_date end_date step provider")
        self.employment = _Copy(EmploymentSpell, FACT + "start_date end_date category source")
        self.courses = _Copy(
            DanishCourse, FACT + "start_date end_date provider module hours_per_week"
        )
        self.absence = _Copy(DanishAbsence, FACT + "course month absence_percent")
        self.contracts = _Copy(IntegrationContract, FACT + "signed_on")
        self.plans = _Copy(IntegrationPlan, FACT + "status event_date")
        self.health = _Copy(HealthAssessment, FACT + "offered_on response done_on")
        self.follow_ups = _Copy(FollowUp, FACT + "held_on repatriation_guidance_given note")
        self.repatriations = _Copy(
            Repatriation, FACT + "left_on destination_country adults children"
        )
        self.rounds = _Copy(
            Round,
            "id uuid case measured_on questionnaire complete version created_by created_at",
        )
        self.measurements = _Copy(
            Measurement,
            "id round rater measured_on questionnaire provider entered_by via_link "
            + " ".join(f"item_{n}" for n in range(1, 14))
            + " index answered updated_at",
        )
        self.topics = _Copy(DialogueTopic, "round item_number spread agreement agreed_on agreed_by")
        self.links = _Copy(
            CitizenLink,
            "round token_hash language expires_at used_at created_by created_at",
        )

    def all(self) -> list[_Copy]:
        return [t for t in vars(self).values() if isinstance(t, _Copy)]

    def pending(self) -> int:
        return sum(len(t.lines) for t in self.all())

    def flush(self, cursor) -> None:
        for table in self.all():
            table.flush(cursor)


# --- the facts of one case ---------------------------------------------------------


@dataclass
class _Orgs:
    private: list[int]
    public: list[int]
    municipal: list[int]
    schools: list[int]
    provider_user: dict[int, int]


class _Writer:
    """Turns the plan into rows, one case at a time."""

    def __init__(
        self,
        *,
        rng: random.Random,
        today: dt.date,
        tables: _Tables,
        orgs: _Orgs,
        questionnaire_id: int,
        ids: dict[str, int],
    ):
        self.rng = rng
        self.today = today
        self.t = tables
        self.orgs = orgs
        self.questionnaire_id = questionnaire_id
        self.ids = ids
        self.threshold = settings.PROGRESSION_DIVERGENCE
        self.link_days = settings.CITIZEN_LINK_DAYS
        self.tz = timezone.get_current_timezone()
        self.counts: dict[str, int] = {}

    def next_id(self, table: _Copy) -> int:
        self.ids[table.table] += 1
        return self.ids[table.table]

    def uuid(self) -> str:
        return f"{self.rng.getrandbits(128):032x}"

    def stamp(self, day: dt.date, hour: int = 9) -> str:
        return dt.datetime.combine(day, dt.time(hour), tzinfo=self.tz).isoformat(sep=" ")

    def fact(self, table: _Copy, case_id: int, day: dt.date, *values) -> int:
        fact_id = self.next_id(table)
        table.row(fact_id, self.uuid(), case_id, 1, None, self.stamp(day), *values)
        return fact_id

    # one case ----------------------------------------------------------------

    def case(
        self,
        person: _Person,
        household: _Household,
        *,
        household_id: int,
        team_id: int,
        caseworker_id: int,
    ) -> None:
        rng, t, today = self.rng, self.t, self.today
        citizen_id = self.next_id(t.citizens)
        case_id = self.next_id(t.cases)
        adult = person.adult
        stop = person.closed_on or today
        t.citizens.row(
            citizen_id,
            self.uuid(),
            person.cpr,
            person.first_name,
            person.last_name,
            person.birth,
            "F" if person.female else "M",
            person.nationality,
            person.languages,
            household_id,
            person.unaccompanied,
            person.basis,
            person.arrival,
            adult,
            add_months(person.arrival, 3),
            add_months(person.arrival, 6),
            add_months(person.arrival, 12),
        )
        t.access_log.row(
            self.stamp(person.arrival),
            None,
            "(system)",
            "change",
            citizen_id,
            "",
            "case created",
            "",
        )

        if person.basis == "refugee" and rng.random() < 0.7:
            visit = person.arrival - D(days=rng.randint(5, 40))
            self.fact(t.screening, case_id, visit, visit, rng.choice(ASYLUM_CENTRES), "")
        moved_in = person.arrival + D(days=rng.randint(60, 365))
        temporary_end = moved_in - D(days=1)
        if temporary_end > stop:
            temporary_end = person.closed_on  # still there, or until the case closed
        self.fact(
            t.housing,
            case_id,
            person.arrival,
            person.arrival,
            temporary_end,
            "temporary",
            household.town,
            False,
        )
        if moved_in <= stop:
            self.fact(
                t.housing,
                case_id,
                moved_in,
                moved_in,
                person.closed_on,
                "own_lease",
                household.town,
                rng.random() < 0.1,
            )

        placements = self.ladder(person, case_id, stop) if adult else []
        first_placement = placements[0][1] if placements else None
        if adult:
            self.employment(person, case_id, placements, stop)
            self.courses(person, household, case_id, stop)
            self.contract_and_plan(person, case_id, stop)
        health_offered = self.health(person, case_id, stop)
        last_follow_up = self.follow_ups(person, case_id, stop)

        open_topics = 0
        if person.birth <= add_months(today, -12 * 18):
            open_topics = self.rounds(person, case_id, caseworker_id, placements, stop)

        if person.closed_on is None:
            nxt = deadlines.next_deadline(
                arrival=person.arrival,
                first_placement=first_placement,
                health_offered=health_offered,
                last_follow_up=last_follow_up,
                adult_at_arrival=adult,
            )
            status, deadline, kind = "open", nxt.due, nxt.kind
        else:
            status, deadline, kind = "closed", None, ""
        t.cases.row(
            case_id,
            self.uuid(),
            citizen_id,
            team_id,
            caseworker_id,
            status,
            person.closing_reason,
            person.closed_on,
            1,
            first_placement,
            deadline,
            kind,
            open_topics,
            self.stamp(person.arrival),
        )
        t.status_changes.row(
            case_id, "", "open", "", "", person.arrival, None, self.stamp(person.arrival)
        )
        if person.closed_on is not None:
            t.status_changes.row(
                case_id,
                "open",
                "closed",
                person.closing_reason,
                "",
                person.closed_on,
                None,
                self.stamp(person.closed_on),
            )
            if person.closing_reason == "repatriated" and person is household.members[0]:
                ages = [_age(m.birth, person.closed_on) for m in household.members]
                self.fact(
                    t.repatriations,
                    case_id,
                    person.closed_on,
                    person.closed_on,
                    household.destination,
                    sum(a >= 18 for a in ages),
                    sum(a < 18 for a in ages),
                )

    def ladder(self, person: _Person, case_id: int, stop: dt.date) -> list:
        """Placements from the first (within 96 hours for most) until the case closes."""
        rng, orgs, today = self.rng, self.orgs, self.today
        draw = rng.random()
        delay = (
            rng.randint(2, 4)
            if draw < 0.88
            else rng.randint(5, 12)
            if draw < 0.97
            else (rng.randint(13, 40))
        )
        day = person.arrival + D(days=delay)
        phases: list[tuple[int, dt.date, dt.date | None, int | None]] = []
        job_start, job_end = person.job_start, person.job_end
        while day <= stop and day <= today:
            if job_start is not None and job_start <= day and (job_end is None or day <= job_end):
                end = job_end
                provider = rng.choice(orgs.private) if rng.random() < 0.4 else None
                step = 1
            else:
                step = _weighted(rng, STEP_WEIGHTS)
                end = day + D(days=rng.randint(90, 300))
                if job_start is not None and day < job_start <= end:
                    end = job_start - D(days=1)
                pool = {2: orgs.private, 4: orgs.private, 3: orgs.public, 5: orgs.public}
                provider = rng.choice(pool.get(step, orgs.municipal))
            if person.closed_on is not None and (end is None or end > person.closed_on):
                end = person.closed_on
            phases.append((step, day, end, provider))
            if end is None or end >= today:
                break
            day = end + D(days=1)
        for step, start, end, provider in phases:
            self.fact(self.t.ladder, case_id, start, start, end, step, provider)
        return phases

    def employment(self, person: _Person, case_id: int, phases: list, stop: dt.date) -> None:
        """DREAM spells: benefits, wage subsidy, internship, a job; no planned ends."""
        spells: list[list] = []

        def add(category: str, start: dt.date, end: dt.date | None) -> None:
            if spells and spells[-1][0] == category and spells[-1][2] is not None:
                spells[-1][2] = end
            else:
                spells.append([category, start, end])

        first = phases[0][1] if phases else None
        if first is None or first > person.arrival:
            add("benefits", person.arrival, first - D(days=1) if first else person.closed_on)
        for step, start, end, _provider in phases:
            category = person.job_category if step == 1 else STEP_CATEGORY.get(step, "benefits")
            add(category, start, end)
        for category, start, end in spells:
            if end is not None and end > self.today:
                end = None
            if category == person.job_category and end == person.closed_on:
                # Still working when the case closed: the register goes on.
                end = person.job_end if person.job_end and person.job_end <= self.today else None
            self.fact(self.t.employment, case_id, start, start, end, category, "dream")

    def courses(self, person: _Person, household: _Household, case_id: int, stop: dt.date):
        rng, today = self.rng, self.today
        start = person.arrival + D(days=rng.randint(15, 60))
        base = min(60.0, math.exp(rng.gauss(math.log(12), 0.6)))
        level = rng.choice([1, 2, 2, 3])
        for module in (1, 2):
            if start > stop or start > today:
                return
            end = start + D(days=rng.randint(300, 900) if module == 1 else rng.randint(180, 540))
            if person.closed_on is not None and end > person.closed_on:
                end = person.closed_on
            working = person.job_start is not None and person.job_start <= start
            school = self.orgs.schools[household.school % len(self.orgs.schools)]
            course_id = self.fact(
                self.t.courses,
                case_id,
                start,
                start,
                end,
                school,
                f"DU{level} modul {module + rng.randint(0, 2)}",
                9 if working else 18,
            )
            month = start.replace(day=1)
            last = min(end, today)
            while month <= last:
                percent = max(0.0, min(100.0, rng.gauss(base, 6)))
                self.fact(
                    self.t.absence, case_id, month, course_id, month, Decimal(f"{percent:.1f}")
                )
                month = add_months(month, 1)
            if rng.random() >= 0.35:
                return
            start = end + D(days=rng.randint(1, 30))

    def contract_and_plan(self, person: _Person, case_id: int, stop: dt.date) -> None:
        rng, t = self.rng, self.t
        signed = person.arrival + D(days=rng.randint(3, 30))
        if signed <= stop:
            self.fact(t.contracts, case_id, signed, signed)
        offered = person.arrival + D(days=rng.randint(10, 40))
        if offered > stop:
            return
        self.fact(t.plans, case_id, offered, "offered", offered)
        draw = rng.random()
        answer = offered + D(days=rng.randint(0, 14))
        if answer > stop or draw >= 0.92:
            return
        status = "accepted" if draw < 0.72 else "declined"
        self.fact(t.plans, case_id, answer, status, answer)
        later = answer + D(days=rng.randint(60, 400))
        if status == "declined" and rng.random() < 0.25 and later <= stop:
            self.fact(t.plans, case_id, later, "requested", later)

    def health(self, person: _Person, case_id: int, stop: dt.date) -> dt.date | None:
        rng = self.rng
        draw = rng.random()
        if draw < 0.9:
            offered = person.arrival + D(days=rng.randint(7, 85))
        elif draw < 0.96:
            offered = person.arrival + D(days=rng.randint(95, 150))
        else:
            return None
        if offered > stop:
            return None
        draw = rng.random()
        response = "accepted" if draw < 0.7 else "declined" if draw < 0.88 else "pending"
        done = offered + D(days=rng.randint(10, 60)) if response == "accepted" else None
        if done is not None and done > min(stop, self.today):
            done = None
        self.fact(self.t.health, case_id, offered, offered, response, done)
        return offered

    def follow_ups(self, person: _Person, case_id: int, stop: dt.date) -> dt.date | None:
        rng = self.rng
        if person.closed_on is None and rng.random() < 0.07:
            # A few open cases have missed their latest follow-ups.
            stop = self.today - D(days=rng.randint(100, 300))
        day = person.arrival + D(days=rng.randint(80, 92))
        last = None
        while day <= stop:
            self.fact(self.t.follow_ups, case_id, day, day, rng.random() < 0.96, "")
            last = day
            day += D(days=rng.randint(80, 95))
        return last

    # progression ---------------------------------------------------------------

    def rounds(
        self, person: _Person, case_id: int, caseworker_id: int, phases: list, stop: dt.date
    ) -> int:
        """A round every 50-80 days while the case is open; returns the open topics."""
        rng, today, t = self.rng, self.today, self.t
        adult_from = add_months(person.birth, 12 * 18)
        day = max(
            person.arrival + D(days=rng.randint(30, 75)),
            MEASURED_FROM + D(days=rng.randint(5, 85)),
            adult_from,
        )
        last_day = min(stop, today - D(days=1))
        dates = []
        while day <= last_day:
            if rng.random() > 0.06:
                dates.append(day)
            day += D(days=rng.randint(50, 80))
        if not dates:
            return 0
        level = rng.gauss(2.95, 0.35)
        slope = max(0.05, rng.gauss(0.22, 0.1))
        traits = [rng.gauss(0, 0.3) for _ in range(12)]
        offsets = [ITEM_OFFSET[n] for n in range(1, 13)]
        first_language = person.languages.split(",")[0].strip().lower()
        language = LINK_LANGUAGES.get(first_language, "da")
        workplaces = [(s, e, p) for step, s, e, p in phases if p is not None and step != 1]
        open_topics = 0
        is_open = person.closed_on is None
        for i, day in enumerate(dates):
            years = (day - person.arrival).days / 365.25
            lvl = min(4.6, level + slope * years)
            recent = (today - day).days
            complete = not (i == len(dates) - 1 and is_open and recent <= 45 and rng.random() < 0.4)
            round_id = self.next_id(t.rounds)
            stamp = self.stamp(day, 10)
            t.rounds.row(
                round_id,
                self.uuid(),
                case_id,
                day,
                self.questionnaire_id,
                complete,
                1,
                caseworker_id,
                stamp,
            )
            gauss, rand = rng.gauss, rng.random
            missing = 0.0 if complete else 0.4
            worker = [
                None if rand() < missing else _score(lvl + offsets[k] + traits[k] + gauss(0, 0.25))
                for k in range(12)
            ]
            if all(s is None for s in worker):
                worker[6] = _score(lvl + offsets[6])
            by_rater = {"caseworker": worker + [None]}
            self.measurement(
                round_id,
                "caseworker",
                day,
                by_rater["caseworker"],
                caseworker_id,
                None,
                False,
                stamp,
            )
            if complete and rand() < 0.85:
                citizen = [
                    None
                    if rand() < 0.04
                    else _score(lvl + 0.3 + offsets[k] / 2 + traits[k] + gauss(0, 0.3))
                    for k in range(12)
                ]
                citizen.append(_score(lvl + 0.15 + gauss(0, 0.55)))
                if rand() < 0.12:
                    self.disagree(citizen, worker)
                via_link = day >= LINKS_FROM and recent >= 5 and rand() < 0.4
                self.measurement(
                    round_id,
                    "citizen",
                    day,
                    citizen,
                    None if via_link else caseworker_id,
                    None,
                    via_link,
                    stamp,
                )
                if via_link:
                    sent = dt.datetime.combine(day, dt.time(9), tzinfo=self.tz)
                    used = sent + D(hours=rng.randint(2, 96))
                    t.links.row(
                        round_id,
                        f"{rng.getrandbits(256):064x}",
                        language,
                        sent + D(days=self.link_days),
                        used,
                        caseworker_id,
                        sent,
                    )
                by_rater["citizen"] = citizen
            provider = next(
                (p for s, e, p in workplaces if s <= day and (e is None or e >= day)), None
            )
            if complete and provider is not None and rand() < 0.7:
                scores = [
                    None
                    if rand() < 0.03
                    else _score(lvl + 0.1 + offsets[k] * 0.8 + traits[k] + gauss(0, 0.3))
                    for k in range(12)
                ]
                if rand() < 0.7:
                    scores[0] = None  # a workplace rarely knows what the citizen watches at home
                if rand() < 0.08:
                    self.disagree(scores, worker)
                scores.append(None)
                self.measurement(
                    round_id,
                    "provider",
                    day,
                    scores,
                    self.orgs.provider_user.get(provider),
                    provider,
                    False,
                    stamp,
                )
                by_rater["provider"] = scores
            for number, spread in self.divergent(list(by_rater.values())):
                waiting = is_open and ((recent <= 120 and rand() < 0.85) or rand() < 0.02)
                if waiting:
                    open_topics += 1
                    t.topics.row(round_id, number, spread, "", None, None)
                else:
                    text = rng.choice(AGREEMENTS.get(number, []) + GENERAL_AGREEMENTS)
                    agreed = min(day + D(days=rng.randint(7, 60)), today, stop)
                    t.topics.row(round_id, number, spread, text, agreed, caseworker_id)
        return open_topics

    def divergent(self, raters: list[list]) -> list[tuple[int, int]]:
        """``progression.divergence.divergent_items`` for score lists, inlined for speed."""
        found = []
        if len(raters) < 2:
            return found
        for k in range(13):
            given = [s[k] for s in raters if s[k] is not None]
            if len(given) >= 2:
                spread = max(given) - min(given)
                if spread >= self.threshold:
                    found.append((k + 1, spread))
        return found

    def disagree(self, scores: list, base: list) -> None:
        """Move one item two steps away from the caseworker's: a real disagreement."""
        items = [k for k in range(12) if scores[k] is not None and base[k] is not None]
        if items:
            k = self.rng.choice(items)
            scores[k] = self.rng.choice([v for v in (base[k] + 2, base[k] - 2) if 1 <= v <= 5])

    def measurement(
        self,
        round_id: int,
        rater: str,
        day: dt.date,
        scores: list,
        entered_by: int | None,
        provider: int | None,
        via_link: bool,
        stamp: str,
    ) -> None:
        index_scores = [s for s in scores[:12] if s is not None]
        index = sum(index_scores) / len(index_scores) if index_scores else None
        answered = sum(1 for s in scores if s is not None)
        cells = "\t".join("\\N" if s is None else str(s) for s in scores)
        self.t.measurements.lines.append(
            f"{self.next_id(self.t.measurements)}\t{round_id}\t{rater}\t{day}\t{self.questionnaire_id}\t"
            f"{copy_text(provider)}\t{copy_text(entered_by)}\t{'t' if via_link else 'f'}\t{cells}\t"
            f"{copy_text(index)}\t{answered}\t{stamp}\n"
        )


# --- organisations and users -------------------------------------------------------


def _organisations(rng: random.Random, citizens: int) -> tuple[list, list, list, list]:
    workplaces = max(8, citizens // CITIZENS_PER_WORKPLACE)
    schools = max(2, citizens // CITIZENS_PER_LANGUAGE_SCHOOL)
    municipal = max(1, citizens // CITIZENS_PER_MUNICIPAL_TEAM)
    private, public = [], []
    for i in range(workplaces):
        town = rng.choice(TOWNS)
        if rng.random() < 0.6:
            private.append(
                ProviderOrganisation(
                    name=f"{town} {rng.choice(TRADES)} ApS nr. {i + 1}",
                    kind=ProviderKind.WORKPLACE,
                )
            )
        else:
            public.append(
                ProviderOrganisation(
                    name=f"{rng.choice(PUBLIC_PLACES)} {town} nr. {i + 1}",
                    kind=ProviderKind.WORKPLACE,
                )
            )
    language = [
        ProviderOrganisation(
            name=f"Sprogcenter {rng.choice(TOWNS)} nr. {i + 1}", kind=ProviderKind.LANGUAGE_SCHOOL
        )
        for i in range(schools)
    ]
    teams = [
        ProviderOrganisation(
            name=f"Integrationsholdet {rng.choice(TOWNS)} nr. {i + 1}", kind=ProviderKind.MUNICIPAL
        )
        for i in range(municipal)
    ]
    for org in [*private, *public, *language, *teams]:
        org.full_clean(validate_unique=False)
    ProviderOrganisation.objects.bulk_create([*private, *public, *language, *teams])
    return private, public, language, teams


@dataclass
class _Staff:
    teams: list[Team]
    caseworkers: list[list[User]]  # per team
    managers: list[User]
    providers: dict[int, User]  # organisation id -> its user
    others: dict[str, User]


def _users(
    rng: random.Random,
    *,
    open_cases: int,
    password_hash: str,
    organisations: list[ProviderOrganisation],
) -> _Staff:
    """Teams of about eight caseworkers with about 80 open cases each, and one user
    per other role; every user has the same bench password."""
    caseworkers = max(2, round(open_cases / OPEN_CASES_PER_CASEWORKER))
    team_count = max(2, math.ceil(caseworkers / CASEWORKERS_PER_TEAM))
    teams = [
        Team(name=f"Team {DISTRICTS[i % len(DISTRICTS)]} {i // len(DISTRICTS) + 1}")
        for i in range(team_count)
    ]
    Team.objects.bulk_create(teams)
    users: list[tuple[User, str]] = []

    def user(username: str, role: str, **fields) -> User:
        u = User(
            username=username,
            first_name=rng.choice(STAFF_FIRST),
            last_name=rng.choice(STAFF_LAST),
            email=f"{username}@bench.example",
            password=password_hash,
            **fields,
        )
        users.append((u, role))
        return u

    per_team: list[list[User]] = [[] for _ in teams]
    for i in range(caseworkers):
        per_team[i % team_count].append(
            user(f"bench_cw_{i + 1:04d}", Role.CASEWORKER, team=teams[i % team_count])
        )
    managers = [
        user(f"bench_manager_{i + 1}", Role.MANAGER, team=teams[i * TEAMS_PER_MANAGER])
        for i in range(math.ceil(team_count / TEAMS_PER_MANAGER))
    ]
    providers = {
        org.pk: user(f"bench_provider_{i + 1:04d}", Role.PROVIDER, provider_organisation=org)
        for i, org in enumerate(organisations)
    }
    others = {
        "secretariat": user("bench_secretariat", Role.SECRETARIAT),
        "administrator": user("bench_admin", Role.ADMINISTRATOR, is_staff=True),
        # The Django admin's change list is the lean baseline the caseload is compared with.
        "superuser": user("bench_superuser", Role.ADMINISTRATOR, is_staff=True, is_superuser=True),
    }
    User.objects.bulk_create([u for u, _role in users])
    groups = {g.name: g.pk for g in Group.objects.all()}
    if not set(Role.values) <= set(groups):
        from accounts.roles import sync_role_groups

        sync_role_groups()
        groups = {g.name: g.pk for g in Group.objects.all()}
    User.groups.through.objects.bulk_create(
        [User.groups.through(user_id=u.pk, group_id=groups[role]) for u, role in users]
    )
    return _Staff(teams, per_team, managers, providers, others)


# --- the seed -----------------------------------------------------------------------------


@dataclass
class SeedResult:
    citizens: int
    seconds: float
    counts: dict[str, int]
    caseworkers: list[str]
    managers: list[str]
    providers: list[str]
    others: dict[str, str]
    today: dt.date


def _max_ids(tables: Iterable[_Copy]) -> dict[str, int]:
    """The highest id of each table the seed assigns ids in; it counts on from there."""
    ids = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table.table}")
            ids[table.table] = cursor.fetchone()[0]
    return ids


def _bulk_load(cursor):
    """Skip foreign-key triggers while loading, if this user may (a superuser)."""
    try:
        with transaction.atomic():
            cursor.execute("SET session_replication_role = replica")
    except Exception:  # noqa: BLE001 - not a superuser: the triggers check every row
        return False
    return True


def seed(
    *,
    citizens: int,
    password: str,
    seed: int = DEFAULT_SEED,
    today: dt.date | None = None,
    log: Callable[[str], None] = lambda _line: None,
) -> SeedResult:
    """Fill an empty, migrated PostgreSQL database with ``citizens`` synthetic citizens."""
    if connection.vendor != "postgresql":
        raise RuntimeError("The benchmark seeds PostgreSQL only (it writes with COPY).")
    started = time.perf_counter()
    today = today or timezone.localdate()
    rng = random.Random(f"bench-{seed}")
    schools = max(2, citizens // CITIZENS_PER_LANGUAGE_SCHOOL)
    households = _Planner(rng, today, citizens, schools).plan()
    people = [(h, p) for h in households for p in h.members]
    open_cases = sum(1 for _h, p in people if p.closed_on is None)
    log(f"planned {len(people)} citizens in {len(households)} households ({open_cases} open)")

    with transaction.atomic():
        private, public, language, municipal = _organisations(rng, citizens)
        staff = _users(
            rng,
            open_cases=open_cases,
            password_hash=make_password(password),
            organisations=[*private, *public, *language, *municipal],
        )
    # Households go round the teams, and within a team round its caseworkers,
    # so that every caseworker has about the same number of open cases.
    turn = [0] * len(staff.teams)
    for i, household in enumerate(households):
        household.team = i % len(staff.teams)
        household.caseworker = turn[household.team] % len(staff.caseworkers[household.team])
        turn[household.team] += 1

    orgs = _Orgs(
        private=[o.pk for o in private],
        public=[o.pk for o in public],
        municipal=[o.pk for o in municipal],
        schools=[o.pk for o in language],
        provider_user={org_id: u.pk for org_id, u in staff.providers.items()},
    )
    tables = _Tables()
    ids = _max_ids(t for t in tables.all() if t.fields[0] == "id")
    writer = _Writer(
        rng=rng,
        today=today,
        tables=tables,
        orgs=orgs,
        questionnaire_id=questionnaire_current().pk,
        ids=ids,
    )
    with connection.cursor() as cursor:
        fast = _bulk_load(cursor)
        try:
            for household in households:
                household_id = writer.next_id(tables.households)
                tables.households.row(household_id, writer.uuid(), household.reference)
                team = staff.teams[household.team]
                caseworker = staff.caseworkers[household.team][household.caseworker]
                for person in household.members:
                    writer.case(
                        person,
                        household,
                        household_id=household_id,
                        team_id=team.pk,
                        caseworker_id=caseworker.pk,
                    )
                if tables.pending() >= FLUSH_LINES:
                    tables.flush(cursor)
            tables.flush(cursor)
        finally:
            if fast:
                cursor.execute("SET session_replication_role = origin")
        models = [t.model for t in tables.all()]
        for statement in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(statement)
    log(f"rows written in {time.perf_counter() - started:.1f} s")

    _report_inputs(today, people)
    with connection.cursor() as cursor:
        # Fresh statistics, as autovacuum would have them on a database in use.
        if connection.in_atomic_block:
            cursor.execute("ANALYZE")
        else:
            cursor.execute("VACUUM ANALYZE")
    data_version.bump()
    seconds = time.perf_counter() - started
    counts = {t.table: t.written for t in tables.all()}
    counts["open cases"] = open_cases
    counts["teams"] = len(staff.teams)
    counts["caseworkers"] = sum(len(c) for c in staff.caseworkers)
    counts["provider organisations"] = len(orgs.provider_user)
    return SeedResult(
        citizens=len(people),
        seconds=seconds,
        counts=counts,
        caseworkers=[u.username for team in staff.caseworkers for u in team],
        managers=[u.username for u in staff.managers],
        providers=[u.username for u in staff.providers.values()],
        others={role: u.username for role, u in staff.others.items()},
        today=today,
    )


def existing(*, password: str) -> SeedResult:
    """The seed already in this database, to measure it again; its users get ``password``."""
    users = User.objects.filter(username__startswith="bench_")
    users.update(password=make_password(password))
    names = sorted(users.values_list("username", flat=True))
    return SeedResult(
        citizens=Citizen.objects.count(),
        seconds=0.0,
        counts={},
        caseworkers=[n for n in names if n.startswith("bench_cw_")],
        managers=[n for n in names if n.startswith("bench_manager_")],
        providers=[n for n in names if n.startswith("bench_provider_")],
        others={
            "secretariat": "bench_secretariat",
            "administrator": "bench_admin",
            "superuser": "bench_superuser",
        },
        today=timezone.localdate(),
    )


def _report_inputs(today: dt.date, people: list) -> None:
    """Benchmarks and final review texts as the demo has them; quotas near the arrivals."""
    from evaluation import demo as evaluation_demo
    from evaluation.benchmarks import quota_set

    evaluation_demo.seed_report_inputs(today=today)
    arrivals: dict[int, int] = {}
    for _household, person in people:
        arrivals[person.arrival.year] = arrivals.get(person.arrival.year, 0) + 1
    for year, count in arrivals.items():
        quota_set(year=year, expected=max(1, round(count, -1)))
