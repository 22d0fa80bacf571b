"""Backups of the PostgreSQL database: ``pg_dump`` out, ``pg_restore`` in.

A backup is a custom-format dump and a manifest beside it with the row count
and a checksum of every table, taken from the very snapshot the dump was made
from, so that a restore can prove it brought back every row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.backends.postgresql.client import DatabaseClient

MANIFEST_SUFFIX = ".manifest.json"


class BackupError(Exception):
    pass


@dataclass(frozen=True)
class TableFigures:
    rows: int
    md5: str


def require_postgresql(command: str) -> None:
    if connection.vendor != "postgresql":
        name = connection.settings_dict.get("NAME")
        raise BackupError(
            f"{command} works on PostgreSQL only, and DATABASE_URL points at a "
            f"{connection.vendor} database ({name}). Set DATABASE_URL to the PostgreSQL "
            "database (postgres://USER:PASSWORD@HOST:5432/DBNAME). Nothing was done."
        )


def database_name() -> str:
    return str(connection.settings_dict["NAME"])


def default_backup_path(now: dt.datetime | None = None) -> Path:
    now = now or dt.datetime.now(dt.UTC)
    safe_name = re.sub(r"[^A-Za-z0-9_.-]", "_", database_name())
    return Path(settings.VAR_DIR) / "backup" / f"{safe_name}-{now:%Y%m%dT%H%M%SZ}.dump"


def manifest_path(dump: Path) -> Path:
    return dump.with_name(dump.name + MANIFEST_SUFFIX)


def libpq_env() -> dict[str, str]:
    """The environment that points pg_dump and pg_restore at the database.

    The password goes in the environment, never on the command line where
    every user of the machine can read it.
    """
    db = connection.settings_dict
    _args, extra = DatabaseClient.settings_to_cmd_args_env(db, [])
    env = {**os.environ, **(extra or {})}
    for variable, value in (
        ("PGHOST", db.get("HOST")),
        ("PGPORT", db.get("PORT")),
        ("PGUSER", db.get("USER")),
        ("PGDATABASE", db.get("NAME")),
        ("PGCONNECT_TIMEOUT", db.get("OPTIONS", {}).get("connect_timeout")),
    ):
        if value:
            env[variable] = str(value)
    return env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} was not found. Install the PostgreSQL client tools "
            "(Debian: postgresql-client) in the version of the server or newer."
        )
    return path


def _user_tables(cursor) -> list[tuple[str, str]]:
    """Every table outside PostgreSQL's own schemas: (schema, name)."""
    cursor.execute(
        """
        SELECT n.nspname, c.relname
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p')
          AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname NOT LIKE 'pg_toast%'
          AND n.nspname NOT LIKE 'pg_temp%'
        ORDER BY n.nspname, c.relname
        """
    )
    return list(cursor.fetchall())


def _label(schema: str, table: str) -> str:
    return table if schema == "public" else f"{schema}.{table}"


def table_figures(cursor) -> dict[str, TableFigures]:
    """Row count and the md5 of the sorted text of the rows, per table."""
    quote = connection.ops.quote_name
    # Timestamps print in the session's zone; fix it so both ends agree.
    cursor.execute("SET LOCAL TIME ZONE 'UTC'")
    figures = {}
    for schema, table in _user_tables(cursor):
        cursor.execute(
            f"SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) "
            f"FROM {quote(schema)}.{quote(table)} AS t"
        )
        rows, md5 = cursor.fetchone()
        figures[_label(schema, table)] = TableFigures(rows=rows, md5=md5)
    return figures


def relation_count() -> int:
    """Tables, views and sequences outside PostgreSQL's own schemas."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
              AND n.nspname NOT IN ('pg_catalog', 'information_schema')
              AND n.nspname NOT LIKE 'pg_toast%'
              AND n.nspname NOT LIKE 'pg_temp%'
            """
        )
        return cursor.fetchone()[0]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def backup(*, target: Path) -> dict:
    """Dump the database to ``target`` and write its manifest; return the manifest."""
    require_postgresql("make backup")
    pg_dump = _tool("pg_dump")
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = target.with_name(target.name + ".partial")
    created = dt.datetime.now(dt.UTC)
    # The figures and the dump come from one snapshot: rows written while the
    # dump runs are in neither, so the manifest describes the file exactly.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        figures = table_figures(cursor)
        # The dump holds personal data: only the owner may read it.
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.close(fd)
        result = subprocess.run(
            [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={partial}"],
            env=libpq_env(),
            capture_output=True,
            text=True,
        )
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed; no backup was written:\n{result.stderr.strip()}")
    partial.replace(target)
    manifest = {
        "database": database_name(),
        "created_utc": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "file": target.name,
        "sha256": _sha256(target),
        "total_rows": sum(f.rows for f in figures.values()),
        "tables": {name: {"rows": f.rows, "md5": f.md5} for name, f in figures.items()},
    }
    manifest_file = manifest_path(target)
    manifest_file.write_text(json.dumps(manifest, indent=2) + "\n")
    manifest_file.chmod(0o600)
    return manifest


def read_manifest(dump: Path) -> dict | None:
    path = manifest_path(dump)
    if not path.exists():
        return None
    return json.loads(path.read_text())


def restore(*, source: Path) -> dict[str, TableFigures]:
    """Restore ``source`` into the database, which must have no tables; return its figures.

    The restore is one transaction: if anything fails the database stays empty.
    """
    require_postgresql("make restore")
    pg_restore = _tool("pg_restore")
    if not source.is_file():
        raise BackupError(f"There is no backup file {source}. Nothing was restored.")
    listing = subprocess.run([pg_restore, "--list", str(source)], capture_output=True, text=True)
    if listing.returncode != 0:
        raise BackupError(
            f"{source} is not a backup made by make backup (pg_dump custom format):\n"
            f"{listing.stderr.strip()}\nNothing was restored."
        )
    manifest = read_manifest(source)
    if manifest is not None and manifest.get("sha256") != _sha256(source):
        raise BackupError(
            f"{source} does not match its manifest (SHA-256 differs): the file was changed "
            "or cut short. Nothing was restored."
        )
    existing = relation_count()
    if existing:
        raise BackupError(
            f"The database {database_name()} is not empty ({existing} tables, views or "
            "sequences). A restore never writes over data: create an empty database "
            "(createdb NAME), point DATABASE_URL at it and run make restore again. "
            "Nothing was restored."
        )
    connection.close()  # pg_restore works on its own connection
    result = subprocess.run(
        [
            pg_restore,
            "--exit-on-error",
            "--single-transaction",
            # The owner and grants of the old server may not exist on this one.
            "--no-owner",
            "--no-privileges",
            f"--dbname={database_name()}",
            str(source),
        ],
        env=libpq_env(),
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise BackupError(
            f"pg_restore failed and rolled back; the database is empty:\n{result.stderr.strip()}"
        )
    with transaction.atomic(), connection.cursor() as cursor:
        return table_figures(cursor)


def differences(manifest: dict, restored: dict[str, TableFigures]) -> list[str]:
    """Where the restored tables differ from what the manifest says was dumped."""
    wanted = manifest["tables"]
    problems = []
    for name in sorted(set(wanted) | set(restored)):
        if name not in restored:
            problems.append(f"{name}: missing")
        elif name not in wanted:
            problems.append(f"{name}: not in the backup's manifest")
        elif restored[name].rows != wanted[name]["rows"]:
            problems.append(f"{name}: {restored[name].rows} rows, {wanted[name]['rows']} dumped")
        elif restored[name].md5 != wanted[name]["md5"]:
            problems.append(f"{name}: the rows differ from the dumped ones")
    return problems
