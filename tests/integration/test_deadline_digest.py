"""The morning e-mail (``manage.py send_deadline_digest``) and the settings page's switch.

Today is Friday 01-03-2024; "this week" is 01-03 to 07-03 (7 days).
"""

import datetime as dt
import io
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from common import cpr
from integration import services
from integration.models import Citizen, FollowUp, User
from tests.factories import UserFactory, make_case

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

TODAY = dt.date(2024, 3, 1)


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://integration.kommune.example"


@pytest.fixture
def cases(team_a, caseworker_a):
    """caseworker_a: two cases with overdue deadlines, one with a follow-up due
    04-03 and the guidance the last one lacked."""
    caseworker_a.email = "cw.a@kommune.example"
    caseworker_a.save(update_fields=["email"])
    late = make_case(team=team_a, caseworker=caseworker_a, first_name="Lina", last_name="Late")
    follow = make_case(
        team=team_a,
        caseworker=caseworker_a,
        arrival=dt.date(2023, 9, 4),
        first_name="Farah",
        last_name="Follow",
    )
    services.fact_save(actor=None, case=follow, fact=FollowUp(held_on=dt.date(2023, 12, 4)))
    return late, follow


def _send(today=TODAY):
    return services.deadline_digest_send(today=today)


@pytest.mark.django_db
def test_one_danish_email_with_counts_by_kind_and_links(cases):
    run = _send()
    assert (run.sent, run.failed) == (1, 0)
    [message] = mail.outbox
    assert message.to == ["cw.a@kommune.example"]
    # Overdue: Lina's placement (14-01) and contract (10-02); Farah's placement
    # (08-09-2023), contract (04-10-2023) and health offer (04-12-2023): 5. Due
    # by 07-03: Farah's follow-up on 04-03 and the guidance at it: 2.
    assert message.subject.startswith("Frister: 5 overskredet, 2 forfalder denne uge")
    body = message.body
    assert "Overskredet: 5" in body
    assert "Første placering på trappen (96 timer): 2" in body
    assert "Integrationskontrakt: 2" in body
    assert "Tilbud om helbredsmæssig vurdering (3 måneder): 1" in body
    assert "Vejledning om repatriering ved denne opfølgning: 1" in body
    assert "Forfalder inden for 7 dage: 2" in body
    assert "https://integration.kommune.example/tasks/?show=mine" in body
    assert "https://integration.kommune.example/account/settings/" in body


@pytest.mark.django_db
def test_the_email_is_in_the_users_language(cases, caseworker_a):
    caseworker_a.language = "en"
    caseworker_a.save(update_fields=["language"])
    _send()
    [message] = mail.outbox
    assert message.subject.startswith("Deadlines: 5 overdue, 2 due this week")
    assert "Due in the next 7 days: 2" in message.body


@pytest.mark.django_db
def test_no_name_and_no_cpr_number_in_any_message(cases, team_a):
    # More people, so that a name could show up in a count's place.
    for name in ["Ali", "Said", "Noor"]:
        make_case(team=team_a, caseworker=cases[0].caseworker, first_name=name)
    _send()
    assert mail.outbox
    assert_no_citizen_in(mail.outbox)


def assert_no_citizen_in(messages):
    """No citizen's CPR number (in any form), name or case in these e-mails."""
    texts = [f"{m.subject}\n{m.body}" for m in messages]
    for citizen in Citizen.objects.all():
        number = citizen.cpr
        for form in {number, cpr.formatted(number), cpr.masked(number), number[:6]}:
            assert not any(form in text for text in texts), form
        for name in {citizen.first_name, citizen.last_name}:
            pattern = re.compile(rf"\b{re.escape(name)}\b")
            assert not any(pattern.search(text) for text in texts), name
        for case_uuid in Citizen.objects.filter(pk=citizen.pk).values_list("case__uuid", flat=True):
            assert not any(str(case_uuid) in text for text in texts)


@pytest.mark.django_db
def test_once_a_day_however_often_it_runs(cases, caseworker_a):
    assert _send().sent == 1
    assert _send().sent == 0
    assert len(mail.outbox) == 1
    caseworker_a.refresh_from_db()
    assert caseworker_a.deadline_digest_sent_on == TODAY
    assert _send(TODAY + dt.timedelta(days=1)).sent == 1


@pytest.mark.django_db
def test_nobody_without_anything_due_without_address_or_who_said_no(
    cases, team_a, team_b, caseworker_a, caseworker_b, manager
):
    # caseworker_b has an address but nothing due this week.
    caseworker_b.email = "cw.b@kommune.example"
    caseworker_b.save(update_fields=["email"])
    make_case(team=team_b, caseworker=caseworker_b, arrival=dt.date(2024, 2, 29))  # due 04-03
    # A colleague with overdue cases and no address.
    colleague = UserFactory(username="colleague", team=team_a, role="caseworker")
    make_case(team=team_a, caseworker=colleague)
    _send(TODAY - dt.timedelta(days=10))  # 20-02: b's case had not arrived yet
    assert [m.to for m in mail.outbox] == [["cw.a@kommune.example"]]
    mail.outbox.clear()
    services.user_settings_update(user=caseworker_a, language="da", deadline_digest=False)
    # 01-03: caseworker_b's placement (04-03) is due this week; a has switched it off.
    assert _send().sent == 1
    assert [m.to for m in mail.outbox] == [["cw.b@kommune.example"]]


@pytest.mark.django_db
def test_a_failed_message_gives_its_day_back(cases, caseworker_a, monkeypatch):
    def refuse(self, fail_silently=False):
        raise OSError("mail server down")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    assert _send() == services.digest.DigestRun(sent=0, failed=1)
    caseworker_a.refresh_from_db()
    assert caseworker_a.deadline_digest_sent_on is None
    monkeypatch.undo()
    assert _send().sent == 1


@pytest.mark.django_db
def test_the_command_sends_and_says_how_many(cases):
    out = io.StringIO()
    call_command("send_deadline_digest", stdout=out)
    assert out.getvalue().strip() == "1 e-mail(s) sent"  # today: everything is long overdue


# --- the settings page --------------------------------------------------------------

SETTINGS_URL = "/account/settings/"


@pytest.mark.django_db
def test_a_caseworker_switches_the_email_off_and_picks_english(caseworker_a, client_as):
    client = client_as(caseworker_a)
    assert SETTINGS_URL in client.get(reverse("integration:caseload")).content.decode()
    response = client.post(SETTINGS_URL, {"language": "en"})  # an unticked box sends nothing
    assert response.status_code == 302
    caseworker_a.refresh_from_db()
    assert (caseworker_a.deadline_digest, caseworker_a.language) == (False, "en")
    client.post(SETTINGS_URL, {"language": "da", "deadline_digest": "on"})
    caseworker_a.refresh_from_db()
    assert (caseworker_a.deadline_digest, caseworker_a.language) == (True, "da")


@pytest.mark.django_db
def test_a_bad_language_is_refused_and_nothing_changes(caseworker_a, client_as):
    response = client_as(caseworker_a, language="en").post(
        SETTINGS_URL, {"language": "xx", "deadline_digest": ""}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    caseworker_a.refresh_from_db()
    assert (caseworker_a.deadline_digest, caseworker_a.language) == (True, "da")


@pytest.mark.parametrize("who", ["provider_user", "secretariat", "manager", "administrator"])
@pytest.mark.django_db
def test_every_signed_in_user_has_the_page_only_caseworkers_the_switch(who, request, client_as):
    user = request.getfixturevalue(who)
    client = client_as(user)
    # The menu bar's own button leads there from the start page.
    assert f'href="{SETTINGS_URL}"' in client.get("/", follow=True).content.decode()
    body = client.get(SETTINGS_URL).content.decode()
    assert 'name="language"' in body
    assert 'name="deadline_digest"' not in body
    # Posting the switch anyway changes nothing of it.
    client.post(SETTINGS_URL, {"language": "en", "deadline_digest": ""})
    user.refresh_from_db()
    assert (user.language, user.deadline_digest) == ("en", True)


@pytest.mark.django_db
def test_the_settings_page_changes_only_ones_own_account(caseworker_a, caseworker_b, client_as):
    client_as(caseworker_a).post(SETTINGS_URL, {"language": "en"})
    caseworker_b.refresh_from_db()
    assert (caseworker_b.language, caseworker_b.deadline_digest) == ("da", True)
    assert User.objects.get(pk=caseworker_a.pk).language == "en"


@pytest.mark.django_db
def test_anonymous_is_sent_to_sign_in_from_the_settings_page(client_as):
    response = client_as(None).get(SETTINGS_URL)
    assert response.status_code == 302 and "/login/" in response["Location"]
