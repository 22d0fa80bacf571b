"""``manage.py import_citizens FILE [--team NAME] [--dry-run]``."""

from django.core.management.base import CommandError

from common.csvimport import ImportCommand, ImportReport
from integration import imports, selectors


class Command(ImportCommand):
    help = (
        "Import citizens from a CSV file (cpr, first_name, last_name, nationality, "
        "residence_basis, arrival_date; optional sex, team, household). "
        "Nothing is written if any row is wrong."
    )

    def add_import_arguments(self, parser) -> None:
        parser.add_argument("--team", help="team for rows whose team column is empty")

    def run_import(self, data: bytes, *, filename: str, commit: bool, options) -> ImportReport:
        team = None
        if options["team"]:
            team = selectors.team_by_name(options["team"])
            if team is None:
                raise CommandError(f"There is no team named {options['team']!r}.")
        return imports.import_citizens(
            data, filename=filename, default_team=team, user=None, commit=commit
        )
