"""``manage.py import_benchmark FILE --source S --downloaded-on YYYY-MM-DD [--dry-run]``."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from common.csvimport import finish_command, parse_date, read_file
from evaluation import services
from evaluation.models import BenchmarkSource


class Command(BaseCommand):
    help = (
        "Import benchmark figures from a CSV file (municipality, period, indicator, value), "
        "e.g. a Jobindsats.dk export. Nothing is written if any row is wrong."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file, UTF-8, comma or semicolon separated")
        parser.add_argument(
            "--source", required=True, choices=BenchmarkSource.values, help="where the file is from"
        )
        parser.add_argument(
            "--downloaded-on",
            required=True,
            help="the day the file was downloaded from the source, YYYY-MM-DD",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file and report, write nothing"
        )

    def handle(self, *args, **options):
        try:
            downloaded_on = parse_date(options["downloaded_on"].strip())
        except ValueError as exc:
            raise CommandError(f"--downloaded-on: {exc}") from exc
        path = options["file"]
        report = services.import_benchmarks(
            read_file(path),
            source=options["source"],
            downloaded_on=downloaded_on,
            filename=Path(path).name,
            user=None,
            commit=not options["dry_run"],
        )
        finish_command(self, report, dry_run=options["dry_run"])
