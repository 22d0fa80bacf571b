from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Roles, sign-in and the menu; it holds no models (users live in integration)."""

    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from accounts.access import connect_signals
        from accounts.roles import sync_role_groups

        # After every app's migrate, so that permissions of apps listed later exist.
        post_migrate.connect(sync_role_groups, dispatch_uid="sync_role_groups")
        connect_signals()
