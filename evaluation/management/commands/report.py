"""Make a council report from the command line, write it to a file and archive it.

    python manage.py report monthly --month 2026-10 --output oktober.pdf
    python manage.py report service-review --as-of 2026-11-22 --output review.pdf
    python manage.py report service-review --as-of 2026-11-22 --adjusted-denominator ...
    python manage.py report service-review --as-of 2026-11-22 --include-ukraine ...

Every run archives a new version (nothing is overwritten) and prints the
version, the SHA-256 checksum, the seconds it took and the peak memory.
"""

from __future__ import annotations

import gc
import resource
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from evaluation import services
from evaluation.models import ReportKind
from evaluation.period import ReportPeriod
from evaluation.reports import ReportRefused, clean_case_number


def peak_memory_mb() -> float:
    """The peak resident memory in MB of this process or of the chart process
    it started, whichever is larger.

    On Linux this process's own peak is its ``VmHWM``: ``ru_maxrss`` carries
    over an ``exec``, so a report started by a large process (the bench's)
    would report that process's size instead of its own.
    """
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        with open("/proc/self/status") as status:
            own = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        pass
    peak = max(own, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    # Linux reports kilobytes, macOS bytes.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


# Laying out a paper makes millions of short-lived objects; collecting the
# youngest every 700 allocations (Python's default) took 0,1 s of the review's
# 2 s at L. A report's process is short, and peaks near 110 MB either way.
GC_YOUNGEST = 50_000


@contextmanager
def fewer_collections():
    previous = gc.get_threshold()
    gc.set_threshold(GC_YOUNGEST, *previous[1:])
    try:
        yield
    finally:
        gc.set_threshold(*previous)


class Command(BaseCommand):
    help = "Make a monthly follow-up or a service review as PDF, write it to a file and archive it."
    # The system checks import the URLconf, hence every view and the sign-in
    # stack (requests, jwt): 0,5-0,8 s of a report that imports none of them.
    # They run where the site starts (runserver, the deploy's `check`).
    requires_system_checks = []

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="kind", required=True)
        monthly = sub.add_parser("monthly", help="The monthly council follow-up.")
        monthly.add_argument("--month", required=True, help="The month, YYYY-MM.")
        review = sub.add_parser("service-review", help="The service review.")
        review.add_argument("--as-of", required=True, dest="as_of", help="The date, YYYY-MM-DD.")
        for paper in (monthly, review):
            paper.add_argument("--output", required=True, help="Where to write the PDF.")
            paper.add_argument(
                "--case-number",
                dest="case_number",
                default="",
                help="The council's case number, printed on the cover.",
            )
        review.add_argument(
            "--allow-draft",
            action="store_true",
            help="Make it although some texts are not final; every page is stamped UDKAST.",
        )
        review.add_argument(
            "--adjusted-denominator",
            action="store_true",
            dest="adjusted_denominator",
            help="Add table 2.2: the cohorts without those who moved away, were repatriated, "
            "died or retired, with a footnote saying how many.",
        )
        review.add_argument(
            "--include-ukraine",
            action="store_true",
            dest="include_ukraine",
            help="Count those displaced from Ukraine (the special act) in the cohort tables "
            "beside the refugees; without it they are left out, and the paper says which.",
        )

    def handle(self, *args, **options):
        if options["kind"] == "monthly":
            kind, period = ReportKind.MONTHLY, options["month"]
        else:
            kind, period = ReportKind.SERVICE_REVIEW, options["as_of"]
        try:
            period = ReportPeriod.parse(kind, period)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        try:
            case_number = clean_case_number(options.get("case_number") or "")
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        output = Path(options["output"])
        if not output.parent.exists():
            raise CommandError(f"The folder {output.parent} does not exist.")
        started = time.perf_counter()
        try:
            with fewer_collections():
                archive = services.report_make(
                    period=period,
                    allow_draft=options.get("allow_draft", False),
                    adjusted_denominator=options.get("adjusted_denominator", False),
                    include_ukraine=options.get("include_ukraine", False),
                    case_number=case_number,
                    # A process of its own: the charts are drawn in a second one meanwhile.
                    charts_apart=True,
                )
        except ReportRefused as exc:
            raise CommandError(str(exc)) from exc
        output.write_bytes(bytes(archive.pdf))
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"{archive}: version {archive.version}, {len(archive.pdf)} bytes -> {output}\n"
            f"sha256 {archive.sha256}\n"
            f"{seconds:.2f} s, peak memory {peak_memory_mb():.0f} MB"
        )
