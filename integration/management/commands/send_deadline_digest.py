"""``manage.py send_deadline_digest``: the morning e-mail of deadlines to caseworkers.

One e-mail per caseworker with deadlines or to-dos overdue or due in the
next 7 days on their own open cases, in their language, with counts and links
only (``integration.services.digest``). A caseworker switches it off on
their settings page. Running it again the same day sends nothing more.

Crontab line (06:30 every morning, server time)::

    30 6 * * * cd /srv/integration && .venv/bin/python manage.py send_deadline_digest
"""

from django.core.management.base import BaseCommand, CommandError

from integration import services


class Command(BaseCommand):
    help = "E-mail each caseworker the number of their deadlines overdue and due this week."

    def handle(self, *args, **options):
        run = services.deadline_digest_send()
        self.stdout.write(f"{run.sent} e-mail(s) sent")
        if run.failed:
            raise CommandError(f"{run.failed} e-mail(s) failed; the next run tries them again")
