from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationConfig(AppConfig):
    name = "integration"
    verbose_name = _("Integration cases")

    def role_permissions(self) -> dict[str, list[str]]:
        """Permissions this app adds to the roles (see accounts.roles)."""
        from integration.permissions import role_permissions

        return role_permissions()
