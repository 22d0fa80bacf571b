"""``common.lookups.among``: the rows whose field is one of many values, as
``__in`` finds them; on PostgreSQL in one query with the values as one array."""

import pytest
from django.db import NotSupportedError, connection
from django.test.utils import CaptureQueriesContext

from common import csvimport
from common.lookups import among
from integration.models import Case, Citizen
from tests.factories import make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(team_a):
    return [make_case(team=team_a) for _ in range(5)]


def _found(queryset, name, values) -> tuple[list, list[str]]:
    """The rows found, and the SQL of the queries asked."""
    with CaptureQueriesContext(connection) as queries:
        rows = sorted(row for part in among(queryset, name, values) for row in part)
    return rows, [query["sql"] for query in queries]


def test_among_finds_what_in_finds_in_one_array_on_postgresql(cases, monkeypatch):
    monkeypatch.setattr(csvimport, "CHUNK", 2)
    monkeypatch.setattr(csvimport, "UNLIMITED_CHUNK", 2)
    numbers = [case.citizen.cpr for case in cases[:3]] + ["0101010000"]  # one unknown
    wanted = Citizen.objects.values_list("cpr", flat=True)
    found, queries = _found(wanted, "cpr", numbers)
    assert found == sorted(numbers[:3])
    if connection.vendor == "postgresql":
        assert len(queries) == 1
        assert "= ANY(" in queries[0]
    else:
        assert len(queries) == 2  # chunks of 2


def test_among_follows_foreign_keys_and_relations(cases):
    ids = [cases[1].pk, cases[3].pk]
    by_key, _queries = _found(Case.objects.values_list("pk", flat=True), "pk", ids)
    assert by_key == sorted(ids)
    citizens = [cases[0].citizen_id, cases[4].citizen_id]
    by_fk, _queries = _found(Case.objects.values_list("pk", flat=True), "citizen_id", citizens)
    assert by_fk == sorted([cases[0].pk, cases[4].pk])
    numbers = [cases[2].citizen.cpr]
    across, _queries = _found(Case.objects.values_list("pk", flat=True), "citizen__cpr", numbers)
    assert across == [cases[2].pk]


def test_no_values_ask_nothing(cases):
    assert _found(Citizen.objects.all(), "cpr", []) == ([], [])


def test_any_is_refused_where_it_cannot_run(cases):
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL runs it")
    with pytest.raises(NotSupportedError):
        list(Citizen.objects.filter(cpr__any=["0101010000"]))
