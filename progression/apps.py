from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgressionConfig(AppConfig):
    name = "progression"
    verbose_name = _("Progression measurement")

    def anonymise_cases(self, *, case_ids: list[int]) -> None:
        """Clear this app's rows of cases that retention anonymises (see integration.retention)."""
        from progression.retention import cases_anonymise

        cases_anonymise(case_ids=case_ids)

    def citizen_record_sections(self, *, case):
        """This app's sections of a citizen's own record (see integration.record)."""
        from progression.record import citizen_record_sections

        return citizen_record_sections(case=case)

    def role_permissions(self) -> dict[str, list[str]]:
        """Permissions this app adds to the roles (see accounts.roles)."""
        scoring = ["progression.view_round", "progression.add_round", "progression.change_round"]
        return {
            "caseworker": [*scoring, "progression.view_questionnaire"],
            "manager": ["progression.view_round", "progression.view_questionnaire"],
            "provider": ["progression.score_as_provider"],
            "administrator": [
                *scoring,
                "progression.view_questionnaire",
                "progression.add_questionnaire",
                "progression.change_questionnaire",
                "progression.import_measurements",
            ],
        }
