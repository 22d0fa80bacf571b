"""Adding and changing the facts of a case: one form per kind of fact."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from integration import selectors, services
from integration.forms import FACT_FORMS, add_service_errors
from integration.views.cases import case_form_page


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
        except (services.ConcurrentEditError, ValidationError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(what)s was saved.") % {"what": str(model._meta.verbose_name).capitalize()},
            )
            return redirect(reverse("integration:case_detail", args=[case.uuid]) + f"#{kind}")
    verb = _("Edit") if instance else _("Add")
    title = f"{verb} {model._meta.verbose_name}: {case.citizen.full_name}"
    return case_form_page(request, form, case, title, what=f"{kind} form")
