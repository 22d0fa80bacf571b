"""Two people save the same record: the first save wins, the second is told.

Every form carries the version its record was read at; a save with an old
version is refused and changes nothing, so no one's work is lost silently.
"""

import datetime as dt
import threading

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from integration import services
from integration.models import (
    AccessAction,
    AccessLog,
    Case,
    CaseStatus,
    CaseStatusChange,
    Citizen,
    LadderPlacement,
    LadderStep,
)
from tests.factories import UserFactory, make_case, place

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

REFUSED = (
    "Someone else saved this record while you were editing it. "
    "Your changes were not saved; reopen the record to see the new version."
)


@pytest.fixture
def colleague_a(team_a):
    """A second caseworker of team A."""
    return UserFactory(username="colleague_a", team=team_a, role="caseworker")


def _edit_data(form_response, **changes) -> dict:
    """What the browser posts back: the form's initial values, with changes."""
    form = form_response.context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        data[name] = value.isoformat() if isinstance(value, dt.date) else value
    data.update(changes)
    return data


# --- through the pages --------------------------------------------------------


@pytest.mark.django_db
def test_second_save_of_the_case_form_is_refused_and_the_first_is_kept(
    case_a, caseworker_a, colleague_a, client_as
):
    url = reverse("integration:case_edit", args=[case_a.uuid])
    first, second = client_as(caseworker_a, language="en"), client_as(colleague_a, language="en")
    first_form, second_form = first.get(url), second.get(url)
    assert first_form.context["form"]["version"].value() == 1
    assert second_form.context["form"]["version"].value() == 1

    assert first.post(url, _edit_data(first_form, last_name="Haddad-Saleh")).status_code == 302

    response = second.post(url, _edit_data(second_form, languages="Arabic, English"))
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [REFUSED]
    assert REFUSED in response.content.decode()

    citizen = Citizen.objects.get(pk=case_a.citizen_id)
    assert citizen.last_name == "Haddad-Saleh"  # the first person's change is there
    assert citizen.languages == ""  # the second one's is not
    case_a.refresh_from_db()
    assert case_a.version == 2


@pytest.mark.django_db
def test_refused_case_save_is_explained_in_danish_too(case_a, caseworker_a, colleague_a, client_as):
    url = reverse("integration:case_edit", args=[case_a.uuid])
    first, second = client_as(caseworker_a), client_as(colleague_a)
    first_form, second_form = first.get(url), second.get(url)
    first.post(url, _edit_data(first_form, last_name="Haddad-Saleh"))
    response = second.post(url, _edit_data(second_form, languages="Arabisk"))
    assert response.status_code == 200
    assert "Dine ændringer blev ikke gemt" in response.content.decode()


@pytest.mark.django_db
def test_reloading_after_a_refusal_gives_the_new_version_and_then_saves(
    case_a, caseworker_a, colleague_a, client_as
):
    url = reverse("integration:case_edit", args=[case_a.uuid])
    first, second = client_as(caseworker_a), client_as(colleague_a)
    second_form = second.get(url)
    first.post(url, _edit_data(first.get(url), last_name="Haddad-Saleh"))
    assert second.post(url, _edit_data(second_form, languages="Arabic")).status_code == 200
    fresh = second.get(url)
    assert fresh.context["form"]["version"].value() == 2
    assert second.post(url, _edit_data(fresh, languages="Arabic")).status_code == 302
    citizen = Citizen.objects.get(pk=case_a.citizen_id)
    assert (citizen.last_name, citizen.languages) == ("Haddad-Saleh", "Arabic")


@pytest.mark.django_db
def test_second_save_of_a_placement_is_refused_and_the_first_is_kept(
    case_a, caseworker_a, colleague_a, provider_org, client_as
):
    placement = LadderPlacement.objects.get(case=case_a)
    url = reverse("integration:fact_edit", args=[case_a.uuid, "ladder", placement.uuid])
    first, second = client_as(caseworker_a, language="en"), client_as(colleague_a, language="en")
    first_form, second_form = first.get(url), second.get(url)
    assert first_form.context["form"]["version"].value() == 1

    response = first.post(url, _edit_data(first_form, end_date="2024-06-30"))
    assert response.status_code == 302

    response = second.post(url, _edit_data(second_form, step=LadderStep.INTERNSHIP_PUBLIC))
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [REFUSED]

    placement.refresh_from_db()
    assert placement.end_date == dt.date(2024, 6, 30)
    assert placement.step == LadderStep.INTERNSHIP_PRIVATE
    assert placement.version == 2


@pytest.mark.django_db
def test_second_close_of_the_same_case_is_refused(case_a, caseworker_a, colleague_a, client_as):
    url = reverse("integration:case_status", args=[case_a.uuid, "close"])
    first, second = client_as(caseworker_a, language="en"), client_as(colleague_a, language="en")
    first_form, second_form = first.get(url), second.get(url)
    data = {"reason": "moved_away", "on": "2024-05-01"}
    assert first.post(url, _edit_data(first_form, **data)).status_code == 302
    response = second.post(url, _edit_data(second_form, reason="deceased", on="2024-05-02"))
    assert response.status_code == 200
    assert REFUSED in response.content.decode()
    case_a.refresh_from_db()
    assert (case_a.closing_reason, case_a.closed_on) == ("moved_away", dt.date(2024, 5, 1))
    assert CaseStatusChange.objects.filter(case=case_a, to_status=CaseStatus.CLOSED).count() == 1


# --- the services -------------------------------------------------------------


def _fresh(case: Case) -> Case:
    return Case.objects.select_related("citizen").get(pk=case.pk)


@pytest.mark.django_db
def test_citizen_update_with_a_stale_version_raises_and_changes_nothing(case_a, caseworker_a):
    services.citizen_update(actor=caseworker_a, case=_fresh(case_a), version=1, languages="Arabic")
    changes_before = AccessLog.objects.filter(action=AccessAction.CHANGE).count()
    with pytest.raises(services.ConcurrentEditError):
        services.citizen_update(
            actor=caseworker_a, case=_fresh(case_a), version=1, last_name="Stale"
        )
    citizen = Citizen.objects.get(pk=case_a.citizen_id)
    assert (citizen.last_name, citizen.languages) == ("Haddad", "Arabic")
    assert _fresh(case_a).version == 2
    assert AccessLog.objects.filter(action=AccessAction.CHANGE).count() == changes_before


@pytest.mark.django_db
def test_case_assign_with_a_stale_version_raises(case_a, caseworker_a, colleague_a, team_a):
    services.citizen_update(actor=caseworker_a, case=_fresh(case_a), version=1, languages="Arabic")
    with pytest.raises(services.ConcurrentEditError):
        services.case_assign(
            actor=caseworker_a, case=_fresh(case_a), version=1, team=team_a, caseworker=colleague_a
        )
    assert _fresh(case_a).caseworker == caseworker_a


@pytest.mark.django_db
def test_case_transition_with_a_stale_version_raises_and_writes_no_status_row(case_a, caseworker_a):
    services.citizen_update(actor=caseworker_a, case=_fresh(case_a), version=1, languages="Arabic")
    with pytest.raises(services.ConcurrentEditError):
        services.case_transition(
            actor=caseworker_a,
            case=_fresh(case_a),
            version=1,
            to_status=CaseStatus.CLOSED,
            on=dt.date(2024, 5, 1),
            reason="moved_away",
        )
    case = _fresh(case_a)
    assert (case.status, case.closing_reason, case.next_deadline) == (
        CaseStatus.OPEN,
        "",
        dt.date(2024, 4, 10),
    )
    assert CaseStatusChange.objects.filter(case=case_a).count() == 1  # the opening only


@pytest.mark.django_db
def test_fact_save_with_a_stale_version_raises_and_changes_nothing(case_a, caseworker_a):
    stale = LadderPlacement.objects.get(case=case_a)
    winner = LadderPlacement.objects.get(case=case_a)
    winner.end_date = dt.date(2024, 6, 30)
    services.fact_save(actor=caseworker_a, case=case_a, fact=winner, version=1)
    stale.step = LadderStep.OTHER
    with pytest.raises(services.ConcurrentEditError):
        services.fact_save(actor=caseworker_a, case=case_a, fact=stale, version=1)
    placement = LadderPlacement.objects.get(case=case_a)
    assert (placement.step, placement.end_date, placement.version) == (
        LadderStep.INTERNSHIP_PRIVATE,
        dt.date(2024, 6, 30),
        2,
    )


@pytest.mark.django_db
def test_fact_save_of_an_existing_fact_needs_a_version(case_a, caseworker_a):
    placement = LadderPlacement.objects.get(case=case_a)
    placement.step = LadderStep.OTHER
    with pytest.raises(ValueError, match="needs the version"):
        services.fact_save(actor=caseworker_a, case=case_a, fact=placement)
    assert LadderPlacement.objects.get(case=case_a).step == LadderStep.INTERNSHIP_PRIVATE


@pytest.mark.django_db
def test_a_version_from_the_future_is_refused_too(case_a, caseworker_a):
    with pytest.raises(services.ConcurrentEditError):
        services.citizen_update(
            actor=caseworker_a, case=_fresh(case_a), version=7, last_name="Forged"
        )
    assert _fresh(case_a).version == 1


# --- real concurrency (PostgreSQL) --------------------------------------------

on_postgresql = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="SQLite serialises writers for the whole file; the race needs PostgreSQL",
)


def _race(*calls) -> list[str]:
    """Run each call in its own thread and connection, started together.

    Returns "won" or "refused" per call, in order.
    """
    barrier = threading.Barrier(len(calls))
    results: list[str | None] = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait(timeout=10)
            call()
            results[i] = "won"
        except services.ConcurrentEditError:
            results[i] = "refused"
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            results[i] = f"error: {exc!r}"
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_threads_closing_the_same_case_exactly_one_wins(team_a, caseworker_a, colleague_a):
    case = make_case(team=team_a, caseworker=caseworker_a, arrival=dt.date(2024, 1, 10))

    def close(actor, reason):
        def call():
            services.case_transition(
                actor=actor,
                case=_fresh(case),
                version=1,
                to_status=CaseStatus.CLOSED,
                on=dt.date(2024, 5, 1),
                reason=reason,
            )

        return call

    results = _race(close(caseworker_a, "moved_away"), close(colleague_a, "deceased"))
    assert sorted(results) == ["refused", "won"]
    winner_reason = "moved_away" if results[0] == "won" else "deceased"
    case = _fresh(case)
    assert (case.status, case.closing_reason, case.version) == ("closed", winner_reason, 2)
    assert CaseStatusChange.objects.filter(case=case, to_status=CaseStatus.CLOSED).count() == 1


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_threads_saving_the_same_placement_exactly_one_wins(team_a, caseworker_a, colleague_a):
    case = make_case(team=team_a, caseworker=caseworker_a, arrival=dt.date(2024, 1, 10))
    placement = place(case, step=LadderStep.INTERNSHIP_PRIVATE, start=dt.date(2024, 1, 12))
    for round_ in range(5):
        version = round_ + 1

        def save(actor, step, version=version):
            def call():
                fact = LadderPlacement.objects.get(pk=placement.pk)
                fact.step = step
                services.fact_save(actor=actor, case=_fresh(case), fact=fact, version=version)

            return call

        results = _race(
            save(caseworker_a, LadderStep.OTHER), save(colleague_a, LadderStep.WAGE_SUBSIDY_PUBLIC)
        )
        assert sorted(results) == ["refused", "won"], f"round {round_}: {results}"
        saved = LadderPlacement.objects.get(pk=placement.pk)
        winner_step = LadderStep.OTHER if results[0] == "won" else LadderStep.WAGE_SUBSIDY_PUBLIC
        assert (saved.step, saved.version) == (winner_step, version + 1)
