"""Make last month's council follow-up, once.

Run by cron after each month's end; it makes the report for the month that
has just ended unless that month already has an archived version, so running
it again does no harm (nothing is ever overwritten: two runs at the very same
moment would at worst archive a second version). ``--month`` makes a given
month's report even if it is archived (as a new version).

Crontab line (02:15 on the 1st of every month, server time)::

    15 2 1 * * cd /srv/app && .venv/bin/python manage.py make_monthly_reports

With ``TASKS_IN_BACKGROUND=1`` this still runs in the cron process itself:
there is no request waiting for it.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from evaluation import selectors, services
from evaluation.management.commands.report import peak_memory_mb
from evaluation.models import ReportKind
from evaluation.period import ReportPeriod
from evaluation.reports import ReportRefused


class Command(BaseCommand):
    help = "Make the monthly council follow-up for the month that has ended, if not made yet."

    def add_arguments(self, parser):
        parser.add_argument(
            "--month", help="Make this month (YYYY-MM) even if it is already archived."
        )

    def handle(self, *args, **options):
        month = options.get("month")
        try:
            period = (
                ReportPeriod.parse(ReportKind.MONTHLY, month)
                if month
                else ReportPeriod.month_before(timezone.localdate())
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if not month and selectors.is_archived(period):
            self.stdout.write(f"{period} is already archived; nothing to do.")
            return
        started = time.perf_counter()
        try:
            archive = services.report_make(period=period)
        except ReportRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{archive}: version {archive.version}, sha256 {archive.sha256}, "
            f"{time.perf_counter() - started:.2f} s, peak memory {peak_memory_mb():.0f} MB"
        )
