"""The menu of the signed-in user's role, ready for base.html."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role

# Every entry a menu may hold: its label, the page's URL name and a query.
_ENTRIES = {
    "tasks": (_("Tasks"), "integration:tasks", ""),
    "my_cases": (_("My cases"), "integration:caseload", "?scope=mine"),
    "team_cases": (_("Team caseload"), "integration:caseload", "?scope=team"),
    "all_cases": (_("All cases"), "integration:caseload", "?scope=all"),
    "new_case": (_("New case"), "integration:case_create", ""),
    "providers": (_("Provider organisations"), "integration:provider_list", ""),
    "referred": (_("Referred citizens"), "integration:provider_home", ""),
    "overview": (_("Overview"), "integration:manager_home", ""),
    "administration": (_("Administration"), "integration:admin_home", ""),
    "imports": (_("Imports"), "integration:import_upload", ""),
    "access_log": (_("Access log"), "integration:access_log", ""),
    "questionnaire": (_("Questionnaire"), "progression:questionnaire_list", ""),
    "dashboard": (_("Dashboard"), "evaluation:dashboard", ""),
    "reports": (_("Reports"), "evaluation:report_list", ""),
    "benchmarks": (_("Benchmarks"), "evaluation:benchmark_list", ""),
    "figures": (_("Figures"), "evaluation:secretariat_home", ""),
}

# Each role's menu, in the order it shows.
_MENUS = {
    Role.CASEWORKER: ["tasks", "my_cases", "team_cases", "new_case", "providers"],
    Role.MANAGER: [
        "dashboard",
        "overview",
        "reports",
        "benchmarks",
        "all_cases",
        "tasks",
        "providers",
    ],
    Role.PROVIDER: ["referred"],
    Role.SECRETARIAT: ["reports", "figures"],
    Role.ADMINISTRATOR: [
        "dashboard",
        "administration",
        "reports",
        "all_cases",
        "imports",
        "access_log",
        "questionnaire",
        "providers",
    ],
}


def menu_for(user) -> list[tuple[str, str]]:
    if not user.is_authenticated:
        return []
    entries = [_ENTRIES[key] for key in _MENUS.get(user.role, [])]
    return [(str(label), reverse(name) + query) for label, name, query in entries]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None:
        return {}
    return {"menu": menu_for(user), "municipality_name": _municipality()}


def _municipality() -> str:
    from django.conf import settings

    return settings.MUNICIPALITY_NAME
