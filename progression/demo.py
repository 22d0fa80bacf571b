"""Progression rounds for the demo municipality (``manage.py seed_demo``).

Every adult with an open case gets a round about every quarter since the
measurement began in 2017, from arrival (or 2017) until today or the case
closed. Each round has the caseworker's scores, mostly the citizen's own
(since 2020 some through a one-time link) and often the scores of the
workplace or activity where the citizen was placed that day.

The scores come from one "level" per person that rises with the years in
Denmark. Caseworkers score a little below the citizens, item 7 highest and
item 1 lowest (the service review of 2019: 2017 to January 2019 the
caseworkers' index averaged 3.3 and the citizens' own item 13 3.5). Where the
raters differ by the threshold or more there is a dialogue topic; the older
ones carry the agreement the caseworker wrote, the newest of open cases wait
for theirs.

Planned with ``random.Random`` and written in bulk in the caller's
transaction; like the rest of the demo it writes no access-log rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import secrets
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from integration import services as case_services
from integration.models import Case, LadderPlacement, User
from progression.divergence import divergent_items
from progression.models import (
    INDEX_ITEMS,
    CitizenLink,
    DialogueTopic,
    Measurement,
    Questionnaire,
    Rater,
    Round,
)
from progression.services import questionnaire_current

MEASURED_FROM = dt.date(2017, 1, 1)
LINKS_FROM = dt.date(2020, 1, 1)
SELF_ASSESSMENT = 13

# How far the caseworkers' mean of an item lies from a person's level: item 7
# (personal appearance) highest and item 1 (Danish TV and news) lowest.
ITEM_OFFSET = {
    1: -0.8, 2: -0.2, 3: 0.1, 4: -0.1, 5: 0.2, 6: -0.3,
    7: 0.7, 8: 0.0, 9: 0.15, 10: -0.3, 11: 0.3, 12: -0.1,
}  # fmt: skip
# The first language the citizen speaks → the language of their link.
LINK_LANGUAGES = {
    "arabisk": "ar",
    "tigrinya": "ti",
    "somali": "so",
    "dari": "fa",
    "farsi": "fa",
    "pashto": "fa",
    "ukrainsk": "en",
}
AGREEMENTS = {
    1: [
        "Aftalt, at borgeren ser TV-avisen på dansk med undertekster tre aftener om ugen.",
        "Borgeren ser dansk TV med børnene; vi aftalte at tale om nyhederne ved næste samtale.",
    ],
    7: [
        "Talt om påklædning og fremmøde på arbejdspladsen. Borgeren er enig i målet.",
        "Tilbudsstedet og borgeren er enige om reglerne for arbejdstøj; følges op om tre måneder.",
    ],
}
GENERAL_AGREEMENTS = [
    "Vi talte om forskellen i vurderingen. Borgeren forklarede sin oplevelse, og vi aftalte "
    "et konkret mål til næste måling.",
    "Borgeren vurderer sig selv højere end sagsbehandleren. Aftalt at afprøve det i praktikken "
    "og se på det igen ved næste opfølgning.",
    "Drøftet ved opfølgningssamtalen med tolk. Vi er enige om at arbejde videre med punktet "
    "i integrationsplanen.",
    "Tilbudsstedet ser mere fremgang end vi gjorde. Aftalt at borgeren får mere ansvar i "
    "hverdagen.",
    "Borgeren var usikker på spørgsmålet. Vi gennemgik det sammen og er nu enige om vurderingen.",
    "Aftalt ekstra støtte fra mentor i en periode. Punktet tages op igen om tre måneder.",
]


@dataclass
class _Person:
    """One citizen's progression: a level that rises with the years in Denmark."""

    case: Case
    level: float
    slope: float  # per year
    traits: dict[int, float]  # the person's own strengths and weaknesses per item
    language: str
    placements: list[tuple[int, dt.date, dt.date | None]] = field(default_factory=list)

    def level_on(self, day: dt.date) -> float:
        years = (day - self.case.citizen.arrival_date).days / 365.25
        return min(4.6, self.level + self.slope * years)

    def provider_on(self, day: dt.date) -> int | None:
        for provider_id, start, end in self.placements:
            if start <= day and (end is None or end >= day):
                return provider_id
        return None


@dataclass
class _Planned:
    round: Round
    measurements: list[Measurement] = field(default_factory=list)
    links: list[CitizenLink] = field(default_factory=list)
    topics: list[DialogueTopic] = field(default_factory=list)


def _score(value: float) -> int:
    return max(1, min(5, round(value)))


def _token_hash() -> str:
    # Not from the seeded generator: a demo link must not be reconstructable
    # from the source, and nobody needs its hash to repeat.
    return hashlib.sha256(secrets.token_urlsafe(24).encode()).hexdigest()


def _link_language(languages: str) -> str:
    first = languages.split(",")[0].strip().lower()
    return LINK_LANGUAGES.get(first, "da")


class _Planner:
    def __init__(self, *, seed: int, today: dt.date, questionnaire: Questionnaire):
        self.rng = random.Random(f"progression-{seed}")
        self.today = today
        self.questionnaire = questionnaire
        self.threshold = settings.PROGRESSION_DIVERGENCE
        self.provider_users: dict[int, User] = {
            u.provider_organisation_id: u
            for u in User.objects.filter(provider_organisation__isnull=False).order_by("pk")
        }

    def person(self, case: Case, placements) -> _Person:
        rng = self.rng
        return _Person(
            case=case,
            level=rng.gauss(2.95, 0.35),
            slope=max(0.05, rng.gauss(0.22, 0.1)),
            traits={n: rng.gauss(0, 0.3) for n in INDEX_ITEMS},
            language=_link_language(case.citizen.languages),
            placements=placements,
        )

    def dates(self, person: _Person) -> list[dt.date]:
        """About every quarter while the citizen is an adult with an open case."""
        rng = self.rng
        case, citizen = person.case, person.case.citizen
        last = min(self.today, case.closed_on or self.today)
        if citizen.arrival_date >= MEASURED_FROM:
            day = citizen.arrival_date + dt.timedelta(days=rng.randint(30, 75))
        else:
            day = MEASURED_FROM + dt.timedelta(days=rng.randint(5, 85))
        dates = []
        while day <= last:
            if citizen.age_on(day) >= 18 and rng.random() > 0.06:  # now and then one is missed
                dates.append(day)
            day += dt.timedelta(days=rng.randint(80, 105))
        return dates

    def scores(
        self, person: _Person, day: dt.date, rater: str, *, unanswered: float = 0.0
    ) -> dict[int, int | None]:
        rng = self.rng
        level = person.level_on(day)
        scores: dict[int, int | None] = {}
        for n in INDEX_ITEMS:
            if rater == Rater.CASEWORKER:
                value = level + ITEM_OFFSET[n] + person.traits[n] + rng.gauss(0, 0.25)
            elif rater == Rater.CITIZEN:
                value = level + 0.3 + ITEM_OFFSET[n] / 2 + person.traits[n] + rng.gauss(0, 0.3)
            else:
                value = level + 0.1 + ITEM_OFFSET[n] * 0.8 + person.traits[n] + rng.gauss(0, 0.3)
            scores[n] = None if rng.random() < unanswered else _score(value)
        scores[SELF_ASSESSMENT] = None
        if rater == Rater.CITIZEN:
            scores[SELF_ASSESSMENT] = _score(level + 0.15 + rng.gauss(0, 0.55))
        if rater == Rater.PROVIDER and rng.random() < 0.7:
            scores[1] = None  # a workplace rarely knows what the citizen watches at home
        return scores

    def disagree(self, scores: dict[int, int | None], base: dict[int, int | None]) -> None:
        """Move one item of ``scores`` two steps away from ``base``: a real disagreement."""
        items = [n for n in INDEX_ITEMS if scores.get(n) is not None and base.get(n) is not None]
        if not items:
            return
        n = self.rng.choice(items)
        up, down = base[n] + 2, base[n] - 2
        choices = [v for v in (up, down) if 1 <= v <= 5]
        scores[n] = self.rng.choice(choices)

    def round(self, person: _Person, day: dt.date, *, newest: bool) -> _Planned:
        rng = self.rng
        case = person.case
        recent = (self.today - day).days
        complete = not (newest and case.closed_on is None and recent <= 45 and rng.random() < 0.4)
        round_ = Round(
            case=case,
            measured_on=day,
            questionnaire=self.questionnaire,
            complete=complete,
            created_by=case.caseworker,
        )
        planned = _Planned(round_)
        worker = self.scores(person, day, Rater.CASEWORKER, unanswered=0.0 if complete else 0.4)
        if not any(worker[n] is not None for n in INDEX_ITEMS):
            worker[7] = _score(person.level_on(day) + ITEM_OFFSET[7])
        planned.measurements.append(self._measurement(round_, Rater.CASEWORKER, worker))

        by_rater = {Rater.CASEWORKER: worker}
        if complete and rng.random() < 0.85:
            citizen = self.scores(person, day, Rater.CITIZEN, unanswered=0.04)
            if rng.random() < 0.12:
                self.disagree(citizen, worker)
            # A link answered within four days; rounds of the last days were on paper.
            via_link = day >= LINKS_FROM and recent >= 5 and rng.random() < 0.4
            measurement = self._measurement(round_, Rater.CITIZEN, citizen, via_link=via_link)
            if via_link:
                measurement.entered_by = None
                sent = self._sent(day)
                used = sent + dt.timedelta(hours=rng.randint(2, 96))
                planned.links.append(self._link(round_, person, sent=sent, used=used))
            planned.measurements.append(measurement)
            by_rater[Rater.CITIZEN] = citizen
        elif not complete and recent <= settings.CITIZEN_LINK_DAYS - 2:
            # Waiting for the citizen's answer through a link sent on the day.
            planned.links.append(self._link(round_, person, sent=self._sent(day), used=None))
        provider_id = person.provider_on(day)
        if complete and provider_id is not None and rng.random() < 0.7:
            provider = self.scores(person, day, Rater.PROVIDER, unanswered=0.03)
            if rng.random() < 0.08:
                self.disagree(provider, worker)
            measurement = self._measurement(round_, Rater.PROVIDER, provider)
            measurement.provider_id = provider_id
            measurement.entered_by = self.provider_users.get(provider_id)
            planned.measurements.append(measurement)
            by_rater[Rater.PROVIDER] = provider

        for number, spread in divergent_items(by_rater, self.threshold).items():
            topic = DialogueTopic(round=round_, item_number=number, spread=spread)
            # The newest topics of an open case wait for the next talk; now and
            # then an older one of an open case was never written up.
            waiting = case.closed_on is None and (
                (recent <= 120 and rng.random() < 0.85) or rng.random() < 0.02
            )
            if not waiting:
                topic.agreement = rng.choice(AGREEMENTS.get(number, []) + GENERAL_AGREEMENTS)
                agreed = day + dt.timedelta(days=rng.randint(7, 60))
                topic.agreed_on = min(agreed, self.today, case.closed_on or self.today)
                topic.agreed_by = case.caseworker
            planned.topics.append(topic)
        return planned

    def _sent(self, day: dt.date) -> dt.datetime:
        """Nine in the morning of the round's day, or now if that is still to come."""
        sent = dt.datetime.combine(day, dt.time(9), tzinfo=timezone.get_current_timezone())
        return min(sent, timezone.now())

    def _measurement(
        self, round_: Round, rater: str, scores: dict[int, int | None], *, via_link: bool = False
    ) -> Measurement:
        measurement = Measurement(
            round=round_,
            rater=rater,
            measured_on=round_.measured_on,
            questionnaire=round_.questionnaire,
            entered_by=round_.case.caseworker,
            via_link=via_link,
        )
        measurement.set_scores(scores)
        return measurement

    def _link(
        self, round_: Round, person: _Person, *, sent: dt.datetime, used: dt.datetime | None
    ) -> CitizenLink:
        return CitizenLink(
            round=round_,
            token_hash=_token_hash(),
            language=person.language,
            created_by=round_.case.caseworker,
            expires_at=sent + dt.timedelta(days=settings.CITIZEN_LINK_DAYS),
            used_at=used,
        )


def _placements(cases: Sequence[Case]) -> dict[int, list[tuple[int, dt.date, dt.date | None]]]:
    by_case: dict[int, list] = {}
    rows = (
        LadderPlacement.objects.filter(case__in=cases, provider__isnull=False)
        .order_by("case_id", "start_date")
        .values_list("case_id", "provider_id", "start_date", "end_date")
    )
    for case_id, provider_id, start, end in rows:
        by_case.setdefault(case_id, []).append((provider_id, start, end))
    return by_case


def seed_rounds(*, cases: Sequence[Case], seed: int, today: dt.date) -> dict[str, int]:
    """Add the demo's progression rounds to ``cases``; returns the counts to print.

    Raises Questionnaire.DoesNotExist when no questionnaire is published.
    """
    questionnaire = questionnaire_current()
    planner = _Planner(seed=seed, today=today, questionnaire=questionnaire)
    placements = _placements(cases)
    planned: list[_Planned] = []
    for case in cases:
        person = planner.person(case, placements.get(case.pk, []))
        dates = planner.dates(person)
        for i, day in enumerate(dates):
            planned.append(planner.round(person, day, newest=i == len(dates) - 1))

    rounds = [p.round for p in planned]
    for round_ in rounds:
        round_.full_clean(exclude=["case", "questionnaire", "created_by", "uuid"])
    bulk_create_with_history(rounds, Round, batch_size=500)
    measurements = [m for p in planned for m in p.measurements]
    topics = [t for p in planned for t in p.topics]
    links = [link for p in planned for link in p.links]
    for p in planned:
        for row in [*p.measurements, *p.topics, *p.links]:
            row.round = p.round  # now that the round has its id
    for measurement in measurements:
        # The planner keeps every score in 1-5 and one measurement per rater;
        # Django would ask the database once per check constraint to agree.
        measurement.full_clean(
            exclude=["round", "questionnaire", "provider", "entered_by"],
            validate_unique=False,
            validate_constraints=False,
        )
    bulk_create_with_history(measurements, Measurement, batch_size=500)
    for topic in topics:
        topic.full_clean(exclude=["round", "agreed_by"])
    bulk_create_with_history(topics, DialogueTopic, batch_size=500)
    for link in links:
        link.full_clean(exclude=["round", "created_by"], validate_unique=False)
    CitizenLink.objects.bulk_create(links, batch_size=500)
    # The insert stamps created_at with now; the links were sent on their round's day.
    for link in links:
        link.created_at = link.expires_at - dt.timedelta(days=settings.CITIZEN_LINK_DAYS)
    CitizenLink.objects.bulk_update(links, ["created_at"], batch_size=500)

    open_topics = Counter(t.round.case_id for t in topics if t.is_open)
    cases_by_id = {case.pk: case for case in cases}
    for case_id, count in sorted(open_topics.items()):
        case_services.case_set_open_topics(case=cases_by_id[case_id], count=count)

    raters = Counter(m.rater for m in measurements)
    return {
        "progression rounds": len(rounds),
        "unfinished rounds": sum(1 for r in rounds if not r.complete),
        "caseworker measurements": raters[Rater.CASEWORKER],
        "citizen measurements": raters[Rater.CITIZEN],
        "  of them through a link": sum(1 for m in measurements if m.via_link),
        "provider measurements": raters[Rater.PROVIDER],
        "dialogue topics agreed": sum(1 for t in topics if not t.is_open),
        "dialogue topics open": sum(open_topics.values()),
    }
