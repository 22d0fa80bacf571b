"""The provider organisations: the list, and the form to add or change one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from integration import selectors, services
from integration.forms import ProviderOrganisationForm


@login_required
@permission_required("integration.view_providerorganisation", raise_exception=True)
def provider_list(request: HttpRequest) -> HttpResponse:
    can_edit = request.user.has_perm("integration.change_providerorganisation")
    new = (_("New provider organisation"), reverse("integration:provider_create"))
    return render(
        request,
        "integration/provider_list.html",
        {
            "providers": selectors.provider_organisations(),
            "can_edit": can_edit,
            "actions": [new] if can_edit else [],
        },
    )


@login_required
@permission_required("integration.change_providerorganisation", raise_exception=True)
@require_http_methods(["GET", "POST"])
def provider_edit(request: HttpRequest, provider_uuid=None) -> HttpResponse:
    instance = selectors.get_provider_organisation(provider_uuid) if provider_uuid else None
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
