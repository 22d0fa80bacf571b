"""``manage.py restore FILE``: what ``make restore BACKUP_FILE=...`` runs."""

from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from common import backup


class Command(BaseCommand):
    help = (
        "Restore a dump made by `make backup` into the PostgreSQL database of DATABASE_URL, "
        "which must be empty; then check every table against the backup's manifest and "
        "that the app's migrations match the restored schema."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .dump file made by make backup")

    def handle(self, *args, file, **options):
        if not file:
            raise CommandError("Name the backup: make restore BACKUP_FILE=var/backup/....dump")
        source = Path(file)
        try:
            restored = backup.restore(source=source)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        width = max((len(name) for name in restored), default=5)
        for name, figures in restored.items():
            self.stdout.write(f"  {name:<{width}}  {figures.rows:>8}")
        total = sum(f.rows for f in restored.values())
        self.stdout.write(
            f"Restored {total} rows in {len(restored)} tables into {backup.database_name()}."
        )
        manifest = backup.read_manifest(source)
        if manifest is None:
            self.stdout.write(
                self.style.WARNING("No manifest beside the file: the rows were not verified.")
            )
        else:
            problems = backup.differences(manifest, restored)
            if problems:
                raise CommandError(
                    "The restored database differs from the backup's manifest:\n  "
                    + "\n  ".join(problems)
                )
            self.stdout.write(
                f"Every table matches the manifest (rows and checksums) of the backup made "
                f"{manifest['created_utc']} from {manifest['database']}."
            )
        try:
            call_command("migrate", check_unapplied=True, verbosity=0)
        except SystemExit as exc:
            raise CommandError(
                "The backup was restored, but it is older than the code: run "
                "`manage.py migrate` before starting the app."
            ) from exc
        call_command("check", databases=["default"])
        self.stdout.write(self.style.SUCCESS("The app's migrations match the restored database."))
