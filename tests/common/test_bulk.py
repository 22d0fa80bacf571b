"""The bulk writes of the imports store exactly what one-by-one saves would."""

import datetime as dt

import pytest

from common import bulk
from integration.models import AccessLog, Case, CaseStatus, Citizen, Household
from tests.factories import make_case


@pytest.fixture(params=["copy", "insert"])
def path(request, monkeypatch):
    """PostgreSQL takes rows by COPY; every database can take them by INSERT."""
    if request.param == "insert":
        monkeypatch.setattr(bulk, "_COPY_KINDS", frozenset())
    else:  # COPY however few the rows
        monkeypatch.setattr(bulk, "COPY_MIN_ROWS", 1)
    return request.param


AWKWARD = "tab\there, new\nline, back\\slash, \\N, 'quote' \"double\", Ærø, عربي"


@pytest.mark.django_db
def test_inserted_rows_read_back_exactly_with_defaults_and_keys(path, team_a):
    case = make_case(team=team_a)
    rows = [
        {"user_id": None, "username": "(system)", "action": "import", "citizen_id": case.citizen_id,
         "search_term": AWKWARD, "what": "", "path": ""},
        {"user_id": None, "username": "(system)", "action": "view", "citizen_id": None,
         "search_term": "", "what": "x" * 200, "path": "/"},
    ]  # fmt: skip
    before = AccessLog.objects.count()

    bulk.insert(AccessLog, rows)

    assert AccessLog.objects.count() == before + 2
    first, second = (AccessLog.objects.get(pk=row["id"]) for row in rows)
    assert (first.search_term, first.citizen_id, first.action) == (
        AWKWARD,
        case.citizen_id,
        "import",
    )
    assert (second.citizen_id, second.what, second.path) == (None, "x" * 200, "/")
    assert first.at == rows[0]["at"]  # auto_now_add: the time of the call
    assert first.at is not None


@pytest.mark.django_db
def test_instances_get_their_keys_history_and_defaults(path):
    households = [Household(reference=f"H-{i}") for i in range(3)]

    bulk.create_with_history(households, user_id=None)

    stored = {h.reference: h for h in Household.objects.all()}
    for household in households:
        assert household.pk == stored[household.reference].pk
        assert household.uuid == stored[household.reference].uuid  # made in Python, kept
    history = Household.history.get(id=households[1].pk)
    assert (history.reference, history.history_type, history.history_user_id) == (
        "H-1",
        "+",
        None,
    )


@pytest.mark.django_db
def test_update_saves_only_the_given_fields_of_the_given_rows(path, team_a, administrator):
    cases = [make_case(team=team_a, arrival=dt.date(2019, 1, 10)) for _ in range(3)]
    for case in cases[:2]:
        case.next_deadline = dt.date(2030, 1, 1)
        case.next_deadline_kind = ""
        case.status = CaseStatus.CLOSED  # changed but not saved: not in the fields

    bulk.update(cases[:2], ["next_deadline", "next_deadline_kind"])
    bulk.insert_history(Case, [cases[0].pk], user_id=administrator.pk, history_type="~")

    stored = {c.pk: c for c in Case.objects.all()}
    assert [(stored[c.pk].next_deadline, stored[c.pk].status) for c in cases] == [
        (dt.date(2030, 1, 1), CaseStatus.OPEN),
        (dt.date(2030, 1, 1), CaseStatus.OPEN),
        (dt.date(2019, 1, 14), CaseStatus.OPEN),
    ]
    newest = Case.history.filter(id=cases[0].pk).order_by("-history_id").first()
    assert (newest.history_type, newest.history_user_id, newest.next_deadline) == (
        "~",
        administrator.pk,
        dt.date(2030, 1, 1),
    )


@pytest.mark.django_db
def test_a_clash_with_a_unique_column_raises_integrity_error(path, team_a):
    from django.db import IntegrityError, transaction

    existing = make_case(team=team_a).citizen
    twin = Citizen(
        cpr=existing.cpr,
        first_name="Twin",
        last_name="X",
        nationality="SY",
        residence_basis="refugee",
        arrival_date=dt.date(2019, 1, 10),
    )
    twin.full_clean(validate_unique=False)

    with pytest.raises(IntegrityError), transaction.atomic():
        bulk.insert_objects([twin])

    assert Citizen.objects.filter(cpr=existing.cpr).count() == 1
