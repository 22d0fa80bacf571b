"""Reads that other code may rely on, always scoped to a user.

A record the user may not see is answered with 404, exactly like a missing
one. Other apps read cases and citizens only through these functions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import ExtractYear
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Role
from common import cpr
from common.csvimport import CHUNK
from integration.models import (
    FACT_MODELS,
    Case,
    CaseFact,
    CaseStatus,
    Citizen,
    DanishCourse,
    LadderPlacement,
    ProviderOrganisation,
    User,
)


def _active_on(day: dt.date) -> Q:
    return Q(start_date__lte=day) & (Q(end_date__isnull=True) | Q(end_date__gte=day))


def can_see_all_cases(user: User) -> bool:
    return user.is_authenticated and user.has_perm("integration.view_all_cases")


def can_edit_cases(user: User) -> bool:
    return user.is_authenticated and user.has_perm("integration.change_case")


def cases_visible_to(user: User) -> QuerySet[Case]:
    """The cases a user may open: their team's, or all for managers and admins."""
    if not user.is_authenticated or not user.has_perm("integration.view_case"):
        return Case.objects.none()
    qs = Case.objects.all()
    if can_see_all_cases(user):
        return qs
    if user.team_id is None:
        return Case.objects.none()
    return qs.filter(team_id=user.team_id)


def cases_editable_by(user: User) -> QuerySet[Case]:
    if not can_edit_cases(user):
        return Case.objects.none()
    # An anonymised case is kept for the figures only: no one edits or reopens it.
    editable = Case.objects.filter(citizen__anonymised_on__isnull=True)
    if user.role == Role.ADMINISTRATOR:
        return editable
    if user.team_id is None:
        return Case.objects.none()
    return editable.filter(team_id=user.team_id)


def get_case_for_user(user: User, case_uuid: UUID | str, *, for_edit: bool = False) -> Case:
    qs = cases_editable_by(user) if for_edit else cases_visible_to(user)
    try:
        return qs.select_related("citizen", "team", "caseworker", "citizen__household").get(
            uuid=case_uuid
        )
    except (Case.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


def get_fact_for_case(case: Case, model: type[CaseFact], fact_uuid: UUID | str) -> CaseFact:
    try:
        return model.objects.get(case=case, uuid=fact_uuid)
    except (model.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


def current_step_subquery(day: dt.date) -> Subquery:
    return Subquery(
        LadderPlacement.objects.filter(Q(case=OuterRef("pk")) & _active_on(day))
        .order_by("-start_date")
        .values("step")[:1]
    )


@dataclass(frozen=True)
class CaseloadFilters:
    scope: str = "mine"  # "mine", "team" or "all"
    status: str = CaseStatus.OPEN
    residence_basis: str = ""
    ladder_step: int | None = None
    overdue: bool = False
    query: str = ""
    team_id: int | None = None
    sort: str = "urgency"


CASELOAD_SORTS = {
    # Open cases with the nearest deadline first; closed cases (no deadline) last.
    # SQLite sorts NULL first unless told, PostgreSQL last: say it for both.
    "urgency": [
        F("next_deadline").asc(nulls_last=True),
        "citizen__last_name",
        "citizen__first_name",
        "id",
    ],
    "name": ["citizen__last_name", "citizen__first_name", "id"],
    "arrival": ["-citizen__arrival_date", "citizen__last_name", "id"],
    "arrival_asc": ["citizen__arrival_date", "citizen__last_name", "id"],
}


def caseload(
    user: User, filters: CaseloadFilters, *, today: dt.date | None = None
) -> QuerySet[Case]:
    """The caseload list: visible cases, filtered, with the current ladder step."""
    today = today or timezone.localdate()
    qs = cases_visible_to(user)
    if filters.scope == "mine":
        qs = qs.filter(caseworker=user)
    elif filters.scope == "team" and user.team_id is not None:
        qs = qs.filter(team_id=user.team_id)
    if filters.team_id is not None:
        qs = qs.filter(team_id=filters.team_id)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.residence_basis:
        qs = qs.filter(citizen__residence_basis=filters.residence_basis)
    if filters.ladder_step:
        qs = qs.filter(
            Exists(
                LadderPlacement.objects.filter(
                    Q(case=OuterRef("pk"), step=filters.ladder_step) & _active_on(today)
                )
            )
        )
    if filters.overdue:
        qs = qs.filter(status=CaseStatus.OPEN, next_deadline__lt=today)
    if filters.query:
        qs = qs.filter(citizen_search_q(filters.query))
    order = CASELOAD_SORTS.get(filters.sort, CASELOAD_SORTS["urgency"])
    return (
        qs.select_related("citizen", "caseworker", "team")
        .annotate(current_step=current_step_subquery(today))
        .order_by(*order)
    )


def citizen_search_q(term: str, prefix: str = "citizen__") -> Q:
    """A full CPR number matches exactly; anything else matches names."""
    term = term.strip()
    if cpr.looks_like_cpr(term):
        return Q(**{f"{prefix}cpr": cpr.compact(term)})
    q = Q()
    for word in term.split():
        q &= Q(**{f"{prefix}first_name__icontains": word}) | Q(
            **{f"{prefix}last_name__icontains": word}
        )
    return q


# --- providers ------------------------------------------------------------


@dataclass(frozen=True)
class Referral:
    """What a provider may know: the citizen's name and the referral itself."""

    citizen_uuid: UUID
    name: str
    kind: str
    description: str
    start_date: dt.date
    end_date: dt.date | None


def referred_citizens_q(organisation_id: int, day: dt.date) -> Q:
    placements = LadderPlacement.objects.filter(
        Q(case__citizen=OuterRef("pk"), provider_id=organisation_id) & _active_on(day)
    )
    courses = DanishCourse.objects.filter(
        Q(case__citizen=OuterRef("pk"), provider_id=organisation_id) & _active_on(day)
    )
    return Q(Exists(placements)) | Q(Exists(courses))


def citizens_referred_to(user: User, *, today: dt.date | None = None) -> QuerySet[Citizen]:
    """Citizens with an active referral to the provider user's organisation."""
    today = today or timezone.localdate()
    if (
        not user.is_authenticated
        or not user.has_perm("integration.view_referred_citizens")
        or user.provider_organisation_id is None
    ):
        return Citizen.objects.none()
    return Citizen.objects.filter(referred_citizens_q(user.provider_organisation_id, today))


def referrals_for_provider(user: User, *, today: dt.date | None = None) -> list[Referral]:
    """Every active referral to the user's organisation, by citizen name.

    Two queries whatever the number of citizens; only names and referral
    fields leave the database.
    """
    today = today or timezone.localdate()
    org_id = user.provider_organisation_id
    if org_id is None or not user.has_perm("integration.view_referred_citizens"):
        return []
    rows: list[Referral] = []
    placements = LadderPlacement.objects.filter(Q(provider_id=org_id) & _active_on(today)).values(
        "case__citizen__uuid",
        "case__citizen__first_name",
        "case__citizen__last_name",
        "step",
        "start_date",
        "end_date",
    )
    from integration.models import LadderStep

    for p in placements:
        rows.append(
            Referral(
                p["case__citizen__uuid"],
                f"{p['case__citizen__first_name']} {p['case__citizen__last_name']}",
                "ladder",
                str(LadderStep(p["step"]).label),
                p["start_date"],
                p["end_date"],
            )
        )
    courses = DanishCourse.objects.filter(Q(provider_id=org_id) & _active_on(today)).values(
        "case__citizen__uuid",
        "case__citizen__first_name",
        "case__citizen__last_name",
        "module",
        "hours_per_week",
        "start_date",
        "end_date",
    )
    for c in courses:
        rows.append(
            Referral(
                c["case__citizen__uuid"],
                f"{c['case__citizen__first_name']} {c['case__citizen__last_name']}",
                "course",
                _("%(module)s, %(hours)s hours a week")
                % {"module": c["module"], "hours": c["hours_per_week"]},
                c["start_date"],
                c["end_date"],
            )
        )
    rows.sort(key=lambda r: (r.name.split()[-1].lower(), r.name.lower(), r.start_date))
    return rows


def get_referred_citizen(user: User, citizen_uuid: UUID | str) -> Citizen:
    """A citizen the provider user may score; 404 without an active referral."""
    try:
        return (
            citizens_referred_to(user)
            .only("uuid", "first_name", "last_name")
            .get(uuid=citizen_uuid)
        )
    except (Citizen.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


def provider_organisations() -> QuerySet[ProviderOrganisation]:
    return ProviderOrganisation.objects.all()


# --- aggregates -------------------------------------------------------------


def ladder_distribution(day: dt.date) -> dict[int, int]:
    """Open cases per ladder step on ``day`` (a case counts once, at its latest spell)."""
    steps = (
        Case.objects.filter(status=CaseStatus.OPEN)
        .annotate(step=current_step_subquery(day))
        .exclude(step__isnull=True)
        .values("step")
        .annotate(n=Count("id"))
    )
    return {row["step"]: row["n"] for row in steps}


def arrivals_by_year() -> list[dict]:
    """Arrivals per year by residence basis, and how many are still in the programme."""
    from integration.models import ResidenceBasis

    rows = (
        Citizen.objects.annotate(year=ExtractYear("arrival_date"))
        .values("year")
        .annotate(
            refugees=Count("id", filter=Q(residence_basis=ResidenceBasis.REFUGEE)),
            family=Count("id", filter=Q(residence_basis=ResidenceBasis.FAMILY_REUNIFIED)),
            in_programme=Count("id", filter=Q(case__status=CaseStatus.OPEN)),
        )
        .order_by("year")
    )
    return list(rows)


# --- access log -------------------------------------------------------------

# What the log page and the export show; nothing else leaves the database.
ACCESS_LOG_COLUMNS = (
    "at",
    "username",
    "action",
    "search_term",
    "what",
    "path",
    "citizen",
    "citizen__uuid",
    "citizen__cpr",
    "citizen__first_name",
    "citizen__last_name",
)


def can_read_access_log(user: User) -> bool:
    return user.is_authenticated and user.has_perm("integration.view_accesslog")


def access_log_entries(
    user: User,
    *,
    username: str | None = None,
    username_exact: bool = False,
    citizen: Citizen | None = None,
    action: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet:
    """Access-log rows the user may read, newest first, with the citizen joined.

    ``username`` matches the name stored on the row (it survives a rename),
    exactly or as a case-insensitive part. ``date_from`` and ``date_to`` are
    local calendar days, both inclusive.
    """
    from integration.models import AccessLog

    if not can_read_access_log(user):
        return AccessLog.objects.none()
    qs = AccessLog.objects.all()
    if username:
        qs = (
            qs.filter(username=username)
            if username_exact
            else qs.filter(username__icontains=username)
        )
    if citizen is not None:
        qs = qs.filter(citizen=citizen)
    if action:
        qs = qs.filter(action=action)
    local = timezone.get_current_timezone()
    if date_from is not None:
        qs = qs.filter(at__gte=dt.datetime.combine(date_from, dt.time.min, tzinfo=local))
    if date_to is not None:
        next_day = date_to + dt.timedelta(days=1)
        qs = qs.filter(at__lt=dt.datetime.combine(next_day, dt.time.min, tzinfo=local))
    return qs.select_related("citizen").only(*ACCESS_LOG_COLUMNS).order_by("-at", "-id")


def access_log_citizens_matching(user: User, term: str) -> QuerySet[Citizen]:
    """Citizens an access-log reader looks up by UUID, full CPR number or name."""
    term = term.strip()
    if not term or not can_read_access_log(user):
        return Citizen.objects.none()
    qs = Citizen.objects.only("uuid", "cpr", "first_name", "last_name")
    try:
        return qs.filter(uuid=UUID(term))
    except ValueError:
        pass
    return qs.filter(citizen_search_q(term, prefix="")).order_by("last_name", "first_name", "id")


def get_citizen_for_access_log(user: User, citizen_uuid: UUID | str) -> Citizen:
    """The citizen whose log an access-log reader asks for; 404 when not found."""
    if not can_read_access_log(user):
        raise Http404
    try:
        return Citizen.objects.only("uuid", "cpr", "first_name", "last_name").get(uuid=citizen_uuid)
    except (Citizen.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


# --- change history ---------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class HistoryEntry:
    at: dt.datetime
    user: str
    record: str
    kind: str  # "+" created, "~" changed, "-" deleted
    changes: list[FieldChange]


def case_change_history(case: Case, *, limit: int = 200) -> list[HistoryEntry]:
    """Old and new values of every change to the case, its citizen and facts.

    One query per model kind (history rows with their users), whatever the
    number of changes.
    """
    sources = [
        (case.citizen.history.model.objects.filter(id=case.citizen_id), Citizen),
        (case.history.model.objects.filter(id=case.pk), Case),
    ]
    for model in FACT_MODELS.values():
        sources.append((model.history.model.objects.filter(case_id=case.pk), model))
    entries: list[HistoryEntry] = []
    for qs, model in sources:
        rows = list(qs.select_related("history_user").order_by("id", "history_id"))
        previous: dict[int, object] = {}
        for row in rows:
            before = previous.get(row.id)
            changes = []
            if before is not None:
                delta = row.diff_against(before, excluded_fields=_HISTORY_HIDDEN)
                changes = [
                    FieldChange(
                        str(model._meta.get_field(c.field).verbose_name),
                        _history_value(model, c.field, c.old),
                        _history_value(model, c.field, c.new),
                    )
                    for c in delta.changes
                ]
                if not changes and row.history_type == "~":
                    previous[row.id] = row
                    continue
            entries.append(
                HistoryEntry(
                    at=row.history_date,
                    user=row.history_user.get_username() if row.history_user else "",
                    record=str(model._meta.verbose_name),
                    kind=row.history_type,
                    changes=changes,
                )
            )
            previous[row.id] = row
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]


# Bookkeeping fields whose changes say nothing to a reader of the history.
_HISTORY_HIDDEN = [
    "version",
    "first_placement_on",
    "next_deadline",
    "next_deadline_kind",
    "created_at",
    "created_by",
    "birth_date",
]


def _history_value(model, name: str, value) -> str:
    field = model._meta.get_field(name)
    if value is None or value == "":
        return "–"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if field.is_relation:
        related = field.related_model.objects.filter(pk=value).first()
        return str(related) if related else str(value)
    if isinstance(value, dt.date):
        return value.strftime("%d-%m-%Y")
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return str(value)


# --- cases by CPR number, for the imports ----------------------------------------


def cases_by_cpr(numbers: Iterable[str]) -> dict[str, Case]:
    numbers = sorted(set(numbers))
    cases: dict[str, Case] = {}
    for i in range(0, len(numbers), CHUNK):
        qs = Case.objects.filter(citizen__cpr__in=numbers[i : i + CHUNK]).select_related(
            "citizen", "citizen__household"
        )
        cases.update((case.citizen.cpr, case) for case in qs)
    return cases


@dataclass(frozen=True)
class CaseRef:
    """What the employment and measurement imports need of a stored case."""

    pk: int
    citizen_id: int
    arrival_date: dt.date


def case_refs_by_cpr(numbers: Iterable[str]) -> dict[str, CaseRef]:
    """The cases of these CPR numbers as plain values: for 10,000 numbers a
    tenth of the time that building Case and Citizen instances takes."""
    numbers = sorted(set(numbers))
    refs: dict[str, CaseRef] = {}
    for i in range(0, len(numbers), CHUNK):
        rows = Case.objects.filter(citizen__cpr__in=numbers[i : i + CHUNK]).values_list(
            "citizen__cpr", "pk", "citizen_id", "citizen__arrival_date"
        )
        refs.update((number, CaseRef(*values)) for number, *values in rows)
    return refs


def provider_spells(
    case_ids: Iterable[int],
) -> dict[int, list[tuple[int, dt.date, dt.date | None]]]:
    """Case id → (provider organisation id, start, end) of every ladder placement
    and Danish course with a provider: two queries per 500 cases."""
    ids = sorted(set(case_ids))
    spells: dict[int, list[tuple[int, dt.date, dt.date | None]]] = {}
    for i in range(0, len(ids), CHUNK):
        for model in (LadderPlacement, DanishCourse):
            rows = model.objects.filter(
                case_id__in=ids[i : i + CHUNK], provider__isnull=False
            ).values_list("case_id", "provider_id", "start_date", "end_date")
            for case_id, provider_id, start, end in rows:
                spells.setdefault(case_id, []).append((provider_id, start, end))
    return spells
