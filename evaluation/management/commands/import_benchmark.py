"""``manage.py import_benchmark FILE --source S --downloaded-on YYYY-MM-DD [--dry-run]``."""

from django.core.management.base import CommandError

from common.csvimport import ImportCommand, ImportReport, parse_date
from evaluation import services
from evaluation.models import BenchmarkSource


class Command(ImportCommand):
    help = (
        "Import benchmark figures from a CSV file (municipality, period, indicator, value), "
        "e.g. a Jobindsats.dk export. Nothing is written if any row is wrong."
    )

    def add_import_arguments(self, parser) -> None:
        parser.add_argument(
            "--source", required=True, choices=BenchmarkSource.values, help="where the file is from"
        )
        parser.add_argument(
            "--downloaded-on",
            required=True,
            help="the day the file was downloaded from the source, YYYY-MM-DD",
        )

    def run_import(self, data: bytes, *, filename: str, commit: bool, options) -> ImportReport:
        try:
            downloaded_on = parse_date(options["downloaded_on"].strip())
        except ValueError as exc:
            raise CommandError(f"--downloaded-on: {exc}") from exc
        return services.import_benchmarks(
            data,
            source=options["source"],
            downloaded_on=downloaded_on,
            filename=filename,
            user=None,
            commit=commit,
        )
