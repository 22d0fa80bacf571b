"""``manage.py seed_demo``: the demo municipality, its users and its shape.

Seeding takes several seconds, so the module seeds once, inside a transaction
that is rolled back when the module is done; each test runs in a savepoint of
it, as pytest-django's ``db`` fixture does.
"""

import datetime as dt
import io
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import F
from django.test import RequestFactory, override_settings
from django.utils import timezone

from common import cpr
from integration import selectors
from integration.models import (
    AccessLog,
    Case,
    CaseStatus,
    Citizen,
    ClosingReason,
    DanishCourse,
    EmploymentSpell,
    FollowUp,
    LadderPlacement,
    ProviderKind,
    ProviderOrganisation,
    Repatriation,
    ResidenceBasis,
    Team,
    User,
)
from progression.models import CitizenLink, DialogueTopic, Item, Measurement, Questionnaire, Round

PASSWORD = "demo-pass-123"
DEMO_USERS = {
    "caseworker_a": "caseworker",
    "caseworker_b": "caseworker",
    "provider": "provider",
    "manager": "manager",
    "secretariat": "secretariat",
    "admin": "administrator",
}
COUNTED = [
    User,
    Team,
    ProviderOrganisation,
    Citizen,
    Case,
    LadderPlacement,
    DanishCourse,
    EmploymentSpell,
    FollowUp,
    Repatriation,
    AccessLog,
    Round,
    Measurement,
    DialogueTopic,
]


def _published_questionnaire() -> None:
    """The demo's rounds need one; made here until the default arrives by migration."""
    if Questionnaire.objects.filter(status=Questionnaire.Status.PUBLISHED).exists():
        return
    questionnaire, _created = Questionnaire.objects.get_or_create(
        version=1, defaults={"status": Questionnaire.Status.PUBLISHED}
    )
    for n in range(1, 14):
        text = {"label": f"Item {n}", "question": f"Question {n}?", "scale": list("12345")}
        Item.objects.get_or_create(
            questionnaire=questionnaire, number=n, defaults={"texts": {"da": text}}
        )


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The output of one seed run; the data stays until the module ends."""
    # Nine users are hashed; the default Argon2 costs ~0.15 s a hash.
    fast_hashing = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
    )
    with fast_hashing, django_db_blocker.unblock(), transaction.atomic():
        _published_questionnaire()
        out = io.StringIO()
        call_command("seed_demo", password=PASSWORD, stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_each_role_has_a_demo_user_who_can_sign_in(seeded, client):
    for username, role in DEMO_USERS.items():
        user = User.objects.get(username=username)
        assert list(user.groups.values_list("name", flat=True)) == [role]
        assert user.first_name and user.last_name
        request = RequestFactory().post("/accounts/login/")
        assert client.login(request=request, username=username, password=PASSWORD), username
        client.logout()
    admin = User.objects.get(username="admin")
    assert admin.is_staff and not admin.is_superuser
    assert User.objects.get(username="caseworker_a").team.name == "Team Nord"
    assert User.objects.get(username="caseworker_b").team.name == "Team Syd"
    assert "demo-pass-123" in seeded and "http://127.0.0.1:8000" in seeded


@pytest.mark.django_db
def test_every_team_has_caseworkers_and_every_case_one_of_its_team(seeded):
    for team in Team.objects.all():
        assert team.members.filter(groups__name="caseworker").exists(), team
    assert not Case.objects.exclude(caseworker__team=F("team")).exists()
    kinds = Counter(ProviderOrganisation.objects.values_list("kind", flat=True))
    assert kinds[ProviderKind.LANGUAGE_SCHOOL] == 2
    assert kinds[ProviderKind.MUNICIPAL] >= 1
    assert kinds[ProviderKind.WORKPLACE] >= 4


@pytest.mark.django_db
def test_about_300_citizens_with_only_replacement_cpr_numbers(seeded):
    numbers = list(Citizen.objects.values_list("cpr", flat=True))
    assert 250 <= len(numbers) <= 350
    assert all(cpr.is_valid(n) and cpr.is_replacement(n) for n in numbers)
    assert len(set(numbers)) == len(numbers)


@pytest.mark.django_db
def test_arrivals_rise_to_a_2015_peak_and_include_this_year(seeded):
    today = timezone.localdate()
    adult_refugees = Counter(
        c.arrival_date.year
        for c in Citizen.objects.filter(residence_basis=ResidenceBasis.REFUGEE)
        if c.age_on(c.arrival_date) >= 18
    )
    assert min(adult_refugees) == 2012
    assert max(adult_refugees) == today.year
    assert adult_refugees[2015] == max(adult_refugees.values())
    assert adult_refugees[2012] < adult_refugees[2014] < adult_refugees[2015]
    assert adult_refugees[2015] > adult_refugees[2016] > adult_refugees[2017]
    assert Citizen.objects.filter(residence_basis=ResidenceBasis.FAMILY_REUNIFIED).exists()
    children = [c for c in Citizen.objects.all() if c.age_on(c.arrival_date) < 18]
    assert len(children) > 30


@pytest.mark.django_db
def test_provider_has_active_referrals_today(seeded):
    provider = User.objects.get(username="provider")
    assert provider.provider_organisation.kind == ProviderKind.WORKPLACE
    assert len(selectors.referrals_for_provider(provider)) >= 3


@pytest.mark.django_db
def test_some_first_placements_breach_96_hours(seeded):
    today = timezone.localdate()
    breaches = 0
    for case in Case.objects.select_related("citizen"):
        citizen = case.citizen
        if citizen.age_on(citizen.arrival_date) < 18:
            continue
        due = citizen.arrival_date + dt.timedelta(days=4)
        if (case.first_placement_on or today) > due:
            breaches += 1
    assert breaches >= 3


@pytest.mark.django_db
def test_some_households_repatriated(seeded):
    assert Repatriation.objects.count() >= 2
    closed = Case.objects.filter(
        status=CaseStatus.CLOSED, closing_reason=ClosingReason.REPATRIATED
    ).count()
    assert closed >= Repatriation.objects.count()


@pytest.mark.django_db
def test_seeding_writes_no_access_log_beyond_case_creation(seeded):
    assert AccessLog.objects.count() == Case.objects.count()


@pytest.mark.django_db
def test_second_run_changes_nothing(seeded):
    before = _counts()
    password_hash = User.objects.get(username="manager").password
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "already there" in out.getvalue()
    assert _counts() == before
    assert User.objects.get(username="manager").password == password_hash


@pytest.mark.django_db
def test_second_run_with_password_only_resets_passwords(seeded, client):
    before = _counts()
    call_command("seed_demo", password="another-pass-456", stdout=io.StringIO())
    assert _counts() == before
    request = RequestFactory().post("/accounts/login/")
    assert client.login(request=request, username="manager", password="another-pass-456")


# --- progression ------------------------------------------------------------


@pytest.mark.django_db
def test_rounds_about_every_quarter_since_2017_each_with_the_caseworkers_scores(seeded):
    today = timezone.localdate()
    rounds = Round.objects.select_related("case__citizen")
    assert rounds.order_by("measured_on").first().measured_on.year == 2017
    assert rounds.filter(measured_on__year=today.year).exists()
    for round_ in rounds:
        citizen, case = round_.case.citizen, round_.case
        assert citizen.arrival_date <= round_.measured_on <= (case.closed_on or today)
        assert citizen.age_on(round_.measured_on) >= 18
    # Every round has the caseworker's measurement; every rater measures once.
    caseworker_rounds = Measurement.objects.filter(rater="caseworker").values("round")
    assert not rounds.exclude(pk__in=caseworker_rounds).exists()
    assert Measurement.objects.filter(rater="caseworker").count() == rounds.count()
    # About every quarter: a citizen measured through 2017-2018 has about 8 rounds.
    per_case = Counter(
        rounds.filter(measured_on__year__in=[2017, 2018]).values_list("case_id", flat=True)
    )
    assert max(per_case.values()) in range(7, 10)
    assert rounds.filter(complete=False).exists()


@pytest.mark.django_db
def test_some_citizens_answered_through_a_spent_link(seeded):
    via_link = Measurement.objects.filter(rater="citizen", via_link=True)
    assert via_link.count() >= 20
    assert not via_link.filter(entered_by__isnull=False).exists()
    for measurement in via_link[:50]:
        link = CitizenLink.objects.get(round_id=measurement.round_id)
        assert link.used_at is not None and len(link.token_hash) == 64
        assert link.created_at <= link.used_at <= link.expires_at
    assert Measurement.objects.filter(rater="citizen", via_link=False).exists()
    assert Measurement.objects.filter(rater="provider", provider__isnull=False).exists()


@pytest.mark.django_db
def test_open_dialogue_topics_are_counted_on_their_cases(seeded):
    topics = DialogueTopic.objects.select_related("round__case")
    assert topics.exclude(agreement="").count() > topics.filter(agreement="").count() > 0
    open_per_case = Counter(t.round.case_id for t in topics if t.is_open)
    open_cases = Case.objects.filter(pk__in=open_per_case, status=CaseStatus.OPEN)
    assert open_cases.exists(), "some open case shows open topics"
    for case in Case.objects.all():
        assert case.open_topics == open_per_case.get(case.pk, 0), case
    for topic in topics.exclude(agreement="")[:50]:
        assert topic.agreed_on >= topic.round.measured_on and topic.agreed_by_id


@pytest.mark.django_db
def test_caseworker_scores_look_like_the_service_review(seeded):
    period = {"measured_on__gte": dt.date(2017, 1, 1), "measured_on__lte": dt.date(2019, 1, 31)}
    caseworkers = Measurement.objects.filter(rater="caseworker", **period)
    indices = [m.index for m in caseworkers if m.index is not None]
    assert 2.5 <= sum(indices) / len(indices) <= 4.0
    means = {
        n: sum(s) / len(s)
        for n in range(1, 13)
        if (s := [getattr(m, f"item_{n}") for m in caseworkers if getattr(m, f"item_{n}")])
    }
    assert max(means, key=means.get) == 7 and min(means, key=means.get) == 1
    citizens = [
        m.item_13
        for m in Measurement.objects.filter(rater="citizen", **period)
        if m.item_13 is not None
    ]
    assert sum(citizens) / len(citizens) > sum(indices) / len(indices)
