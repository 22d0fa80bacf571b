"""What the integration app gives each role (its ``role_permissions`` hook)."""

from __future__ import annotations

from accounts.roles import Role
from integration.models import FACT_MODELS


def _crud(model: str, *actions: str) -> list[str]:
    return [f"integration.{action}_{model}" for action in actions]


def role_permissions() -> dict[str, list[str]]:
    fact_names = [model._meta.model_name for model in FACT_MODELS.values()]
    facts_edit = [p for name in fact_names for p in _crud(name, "view", "add", "change")]
    facts_view = [p for name in fact_names for p in _crud(name, "view")]
    caseworker = [
        *_crud("case", "view", "add", "change"),
        *_crud("citizen", "view", "add", "change"),
        *_crud("household", "view", "add", "change"),
        "integration.view_providerorganisation",
        *facts_edit,
        # Journal notes: read and written by the case's team; changed by their
        # author only (services.journal_note_update), hence no change permission
        # beyond the caseworker's own.
        *_crud("journalnote", "view", "add", "change"),
    ]
    manager = [
        "integration.view_case",
        "integration.view_all_cases",
        "integration.view_citizen",
        "integration.view_household",
        "integration.view_providerorganisation",
        "integration.view_aggregates",
        *facts_view,
        "integration.view_journalnote",
    ]
    administrator = sorted(
        {
            *caseworker,
            *manager,
            *_crud("providerorganisation", "add", "change"),
            *_crud("team", "view", "add", "change"),
            *_crud("user", "view", "add", "change"),
            "integration.view_accesslog",
            "integration.import_data",
        }
    )
    return {
        Role.CASEWORKER: caseworker,
        Role.PROVIDER: ["integration.view_referred_citizens"],
        Role.MANAGER: manager,
        Role.SECRETARIAT: ["integration.view_aggregates"],
        Role.ADMINISTRATOR: administrator,
    }
