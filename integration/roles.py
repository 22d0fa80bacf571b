"""Which permissions each role's group holds.

The groups are brought in line with this table after every migrate, so a new
model's permissions reach the roles without a hand-written data migration.
"""

from __future__ import annotations

from django.apps import apps as global_apps

from integration.models import Role

FACT_MODELS = [
    "screeningvisit",
    "housingplacement",
    "ladderplacement",
    "danishcourse",
    "danishabsence",
    "integrationcontract",
    "integrationplan",
    "healthassessment",
    "followup",
    "repatriation",
    "employmentspell",
]


def _crud(app: str, model: str, *actions: str) -> list[str]:
    return [f"{app}.{action}_{model}" for action in actions]


def role_permissions() -> dict[str, list[str]]:
    facts_edit = [p for m in FACT_MODELS for p in _crud("integration", m, "view", "add", "change")]
    facts_view = [p for m in FACT_MODELS for p in _crud("integration", m, "view")]
    caseworker = [
        *_crud("integration", "case", "view", "add", "change"),
        *_crud("integration", "citizen", "view", "add", "change"),
        *_crud("integration", "household", "view", "add", "change"),
        "integration.view_providerorganisation",
        *facts_edit,
    ]
    manager = [
        "integration.view_case",
        "integration.view_all_cases",
        "integration.view_citizen",
        "integration.view_household",
        "integration.view_providerorganisation",
        "integration.view_aggregates",
        *facts_view,
    ]
    provider = ["integration.view_referred_citizens"]
    secretariat = ["integration.view_aggregates"]
    administrator = sorted(
        {
            *caseworker,
            *manager,
            *_crud("integration", "providerorganisation", "add", "change"),
            *_crud("integration", "team", "view", "add", "change"),
            *_crud("integration", "user", "view", "add", "change"),
            "integration.view_accesslog",
            "integration.import_data",
        }
    )
    return {
        Role.CASEWORKER: caseworker,
        Role.PROVIDER: provider,
        Role.MANAGER: manager,
        Role.SECRETARIAT: secretariat,
        Role.ADMINISTRATOR: administrator,
    }


def extra_role_permissions() -> dict[str, list[str]]:
    """Permissions other apps add to a role; each app lists its own here."""
    extra: dict[str, list[str]] = {}
    for config in global_apps.get_app_configs():
        hook = getattr(config, "role_permissions", None)
        if hook:
            for role, perms in hook().items():
                extra.setdefault(role, []).extend(perms)
    return extra


def sync_role_groups(**kwargs) -> None:
    from django.contrib.auth.models import Group, Permission

    wanted = role_permissions()
    for role, perms in extra_role_permissions().items():
        wanted.setdefault(role, []).extend(perms)
    all_perms = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.select_related("content_type")
    }
    for role, names in wanted.items():
        group, _ = Group.objects.get_or_create(name=role)
        missing = [n for n in names if n not in all_perms]
        if missing:
            # Permissions of a model not migrated yet; the next migrate adds them.
            names = [n for n in names if n in all_perms]
        group.permissions.set([all_perms[n] for n in names])
