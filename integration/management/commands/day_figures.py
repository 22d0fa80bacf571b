"""``manage.py day_figures``: count the programme on the month ends ahead of the reports.

The ladder and the programme on each of the last ``--months`` month ends,
for the whole municipality, are counted where no kept count still holds and
kept (``integration.kept_figures``), so the monthly follow-up and the
dashboard read them instead of counting. Before that, counts a change has
made stale are dropped, and so are the changes no kept count can miss any
more. On SQLite nothing is kept, and the command says so.

Crontab line (03:45 every night, after ``apply_retention``)::

    45 3 * * * cd /srv/integration && .venv/bin/python manage.py day_figures
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from common import dates, snapshot
from integration import kept_figures
from integration.models import KeptFigures


class Command(BaseCommand):
    help = "Count the ladder and the programme on the last month ends and keep them."

    def add_arguments(self, parser):
        parser.add_argument(
            "--months", type=int, default=25, help="How many month ends back (default 25)."
        )

    def handle(self, *args, months: int, **options):
        if not 1 <= months <= 240:
            raise CommandError("--months must be between 1 and 240.")
        if not kept_figures.enabled():
            self.stdout.write("Nothing kept: the counts are kept on PostgreSQL only.")
            return
        started = time.monotonic()
        dropped = kept_figures.tidy()
        days = dates.month_ends_back(dates.last_ended_month(timezone.localdate()), months)
        kept_before = KeptFigures.objects.filter(
            name__in=["ladder", "programme"], key="", day__in=days
        ).count()
        with snapshot.one_snapshot() as together:
            together(
                {
                    "ladder": lambda: kept_figures.ladder_on_days(None, days),
                    "programme": lambda: kept_figures.programme_counts_on_days(None, days),
                }
            )
        counted = 2 * len(days) - kept_before
        self.stdout.write(
            f"{len(days)} month ends from {days[0]:%Y-%m} to {days[-1]:%Y-%m}: "
            f"{counted} counts made, {kept_before} still held; "
            f"{dropped['stale']} stale counts and {dropped['changes']} old changes dropped "
            f"({time.monotonic() - started:.1f} s)"
        )
