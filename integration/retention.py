"""Retention: anonymise cases closed long ago, and let the access log expire.

A case closed longer ago than ``CASE_RETENTION_DAYS`` keeps what the reports
count and loses what says who the person was.

Kept: arrival date, date of birth (the monthly figures count adults and
children on a day), residence basis, the 18-or-over-at-arrival flag and the
3/6/12-month horizons, team, status, closing reason and date, and every dated
fact: ladder placements, Danish courses and monthly absence, employment
spells, integration contract and plan, health assessment (status and dates,
all it ever holds), follow-up dates, repatriations, and the progression
scores and indexes.

Cleared, in the rows and in every history row that holds their old values:
name, CPR number (NULL), sex, nationality, languages, household,
unaccompanied-minor flag, the asylum centre of the screening visit, the
housing locality, every note (the journal notes' words too), and the words
of agreed dialogue topics. An access-log search term that holds the CPR
number or the last name is blanked.
The anonymised case can still be read, and no one can edit or reopen it.
The apps above this one clear their own rows of the case through their
AppConfig's ``anonymise_cases`` hook (progression clears the agreements),
so retention does not know their models.

Access-log rows older than ``ACCESS_LOG_RETENTION_DAYS`` are deleted whole:
a row is a fact about who looked at whom, and nothing else needs it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.apps import apps as global_apps
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from common import cpr as cpr_numbers
from integration.models import (
    AccessAction,
    AccessLog,
    Case,
    CaseStatus,
    CaseStatusChange,
    Citizen,
    FollowUp,
    Household,
    HousingPlacement,
    JournalNote,
    ScreeningVisit,
)

# The citizen's fields that say who they are, and what they become.
CITIZEN_CLEARED: dict[str, object] = {
    "cpr": None,
    "first_name": "",
    "last_name": "",
    "sex": "",
    "nationality": "",
    "languages": "",
    "household": None,
    "unaccompanied_minor": False,
}
# Free text and places in the facts of a case.
FACTS_CLEARED: dict[type, dict[str, str]] = {
    ScreeningVisit: {"location": "", "note": ""},
    HousingPlacement: {"locality": ""},
    FollowUp: {"note": ""},
    JournalNote: {"text": ""},
}


@dataclass(frozen=True)
class RetentionPlan:
    """What a run would do: the cases due, by UUID and closing date, and the log rows due."""

    cases_closed_before: dt.date
    log_rows_before: dt.datetime
    cases: list[tuple[str, dt.date]]
    log_rows: int


@dataclass(frozen=True)
class RetentionResult:
    cases_anonymised: int
    log_rows_deleted: int
    search_terms_blanked: int
    users_deactivated: int = 0


def _cutoffs(now: dt.datetime) -> tuple[dt.date, dt.datetime]:
    today = timezone.localdate(now)
    return (
        today - dt.timedelta(days=settings.CASE_RETENTION_DAYS),
        now - dt.timedelta(days=settings.ACCESS_LOG_RETENTION_DAYS),
    )


def cases_due(*, closed_before: dt.date):
    """Closed cases, not yet anonymised, closed before ``closed_before``.

    A case reopened since has status open and is never due.
    """
    return Case.objects.filter(
        status=CaseStatus.CLOSED,
        closed_on__lt=closed_before,
        citizen__anonymised_on__isnull=True,
    ).order_by("closed_on", "pk")


def retention_plan(*, now: dt.datetime | None = None) -> RetentionPlan:
    now = now or timezone.now()
    case_cutoff, log_cutoff = _cutoffs(now)
    due = cases_due(closed_before=case_cutoff).values_list("uuid", "closed_on")
    return RetentionPlan(
        cases_closed_before=case_cutoff,
        log_rows_before=log_cutoff,
        cases=[(str(u), closed_on) for u, closed_on in due],
        log_rows=AccessLog.objects.filter(at__lt=log_cutoff).count(),
    )


def _search_terms_naming(citizen: Citizen) -> Q:
    needles = {citizen.last_name.strip()}
    if citizen.cpr:
        needles |= {citizen.cpr, cpr_numbers.formatted(citizen.cpr)}
    q = Q(pk__in=[])
    for needle in needles:
        if len(needle) >= 2:
            q |= Q(search_term__icontains=needle)
    return q


@transaction.atomic
def case_anonymise(*, case: Case, today: dt.date) -> int:
    """Clear everything that identifies the case's citizen; return the search terms blanked.

    Does nothing to a citizen already anonymised, so a second run changes nothing.
    """
    citizen = Citizen.objects.select_for_update().get(pk=case.citizen_id)
    if citizen.anonymised_on is not None:
        return 0
    blanked = (
        AccessLog.objects.filter(_search_terms_naming(citizen))
        .exclude(search_term="")
        .retention_blank_search_terms()
    )
    household_id = citizen.household_id
    for name, value in CITIZEN_CLEARED.items():
        setattr(citizen, name, value)
    citizen.anonymised_on = today
    # The row no longer passes Citizen.clean (no CPR number, no name), which is
    # the point: no form or service can save it again (the case is not
    # editable). One history row records the anonymisation by the system.
    citizen._history_user = None
    citizen.search_name = ""
    citizen.save(update_fields=[*CITIZEN_CLEARED, "search_name", "anonymised_on"])
    Citizen.history.model.objects.filter(id=citizen.pk).update(**CITIZEN_CLEARED)

    if household_id is not None and not Citizen.objects.filter(household_id=household_id).exists():
        household = Household.objects.get(pk=household_id)
        cleared = {"reference": household.uuid.hex}
        Household.objects.filter(pk=household_id).update(**cleared)
        Household.history.model.objects.filter(id=household_id).update(**cleared)

    for model, fields in FACTS_CLEARED.items():
        model.objects.filter(case=case).update(**fields)
        model.history.model.objects.filter(case_id=case.pk).update(**fields)
    CaseStatusChange.objects.filter(case=case).update(note="")
    _apps_anonymise([case.pk])
    return blanked


def _apps_anonymise(case_ids: list[int]) -> None:
    """Ask every app that keeps rows of cases to clear them (its ``anonymise_cases`` hook)."""
    for config in global_apps.get_app_configs():
        hook = getattr(config, "anonymise_cases", None)
        if hook:
            hook(case_ids=case_ids)


@transaction.atomic
def access_log_expire(*, before: dt.datetime) -> int:
    """Delete access-log rows written before ``before``; return how many."""
    return AccessLog.objects.filter(at__lt=before).retention_delete()


def retention_apply(*, now: dt.datetime | None = None) -> RetentionResult:
    """Anonymise every case due, expire the access log, and log the run once.

    Each case is anonymised in its own transaction: a run that stops halfway
    leaves whole cases, and the next run carries on where it stopped.
    """
    from integration.services import access_log_write, pending_uploads_expire
    from integration.services.sign_in import sso_users_deactivate

    now = now or timezone.now()
    case_cutoff, log_cutoff = _cutoffs(now)
    today = timezone.localdate(now)
    anonymised = blanked = 0
    for case in cases_due(closed_before=case_cutoff).only("pk", "citizen_id").iterator():
        blanked += case_anonymise(case=case, today=today)
        anonymised += 1
    deleted = access_log_expire(before=log_cutoff)
    uploads = pending_uploads_expire(now=now)
    # Someone who left is removed at the identity provider and never signs in again.
    deactivated = sso_users_deactivate(now=now, days=settings.OIDC_INACTIVE_DAYS)
    # Sessions past their age may still hold what a page once kept there.
    call_command("clearsessions")
    access_log_write(
        user=None,
        action=AccessAction.CHANGE,
        what=(
            f"retention: {anonymised} cases closed before {case_cutoff.isoformat()} "
            f"anonymised, {deleted} access-log rows before {log_cutoff.date().isoformat()} "
            f"deleted, {blanked} search terms blanked, {uploads} waiting uploads deleted, "
            f"{deactivated} single sign-on users deactivated"
        ),
        # Anonymising a case may move any day it counted on; the rest of a
        # run (log rows, uploads, sessions, users) moves no figure of a case.
        only_scores_on=None if anonymised else (),
    )
    return RetentionResult(
        cases_anonymised=anonymised,
        log_rows_deleted=deleted,
        search_terms_blanked=blanked,
        users_deactivated=deactivated,
    )
