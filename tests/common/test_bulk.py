"""The bulk writes of the imports store exactly what one-by-one saves would."""

import datetime as dt
import gc
import uuid

import pytest
from django.core.exceptions import ValidationError

from common import bulk
from integration.models import AccessLog, Case, CaseStatus, Citizen, EmploymentSpell, Household
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
@pytest.mark.parametrize("block", [4, bulk.COPY_BLOCK])
def test_repeated_values_of_a_column_read_back_as_given(path, team_a, block, monkeypatch):
    """COPY writes each distinct value of a column once, a block of rows at a
    time: values that repeat, within a block and across blocks, alternate
    with NULL or differ only in case read back row by row."""
    monkeypatch.setattr(bulk, "COPY_BLOCK", block)
    case = make_case(team=team_a)
    terms = ["a", AWKWARD, "a", "", AWKWARD, "A"]
    citizens = [case.citizen_id, None, case.citizen_id, None, None, case.citizen_id]
    rows = [
        {"user_id": None, "username": "(system)", "action": "view", "citizen_id": citizen,
         "search_term": term, "what": "", "path": ""}
        for citizen, term in zip(citizens, terms, strict=True)
    ]  # fmt: skip

    bulk.insert(AccessLog, rows)

    stored = {
        log.pk: (log.citizen_id, log.search_term)
        for log in AccessLog.objects.filter(pk__in=[row["id"] for row in rows])
    }
    assert [stored[row["id"]] for row in rows] == list(zip(citizens, terms, strict=True))


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


# --- full_clean_many ---------------------------------------------------------------


def _spells(case_id: int, rows: list[tuple]) -> list:
    from integration.models import EmploymentSpell

    return [
        EmploymentSpell(case_id=case_id, start_date=start, end_date=end, category=category)
        for start, end, category in rows
    ]


def _errors(objs: list) -> dict | None:
    try:
        bulk.full_clean_many(objs, exclude=["case"])
    except ValidationError as exc:
        return exc.message_dict
    return None


def _errors_one_by_one(objs: list) -> dict | None:
    for obj in objs:
        try:
            obj.full_clean(exclude=["case"], validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            return exc.message_dict
    return None


@pytest.mark.parametrize(
    "rows",
    [
        [(dt.date(2026, 1, 1), None, "ordinary_employment")] * 3,
        [
            (dt.date(2026, 1, 1), None, "ordinary_employment"),
            (dt.date(2026, 2, 1), None, "no_such"),
        ],
        [
            (dt.date(2026, 3, 1), dt.date(2026, 2, 1), "ordinary_employment")
        ],  # ends before it starts
        [(dt.date(2026, 3, 1), dt.date(2026, 2, 1), "no_such"), (None, None, "")],  # both kinds
        [(None, None, ""), (dt.date(2026, 3, 1), None, "no_such")],
        [("2026-04-01", None, "ordinary_employment")],  # a string, turned into a date
    ],
)
def test_full_clean_many_refuses_exactly_what_full_clean_refuses(rows):
    assert _errors(_spells(1, rows)) == _errors_one_by_one(_spells(1, rows))


def test_full_clean_many_cleans_each_value_once_and_sets_what_it_cleaned(monkeypatch):
    from integration.models import EmploymentSpell

    field = EmploymentSpell._meta.get_field("category")
    calls = []
    original = field.clean
    monkeypatch.setattr(
        field, "clean", lambda value, obj: calls.append(value) or original(value, obj)
    )
    spells = _spells(
        1,
        [("2026-04-01", None, "ordinary_employment")] * 500
        + [("2026-05-01", None, "ordinary_education")],
    )

    bulk.full_clean_many(spells, exclude=["case"])

    assert sorted(calls) == ["ordinary_education", "ordinary_employment"]
    assert {spell.start_date for spell in spells} == {dt.date(2026, 4, 1), dt.date(2026, 5, 1)}


def test_the_collector_is_paused_within_and_as_it_was_after():
    assert gc.isenabled()
    with bulk.collector_paused():
        assert not gc.isenabled()
        with bulk.collector_paused():  # a job within a job
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()

    @bulk.collector_paused()
    def refused():
        assert not gc.isenabled()
        raise ValueError("a bad file")

    with pytest.raises(ValueError):
        refused()
    assert gc.isenabled()

    gc.disable()  # paused by someone else: left paused
    try:
        with bulk.collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_new_objects_are_what_the_model_makes_of_the_same_values():
    rows = [
        {"case_id": 7, "start_date": dt.date(2024, 2, 1), "end_date": None,
         "category": "wage_subsidy"},
        {"case_id": 8, "start_date": dt.date(2024, 3, 1), "end_date": dt.date(2024, 4, 30),
         "category": "ordinary_employment", "source": "dream", "version": 3},
    ]  # fmt: skip
    made = bulk.new_objects(EmploymentSpell, rows)
    expected = [EmploymentSpell(**row) for row in rows]
    names = [f.attname for f in EmploymentSpell._meta.concrete_fields if f.attname != "uuid"]
    assert [[getattr(o, n) for n in names] for o in made] == [
        [getattr(o, n) for n in names] for o in expected
    ]
    assert all(o._state.adding and o.pk is None for o in made)
    # A default made anew for each object, as the model makes it.
    assert made[0].uuid != made[1].uuid
    assert all(isinstance(o.uuid, uuid.UUID) for o in made)


def test_new_objects_refuse_a_field_the_model_does_not_have():
    with pytest.raises(TypeError, match="no field named shoe_size"):
        bulk.new_objects(EmploymentSpell, [{"case_id": 7, "shoe_size": 44}])
