"""``manage.py import_measurements FILE [--dry-run]``."""

from common.csvimport import ImportCommand, ImportReport
from progression import imports


class Command(ImportCommand):
    help = (
        "Import progression measurements from a CSV file (cpr, date, rater, item, score; "
        "one row per score). Nothing is written if any row is wrong."
    )

    def run_import(self, data: bytes, *, filename: str, commit: bool, options) -> ImportReport:
        return imports.import_measurements(data, filename=filename, user=None, commit=commit)
