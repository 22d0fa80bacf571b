"""``make backup`` and ``make restore``: a real round trip through pg_dump and pg_restore.

A seeded database is backed up, restored into an empty one, and every table
is compared row for row, counted and checksummed here rather than by the tool
under test; then the app serves a case page from the restored database.
"""

import json
import re
import shutil

import pytest
from psycopg2 import sql

from tests.common import postgres

pytestmark = [
    pytest.mark.skipif(shutil.which("make") is None, reason="needs make"),
    pytest.mark.demo_database,
]

# Renders one page in a process of its own, as a signed-in user, against the
# database of DATABASE_URL; prints the status and the HTML as JSON.
RENDER_PAGE = """
import json, os
from django.test import Client
from integration.models import User
client = Client()
client.force_login(User.objects.get(username=os.environ["AS_USER"]))
response = client.get(os.environ["PAGE"], HTTP_ACCEPT_LANGUAGE="en")
print(json.dumps({"status": response.status_code, "html": response.content.decode()}))
"""

# Tables whose every value is compared, not only their row count.
CHECKSUMMED = ["integration_citizen", "progression_measurement", "integration_accesslog"]


def render(env: dict, *, page: str, as_user: str = "caseworker_a") -> dict:
    result = postgres.manage(
        "shell",
        "-c",
        RENDER_PAGE,
        env={**env, "PAGE": page, "AS_USER": as_user, "DJANGO_ALLOWED_HOSTS": "testserver"},
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def make(target: str, env: dict, backup_file):
    return postgres.run(["make", target, f"BACKUP_FILE={backup_file}"], env, check=False)


def checksum(db_url: str, table: str) -> str:
    """md5 of the table's rows in id order, with times printed in UTC."""
    with postgres.connected(db_url) as conn, conn.cursor() as cur:
        cur.execute("SET TIME ZONE 'UTC'")
        cur.execute(
            sql.SQL("SELECT md5(string_agg(t::text, E'\\n' ORDER BY t.id)) FROM {} AS t").format(
                sql.Identifier(table)
            )
        )
        return cur.fetchone()[0]


def first_case_of(db_url: str, username: str) -> tuple[str, str, str]:
    """(case uuid, citizen's last name, CPR) of the first case of the user's team."""
    with postgres.connected(db_url) as conn, conn.cursor() as cur:
        cur.execute(
            """
            SELECT c.uuid, z.last_name, z.cpr
            FROM integration_case c
            JOIN integration_citizen z ON z.id = c.citizen_id
            JOIN integration_user u ON u.team_id = c.team_id
            WHERE u.username = %s
            ORDER BY z.cpr LIMIT 1
            """,
            [username],
        )
        uuid, last_name, cpr = cur.fetchone()
    return str(uuid), last_name, cpr


def relations(db_url: str) -> int:
    with postgres.connected(db_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public'"
        )
        return cur.fetchone()[0]


@pytest.fixture(scope="module")
def server():
    return postgres.server_url()


@pytest.fixture(scope="module")
def source(server, tmp_path_factory):
    """A migrated database with the demo municipality and a few pages viewed."""
    name = f"{postgres.name_prefix(server)}_backup_src"
    try:
        db_url, env = postgres.create_seeded_database(
            server, name, tmp_path_factory.mktemp("var_src")
        )
        case_uuid, _name, _cpr = first_case_of(db_url, "caseworker_a")
        # Viewing a case and the caseload writes the access log, which must survive too.
        assert render(env, page=f"/cases/{case_uuid}/")["status"] == 200
        assert render(env, page="/cases/?scope=team")["status"] == 200
        yield db_url, env
    finally:
        postgres.drop_database(server, name)


@pytest.fixture(scope="module")
def backup(source, tmp_path_factory):
    db_url, env = source
    dump = tmp_path_factory.mktemp("backup") / "demo.dump"
    result = make("backup", env, dump)
    assert result.returncode == 0, result.stderr
    return dump, result.stdout


@pytest.fixture
def empty_database(server):
    name = f"{postgres.name_prefix(server)}_backup_dst"
    db_url = postgres.create_database(server, name)
    yield db_url
    postgres.drop_database(server, name)


def test_backup_names_the_file_and_counts_every_table(source, backup):
    db_url, _env = source
    dump, output = backup
    source_rows = postgres.table_rows(db_url)

    assert dump.is_file() and dump.stat().st_size > 0
    assert str(dump) in output
    # Only its owner may read a file full of CPR numbers.
    assert dump.stat().st_mode & 0o077 == 0
    printed = dict(re.findall(r"^\s+(\w+)\s+(\d+)$", output, flags=re.MULTILINE))
    assert {table: int(rows) for table, rows in printed.items()} == source_rows
    total = sum(source_rows.values())
    assert f"{total} rows in {len(source_rows)} tables" in output


def test_restore_into_an_empty_database_brings_back_every_row_and_the_app_runs_on_it(
    source, backup, empty_database, tmp_path
):
    source_url, _env = source
    dump, _output = backup
    env = postgres.app_env(empty_database, tmp_path)

    result = make("restore", env, dump)
    assert result.returncode == 0, result.stderr

    source_rows = postgres.table_rows(source_url)
    restored_rows = postgres.table_rows(empty_database)
    assert restored_rows == source_rows
    # The demo and the pages viewed above put rows in the tables that matter most.
    citizens = restored_rows["integration_citizen"]
    assert citizens > 250  # the whole demo municipality, not a part of it
    assert restored_rows["integration_accesslog"] > citizens
    assert restored_rows["integration_historicalcitizen"] >= citizens
    assert restored_rows["progression_measurement"] > 0
    for table in CHECKSUMMED:
        assert checksum(empty_database, table) == checksum(source_url, table), table
    total = sum(restored_rows.values())
    assert f"Restored {total} rows in {len(restored_rows)} tables" in result.stdout
    print(f"\nrestored {total} rows in {len(restored_rows)} tables")

    # The app starts on the restored database and shows a restored citizen.
    postgres.manage("check", "--database", "default", env=env)
    postgres.manage("migrate", "--check", env=env)
    case_uuid, last_name, cpr = first_case_of(empty_database, "caseworker_a")
    page = render(env, page=f"/cases/{case_uuid}/")
    assert page["status"] == 200
    assert last_name in page["html"]
    assert f"{cpr[:6]}-xxxx" in page["html"]


def test_restore_refuses_a_database_that_has_tables_and_changes_nothing(source, backup):
    source_url, env = source
    dump, _output = backup
    before = postgres.table_rows(source_url)
    access_log = checksum(source_url, "integration_accesslog")

    result = make("restore", env, dump)

    assert result.returncode != 0
    assert "is not empty" in result.stderr
    assert "Nothing was restored" in result.stderr
    assert postgres.table_rows(source_url) == before
    assert checksum(source_url, "integration_accesslog") == access_log


def test_a_damaged_backup_is_refused_and_leaves_the_database_empty(
    backup, empty_database, tmp_path
):
    dump, _output = backup
    env = postgres.app_env(empty_database, tmp_path)
    # Cut short, with its manifest beside it: the checksum gives it away.
    cut = tmp_path / "cut.dump"
    cut.write_bytes(dump.read_bytes()[: dump.stat().st_size // 2])
    shutil.copy(f"{dump}.manifest.json", f"{cut}.manifest.json")

    result = make("restore", env, cut)

    assert result.returncode != 0
    assert "does not match its manifest" in result.stderr
    assert relations(empty_database) == 0

    # Without the manifest pg_restore meets the cut itself, and rolls back.
    (tmp_path / "cut.dump.manifest.json").unlink()
    result = make("restore", env, cut)

    assert result.returncode != 0
    assert relations(empty_database) == 0


def test_backup_refuses_a_database_that_is_not_postgresql(tmp_path):
    env = postgres.app_env(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path)

    result = postgres.run(["make", "backup"], env, check=False)

    assert result.returncode != 0
    assert "PostgreSQL only" in result.stderr
    assert not (tmp_path / "backup").exists()
