"""Cases, citizens and referrals as a user may see them; organisations and ladder counts."""

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
from common.text import fold
from integration.models import (
    FACT_MODELS,
    Case,
    CaseFact,
    CaseStatus,
    Citizen,
    DanishCourse,
    LadderPlacement,
    ProviderOrganisation,
    Team,
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


def case_facts(case: Case) -> dict[str, list[CaseFact]]:
    """Every fact of the case by kind (``FACT_MODELS``' order), newest first: one query a kind."""
    facts = {}
    for kind, model in FACT_MODELS.items():
        qs = model.objects.filter(case=case)
        related = [
            f.name
            for f in model._meta.concrete_fields
            if f.is_relation and f.name in ("provider", "course")
        ]
        if related:
            qs = qs.select_related(*related)
        if kind == "absence":
            qs = qs.select_related("course__provider")
        facts[kind] = sorted(qs, key=lambda f: f.timeline_date(), reverse=True)
    return facts


def household_members_visible_to(user: User, citizen: Citizen) -> QuerySet[Citizen]:
    """The citizen's household, but for the citizen, limited to the cases the user may open.

    A household reference is free text, and typing another team's would
    otherwise name its family.
    """
    if not citizen.household_id:
        return Citizen.objects.none()
    # household_id and anonymised_on too: the related manager and full_name
    # read them on every member.
    return (
        citizen.household.members.exclude(pk=citizen.pk)
        .filter(case__in=cases_visible_to(user))
        .only("first_name", "last_name", "birth_date", "household_id", "anonymised_on")
    )


def case_of_citizen(citizen: Citizen) -> Case:
    return Case.objects.get(citizen=citizen)


def citizen_with_cpr(number: str) -> Citizen | None:
    """The citizen registered under ``number`` in the whole municipality, any team.

    For preventing duplicates only: the caller logs the look-up, and shows
    another team's citizen to no one."""
    return Citizen.objects.filter(cpr=number).first()


def citizens_with_uuids(uuids: Iterable[UUID | str]) -> QuerySet[Citizen]:
    """Just the ids, for the access log of a page that lists citizens by UUID."""
    return Citizen.objects.filter(uuid__in=list(uuids)).only("pk")


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
    """A full CPR number matches exactly, its first six digits (the birth date,
    DDMMYY) match every number that starts with them; anything else matches
    names, each word anywhere in the name, case and accents aside ("Karími"
    finds "Karimi" and "KARIMI": both sides folded, ``Citizen.search_name``)."""
    term = term.strip()
    if cpr.looks_like_cpr(term):
        return Q(**{f"{prefix}cpr": cpr.compact(term)})
    if cpr.looks_like_birth_date(term):
        return Q(**{f"{prefix}cpr__startswith": term[:6]})
    q = Q()
    for word in fold(term).split():
        q &= Q(**{f"{prefix}search_name__contains": word})
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


def get_provider_organisation(provider_uuid: UUID | str) -> ProviderOrganisation:
    try:
        return ProviderOrganisation.objects.get(uuid=provider_uuid)
    except (ProviderOrganisation.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


def teams() -> QuerySet[Team]:
    return Team.objects.all()


def team_by_pk(pk: int | None) -> Team | None:
    return Team.objects.filter(pk=pk).first() if pk is not None else None


def team_by_name(name: str) -> Team | None:
    return Team.objects.filter(name=name).first()


def teams_with_member_counts() -> QuerySet[Team]:
    return Team.objects.annotate(members_count=Count("members"))


def active_users() -> QuerySet[User]:
    """Every active user with their roles, team and organisation, by username."""
    return (
        User.objects.filter(is_active=True)
        .prefetch_related("groups")
        .select_related("team", "provider_organisation")
        .order_by("username")
    )


def case_count(*, status: str | None = None) -> int:
    qs = Case.objects.all()
    return (qs.filter(status=status) if status else qs).count()


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
