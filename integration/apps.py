from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class IntegrationConfig(AppConfig):
    name = "integration"
    verbose_name = _("Integration cases")

    def ready(self) -> None:
        from integration.roles import sync_role_groups

        # After every app's migrate, so that permissions of apps listed later exist.
        post_migrate.connect(sync_role_groups, dispatch_uid="sync_role_groups")
