"""``manage.py import_citizens FILE [--team NAME] [--dry-run]``."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from common.csvimport import finish_command, read_file
from integration import imports, selectors


class Command(BaseCommand):
    help = (
        "Import citizens from a CSV file (cpr, first_name, last_name, nationality, "
        "residence_basis, arrival_date; optional sex, team, household). "
        "Nothing is written if any row is wrong."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file, UTF-8, comma or semicolon separated")
        parser.add_argument("--team", help="team for rows whose team column is empty")
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file and report, write nothing"
        )

    def handle(self, *args, **options):
        team = None
        if options["team"]:
            team = selectors.team_by_name(options["team"])
            if team is None:
                raise CommandError(f"There is no team named {options['team']!r}.")
        path = options["file"]
        report = imports.import_citizens(
            read_file(path),
            filename=Path(path).name,
            default_team=team,
            user=None,
            commit=not options["dry_run"],
        )
        finish_command(self, report, dry_run=options["dry_run"])
