"""Who makes which paper: the secretariat makes the monthly follow-up for any
month that has ended and follows its progress; the service review stays a
manager's. Refusals are tested as carefully as the successes."""

import datetime as dt
import re
import uuid

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from common.dates import add_months, last_ended_month
from evaluation import services
from evaluation.models import ReportArchive, ReportJob, ReportNarrative
from evaluation.reports import NARRATIVE_KEYS
from tests.evaluation.test_reports import monthly_by_hand, review_by_hand

pytestmark = pytest.mark.django_db

GENERATE = "evaluation:report_generate"


@pytest.fixture(autouse=True)
def report_settings(settings, monkeypatch):
    settings.REPORT_MIN_CELL = 5
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    def figures(period):
        if period.is_monthly:
            figures = monthly_by_hand(period=period.text, as_of=period.as_of.isoformat())
            if period.as_of.month == 1:
                # In January the year so far is the month.
                figures["arrivals"]["year_to_date"] = figures["arrivals"]["month"]
                figures["placement_96h"] |= {"arrivals": 8, "within": 7, "not_placed": 0}
            return figures
        return review_by_hand(as_of=period.text)

    # Hand-written figures: these tests are about who may make what, not the numbers.
    monkeypatch.setattr(services, "report_figures", figures)


@pytest.fixture
def client_as(db):
    def make(user, language: str = "en") -> Client:
        client = Client()
        client.force_login(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        return client

    return make


def _last_month() -> str:
    return f"{last_ended_month(timezone.localdate()):%Y-%m}"


def _this_month() -> str:
    return f"{timezone.localdate():%Y-%m}"


def _monthly(period: str, submission: uuid.UUID | None = None) -> dict:
    data = {"kind": "monthly", "period": period}
    if submission:
        data["submission"] = str(submission)
    return data


def _final_texts(as_of: dt.date) -> None:
    for key in NARRATIVE_KEYS:
        ReportNarrative.objects.create(as_of=as_of, section=key, text=f"Om {key}.", status="final")


# --- the roles' permissions ------------------------------------------------------------


def test_the_roles_hold_the_permission_to_make_each_paper():
    perms = {
        group.name: {p.codename for p in group.permissions.all()}
        for group in Group.objects.prefetch_related("permissions")
    }
    assert "add_reportjob" in perms["secretariat"]
    assert "add_reportarchive" not in perms["secretariat"]
    assert "change_reportnarrative" not in perms["secretariat"]
    assert {"add_reportjob", "add_reportarchive", "change_reportnarrative"} <= perms["manager"]
    assert not {"add_reportjob", "add_reportarchive"} & perms["caseworker"]
    assert not {"add_reportjob", "add_reportarchive"} & perms["provider"]


# --- the secretariat and the monthly follow-up -------------------------------------------


def test_secretariat_makes_the_monthly_for_the_month_just_ended(client_as, secretariat):
    client = client_as(secretariat)
    period = _last_month()

    response = client.post(reverse(GENERATE), _monthly(period, uuid.uuid4()))

    job = ReportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("evaluation:report_job", kwargs={"job_uuid": job.uuid})
    assert (job.status, job.progress, job.requested_by) == ("done", 100, secretariat)
    archive = ReportArchive.objects.get()
    assert (archive.kind, archive.period, archive.created_by) == ("monthly", period, secretariat)
    page = client.get(response["Location"]).content.decode()
    assert reverse("evaluation:report_download", kwargs={"archive_uuid": archive.uuid}) in page
    assert client.get(reverse("evaluation:report_download", args=[archive.uuid])).status_code == 200


def test_secretariat_makes_a_month_long_closed(client_as, secretariat):
    response = client_as(secretariat).post(reverse(GENERATE), _monthly("2019-01"))

    assert response.status_code == 302
    assert ReportArchive.objects.get().period == "2019-01"


def test_secretariat_sees_a_running_job_step_by_step(client_as, secretariat):
    job = ReportJob.objects.create(
        kind="monthly", period="2026-10", status="running", progress=60, step="pdf",
        requested_by=secretariat,
    )  # fmt: skip

    page = client_as(secretariat).get(reverse("evaluation:report_job", args=[job.uuid]))

    body = page.content.decode()
    assert page.status_code == 200
    assert 'value="60"' in body and "Laying out the PDF" in body


@pytest.mark.parametrize("which", ["this month", "next month", "next year"])
def test_a_month_not_over_is_refused_with_a_clear_message(client_as, secretariat, which):
    today = timezone.localdate()
    month = {
        "this month": today,
        "next month": add_months(today.replace(day=1), 1),
        "next year": add_months(today.replace(day=1), 12),
    }[which]

    response = client_as(secretariat).post(reverse(GENERATE), _monthly(f"{month:%Y-%m}"))

    assert response.status_code == 400
    body = response.content.decode()
    assert f"{month:%B %Y} is not over yet" in body
    assert "Choose a month that has ended." in body
    assert not ReportJob.objects.exists() and not ReportArchive.objects.exists()


def test_the_danish_message_names_the_month_and_the_first_day_it_can_be_made(
    client_as, secretariat
):
    today = timezone.localdate()
    first = add_months(today.replace(day=1), 1)

    client = client_as(secretariat, language="da")
    response = client.post(reverse(GENERATE), _monthly(_this_month()))

    assert response.status_code == 400
    assert f"{first:%d-%m-%Y}" in response.content.decode()


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "monthly", "period": ""},
        {"kind": "monthly", "period": "2026-13"},
        {"kind": "monthly", "period": "2026-00"},
        {"kind": "monthly", "period": "oktober"},
        {"kind": "monthly", "period": "2026-1"},
        {"kind": "monthly", "period": "2026-10-01"},
        {"kind": "monthly", "period": "0000-01"},
        {"kind": "monthly", "period": "2026-10' OR 1=1"},
        {"kind": "monthly", "period": "x" * 500},
        {"kind": "monthly"},
        {"kind": "weekly", "period": "2026-10"},
        {"period": "2026-10"},
        {"kind": "monthly", "period": "2019-01", "submission": "not-a-uuid"},
        {"kind": "monthly", "period": "2019-01", "adjusted_denominator": "on"},
    ],
)
def test_a_bad_request_is_a_400_never_a_500(client_as, secretariat, data):
    response = client_as(secretariat).post(reverse(GENERATE), data)

    assert response.status_code == 400
    assert 'class="alert alert-danger"' in response.content.decode()
    assert not ReportJob.objects.exists()


def test_the_same_form_sent_twice_makes_one_version(client_as, secretariat):
    client = client_as(secretariat)
    form = _monthly("2019-01", uuid.uuid4())

    first = client.post(reverse(GENERATE), form)
    second = client.post(reverse(GENERATE), form)

    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert ReportJob.objects.count() == 1
    assert ReportArchive.objects.count() == 1
    # A new form (a new page) asking again is a deliberate new version.
    client.post(reverse(GENERATE), _monthly("2019-01", uuid.uuid4()))
    assert list(ReportArchive.objects.values_list("version", flat=True).order_by("version")) == [
        1,
        2,
    ]


def test_one_page_id_does_not_join_two_months(client_as, secretariat):
    """The page's id is on every form of the page: another month is another report."""
    client = client_as(secretariat)
    page_id = uuid.uuid4()

    client.post(reverse(GENERATE), _monthly("2019-01", page_id))
    client.post(reverse(GENERATE), _monthly("2019-02", page_id))

    assert sorted(ReportArchive.objects.values_list("period", flat=True)) == ["2019-01", "2019-02"]


def test_the_secretariat_pages_offer_the_monthly_form(client_as, secretariat):
    client = client_as(secretariat)
    for name in ("evaluation:report_list", "evaluation:secretariat_home"):
        body = client.get(reverse(name)).content.decode()
        assert 'name="kind" value="monthly"' in body, name
        assert f'value="{_last_month()}"' in body, name
        assert 'value="service_review"' not in body, name
        # The form once landed inside the page's <title> as well as its body.
        title = re.search(r"<title>(.*?)</title>", body, re.S).group(1)
        assert "<" not in title, (name, title)
        assert body.count('id="monthly-heading"') <= 1, name


# --- the service review stays a manager's -----------------------------------------------


def test_secretariat_cannot_make_or_approve_a_service_review(client_as, secretariat):
    as_of = timezone.localdate() - dt.timedelta(days=1)
    _final_texts(as_of)
    client = client_as(secretariat)

    made = client.post(reverse(GENERATE), {"kind": "service_review", "period": as_of.isoformat()})
    texts = reverse("evaluation:narrative_edit", args=[as_of.isoformat()])
    approve = {"status": "final"} | {key: "Godkendt." for key in NARRATIVE_KEYS}

    assert made.status_code == 403
    assert client.get(texts).status_code == 403
    assert client.post(texts, approve).status_code == 403
    assert not ReportJob.objects.exists()
    assert not ReportNarrative.objects.filter(text="Godkendt.").exists()


def test_secretariat_is_refused_a_review_even_with_a_bad_date(client_as, secretariat):
    """The role decides before the form is read: no hint about what would pass."""
    response = client_as(secretariat).post(
        reverse(GENERATE), {"kind": "service_review", "period": "not a date"}
    )
    assert response.status_code == 403


def test_manager_makes_the_monthly_and_the_review(client_as, manager):
    as_of = timezone.localdate() - dt.timedelta(days=1)
    _final_texts(as_of)
    client = client_as(manager)

    monthly = client.post(reverse(GENERATE), _monthly(_last_month()))
    review = client.post(reverse(GENERATE), {"kind": "service_review", "period": as_of.isoformat()})

    assert monthly.status_code == review.status_code == 302
    assert sorted(ReportArchive.objects.values_list("kind", flat=True)) == [
        "monthly",
        "service_review",
    ]
    assert all(job.status == "done" for job in ReportJob.objects.all())


def test_caseworker_and_provider_make_nothing(client_as, caseworker_a, provider_user, manager):
    job = ReportJob.objects.create(kind="monthly", period="2026-10", requested_by=manager)
    for user in (caseworker_a, provider_user):
        client = client_as(user)
        assert client.post(reverse(GENERATE), _monthly(_last_month())).status_code == 403
        assert client.get(reverse("evaluation:report_job", args=[job.uuid])).status_code == 403
        assert client.get(reverse("evaluation:secretariat_home")).status_code == 403
    assert ReportJob.objects.count() == 1
    assert not ReportArchive.objects.exists()


def test_an_unknown_job_is_not_found(client_as, secretariat):
    client = client_as(secretariat)
    assert client.get(reverse("evaluation:report_job", args=[uuid.uuid4()])).status_code == 404
    assert client.get("/reports/jobs/12/").status_code == 404
