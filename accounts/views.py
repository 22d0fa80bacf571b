"""Sign-in, the language switch, and each role's landing page."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe
from django.views.i18n import set_language as django_set_language

from accounts import identity, throttle
from accounts.roles import Role


class BreakGlassAuthenticationForm(AuthenticationForm):
    """With single sign-on on, only administrators have a password here."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "sso_only": _(
            "Sign in with the municipality's login. Only administrators sign in "
            "with a password here."
        ),
    }

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if settings.OIDC_ISSUER and user.role != Role.ADMINISTRATOR:
            raise ValidationError(self.error_messages["sso_only"], code="sso_only")


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True
    authentication_form = BreakGlassAuthenticationForm

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "sso_enabled": bool(settings.OIDC_ISSUER)}

    def post(self, request, *args, **kwargs):
        if throttle.blocked(request):
            return render(request, "registration/throttled.html", status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        throttle.count_failure(self.request)
        return super().form_invalid(form)


class SignOutView(auth_views.LogoutView):
    """Django's sign-out, then, where the provider advertises it, the provider's."""

    def post(self, request, *args, **kwargs):
        at_provider = None
        if settings.OIDC_ISSUER:
            from accounts.oidc import end_session_url

            at_provider = end_session_url(request)  # read before the session ends
        response = super().post(request, *args, **kwargs)
        return HttpResponseRedirect(at_provider) if at_provider else response


@require_safe
def sign_in_refused(request: HttpRequest) -> HttpResponse:
    """Why the identity provider's sign-in was refused (set by accounts.oidc)."""
    reason = request.session.pop(identity.REFUSAL_SESSION_KEY, identity.FAILED)
    if reason not in identity.REASONS:
        reason = identity.FAILED
    return render(request, "accounts/sign_in_refused.html", {"reason": reason}, status=403)


def set_language(request: HttpRequest) -> HttpResponse:
    # Django's view already refuses a ``next`` that points at another host.
    return django_set_language(request)


LANDING = {
    Role.CASEWORKER: "integration:caseload",
    Role.PROVIDER: "integration:provider_home",
    Role.MANAGER: "evaluation:dashboard",
    Role.SECRETARIAT: "evaluation:report_list",
    Role.ADMINISTRATOR: "integration:admin_home",
}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    target = LANDING.get(request.user.role)
    if target is None:
        return render(request, "accounts/no_role.html", status=403)
    return redirect(target)
