"""The signed-in user's own settings page: language of e-mails, the morning e-mail."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.roles import Role
from integration import services
from integration.forms import UserSettingsForm


@login_required
@require_http_methods(["GET", "POST"])
def account_settings(request: HttpRequest) -> HttpResponse:
    user = request.user
    # The morning e-mail goes to caseworkers; others are not offered a switch.
    digest = user.role == Role.CASEWORKER
    form = UserSettingsForm(request.POST or None, instance=user, digest=digest)
    if request.method == "POST" and form.is_valid():
        services.user_settings_update(
            user=user,
            language=form.cleaned_data["language"],
            deadline_digest=form.cleaned_data.get("deadline_digest", user.deadline_digest),
        )
        messages.success(request, _("Your settings were saved."))
        return redirect("integration:account_settings")
    return render(
        request,
        "integration/account_settings.html",
        {
            "form": form,
            "title": _("My settings"),
            "digest": digest,
            "email": user.email,
            # The password button of the menu moved here; single sign-on users have none.
            "has_password": user.has_usable_password(),
        },
    )
