"""``manage.py apply_retention [--dry-run]``: anonymise old cases, expire the access log.

Cases closed more than ``CASE_RETENTION_DAYS`` ago are anonymised (see
``integration.retention`` for what is kept and what is cleared), and access-log
rows older than ``ACCESS_LOG_RETENTION_DAYS`` are deleted. Accounts of the
identity provider not seen for ``OIDC_INACTIVE_DAYS`` are deactivated. Running it again
changes nothing more; each real run adds one line to the access log.

Crontab line (03:30 every night, server time)::

    30 3 * * * cd /srv/integration && .venv/bin/python manage.py apply_retention

The output names cases by UUID only, so it can go to the cron mail.
"""

from django.core.management.base import BaseCommand
from django.utils import timezone

from integration import retention


class Command(BaseCommand):
    help = (
        "Anonymise cases closed longer ago than CASE_RETENTION_DAYS and delete access-log "
        "rows older than ACCESS_LOG_RETENTION_DAYS."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="list what would change, change nothing"
        )

    def handle(self, *args, **options):
        now = timezone.now()
        plan = retention.retention_plan(now=now)
        log_cutoff = f"{timezone.localtime(plan.log_rows_before):%Y-%m-%d %H:%M}"
        if options["dry_run"]:
            for case_uuid, closed_on in plan.cases:
                self.stdout.write(f"would anonymise case {case_uuid}, closed {closed_on}")
            self.stdout.write(
                f"Dry run: would anonymise {len(plan.cases)} cases closed before "
                f"{plan.cases_closed_before} and delete {plan.log_rows} access-log rows "
                f"from before {log_cutoff}. Nothing was changed."
            )
            return
        result = retention.retention_apply(now=now)
        self.stdout.write(
            f"Anonymised {result.cases_anonymised} cases closed before "
            f"{plan.cases_closed_before}; deleted {result.log_rows_deleted} access-log rows "
            f"from before {log_cutoff}; blanked "
            f"{result.search_terms_blanked} search terms that named an anonymised citizen; "
            f"deactivated {result.users_deactivated} single sign-on users not seen for "
            f"OIDC_INACTIVE_DAYS."
        )
