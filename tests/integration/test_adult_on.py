"""``AdultOn`` (18 or over on a day, in the database) agrees with the
reports' cutoff (``report_selectors._adult_cutoff``) on every day around
birthdays, 29 February included, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import DateField, Value

from integration.follow_up_selectors import AdultOn
from integration.models import Citizen
from integration.report_selectors import _adult_cutoff
from tests.factories import TeamFactory, make_case

BIRTHS = [
    dt.date(2008, 2, 29),  # a leap day
    dt.date(2008, 2, 28),
    dt.date(2008, 3, 1),
    dt.date(2007, 12, 31),
    dt.date(2010, 2, 28),
    dt.date(2009, 6, 15),
]
DAYS = [
    dt.date(2026, 2, 27),
    dt.date(2026, 2, 28),
    dt.date(2026, 3, 1),
    dt.date(2025, 12, 31),
    dt.date(2026, 1, 1),
    dt.date(2028, 2, 28),
    dt.date(2028, 2, 29),  # a leap day on which one born 28 February 2010 turns 18
    dt.date(2028, 3, 1),
    dt.date(2027, 6, 14),
    dt.date(2027, 6, 15),
]


@pytest.mark.django_db
def test_adult_on_agrees_with_the_reports_cutoff_around_birthdays():
    team = TeamFactory()
    for n, birth in enumerate(BIRTHS):
        make_case(team=team, birth=birth, arrival=dt.date(2024, 1, 1), first_name=f"P{n}")
    for day in DAYS:
        found = dict(
            Citizen.objects.annotate(
                adult=AdultOn(Value(day, DateField()), "birth_date")
            ).values_list("birth_date", "adult")
        )
        expected = {birth: birth <= _adult_cutoff(day) for birth in BIRTHS}
        assert found == expected, day
    # Not every answer alike: the days fall on both sides of the birthdays.
    assert {b <= _adult_cutoff(d) for b in BIRTHS for d in DAYS} == {True, False}
