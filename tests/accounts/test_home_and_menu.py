"""Each role lands on its own page and sees its own menu; no role, no page."""

import pytest
from django.urls import reverse

from accounts.roles import Role, role_permissions

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]


def test_anonymous_is_sent_to_login_and_back(case_a, client_as):
    url = reverse("integration:case_detail", args=[case_a.uuid])
    response = client_as(None).get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next=/cases/{case_a.uuid}/"


LANDING = [
    ("caseworker_a", "integration:caseload", "Caseload"),
    ("provider", "integration:provider_home", "Referred citizens"),
    ("manager", "evaluation:dashboard", "Dashboard"),
    ("secretariat", "evaluation:report_list", "Council reports"),
    ("administrator", "integration:admin_home", "Administration"),
]


@pytest.mark.parametrize(("persona", "landing", "heading"), LANDING)
def test_home_sends_each_role_to_its_own_page_which_renders(
    persona, landing, heading, personas, case_a, client_as
):
    client = client_as(personas[persona], language="en")
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse(landing)
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert f">{heading}</h1>" in page.content.decode()


def test_user_without_role_gets_403_from_home(client_as, django_user_model):
    nobody = django_user_model.objects.create_user("nobody", password="x" * 12)
    assert client_as(nobody).get(reverse("home")).status_code == 403


MENUS = {
    "caseworker_a": [
        "/tasks/",
        "/cases/?scope=mine",
        "/cases/?scope=team",
        "/cases/new/",
        "/providers/",
    ],
    "provider": ["/referrals/"],
    "manager": [
        "/dashboard/",
        "/overview/",
        "/reports/",
        "/benchmarks/",
        "/cases/?scope=all",
        "/tasks/",
        "/providers/",
    ],
    "secretariat": ["/reports/", "/figures/"],
    "administrator": [
        "/dashboard/",
        "/administration/",
        "/reports/",
        "/cases/?scope=all",
        "/imports/",
        "/access-log/",
        "/progression/questionnaires/",
        "/providers/",
    ],
}


@pytest.mark.parametrize("persona", sorted(MENUS))
def test_menu_is_the_roles_own_and_every_item_opens(
    persona, personas, case_a, client_as, parse_page
):
    client = client_as(personas[persona])
    landing = client.get(reverse("home"), follow=True)
    menu = parse_page(landing).links_inside("navbar-nav")
    assert menu == MENUS[persona]
    for href in menu:
        assert client.get(href).status_code == 200, href


def test_anonymous_sees_no_menu(client_as, parse_page):
    page = client_as(None).get(reverse("login"))
    assert parse_page(page).links_inside("navbar-nav") == []


def test_every_role_group_holds_what_the_apps_list_for_it_after_migrate():
    from django.contrib.auth.models import Group

    wanted = role_permissions()
    assert set(wanted) == set(Role.values)
    for role, names in wanted.items():
        held = {
            f"{app}.{codename}"
            for app, codename in Group.objects.get(name=role).permissions.values_list(
                "content_type__app_label", "codename"
            )
        }
        assert held == set(names), role


def test_each_app_adds_its_own_permissions_to_the_roles():
    wanted = role_permissions()
    assert "integration.view_all_cases" in wanted[Role.MANAGER]
    assert "progression.score_as_provider" in wanted[Role.PROVIDER]
    assert "evaluation.view_reportarchive" in wanted[Role.SECRETARIAT]
    # The secretariat reads aggregates only: no app gives it a person.
    assert not any("citizen" in name or "case" in name for name in wanted[Role.SECRETARIAT])
