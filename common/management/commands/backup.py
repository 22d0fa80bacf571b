"""``manage.py backup [--output FILE]``: what ``make backup`` runs."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from common import backup


class Command(BaseCommand):
    help = (
        "Dump the PostgreSQL database of DATABASE_URL (pg_dump, custom format) to "
        "var/backup/<database>-<UTC time>.dump with a manifest of every table's row count."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", help="the dump file (default: under var/backup/)")

    def handle(self, *args, output=None, **options):
        try:
            target = Path(output) if output else backup.default_backup_path()
            manifest = backup.backup(target=target)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        tables = manifest["tables"]
        width = max((len(name) for name in tables), default=5)
        for name, figures in tables.items():
            self.stdout.write(f"  {name:<{width}}  {figures['rows']:>8}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Backup of {manifest['database']}: {manifest['total_rows']} rows in "
                f"{len(tables)} tables."
            )
        )
        self.stdout.write(f"File:     {target.resolve()}")
        self.stdout.write(f"Manifest: {backup.manifest_path(target.resolve())}")
