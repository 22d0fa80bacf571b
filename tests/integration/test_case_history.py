import datetime as dt

import pytest
from django.urls import reverse

from integration import services
from integration.models import AccessLog, LadderStep
from tests.factories import make_case, place


@pytest.mark.django_db
def test_history_shows_old_and_new_values_of_a_changed_placement(client_for, caseworker_a, team_a):
    case = make_case(team=team_a, caseworker=caseworker_a, arrival=dt.date(2024, 3, 1))
    placement = place(case, step=LadderStep.INTERNSHIP_PRIVATE, start=dt.date(2024, 3, 4))
    placement.step = LadderStep.WAGE_SUBSIDY_PRIVATE
    services.fact_save(actor=caseworker_a, case=case, fact=placement, version=1)

    client = client_for(caseworker_a)
    response = client.get(reverse("integration:case_history", args=[case.uuid]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "<del>4. Virksomhedspraktik, privat</del>" in body
    assert "<ins>2. Løntilskud, privat</ins>" in body
    assert "caseworker_a" in body
    assert AccessLog.objects.filter(citizen=case.citizen, what="change history").count() == 1


@pytest.mark.django_db
def test_history_of_a_renamed_citizen_keeps_the_old_name(client_for, caseworker_a, team_a):
    case = make_case(team=team_a, caseworker=caseworker_a, first_name="Amal")
    services.citizen_update(actor=caseworker_a, case=case, version=case.version, first_name="Amaal")

    body = (
        client_for(caseworker_a)
        .get(reverse("integration:case_history", args=[case.uuid]))
        .content.decode()
    )

    assert "<del>Amal</del>" in body and "<ins>Amaal</ins>" in body


@pytest.mark.django_db
def test_other_team_cannot_read_the_history(client_for, caseworker_a, caseworker_b, team_a):
    case = make_case(team=team_a, caseworker=caseworker_a)
    response = client_for(caseworker_b).get(reverse("integration:case_history", args=[case.uuid]))
    assert response.status_code == 404
