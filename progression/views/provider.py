"""The provider's scoring page for a referred citizen."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from integration import selectors as case_selectors
from integration import services as case_services
from integration.models import AccessAction
from progression import selectors, services
from progression.forms import ProviderScoreForm, score_field_name
from progression.models import Rater


def _rows(form, questionnaire) -> list[dict]:
    return [
        {
            "number": item.number,
            "label": item.text("label"),
            "question": item.text("question"),
            "scale": item.text("scale"),
            "field": form[score_field_name(Rater.PROVIDER, item.number)],
        }
        for item in selectors.items_of(questionnaire)
    ]


@login_required
@permission_required("progression.score_as_provider", raise_exception=True)
@require_http_methods(["GET", "POST"])
def provider_score(request: HttpRequest, citizen_uuid) -> HttpResponse:
    """A provider scores a referred citizen; the page shows the name and nothing else."""
    citizen = case_selectors.get_referred_citizen(request.user, citizen_uuid)
    questionnaire = selectors.questionnaire_current_or_none()
    if questionnaire is None:
        raise Http404("No questionnaire has been published.")
    form = ProviderScoreForm(request.POST or None, initial={"measured_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.provider_scores_save(
                actor=request.user,
                case=case_selectors.case_of_citizen(citizen),
                measured_on=form.cleaned_data["measured_on"],
                scores=form.scores()[Rater.PROVIDER],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Your scores were saved. Thank you."))
            return redirect("integration:provider_home")
    case_services.access_log_request(
        request, action=AccessAction.VIEW, citizen=citizen, what="provider scoring"
    )
    name = f"{citizen.first_name} {citizen.last_name}"
    context = {"form": form, "name": name, "rows": _rows(form, questionnaire)}
    return render(request, "progression/provider_score.html", context)
