"""The menu of the signed-in user's role, ready for base.html."""

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.roles import Role


def menu_for(user) -> list[tuple[str, str]]:
    if not user.is_authenticated:
        return []
    role = user.role
    items: list[tuple[str, str]] = []
    if role == Role.CASEWORKER:
        items = [
            (_("Tasks"), reverse("integration:tasks")),
            (_("My cases"), reverse("integration:caseload") + "?scope=mine"),
            (_("Team caseload"), reverse("integration:caseload") + "?scope=team"),
            (_("New case"), reverse("integration:case_create")),
            (_("Provider organisations"), reverse("integration:provider_list")),
        ]
    elif role == Role.MANAGER:
        items = [
            (_("Dashboard"), reverse("evaluation:dashboard")),
            (_("Overview"), reverse("integration:manager_home")),
            (_("Reports"), reverse("evaluation:report_list")),
            (_("Benchmarks"), reverse("evaluation:benchmark_list")),
            (_("All cases"), reverse("integration:caseload") + "?scope=all"),
            (_("Tasks"), reverse("integration:tasks")),
            (_("Provider organisations"), reverse("integration:provider_list")),
        ]
    elif role == Role.PROVIDER:
        items = [(_("Referred citizens"), reverse("integration:provider_home"))]
    elif role == Role.SECRETARIAT:
        items = [
            (_("Reports"), reverse("evaluation:report_list")),
            (_("Figures"), reverse("evaluation:secretariat_home")),
        ]
    elif role == Role.ADMINISTRATOR:
        items = [
            (_("Dashboard"), reverse("evaluation:dashboard")),
            (_("Administration"), reverse("integration:admin_home")),
            (_("Reports"), reverse("evaluation:report_list")),
            (_("All cases"), reverse("integration:caseload") + "?scope=all"),
            (_("Imports"), reverse("integration:import_upload")),
            (_("Access log"), reverse("integration:access_log")),
            (_("Questionnaire"), reverse("progression:questionnaire_list")),
            (_("Provider organisations"), reverse("integration:provider_list")),
        ]
    return items


def navigation(request):
    user = getattr(request, "user", None)
    if user is None:
        return {}
    return {"menu": menu_for(user), "municipality_name": _municipality()}


def _municipality() -> str:
    from django.conf import settings

    return settings.MUNICIPALITY_NAME
