"""The provider's scoring page for a referred citizen."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from integration import selectors as case_selectors
from integration import services as case_services
from integration.forms import add_service_errors
from integration.models import AccessAction
from progression import selectors, services
from progression.forms import ProviderDateForm, ProviderScoreForm, score_field_name
from progression.models import Rater


def _rows(form, questionnaire) -> list[dict]:
    return [
        {
            "number": item.number,
            # Item 13 from version 2 asks the provider for its own view of the citizen.
            "label": item.staff_text("label") or item.text("label"),
            "question": item.staff_text("question") or item.text("question"),
            "own_view": bool(item.staff_text("question")),
            "scale": item.text("scale"),
            "field": form[score_field_name(Rater.PROVIDER, item.number)],
        }
        for item in selectors.items_of(questionnaire)
    ]


def _day(request: HttpRequest):
    """The date the page opens with: ``?date=``, else today."""
    date_form = ProviderDateForm(request.GET or None)
    if request.GET and date_form.is_valid():
        return date_form.cleaned_data["date"], date_form
    return timezone.localdate(), ProviderDateForm(initial={"date": timezone.localdate()})


def _opened(column, day) -> dict:
    """The form's initial values: the column already there for that date."""
    initial = {"measured_on": day, "shown": ProviderScoreForm.encode(column.scores)}
    for n, score in column.scores.items():
        initial[score_field_name(Rater.PROVIDER, n)] = "" if score is None else score
    return initial


def _post(request, case, form) -> bool:
    """Save the posted column; False (and the form's errors) when refused."""
    d = form.cleaned_data
    try:
        services.provider_scores_save(
            actor=request.user,
            case=case,
            measured_on=d["measured_on"],
            scores=form.scores()[Rater.PROVIDER],
            shown=form.shown_scores(),
        )
    except ValidationError as exc:
        add_service_errors(form, exc)
        return False
    messages.success(request, _("Your scores were saved. Thank you."))
    return True


@login_required
@permission_required("progression.score_as_provider", raise_exception=True)
@require_http_methods(["GET", "POST"])
def provider_score(request: HttpRequest, citizen_uuid) -> HttpResponse:
    """A provider scores a referred citizen; the page shows the name and nothing else."""
    citizen = case_selectors.get_referred_citizen(request.user, citizen_uuid)
    questionnaire = selectors.questionnaire_current_or_none()
    if questionnaire is None:
        raise Http404("No questionnaire has been published.")
    case = case_selectors.case_of_citizen(citizen)
    org_id = request.user.provider_organisation_id
    day, date_form = _day(request)
    form = ProviderScoreForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        day = form.cleaned_data["measured_on"]
        if _post(request, case, form):
            return redirect("integration:provider_home")
    column = selectors.provider_column(case, org_id, day)
    stale = form.is_bound and form.has_error(NON_FIELD_ERRORS, "stale")
    if request.method == "GET" or stale:
        # The page shows what is there; a stale post is shown the scores it missed.
        form = ProviderScoreForm(initial=_opened(column, day))
    case_services.access_log_request(
        request, action=AccessAction.VIEW, citizen=citizen, what="provider scoring"
    )
    name = f"{citizen.first_name} {citizen.last_name}"
    context = {"form": form, "name": name, "rows": _rows(form, questionnaire), "day": day}
    context.update(date_form=date_form, column=column, stale=stale)
    return render(request, "progression/provider_score.html", context)
