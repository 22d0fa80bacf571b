"""One case: create it, its page, edit it, close or reopen it, and its change history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.roles import Role
from common import addresses, cpr
from common.countries import country_name
from integration import deadlines, selectors, services
from integration.forms import (
    FACT_FORMS,
    CaseCreateForm,
    CaseEditForm,
    CloseCaseForm,
    ReopenCaseForm,
    add_service_errors,
)
from integration.models import AccessAction, Case, CaseStatus, Citizen, JournalNote
from integration.views.caseload import deadline_label, placement_breach


def case_form_page(request: HttpRequest, form, case: Case, title: str, what: str) -> HttpResponse:
    """A form about one case, with the way back to its page.

    The page names the citizen (and a fact form shows the fact), so showing it
    is a read and is logged, whether it is the first look or a refused save."""
    services.access_log_request(request, action=AccessAction.VIEW, citizen=case.citizen, what=what)
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


def _citizen_fields(data: dict) -> dict:
    """The citizen's fields of a case form, as the services take them."""
    names = ["first_name", "last_name", "nationality", "languages", "residence_basis"]
    names += ["arrival_date", "unaccompanied_minor"]
    return {
        **{name: data[name] for name in names},
        "household_reference": data["household"],
    }


def _create_form(request: HttpRequest) -> CaseCreateForm:
    user = request.user
    form = CaseCreateForm(request.POST or None)
    if user.role != Role.ADMINISTRATOR:
        # A caseworker creates cases in their own team only.
        form.limit_to_team(user.team_id)
    form.default_for(user)
    return form


def _registered_already(request: HttpRequest, form: CaseCreateForm) -> bool:
    """Refuse a CPR number the municipality has registered, without saying where.

    A municipality keeps one case per citizen, so the refusal itself tells that
    the person is known. The look-up is therefore logged as a CPR search, and
    the message names no team: the caseworker opens the case if it is theirs
    to see, and otherwise asks an administrator for a transfer.
    """
    number = form.cleaned_data["cpr"]
    citizen = selectors.citizen_with_cpr(number)
    if citizen is None:
        return False
    services.access_log_search(
        request,
        term=cpr.masked(number),
        citizens=[citizen],
        what="new case: CPR number registered already",
    )
    if selectors.cases_visible_to(request.user).filter(citizen=citizen).exists():
        message = _(
            "This CPR number is registered already. Find the citizen's case in the caseload."
        )
    else:
        message = _(
            "This CPR number cannot be used for a new case. If the citizen is known in the "
            "municipality, ask an administrator to transfer the case to your team."
        )
    form.add_error("cpr", message)
    return True


@login_required
@permission_required("integration.add_case", raise_exception=True)
@require_http_methods(["GET", "POST"])
def case_create(request: HttpRequest) -> HttpResponse:
    form = _create_form(request)
    if request.method == "POST" and form.is_valid() and not _registered_already(request, form):
        d = form.cleaned_data
        try:
            case = services.case_create(
                actor=request.user,
                team=d["team"],
                caseworker=d["caseworker"],
                cpr=d["cpr"],
                sex=d["sex"],
                **_citizen_fields(d),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
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


def _timeline(case: Case, facts: dict[str, list], notes: list[JournalNote]) -> list[dict]:
    events = [
        {"date": note.happened_on, "text": note.timeline_text(), "kind": "note"} for note in notes
    ]
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
        return date_format(value, "SHORT_DATE_FORMAT")
    if value is None:
        return ""
    if isinstance(value, Decimal):
        # 12,5 in Danish, 12.5 in English.
        return number_format(value)
    return str(value)


def _sections(case: Case, facts: dict[str, list]) -> list[dict]:
    """One table per kind of fact, with its columns, and its rows' shown values
    and edit addresses."""
    sections = []
    for kind, form_class in FACT_FORMS.items():
        meta = form_class._meta
        edit_address = addresses.by_uuid("integration:fact_edit", case.uuid, kind)
        sections.append(
            {
                "kind": kind,
                "title": meta.model._meta.verbose_name_plural,
                "fields": [meta.model._meta.get_field(f) for f in meta.fields],
                "rows": [
                    {
                        "uuid": f.uuid,
                        "values": [_display(f, name) for name in meta.fields],
                        "edit_url": edit_address(f.uuid),
                    }
                    for f in facts[kind]
                ],
            }
        )
    return sections


def _header(case: Case, citizen: Citizen, facts: dict[str, list], today: dt.date) -> dict:
    """The case page header's values."""
    current = next((p for p in facts["ladder"] if p.is_active_on(today)), None)
    return {
        "age": citizen.age_on(today),
        "nationality": country_name(citizen.nationality),
        "days_since_arrival": (today - citizen.arrival_date).days,
        "current_step": current.get_step_display() if current else "",
        "current_provider": current.provider if current else None,
        "next_deadline": case.next_deadline,
        "deadline_label": deadline_label(case),
        "overdue": bool(case.next_deadline and case.next_deadline < today),
        "placement_breach": placement_breach(case, today),
        "first_placement_hours": deadlines.placement_hours(
            citizen.arrival_date, case.first_placement_on
        )
        if case.first_placement_on
        else None,
    }


def _journal(user, case: Case, notes: list[JournalNote], can_edit: bool) -> dict:
    """The case page's journal notes, each with whether this user may still change it."""
    now = timezone.now()
    return {
        "can_read_notes": selectors.can_read_notes(user),
        "can_write_notes": can_edit and selectors.can_write_notes(user),
        "notes": [
            {
                "note": note,
                "author": (note.created_by.get_full_name() or note.created_by.get_username())
                if note.created_by
                else "",
                "editable": can_edit and note.is_editable_by(user, now=now),
                "locked": now >= note.locked_at,
            }
            for note in notes
        ],
    }


@login_required
def case_detail(request: HttpRequest, case_uuid) -> HttpResponse:
    case = selectors.get_case_for_user(request.user, case_uuid)
    today = timezone.localdate()
    citizen = case.citizen
    facts = selectors.case_facts(case)
    notes = selectors.notes_of_case(request.user, case)
    can_edit = selectors.cases_editable_by(request.user).filter(pk=case.pk).exists()
    show_full_cpr = request.GET.get("cpr") == "full"
    services.access_log_request(
        request,
        action=AccessAction.VIEW,
        citizen=citizen,
        what="case page, full CPR" if show_full_cpr else "case page",
    )
    household = [
        {"name": m.full_name, "age": m.age_on(today)}
        for m in selectors.household_members_visible_to(request.user, citizen)
    ]
    return render(
        request,
        "integration/case_detail.html",
        {
            "case": case,
            "citizen": citizen,
            "cpr_display": citizen.formatted_cpr if show_full_cpr else citizen.masked_cpr,
            "show_full_cpr": show_full_cpr,
            **_header(case, citizen, facts, today),
            "timeline": _timeline(case, facts, notes),
            "sections": _sections(case, facts),
            "household": household,
            "can_edit": can_edit,
            "is_open": case.status == CaseStatus.OPEN,
            "can_export_record": selectors.can_export_record(request.user),
            **_journal(request.user, case, notes, can_edit),
        },
    )


def _save_case_edit(user, case: Case, d: dict) -> None:
    """The citizen's changes, then the team and caseworker if they changed."""
    services.citizen_update(
        actor=user,
        case=case,
        version=d["version"],
        sex=d["sex"] or case.citizen.sex,
        **_citizen_fields(d),
    )
    assigned = (d["team"].pk, getattr(d["caseworker"], "pk", None))
    if assigned != (case.team_id, case.caseworker_id):
        services.case_assign(
            actor=user, case=case, version=case.version, team=d["team"], caseworker=d["caseworker"]
        )


@login_required
@require_http_methods(["GET", "POST"])
def case_edit(request: HttpRequest, case_uuid) -> HttpResponse:
    case = selectors.get_case_for_user(request.user, case_uuid, for_edit=True)
    form = CaseEditForm(request.POST or None, initial=CaseEditForm.initial_for(case))
    if request.user.role != Role.ADMINISTRATOR:
        form.limit_to_team(request.user.team_id)
    if request.method == "POST" and form.is_valid():
        try:
            _save_case_edit(request.user, case, form.cleaned_data)
        except (services.ConcurrentEditError, ValidationError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The case was saved."))
            return redirect("integration:case_detail", case_uuid=case.uuid)
    title = _("Edit case: %(name)s") % {"name": case.citizen.full_name}
    return case_form_page(request, form, case, title, what="case edit form")


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
        except (services.ConcurrentEditError, ValidationError) as exc:
            add_service_errors(form, exc)
        else:
            closed = action == "close"
            messages.success(
                request, _("The case was closed.") if closed else _("The case was reopened.")
            )
            return redirect("integration:case_detail", case_uuid=case.uuid)
    title = _("Close case: %(name)s") if action == "close" else _("Reopen case: %(name)s")
    name = {"name": case.citizen.full_name}
    return case_form_page(request, form, case, title % name, what=f"case {action} form")


@login_required
def case_history(request: HttpRequest, case_uuid) -> HttpResponse:
    """Every change to the case with its old and new values."""
    case = selectors.get_case_for_user(request.user, case_uuid)
    services.access_log_request(
        request, action=AccessAction.VIEW, citizen=case.citizen, what="change history"
    )
    return render(
        request,
        "integration/case_history.html",
        {
            "case": case,
            "entries": selectors.case_change_history(
                case, with_notes=selectors.can_read_notes(request.user)
            ),
        },
    )
