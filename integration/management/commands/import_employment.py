"""``manage.py import_employment FILE [--dry-run]``."""

from common.csvimport import ImportCommand
from integration import imports


class Command(ImportCommand):
    help = (
        "Import employment-status spells (DREAM) from a CSV file (cpr, start_date, "
        "end_date, category) for existing citizens. Nothing is written if any row is wrong."
    )
    import_function = staticmethod(imports.import_employment)
