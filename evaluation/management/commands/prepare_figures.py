"""``manage.py prepare_figures``: count ahead, at night, what the papers and the dashboard read.

On PostgreSQL counted figures are kept until a change reaches what they read
(``integration.kept_figures``). This counts, where nothing kept still holds:
the ladder and the programme on each of the last ``--months`` month ends (the
dashboard's months and the monthly follow-up's year), and every figure of
last month's follow-up and of a service review as of last month's end (the
review's years of measurements and follow-ups). A paper made the next day
then reads them instead of counting. Before that, kept figures a change has
made stale are dropped, and so are the changes no kept figure can miss any
more. It also makes today's standing of every case in the programme
(``integration.standing``), from which the dashboard sums today's ladder and
programme. Nothing is written but kept figures and the standing; on SQLite
nothing is kept, and the command says so.

Crontab line (00:30 every night: on the 1st before ``make_monthly_reports``
at 02:15 makes the month that has just ended)::

    30 0 * * * cd /srv/integration && .venv/bin/python manage.py prepare_figures
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from common import dates, snapshot
from evaluation import figures
from evaluation.models import ReportKind
from evaluation.period import ReportPeriod
from integration import kept_figures, standing
from integration.models import KeptFigures


class Command(BaseCommand):
    help = "Count ahead the figures the council papers and the dashboard read, and keep them."

    def add_arguments(self, parser):
        parser.add_argument(
            "--months", type=int, default=25, help="How many month ends back (default 25)."
        )

    def handle(self, *args, months: int, **options):
        if not 1 <= months <= 240:
            raise CommandError("--months must be between 1 and 240.")
        if not kept_figures.enabled():
            self.stdout.write("Nothing kept: figures are kept on PostgreSQL only.")
            return
        started = time.monotonic()
        today = timezone.localdate()
        standing_rows = standing.make(today)
        dropped = kept_figures.tidy()
        before = KeptFigures.objects.count()
        last = dates.last_ended_month(today)
        days = dates.month_ends_back(last, months)
        with snapshot.one_snapshot() as together:
            together(
                {
                    "ladder": lambda: kept_figures.ladder_on_days(None, days),
                    "programme": lambda: kept_figures.programme_counts_on_days(None, days),
                }
            )
        figures.monthly_figures(ReportPeriod.parse(ReportKind.MONTHLY, f"{last:%Y-%m}"))
        figures.service_review_figures(
            ReportPeriod.parse(ReportKind.SERVICE_REVIEW, last.isoformat())
        )
        self.stdout.write(
            f"Month ends {days[0]:%Y-%m} to {days[-1]:%Y-%m}, the follow-up of {last:%Y-%m} "
            f"and a review as of {last:%d-%m-%Y}: {KeptFigures.objects.count() - before} "
            f"figures counted and kept, {before} still held; {dropped['stale']} stale figures "
            f"and {dropped['changes']} old changes dropped; {standing_rows} cases in the "
            f"programme on {today:%d-%m-%Y} stand ready ({time.monotonic() - started:.1f} s)"
        )
