"""A user's groups and permissions are kept in the cache (accounts.access),
and a change of them counts from the next request."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import access
from accounts.roles import Role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

CASELOAD = reverse("integration:caseload")
DASHBOARD = reverse("evaluation:dashboard")


def _permission_queries(queries) -> list[str]:
    return [
        q["sql"] for q in queries if "auth_permission" in q["sql"] or '"auth_group"' in q["sql"]
    ]


def test_a_second_page_reads_no_permission_or_group(caseworker_a, client_as):
    client = client_as(caseworker_a)
    with CaptureQueriesContext(connection) as first:
        assert client.get(CASELOAD).status_code == 200
    with CaptureQueriesContext(connection) as second:
        assert client.get(CASELOAD).status_code == 200

    assert len(_permission_queries(first.captured_queries)) == 2
    assert _permission_queries(second.captured_queries) == []


def test_a_user_taken_out_of_their_role_is_refused_at_the_next_request(caseworker_a, client_as):
    client = client_as(caseworker_a)
    assert client.get(CASELOAD).status_code == 200

    caseworker_a.groups.remove(Group.objects.get(name=Role.CASEWORKER))

    assert client.get(CASELOAD).status_code == 403


def test_a_user_given_another_role_has_it_at_the_next_request(caseworker_a, client_as):
    client = client_as(caseworker_a)
    assert client.get(DASHBOARD).status_code == 403

    caseworker_a.groups.set([Group.objects.get(name=Role.MANAGER)])

    assert client.get(DASHBOARD).status_code == 200
    assert client.get(CASELOAD).status_code == 200  # managers see every case
    assert access.access_of(caseworker_a).groups == {Role.MANAGER}


def test_a_permission_taken_from_a_role_is_gone_at_the_next_request(manager, client_as):
    client = client_as(manager)
    assert client.get(DASHBOARD).status_code == 200

    group = Group.objects.get(name=Role.MANAGER)
    group.permissions.remove(Permission.objects.get(codename="view_dashboard"))

    assert client.get(DASHBOARD).status_code == 403


def test_a_deactivated_user_has_no_permission_whatever_is_kept(caseworker_a):
    assert caseworker_a.has_perm("integration.view_case")
    assert "integration.view_case" in access.access_of(caseworker_a).permissions

    caseworker_a.is_active = False

    assert not caseworker_a.has_perm("integration.view_case")
    assert caseworker_a.role is None


def test_an_entry_read_before_a_change_commits_is_not_kept_after_it(
    caseworker_a, django_capture_on_commit_callbacks
):
    """Another request may read the old groups between the change and its
    commit, and keep them under the version the change made: the commit
    moves the version again."""
    before = access.read_access(caseworker_a)
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            caseworker_a.groups.clear()
            # What a request on another connection would keep meanwhile.
            key = f"accounts:access:{caseworker_a.uuid}"
            cache.set(key, (cache.get(access.VERSION_KEY), before))
            assert access.access_of(caseworker_a) == before

    assert access.access_of(caseworker_a).groups == frozenset()
    assert not access.access_of(caseworker_a).permissions


def test_users_keep_their_own_entries(caseworker_a, manager, provider_user):
    assert access.access_of(caseworker_a).groups == {Role.CASEWORKER}
    assert access.access_of(manager).groups == {Role.MANAGER}
    assert access.access_of(provider_user).groups == {Role.PROVIDER}
    assert access.access_of(caseworker_a) == access.read_access(caseworker_a)


def test_a_users_own_permission_counts_too(caseworker_a):
    permission = Permission.objects.get(codename="view_dashboard")
    assert not caseworker_a.has_perm("evaluation.view_dashboard")

    caseworker_a.user_permissions.add(permission)
    fresh = type(caseworker_a).objects.get(pk=caseworker_a.pk)

    assert fresh.has_perm("evaluation.view_dashboard")


def test_a_superuser_has_every_permission(django_user_model):
    root = django_user_model.objects.create_superuser("root", password="x" * 12)

    assert root.has_perm("evaluation.view_dashboard")
    assert root.has_perm("integration.delete_case")


def test_a_request_reads_the_kept_access_once_for_permissions_and_role(
    caseworker_a, client_as, monkeypatch
):
    client = client_as(caseworker_a)
    assert client.get(CASELOAD).status_code == 200  # kept
    reads = []
    real = cache.get_many
    monkeypatch.setattr(cache, "get_many", lambda keys: reads.append(keys) or real(keys))

    assert client.get(CASELOAD).status_code == 200

    assert [keys for keys in reads if access.VERSION_KEY in keys] == [
        [access.VERSION_KEY, f"accounts:access:{caseworker_a.uuid}"]
    ]
