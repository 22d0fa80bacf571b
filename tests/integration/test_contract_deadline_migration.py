"""Migration 0008: open cases of adults without a contract get the contract as
their stored next deadline where it comes first."""

import datetime as dt

import pytest

from tests.migrations import migrate_to, migrated_back_to

BEFORE = [("integration", "0007_user_sso_subject_and_sign_in_action")]
AFTER = [("integration", "0008_user_deadline_digest")]


@pytest.fixture
def before_contracts():
    with migrated_back_to(BEFORE) as apps:
        yield apps


@pytest.mark.django_db(transaction=True)
def test_the_contract_becomes_the_next_deadline_where_it_comes_first(before_contracts):
    apps = before_contracts
    team = apps.get_model("integration", "Team").objects.create(name="Team A")
    Citizen = apps.get_model("integration", "Citizen")
    Case = apps.get_model("integration", "Case")
    Contract = apps.get_model("integration", "IntegrationContract")
    arrival = dt.date(2024, 1, 10)  # contract due 10-02-2024
    rows = {
        # placed: health offer stored for 10-04 -> the contract, 10-02
        "placed": (True, "open", dt.date(2024, 4, 10), "health_offer"),
        # not placed: the 96-hour placement (14-01) stays first
        "unplaced": (True, "open", dt.date(2024, 1, 14), "first_placement"),
        # signed already: unchanged
        "signed": (True, "open", dt.date(2024, 4, 10), "health_offer"),
        # a child at arrival: no contract
        "child": (False, "open", dt.date(2024, 4, 10), "health_offer"),
        # closed: no deadline at all
        "closed": (True, "closed", None, ""),
    }
    cases = {}
    for i, (name, (adult, status, due, kind)) in enumerate(rows.items()):
        citizen = Citizen.objects.create(
            cpr=f"71019040{i:02d}",
            first_name=name,
            last_name="X",
            birth_date=dt.date(1990, 1, 11),
            nationality="SY",
            residence_basis="refugee",
            arrival_date=arrival,
            adult_at_arrival=adult,
        )
        cases[name] = Case.objects.create(
            citizen=citizen,
            team=team,
            status=status,
            closing_reason="moved_away" if status == "closed" else "",
            next_deadline=due,
            next_deadline_kind=kind,
        )
    Contract.objects.create(case=cases["signed"], signed_on=dt.date(2024, 1, 20))

    apps = migrate_to(AFTER)
    stored = {
        c.citizen.first_name: (c.next_deadline, c.next_deadline_kind)
        for c in apps.get_model("integration", "Case").objects.select_related("citizen")
    }
    assert stored == {
        "placed": (dt.date(2024, 2, 10), "contract"),
        "unplaced": (dt.date(2024, 1, 14), "first_placement"),
        "signed": (dt.date(2024, 4, 10), "health_offer"),
        "child": (dt.date(2024, 4, 10), "health_offer"),
        "closed": (None, ""),
    }
