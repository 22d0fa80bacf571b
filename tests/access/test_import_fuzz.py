"""Bad files for every CSV import: each is refused with a report and writes nothing.

The four imports (citizens, employment status, progression measurements,
benchmark figures) get the same malformed files: wrong encodings, broken
structure, huge fields and files, spreadsheet formulas, impossible dates and
numbers, failing CPR numbers and duplicates. For each the report must name the
line and column of the problem, and every table an import writes (history and
access log included) must be exactly as it was. A hypothesis test then mixes
valid and invalid rows at random: a file is either imported whole or refused
whole, never in part.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common import csvimport, data_version
from common.csvimport import ImportReport
from evaluation.benchmarks import import_benchmarks
from evaluation.models import BenchmarkValue
from integration import imports as integration_imports
from integration.models import (
    AccessLog,
    Case,
    CaseStatusChange,
    Citizen,
    EmploymentSpell,
    Household,
)
from progression import imports as progression_imports
from progression.models import DialogueTopic, Measurement, Questionnaire, Round
from tests.factories import make_case

ARRIVAL = dt.date(2020, 1, 15)
DOWNLOADED = dt.date(2024, 1, 15)

# Every table an import writes, with its history where it keeps one.
WRITTEN = [
    Citizen,
    Citizen.history.model,
    Household,
    Household.history.model,
    Case,
    Case.history.model,
    CaseStatusChange,
    EmploymentSpell,
    EmploymentSpell.history.model,
    Round,
    Round.history.model,
    Measurement,
    Measurement.history.model,
    DialogueTopic,
    DialogueTopic.history.model,
    BenchmarkValue,
    AccessLog,
]

_births = itertools.count()


def fresh_cpr() -> str:
    """A replacement number no other call returns: one birth date each."""
    born = dt.date(1960, 1, 1) + dt.timedelta(days=next(_births) % 14_000)
    return f"{born.day + 60:02d}{born.month:02d}{born.year % 100:02d}1234"


def snapshot() -> dict:
    """Every row of every table an import writes, and the cache's data version."""
    state = {m._meta.label: list(m.objects.order_by("pk").values()) for m in WRITTEN}
    state["data_version"] = data_version.current()
    return state


def csv_text(header: list[str], rows: list[list[str]], delimiter: str = ",") -> str:
    out = io.StringIO()
    # "\r\n", so that a cell holding a carriage return is quoted as a spreadsheet would.
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


@dataclass
class World:
    """What is stored before a bad file arrives: one good import of each kind."""

    team: object
    cprs: list[str]  # citizens with a case, arrived on ARRIVAL


@dataclass
class Importer:
    name: str
    header: list[str]
    run: Callable[[bytes | str], ImportReport]
    # n valid rows for this world; each call gives new ones
    rows: Callable[[World, int], list[list[str]]]
    text_column: str  # where a free value lands (or the first column taking text)
    danish_text: str  # a value with æ, ø or å for that column
    date_column: str
    bad_dates: list[str]
    out_of_range: list[tuple[str, str]]  # (column, value)
    duplicate: Callable[[list[str]], list[str]]  # a row that clashes with the given one
    duplicate_column: str
    optional: tuple[str, ...] = ()

    @property
    def required(self) -> list[str]:
        return [c for c in self.header if c not in self.optional]


def _citizen_rows(world: World, n: int) -> list[list[str]]:
    return [
        [fresh_cpr(), "Amal", f"Haddad{i}", "Syrien", "refugee", "2021-05-01", "Team A", "H-7"]
        for i in range(n)
    ]


def _spell_rows(world: World, n: int) -> list[list[str]]:
    starts = (dt.date(2020, 2, 1) + dt.timedelta(days=next(_births) % 1500) for _ in range(n))
    return [
        [world.cprs[i % len(world.cprs)], f"{start:%d-%m-%Y}", "", "internship"]
        for i, start in enumerate(starts)
    ]


def _days_after(day: str, days: int) -> str:
    d, m, y = map(int, day.split("-"))
    return f"{dt.date(y, m, d) + dt.timedelta(days=days):%d-%m-%Y}"


def _score_rows(world: World, n: int) -> list[list[str]]:
    day = dt.date(2022, 1, 1) + dt.timedelta(days=next(_births) % 700)
    rows = []
    for i in range(n):
        cpr = world.cprs[i // 13 % len(world.cprs)]
        rows.append([cpr, day.isoformat(), "caseworker", str(i % 13 + 1), str(i % 5 + 1)])
    return rows


def _benchmark_rows(world: World, n: int) -> list[list[str]]:
    year = 1990 + next(_births) % 100
    names = ["Odder", "Horsens", "Vejle", "Ikast-Brande", "Hele landet"]
    return [
        [f"{names[i % 5]} {i // 5}", f"{year}M{i % 12 + 1:02d}", "refugees_ordinary_employment",
         f"{30 + i % 10},{i % 10}"]
        for i in range(n)
    ]  # fmt: skip


IMPORTERS = [
    Importer(
        name="citizens",
        header=[
            "cpr",
            "first_name",
            "last_name",
            "nationality",
            "residence_basis",
            "arrival_date",
            "team",
            "household",
        ],  # fmt: skip
        run=lambda data: integration_imports.import_citizens(data, filename="fuzz.csv"),
        rows=_citizen_rows,
        text_column="first_name",
        danish_text="Jørgen Ærø",
        date_column="arrival_date",
        bad_dates=["31-02-2019", "2019-13-01", "00-00-0000", "2019-02-29", "1.3.2019"],
        out_of_range=[("arrival_date", "9999-12-31"), ("arrival_date", "01-01-1900")],
        duplicate=lambda row: [row[0], "Omar", *row[2:]],
        duplicate_column="cpr",
        optional=("team", "household"),
    ),
    Importer(
        name="employment",
        header=["cpr", "start_date", "end_date", "category"],
        run=lambda data: integration_imports.import_employment(data, filename="fuzz.csv"),
        rows=_spell_rows,
        text_column="category",
        danish_text="beskæftigelse",
        date_column="start_date",
        bad_dates=["31-02-2019", "2019-13-01", "00-00-0000", "2019-02-29", "1.3.2019"],
        out_of_range=[("start_date", "0001-01-01"), ("start_date", "9999-12-31")],
        duplicate=lambda row: [row[0], row[1], _days_after(row[1], 30), row[3]],
        duplicate_column="start_date",
    ),
    Importer(
        name="measurements",
        header=["cpr", "date", "rater", "item", "score"],
        run=lambda data: progression_imports.import_measurements(data, filename="fuzz.csv"),
        rows=_score_rows,
        text_column="rater",
        danish_text="sagsbehandler ø",
        date_column="date",
        bad_dates=["31-02-2019", "2019-13-01", "00-00-0000", "2019-02-29", "1.3.2019"],
        out_of_range=[
            ("score", "6"),
            ("score", "0"),
            ("score", "99999999999999999999"),
            ("score", "3.5"),
            ("item", "14"),
            ("item", "0"),
            ("date", "9999-12-31"),
            ("date", "2019-01-01"),  # before the citizen arrived
        ],
        duplicate=lambda row: [*row[:4], str(int(row[4]) % 5 + 1)],
        duplicate_column="score",
    ),
    Importer(
        name="benchmarks",
        header=["municipality", "period", "indicator", "value"],
        run=lambda data: import_benchmarks(
            data, source="jobindsats", downloaded_on=DOWNLOADED, filename="fuzz.csv"
        ),
        rows=_benchmark_rows,
        text_column="municipality",
        danish_text="Århus",
        date_column="period",
        bad_dates=["2019-13", "0000", "2019M00", "20190", "31-02-2019"],
        out_of_range=[
            ("value", "1000000000000"),
            ("value", "12,3456"),
            ("value", "1e3"),
            ("period", "1899"),
            ("period", "2101"),
        ],
        duplicate=lambda row: [row[0], row[1], row[2], "99,9"],
        duplicate_column="period",
    ),
]
BY_NAME = {imp.name: imp for imp in IMPORTERS}


@pytest.fixture(autouse=True)
def english_messages():
    with translation.override("en"):
        yield


@pytest.fixture
def world(team_a) -> World:
    current = Questionnaire.objects.filter(status=Questionnaire.Status.PUBLISHED).first()
    assert current is not None, "the default questionnaire is published by a migration"
    cases = [make_case(team=team_a, arrival=ARRIVAL, cpr=fresh_cpr()) for _ in range(3)]
    world = World(team=team_a, cprs=[case.citizen.cpr for case in cases])
    # One good file of each kind, so that every table has rows to keep.
    for imp in IMPORTERS:
        report = imp.run(csv_text(imp.header, imp.rows(world, 4)))
        assert report.ok and report.written, (imp.name, report.errors)
    return world


def assert_refused(imp: Importer, data: bytes | str, before: dict, *, line, column=None):
    """The import refuses ``data``, names (line, column), and changes nothing."""
    report = imp.run(data)
    assert not report.ok and not report.written
    where = {(e.line, e.column) for e in report.errors}
    if column is None:
        assert line in {e.line for e in report.errors}, report.errors
    else:
        assert (line, column) in where, report.errors
    for error in report.errors:
        text = str(error)
        assert text.startswith("line " if error.line else "file"), text
        if error.column:
            assert f", column {error.column}: " in text
    assert snapshot() == before
    return report


def build(imp: Importer, world: World, *, line: int, column: str, value: str, n: int = 3) -> str:
    """A valid file of ``n`` rows except for ``value`` in ``column`` on ``line``."""
    rows = imp.rows(world, n)
    rows[line - 2][imp.header.index(column)] = value
    return csv_text(imp.header, rows)


importers = pytest.mark.parametrize("imp", IMPORTERS, ids=lambda imp: imp.name)


# --- encodings ----------------------------------------------------------------------


@importers
@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
@pytest.mark.django_db
def test_utf16_and_utf32_files_are_refused(imp, encoding, world):
    before = snapshot()
    data = csv_text(imp.header, imp.rows(world, 3)).encode(encoding)
    report = assert_refused(imp, data, before, line=1, column="")
    assert "UTF-8" in report.errors[0].reason


@importers
@pytest.mark.django_db
def test_latin1_file_with_danish_letters_is_refused_at_the_letter(imp, world):
    before = snapshot()
    text = build(imp, world, line=3, column=imp.text_column, value=imp.danish_text)
    report = assert_refused(imp, text.encode("latin-1"), before, line=3, column=imp.text_column)
    assert "UTF-8" in report.errors[0].reason


@importers
@pytest.mark.parametrize("seed", range(4))
@pytest.mark.django_db
def test_random_bytes_are_refused(imp, seed, world):
    before = snapshot()
    noise = random.Random(seed).randbytes(400)
    assert_refused(imp, noise, before, line=1)
    # The same noise after a good header and row: the report points below them.
    good = csv_text(imp.header, imp.rows(world, 1)).encode()
    report = imp.run(good + noise)
    assert not report.ok and min(e.line or 0 for e in report.errors) >= 3
    assert snapshot() == before


@importers
@pytest.mark.django_db
def test_byte_order_mark_inside_a_cell_is_refused(imp, world):
    before = snapshot()
    value = imp.danish_text[:2] + "\ufeff" + imp.danish_text[2:]
    text = build(imp, world, line=3, column=imp.text_column, value=value)
    assert_refused(imp, text.encode(), before, line=3, column=imp.text_column)


@importers
@pytest.mark.django_db
def test_byte_order_mark_starting_a_line_is_refused(imp, world):
    """Two files glued together: the second one's mark sits at the start of a row."""
    before = snapshot()
    rows = csv_text(imp.header, imp.rows(world, 3)).splitlines()
    rows[2] = "\ufeff" + rows[2]
    assert_refused(imp, "\n".join(rows).encode(), before, line=3, column=imp.header[0])


@importers
@pytest.mark.parametrize("as_bytes", [True, False], ids=["bytes", "text"])
@pytest.mark.django_db
def test_nul_byte_is_refused(imp, as_bytes, world):
    before = snapshot()
    text = build(imp, world, line=3, column=imp.text_column, value="Am\x00al")
    assert_refused(imp, text.encode() if as_bytes else text, before, line=3,
                   column=imp.text_column)  # fmt: skip


# --- structure ----------------------------------------------------------------------


@importers
@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b" \r\n\r\n", b";;;\n,,,\n"])
@pytest.mark.django_db
def test_empty_file_is_refused(imp, content, world):
    before = snapshot()
    report = imp.run(content)
    assert not report.ok and not report.written
    assert snapshot() == before
    if content.strip(b" \r\n\xef\xbb\xbf"):
        assert (1, ", ".join(imp.required)) in {(e.line, e.column) for e in report.errors}
    else:
        assert [(e.line, str(e)) for e in report.errors] == [(None, "file: The file is empty.")]


@importers
@pytest.mark.django_db
def test_header_only_is_refused(imp, world):
    before = snapshot()
    report = assert_refused(imp, ",".join(imp.header) + "\n\n", before, line=None)
    assert "no rows" in str(report.errors[0])


@importers
@pytest.mark.django_db
def test_missing_column_is_refused(imp, world):
    before = snapshot()
    i = imp.header.index(imp.required[-1])
    rows = [row[:i] + row[i + 1 :] for row in imp.rows(world, 3)]
    header = imp.header[:i] + imp.header[i + 1 :]
    assert_refused(imp, csv_text(header, rows), before, line=1, column=imp.required[-1])


@importers
@pytest.mark.django_db
def test_extra_column_is_refused(imp, world):
    before = snapshot()
    rows = [[*row, "whatever"] for row in imp.rows(world, 3)]
    report = assert_refused(
        imp, csv_text([*imp.header, "Notes"], rows), before, line=1, column="Notes"
    )
    assert "Unknown column" in report.errors[0].reason


@importers
@pytest.mark.django_db
def test_duplicated_column_is_refused(imp, world):
    before = snapshot()
    i = imp.header.index(imp.text_column)
    rows = [[*row, row[i]] for row in imp.rows(world, 3)]
    header = [*imp.header, imp.text_column.upper()]
    assert_refused(imp, csv_text(header, rows), before, line=1, column=imp.text_column)


@importers
@pytest.mark.parametrize("delimiter", ["\t", "|", " "])
@pytest.mark.django_db
def test_wrong_delimiter_is_refused(imp, delimiter, world):
    before = snapshot()
    text = csv_text(imp.header, imp.rows(world, 3), delimiter=delimiter)
    assert_refused(imp, text, before, line=1, column=", ".join(imp.required))


@importers
@pytest.mark.django_db
def test_row_with_too_many_or_too_few_fields_is_refused(imp, world):
    before = snapshot()
    rows = imp.rows(world, 3)
    rows[0].append("surplus")
    rows[1].pop()
    report = assert_refused(imp, csv_text(imp.header, rows), before, line=2, column="")
    assert (3, "") in {(e.line, e.column) for e in report.errors}


@importers
@pytest.mark.django_db
def test_value_under_a_column_without_a_name_is_refused(imp, world):
    before = snapshot()
    rows = [[*row, ""] for row in imp.rows(world, 3)]
    rows[1][-1] = "stray"
    text = csv_text([*imp.header, ""], rows)
    assert_refused(imp, text, before, line=3, column=str(len(imp.header) + 1))


@importers
@pytest.mark.django_db
def test_unterminated_quote_is_refused(imp, world):
    before = snapshot()
    text = csv_text(imp.header, imp.rows(world, 3)) + '"' + "x" * 50
    assert_refused(imp, text, before, line=5)


# --- sizes --------------------------------------------------------------------------


@importers
@pytest.mark.django_db
def test_one_megabyte_cell_is_refused_under_its_column(imp, world):
    before = snapshot()
    text = build(imp, world, line=3, column=imp.text_column, value="A" * 2**20)
    report = assert_refused(imp, text, before, line=3, column=imp.text_column)
    # The message quotes at most a little of it.
    assert max(len(e.reason) for e in report.errors) < 400


@importers
@pytest.mark.django_db
def test_more_rows_than_the_limit_are_refused(imp, world, monkeypatch):
    monkeypatch.setattr(csvimport, "MAX_ROWS", 30)
    before = snapshot()
    report = assert_refused(imp, csv_text(imp.header, imp.rows(world, 31)), before,
                            line=32, column="")  # fmt: skip
    assert "more than 30 rows" in report.errors[0].reason
    # At the limit the same kind of file is fine (checked only).
    assert imp.run(csv_text(imp.header, imp.rows(world, 30))).ok


# --- values -------------------------------------------------------------------------

FORMULAS = ["=cmd|' /C calc'!A0", "=1+1", "+1+1", "-2+3", "@SUM(A1:A9)", "\t=1", "\r=1", " =1"]


@importers
@pytest.mark.parametrize("formula", FORMULAS)
@pytest.mark.django_db
def test_formula_in_a_cell_is_refused(imp, formula, world):
    before = snapshot()
    text = build(imp, world, line=3, column=imp.text_column, value=formula)
    report = assert_refused(imp, text, before, line=3, column=imp.text_column)
    assert "formula" in " ".join(e.reason for e in report.errors)


@importers
@pytest.mark.django_db
def test_formula_in_the_first_column_is_refused(imp, world):
    before = snapshot()
    rows = imp.rows(world, 3)
    rows[1][0] = "-" + rows[1][0]  # "-6101901234" would compact to a valid CPR number
    assert_refused(imp, csv_text(imp.header, rows), before, line=3, column=imp.header[0])


@pytest.mark.parametrize(
    ("imp", "value"),
    [(imp, value) for imp in IMPORTERS for value in imp.bad_dates],
    ids=lambda x: x.name if isinstance(x, Importer) else x,
)
@pytest.mark.django_db
def test_date_that_does_not_exist_is_refused(imp, value, world):
    before = snapshot()
    text = build(imp, world, line=3, column=imp.date_column, value=value)
    assert_refused(imp, text, before, line=3, column=imp.date_column)


@pytest.mark.parametrize(
    ("imp", "column", "value"),
    [(imp, column, value) for imp in IMPORTERS for column, value in imp.out_of_range],
    ids=lambda x: x.name if isinstance(x, Importer) else x,
)
@pytest.mark.django_db
def test_value_out_of_range_is_refused(imp, column, value, world):
    before = snapshot()
    text = build(imp, world, line=3, column=column, value=value)
    assert_refused(imp, text, before, line=3, column=column)


@pytest.mark.parametrize("name", ["citizens", "employment", "measurements"])
@pytest.mark.parametrize("number", ["9213901234", "12345", "0000000000", "6101901234x", "abc"])
@pytest.mark.django_db
def test_cpr_number_that_fails_the_check_is_refused_and_masked(name, number, world):
    imp = BY_NAME[name]
    before = snapshot()
    report = assert_refused(imp, build(imp, world, line=3, column="cpr", value=number), before,
                            line=3, column="cpr")  # fmt: skip
    if len(number) == 10:
        assert number not in " ".join(str(e) for e in report.errors)


@importers
@pytest.mark.django_db
def test_duplicate_row_is_refused(imp, world):
    before = snapshot()
    rows = imp.rows(world, 3)
    rows[1] = imp.duplicate(rows[0])
    report = assert_refused(imp, csv_text(imp.header, rows), before, line=3,
                            column=imp.duplicate_column)  # fmt: skip
    assert "line 2" in " ".join(e.reason for e in report.errors)


@pytest.mark.django_db
def test_employment_repeated_identically_is_refused(world):
    imp = BY_NAME["employment"]
    before = snapshot()
    rows = imp.rows(world, 2)
    rows.append(list(rows[0]))
    assert_refused(imp, csv_text(imp.header, rows), before, line=4, column="start_date")


@pytest.mark.django_db
def test_cli_refuses_a_fuzzed_file_and_writes_nothing(world, tmp_path, capsys):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    imp = BY_NAME["citizens"]
    before = snapshot()
    path = tmp_path / "fuzz.csv"
    path.write_text(build(imp, world, line=3, column="last_name", value="=HYPERLINK(1)"))

    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_citizens", str(path), "--team", "Team A")

    assert "line 3, column last_name" in capsys.readouterr().err
    assert snapshot() == before


# --- random mixtures ----------------------------------------------------------------

# Per importer and column, values that make a row wrong.
INVALID = {
    "citizens": {
        "cpr": ["9213901234", "-", "=1"],
        "first_name": ["", "=A1", "A" * 101, "x\x00y"],
        "nationality": ["Atlantis", ""],
        "residence_basis": ["tourist"],
        "arrival_date": ["31-02-2019", "2999-01-01", ""],
        "team": ["Team Z"],
    },
    "employment": {
        "cpr": ["9213901234", "+4512345678"],
        "start_date": ["00-00-0000", "2019-13-01", ""],
        "end_date": ["01-01-2000", "2019/01/01"],
        "category": ["job", "@x", ""],
    },
    "measurements": {
        "cpr": ["0000000000"],
        "date": ["31-02-2022", "2999-01-01"],
        "rater": ["boss", "-"],
        "item": ["14", "x", ""],
        "score": ["6", "0", "=5"],
    },
    "benchmarks": {
        "municipality": ["", "=Odder", "\ufeffOdder"],
        "period": ["2019-13", "1800"],
        "indicator": ["wellbeing_danish"],
        "value": ["..", "-1", "1e9"],
    },
}


@st.composite
def mixed_file(draw, name: str):
    """Row count, and for each row None (valid) or the (column, bad value) it gets."""
    columns = sorted(INVALID[name])
    faults = draw(
        st.lists(
            st.one_of(
                st.none(),
                st.sampled_from(columns).flatmap(
                    lambda c: st.tuples(st.just(c), st.sampled_from(INVALID[name][c]))
                ),
            ),
            min_size=1,
            max_size=8,
        )
    )
    return faults


@pytest.mark.parametrize("name", [imp.name for imp in IMPORTERS])
@pytest.mark.django_db
def test_random_mix_of_good_and_bad_rows_is_all_or_nothing(name, world):
    imp = BY_NAME[name]
    tried = []

    @settings(
        max_examples=30,
        derandomize=True,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(faults=mixed_file(name))
    def check(faults):
        tried.append(faults)
        rows = imp.rows(world, len(faults))
        for row, fault in zip(rows, faults, strict=True):
            if fault is not None:
                column, value = fault
                row[imp.header.index(column)] = value
        before = snapshot()

        report = imp.run(csv_text(imp.header, rows))

        bad_lines = {line for line, fault in enumerate(faults, start=2) if fault is not None}
        if bad_lines:
            assert not report.ok and not report.written
            assert snapshot() == before
            # Every bad row is reported, under the column that was spoilt.
            for line, fault in enumerate(faults, start=2):
                if fault is not None:
                    assert line in {e.line for e in report.errors}, (fault, report.errors)
        else:
            assert report.ok and report.written, report.errors
            after = snapshot()
            assert after != before
            assert report.created + report.updated + report.unchanged > 0

    check()
    assert len(tried) >= 20
    assert any(all(f is None for f in faults) for faults in tried)
    assert any(any(f is not None for f in faults) for faults in tried)
