"""Benchmark import (file, command and upload page) and the expected-arrivals editor."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone, translation

from evaluation.benchmarks import import_benchmarks, normalise_period, parse_value
from evaluation.models import ArrivalQuota, BenchmarkValue
from evaluation.views.benchmarks import SESSION_KEY
from integration.models import PendingUpload
from tests.factories import UserFactory

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "demo" / "benchmark_samples"
DOWNLOADED = dt.date(2019, 1, 15)

GOOD = (
    "municipality,period,indicator,value\n"
    "Demo Kommune,2018,refugees_ordinary_employment,37.9\n"
    "Odder,2018,refugees_ordinary_employment,38.2\n"
    "Hele landet,2018,refugees_ordinary_employment,35.1\n"
)


def _import(data, *, source="jobindsats", downloaded_on=DOWNLOADED, **kwargs):
    return import_benchmarks(data, source=source, downloaded_on=downloaded_on, **kwargs)


def _stored() -> dict[tuple[str, str, str], Decimal]:
    return {(b.indicator, b.municipality, b.period): b.value for b in BenchmarkValue.objects.all()}


# --- the file ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_good_file_creates_every_figure(administrator):
    report = _import(GOOD, filename="jobindsats.csv", user=administrator)
    assert report.ok, report.errors
    assert (report.rows, report.created, report.updated, report.unchanged) == (3, 3, 0, 0)
    assert report.written
    value = BenchmarkValue.objects.get(municipality="Demo Kommune")
    assert value.source == "jobindsats"
    assert value.indicator == "refugees_ordinary_employment"
    assert value.period == "2018"
    assert value.value == Decimal("37.9")
    assert value.downloaded_on == DOWNLOADED
    assert value.imported_by == administrator


@pytest.mark.django_db
def test_semicolons_decimal_commas_and_byte_order_mark():
    data = (
        "\ufeffmunicipality;period;indicator;value\r\n"
        "Demo Kommune;2018M12;refugees_ordinary_employment;35,2\r\n"
        "Horsens;2018M1;refugees_ordinary_employment;33\r\n"
        "Vejle;2018-03;refugees_ordinary_employment;36,75\r\n"
    ).encode()
    report = _import(data)
    assert report.ok, report.errors
    assert _stored() == {
        ("refugees_ordinary_employment", "Demo Kommune", "2018-12"): Decimal("35.2"),
        ("refugees_ordinary_employment", "Horsens", "2018-01"): Decimal("33"),
        ("refugees_ordinary_employment", "Vejle", "2018-03"): Decimal("36.75"),
    }


@pytest.mark.django_db
def test_bad_rows_are_each_reported_and_nothing_is_written():
    data = (
        "municipality;period;indicator;value\n"
        "Demo Kommune;2018;refugees_ordinary_employment;37,9\n"  # good, but not written
        "Odder;2018-13;refugees_ordinary_employment;38,2\n"  # line 3: no month 13
        "Horsens;2018;wellbeing_danish;33,4\n"  # line 4: not a Jobindsats indicator
        "Vejle;2018;refugees_ordinary_employment;..\n"  # line 5: no figure
        ";2018;refugees_ordinary_employment;30\n"  # line 6: no municipality
        "Demo Kommune;2018;refugees_ordinary_employment;37,9\n"  # line 7: repeats line 2
        "Ikast-Brande;2018;refugees_ordinary_employment;1.234,5\n"  # line 8: thousands
        "Odder;2017;refugees_ordinary_employment;31,512\n"  # line 9: three decimals
    )
    report = _import(data)
    assert not report.ok
    assert not report.written
    assert [(e.line, e.column) for e in report.errors] == [
        (3, "period"),
        (4, "indicator"),
        (5, "value"),
        (6, "municipality"),
        (7, "period"),
        (8, "value"),
        (9, "value"),
    ]
    assert "line 2" in report.errors[4].reason
    assert BenchmarkValue.objects.count() == 0


@pytest.mark.django_db
def test_every_figure_is_stored_with_its_role_and_period_kind():
    data = (
        "municipality;period;indicator;value\n"
        "Demo Kommune;2018;refugees_ordinary_employment;37,9\n"
        "Odder;2018K4;refugees_ordinary_employment;38,2\n"
        "Hele landet;2018M12;refugees_ordinary_employment;35,1\n"
    )
    report = _import(data)
    assert report.ok, report.errors
    stored = {
        b.municipality: (b.role, b.period, b.period_kind, b.source, b.downloaded_on)
        for b in BenchmarkValue.objects.all()
    }
    assert stored == {
        "Demo Kommune": ("own", "2018", "year", "jobindsats", DOWNLOADED),
        "Odder": ("neighbour", "2018-Q4", "quarter", "jobindsats", DOWNLOADED),
        "Hele landet": ("national", "2018-12", "month", "jobindsats", DOWNLOADED),
    }


@pytest.mark.django_db
def test_own_role_follows_the_configured_municipality(settings):
    settings.MUNICIPALITY_NAME = "Odder"
    assert _import(GOOD).ok
    roles = {b.municipality: b.role for b in BenchmarkValue.objects.all()}
    assert roles == {"Demo Kommune": "neighbour", "Odder": "own", "Hele landet": "national"}


@pytest.mark.django_db
def test_role_and_period_kind_columns_must_agree_and_nothing_is_written():
    data = (
        "municipality,period,indicator,value,role,period_kind\n"
        "Demo Kommune,2018,refugees_ordinary_employment,37.9,own,year\n"  # good, not written
        "Odder,2018,refugees_ordinary_employment,38.2,own,year\n"  # 3: Odder is not ours
        "Landsgennemsnit,2018,refugees_ordinary_employment,35.1,national,\n"  # 4: name
        "Vejle,2018-12,refugees_ordinary_employment,36.7,neighbour,year\n"  # 5: a month
        "Horsens,2018Q2,refugees_ordinary_employment,33.4,neighbour,quarter\n"  # good
        "Ikast-Brande,2018,refugees_ordinary_employment,41.3,nabo,\n"  # 7: unknown role
        "Hele landet,2018,refugees_ordinary_employment,35.1,,annual\n"  # 8: unknown kind
    )
    report = _import(data)
    assert [(e.line, e.column) for e in report.errors] == [
        (3, "role"),
        (4, "role"),
        (5, "period_kind"),
        (7, "role"),
        (8, "period_kind"),
    ]
    assert "Odder is neighbour, not own" in report.errors[0].reason
    assert "2018-12 is a month, not a year" in report.errors[2].reason
    assert report.errors[3].reason.startswith("Unknown role “nabo”; use one of: own,")
    assert report.errors[4].reason.startswith("Unknown period kind “annual”; use one of:")
    assert not report.written
    assert BenchmarkValue.objects.count() == 0


@pytest.mark.django_db
def test_check_shows_each_series_with_its_role_and_period_kind():
    data = GOOD + "Odder,2018M01,refugees_ordinary_employment,30.0\n"
    report = _import(data, commit=False)
    assert [
        (s["municipality"], s["role"], s["period_kind"], s["first"], s["last"], s["n"])
        for s in report.series
    ] == [
        ("Demo Kommune", "own", "year", "2018", "2018", 1),
        ("Odder", "neighbour", "month", "2018-01", "2018-01", 1),
        ("Odder", "neighbour", "year", "2018", "2018", 1),
        ("Hele landet", "national", "year", "2018", "2018", 1),
    ]


@pytest.mark.django_db
def test_missing_column_is_a_file_error():
    report = _import("municipality,period,value\nOdder,2018,38.2\n")
    assert [(e.line, e.column) for e in report.errors] == [(1, "indicator")]


@pytest.mark.django_db
def test_file_that_is_not_utf8_is_refused():
    report = _import("municipality;period;indicator;value\nÆrø;2018;x;1\n".encode("cp1252"))
    assert not report.ok
    assert "UTF-8" in report.errors[0].reason


@pytest.mark.django_db
def test_download_date_in_the_future_is_refused():
    report = _import(GOOD, downloaded_on=timezone.localdate() + dt.timedelta(days=2))
    assert [e.column for e in report.errors] == ["downloaded_on"]
    assert BenchmarkValue.objects.count() == 0


@pytest.mark.django_db
def test_check_only_writes_nothing():
    report = _import(GOOD, commit=False)
    assert report.ok and not report.written
    assert report.created == 3
    assert BenchmarkValue.objects.count() == 0


@pytest.mark.django_db
def test_same_file_again_is_unchanged():
    _import(GOOD)
    report = _import(GOOD, downloaded_on=dt.date(2019, 2, 1))
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    assert BenchmarkValue.objects.count() == 3
    # An unchanged figure keeps the day it was first downloaded.
    assert set(BenchmarkValue.objects.values_list("downloaded_on", flat=True)) == {DOWNLOADED}


@pytest.mark.django_db
def test_changed_value_is_updated_with_its_new_download_date():
    _import(GOOD)
    revised = GOOD.replace(
        "Odder,2018,refugees_ordinary_employment,38.2", "Odder,2018,refugees_ordinary_employment,39"
    )
    report = _import(revised, downloaded_on=dt.date(2019, 2, 1))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 2)
    odder = BenchmarkValue.objects.get(municipality="Odder")
    assert odder.value == Decimal("39")
    assert odder.downloaded_on == dt.date(2019, 2, 1)


@pytest.mark.django_db
def test_same_figure_from_another_source_is_kept_apart():
    _import(
        "municipality,period,indicator,value\nOdder,2018,danish_absence,12.5\n",
        source="danish_absence",
    )
    _import(GOOD)
    assert BenchmarkValue.objects.count() == 4


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "source", "rows"),
    [
        ("jobindsats_employment.csv", "jobindsats", 12),
        ("wellbeing.csv", "wellbeing", 14),
        ("danish_absence.csv", "danish_absence", 13),
    ],
)
def test_sample_files_import_cleanly(name, source, rows):
    report = _import((SAMPLES / name).read_bytes(), source=source)
    assert report.ok, report.errors
    assert report.created == rows


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2018", "2018"),
        ("2018-12", "2018-12"),
        ("2018M12", "2018-12"),
        ("2018m1", "2018-01"),
        ("2018Q4", "2018-Q4"),
        ("2018K1", "2018-Q1"),
        ("2018-q2", "2018-Q2"),
    ],
)
def test_period_forms(text, expected):
    assert normalise_period(text) == expected


@pytest.mark.parametrize("text", ["18", "2018-00", "2018M13", "2018Q5", "12-2018", "1889"])
def test_period_that_is_not_a_year_or_month_is_refused(text):
    with pytest.raises(ValueError):
        normalise_period(text)


@pytest.mark.parametrize(
    ("text", "expected"), [("35,2", Decimal("35.2")), ("35.2", Decimal("35.2")), ("0", Decimal(0))]
)
def test_value_with_comma_or_point(text, expected):
    assert parse_value(text) == expected


@pytest.mark.parametrize("text", ["-3", "35,2 %", "1.234,5", "", "3,141", "12345678"])
def test_value_that_is_not_a_plain_number_is_refused(text):
    with pytest.raises(ValueError):
        parse_value(text)


# --- the command ------------------------------------------------------------------------


@pytest.mark.django_db
def test_command_imports_a_file(tmp_path, capsys):
    path = tmp_path / "jobindsats.csv"
    path.write_text(GOOD, encoding="utf-8")
    call_command(
        "import_benchmark", str(path), "--source", "jobindsats", "--downloaded-on", "2019-01-15"
    )
    assert capsys.readouterr().out.strip()  # the summary, in the site's language
    assert BenchmarkValue.objects.filter(downloaded_on=DOWNLOADED).count() == 3


@pytest.mark.django_db
def test_command_fails_and_writes_nothing_on_a_bad_row(tmp_path, capsys):
    path = tmp_path / "jobindsats.csv"
    path.write_text(GOOD + "Vejle,2018,refugees_ordinary_employment,abc\n", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command(
            "import_benchmark", str(path), "--source", "jobindsats", "--downloaded-on", "2019-01-15"
        )
    err = capsys.readouterr().err
    assert "5" in err and "value" in err and "abc" in err
    assert BenchmarkValue.objects.count() == 0


@pytest.mark.django_db
def test_command_dry_run_writes_nothing(tmp_path, capsys):
    path = tmp_path / "jobindsats.csv"
    path.write_text(GOOD, encoding="utf-8")
    call_command(
        "import_benchmark",
        str(path),
        "--source=jobindsats",
        "--downloaded-on=15-01-2019",
        "--dry-run",
    )
    assert "nothing written" in capsys.readouterr().out.lower()
    assert BenchmarkValue.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "options",
    [
        ["--source=jobindsats"],  # no download date
        ["--source=jobindsats", "--downloaded-on=15/01/2019"],
        ["--source=dst", "--downloaded-on=2019-01-15"],
    ],
)
def test_command_refuses_bad_options(tmp_path, options):
    path = tmp_path / "jobindsats.csv"
    path.write_text(GOOD, encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_benchmark", str(path), *options)
    assert BenchmarkValue.objects.count() == 0


# --- the pages ----------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def english_messages():
    """Reasons are asserted in English here; the Danish catalogue has its own test."""
    with translation.override("en"):
        yield


@pytest.fixture
def caseworker(team_a):
    return UserFactory(username="caseworker", team=team_a, role="caseworker")


@pytest.fixture
def signed_in(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


def _upload(client, data: bytes, *, source="jobindsats", downloaded_on="2019-01-15"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        reverse("evaluation:benchmark_upload"),
        {
            "source": source,
            "downloaded_on": downloaded_on,
            "file": SimpleUploadedFile("jobindsats.csv", data, content_type="text/csv"),
        },
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "upload_status", "list_status"),
    [
        ("administrator", 200, 200),
        ("manager", 403, 200),
        ("secretariat", 403, 403),
        ("caseworker", 403, 403),
    ],
)
def test_who_may_upload_and_see_benchmarks(request, signed_in, persona, upload_status, list_status):
    client = signed_in(request.getfixturevalue(persona))
    assert client.get(reverse("evaluation:benchmark_upload")).status_code == upload_status
    assert client.get(reverse("evaluation:benchmark_list")).status_code == list_status
    assert client.get(reverse("evaluation:quota_edit")).status_code == upload_status


@pytest.mark.django_db
def test_manager_cannot_post_a_file_or_confirm(signed_in, manager):
    client = signed_in(manager)
    assert _upload(client, GOOD.encode()).status_code == 403
    assert client.post(reverse("evaluation:benchmark_confirm")).status_code == 403
    assert BenchmarkValue.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["benchmark_list", "benchmark_upload", "quota_edit"])
def test_anonymous_is_sent_to_sign_in(client, name):
    response = client.get(reverse(f"evaluation:{name}"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_upload_page_defaults_the_download_date_to_today(signed_in, administrator):
    response = signed_in(administrator).get(reverse("evaluation:benchmark_upload"))
    # As every date field shows it: 31-01-2019 (common.forms.DateInput).
    assert f'value="{timezone.localdate():%d-%m-%Y}"' in response.content.decode()


@pytest.mark.django_db
def test_upload_is_previewed_and_written_only_when_confirmed(signed_in, administrator):
    client = signed_in(administrator)
    response = _upload(client, GOOD.encode())
    assert response.status_code == 200
    assert reverse("evaluation:benchmark_confirm") in response.content.decode()
    assert BenchmarkValue.objects.count() == 0
    waiting = PendingUpload.objects.get(user=administrator)
    assert client.session[SESSION_KEY] == str(waiting.key)
    assert waiting.meta["downloaded_on"] == "2019-01-15"

    response = client.post(reverse("evaluation:benchmark_confirm"))
    assert response.status_code == 200
    assert BenchmarkValue.objects.filter(imported_by=administrator).count() == 3
    assert SESSION_KEY not in client.session
    # Confirming twice does not import twice.
    response = client.post(reverse("evaluation:benchmark_confirm"))
    assert response.status_code == 302


@pytest.mark.django_db
def test_upload_with_errors_shows_them_and_offers_no_confirm(signed_in, administrator):
    client = signed_in(administrator)
    response = _upload(client, (GOOD + "Vejle,2018,refugees_ordinary_employment,abc\n").encode())
    page = response.content.decode()
    assert response.status_code == 200
    assert "abc" in page
    assert reverse("evaluation:benchmark_confirm") not in page
    assert SESSION_KEY not in client.session
    assert BenchmarkValue.objects.count() == 0


@pytest.mark.django_db
def test_upload_refuses_a_future_download_date(signed_in, administrator):
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    response = _upload(signed_in(administrator), GOOD.encode(), downloaded_on=future)
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.content.decode()
    assert SESSION_KEY not in response.wsgi_request.session


@pytest.mark.django_db
def test_list_shows_a_table_per_indicator_in_danish_decimals(
    signed_in, manager, django_assert_num_queries
):
    _import((SAMPLES / "jobindsats_employment.csv").read_bytes())
    _import((SAMPLES / "wellbeing.csv").read_bytes(), source="wellbeing")
    client = signed_in(manager)
    # 1 session, 2 user, 3-4 the user's groups and permissions (a first
    # request's; later from the cache), 5 the figures.
    with django_assert_num_queries(5):
        response = client.get(reverse("evaluation:benchmark_list"))
    page = response.content.decode()
    assert page.count("<table") == 3  # employment, wellbeing bilingual, wellbeing Danish
    assert "37,9" in page  # Demo Kommune 2018
    assert "15-01-2019" in page
    # Own municipality first, the neighbours by name, the country last.
    columns = ["Demo Kommune", "Horsens", "Ikast-Brande", "Odder", "Vejle", "Hele landet"]
    positions = [page.index(f'class="text-end">{name}<br>') for name in columns]
    assert positions == sorted(positions)
    # Each column says whose figures they are, and each row its kind of period.
    own = page.index('class="text-end">Demo Kommune<br>')
    assert page.index("Egen kommune", own) < page.index('class="text-end">Horsens<br>')
    assert "Anden kommune" in page and "Landstal" in page
    assert "<td>År</td>" in page
    assert "style=" not in page
    assert page.count("<h1") == 1


# --- expected arrivals ---------------------------------------------------------------------


def _quota_post(forms: list[dict], initial: int) -> dict:
    data = {
        "form-TOTAL_FORMS": str(len(forms)),
        "form-INITIAL_FORMS": str(initial),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
    }
    for i, form in enumerate(forms):
        data.update({f"form-{i}-{key}": value for key, value in form.items()})
    return data


@pytest.mark.django_db
def test_administrator_adds_a_year_and_changes_another(signed_in, administrator):
    old = ArrivalQuota.objects.create(year=2018, expected=40)
    client = signed_in(administrator)
    assert client.get(reverse("evaluation:quota_edit")).status_code == 200
    response = client.post(
        reverse("evaluation:quota_edit"),
        _quota_post(
            [
                {"id": str(old.pk), "year": "1999", "expected": "45"},  # a stored year stays
                {"id": "", "year": "2019", "expected": "30"},
            ],
            initial=1,
        ),
    )
    assert response.status_code == 302
    assert dict(ArrivalQuota.objects.values_list("year", "expected")) == {2018: 45, 2019: 30}


@pytest.mark.django_db
def test_a_year_cannot_be_added_twice(signed_in, administrator):
    old = ArrivalQuota.objects.create(year=2018, expected=40)
    response = signed_in(administrator).post(
        reverse("evaluation:quota_edit"),
        _quota_post(
            [
                {"id": str(old.pk), "expected": "40"},
                {"id": "", "year": "2018", "expected": "99"},
            ],
            initial=1,
        ),
    )
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.content.decode()
    assert dict(ArrivalQuota.objects.values_list("year", "expected")) == {2018: 40}


@pytest.mark.django_db
def test_manager_cannot_change_the_quota(signed_in, manager):
    response = signed_in(manager).post(
        reverse("evaluation:quota_edit"),
        _quota_post([{"id": "", "year": "2019", "expected": "30"}], initial=0),
    )
    assert response.status_code == 403
    assert not ArrivalQuota.objects.exists()
