"""``manage.py import_employment FILE [--dry-run]``."""

from common.csvimport import ImportCommand, ImportReport
from integration import imports


class Command(ImportCommand):
    help = (
        "Import employment-status spells (DREAM) from a CSV file (cpr, start_date, "
        "end_date, category) for existing citizens. Nothing is written if any row is wrong."
    )

    def run_import(self, data: bytes, *, filename: str, commit: bool, options) -> ImportReport:
        return imports.import_employment(data, filename=filename, user=None, commit=commit)
