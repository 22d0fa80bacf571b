"""Who did something to a row (``user_reference``, the history's user) has no
constraint in the database; Django keeps a user who did anything from being
deleted all the same, and the rows keep naming who did it."""

import datetime as dt

import pytest
from django.db.models import ProtectedError

from integration.imports import import_employment
from integration.models import AccessLog, CaseStatusChange, EmploymentSpell, User
from tests.factories import UserFactory, make_case

pytestmark = pytest.mark.django_db


def test_a_user_who_imported_cannot_be_deleted(team_a, administrator):
    case = make_case(team=team_a, actor=administrator, arrival=dt.date(2024, 1, 10))
    report = import_employment(
        f"cpr;start_date;end_date;category\n{case.citizen.cpr};2024-02-01;;ordinary_employment\n",
        filename="dream.csv",
        user=administrator,
    )
    assert report.written
    spell = EmploymentSpell.objects.get(case=case)
    history = spell.history.get()

    with pytest.raises(ProtectedError):
        administrator.delete()

    assert User.objects.filter(pk=administrator.pk).exists()
    assert spell.created_by == administrator
    assert history.history_user == administrator
    assert CaseStatusChange.objects.get(case=case).changed_by == administrator
    assert set(AccessLog.objects.values_list("user", flat=True)) == {administrator.pk}


def test_a_user_who_did_nothing_can_be_deleted(team_a):
    idle = UserFactory(username="idle", team=team_a, role="caseworker")
    idle.delete()
    assert not User.objects.filter(username="idle").exists()


def test_the_history_forgets_a_deleted_user(team_a):
    """A change by someone who is later deleted keeps its record; only the
    name of who made it is emptied, as before (``SET_NULL``)."""
    temp = UserFactory(username="temp", team=team_a, role="caseworker")
    case = make_case(team=team_a, arrival=dt.date(2024, 1, 10))
    record = case.history.get()
    type(record).objects.filter(pk=record.pk).update(history_user=temp)  # as if temp made it

    temp.delete()

    record.refresh_from_db()
    assert record.history_user_id is None
