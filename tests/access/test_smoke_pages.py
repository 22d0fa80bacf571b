import datetime as dt

import pytest
from django.urls import reverse

from tests.factories import make_case, place


@pytest.mark.django_db
def test_caseworker_sees_own_case_on_caseload_and_case_page(client_for, caseworker_a, team_a):
    case = make_case(team=team_a, caseworker=caseworker_a, arrival=dt.date(2024, 3, 1))
    place(case, start=dt.date(2024, 3, 4))
    client = client_for(caseworker_a)
    response = client.get(reverse("integration:caseload"))
    assert response.status_code == 200
    assert case.citizen.last_name in response.content.decode()
    response = client.get(reverse("integration:case_detail", args=[case.uuid]))
    assert response.status_code == 200
    body = response.content.decode()
    assert case.citizen.masked_cpr in body
    assert case.citizen.formatted_cpr not in body
    assert "no-store" in response["Cache-Control"]
