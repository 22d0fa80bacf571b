"""Print report figures: the same code as the reports and the dashboard.

python manage.py metrics cohort-outcomes --as-of 2019-01-31 --format json
python manage.py metrics progression --from 2017-01-01 --to 2019-01-31 --format table
python manage.py metrics monthly --month 2026-10 --format json

``monthly`` prints the monthly follow-up's figures exactly as the report is
built from them (``evaluation.figures.report_figures``): exact counts, before
any disclosure control, for the server's administrator and for checks. Only a
month that has ended is accepted: an open month's counts still change as the
day's records come in, and no report is made from them.
"""

from __future__ import annotations

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"Not a date (YYYY-MM-DD): {text!r}") from exc


class Command(BaseCommand):
    help = "Print the cohort outcome table, the progression or the monthly follow-up's figures."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="metric", required=True)
        cohort = sub.add_parser("cohort-outcomes", help="The cohort outcome table (seed 001, 2.1)")
        cohort.add_argument("--as-of", required=True, type=_date)
        cohort.add_argument(
            "--include-family",
            action="store_true",
            help="Count family reunified with refugees too.",
        )
        cohort.add_argument(
            "--adjust-denominator",
            action="store_true",
            help="Leave out people who had moved, retired or died by each day.",
        )
        cohort.add_argument("--format", choices=["json", "table"], default="table")
        progression = sub.add_parser("progression", help="Progression figures for a period")
        progression.add_argument("--from", dest="start", required=True, type=_date)
        progression.add_argument("--to", dest="end", required=True, type=_date)
        progression.add_argument("--format", choices=["json", "table"], default="table")
        monthly = sub.add_parser(
            "monthly", help="The monthly follow-up's figures, unsuppressed (administrators only)"
        )
        monthly.add_argument("--month", required=True, help="The month, YYYY-MM (ended).")
        monthly.add_argument("--format", choices=["json", "table"], default="table")

    def handle(self, *args, **options) -> None:
        if options["metric"] == "cohort-outcomes":
            self._cohorts(options)
        elif options["metric"] == "monthly":
            self._monthly(options)
        else:
            self._progression(options)

    def _monthly(self, options) -> None:
        from evaluation.figures import report_figures
        from evaluation.models import ReportKind
        from evaluation.period import ReportPeriod

        try:
            period = ReportPeriod.parse(ReportKind.MONTHLY, options["month"])
        except ValueError as exc:
            raise CommandError(f"Not a month (YYYY-MM): {options['month']!r}: {exc}") from exc
        today = timezone.localdate()
        if period.as_of >= today:
            raise CommandError(
                f"The month {period.text} has not ended (its last day is "
                f"{period.as_of:%d-%m-%Y}); its figures would still change."
            )
        figures = report_figures(period)
        if options["format"] == "json":
            self.stdout.write(json.dumps(figures, indent=2, ensure_ascii=False))
            return
        rows = list(_flatten(figures))
        width = max(len(key) for key, _value in rows)
        for key, value in rows:
            self.stdout.write(f"{key:<{width}}  {'' if value is None else value}")

    def _cohorts(self, options) -> None:
        from evaluation.figures import cohort_rows

        rows = cohort_rows(
            None,
            options["as_of"],
            include_family=options["include_family"],
            adjust_for_leavers=options["adjust_denominator"],
        )
        keys = ["year", "persons", "share_6m", "share_12m", "share_as_of", "count_as_of"]
        if options["format"] == "json":
            data = {
                "as_of": options["as_of"].isoformat(),
                "cohorts": [{k: getattr(r, k) for k in keys} for r in rows],
            }
            self.stdout.write(json.dumps(data, indent=2))
            return
        header = ["", *[str(r.year) for r in rows]]
        lines = [
            ("Persons", [r.persons for r in rows]),
            ("Employed 6 months (%)", [r.share_6m for r in rows]),
            ("Employed 12 months (%)", [r.share_12m for r in rows]),
            (f"Employed {options['as_of']:%d-%m-%Y} (%)", [r.share_as_of for r in rows]),
            (f"Employed {options['as_of']:%d-%m-%Y} (count)", [r.count_as_of for r in rows]),
        ]
        self._table(
            header, [(label, ["#" if v is None else v for v in values]) for label, values in lines]
        )
        self.stdout.write("# = not every member has reached that day yet.")

    def _progression(self, options) -> None:
        from evaluation.progression_figures import progression_figures

        if options["end"] < options["start"]:
            raise CommandError("--to is before --from.")
        figures = progression_figures(None, options["start"], options["end"])
        keys = [
            "caseworker_measurements",
            "caseworker_index_mean",
            "citizen_self_assessment_mean",
            "caseworker_item_means",
            "highest_item",
            "lowest_item",
        ]
        if options["format"] == "json":
            self.stdout.write(json.dumps({k: figures[k] for k in keys}, indent=2))
            return
        rows = [
            ("Caseworker measurements", figures["caseworker_measurements"]),
            ("Caseworker index, mean (items 1-12)", figures["caseworker_index_mean"]),
            ("Citizen self-assessment, mean (item 13)", figures["citizen_self_assessment_mean"]),
            ("Highest item (caseworkers)", figures["highest_item"]),
            ("Lowest item (caseworkers)", figures["lowest_item"]),
        ]
        for label, value in rows:
            self.stdout.write(f"{label:<42} {'' if value is None else value}")
        self.stdout.write("Caseworker mean per item:")
        for item, mean in figures["caseworker_item_means"].items():
            self.stdout.write(f"  {item:>2}  {mean}")

    def _table(self, header: list[str], lines: list[tuple[str, list]]) -> None:
        width = max(len(label) for label, _ in lines)
        self.stdout.write(" ".join([f"{header[0]:<{width}}", *[f"{h:>6}" for h in header[1:]]]))
        for label, values in lines:
            self.stdout.write(" ".join([f"{label:<{width}}", *[f"{v!s:>6}" for v in values]]))


def _label(item, position: int) -> str:
    """A list entry's name in a key path: its month, country, step or year."""
    if isinstance(item, dict):
        for key in ("month", "country", "step", "year", "period"):
            if key in item:
                return "none" if item[key] is None else str(item[key])
    return str(position)


def _flatten(value, prefix: str = ""):
    """``(key.path, value)`` for every number and text in the figures dict."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _flatten(inner, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list):
        if not value:
            yield prefix, "(none)"
        for position, item in enumerate(value):
            yield from _flatten(item, f"{prefix}[{_label(item, position)}]")
    else:
        yield prefix, value
