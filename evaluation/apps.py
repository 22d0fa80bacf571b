from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "evaluation"
    verbose_name = _("Evaluation and reports")

    def role_permissions(self) -> dict[str, list[str]]:
        """Permissions this app adds to the roles (see accounts.roles)."""
        reports = ["evaluation.view_reportarchive"]
        # Making a report is asking for a job; a service review, whose texts a
        # manager approves, needs add_reportarchive as well.
        make_monthly = ["evaluation.add_reportjob"]
        return {
            "manager": [
                *reports,
                *make_monthly,
                "evaluation.view_dashboard",
                "evaluation.add_reportarchive",
                "evaluation.view_reportnarrative",
                "evaluation.change_reportnarrative",
                "evaluation.add_reportnarrative",
                "evaluation.view_benchmarkvalue",
            ],
            "secretariat": [*reports, *make_monthly],
            "administrator": [
                *reports,
                *make_monthly,
                "evaluation.view_dashboard",
                "evaluation.add_reportarchive",
                "evaluation.view_reportnarrative",
                "evaluation.view_benchmarkvalue",
                "evaluation.add_benchmarkvalue",
                "evaluation.view_arrivalquota",
                "evaluation.add_arrivalquota",
                "evaluation.change_arrivalquota",
            ],
        }
