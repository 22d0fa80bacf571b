"""The roles, and the permissions each role's group holds.

Every app lists what it adds to each role in its AppConfig's
``role_permissions``. The groups are brought in line with those lists after
every migrate, so a new model's permissions reach the roles without a
hand-written data migration.
"""

from __future__ import annotations

from django.apps import apps as global_apps
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """A user's role is the name of the group that gives its permissions."""

    CASEWORKER = "caseworker", _("Caseworker")
    PROVIDER = "provider", _("Provider")
    MANAGER = "manager", _("Manager")
    SECRETARIAT = "secretariat", _("Council secretariat")
    ADMINISTRATOR = "administrator", _("Administrator")


def role_permissions() -> dict[str, list[str]]:
    """Each role's permissions, as every app's ``role_permissions`` hook lists them."""
    wanted: dict[str, list[str]] = {}
    for config in global_apps.get_app_configs():
        hook = getattr(config, "role_permissions", None)
        if hook:
            for role, perms in hook().items():
                wanted.setdefault(role, []).extend(perms)
    return wanted


def sync_role_groups(**kwargs) -> None:
    from django.contrib.auth.models import Group, Permission

    all_perms = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.select_related("content_type")
    }
    for role, names in role_permissions().items():
        group, _created = Group.objects.get_or_create(name=role)
        # Permissions of a model not migrated yet are left out; the next
        # migrate adds them.
        group.permissions.set([all_perms[n] for n in names if n in all_perms])
