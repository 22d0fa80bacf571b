"""Retention: old closed cases are anonymised, the access log expires.

A case closed longer ago than CASE_RETENTION_DAYS loses the name, the CPR
number and every free text, in its history rows too, and keeps what the
reports count. Access-log rows older than ACCESS_LOG_RETENTION_DAYS go.
"""

import ast
import datetime as dt
import inspect
import io

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone, translation

from common import cpr as cpr_numbers
from evaluation.figures import monthly_figures, service_review_figures
from evaluation.period import ReportPeriod
from integration import retention, services
from integration.models import (
    AccessAction,
    AccessLog,
    CaseStatus,
    CaseStatusChange,
    Citizen,
    DanishCourse,
    EmploymentCategory,
    EmploymentSpell,
    FollowUp,
    HealthAssessment,
    HealthResponse,
    HousingKind,
    HousingPlacement,
    LadderStep,
    ScreeningVisit,
)
from progression import services as progression_services
from progression.models import DialogueTopic, Measurement, Rater
from tests.factories import ProviderFactory, make_case, place, replacement_cpr

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

FIRST, LAST = "Xochitl", "Brønnumgaard-Testesen"
OLD_CPR = replacement_cpr(dt.date(1990, 5, 17))


def days_ago(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)


def backdate(rows: QuerySet, when: dt.datetime) -> None:
    """Make access-log rows older, as time would (the log itself refuses updates)."""
    QuerySet.update(rows, at=when)


def close(case, *, on: dt.date, note: str = "") -> None:
    services.case_transition(
        actor=None,
        case=case,
        version=case.version,
        to_status=CaseStatus.CLOSED,
        on=on,
        reason="programme_completed",
        note=note,
    )


@pytest.fixture
def limit(settings):
    """The default: five years and two leap days."""
    assert settings.CASE_RETENTION_DAYS == 1827
    return settings.CASE_RETENTION_DAYS


@pytest.fixture
def old_case(team_a, caseworker_a, limit):
    """Closed one day beyond the limit, with every kind of fact and some free text."""
    closed = days_ago(limit + 1)
    arrival = closed - dt.timedelta(days=500)
    households = services.households_get_or_create(actor=None, references=[f"{LAST} family"])
    case = make_case(
        team=team_a,
        caseworker=caseworker_a,
        arrival=arrival,
        birth=dt.date(1990, 5, 17),
        cpr=OLD_CPR,
        first_name=FIRST,
        last_name=LAST,
        languages="Arabisk, Kurmanji",
        household=households[f"{LAST} family"],
    )
    citizen = case.citizen
    # A change of name, so that a history row holds an older one too.
    services.citizen_update(actor=caseworker_a, case=case, version=1, first_name=f"{FIRST}a")
    services.citizen_update(actor=caseworker_a, case=case, version=2, first_name=FIRST)
    facts = [
        ScreeningVisit(
            visit_date=arrival - dt.timedelta(days=10),
            location="Center Sandholm",
            note=f"{FIRST} spoke of her sister",
        ),
        HousingPlacement(kind=HousingKind.OWN_LEASE, locality="Juelsminde", start_date=arrival),
        FollowUp(
            held_on=arrival + dt.timedelta(days=80),
            repatriation_guidance_given=True,
            note=f"{FIRST} {LAST} wants to train as a nurse",
        ),
        HealthAssessment(
            offered_on=arrival + dt.timedelta(days=30), response=HealthResponse.ACCEPTED
        ),
        EmploymentSpell(
            category=EmploymentCategory.ORDINARY_EMPLOYMENT,
            start_date=arrival + dt.timedelta(days=100),
            end_date=closed,
        ),
    ]
    for fact in facts:
        services.fact_save(actor=caseworker_a, case=case, fact=fact)
    place(
        case, step=LadderStep.INTERNSHIP_PRIVATE, start=arrival + dt.timedelta(days=2), end=closed
    )
    services.fact_save(
        actor=caseworker_a,
        case=case,
        fact=DanishCourse(
            provider=ProviderFactory(name="Sprogcenter Vejle"),
            module="DU2 M3",
            start_date=arrival + dt.timedelta(days=20),
        ),
    )
    round_ = progression_services.round_save(
        actor=caseworker_a,
        case=case,
        measured_on=arrival + dt.timedelta(days=60),
        scores={Rater.CASEWORKER: dict.fromkeys(range(1, 14), 3), Rater.CITIZEN: {1: 1, 13: 5}},
        complete=True,
    )
    topic = round_.topics.get(item_number=1)
    progression_services.topic_agree(
        actor=caseworker_a,
        topic=topic,
        agreement=f"{FIRST} watches DR2",
        on=topic.round.measured_on,
    )
    case.refresh_from_db()
    close(case, on=closed, note=f"{FIRST} {LAST} moved in with her sister")
    citizen.refresh_from_db()
    case.refresh_from_db()
    return case


@pytest.fixture
def kept_cases(team_a, caseworker_a, limit):
    """Closed one day within the limit, closed exactly at it, and never closed."""
    within = make_case(team=team_a, last_name="Within", arrival=days_ago(limit - 1 + 500))
    close(within, on=days_ago(limit - 1))
    at_limit = make_case(team=team_a, last_name="AtLimit", arrival=days_ago(limit + 500))
    close(at_limit, on=days_ago(limit))
    still_open = make_case(team=team_a, last_name="Open", arrival=days_ago(limit + 1000))
    return [within, at_limit, still_open]


def figures(month: dt.date, as_of: dt.date) -> dict:
    """The monthly and service-review figures, without the time they were made."""
    monthly = monthly_figures(ReportPeriod.monthly(month))
    review = service_review_figures(ReportPeriod.service_review(as_of))
    for f in (monthly, review):
        del f["generated_at"]
    return {"monthly": monthly, "service_review": review}


def tables_containing(*needles: str) -> set[str]:
    """Every table in which any column, read as text, contains one of ``needles``.

    History tables, the access log, sessions and archived report figures included.
    """
    found = set()
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = connection.introspection.get_table_description(cursor, table)
            text = [f"LOWER(CAST({quote(c.name)} AS TEXT))" for c in columns]
            for needle in needles:
                where = " OR ".join(f"{t} LIKE %s" for t in text)
                cursor.execute(
                    f"SELECT COUNT(*) FROM {quote(table)} WHERE {where}",  # noqa: S608
                    [f"%{needle.lower()}%"] * len(text),
                )
                if cursor.fetchone()[0]:
                    found.add(table)
    return found


# --- which cases ---------------------------------------------------------------


@pytest.mark.django_db
def test_a_case_closed_a_day_beyond_the_limit_is_anonymised_and_no_other(old_case, kept_cases):
    result = retention.retention_apply()
    assert result.cases_anonymised == 1

    citizen = Citizen.objects.get(pk=old_case.citizen_id)
    assert citizen.anonymised_on == timezone.localdate()
    assert (citizen.cpr, citizen.first_name, citizen.last_name) == (None, "", "")
    assert (citizen.sex, citizen.nationality, citizen.languages, citizen.household) == (
        "",
        "",
        "",
        None,
    )
    with translation.override("en"):
        assert citizen.full_name == "Anonymised citizen"
    for kept in kept_cases:
        person = Citizen.objects.get(pk=kept.citizen_id)
        assert person.anonymised_on is None
        assert person.cpr and person.last_name in {"Within", "AtLimit", "Open"}


@pytest.mark.django_db
def test_every_app_is_asked_to_anonymise_its_rows_of_the_cases_due(
    old_case, kept_cases, monkeypatch
):
    asked = []
    config = apps.get_app_config("progression")
    hook = config.anonymise_cases

    def recording_hook(*, case_ids):
        asked.append(list(case_ids))
        hook(case_ids=case_ids)

    monkeypatch.setattr(config, "anonymise_cases", recording_hook)
    retention.retention_apply()
    assert asked == [[old_case.pk]]
    # Retention knows no progression model, not even inside a function.
    tree = ast.parse(inspect.getsource(retention))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not {m for m in imported if m and m.split(".")[0] == "progression"}


@pytest.mark.django_db
def test_what_the_reports_count_is_kept_and_the_free_text_is_gone(old_case):
    citizen = old_case.citizen
    born, arrived, horizons = (
        citizen.birth_date,
        citizen.arrival_date,
        (citizen.horizon_3m, citizen.horizon_6m, citizen.horizon_12m),
    )
    retention.retention_apply()

    citizen = Citizen.objects.get(pk=citizen.pk)
    assert (citizen.birth_date, citizen.arrival_date, citizen.residence_basis) == (
        born,
        arrived,
        "refugee",
    )
    assert (citizen.horizon_3m, citizen.horizon_6m, citizen.horizon_12m) == horizons
    assert citizen.adult_at_arrival is True
    old_case.refresh_from_db()
    assert (old_case.status, old_case.closing_reason) == ("closed", "programme_completed")
    assert old_case.first_placement_on == arrived + dt.timedelta(days=2)
    assert EmploymentSpell.objects.get(case=old_case).category == "ordinary_employment"
    assert HealthAssessment.objects.get(case=old_case).response == "accepted"
    assert DanishCourse.objects.get(case=old_case).module == "DU2 M3"
    measurement = Measurement.objects.get(round__case=old_case, rater=Rater.CASEWORKER)
    assert measurement.index == 3.0

    assert ScreeningVisit.objects.get(case=old_case).note == ""
    assert ScreeningVisit.objects.get(case=old_case).location == ""
    assert HousingPlacement.objects.get(case=old_case).locality == ""
    assert FollowUp.objects.get(case=old_case).note == ""
    assert FollowUp.objects.get(case=old_case).repatriation_guidance_given is True
    assert CaseStatusChange.objects.get(case=old_case, to_status="closed").note == ""
    topic = DialogueTopic.objects.get(round__case=old_case, item_number=1)
    assert topic.agreement == "–" and not topic.is_open  # still agreed, no longer in words


@pytest.mark.django_db
def test_report_figures_are_the_same_before_and_after(old_case, kept_cases):
    arrival = old_case.citizen.arrival_date
    month = arrival + dt.timedelta(days=200)  # all three closed cases and the open one in it
    as_of = timezone.localdate()
    before = figures(month, as_of)
    # The anonymised case counts in these figures (worked out from the fixtures):
    # in the programme that month: the old case, "within", "at limit" and "open";
    # the old case is the one employed, and placed at step 4.
    assert before["monthly"]["in_programme"]["total"] == 4
    assert before["monthly"]["employed"]["count"] == 1
    step_4 = next(r for r in before["monthly"]["ladder_now"] if r["step"] == 4)
    assert step_4["count"] == 1
    assert sum(c["persons"] for c in before["service_review"]["cohorts"]) == 4
    progression = before["service_review"]["progression"]
    assert progression["caseworker_measurements"] == 1
    assert progression["caseworker_index_mean"] == 3.0
    assert progression["citizen_self_assessment_mean"] == 5.0

    assert retention.retention_apply().cases_anonymised == 1
    assert figures(month, as_of) == before


@pytest.mark.django_db
def test_no_name_or_cpr_number_is_left_anywhere_in_the_database(
    old_case, caseworker_a, client_as, manager
):
    # Searches and page views that put the person in the access log recently.
    services.access_log_write(
        user=caseworker_a, action=AccessAction.SEARCH, search_term=LAST.lower()
    )
    services.access_log_write(
        user=caseworker_a, action=AccessAction.SEARCH, search_term=cpr_numbers.formatted(OLD_CPR)
    )
    services.access_log_write(user=caseworker_a, action=AccessAction.SEARCH, search_term="Haddad")
    client_as(manager).get(reverse("integration:case_detail", args=[old_case.uuid]))
    needles = [OLD_CPR, cpr_numbers.formatted(OLD_CPR), LAST, FIRST]

    before = tables_containing(*needles)
    # The scan sees them where they are: the citizen, its history, the notes,
    # the agreement, the household and the access log's search terms.
    assert {
        "integration_citizen",
        "integration_historicalcitizen",
        "integration_screeningvisit",
        "integration_historicalfollowup",
        "integration_casestatuschange",
        "integration_household",
        "integration_historicalhousehold",
        "integration_accesslog",
        "progression_dialoguetopic",
        "progression_historicaldialoguetopic",
    } <= before

    result = retention.retention_apply()
    assert result.search_terms_blanked == 2
    assert tables_containing(*needles) == set()
    # Another person's search is not touched.
    assert AccessLog.objects.filter(search_term="Haddad").count() == 1


# --- the access log ---------------------------------------------------------------


@pytest.mark.django_db
def test_access_log_rows_older_than_their_limit_go_and_newer_ones_stay(
    settings, case_a, caseworker_a
):
    settings.ACCESS_LOG_RETENTION_DAYS = 180
    now = timezone.now()
    AccessLog.objects.all().retention_delete()  # only the rows this test makes
    for what in ("old", "new"):
        services.access_log_write(
            user=caseworker_a, action=AccessAction.VIEW, citizen=case_a.citizen, what=what
        )
    backdate(AccessLog.objects.filter(what="old"), now - dt.timedelta(days=181))
    backdate(AccessLog.objects.filter(what="new"), now - dt.timedelta(days=179))

    assert retention.retention_apply(now=now).log_rows_deleted == 1
    assert list(AccessLog.objects.values_list("what", flat=True).order_by("id")) == [
        "new",
        AccessLog.objects.latest("id").what,
    ]
    audit = AccessLog.objects.latest("id")
    assert audit.username == "(system)" and audit.what.startswith("retention: 0 cases")
    assert "1 access-log rows" in audit.what


@pytest.mark.django_db
def test_the_log_refuses_deletes_outside_the_retention_command(case_a):
    from integration.models import AppendOnlyError

    with pytest.raises(AppendOnlyError):
        AccessLog.objects.all().delete()


# --- the anonymised case in the app ------------------------------------------------


@pytest.mark.django_db
def test_manager_opens_the_anonymised_case_and_sees_that_it_is(
    old_case, manager, caseworker_a, client_as, text_with_class
):
    retention.retention_apply()
    today = timezone.localdate().strftime("%d-%m-%Y")
    for language in ("en", "da"):
        page = client_as(manager, language=language).get(
            reverse("integration:case_detail", args=[old_case.uuid])
        )
        assert page.status_code == 200
        assert today in text_with_class(page, "anonymised")  # where the CPR number was
        body = page.content.decode()
        assert LAST not in body and OLD_CPR[:6] not in body
        if language == "en":
            assert f"Anonymised on {today}" in body
            assert '<h1 class="h3 mb-2" id="case-title">Anonymised citizen</h1>' in body
    history = client_as(manager).get(reverse("integration:case_history", args=[old_case.uuid]))
    assert history.status_code == 200
    assert LAST not in history.content.decode()
    # Nobody edits or reopens it: the edit pages answer as for a case one may not see.
    caseworker = client_as(caseworker_a)
    assert (
        caseworker.get(reverse("integration:case_detail", args=[old_case.uuid])).status_code == 200
    )
    for url in (
        reverse("integration:case_edit", args=[old_case.uuid]),
        reverse("integration:case_status", args=[old_case.uuid, "reopen"]),
    ):
        assert caseworker.get(url).status_code == 404


# --- the command --------------------------------------------------------------------


def run(*args) -> str:
    out = io.StringIO()
    call_command("apply_retention", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_dry_run_lists_what_would_change_and_changes_nothing(old_case, kept_cases):
    logged = AccessLog.objects.count()
    output = run("--dry-run")
    assert f"would anonymise case {old_case.uuid}, closed {old_case.closed_on}" in output
    assert "would anonymise 1 cases" in output
    assert LAST not in output and OLD_CPR not in output
    assert Citizen.objects.get(pk=old_case.citizen_id).last_name == LAST
    assert AccessLog.objects.count() == logged


@pytest.mark.django_db
def test_command_prints_counts_logs_once_and_a_second_run_changes_nothing(old_case, kept_cases):
    logged = AccessLog.objects.count()
    output = run()
    assert "Anonymised 1 cases" in output
    assert LAST not in output and OLD_CPR not in output
    assert AccessLog.objects.count() == logged + 1  # the one audit record
    audit = AccessLog.objects.latest("id")
    assert (audit.action, audit.citizen_id) == (AccessAction.CHANGE, None)

    def snapshot():
        history = Citizen.history.model.objects.filter(id=old_case.citizen_id)
        return (
            list(Citizen.objects.filter(pk=old_case.citizen_id).values()),
            list(history.values()),
            list(FollowUp.history.model.objects.filter(case_id=old_case.pk).values()),
        )

    after_first = snapshot()
    assert "Anonymised 0 cases" in run()
    assert snapshot() == after_first
    assert AccessLog.objects.count() == logged + 2  # each run says it ran


def sessions_containing(*needles: str) -> int:
    """Sessions whose data, decoded, holds a needle (the table keeps it encoded)."""
    from django.contrib.sessions.models import Session

    texts = [str(s.get_decoded()).lower() for s in Session.objects.all()]
    return sum(1 for t in texts if any(n.lower() in t for n in needles))


@pytest.mark.django_db
def test_a_preview_made_long_ago_leaves_no_name_or_cpr_number_behind(
    old_case, administrator, client_as, team_a
):
    from django.contrib.sessions.models import Session
    from django.core.files.uploadedfile import SimpleUploadedFile

    from integration.models import PendingUpload

    # An administrator checked a file naming the citizen and never confirmed it.
    header = "cpr,first_name,last_name,nationality,residence_basis,arrival_date,team,household"
    row = f"{OLD_CPR},{FIRST},{LAST},SY,refugee,2019-01-10,,"
    client = client_as(administrator)
    client.post(
        reverse("integration:import_upload"),
        {
            "kind": "citizens",
            "team": team_a.pk,
            "file": SimpleUploadedFile("c.csv", f"{header}\n{row}\n".encode(), "text/csv"),
        },
    )
    needles = [OLD_CPR, LAST, FIRST]
    assert sessions_containing(*needles) + PendingUpload.objects.count() >= 1
    # Hours pass: the session has expired, the waiting file is past its hour.
    Session.objects.update(expire_date=timezone.now() - dt.timedelta(hours=1))
    PendingUpload.objects.update(created_at=timezone.now() - dt.timedelta(hours=2))

    retention.retention_apply()

    assert sessions_containing(*needles) == 0
    assert tables_containing(*needles) == set()
