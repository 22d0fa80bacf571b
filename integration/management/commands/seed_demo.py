"""``manage.py seed_demo [--password P]``: the demo municipality ``make run`` loads."""

import secrets
import time

from django.core.management.base import BaseCommand, CommandError

from integration import demo
from progression.models import Questionnaire
from progression.services import questionnaire_current


class Command(BaseCommand):
    help = (
        "Create a demo municipality: 3 teams, provider organisations, one user per role "
        "and about 300 citizens with replacement CPR numbers. Safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            help="Password for every demo user (default: a random one). "
            "On an already seeded database it resets the demo users' passwords.",
        )
        parser.add_argument("--seed", type=int, default=demo.DEFAULT_SEED, help="Random seed.")

    def handle(self, *args, password=None, seed=demo.DEFAULT_SEED, **options):
        if demo.is_seeded():
            self.stdout.write("The demo data is already there; nothing was added.")
            if password:
                users = demo.reset_passwords(password)
                self.stdout.write("The demo users' passwords were reset.")
            else:
                users = demo.demo_users()
            self._print_users(users, password or "(unchanged)")
            return
        try:
            questionnaire_current()
        except Questionnaire.DoesNotExist as exc:
            raise CommandError(
                "No progression questionnaire is published, and the demo's progression rounds "
                "need one. Run `manage.py migrate` (it adds the default questionnaire) or "
                "publish one in the admin, then run seed_demo again. Nothing was added."
            ) from exc
        password = password or secrets.token_urlsafe(12)
        started = time.monotonic()
        result = demo.seed(password=password, seed=seed)
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"Demo municipality created in {elapsed:.1f} s:"))
        width = max(len(label) for label in result.counts)
        for label, count in result.counts.items():
            self.stdout.write(f"  {label:<{width}}  {count:>5}")
        self._print_users(result.users, password)

    def _print_users(self, users, password: str) -> None:
        rows = [(u.username, u.role or "", u.get_full_name(), password) for u in users]
        header = ("username", "role", "name", "password")
        widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
        self.stdout.write("")
        for row in [header, tuple("-" * w for w in widths), *rows]:
            self.stdout.write("  ".join(f"{v:<{w}}" for v, w in zip(row, widths, strict=True)))
        self.stdout.write(f"\nSign in at {demo.URL}")
