import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from common import cpr, csvimport
from integration import imports
from integration.models import (
    AccessAction,
    AccessLog,
    Case,
    CaseStatusChange,
    Citizen,
    DeadlineKind,
    EmploymentCategory,
    EmploymentSource,
    EmploymentSpell,
    Household,
    PendingUpload,
)
from integration.views.imports import SESSION_KEY
from tests.factories import UserFactory, make_case, replacement_cpr

HEADER = "cpr,first_name,last_name,nationality,residence_basis,arrival_date,team,household"


def citizens_csv(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def write(tmp_path, name: str, content: str | bytes):
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return str(path)


@pytest.fixture(autouse=True)
def english_messages():
    """Reasons are asserted in English here; the Danish catalogue has its own test."""
    with translation.override("en"):
        yield


@pytest.fixture
def three_citizens():
    """Two members of household H-1 in the default team, one alone in Team B."""
    numbers = [
        replacement_cpr(dt.date(1985, 3, 4), female=True),
        replacement_cpr(dt.date(2010, 6, 7), female=False),
        replacement_cpr(dt.date(1979, 12, 1), female=False),
    ]
    text = citizens_csv(
        f"{numbers[0]},Amal,Haddad,Syrien,refugee,2024-01-10,,H-1",
        f"{numbers[1]},Omar,Haddad,SY,family_reunified,2024-02-01,,H-1",
        f"{numbers[2]},Dawit,Tesfaye,Eritrea,refugee,2023-11-20,Team B,",
    )
    return numbers, text


# --- citizens ---------------------------------------------------------------


@pytest.mark.django_db
def test_citizen_import_creates_citizens_with_cases_household_and_team(
    three_citizens, team_a, team_b
):
    numbers, text = three_citizens

    report = imports.import_citizens(text, filename="c.csv", default_team=team_a)

    assert report.ok, report.errors
    assert (report.rows, report.created, report.updated, report.unchanged) == (3, 3, 0, 0)
    assert report.written
    amal = Citizen.objects.get(cpr=numbers[0])
    omar = Citizen.objects.get(cpr=numbers[1])
    dawit = Citizen.objects.get(cpr=numbers[2])
    assert (amal.first_name, amal.last_name, amal.nationality) == ("Amal", "Haddad", "SY")
    assert amal.birth_date == dt.date(1985, 3, 4)
    assert amal.sex == "F" and omar.sex == "M"
    assert omar.residence_basis == "family_reunified"
    assert dawit.nationality == "ER"
    assert amal.household_id is not None and amal.household_id == omar.household_id
    assert amal.household.reference == "H-1"
    assert dawit.household_id is None
    assert amal.case.team == team_a and omar.case.team == team_a
    assert dawit.case.team == team_b
    # No facts yet: the first placement is due 4 days after arrival.
    assert amal.case.next_deadline == dt.date(2024, 1, 14)
    assert amal.case.next_deadline_kind == DeadlineKind.FIRST_PLACEMENT
    assert CaseStatusChange.objects.filter(case__citizen=amal, to_status="open").count() == 1
    assert amal.history.count() == 1


@pytest.mark.django_db
def test_semicolon_bom_and_danish_dates_are_read(team_a):
    number = replacement_cpr(dt.date(1990, 5, 17))
    text = (
        " CPR ; First_Name;LAST_NAME;Nationality;residence_basis;Arrival_Date;Sex\r\n"
        f"{number};Zahra;Ahmadi;Afghanistan;refugee;05-03-2019;f\r\n"
    )

    report = imports.import_citizens(
        text.encode("utf-8-sig"), filename="c.csv", default_team=team_a
    )

    assert report.ok, report.errors
    citizen = Citizen.objects.get(cpr=number)
    assert citizen.arrival_date == dt.date(2019, 3, 5)
    assert (citizen.first_name, citizen.nationality, citizen.sex) == ("Zahra", "AF", "F")


@pytest.mark.django_db
def test_bad_citizen_file_reports_every_bad_row_and_writes_nothing(tmp_path, team_a):
    good = replacement_cpr(dt.date(1990, 1, 1))
    bad_cpr = "9213901234"  # day 92 - 60 = 32: no such date
    others = [replacement_cpr(dt.date(1991, 2, 2)) for _ in range(3)]
    text = citizens_csv(
        f"{good},Amal,Haddad,SY,refugee,2019-01-10,,",
        f"{bad_cpr},Omar,Haddad,SY,refugee,2019-01-10,,",
        f"{others[0]},Sara,Ali,Atlantis,refugee,2019-01-10,,",
        f"{others[1]},Nour,Ali,SY,refugee,31-02-2019,,",
        f"{others[2]},,Ali,SY,refugee,2019/01/10,,",
    )
    citizens_before, cases_before = Citizen.objects.count(), Case.objects.count()

    report = imports.import_citizens(text, filename="bad.csv", default_team=team_a)

    assert not report.ok
    found = {(e.line, e.column) for e in report.errors}
    assert found == {
        (3, "cpr"),
        (4, "nationality"),
        (5, "arrival_date"),
        (6, "first_name"),
        (6, "arrival_date"),
    }
    reasons = {(e.line, e.column): e.reason for e in report.errors}
    assert "921390-xxxx" in reasons[(3, "cpr")]
    assert "31-02-2019" in reasons[(5, "arrival_date")]
    assert "Atlantis" in reasons[(4, "nationality")]
    everything = " ".join(str(e) for e in report.errors)
    for number in [good, bad_cpr, *others]:
        assert number not in everything
        assert cpr.formatted(number) not in everything
    assert (Citizen.objects.count(), Case.objects.count()) == (citizens_before, cases_before)

    path = write(tmp_path, "bad.csv", text)
    with pytest.raises(CommandError):
        call_command("import_citizens", path, "--team", "Team A")
    assert (Citizen.objects.count(), Case.objects.count()) == (citizens_before, cases_before)


@pytest.mark.django_db
def test_cli_prints_each_error_on_stderr_with_masked_cpr(tmp_path, capsys, team_a):
    bad_cpr = "9213901234"
    path = write(
        tmp_path, "bad.csv", citizens_csv(f"{bad_cpr},Omar,Haddad,SY,refugee,2019-01-10,,")
    )

    with pytest.raises(CommandError):
        call_command("import_citizens", path, "--team", "Team A")

    err = capsys.readouterr().err
    assert "921390-xxxx" in err
    assert bad_cpr not in err
    assert "line 2" in err


@pytest.mark.django_db
def test_cli_imports_and_prints_summary(tmp_path, capsys, three_citizens, team_a, team_b):
    _numbers, text = three_citizens
    path = write(tmp_path, "c.csv", text)

    call_command("import_citizens", path, "--team", "Team A")

    assert "3 rows: 3 created, 0 updated, 0 unchanged." in capsys.readouterr().out
    assert Citizen.objects.count() == 3


@pytest.mark.django_db
def test_cli_dry_run_writes_nothing(tmp_path, capsys, three_citizens, team_a, team_b):
    _numbers, text = three_citizens

    call_command("import_citizens", write(tmp_path, "c.csv", text), "--team", "Team A", "--dry-run")

    assert "3 created" in capsys.readouterr().out
    assert Citizen.objects.count() == 0


@pytest.mark.django_db
def test_cli_unknown_team_is_refused(tmp_path, three_citizens):
    _numbers, text = three_citizens
    with pytest.raises(CommandError, match="no team"):
        call_command("import_citizens", write(tmp_path, "c.csv", text), "--team", "Nowhere")


@pytest.mark.django_db
def test_reimport_creates_no_duplicates_and_counts_unchanged(three_citizens, team_a, team_b):
    numbers, text = three_citizens
    imports.import_citizens(text, filename="c.csv", default_team=team_a)

    report = imports.import_citizens(text, filename="c.csv", default_team=team_a)

    assert report.ok, report.errors
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    assert Citizen.objects.count() == 3
    assert Case.objects.count() == 3
    assert Household.objects.count() == 1


@pytest.mark.django_db
def test_reimport_with_changes_updates_the_citizen(three_citizens, team_a, team_b):
    numbers, text = three_citizens
    imports.import_citizens(text, filename="c.csv", default_team=team_a)
    version = Case.objects.get(citizen__cpr=numbers[2]).version
    changed = text.replace(
        "Dawit,Tesfaye,Eritrea,refugee,2023-11-20,Team B,",
        "Dawit,Tesfay,ER,refugee,2023-11-21,Team B,H-2",
    )

    report = imports.import_citizens(changed, filename="c2.csv", default_team=team_a)

    assert report.ok, report.errors
    assert (report.created, report.updated, report.unchanged) == (0, 1, 2)
    dawit = Citizen.objects.get(cpr=numbers[2])
    assert dawit.last_name == "Tesfay"
    assert dawit.arrival_date == dt.date(2023, 11, 21)
    assert dawit.household.reference == "H-2"
    assert dawit.case.version == version + 1


@pytest.mark.django_db
def test_duplicate_cpr_in_one_file_is_an_error(team_a):
    number = replacement_cpr()
    text = citizens_csv(
        f"{number},Amal,Haddad,SY,refugee,2019-01-10,,",
        f"{number},Amal,Haddad,SY,refugee,2019-01-10,,",
    )

    report = imports.import_citizens(text, default_team=team_a)

    assert [(e.line, e.column) for e in report.errors] == [(3, "cpr")]
    assert "line 2" in report.errors[0].reason
    assert Citizen.objects.count() == 0


@pytest.mark.django_db
def test_too_long_name_and_household_are_errors(team_a):
    text = citizens_csv(f"{replacement_cpr()},{'A' * 101},Haddad,SY,refugee,2019-01-10,,{'H' * 41}")

    report = imports.import_citizens(text, default_team=team_a)

    assert {(e.line, e.column) for e in report.errors} == {(2, "first_name"), (2, "household")}


@pytest.mark.django_db
def test_row_without_team_is_an_error(team_a):
    text = citizens_csv(
        f"{replacement_cpr()},Amal,Haddad,SY,refugee,2019-01-10,,",
        f"{replacement_cpr()},Omar,Haddad,SY,refugee,2019-01-10,Team A,",
        f"{replacement_cpr()},Sara,Haddad,SY,refugee,2019-01-10,Team Z,",
    )

    report = imports.import_citizens(text, default_team=None)

    assert {(e.line, e.column) for e in report.errors} == {(2, "team"), (4, "team")}


@pytest.mark.django_db
def test_missing_columns_give_one_error(team_a):
    text = "cpr;first_name;nationality;residence_basis\n" + f"{replacement_cpr()};A;SY;refugee\n"

    report = imports.import_citizens(text, default_team=team_a)

    assert len(report.errors) == 1
    error = report.errors[0]
    assert error.line == 1
    assert "last_name" in error.column and "arrival_date" in error.column
    assert Citizen.objects.count() == 0


@pytest.mark.django_db
def test_file_that_is_not_utf8_is_refused(tmp_path, team_a):
    text = citizens_csv(f"{replacement_cpr()},Jørgen,Ærø,DK,refugee,2019-01-10,,")

    report = imports.import_citizens(text.encode("latin-1"), default_team=team_a)

    assert len(report.errors) == 1
    assert "UTF-8" in report.errors[0].reason
    assert Citizen.objects.count() == 0
    with pytest.raises(CommandError):
        call_command(
            "import_citizens", write(tmp_path, "l1.csv", text.encode("latin-1")), "--team", "Team A"
        )


@pytest.mark.django_db
def test_empty_file_is_refused(team_a):
    for content in (b"", b"\xef\xbb\xbf", b"  \n\n"):
        report = imports.import_citizens(content, default_team=team_a)
        assert not report.ok
        assert "empty" in report.errors[0].reason


@pytest.mark.django_db
def test_blank_lines_are_skipped_and_short_rows_reported(team_a):
    text = citizens_csv(
        f"{replacement_cpr()},Amal,Haddad,SY,refugee,2019-01-10,,",
        "",
        ",,,,,,,",
        f"{replacement_cpr()},Omar,Haddad",
    )

    report = imports.import_citizens(text, default_team=team_a, commit=False)

    assert [(e.line, e.column) for e in report.errors] == [(5, "")]


@pytest.mark.django_db
def test_validating_a_file_costs_no_query_per_row(team_a):
    def queries_for(n: int) -> int:
        text = citizens_csv(
            *(f"{replacement_cpr()},Amal,Haddad,SY,refugee,2019-01-10,,H-{i}" for i in range(n))
        )
        with CaptureQueriesContext(connection) as ctx:
            report = imports.import_citizens(text, default_team=team_a, commit=False)
        assert report.ok, report.errors
        return len(ctx.captured_queries)

    # Teams, then the existing cases by CPR: whatever the number of rows.
    assert queries_for(3) == queries_for(60) == 2


@pytest.mark.django_db
def test_import_writes_an_access_log_row_per_citizen(three_citizens, administrator, team_a, team_b):
    numbers, text = three_citizens

    imports.import_citizens(text, filename="c.csv", default_team=team_a, user=administrator)
    imports.import_citizens(text, filename="c.csv", default_team=team_a, user=administrator)

    for number in numbers:
        rows = AccessLog.objects.filter(citizen__cpr=number, action=AccessAction.IMPORT)
        assert rows.count() == 2
        assert {r.user_id for r in rows} == {administrator.pk}
        assert rows.first().what == "citizen import c.csv"
    assert not AccessLog.objects.filter(action=AccessAction.IMPORT, citizen__isnull=True).exists()


@pytest.mark.django_db
def test_cli_import_logs_without_user(tmp_path, three_citizens, team_a, team_b):
    numbers, text = three_citizens

    call_command("import_citizens", write(tmp_path, "c.csv", text), "--team", "Team A")

    logged = AccessLog.objects.filter(action=AccessAction.IMPORT, user__isnull=True)
    assert set(logged.values_list("citizen__cpr", flat=True)) == set(numbers)


# --- employment -------------------------------------------------------------


@pytest.fixture
def two_cases(team_a):
    return [make_case(team=team_a, arrival=dt.date(2019, 1, 10)) for _ in range(2)]


@pytest.mark.django_db
def test_employment_import_adds_dream_spells(tmp_path, capsys, two_cases):
    a, b = (case.citizen.cpr for case in two_cases)
    text = (
        "cpr,start_date,end_date,category\n"
        f"{a},2019-03-01,2019-08-31,wage_subsidy\n"
        f"{a},01-09-2019,,ordinary_employment\n"
        f"{b},2019-05-01,,Benefits\n"
    )

    call_command("import_employment", write(tmp_path, "dream.csv", text))

    assert "3 rows: 3 created, 0 updated, 0 unchanged." in capsys.readouterr().out
    spells = EmploymentSpell.objects.filter(case=two_cases[0]).order_by("start_date")
    assert [(s.start_date, s.end_date, s.category, s.source) for s in spells] == [
        (dt.date(2019, 3, 1), dt.date(2019, 8, 31), "wage_subsidy", EmploymentSource.DREAM),
        (dt.date(2019, 9, 1), None, "ordinary_employment", EmploymentSource.DREAM),
    ]
    assert EmploymentSpell.objects.get(case=two_cases[1]).category == EmploymentCategory.BENEFITS
    assert AccessLog.objects.filter(action=AccessAction.IMPORT).count() == 2

    report = imports.import_employment(text, filename="dream.csv")

    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    assert EmploymentSpell.objects.count() == 3
    assert AccessLog.objects.filter(action=AccessAction.IMPORT).count() == 4
    assert not AccessLog.objects.filter(citizen__isnull=True).exists()


@pytest.mark.django_db
def test_employment_import_ends_an_ongoing_dream_spell(two_cases):
    a = two_cases[0].citizen.cpr
    imports.import_employment(f"cpr,start_date,end_date,category\n{a},2019-03-01,,internship\n")

    report = imports.import_employment(
        f"cpr,start_date,end_date,category\n{a},2019-03-01,2019-06-30,internship\n"
    )

    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    spell = EmploymentSpell.objects.get(case=two_cases[0])
    assert spell.end_date == dt.date(2019, 6, 30)


@pytest.mark.django_db
def test_bad_employment_file_reports_rows_and_writes_nothing(tmp_path, two_cases):
    a = two_cases[0].citizen.cpr
    stranger = replacement_cpr(dt.date(1980, 4, 4))
    text = (
        "cpr;start_date;end_date;category\n"
        f"{a};2019-03-01;2019-08-31;wage_subsidy\n"
        f"{stranger};2019-03-01;;benefits\n"
        f"{a};2019-05-01;2019-04-30;internship\n"
        f"{a};2019-05-01;;job\n"
    )

    report = imports.import_employment(text, filename="dream.csv")

    assert {(e.line, e.column) for e in report.errors} == {
        (3, "cpr"),
        (4, "end_date"),
        (5, "category"),
    }
    unknown = next(e for e in report.errors if e.line == 3)
    assert cpr.masked(stranger) in unknown.reason and stranger not in unknown.reason
    assert EmploymentSpell.objects.count() == 0
    with pytest.raises(CommandError):
        call_command("import_employment", write(tmp_path, "dream.csv", text))
    assert EmploymentSpell.objects.count() == 0


@pytest.mark.django_db
def test_employment_missing_column(team_a):
    report = imports.import_employment("cpr,start_date,category\n")
    assert [(e.line, e.column) for e in report.errors] == [(1, "end_date")]


# --- upload page ------------------------------------------------------------


def _upload(client, text: str, *, kind="citizens", team=None, name="c.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {"kind": kind, "file": SimpleUploadedFile(name, text.encode(), "text/csv")}
    if team is not None:
        data["team"] = team.pk
    return client.post(reverse("integration:import_upload"), data)


@pytest.mark.django_db
def test_admin_previews_then_confirms_an_upload(
    client_for, administrator, three_citizens, team_a, team_b
):
    numbers, text = three_citizens
    client = client_for(administrator)
    assert client.get(reverse("integration:import_upload")).status_code == 200

    response = _upload(client, text, team=team_a)

    assert response.status_code == 200
    assert response.context["report"].created == 3
    assert response.context["can_confirm"]
    assert Citizen.objects.count() == 0
    # The file waits server-side: the session holds only its key, no CPR number.
    waiting = PendingUpload.objects.get(user=administrator)
    assert client.session[SESSION_KEY] == str(waiting.key)
    assert waiting.meta["filename"] == "c.csv"
    session_text = str(dict(client.session))
    assert not any(number in session_text for number in numbers)

    response = client.post(reverse("integration:import_confirm"))

    assert response.status_code == 200
    assert response.context["report"].written
    assert Citizen.objects.count() == 3
    assert SESSION_KEY not in client.session
    assert not PendingUpload.objects.exists()
    assert set(
        AccessLog.objects.filter(action=AccessAction.IMPORT, user=administrator).values_list(
            "citizen__cpr", flat=True
        )
    ) == set(numbers)

    # A second confirm finds nothing waiting and writes nothing.
    response = client.post(reverse("integration:import_confirm"))
    assert response.status_code == 302
    assert Citizen.objects.count() == 3


@pytest.mark.django_db
def test_upload_preview_lists_errors_with_masked_cpr_and_offers_no_confirm(
    client_for, administrator, team_a
):
    bad_cpr = "9213901234"
    text = citizens_csv(f"{bad_cpr},Omar,Haddad,SY,refugee,2019-01-10,,")

    response = _upload(client_for(administrator), text, team=team_a)

    body = response.content.decode()
    assert "921390-xxxx" in body and bad_cpr not in body
    assert not response.context["can_confirm"]
    assert reverse("integration:import_confirm") not in body
    assert SESSION_KEY not in response.client.session


@pytest.mark.django_db
def test_confirm_revalidates_the_waiting_file(client_for, administrator, team_a):
    number = replacement_cpr()
    client = client_for(administrator)
    _upload(client, citizens_csv(f"{number},Amal,Haddad,SY,refugee,2019-01-10,,"), team=team_a)
    # Someone creates the same citizen between preview and confirm.
    make_case(
        team=team_a, cpr=number, first_name="Amal", last_name="Haddad", arrival=dt.date(2019, 1, 10)
    )

    response = client.post(reverse("integration:import_confirm"))

    report = response.context["report"]
    assert report.ok and report.unchanged == 1 and report.created == 0
    assert Citizen.objects.count() == 1


@pytest.mark.django_db
def test_employment_upload(client_for, administrator, two_cases):
    a = two_cases[0].citizen.cpr
    client = client_for(administrator)
    _upload(
        client, f"cpr,start_date,end_date,category\n{a},2019-03-01,,internship\n", kind="employment"
    )

    client.post(reverse("integration:import_confirm"))

    assert EmploymentSpell.objects.filter(case=two_cases[0]).count() == 1


@pytest.mark.django_db
def test_caseworker_cannot_import(client_for, caseworker_a, three_citizens, team_a):
    _numbers, text = three_citizens
    client = client_for(caseworker_a)

    assert client.get(reverse("integration:import_upload")).status_code == 403
    assert _upload(client, text, team=team_a).status_code == 403
    assert client.post(reverse("integration:import_confirm")).status_code == 403
    assert Citizen.objects.count() == 0


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("integration:import_upload"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.django_db
def test_header_without_rows_is_refused(team_a):
    report = imports.import_citizens(HEADER + "\n", default_team=team_a)
    assert not report.ok
    assert "no rows" in report.errors[0].reason


@pytest.mark.django_db
def test_existing_citizen_needs_no_team(team_a):
    case = make_case(
        team=team_a, first_name="Amal", last_name="Haddad", arrival=dt.date(2019, 1, 10)
    )
    number = case.citizen.cpr
    text = citizens_csv(
        f"{number},Amal,Haddad-Ali,SY,refugee,2019-01-10,,",
        f"{replacement_cpr()},Omar,Haddad,SY,refugee,2019-01-10,,",
    )

    report = imports.import_citizens(text, default_team=None)

    assert [(e.line, e.column) for e in report.errors] == [(3, "team")]

    report = imports.import_citizens(
        citizens_csv(f"{number},Amal,Haddad-Ali,SY,refugee,2019-01-10,,")
    )

    assert (report.created, report.updated) == (0, 1)
    case.refresh_from_db()
    assert case.citizen.last_name == "Haddad-Ali" and case.team == team_a


@pytest.mark.django_db
def test_clash_while_writing_rolls_everything_back(monkeypatch, team_a):
    existing = make_case(team=team_a, arrival=dt.date(2019, 1, 10)).citizen.cpr
    text = citizens_csv(
        f"{replacement_cpr()},Amal,Haddad,SY,refugee,2019-01-10,,H-9",
        f"{existing},Omar,Haddad,SY,refugee,2019-01-10,,H-9",
    )
    # As if the existing citizen had been created after the file was checked.
    monkeypatch.setattr(imports, "cases_by_cpr", lambda numbers: {})

    report = imports.import_citizens(text, default_team=team_a)

    assert not report.ok and not report.written
    assert "Nothing was written" in report.errors[0].reason
    assert Citizen.objects.count() == 1
    assert not Household.objects.exists()


def test_cpr_numbers_in_any_message_are_masked():
    error = csvimport.RowError(2, "nationality", "Unknown country “7101904000”.")
    assert "7101904000" not in str(error)
    assert "710190-xxxx" in error.reason


# --- the audit trail of the bulk writes -------------------------------------------


def _history(model, pk):
    return list(
        model.history.filter(id=pk)
        .order_by("history_id")
        .values_list("history_type", "history_user_id", "version")
    )


@pytest.mark.django_db
def test_created_and_changed_citizens_leave_history_log_and_deadlines(
    three_citizens, administrator, team_a, team_b
):
    numbers, text = three_citizens
    imports.import_citizens(text, filename="c.csv", default_team=team_a, user=administrator)
    dawit = Citizen.objects.get(cpr=numbers[2])
    case = dawit.case
    assert [(h.history_type, h.history_user_id) for h in dawit.history.all()] == [
        ("+", administrator.pk)
    ]
    assert _history(Case, case.pk) == [("+", administrator.pk, 1)]
    changed = text.replace(
        "Dawit,Tesfaye,Eritrea,refugee,2023-11-20", "Dawit,Tesfay,ER,refugee,2023-12-01"
    )

    imports.import_citizens(changed, filename="c2.csv", default_team=team_a, user=administrator)

    dawit.refresh_from_db()
    case.refresh_from_db()
    newest = dawit.history.order_by("-history_id").first()
    assert (newest.history_type, newest.history_user_id, newest.last_name) == (
        "~",
        administrator.pk,
        "Tesfay",
    )
    assert newest.arrival_date == dt.date(2023, 12, 1)
    assert newest.horizon_6m == dt.date(2024, 6, 1)  # derived again from the new arrival
    assert _history(Case, case.pk) == [("+", administrator.pk, 1), ("~", administrator.pk, 2)]
    # No placement yet: the first one is due 4 days after the new arrival.
    assert (case.next_deadline, case.next_deadline_kind) == (
        dt.date(2023, 12, 5),
        DeadlineKind.FIRST_PLACEMENT,
    )
    log = AccessLog.objects.filter(citizen=dawit).order_by("id")
    assert list(log.values_list("action", "what", "user_id")) == [
        (AccessAction.IMPORT, "citizen import c.csv", administrator.pk),
        (AccessAction.CHANGE, "citizen changed", administrator.pk),
        (AccessAction.IMPORT, "citizen import c2.csv", administrator.pk),
    ]
    # The unchanged citizens got an import row and no history.
    amal = Citizen.objects.get(cpr=numbers[0])
    assert amal.history.count() == 1
    assert AccessLog.objects.filter(citizen=amal).count() == 2


@pytest.mark.django_db
def test_changed_arrival_moves_the_deadline_from_the_stored_facts(team_a):
    from tests.factories import place

    case = make_case(team=team_a, arrival=dt.date(2019, 1, 10), first_name="Amal")
    place(case, start=dt.date(2019, 1, 12))
    number = case.citizen.cpr
    # Arrival a month later; the placement stays, so the next deadline is the
    # integration contract, a month after the new arrival.
    text = citizens_csv(f"{number},Amal,{case.citizen.last_name},SY,refugee,2019-02-10,,")

    report = imports.import_citizens(text)

    assert (report.updated, report.written) == (1, True)
    case.refresh_from_db()
    assert case.first_placement_on == dt.date(2019, 1, 12)
    assert (case.next_deadline, case.next_deadline_kind) == (
        dt.date(2019, 3, 10),
        DeadlineKind.CONTRACT,
    )


@pytest.mark.django_db
def test_a_case_saved_meanwhile_refuses_the_whole_update(team_a):
    from integration import services

    cases = [make_case(team=team_a, arrival=dt.date(2019, 1, 10)) for _ in range(2)]
    stale = Case.objects.select_related("citizen").get(pk=cases[1].pk)
    services.citizen_update(actor=None, case=cases[1], version=cases[1].version, last_name="X")
    fresh = Case.objects.select_related("citizen").get(pk=cases[0].pk)
    names = list(Citizen.objects.order_by("pk").values_list("last_name", flat=True))

    with pytest.raises(services.ConcurrentEditError):
        services.citizens_update_bulk(
            actor=None,
            changes=[
                (fresh, fresh.version, {"last_name": "Fresh"}),
                (stale, stale.version, {"last_name": "Stale"}),
            ],
        )

    assert list(Citizen.objects.order_by("pk").values_list("last_name", flat=True)) == names


@pytest.mark.django_db
def test_ended_spell_leaves_history_and_a_change_row(two_cases, administrator):
    a = two_cases[0].citizen.cpr
    imports.import_employment(f"cpr,start_date,end_date,category\n{a},2019-03-01,,internship\n")
    spell = EmploymentSpell.objects.get(case=two_cases[0])

    imports.import_employment(
        f"cpr,start_date,end_date,category\n{a},2019-03-01,2019-06-30,internship\n",
        filename="e2.csv",
        user=administrator,
    )

    assert _history(EmploymentSpell, spell.pk) == [("+", None, 1), ("~", administrator.pk, 2)]
    assert spell.history.order_by("-history_id").first().end_date == dt.date(2019, 6, 30)
    log = AccessLog.objects.filter(citizen=two_cases[0].citizen, user=administrator)
    assert sorted(log.values_list("action", "what")) == [
        (AccessAction.CHANGE, "employment status changed"),
        (AccessAction.IMPORT, "employment import e2.csv"),
    ]


@pytest.mark.django_db
def test_a_large_file_is_written_in_few_statements_with_every_record(team_a):
    """1,200 citizens: each with its case, history, status change and log row."""
    # One birth date each: day 1-28 (+60), month 1-12, born 1970-1973.
    numbers = [
        f"{(i % 28) + 61:02d}{(i // 28) % 12 + 1:02d}{70 + i // 336:02d}0{i % 1000:03d}"
        for i in range(1200)
    ]
    assert len(set(numbers)) == 1200
    text = citizens_csv(
        *(f"{n},Amal,Haddad{i},SY,refugee,2019-01-10,,H-{i % 400}" for i, n in enumerate(numbers))
    )

    with CaptureQueriesContext(connection) as ctx:
        report = imports.import_citizens(text, filename="big.csv", default_team=team_a)

    assert report.ok and report.written, report.errors[:3]
    assert report.created == 1200
    assert Citizen.objects.count() == Case.objects.count() == 1200
    assert Citizen.history.count() == Case.history.count() == 1200
    assert CaseStatusChange.objects.count() == 1200
    assert AccessLog.objects.filter(action=AccessAction.IMPORT).count() == 1200
    assert Household.objects.count() == Household.history.count() == 400
    citizen = Citizen.objects.get(cpr=numbers[777])
    assert (citizen.last_name, citizen.household.reference, citizen.case.team) == (
        "Haddad777",
        "H-377",
        team_a,
    )
    assert citizen.history.get().cpr == numbers[777]
    # SQLite takes at most 999 values a statement, so some 70 statements there
    # and a dozen on PostgreSQL: far from one per row.
    assert len(ctx.captured_queries) < 120


@pytest.mark.django_db
def test_a_waiting_file_older_than_an_hour_is_not_imported_and_retention_deletes_it(
    client_for, administrator, three_citizens, team_a, team_b
):
    from integration.retention import retention_apply

    _numbers, text = three_citizens
    client = client_for(administrator)
    _upload(client, text, team=team_a)
    assert PendingUpload.objects.count() == 1
    PendingUpload.objects.update(created_at=timezone.now() - dt.timedelta(minutes=61))
    response = client.post(reverse("integration:import_confirm"))
    assert response.status_code == 302
    assert Citizen.objects.count() == 0
    _upload(client, text, team=team_a)
    assert PendingUpload.objects.count() == 1
    PendingUpload.objects.update(created_at=timezone.now() - dt.timedelta(minutes=61))
    retention_apply()
    assert not PendingUpload.objects.exists()


@pytest.mark.django_db
def test_another_users_key_takes_nothing(client_for, administrator, three_citizens, team_a, team_b):
    _numbers, text = three_citizens
    _upload(client_for(administrator), text, team=team_a)
    key = str(PendingUpload.objects.get().key)
    other = UserFactory(username="admin_two", role="administrator")
    client = client_for(other)
    session = client.session
    session[SESSION_KEY] = key
    session.save()
    assert client.post(reverse("integration:import_confirm")).status_code == 302
    assert Citizen.objects.count() == 0
    assert PendingUpload.objects.filter(user=administrator).exists()


@pytest.mark.django_db
def test_a_file_with_thousands_of_bad_rows_lists_a_thousand_and_downloads_the_rest(
    client_for, administrator, team_a, caseworker_a, client_as
):
    rows = [f"{replacement_cpr()},Amal,Haddad,SY,refugee,2019-13-40,," for _ in range(1500)]
    client = client_for(administrator)
    response = _upload(client, citizens_csv(*rows), team=team_a)
    page = response.content.decode()
    errors = len(response.context["report"].errors)
    assert errors >= 1500
    assert len(response.context["report"].shown_errors) == 1000
    assert page.count("<tr>") < 1010
    assert f"{errors - 1000} more errors" in page or f"{errors - 1000} fejl mere" in page
    url = reverse("integration:import_errors")
    assert url in page
    download = client.get(url)
    assert download.status_code == 200
    assert download["Content-Type"].startswith("text/csv")
    lines = download.content.decode("utf-8-sig").splitlines()
    assert len(lines) == 1 + errors
    # The reasons mask a CPR number as the page does.
    assert not any(r.split(",")[0] in download.content.decode() for r in rows)
    # Nobody else gets the list.
    assert client_as(caseworker_a).get(url).status_code == 404


# --- residence basis in words ----------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("written", "basis"),
    [
        ("displaced_ukraine", "displaced_ukraine"),
        ("særloven", "displaced_ukraine"),
        ("Saerloven", "displaced_ukraine"),
        ("Fordrevet fra Ukraine", "displaced_ukraine"),
        ("Displaced from Ukraine", "displaced_ukraine"),
        ("Flygtning", "refugee"),
        ("REFUGEE", "refugee"),
        ("Familiesammenført", "family_reunified"),
        ("family reunified", "family_reunified"),
    ],
)
def test_residence_basis_is_taken_as_a_code_or_in_danish_or_english(written, basis, team_a):
    number = replacement_cpr(dt.date(1988, 4, 4))
    text = citizens_csv(f"{number},Olena,Kovalenko,Ukraine,{written},2022-05-02,,")

    report = imports.import_citizens(text, filename="c.csv", default_team=team_a)

    assert report.ok, report.errors
    assert Citizen.objects.get(cpr=number).residence_basis == basis


@pytest.mark.django_db
def test_an_unknown_residence_basis_is_refused_and_nothing_is_written(team_a):
    good, bad = replacement_cpr(dt.date(1988, 4, 4)), replacement_cpr(dt.date(1989, 4, 4))
    text = citizens_csv(
        f"{good},Olena,Kovalenko,UA,særloven,2022-05-02,,",
        f"{bad},Iryna,Bondar,UA,asyl,2022-05-02,,",
    )

    report = imports.import_citizens(text, filename="c.csv", default_team=team_a)

    assert not report.ok
    (error,) = report.errors
    assert (error.line, error.column) == (3, "residence_basis")
    assert "asyl" in error.reason and "displaced_ukraine" in error.reason
    assert not Citizen.objects.exists()
