"""``manage.py import_measurements FILE [--dry-run]``."""

from common.csvimport import ImportCommand
from progression import imports


class Command(ImportCommand):
    help = (
        "Import progression measurements from a CSV file (cpr, date, rater, item, score; "
        "one row per score). Nothing is written if any row is wrong."
    )
    import_function = staticmethod(imports.import_measurements)
