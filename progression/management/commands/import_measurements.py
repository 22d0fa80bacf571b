"""``manage.py import_measurements FILE [--dry-run]``."""

from pathlib import Path

from django.core.management.base import BaseCommand

from common.csvimport import finish_command, read_file
from progression import imports


class Command(BaseCommand):
    help = (
        "Import progression measurements from a CSV file (cpr, date, rater, item, score; "
        "one row per score). Nothing is written if any row is wrong."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file, UTF-8, comma or semicolon separated")
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file and report, write nothing"
        )

    def handle(self, *args, **options):
        path = options["file"]
        report = imports.import_measurements(
            read_file(path), filename=Path(path).name, user=None, commit=not options["dry_run"]
        )
        finish_command(self, report, dry_run=options["dry_run"])
