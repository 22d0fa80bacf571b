from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationConfig(AppConfig):
    name = "integration"
    verbose_name = _("Integration cases")

    def role_permissions(self) -> dict[str, list[str]]:
        """Permissions this app adds to the roles (see accounts.roles)."""
        from integration.permissions import role_permissions

        return role_permissions()

    def citizen_record_sections(self, *, case):
        """This app's sections of a citizen's own record (see integration.record)."""
        from integration.record import integration_sections

        return integration_sections(case=case)

    def provision_identity(self, identity):
        """The account of someone the identity provider signed in (see accounts.identity)."""
        from integration.services.sign_in import user_provision

        return user_provision(identity=identity)

    def log_sign_in_refusal(self, reason: str, username: str = "") -> None:
        from integration.services.sign_in import sign_in_refusal_log

        sign_in_refusal_log(reason, username)

    def log_sign_in(self, user, what: str) -> None:
        from integration.models import AccessAction
        from integration.services.access_log import access_log_write

        access_log_write(user=user, action=AccessAction.SIGN_IN, what=what)
