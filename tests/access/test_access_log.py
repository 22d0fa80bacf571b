"""The access log: what gets written, the administrators' browser and the export."""

import csv
import datetime as dt
import io
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy

from common import csv_export
from integration import services
from integration.models import AccessAction, AccessLog, AppendOnlyError
from tests.factories import make_case

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
LOG_URL = reverse("integration:access_log")


def export_url(citizen) -> str:
    return reverse("integration:access_log_export", args=[citizen.uuid])


def log(user=None, *, at=None, action=AccessAction.VIEW, **kwargs):
    """Write a log row as the app does, at a chosen (aware) time."""
    if at is None:
        services.access_log_write(user=user, action=action, **kwargs)
        return
    with mock.patch("django.utils.timezone.now", return_value=at):
        services.access_log_write(user=user, action=action, **kwargs)


@pytest.fixture
def case(team_a, caseworker_a):
    return make_case(team=team_a, caseworker=caseworker_a, first_name="Amal", last_name="Haddad")


@pytest.fixture
def other_case(team_a, caseworker_a):
    return make_case(team=team_a, caseworker=caseworker_a, first_name="Yonas", last_name="Tesfay")


# --- what the app writes ----------------------------------------------------


@pytest.mark.django_db
def test_opening_a_case_page_writes_a_view_row_for_the_citizen(client_for, caseworker_a, case):
    response = client_for(caseworker_a).get(reverse("integration:case_detail", args=[case.uuid]))
    assert response.status_code == 200
    row = AccessLog.objects.filter(user=caseworker_a).get()
    assert row.action == AccessAction.VIEW
    assert row.citizen == case.citizen
    assert row.username == "caseworker_a"
    assert row.what == "case page"


@pytest.mark.django_db
def test_caseload_name_search_writes_a_search_row(client_for, caseworker_a, case, other_case):
    client_for(caseworker_a).get(reverse("integration:caseload"), {"q": "Haddad"})
    rows = list(AccessLog.objects.filter(user=caseworker_a))
    assert [(r.action, r.citizen, r.search_term) for r in rows] == [
        (AccessAction.SEARCH, case.citizen, "Haddad")
    ]


@pytest.mark.django_db
def test_caseload_cpr_search_stores_only_the_masked_number(client_for, caseworker_a, case):
    number = case.citizen.cpr
    client_for(caseworker_a).post(
        reverse("integration:caseload"), {"q": f"{number[:6]}-{number[6:]}"}
    )
    row = AccessLog.objects.filter(user=caseworker_a).get()
    assert row.action == AccessAction.SEARCH
    assert row.citizen == case.citizen
    assert row.search_term == f"{number[:6]}-xxxx"
    assert not AccessLog.objects.filter(search_term__contains=number[6:]).exists()


# --- who may read the log --------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["caseworker_a", "manager", "secretariat", "provider_user"])
def test_other_roles_are_refused_the_log_and_the_export(request, client_for, persona, case):
    client = client_for(request.getfixturevalue(persona))
    assert client.get(LOG_URL).status_code == 403
    assert client.get(export_url(case.citizen)).status_code == 403
    assert not AccessLog.objects.filter(action=AccessAction.EXPORT).exists()


@pytest.mark.django_db
def test_anonymous_is_sent_to_sign_in(client, case):
    for url in (LOG_URL, export_url(case.citizen)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_log_and_export_are_never_cached(client_for, administrator, case):
    client = client_for(administrator)
    for url in (LOG_URL, f"{LOG_URL}?citizen={case.citizen.uuid}", export_url(case.citizen)):
        response = client.get(url)
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]


# --- the browser -------------------------------------------------------------


@pytest.mark.django_db
def test_log_page_shows_rows_newest_first_in_local_time_with_masked_cpr(
    client_for, administrator, caseworker_a, case
):
    # 13:05 UTC on 1 July is 15:05 in Copenhagen (summer time).
    log(
        caseworker_a,
        at=dt.datetime(2024, 7, 1, 13, 5, tzinfo=dt.UTC),
        citizen=case.citizen,
        what="older",
        path="/cases/x/",
    )
    log(caseworker_a, at=dt.datetime(2024, 7, 2, 9, 0, tzinfo=dt.UTC), what="newer")
    response = client_for(administrator).get(LOG_URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count("<h1") == 1
    # The CSP forbids inline scripts and styles.
    assert "<script>" not in body and "style=" not in body
    assert "01-07-2024 15:05" in body
    assert body.index("<td>newer</td>") < body.index("<td>older</td>")
    assert case.citizen.masked_cpr in body
    assert case.citizen.cpr[6:] not in body
    assert case.citizen.formatted_cpr not in body
    assert "/cases/x/" in body


@pytest.mark.django_db
def test_unfiltered_page_does_not_log_the_citizens_it_shows(
    client_for, administrator, caseworker_a, case, other_case
):
    before = AccessLog.objects.count()
    response = client_for(administrator).get(LOG_URL)
    assert response.status_code == 200
    assert AccessLog.objects.count() == before
    assert "Export this citizen" not in response.content.decode()


@pytest.mark.django_db
def test_admin_filters_by_username_contains_or_exact(
    client_for, administrator, caseworker_a, caseworker_b, case
):
    log(caseworker_a, citizen=case.citizen, what="seen-by-a")
    log(caseworker_b, what="seen-by-b")
    client = client_for(administrator)

    rows = client.get(LOG_URL, {"user": "worker_a"}).context["rows"]
    assert [r.what for r in rows] == ["seen-by-a"]

    rows = client.get(LOG_URL, {"user": "caseworker"}).context["rows"]
    assert sorted(r.what for r in rows) == ["seen-by-a", "seen-by-b"]

    rows = client.get(LOG_URL, {"user": "caseworker", "exact": "on"}).context["rows"]
    assert rows == []
    rows = client.get(LOG_URL, {"user": "caseworker_b", "exact": "on"}).context["rows"]
    assert [r.what for r in rows] == ["seen-by-b"]


@pytest.mark.django_db
def test_admin_filters_by_full_cpr_and_the_read_is_logged(
    client_for, administrator, caseworker_a, case, other_case
):
    log(caseworker_a, citizen=case.citizen, what="about-amal")
    log(caseworker_a, citizen=other_case.citizen, what="about-yonas")
    number = case.citizen.cpr
    client = client_for(administrator)

    response = client.get(LOG_URL, {"citizen": f"{number[:6]}-{number[6:]}", "page": "2"})
    # The full number leaves the address at once: the filter goes on by UUID.
    assert response.status_code == 302
    assert response["Location"] == f"{LOG_URL}?citizen={case.citizen.uuid}"
    response = client.get(response["Location"])

    body = response.content.decode()
    # make_case logged the case's creation too.
    assert [r.what for r in response.context["rows"]] == ["about-amal", "sag oprettet"]
    assert number not in body
    assert case.citizen.formatted_cpr not in body
    assert case.citizen.masked_cpr in body
    assert export_url(case.citizen) in body
    assert "log (CSV)" in body
    own = AccessLog.objects.filter(user=administrator).get()
    assert (own.action, own.citizen, own.what) == (AccessAction.VIEW, case.citizen, "access log")


@pytest.mark.django_db
def test_an_unknown_cpr_is_searched_masked_and_shows_nothing(
    client_for, administrator, caseworker_a, case
):
    log(caseworker_a, citizen=case.citizen)
    client = client_for(administrator)
    response = client.get(
        LOG_URL,
        {"citizen": "6101901234", "action": "view"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.redirect_chain == [(f"{LOG_URL}?citizen=610190-xxxx&action=view", 302)]
    body = response.content.decode()
    assert "6101901234" not in body
    assert response.context["rows"] == []
    assert "No citizen matches the search." in body
    own = AccessLog.objects.filter(user=administrator).get()
    assert (own.action, own.citizen, own.search_term) == (
        AccessAction.SEARCH,
        None,
        "610190-xxxx",
    )


@pytest.mark.django_db
def test_admin_filters_by_citizen_uuid(client_for, administrator, caseworker_a, case, other_case):
    log(caseworker_a, citizen=case.citizen, what="about-amal")
    log(caseworker_a, citizen=other_case.citizen, what="about-yonas")
    response = client_for(administrator).get(LOG_URL, {"citizen": str(other_case.citizen.uuid)})
    assert [r.what for r in response.context["rows"]] == ["about-yonas", "sag oprettet"]
    assert response.context["citizen"] == other_case.citizen
    # The administrator's read is logged; a UUID says nothing the citizen column does not.
    own = AccessLog.objects.filter(user=administrator).get()
    assert (own.citizen, own.search_term) == (other_case.citizen, "")


@pytest.mark.django_db
def test_admin_filters_by_a_name_that_matches_one_citizen(
    client_for, administrator, caseworker_a, case, other_case
):
    log(caseworker_a, citizen=case.citizen, what="about-amal")
    log(caseworker_a, citizen=other_case.citizen, what="about-yonas")
    response = client_for(administrator).get(LOG_URL, {"citizen": "amal hadd"})
    assert [r.what for r in response.context["rows"]] == ["about-amal", "sag oprettet"]
    own = AccessLog.objects.filter(user=administrator).get()
    assert (own.citizen, own.search_term) == (case.citizen, "amal hadd")
    assert response.context["citizen"] == case.citizen
    assert f"citizen={case.citizen.uuid}" in response.context["query_string"]


@pytest.mark.django_db
def test_a_name_matching_several_citizens_offers_a_choice(
    client_for, administrator, caseworker_a, team_a, case
):
    namesake = make_case(team=team_a, first_name="Amal", last_name="Said")
    log(caseworker_a, citizen=case.citizen, what="about-haddad")
    response = client_for(administrator).get(LOG_URL, {"citizen": "Amal", "action": "view"})
    body = response.content.decode()
    assert response.context["rows"] == []
    for citizen in (case.citizen, namesake.citizen):
        assert f"citizen={citizen.uuid}" in body
        assert citizen.masked_cpr in body
    # The choice link keeps the other filters.
    assert "action=view" in response.context["citizen_choices"][0].url
    searched = AccessLog.objects.filter(user=administrator)
    assert {r.citizen for r in searched} == {case.citizen, namesake.citizen}
    assert {r.action for r in searched} == {AccessAction.SEARCH}


@pytest.mark.django_db
def test_a_citizen_search_without_match_shows_nothing(
    client_for, administrator, caseworker_a, case
):
    log(caseworker_a, citizen=case.citizen)
    response = client_for(administrator).get(
        LOG_URL, {"citizen": "Nobody"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.context["rows"] == []
    assert "No citizen matches the search." in response.content.decode()


@pytest.mark.django_db
def test_admin_filters_by_action_and_local_date_range(
    client_for, administrator, caseworker_a, case
):
    # 22:30 UTC on 31 Jan is 23:30 on 31 Jan in Copenhagen; 23:30 UTC is 1 Feb.
    log(caseworker_a, at=dt.datetime(2024, 1, 31, 22, 30, tzinfo=dt.UTC), what="jan-31")
    log(caseworker_a, at=dt.datetime(2024, 1, 31, 23, 30, tzinfo=dt.UTC), what="feb-1")
    log(
        caseworker_a,
        at=dt.datetime(2024, 2, 1, 12, 0, tzinfo=dt.UTC),
        action=AccessAction.CHANGE,
        citizen=case.citizen,
        what="feb-1-change",
    )
    log(caseworker_a, at=dt.datetime(2024, 2, 2, 12, 0, tzinfo=dt.UTC), what="feb-2")
    client = client_for(administrator)

    rows = client.get(LOG_URL, {"date_from": "2024-02-01", "date_to": "2024-02-01"}).context["rows"]
    assert [r.what for r in rows] == ["feb-1-change", "feb-1"]

    rows = client.get(LOG_URL, {"date_to": "2024-01-31"}).context["rows"]
    assert [r.what for r in rows] == ["jan-31"]

    # make_case's "case created" is a change as well, logged now.
    rows = client.get(LOG_URL, {"action": "change"}).context["rows"]
    # The page shows the phrase in Danish (integration.access_log_text).
    assert [r.what for r in rows] == ["sag oprettet", "feb-1-change"]

    rows = client.get(
        LOG_URL, {"action": "change", "date_from": "2024-01-01", "date_to": "2024-12-31"}
    ).context["rows"]
    assert [r.what for r in rows] == ["feb-1-change"]


@pytest.mark.django_db
def test_an_inverted_date_range_is_reported_on_the_field(client_for, administrator):
    response = client_for(administrator).get(
        LOG_URL, {"date_from": "2024-02-02", "date_to": "2024-02-01"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="date_to-error"' in body
    assert 'aria-describedby="date_to-error"' in body


@pytest.mark.django_db
def test_log_page_has_fifty_rows_a_page_and_shows_the_total(
    client_for, administrator, caseworker_a
):
    AccessLog.objects.bulk_create(
        AccessLog(username="caseworker_a", action=AccessAction.VIEW) for _ in range(51)
    )
    client = client_for(administrator)
    first = client.get(LOG_URL, HTTP_ACCEPT_LANGUAGE="en")
    assert len(first.context["rows"]) == 50
    assert first.context["page"].paginator.count == 51
    assert "51 entries" in first.content.decode()
    second = client.get(LOG_URL, {"page": 2})
    assert len(second.context["rows"]) == 1


def _fill_log(n: int, citizens) -> None:
    AccessLog.objects.bulk_create(
        AccessLog(username="caseworker_a", action=AccessAction.VIEW, citizen=citizens[i % 2])
        for i in range(n)
    )


@pytest.mark.django_db
@pytest.mark.parametrize("n", [5, 50])
def test_log_page_query_count_does_not_grow_with_rows(
    client_for, administrator, case, other_case, django_assert_max_num_queries, n
):
    _fill_log(n, [case.citizen, other_case.citizen])
    client = client_for(administrator)
    # 1 session, 2 user, 3-4 the user's groups and permissions (a first
    # request's; later from the cache), 5 count of rows, 6 the page of rows
    # joined to their citizens. The session is written at most once a minute
    # (accounts.sessions), not here.
    with django_assert_max_num_queries(6):
        response = client.get(LOG_URL)
    # Plus the two "case created" rows of the fixtures.
    assert response.context["page"].paginator.count == n + 2
    assert len(response.context["rows"]) == min(n + 2, 50)


@pytest.mark.django_db
@pytest.mark.parametrize("n", [5, 50])
def test_log_page_filtered_to_a_citizen_has_bounded_queries(
    client_for, administrator, case, other_case, django_assert_max_num_queries, n
):
    _fill_log(2 * n, [case.citizen, other_case.citizen])
    client = client_for(administrator)
    # The six of the unfiltered page, plus the citizen looked up by UUID and
    # the insert of the administrator's own log row.
    with django_assert_max_num_queries(8):
        response = client.get(LOG_URL, {"citizen": str(case.citizen.uuid)})
    assert response.context["page"].paginator.count == n + 1


# --- the export --------------------------------------------------------------


def _read_csv(response) -> tuple[str, list[list[str]]]:
    text = b"".join(response.streaming_content if response.streaming else [response.content])
    decoded = text.decode("utf-8")
    return decoded, list(csv.reader(io.StringIO(decoded.removeprefix("\ufeff")), delimiter=";"))


@pytest.mark.django_db
@mock.patch("django.utils.timezone.localdate", return_value=dt.date(2025, 3, 4))
def test_export_holds_only_that_citizens_rows_and_is_logged(
    _localdate, client_for, administrator, caseworker_a, case, other_case
):
    log(
        caseworker_a,
        at=dt.datetime(2024, 7, 1, 13, 5, 9, tzinfo=dt.UTC),
        citizen=case.citizen,
        what="case page",
        path="/cases/a/",
    )
    log(
        caseworker_a,
        action=AccessAction.SEARCH,
        citizens=[case.citizen],
        search_term='=HYPERLINK("http://evil","x")',
        what="+caseload search",
    )
    log(caseworker_a, citizen=other_case.citizen, what="about-yonas")

    response = client_for(administrator).get(export_url(case.citizen), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    birth = case.citizen.cpr[:6]
    assert response["Content-Disposition"] == (
        f'attachment; filename="adgangslog-{birth}-2025-03-04.csv"'
    )
    assert response.content.startswith(b"\xef\xbb\xbf")
    text, rows = _read_csv(response)
    assert "about-yonas" not in text
    assert case.citizen.cpr not in text
    header, *body = rows
    assert header == ["Time", "User", "Action", "What", "Search term", "Address"]
    # Newest first: the export itself, the search, the case's creation (when
    # the fixture ran) and the view back in 2024.
    assert len(body) == 4
    export_row, search_row, created_row, view_row = body
    assert export_row[1] == "admin" and export_row[3] == "access log export"
    assert search_row[3] == "'+caseload search"
    assert search_row[4] == '\'=HYPERLINK("http://evil","x")'
    assert view_row == ["01-07-2024 15:05:09", "caseworker_a", "View", "case page", "", "/cases/a/"]
    assert created_row[2:4] == ["Change", "case created"]
    own = AccessLog.objects.filter(user=administrator).get()
    assert (own.action, own.citizen, own.what) == (
        AccessAction.EXPORT,
        case.citizen,
        "access log export",
    )


@pytest.mark.django_db
def test_export_of_an_unknown_citizen_is_404(client_for, administrator):
    response = client_for(administrator).get(
        reverse("integration:access_log_export", args=["00000000-0000-4000-8000-000000000000"])
    )
    assert response.status_code == 404
    assert not AccessLog.objects.exists()


# --- the log cannot be changed -------------------------------------------------


@pytest.fixture
def entry(caseworker_a, case):
    log(caseworker_a, citizen=case.citizen, what="case page")
    return AccessLog.objects.get(user=caseworker_a)


@pytest.mark.django_db
def test_a_log_row_cannot_be_saved_again(entry):
    entry.what = "nothing to see"
    with pytest.raises(AppendOnlyError):
        entry.save()
    assert AccessLog.objects.get(pk=entry.pk).what == "case page"


@pytest.mark.django_db
def test_a_log_row_cannot_be_deleted(entry):
    with pytest.raises(AppendOnlyError):
        entry.delete()
    assert AccessLog.objects.filter(pk=entry.pk).exists()


@pytest.mark.django_db
def test_the_log_cannot_be_updated_or_deleted_in_bulk(entry):
    with pytest.raises(AppendOnlyError):
        AccessLog.objects.filter(pk=entry.pk).update(what="nothing to see")
    with pytest.raises(AppendOnlyError):
        AccessLog.objects.all().delete()
    entry.what = "nothing to see"
    # bulk_update runs in its own transaction; the savepoint keeps the test's usable.
    with pytest.raises(AppendOnlyError), transaction.atomic():
        AccessLog.objects.bulk_update([entry], ["what"])
    assert AccessLog.objects.get(pk=entry.pk).what == "case page"


# --- the CSV neutraliser -------------------------------------------------------


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"])
def test_neutralise_quotes_text_that_a_spreadsheet_would_run(prefix):
    assert csv_export.neutralise(f"{prefix}1+1") == f"'{prefix}1+1"


@pytest.mark.parametrize("value", ["Amal Haddad", "", "a=b", " =1", "'=already"])
def test_neutralise_leaves_ordinary_text_alone(value):
    assert csv_export.neutralise(value) == value


def test_neutralise_leaves_numbers_and_dates_alone_and_empties_none():
    assert csv_export.neutralise(-5) == -5
    assert csv_export.neutralise(dt.date(2024, 1, 31)) == dt.date(2024, 1, 31)
    assert csv_export.neutralise(None) == ""


def test_neutralise_sees_through_lazy_translations():
    assert csv_export.neutralise(gettext_lazy("=SUM(A1)")) == "'=SUM(A1)"


def test_safe_writer_writes_semicolons_and_quotes_formulas():
    out = io.StringIO()
    writer = csv_export.SafeWriter(out)
    writer.writerow(["=cmd|' /C calc'!A0", "a;b", 3])
    assert out.getvalue() == "'=cmd|' /C calc'!A0;\"a;b\";3\r\n"


def test_csv_response_starts_with_a_bom_and_names_the_file():
    response = csv_export.csv_response(
        filename="x-2024-01-31.csv", header=["Navn"], rows=[["@evil"], ["Åse"]]
    )
    assert response.content.decode("utf-8") == "\ufeffNavn\r\n'@evil\r\nÅse\r\n"
    assert response["Content-Disposition"] == 'attachment; filename="x-2024-01-31.csv"'
