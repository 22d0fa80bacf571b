"""The demo's progression rounds, planned for a few hand-made cases.

The whole demo municipality is checked in tests/integration/test_seed_demo.py.
"""

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from integration import services
from integration.models import CaseStatus, ClosingReason, LadderStep, User
from progression import demo
from progression.models import DialogueTopic, Item, Measurement, Questionnaire, Round
from tests.factories import make_case, place

TODAY = dt.date(2021, 6, 30)


@pytest.fixture
def questionnaire(db):
    """The published questionnaire, made here until the default one arrives by migration."""
    current = Questionnaire.objects.filter(status=Questionnaire.Status.PUBLISHED).first()
    if current is not None:
        return current
    current, _created = Questionnaire.objects.get_or_create(
        version=1, defaults={"status": Questionnaire.Status.PUBLISHED}
    )
    for n in range(1, 14):
        text = {"label": f"Item {n}", "question": f"Question {n}?", "scale": list("12345")}
        Item.objects.get_or_create(
            questionnaire=current, number=n, defaults={"texts": {"da": text}}
        )
    return current


@pytest.fixture
def cases(questionnaire, team_a, caseworker_a, provider_org):
    """An adult here since 2015; one who arrived in 2018 and moved away in
    2020; one who arrived at 16 in 2017 and turned 18 in 2019."""
    veteran = make_case(
        team=team_a, caseworker=caseworker_a, arrival=dt.date(2015, 9, 1),
        birth=dt.date(1980, 5, 5), languages="arabisk, engelsk",
    )  # fmt: skip
    place(veteran, step=LadderStep.INTERNSHIP_PRIVATE, provider=provider_org,
          start=dt.date(2016, 1, 1))  # fmt: skip
    mover = make_case(
        team=team_a, caseworker=caseworker_a, arrival=dt.date(2018, 3, 1),
        birth=dt.date(1990, 1, 1), languages="tigrinya",
    )  # fmt: skip
    mover = services.case_transition(
        actor=None, case=mover, version=mover.version, to_status=CaseStatus.CLOSED,
        on=dt.date(2020, 2, 10), reason=ClosingReason.MOVED_AWAY,
    )  # fmt: skip
    minor = make_case(
        team=team_a, caseworker=caseworker_a, arrival=dt.date(2017, 4, 1),
        birth=dt.date(2001, 2, 1),
    )  # fmt: skip
    return veteran, mover, minor


def _planned(cases) -> list[tuple]:
    rows = Measurement.objects.select_related("round").order_by("round__case_id", "measured_on")
    return [(m.round.case_id, m.measured_on, m.rater, tuple(m.scores().values())) for m in rows]


@pytest.mark.django_db
def test_rounds_every_quarter_from_2017_or_arrival_until_closing(cases):
    veteran, mover, minor = cases

    counts = demo.seed_rounds(cases=list(cases), seed=7, today=TODAY)

    dates = {
        case.pk: list(
            Round.objects.filter(case=case)
            .order_by("measured_on")
            .values_list("measured_on", flat=True)
        )
        for case in cases
    }
    # Measurement began in 2017; the veteran is measured from its first quarter.
    assert dt.date(2017, 1, 1) <= dates[veteran.pk][0] <= dt.date(2017, 3, 31)
    assert dates[veteran.pk][-1] >= dt.date(2021, 3, 1)
    # From a month or two after arrival until the case closed.
    assert dt.date(2018, 3, 31) <= dates[mover.pk][0] <= dt.date(2018, 5, 20)
    assert dates[mover.pk][-1] <= dt.date(2020, 2, 10)
    # The minor only from the day she turned 18.
    assert dates[minor.pk][0] >= dt.date(2019, 2, 1)
    for case_dates in dates.values():
        gaps = [(b - a).days for a, b in zip(case_dates, case_dates[1:], strict=False)]
        assert all(80 <= gap <= 210 for gap in gaps), gaps
    assert counts["progression rounds"] == Round.objects.count()
    assert counts["caseworker measurements"] == Round.objects.count()


@pytest.mark.django_db
def test_rounds_are_the_same_for_the_same_seed(cases):
    with transaction.atomic():
        demo.seed_rounds(cases=list(cases), seed=7, today=TODAY)
        first = _planned(cases)
        transaction.set_rollback(True)
    assert Round.objects.count() == 0

    demo.seed_rounds(cases=list(cases), seed=7, today=TODAY)

    assert _planned(cases) == first


@pytest.mark.django_db
def test_topics_follow_the_scores_and_open_ones_are_counted(cases):
    veteran, _mover, _minor = cases

    demo.seed_rounds(cases=list(cases), seed=7, today=TODAY)

    for round_ in Round.objects.prefetch_related("measurements", "topics"):
        scores = {m.rater: m.scores() for m in round_.measurements.all()}
        expected = {}
        for n in range(1, 14):
            given = [s[n] for s in scores.values() if s[n] is not None]
            if len(given) >= 2 and max(given) - min(given) >= 2:
                expected[n] = max(given) - min(given)
        assert {t.item_number: t.spread for t in round_.topics.all()} == expected
    for case in cases:
        case.refresh_from_db()
        assert (
            case.open_topics == DialogueTopic.objects.filter(round__case=case, agreement="").count()
        )


@pytest.mark.django_db
def test_seed_demo_without_a_published_questionnaire_says_so_and_adds_nothing(questionnaire):
    Questionnaire.objects.update(status=Questionnaire.Status.DRAFT)

    with pytest.raises(CommandError, match="No progression questionnaire is published"):
        call_command("seed_demo", password="demo-pass-123")

    assert not User.objects.exists()
