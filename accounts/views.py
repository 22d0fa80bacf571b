"""Sign-in, the language switch, and each role's landing page."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.i18n import set_language as django_set_language

from accounts import throttle
from accounts.roles import Role


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        if throttle.blocked(request):
            return render(request, "registration/throttled.html", status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        throttle.count_failure(self.request)
        return super().form_invalid(form)


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
