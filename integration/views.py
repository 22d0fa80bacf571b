"""Case pages: the caseload, one case, and the forms for every fact."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.roles import Role
from common import cpr
from common.countries import country_name
from integration import deadlines, selectors, services
from integration.forms import (
    FACT_FORMS,
    CaseCreateForm,
    CaseEditForm,
    CloseCaseForm,
    ProviderOrganisationForm,
    ReopenCaseForm,
)
from integration.models import (
    AccessAction,
    Case,
    CaseStatus,
    DeadlineKind,
    LadderStep,
    ProviderOrganisation,
    ResidenceBasis,
)


@dataclass(frozen=True)
class CaseRow:
    """One caseload line, with everything the template shows worked out."""

    uuid: str
    name: str
    masked_cpr: str
    arrival: dt.date
    days_since_arrival: int
    status: str
    caseworker: str
    team: str
    step: str
    next_deadline: dt.date | None
    deadline_label: str
    overdue: bool
    due_soon: bool
    placement_breach: bool
    open_topics: int


def _case_row(case: Case, today: dt.date) -> CaseRow:
    citizen = case.citizen
    nd = case.next_deadline
    return CaseRow(
        uuid=str(case.uuid),
        name=citizen.full_name,
        masked_cpr=cpr.masked(citizen.cpr),
        arrival=citizen.arrival_date,
        days_since_arrival=(today - citizen.arrival_date).days,
        status=case.get_status_display(),
        caseworker=(case.caseworker.get_full_name() or case.caseworker.username)
        if case.caseworker_id
        else "",
        team=case.team.name,
        step=str(LadderStep(case.current_step).label) if case.current_step else "",
        next_deadline=nd,
        deadline_label=DeadlineKind(case.next_deadline_kind).label
        if case.next_deadline_kind
        else "",
        overdue=bool(nd and nd < today),
        due_soon=bool(nd and today <= nd <= today + dt.timedelta(days=settings.DEADLINE_SOON_DAYS)),
        open_topics=case.open_topics,
        placement_breach=deadlines.is_placement_breach(
            citizen.arrival_date,
            case.first_placement_on,
            today,
            adult_at_arrival=citizen.adult_at_arrival,
        )
        if case.status == CaseStatus.OPEN or case.first_placement_on
        else False,
    )


def _filters_from(request: HttpRequest) -> selectors.CaseloadFilters:
    g = request.GET
    user = request.user
    default_scope = "mine" if user.role == Role.CASEWORKER else "all"
    scope = g.get("scope", default_scope)
    if scope not in {"mine", "team", "all"}:
        scope = default_scope
    status = g.get("status", CaseStatus.OPEN)
    if status not in {*CaseStatus.values, ""}:
        status = CaseStatus.OPEN
    basis = g.get("basis", "")
    if basis not in ResidenceBasis.values:
        basis = ""
    try:
        step = int(g.get("step") or 0) or None
    except ValueError:
        step = None
    if step is not None and step not in LadderStep.values:
        step = None
    team_id = None
    if selectors.can_see_all_cases(user) and g.get("team", "").isdigit():
        team_id = int(g["team"])
    sort = g.get("sort", "urgency")
    if sort not in selectors.CASELOAD_SORTS:
        sort = "urgency"
    return selectors.CaseloadFilters(
        scope=scope,
        status=status,
        residence_basis=basis,
        ladder_step=step,
        overdue=g.get("overdue") == "1",
        query=g.get("q", "").strip()[:100],
        team_id=team_id,
        sort=sort,
    )


@login_required
@permission_required("integration.view_case", raise_exception=True)
def caseload(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    filters = _filters_from(request)
    cpr_search = cpr.looks_like_cpr(filters.query)
    if cpr_search:
        # A full CPR number looks in every case the user may see, open or closed.
        scope = "all" if selectors.can_see_all_cases(request.user) else "team"
        filters = dataclasses.replace(filters, scope=scope, status="")
    qs = selectors.caseload(request.user, filters, today=today)
    page = Paginator(qs, settings.CASELOAD_PAGE_SIZE).get_page(request.GET.get("page"))
    cases = list(page.object_list)
    rows = [_case_row(case, today) for case in cases]
    if filters.query:
        services.access_log_write(
            user=request.user,
            action=AccessAction.SEARCH,
            search_term=cpr.masked(filters.query) if cpr_search else filters.query,
            citizens=[c.citizen for c in cases],
            what="caseload search",
            path=request.path,
        )
        if cpr_search and len(cases) == 1:
            # Straight to the case, so the full number leaves the address bar.
            return redirect("integration:case_detail", case_uuid=cases[0].uuid)
    elif cases:
        services.access_log_write(
            user=request.user,
            action=AccessAction.VIEW,
            citizens=[c.citizen for c in cases],
            what="caseload",
            path=request.path,
        )
    query = request.GET.copy()
    query.pop("page", None)
    from integration.models import Team

    return render(
        request,
        "integration/caseload.html",
        {
            "page": page,
            "rows": rows,
            "filters": filters,
            "query_string": query.urlencode(),
            "status_choices": CaseStatus.choices,
            "basis_choices": ResidenceBasis.choices,
            "step_choices": LadderStep.choices,
            "teams": Team.objects.all() if selectors.can_see_all_cases(request.user) else [],
            "can_create": request.user.has_perm("integration.add_case")
            and request.user.team_id is not None,
            "sorts": [
                ("urgency", _("Most urgent first")),
                ("name", _("Name")),
                ("arrival", _("Newest arrival")),
                ("arrival_asc", _("Oldest arrival")),
            ],
            "scopes": _scopes_for(request.user),
        },
    )


def _scopes_for(user) -> list[tuple[str, str]]:
    scopes = []
    if user.role == Role.CASEWORKER:
        scopes += [("mine", _("My cases")), ("team", _("My team"))]
    if selectors.can_see_all_cases(user):
        scopes.append(("all", _("All teams")))
    return scopes


@login_required
@permission_required("integration.add_case", raise_exception=True)
@require_http_methods(["GET", "POST"])
def case_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    initial = {
        "team": user.team_id,
        "caseworker": user.pk if user.role == Role.CASEWORKER else None,
    }
    form = CaseCreateForm(request.POST or None, initial=initial)
    if user.role != Role.ADMINISTRATOR:
        # A caseworker creates cases in their own team only.
        form.limit_to_team(user.team_id)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            case = services.case_create(
                actor=user,
                team=d["team"],
                caseworker=d["caseworker"],
                cpr=d["cpr"],
                first_name=d["first_name"],
                last_name=d["last_name"],
                nationality=d["nationality"],
                residence_basis=d["residence_basis"],
                arrival_date=d["arrival_date"],
                sex=d["sex"],
                languages=d["languages"],
                household_reference=d["household"],
                unaccompanied_minor=d["unaccompanied_minor"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The case was created."))
            return redirect("integration:case_detail", case_uuid=case.uuid)
    return render(
        request,
        "integration/form_page.html",
        {
            "form": form,
            "title": _("New case"),
            "cancel_url": reverse("integration:caseload"),
        },
    )


def _case_form_page(request: HttpRequest, form, case: Case, title: str) -> HttpResponse:
    """A form about one case, with the way back to its page."""
    return render(
        request,
        "integration/form_page.html",
        {
            "form": form,
            "case": case,
            "title": title,
            "cancel_url": reverse("integration:case_detail", args=[case.uuid]),
        },
    )


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _timeline(case: Case, facts: dict[str, list]) -> list[dict]:
    events = []
    for kind, items in facts.items():
        for fact in items:
            events.append(
                {"date": fact.timeline_date(), "text": fact.timeline_text(), "kind": kind}
            )
    for change in case.status_changes.all():
        if change.to_status == CaseStatus.CLOSED:
            text = _("Case closed: %(reason)s") % {"reason": change.get_reason_display()}
        elif change.from_status:
            text = _("Case reopened")
        else:
            text = _("Case opened (arrival)")
        if change.note:
            text = f"{text} – {change.note}"
        events.append({"date": change.changed_on, "text": text, "kind": "status"})
    events.sort(key=lambda e: e["date"], reverse=True)
    return events


def _load_facts(case: Case) -> dict[str, list]:
    """Every fact of the case, one query per kind."""
    facts = {}
    for kind, form_class in FACT_FORMS.items():
        model = form_class._meta.model
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


@login_required
def case_detail(request: HttpRequest, case_uuid) -> HttpResponse:
    case = selectors.get_case_for_user(request.user, case_uuid)
    today = timezone.localdate()
    citizen = case.citizen
    facts = _load_facts(case)
    show_full_cpr = request.GET.get("cpr") == "full"
    services.access_log_write(
        user=request.user,
        action=AccessAction.VIEW,
        citizen=citizen,
        what="case page, full CPR" if show_full_cpr else "case page",
        path=request.path,
    )
    current = next((p for p in facts["ladder"] if p.is_active_on(today)), None)
    can_edit = selectors.cases_editable_by(request.user).filter(pk=case.pk).exists()
    sections = []
    for kind, form_class in FACT_FORMS.items():
        meta = form_class._meta
        sections.append(
            {
                "kind": kind,
                "title": meta.model._meta.verbose_name_plural,
                "fields": [meta.model._meta.get_field(f) for f in meta.fields],
                "rows": [
                    {"uuid": f.uuid, "values": [_display(f, name) for name in meta.fields]}
                    for f in facts[kind]
                ],
            }
        )
    breach = (
        deadlines.is_placement_breach(
            citizen.arrival_date,
            case.first_placement_on,
            today,
            adult_at_arrival=citizen.adult_at_arrival,
        )
        if (case.status == CaseStatus.OPEN or case.first_placement_on)
        else False
    )
    household = []
    if citizen.household_id:
        household = [
            {"name": m.full_name, "age": m.age_on(today)}
            # household_id and anonymised_on too: the related manager and
            # full_name read them on every member. Only members whose case the
            # reader may open: a household reference is free text, and typing
            # another team's would otherwise name its family.
            for m in citizen.household.members.exclude(pk=citizen.pk)
            .filter(case__in=selectors.cases_visible_to(request.user))
            .only("first_name", "last_name", "birth_date", "household_id", "anonymised_on")
        ]
    return render(
        request,
        "integration/case_detail.html",
        {
            "case": case,
            "citizen": citizen,
            "cpr_display": citizen.formatted_cpr if show_full_cpr else citizen.masked_cpr,
            "show_full_cpr": show_full_cpr,
            "age": citizen.age_on(today),
            "nationality": country_name(citizen.nationality),
            "days_since_arrival": (today - citizen.arrival_date).days,
            "current_step": current.get_step_display() if current else "",
            "current_provider": current.provider if current else None,
            "next_deadline": case.next_deadline,
            "deadline_label": DeadlineKind(case.next_deadline_kind).label
            if case.next_deadline_kind
            else "",
            "overdue": bool(case.next_deadline and case.next_deadline < today),
            "placement_breach": breach,
            "first_placement_hours": deadlines.placement_hours(
                citizen.arrival_date, case.first_placement_on
            )
            if case.first_placement_on
            else None,
            "timeline": _timeline(case, facts),
            "sections": sections,
            "household": household,
            "can_edit": can_edit,
            "is_open": case.status == CaseStatus.OPEN,
        },
    )


def _display(fact, name: str) -> str:
    value = getattr(fact, name)
    field = fact._meta.get_field(name)
    if field.choices:
        return getattr(fact, f"get_{name}_display")()
    if name == "destination_country":
        return country_name(value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, dt.date):
        from django.utils.formats import date_format

        return date_format(value, "SHORT_DATE_FORMAT")
    if value is None:
        return ""
    if isinstance(value, Decimal):
        from django.utils.formats import number_format

        # 12,5 in Danish, 12.5 in English.
        return number_format(value)
    return str(value)


@login_required
@require_http_methods(["GET", "POST"])
def case_edit(request: HttpRequest, case_uuid) -> HttpResponse:
    case = selectors.get_case_for_user(request.user, case_uuid, for_edit=True)
    form = CaseEditForm(request.POST or None, initial=CaseEditForm.initial_for(case))
    if request.user.role != Role.ADMINISTRATOR:
        form.limit_to_team(request.user.team_id)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.citizen_update(
                actor=request.user,
                case=case,
                version=d["version"],
                first_name=d["first_name"],
                last_name=d["last_name"],
                sex=d["sex"] or case.citizen.sex,
                nationality=d["nationality"],
                languages=d["languages"],
                residence_basis=d["residence_basis"],
                arrival_date=d["arrival_date"],
                household_reference=d["household"],
                unaccompanied_minor=d["unaccompanied_minor"],
            )
            if (d["team"].pk, getattr(d["caseworker"], "pk", None)) != (
                case.team_id,
                case.caseworker_id,
            ):
                services.case_assign(
                    actor=request.user,
                    case=case,
                    version=case.version,
                    team=d["team"],
                    caseworker=d["caseworker"],
                )
        except services.ConcurrentEditError as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The case was saved."))
            return redirect("integration:case_detail", case_uuid=case.uuid)
    title = _("Edit case: %(name)s") % {"name": case.citizen.full_name}
    return _case_form_page(request, form, case, title)


@login_required
@require_http_methods(["GET", "POST"])
def case_status(request: HttpRequest, case_uuid, action: str) -> HttpResponse:
    case = selectors.get_case_for_user(request.user, case_uuid, for_edit=True)
    form_class = {"close": CloseCaseForm, "reopen": ReopenCaseForm}.get(action)
    if form_class is None:
        raise Http404
    form = form_class(request.POST or None, initial={"version": case.version})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.case_transition(
                actor=request.user,
                case=case,
                version=d["version"],
                to_status=form_class.to_status,
                on=d["on"],
                reason=d.get("reason", ""),
                note=d.get("note", ""),
            )
        except services.ConcurrentEditError as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request,
                _("The case was closed.") if action == "close" else _("The case was reopened."),
            )
            return redirect("integration:case_detail", case_uuid=case.uuid)
    title = _("Close case: %(name)s") if action == "close" else _("Reopen case: %(name)s")
    return _case_form_page(request, form, case, title % {"name": case.citizen.full_name})


@login_required
@require_http_methods(["GET", "POST"])
def fact_edit(request: HttpRequest, case_uuid, kind: str, fact_uuid=None) -> HttpResponse:
    form_class = FACT_FORMS.get(kind)
    if form_class is None:
        raise Http404
    case = selectors.get_case_for_user(request.user, case_uuid, for_edit=True)
    model = form_class._meta.model
    instance = selectors.get_fact_for_case(case, model, fact_uuid) if fact_uuid else None
    form = form_class(request.POST or None, instance=instance, case=case)
    if request.method == "POST" and form.is_valid():
        try:
            services.fact_save(
                actor=request.user,
                case=case,
                fact=form.instance,
                version=form.cleaned_data.get("version"),
            )
        except services.ConcurrentEditError as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(what)s was saved.") % {"what": str(model._meta.verbose_name).capitalize()},
            )
            return redirect(reverse("integration:case_detail", args=[case.uuid]) + f"#{kind}")
    verb = _("Edit") if instance else _("Add")
    title = f"{verb} {model._meta.verbose_name}: {case.citizen.full_name}"
    return _case_form_page(request, form, case, title)


# --- provider organisations -----------------------------------------------


@login_required
@permission_required("integration.view_providerorganisation", raise_exception=True)
def provider_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "integration/provider_list.html",
        {
            "providers": selectors.provider_organisations(),
            "can_edit": request.user.has_perm("integration.change_providerorganisation"),
        },
    )


@login_required
@permission_required("integration.change_providerorganisation", raise_exception=True)
@require_http_methods(["GET", "POST"])
def provider_edit(request: HttpRequest, provider_uuid=None) -> HttpResponse:
    instance = (
        get_object_or_404(ProviderOrganisation, uuid=provider_uuid) if provider_uuid else None
    )
    form = ProviderOrganisationForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        services.provider_organisation_save(actor=request.user, organisation=form.instance)
        messages.success(request, _("The provider organisation was saved."))
        return redirect("integration:provider_list")
    return render(
        request,
        "integration/form_page.html",
        {
            "form": form,
            "title": _("Edit provider organisation")
            if instance
            else _("New provider organisation"),
            "cancel_url": reverse("integration:provider_list"),
        },
    )


@login_required
def case_history(request: HttpRequest, case_uuid) -> HttpResponse:
    """Every change to the case with its old and new values."""
    case = selectors.get_case_for_user(request.user, case_uuid)
    services.access_log_write(
        user=request.user,
        action=AccessAction.VIEW,
        citizen=case.citizen,
        what="change history",
        path=request.path,
    )
    return render(
        request,
        "integration/case_history.html",
        {"case": case, "entries": selectors.case_change_history(case)},
    )
