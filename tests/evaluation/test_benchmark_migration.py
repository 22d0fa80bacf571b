"""The migration that gives every stored benchmark figure its role and period kind."""

import datetime as dt

import pytest

from tests.migrations import migrate_to, migrated_back_to

BEFORE = [("evaluation", "0001_initial")]
AFTER = [("evaluation", "0002_benchmark_role_and_period_kind")]


@pytest.fixture
def before_roles():
    """The database as it was before roles and period kinds; back to the
    newest state afterwards, whatever the test did."""
    with migrated_back_to(BEFORE) as apps:
        yield apps


def _value(apps, municipality: str, period: str):
    old = apps.get_model("evaluation", "BenchmarkValue")
    return old.objects.create(
        source="jobindsats",
        indicator="refugees_ordinary_employment",
        municipality=municipality,
        period=period,
        value="30.0",
        downloaded_on=dt.date(2019, 1, 15),
    )


@pytest.mark.django_db(transaction=True)
def test_existing_rows_get_their_role_and_period_kind(before_roles, settings):
    settings.MUNICIPALITY_NAME = "Hedensted"
    for municipality, period in [
        ("Hedensted", "2018"),
        ("Odder", "2018-12"),
        ("Hele landet", "2018"),
        ("Hele landet", "2018-Q4"),
    ]:
        _value(before_roles, municipality, period)
    apps = migrate_to(AFTER)
    new = apps.get_model("evaluation", "BenchmarkValue")
    assert sorted(new.objects.values_list("municipality", "period", "role", "period_kind")) == [
        ("Hedensted", "2018", "own", "year"),
        ("Hele landet", "2018", "national", "year"),
        ("Hele landet", "2018-Q4", "national", "quarter"),
        ("Odder", "2018-12", "neighbour", "month"),
    ]


@pytest.mark.django_db(transaction=True)
def test_a_period_of_no_known_form_stops_the_migration(before_roles):
    bad = _value(before_roles, "Odder", "2018-13")
    with pytest.raises(RuntimeError, match="2018-13"):
        migrate_to(AFTER)
    bad.delete()  # so that the database can go back to the newest state
