"""Who may open which page: one matrix over every URL of the site.

The matrix is keyed by URL name. A URL added to the URL conf without a row
here fails ``test_every_url_has_a_row_in_the_matrix``, so nobody ships a page
whose access nobody thought about.
"""

import datetime as dt
import hashlib
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.http import Http404
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from integration import selectors, services
from integration.forms import FACT_FORMS
from integration.models import (
    AccessAction,
    AccessLog,
    Case,
    Citizen,
    DanishAbsence,
    DanishCourse,
    EmploymentCategory,
    EmploymentSpell,
    FollowUp,
    HealthAssessment,
    HealthResponse,
    HousingKind,
    HousingPlacement,
    IntegrationContract,
    IntegrationPlan,
    LadderPlacement,
    LadderStep,
    PlanStatus,
    ProviderKind,
    Repatriation,
    ScreeningVisit,
)
from tests.conftest import PASSWORD
from tests.factories import ProviderFactory, enrol, make_case, place

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]


@dataclass(frozen=True)
class Redirect:
    """A 302 to a named URL; ``LOGIN`` also expects ``?next=`` the page asked for."""

    to: str


LOGIN = Redirect("login")

PERSONAS = (
    "anonymous",
    "caseworker_a",
    "caseworker_b",
    "provider",
    "provider_noref",
    "manager",
    "secretariat",
    "administrator",
)


def row(*answers) -> dict:
    """The answers in PERSONAS order: anonymous, caseworker_a, caseworker_b,
    provider, provider_noref, manager, secretariat, administrator."""
    return dict(zip(PERSONAS, answers, strict=True))


# Expected answer to a GET, per URL name and persona. Object URLs point at
# team A's case (caseworker_a's), which has a ladder placement at the
# provider's organisation. A forbidden object answers 404, exactly like a
# missing one; a forbidden page that names no object answers 403.
ADMIN_ONLY = row(LOGIN, 403, 403, 403, 403, 403, 403, 200)
CASE_EDIT_PAGE = row(LOGIN, 200, 404, 404, 404, 404, 404, 200)
GET_MATRIX: dict[str, dict] = {
    "home": row(
        LOGIN,
        Redirect("integration:caseload"),
        Redirect("integration:caseload"),
        Redirect("integration:provider_home"),
        Redirect("integration:provider_home"),
        Redirect("evaluation:dashboard"),
        Redirect("evaluation:report_list"),
        Redirect("integration:admin_home"),
    ),
    # A signed-in user who opens the login page is sent on to their start page.
    "login": row(200, *[Redirect("home")] * 7),
    # Signing out is a POST (a link could sign someone out from another site).
    "logout": row(*[405] * 8),
    # Single sign-on: without OIDC_ISSUER (as here) its pages do not exist; the
    # refusal page answers everyone 403 with the reason it was given (none here).
    "oidc_authenticate": row(*[404] * 8),
    "oidc_callback": row(*[404] * 8),
    "sign_in_refused": row(*[403] * 8),
    # A break-glass administrator's TOTP code, asked only with single sign-on on.
    "second_factor": row(LOGIN, *[404] * 7),
    # The language switch is a POST too; a GET just goes back to the start.
    "set_language": row(*[Redirect("home")] * 8),
    # Everyone signed in changes their own password; a reset link (here a
    # spent one) is for whoever holds it.
    "password_change": row(LOGIN, *[200] * 7),
    "password_change_done": row(LOGIN, *[200] * 7),
    "password_reset_confirm": row(*[200] * 8),
    "password_reset_complete": row(*[200] * 8),
    "integration:caseload": row(LOGIN, 200, 200, 403, 403, 200, 403, 200),
    # Each caseworker's own team's tasks, a manager's chosen team's.
    "integration:tasks": row(LOGIN, 200, 200, 403, 403, 200, 403, 200),
    # Everyone signed in has their own settings page.
    "integration:account_settings": row(LOGIN, *[200] * 7),
    "integration:case_create": row(LOGIN, 200, 200, 403, 403, 403, 403, 200),
    # The manager reads every case but edits none.
    "integration:case_detail": row(LOGIN, 200, 404, 404, 404, 200, 404, 200),
    "integration:case_history": row(LOGIN, 200, 404, 404, 404, 200, 404, 200),
    "integration:case_edit": CASE_EDIT_PAGE,
    "integration:case_status": CASE_EDIT_PAGE,
    "integration:fact_create": CASE_EDIT_PAGE,
    "integration:fact_edit": CASE_EDIT_PAGE,
    "integration:provider_list": row(LOGIN, 200, 200, 403, 403, 200, 403, 200),
    "integration:provider_create": ADMIN_ONLY,
    "integration:provider_edit": ADMIN_ONLY,
    # The referral list is a provider's own page; the administrator is no provider.
    "integration:provider_home": row(LOGIN, 403, 403, 200, 200, 403, 403, 403),
    "integration:manager_home": row(LOGIN, 403, 403, 403, 403, 200, 403, 200),
    "evaluation:secretariat_home": row(LOGIN, 403, 403, 403, 403, 200, 200, 200),
    "integration:admin_home": ADMIN_ONLY,
    "integration:import_upload": ADMIN_ONLY,
    # The confirmation step is reached by POST from the upload page.
    # Only the user's own refused file's errors, and only for an hour.
    "integration:import_errors": row(LOGIN, *[404] * 7),
    "integration:import_confirm": row(LOGIN, 403, 403, 403, 403, 403, 403, 405),
    "integration:access_log": ADMIN_ONLY,
    "integration:access_log_export": ADMIN_ONLY,
    # A citizen's own record (indsigt) holds their access log: administrators only.
    "integration:record_json": ADMIN_ONLY,
    "integration:record_pdf": ADMIN_ONLY,
    # Journal notes: written by those who edit the case; changed by their author
    # (caseworker_a wrote this one) for 24 hours, so the administrator is refused.
    "integration:note_create": CASE_EDIT_PAGE,
    "integration:note_edit": row(LOGIN, 200, 404, 404, 404, 404, 404, 403),
    # Searched by those who read cases; never by a provider or the secretariat.
    "integration:note_search": row(LOGIN, 200, 200, 403, 403, 200, 403, 200),
    # Progression: the case's rounds are read like the case, entered like its facts.
    "progression:case_progression": row(LOGIN, 200, 404, 403, 403, 200, 403, 200),
    "progression:round_create": CASE_EDIT_PAGE,
    "progression:round_edit": CASE_EDIT_PAGE,
    "progression:topic_agree": row(LOGIN, *[405] * 7),
    "progression:link_create": row(LOGIN, *[405] * 7),
    # The provider scores only a citizen referred to its own organisation.
    "progression:provider_score": row(LOGIN, 403, 403, 200, 404, 403, 403, 403),
    # The citizen's form needs no sign-in; an unknown token is simply not found.
    "progression:citizen_form": row(*[404] * 8),
    "progression:questionnaire_list": row(LOGIN, 200, 200, 403, 403, 200, 403, 200),
    "progression:questionnaire_detail": row(LOGIN, 200, 200, 403, 403, 200, 403, 200),
    # Version 1 is published, so not even the administrator may edit its items.
    "progression:item_edit": row(LOGIN, 403, 403, 403, 403, 403, 403, 404),
    "progression:questionnaire_publish": row(LOGIN, 403, 403, 403, 403, 403, 403, 405),
    "progression:questionnaire_new_draft": row(LOGIN, 403, 403, 403, 403, 403, 403, 405),
    # Evaluation: the dashboard is the managers' (and the administrator's).
    "evaluation:dashboard": row(LOGIN, 403, 403, 403, 403, 200, 403, 200),
    # Reports: aggregates only; the secretariat reads, downloads and makes the monthly.
    "evaluation:report_list": row(LOGIN, 403, 403, 403, 403, 200, 200, 200),
    "evaluation:report_generate": row(LOGIN, *[405] * 7),
    "evaluation:report_job": row(LOGIN, 403, 403, 403, 403, 200, 200, 200),
    "evaluation:report_download": row(LOGIN, 403, 403, 403, 403, 200, 200, 200),
    "evaluation:report_preview": row(LOGIN, 403, 403, 403, 403, 200, 200, 200),
    # The manager writes the service review's narrative, as DOMAIN.md says.
    "evaluation:narrative_edit": row(LOGIN, 403, 403, 403, 403, 200, 403, 403),
    # Copying an earlier review's texts is a POST; a GET is refused before the role.
    "evaluation:narrative_copy": row(LOGIN, *[405] * 7),
    # Benchmarks come from outside; managers read them, administrators import them.
    "evaluation:benchmark_list": row(LOGIN, 403, 403, 403, 403, 200, 403, 200),
    "evaluation:benchmark_upload": ADMIN_ONLY,
    "evaluation:benchmark_confirm": row(LOGIN, 403, 403, 403, 403, 403, 403, 405),
    "evaluation:quota_edit": ADMIN_ONLY,
}


def _url_names(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace
            if ns == "admin":
                continue
            prefix = f"{namespace}{ns}:" if ns else namespace
            yield from _url_names(pattern.url_patterns, prefix)
        elif isinstance(pattern, URLPattern):
            if pattern.name is None or "static" in str(pattern.pattern):
                continue
            yield f"{namespace}{pattern.name}"


def all_url_names() -> set[str]:
    return set(_url_names(get_resolver().url_patterns))


@pytest.fixture
def other_case_a(team_a, caseworker_a):
    """A second team A case, with a placement of its own."""
    case = make_case(team=team_a, caseworker=caseworker_a, arrival=dt.date(2024, 2, 1))
    place(case, start=dt.date(2024, 2, 2))
    return case


def _report_archive():
    """An archived monthly report (counts only) for the download URL."""
    from evaluation.models import ReportArchive

    return ReportArchive.objects.get_or_create(
        kind="monthly",
        period="2025-01",
        version=1,
        defaults={
            "pdf": b"%PDF-1.7",
            "sha256": __import__("hashlib").sha256(b"%PDF-1.7").hexdigest(),
            "figures": {},
            "min_cell": 5,
        },
    )[0]


def _report_job():
    from evaluation.models import ReportJob

    return ReportJob.objects.get_or_create(kind="monthly", period="2025-01")[0]


def _round_of(case: Case):
    """The case's progression round, made on first use."""
    from progression import services as progression_services
    from progression.models import Round

    existing = Round.objects.filter(case=case).first()
    if existing is not None:
        return existing
    return progression_services.round_save(
        actor=None,
        case=case,
        measured_on=dt.date(2025, 1, 6),
        complete=True,
        # The citizen's 1 against the caseworker's 4 makes item 1 a dialogue topic.
        scores={"citizen": {1: 1, 13: 3}, "caseworker": {1: 4, 13: 3}},
    )


def _note_of(case: Case):
    """The case's journal note by caseworker_a, written on first use."""
    from integration.models import JournalNote, User

    existing = JournalNote.objects.filter(case=case).first()
    if existing is not None:
        return existing
    return services.journal_note_create(
        actor=User.objects.get(username="caseworker_a"),
        case=case,
        happened_on=dt.date(2024, 2, 1),
        text="Samtale om praktik.",
    )


def _placement_of(case: Case) -> LadderPlacement:
    return LadderPlacement.objects.get(case=case)


def url_for(name: str, case: Case, provider_org) -> str:
    kwargs = {
        "integration:case_detail": {"case_uuid": case.uuid},
        "integration:case_history": {"case_uuid": case.uuid},
        "integration:case_edit": {"case_uuid": case.uuid},
        "integration:case_status": {"case_uuid": case.uuid, "action": "close"},
        "integration:fact_create": {"case_uuid": case.uuid, "kind": "ladder"},
        "integration:fact_edit": {
            "case_uuid": case.uuid,
            "kind": "ladder",
            "fact_uuid": _placement_of(case).uuid,
        },
        "integration:provider_edit": {"provider_uuid": provider_org.uuid},
        "integration:access_log_export": {"citizen_uuid": case.citizen.uuid},
        "integration:record_json": {"citizen_uuid": case.citizen.uuid},
        "integration:record_pdf": {"citizen_uuid": case.citizen.uuid},
        "integration:note_create": {"case_uuid": case.uuid},
        "integration:note_edit": {"case_uuid": case.uuid, "note_uuid": _note_of(case).uuid},
        "progression:case_progression": {"case_uuid": case.uuid},
        "progression:round_create": {"case_uuid": case.uuid},
        "progression:round_edit": {"round_uuid": _round_of(case).uuid},
        "progression:topic_agree": {"round_uuid": _round_of(case).uuid, "item_number": 1},
        "progression:link_create": {"round_uuid": _round_of(case).uuid},
        "progression:provider_score": {"citizen_uuid": case.citizen.uuid},
        "progression:citizen_form": {"token": "not-a-real-token"},
        "password_reset_confirm": {"uidb64": "MQ", "token": "not-a-real-token"},
        "evaluation:report_job": {"job_uuid": _report_job().uuid},
        "evaluation:report_download": {"archive_uuid": _report_archive().uuid},
        "evaluation:report_preview": {"kind": "monthly", "period": "2025-01"},
        "evaluation:narrative_edit": {"as_of": "2025-01-31"},
        "evaluation:narrative_copy": {"as_of": "2025-01-31"},
        "progression:questionnaire_detail": {"version": 1},
        "progression:item_edit": {"version": 1, "number": 1},
        "progression:questionnaire_publish": {"version": 1},
    }.get(name, {})
    return reverse(name, kwargs=kwargs)


def _outcome(response):
    if response.status_code == 302:
        return response["Location"]
    return response.status_code


def _expected_outcome(expected, url):
    if expected == LOGIN:
        return f"{resolve_url(settings.LOGIN_URL)}?next={url}"
    if isinstance(expected, Redirect):
        return resolve_url(expected.to)
    return expected


# --- the matrix -------------------------------------------------------------


def test_every_url_has_a_row_in_the_matrix():
    names = all_url_names()
    assert names - set(GET_MATRIX) == set(), "URLs without a row: give each one its access"
    assert set(GET_MATRIX) - names == set(), "rows for URLs that no longer exist"


def test_url_walk_finds_the_known_pages():
    # Guards the walk itself: an empty walk would make the test above pass.
    names = all_url_names()
    assert {"home", "login", "integration:case_detail", "integration:fact_edit"} <= names
    assert not any(name.startswith("admin:") for name in names)


# Every URL that answers with a CSV file; test_security.py checks that each of
# them neutralises cells a spreadsheet would run as a formula.
CSV_EXPORTS = {"integration:access_log_export"}


def database_state() -> dict[str, frozenset]:
    """Every row of every table that holds the app's data, as plain values.

    The access log, sessions and the sign-in lock-out counter are left out:
    reading a case writes the log, and signing in writes a session, whether
    or not anything else may change.
    """
    state = {}
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        # Auto-created tables too: a user's groups live in one.
        for model in apps.get_models(include_auto_created=True):
            label = model._meta.label
            if label in _NOT_DATA or model._meta.app_label == "axes":
                continue
            columns = [
                quote(f.column)
                for f in model._meta.concrete_fields
                if (label, f.name) not in _VOLATILE_COLUMNS
            ]
            cursor.execute(f"SELECT {', '.join(columns)} FROM {quote(model._meta.db_table)}")
            state[label] = frozenset(tuple(map(_plain, row)) for row in cursor.fetchall())
    return state


_NOT_DATA = {
    "integration.AccessLog",
    "sessions.Session",
    # A checked file waiting for its confirmation, kept as a session would be.
    "integration.PendingUpload",
    # Figures a report counted, kept as a cache keeps them, and what voids them.
    "integration.KeptFigures",
    "integration.FiguresChange",
    "contenttypes.ContentType",
    "auth.Permission",
}
# Every sign-in (force_login too) stamps it.
_VOLATILE_COLUMNS = {("integration.User", "last_login")}


def _plain(value):
    if isinstance(value, memoryview | bytes):
        return hashlib.sha256(bytes(value)).hexdigest()
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, default=str)
    return value


def changed_tables(before: dict, after: dict) -> list[str]:
    return sorted(label for label in before if before[label] != after[label])


def request_and_undo(client_as, user, method: str, url_of, data_of=None, prepare=None):
    """One request in a savepoint that is rolled back afterwards.

    Returns the address, the response and the tables the request changed;
    every cell of a matrix starts from the same database, whatever the cell
    before it did.
    """
    with transaction.atomic():
        client = client_as(user)
        if prepare is not None:
            prepare(client)
        url = url_of()
        data = data_of() if data_of is not None else {}
        before = database_state()
        response = getattr(client, method)(url, data)
        changed = changed_tables(before, database_state())
        transaction.set_rollback(True)
    return url, response, changed


def _matches(got, want) -> bool:
    if isinstance(want, To):
        return isinstance(got, str) and re.fullmatch(want.pattern, got) is not None
    return got == want


@pytest.mark.parametrize("url_name", sorted(GET_MATRIX))
def test_get_answers_each_persona_as_the_matrix_says_and_writes_nothing(
    url_name, personas, case_a, provider_org, client_as
):
    url_for(url_name, case_a, provider_org)  # makes the objects the URL names
    wrong = {}
    for persona in PERSONAS:
        url, response, changed = request_and_undo(
            client_as, personas[persona], "get", lambda: url_for(url_name, case_a, provider_org)
        )
        got = _outcome(response)
        want = _expected_outcome(GET_MATRIX[url_name][persona], url)
        if got != want:
            wrong[persona] = f"got {got!r}, expected {want!r}"
        elif changed:
            wrong[persona] = f"a GET changed {changed}"
        elif response.get("Content-Type", "").startswith("text/csv"):
            assert url_name in CSV_EXPORTS, f"{url_name} is a CSV export: add it to CSV_EXPORTS"
    assert wrong == {}, f"GET {url_name}"


# --- the same matrix for POST ----------------------------------------------------


@dataclass(frozen=True)
class To:
    """A 302 to an address matching ``pattern``; ``{case}``, ``{round}`` and
    ``{uuid}`` stand for team A's case, its round and any new record."""

    pattern: str


@dataclass(frozen=True)
class Post:
    """A POST that would change something, and who may send it.

    ``writers`` are the personas whose POST is carried out; for every other
    persona the database must stay exactly as it was. ``prepare`` runs on each
    persona's fresh client before the request (a file waiting in the session).
    """

    answers: dict
    writers: tuple[str, ...] = ()
    data: Callable[[SimpleNamespace], dict] = lambda w: {}
    prepare: Callable[[SimpleNamespace, Client], None] | None = None
    url: Callable[[SimpleNamespace], str] | None = None


# A POST to a page that only reads is answered as its GET and writes nothing.
READ_ONLY = {
    "home",
    "integration:case_detail",
    "integration:case_history",
    "integration:provider_list",
    "integration:provider_home",
    "integration:manager_home",
    "evaluation:secretariat_home",
    "integration:admin_home",
    "progression:case_progression",
    "evaluation:dashboard",
    "evaluation:report_list",
    "evaluation:report_job",
    "evaluation:report_download",
    "evaluation:report_preview",
}

CITIZEN_CSV = (
    "cpr,first_name,last_name,nationality,residence_basis,arrival_date\n"
    "7203854008,Nour,Saleh,SY,refugee,2024-02-01\n"
)
BENCHMARK_CSV = (
    "municipality;period;indicator;value\nOdder;2019;refugees_ordinary_employment;40,1\n"
)
# The answers of the forms that only the caseworker of team A and the
# administrator may send about team A's case.
OWN_CASE_ONLY = ("caseworker_a", "administrator")


def _case_url(w, name: str, **kwargs) -> str:
    return reverse(name, kwargs={"case_uuid": w.case.uuid, **kwargs})


def _new_case(w) -> dict:
    return {
        "cpr": "720385-4016",
        "first_name": "Nour",
        "last_name": "Saleh",
        "nationality": "SY",
        "residence_basis": "refugee",
        "arrival_date": "2024-02-01",
        "team": w.team_a.pk,
        "caseworker": w.caseworker_a.pk,
    }


def _case_edit(w) -> dict:
    w.case.refresh_from_db()
    return {**_edit_post(w.case, w.team_a), "caseworker": w.caseworker_a.pk}


def _grid(measured_on: str, **scores) -> dict:
    # Unanswered items: finishing is the deliberate second step (issue 13).
    data = {"measured_on": measured_on, "action": "finish_confirmed"}
    return data | {k: str(v) for k, v in scores.items()}


def _pending(key: str, value: dict):
    def put(_w, client: Client) -> None:
        session = client.session
        session[key] = value
        session.save()

    return put


def _waiting_file(client: Client, session_key: str, purpose: str, meta: dict, text: str) -> None:
    """A checked file waiting for the client's user, as after a preview."""
    from integration import services as case_services
    from integration.models import User

    user_id = client.session.get("_auth_user_id")
    if user_id is None:
        return
    key = case_services.pending_upload_put(
        user=User.objects.get(pk=user_id), purpose=purpose, meta=meta, text=text
    )
    _pending(session_key, key)(None, client)


def _pending_import(w, client: Client) -> None:
    meta = {"kind": "citizens", "filename": "b.csv", "team_id": w.team_a.pk}
    _waiting_file(client, "integration_pending_import", "case import", meta, CITIZEN_CSV)


def _draft(_w, _client) -> None:
    from progression import services as progression_services

    progression_services.questionnaire_new_draft(actor=None)


def _item_texts(_w) -> dict:
    from progression.forms import ItemTextsForm
    from progression.models import Item

    item = Item.objects.get(questionnaire__version=3, number=1)
    data = {k: v for k, v in ItemTextsForm(item=item).initial.items() if v not in (None, False)}
    data["municipal_wording"] = "on" if data.get("municipal_wording") else ""
    data["da_label"] = "Ser nyheder på dansk"
    return data


def _narratives(_w) -> dict:
    from evaluation.reports import NARRATIVE_KEYS

    data = {"status": "draft"}
    for key in NARRATIVE_KEYS:
        data[key] = f"Om {key}."
        data[f"version_{key}"] = "0"
    return data


def _earlier_texts(_w, _client) -> None:
    """A review a year before, whose texts the manager may copy."""
    from evaluation.models import ReportNarrative

    ReportNarrative.objects.get_or_create(
        as_of=dt.date(2024, 1, 31), section="introduction", defaults={"text": "Sidste år."}
    )


def _upload(name: str, text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


_FOR_OWN_CASE = row(LOGIN, To("/cases/{case}/"), 404, 404, 404, 404, 404, To("/cases/{case}/"))
_FACT_SAVED = row(
    LOGIN, To("/cases/{case}/#ladder"), 404, 404, 404, 404, 404, To("/cases/{case}/#ladder")
)
_ROUND_SAVED = row(
    LOGIN,
    To("/progression/rounds/{uuid}/"),
    404,
    404,
    404,
    404,
    404,
    To("/progression/rounds/{uuid}/"),
)
# The draft is version 3: migrations ship versions 1 and 2 (item 13 worded for staff).
_QUESTIONNAIRE_V2 = row(LOGIN, 403, 403, 403, 403, 403, 403, To("/progression/questionnaires/3/"))
_READ_ONLY_LIST = row(LOGIN, 405, 405, 403, 403, 405, 403, 405)

_BY_NAME = To("/cases/?q=Haddad")

POST_MATRIX: dict[str, Post] = {
    "login": Post(
        # Signing in is no write; a signed-in user is sent to their start page.
        row(Redirect("home"), *[Redirect("home")] * 7),
        data=lambda w: {"username": "caseworker_a", "password": PASSWORD},
    ),
    "logout": Post(row(*[To("/login/")] * 8)),
    "oidc_authenticate": Post(row(*[405] * 8)),
    "oidc_callback": Post(row(*[405] * 8)),
    "sign_in_refused": Post(row(*[405] * 8)),
    "second_factor": Post(row(LOGIN, *[404] * 7)),
    "password_change": Post(
        row(LOGIN, *[To("/password/done/")] * 7),
        PERSONAS[1:],
        data=lambda w: {
            "old_password": PASSWORD,
            "new_password1": "violet-harbour-lantern-9",
            "new_password2": "violet-harbour-lantern-9",
        },
    ),
    "password_change_done": Post(row(LOGIN, *[405] * 7)),
    "password_reset_confirm": Post(row(*[200] * 8)),
    "password_reset_complete": Post(row(*[405] * 8)),
    "set_language": Post(
        row(*[To("/cases/")] * 8), data=lambda w: {"language": "en", "next": "/cases/"}
    ),
    # The caseload's search is posted (a CPR number stays out of the address);
    # a search by name goes on to the address with its filters.
    "integration:caseload": Post(
        row(
            LOGIN,
            *[To("/cases/?q=Haddad")] * 2,
            403,
            403,
            To("/cases/?q=Haddad"),
            403,
            To("/cases/?q=Haddad"),
        ),
        data=lambda w: {"q": "Haddad"},
    ),
    # The task list only reads, and only by GET.
    "integration:tasks": Post(row(LOGIN, 405, 405, 403, 403, 405, 403, 405)),
    # Each signed-in user changes their own settings, nobody else's.
    "integration:account_settings": Post(
        row(LOGIN, *[Redirect("integration:account_settings")] * 7),
        PERSONAS[1:],
        data=lambda w: {"language": "en", "deadline_digest": ""},
    ),
    "integration:case_create": Post(
        row(LOGIN, To("/cases/{uuid}/"), 200, 403, 403, 403, 403, To("/cases/{uuid}/")),
        OWN_CASE_ONLY,
        data=_new_case,
    ),
    "integration:case_edit": Post(_FOR_OWN_CASE, OWN_CASE_ONLY, data=_case_edit),
    "integration:case_status": Post(
        _FOR_OWN_CASE,
        OWN_CASE_ONLY,
        data=lambda w: {"reason": "moved_away", "on": "2024-05-01", "version": w.case.version},
    ),
    "integration:fact_create": Post(
        _FACT_SAVED,
        OWN_CASE_ONLY,
        data=lambda w: {"step": LadderStep.OTHER, "start_date": "2024-03-01"},
    ),
    "integration:fact_edit": Post(
        _FACT_SAVED,
        OWN_CASE_ONLY,
        data=lambda w: {
            "step": LadderStep.OTHER,
            "provider": w.provider_org.pk,
            "start_date": "2024-01-12",
            "version": 1,
        },
    ),
    "integration:provider_create": Post(
        row(LOGIN, 403, 403, 403, 403, 403, 403, Redirect("integration:provider_list")),
        ("administrator",),
        data=lambda w: {"name": "Ny Arbejdsplads ApS", "kind": "workplace", "active": "on"},
    ),
    "integration:provider_edit": Post(
        row(LOGIN, 403, 403, 403, 403, 403, 403, Redirect("integration:provider_list")),
        ("administrator",),
        data=lambda w: {"name": "Byg og Anlæg A/S", "kind": "workplace", "active": "on"},
    ),
    # The upload is checked and previewed; nothing is written until confirmed.
    "integration:import_upload": Post(
        row(LOGIN, 403, 403, 403, 403, 403, 403, 200),
        data=lambda w: {
            "kind": "citizens",
            "file": _upload("borgere.csv", CITIZEN_CSV),
            "team": w.team_a.pk,
        },
    ),
    # A checked file waits in every persona's session: only the administrator's is imported.
    "integration:import_confirm": Post(
        row(LOGIN, 403, 403, 403, 403, 403, 403, 200),
        ("administrator",),
        prepare=_pending_import,
    ),
    "integration:access_log": Post(row(LOGIN, 403, 403, 403, 403, 403, 403, 405)),
    "integration:import_errors": Post(row(LOGIN, *[405] * 7)),
    "integration:access_log_export": Post(row(LOGIN, 403, 403, 403, 403, 403, 403, 405)),
    "integration:record_json": Post(row(LOGIN, 403, 403, 403, 403, 403, 403, 405)),
    "integration:record_pdf": Post(row(LOGIN, 403, 403, 403, 403, 403, 403, 405)),
    "integration:note_search": Post(row(LOGIN, *[405] * 7)),
    "integration:note_create": Post(
        row(
            LOGIN,
            To("/cases/{case}/#note-{uuid}"),
            404,
            404,
            404,
            404,
            404,
            To("/cases/{case}/#note-{uuid}"),
        ),
        OWN_CASE_ONLY,
        data=lambda w: {"happened_on": "2024-02-01", "text": "Nyt notat."},
    ),
    # Only the note's author changes it; the administrator's POST is refused.
    "integration:note_edit": Post(
        row(LOGIN, To("/cases/{case}/#note-{uuid}"), 404, 404, 404, 404, 404, 403),
        ("caseworker_a",),
        data=lambda w: {"happened_on": "2024-02-01", "text": "Rettet notat.", "version": 1},
    ),
    "progression:round_create": Post(
        _ROUND_SAVED,
        OWN_CASE_ONLY,
        data=lambda w: {
            **_grid("2025-02-03", caseworker_1=3, citizen_1=3),
            "submission": uuid.uuid4(),
        },
    ),
    "progression:round_edit": Post(
        row(
            LOGIN,
            To("/progression/rounds/{round}/"),
            404,
            404,
            404,
            404,
            404,
            To("/progression/rounds/{round}/"),
        ),
        OWN_CASE_ONLY,
        data=lambda w: {
            **_grid(
                "2025-01-06",
                citizen_1=1,
                caseworker_1=4,
                caseworker_2=2,
                citizen_13=3,
                caseworker_13=3,
            ),
            "version": _round_of(w.case).version,
        },
    ),
    "progression:topic_agree": Post(
        row(
            LOGIN,
            To("/progression/cases/{case}/"),
            404,
            404,
            404,
            404,
            404,
            To("/progression/cases/{case}/"),
        ),
        OWN_CASE_ONLY,
        data=lambda w: {"agreement": "Vi taler om det igen i maj.", "agreed_on": "2025-01-20"},
    ),
    "progression:link_create": Post(
        row(LOGIN, 200, 404, 404, 404, 404, 404, 200),
        OWN_CASE_ONLY,
        data=lambda w: {"language": "ar"},
    ),
    "progression:provider_score": Post(
        row(LOGIN, 403, 403, Redirect("integration:provider_home"), 404, 403, 403, 403),
        ("provider",),
        data=lambda w: _grid("2025-01-08", provider_1=4, provider_13=2),
    ),
    "progression:citizen_form": Post(row(*[404] * 8), data=lambda w: {"item_1": "3"}),
    "progression:questionnaire_list": Post(_READ_ONLY_LIST),
    "progression:questionnaire_detail": Post(_READ_ONLY_LIST),
    "progression:item_edit": Post(
        _QUESTIONNAIRE_V2,
        ("administrator",),
        prepare=_draft,
        url=lambda w: reverse("progression:item_edit", kwargs={"version": 3, "number": 1}),
        data=_item_texts,
    ),
    "progression:questionnaire_publish": Post(
        _QUESTIONNAIRE_V2,
        ("administrator",),
        prepare=_draft,
        url=lambda w: reverse("progression:questionnaire_publish", kwargs={"version": 3}),
        data=lambda w: {"note": "Ny ordlyd af spørgsmål 1."},
    ),
    "progression:questionnaire_new_draft": Post(_QUESTIONNAIRE_V2, ("administrator",)),
    # The secretariat makes the monthly follow-up itself (a review stays a manager's).
    "evaluation:report_generate": Post(
        row(
            LOGIN,
            403,
            403,
            403,
            403,
            To("/reports/jobs/{uuid}/"),
            To("/reports/jobs/{uuid}/"),
            To("/reports/jobs/{uuid}/"),
        ),
        ("manager", "secretariat", "administrator"),
        data=lambda w: {"kind": "monthly", "period": "2025-01"},
    ),
    "evaluation:narrative_edit": Post(
        row(LOGIN, 403, 403, 403, 403, To("/reports/texts/2025-01-31/"), 403, 403),
        ("manager",),
        data=_narratives,
    ),
    "evaluation:narrative_copy": Post(
        row(LOGIN, 403, 403, 403, 403, To("/reports/texts/2025-01-31/"), 403, 403),
        ("manager",),
        prepare=_earlier_texts,
        data=lambda w: {"source": "2024-01-31"},
    ),
    "evaluation:benchmark_list": Post(row(LOGIN, 403, 403, 403, 403, 405, 403, 405)),
    "evaluation:benchmark_upload": Post(
        ADMIN_ONLY,
        data=lambda w: {
            "source": "jobindsats",
            "downloaded_on": "2025-01-15",
            "file": _upload("jobindsats.csv", BENCHMARK_CSV),
        },
    ),
    "evaluation:benchmark_confirm": Post(
        row(LOGIN, 403, 403, 403, 403, 403, 403, 200),
        ("administrator",),
        prepare=lambda w, client: _waiting_file(
            client,
            "evaluation_pending_benchmarks",
            "benchmark import",
            {"source": "jobindsats", "downloaded_on": "2025-01-15", "filename": "jobindsats.csv"},
            BENCHMARK_CSV,
        ),
    ),
    "evaluation:quota_edit": Post(
        row(LOGIN, 403, 403, 403, 403, 403, 403, Redirect("evaluation:quota_edit")),
        ("administrator",),
        data=lambda w: {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "0",
            "form-MIN_NUM_FORMS": "0",
            "form-MAX_NUM_FORMS": "1000",
            "form-0-year": "2031",
            "form-0-expected": "40",
        },
    ),
}


def test_every_url_is_either_read_only_or_has_a_post_row():
    names = all_url_names()
    assert READ_ONLY.isdisjoint(POST_MATRIX)
    assert names - READ_ONLY - set(POST_MATRIX) == set(), "URLs without a POST row"
    assert (READ_ONLY | set(POST_MATRIX)) - names == set(), "rows for URLs that do not exist"


@pytest.fixture
def world(personas, case_a, team_a, provider_org, caseworker_a):
    for name in GET_MATRIX:
        url_for(name, case_a, provider_org)  # the round, the archive, the job
    return SimpleNamespace(
        personas=personas,
        case=case_a,
        round=_round_of(case_a),
        team_a=team_a,
        provider_org=provider_org,
        caseworker_a=caseworker_a,
    )


def _post_spec(url_name: str) -> Post:
    if url_name in READ_ONLY:
        return Post(GET_MATRIX[url_name])
    return POST_MATRIX[url_name]


def _expected_post(want, url: str, w):
    if isinstance(want, To):
        uuid_re = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
        pattern = (
            re.escape(want.pattern)
            .replace(re.escape("{case}"), str(w.case.uuid))
            .replace(re.escape("{round}"), str(w.round.uuid))
            .replace(re.escape("{uuid}"), uuid_re)
        )
        return To(pattern)
    return _expected_outcome(want, url)


@pytest.mark.parametrize("url_name", sorted(GET_MATRIX))
def test_post_answers_each_persona_as_the_matrix_says_and_only_writers_write(
    url_name, world, client_as
):
    spec = _post_spec(url_name)
    wrong = {}
    for persona in PERSONAS:
        url, response, changed = request_and_undo(
            client_as,
            world.personas[persona],
            "post",
            (lambda: spec.url(world))
            if spec.url
            else (lambda: url_for(url_name, world.case, world.provider_org)),
            data_of=lambda: spec.data(world),
            prepare=(lambda client: spec.prepare(world, client)) if spec.prepare else None,
        )
        got = _outcome(response)
        want = _expected_post(spec.answers[persona], url, world)
        if not _matches(got, want):
            wrong[persona] = f"got {got!r}, expected {want!r}"
        elif persona in spec.writers and not changed:
            # The POST is a real one: whoever may send it changes something.
            wrong[persona] = "wrote nothing"
        elif persona not in spec.writers and changed:
            wrong[persona] = f"changed {changed}"
    assert wrong == {}, f"POST {url_name}"


# --- writes by someone who may not write -----------------------------------


def _snapshot(case: Case) -> dict:
    case.refresh_from_db()
    citizen = Citizen.objects.get(pk=case.citizen_id)
    return {
        "version": case.version,
        "status": case.status,
        "closing_reason": case.closing_reason,
        "team": case.team_id,
        "caseworker": case.caseworker_id,
        "name": (citizen.first_name, citizen.last_name),
        "arrival": citizen.arrival_date,
        "placements": list(
            LadderPlacement.objects.filter(case=case).values_list("step", "start_date", "version")
        ),
        "history_rows": case.history.count(),
        "changes_logged": AccessLog.objects.filter(action=AccessAction.CHANGE).count(),
    }


def _edit_post(case: Case, team) -> dict:
    return {
        "first_name": "Changed",
        "last_name": "By Someone Else",
        "nationality": "SY",
        "residence_basis": "refugee",
        "arrival_date": "2024-01-10",
        "team": team.pk,
        "version": case.version,
    }


@pytest.mark.parametrize("persona", ["caseworker_b", "manager", "provider", "secretariat"])
def test_those_who_may_not_edit_get_404_on_every_write_and_nothing_changes(
    persona, personas, case_a, team_b, client_as
):
    client = client_as(personas[persona])
    before = _snapshot(case_a)
    posts = [
        (reverse("integration:case_edit", args=[case_a.uuid]), _edit_post(case_a, team_b)),
        (
            reverse("integration:fact_create", args=[case_a.uuid, "ladder"]),
            {"step": LadderStep.OTHER, "start_date": "2024-03-01"},
        ),
        (
            reverse(
                "integration:fact_edit", args=[case_a.uuid, "ladder", _placement_of(case_a).uuid]
            ),
            {"step": LadderStep.OTHER, "start_date": "2024-01-12", "version": 1},
        ),
        (
            reverse("integration:case_status", args=[case_a.uuid, "close"]),
            {"reason": "moved_away", "on": "2024-05-01", "version": case_a.version},
        ),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
    assert _snapshot(case_a) == before


def test_caseworker_of_own_team_can_make_the_same_edit(case_a, caseworker_a, team_a, client_as):
    # The refusal above is not a broken form: the same POST by the owner works.
    response = client_as(caseworker_a).post(
        reverse("integration:case_edit", args=[case_a.uuid]), _edit_post(case_a, team_a)
    )
    assert response.status_code == 302
    case_a.citizen.refresh_from_db()
    assert case_a.citizen.last_name == "By Someone Else"


# --- sub-resources -------------------------------------------------------------


def test_fact_of_another_case_under_this_case_url_is_404(
    case_a, other_case_a, caseworker_a, client_as
):
    client = client_as(caseworker_a)
    foreign = _placement_of(other_case_a)
    url = reverse("integration:fact_edit", args=[case_a.uuid, "ladder", foreign.uuid])
    assert client.get(url).status_code == 404
    response = client.post(
        url, {"step": LadderStep.OTHER, "start_date": "2024-02-02", "version": 1}
    )
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert (foreign.step, foreign.version, foreign.case_id) == (
        LadderStep.INTERNSHIP_PRIVATE,
        1,
        other_case_a.pk,
    )


def test_absence_cannot_point_at_a_course_of_another_case(
    case_a, other_case_a, caseworker_a, client_as
):
    school = ProviderFactory(name="Sprogskolen Vest", kind=ProviderKind.LANGUAGE_SCHOOL)
    foreign_course = enrol(other_case_a, provider=school, start=dt.date(2024, 2, 5))
    response = client_as(caseworker_a).post(
        reverse("integration:fact_create", args=[case_a.uuid, "absence"]),
        {"course": foreign_course.pk, "month": "2024-03-01", "absence_percent": "10"},
    )
    assert response.status_code == 200
    assert "course" in response.context["form"].errors
    assert not DanishAbsence.objects.exists()


def test_other_teams_case_stays_off_the_caseload_whatever_the_filter(
    case_a, caseworker_b, team_a, client_as
):
    client = client_as(caseworker_b)
    url = reverse("integration:caseload")
    for params in (
        {},
        {"scope": "all", "status": ""},
        {"scope": "team", "team": team_a.pk},
        {"q": "Haddad", "scope": "all"},
    ):
        response = client.get(url, params)
        assert response.context["page"].paginator.count == 0, params
        assert str(case_a.uuid) not in response.content.decode(), params
    # A CPR number is searched by POST; it finds nothing of another team's either.
    response = client.post(url, {"q": "710190-4000", "scope": "all"})
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 0
    assert str(case_a.uuid) not in response.content.decode()


# Every kind of fact, and the one field an edit of it changes.
FACT_EDITS = {
    "screening": ("location", "Center Auderød"),
    "housing": ("locality", "Horsens"),
    "ladder": ("step", LadderStep.OTHER),
    "course": ("module", "DU3 M1"),
    "absence": ("absence_percent", "20.0"),
    "contract": ("signed_on", "2024-02-03"),
    "plan": ("status", PlanStatus.ACCEPTED),
    "health": ("response", HealthResponse.ACCEPTED),
    "followup": ("note", "Talte om bolig."),
    "repatriation": ("adults", 2),
    "employment": ("category", EmploymentCategory.WAGE_SUBSIDY),
}


def facts_of_every_kind(case: Case) -> dict[str, object]:
    """One fact of each kind on ``case`` (its ladder placement is the one it has)."""
    school = ProviderFactory(kind=ProviderKind.LANGUAGE_SCHOOL)
    course = enrol(case, provider=school, start=dt.date(2024, 2, 5))
    facts = {
        "screening": ScreeningVisit(visit_date=dt.date(2023, 12, 1), location="Center Sandholm"),
        "housing": HousingPlacement(
            kind=HousingKind.TEMPORARY, locality="Vejle", start_date=dt.date(2024, 1, 10)
        ),
        "absence": DanishAbsence(
            course=course, month=dt.date(2024, 3, 1), absence_percent=Decimal("12.5")
        ),
        "contract": IntegrationContract(signed_on=dt.date(2024, 2, 1)),
        "plan": IntegrationPlan(status=PlanStatus.OFFERED, event_date=dt.date(2024, 2, 2)),
        "health": HealthAssessment(offered_on=dt.date(2024, 2, 5)),
        "followup": FollowUp(held_on=dt.date(2024, 4, 2), repatriation_guidance_given=True),
        "repatriation": Repatriation(left_on=dt.date(2024, 6, 1), destination_country="LB"),
        "employment": EmploymentSpell(
            category=EmploymentCategory.INTERNSHIP, start_date=dt.date(2024, 5, 1)
        ),
    }
    for fact in facts.values():
        services.fact_save(actor=None, case=case, fact=fact)
    facts["course"] = course
    facts["ladder"] = LadderPlacement.objects.filter(case=case).first()
    assert set(facts) == set(FACT_FORMS) == set(FACT_EDITS)
    return facts


def _edit_of(kind: str, case: Case, fact) -> dict:
    """The fact's own form, filled in as saved, with one field changed."""
    form = FACT_FORMS[kind](instance=fact, case=case)
    data = {}
    for name, value in {**form.initial, "version": fact.version}.items():
        if name not in form.fields or value is None:
            continue
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = value.isoformat() if isinstance(value, dt.date) else value
    field, value = FACT_EDITS[kind]
    data[field] = value
    return data


@pytest.mark.parametrize("kind", sorted(FACT_FORMS))
def test_every_fact_of_a_case_is_refused_to_those_who_may_not_edit_it(
    kind, personas, case_a, client_as
):
    fact = facts_of_every_kind(case_a)[kind]
    edit = reverse("integration:fact_edit", args=[case_a.uuid, kind, fact.uuid])
    new = reverse("integration:fact_create", args=[case_a.uuid, kind])
    data = _edit_of(kind, case_a, fact)
    wrong = {}
    for persona in ("caseworker_b", "provider", "provider_noref", "manager", "secretariat"):
        for method, url in (("get", edit), ("post", edit), ("get", new), ("post", new)):
            _url, response, changed = request_and_undo(
                client_as, personas[persona], method, lambda u=url: u, lambda: data
            )
            if response.status_code != 404 or changed:
                wrong[f"{persona} {method} {url}"] = (response.status_code, changed)
    assert wrong == {}
    # The same edit by the case's own caseworker goes through: the refusal above
    # is about who sends it, not a broken form.
    _url, response, changed = request_and_undo(
        client_as, personas["caseworker_a"], "post", lambda: edit, lambda: data
    )
    assert response.status_code == 302, (
        getattr(response, "context", None) and response.context["form"].errors
    )
    assert f"integration.{type(fact).__name__}" in changed


@pytest.mark.parametrize("kind", sorted(FACT_FORMS))
def test_a_fact_of_case_b_under_case_a_url_is_404_for_everyone(
    kind, personas, case_a, other_case_a, client_as
):
    # Both cases are team A's: caseworker_a may edit either, but not one
    # through the other's address.
    foreign = facts_of_every_kind(other_case_a)[kind]
    url = reverse("integration:fact_edit", args=[case_a.uuid, kind, foreign.uuid])
    data = _edit_of(kind, other_case_a, foreign)
    for persona in ("caseworker_a", "administrator"):
        for method in ("get", "post"):
            _url, response, changed = request_and_undo(
                client_as, personas[persona], method, lambda: url, lambda: data
            )
            assert (response.status_code, changed) == (404, []), (persona, method)


# Managers read every case, the full number included (and the reading is logged).
FULL_CPR = row(LOGIN, 200, 404, 404, 404, 200, 404, 200)


def test_full_cpr_number_is_shown_only_to_those_who_may_read_the_case(personas, case_a, client_as):
    url = reverse("integration:case_detail", args=[case_a.uuid]) + "?cpr=full"
    for persona in PERSONAS:
        user = personas[persona]
        response = client_as(user).get(url)
        body = response.content.decode()
        if FULL_CPR[persona] == LOGIN:
            assert response.status_code == 302
            assert response["Location"].startswith("/login/?next=")
        else:
            assert response.status_code == FULL_CPR[persona], persona
        if FULL_CPR[persona] == 200:
            assert "710190-4000" in body
            assert AccessLog.objects.filter(user=user, what="case page, full CPR").count() == 1
        else:
            assert "710190" not in body, persona
            if user is not None:
                assert not AccessLog.objects.filter(user=user, citizen=case_a.citizen).exists()


def test_secretariat_downloads_the_archived_pdf_and_caseworkers_and_providers_do_not(
    personas, client_as
):
    archive = _report_archive()
    url = reverse("evaluation:report_download", args=[archive.uuid])
    response = client_as(personas["secretariat"]).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content == bytes(archive.pdf)
    for persona in ("caseworker_a", "caseworker_b", "provider", "provider_noref"):
        response = client_as(personas[persona]).get(url)
        assert response.status_code == 403, persona
        assert b"%PDF" not in response.content


@pytest.fixture
def citizen_links(case_a, caseworker_a):
    """A token per state: usable, spent, expired, and one that was never made."""
    from progression import services as progression_services
    from progression.models import CitizenLink

    round_ = _round_of(case_a)
    tokens = {}
    for state in ("valid", "used", "expired"):
        link, tokens[state] = progression_services.citizen_link_create(
            actor=caseworker_a, round_=round_, language="da"
        )
        if state == "used":
            CitizenLink.objects.filter(pk=link.pk).update(used_at=timezone.now())
        if state == "expired":
            CitizenLink.objects.filter(pk=link.pk).update(
                expires_at=timezone.now() - dt.timedelta(seconds=1)
            )
    tokens["unknown"] = "x" * 32
    return tokens


@pytest.mark.parametrize(("state", "status"), [("unknown", 404), ("used", 410), ("expired", 410)])
def test_a_citizen_link_that_cannot_be_used_says_so_and_writes_nothing(
    state, status, citizen_links, personas, client_as
):
    url = reverse("progression:citizen_form", args=[citizen_links[state]])
    answers = {f"item_{n}": "5" for n in range(1, 14)}
    # Signed in or not makes no difference: the token alone decides.
    for persona in ("anonymous", "caseworker_a", "caseworker_b", "provider"):
        for method in ("get", "post"):
            _url, response, changed = request_and_undo(
                client_as, personas[persona], method, lambda: url, lambda: answers
            )
            assert (response.status_code, changed) == (status, []), (persona, method)


def test_a_usable_citizen_link_takes_the_answer(citizen_links, client_as):
    url = reverse("progression:citizen_form", args=[citizen_links["valid"]])
    answers = {f"item_{n}": "5" for n in range(1, 14)}
    _url, response, changed = request_and_undo(
        client_as, None, "post", lambda: url, lambda: answers
    )
    assert response.status_code == 200
    assert {"progression.CitizenLink", "progression.Measurement"} <= set(changed)


def test_fact_under_the_wrong_kind_is_404(case_a, caseworker_a, client_as):
    placement = _placement_of(case_a)
    url = reverse("integration:fact_edit", args=[case_a.uuid, "health", placement.uuid])
    assert client_as(caseworker_a).get(url).status_code == 404


@pytest.mark.parametrize(
    ("url_name", "kwargs"),
    [
        ("integration:fact_create", {"kind": "diagnosis"}),
        ("integration:case_status", {"action": "delete"}),
    ],
)
def test_unknown_fact_kind_or_status_action_is_404(
    url_name, kwargs, case_a, caseworker_a, client_as
):
    url = reverse(url_name, kwargs={"case_uuid": case_a.uuid, **kwargs})
    assert client_as(caseworker_a).get(url).status_code == 404


def test_unknown_case_uuid_is_404_like_a_forbidden_one(caseworker_a, client_as):
    url = reverse("integration:case_detail", args=["00000000-0000-4000-8000-000000000000"])
    assert client_as(caseworker_a).get(url).status_code == 404


# --- landing pages and menus -----------------------------------------------


def test_caseworker_landing_page_lists_own_case(case_a, caseworker_a, client_as):
    body = client_as(caseworker_a, language="en").get(reverse("integration:caseload")).content
    assert "Amal Haddad" in body.decode()
    assert "710190-xxxx" in body.decode()


def test_manager_landing_page_counts_cases_per_team(case_a, manager, team_b, client_as):
    body = client_as(manager, language="en").get(reverse("integration:manager_home")).content
    body = body.decode()
    # Team A has case_a open; team B has none.
    assert f'team={case_a.team_id}">Team A</a></td><td class="text-end">1</td>' in body
    assert f'team={team_b.pk}">Team B</a></td><td class="text-end">0</td>' in body
    assert "Amal" not in body


def test_secretariat_landing_page_shows_suppressed_counts_and_no_names(
    case_a, secretariat, client_as
):
    body = client_as(secretariat, language="en").get(reverse("evaluation:secretariat_home"))
    body = body.content.decode()
    # One refugee arrived in 2024: below the minimum cell of 5, shown as <5.
    assert '<th scope="row">2024</th><td class="text-end">&lt;5</td>' in body
    assert "Amal" not in body and "Haddad" not in body


def test_administrator_landing_page_lists_users(administrator, caseworker_a, client_as):
    body = client_as(administrator, language="en").get(reverse("integration:admin_home"))
    assert "<td>caseworker_a</td>" in body.content.decode()


# --- what a provider sees --------------------------------------------------


@pytest.fixture
def referred_case_with_sensitive_facts(case_a, other_provider_org):
    """case_a, plus facts the provider must never see: a health assessment and
    a Danish course at another organisation."""
    school = ProviderFactory(name="Sprogskolen Vest", kind=ProviderKind.LANGUAGE_SCHOOL)
    enrol(case_a, provider=school, start=dt.date(2024, 2, 1))
    from integration import services

    services.fact_save(
        actor=None,
        case=case_a,
        fact=HealthAssessment(
            offered_on=dt.date(2024, 2, 5),
            response=HealthResponse.ACCEPTED,
            done_on=dt.date(2024, 3, 1),
        ),
    )
    # Another citizen at another organisation, not referred to the provider.
    stranger = make_case(
        team=case_a.team, first_name="Yonas", last_name="Tesfay", arrival=dt.date(2024, 1, 3)
    )
    place(stranger, provider=other_provider_org, start=dt.date(2024, 1, 5))
    return case_a


def test_provider_page_shows_name_and_referral_only(
    referred_case_with_sensitive_facts, provider_user, client_as
):
    case = referred_case_with_sensitive_facts
    response = client_as(provider_user, language="en").get(reverse("integration:provider_home"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Amal Haddad" in body
    assert str(LadderStep.INTERNSHIP_PRIVATE.label) in body
    assert "12-01-2024" in body  # the referral's start
    # Not the CPR number, masked or full, nor its date part.
    assert "710190" not in body and "7101904000" not in body and "xxxx" not in body
    # Not the nationality, in either language or as a code in a cell.
    assert "Syria" not in body and "Syrien" not in body and ">SY<" not in body
    # Nothing about health.
    assert "ealth" not in body and "elbred" not in body
    # No other organisation's name, and no other citizen.
    assert "Sprogskolen Vest" not in body and "Sprogcenter Øst" not in body
    assert "Yonas" not in body and "Tesfay" not in body
    # The Danish course belongs to another organisation: not listed here.
    assert "Danish course" not in body
    assert case.citizen.arrival_date.strftime("%d-%m-%Y") not in body


def test_provider_without_referral_sees_nobody(case_a, provider_without_referral, client_as):
    response = client_as(provider_without_referral, language="en").get(
        reverse("integration:provider_home")
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Amal" not in body and "Haddad" not in body
    assert "No citizens are referred to your organisation right now." in body


def test_provider_no_longer_sees_citizen_whose_referral_ended_yesterday(
    case_a, provider_user, client_as
):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    LadderPlacement.objects.filter(case=case_a).update(end_date=yesterday)
    body = client_as(provider_user).get(reverse("integration:provider_home")).content.decode()
    assert "Haddad" not in body
    with pytest.raises(Http404):
        selectors.get_referred_citizen(provider_user, case_a.citizen.uuid)


def test_provider_still_sees_citizen_on_the_referrals_last_day(case_a, provider_user, client_as):
    # The end date is inclusive: ending today still counts as referred today.
    LadderPlacement.objects.filter(case=case_a).update(end_date=timezone.localdate())
    body = client_as(provider_user).get(reverse("integration:provider_home")).content.decode()
    assert "Amal Haddad" in body
    assert selectors.get_referred_citizen(provider_user, case_a.citizen.uuid) == case_a.citizen


def test_provider_sees_citizen_referred_through_a_danish_course(
    case_a, other_provider_org, provider_without_referral, client_as
):
    DanishCourse.objects.create(
        case=case_a, provider=other_provider_org, module="DU2 M3", start_date=dt.date(2024, 2, 1)
    )
    body = client_as(provider_without_referral, language="en").get(
        reverse("integration:provider_home")
    )
    assert "Amal Haddad" in body.content.decode()
    assert "DU2 M3, 18 hours a week" in body.content.decode()


# --- Django's admin site ------------------------------------------------------------

# The administrator manages users, teams and provider organisations in /admin/
# (view, add, change; nothing is deleted). Nobody else gets past its sign-in.
ADMIN_SITE_MODELS = {"integration.User", "integration.Team", "integration.ProviderOrganisation"}


def _admin_site_pages(objects: dict) -> list[tuple[str, str, str]]:
    """(model label, view, url) for the index and every registered model's pages."""
    from django.contrib import admin

    pages = [("", "index", reverse("admin:index"))]
    for model in admin.site._registry:
        label = model._meta.label
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        pages += [(label, view, reverse(f"{prefix}_{view}")) for view in ("changelist", "add")]
        obj = objects.get(label)
        if obj is not None:
            pages += [
                (label, view, reverse(f"{prefix}_{view}", args=[obj.pk]))
                for view in ("change", "history", "delete")
            ]
    return pages


def _admin_site_answer(persona: str, label: str, view: str):
    if persona != "administrator":
        return "login"
    if view == "index" or (label in ADMIN_SITE_MODELS and view != "delete"):
        return 200
    return 403


def test_admin_site_lets_in_the_administrator_only_and_deletes_nothing(
    personas, case_a, team_a, provider_org, client_as
):
    from django.contrib.auth.models import Group

    objects = {
        "integration.User": personas["caseworker_a"],
        "integration.Team": team_a,
        "integration.ProviderOrganisation": provider_org,
        "auth.Group": Group.objects.get(name="caseworker"),
    }
    pages = _admin_site_pages(objects)
    wrong = {}
    for persona in PERSONAS:
        for label, view, url in pages:
            want = _admin_site_answer(persona, label, view)
            method, data = ("post", {"post": "yes"}) if view == "delete" else ("get", None)
            _url, response, changed = request_and_undo(
                client_as, personas[persona], method, lambda u=url: u, lambda d=data: d
            )
            got = response.status_code
            if got == 302 and response["Location"].startswith(reverse("admin:login")):
                got = "login"
            if got != want or changed:
                wrong[f"{persona} {method} {url}"] = (got, want, changed)
    assert wrong == {}
    # 9 registered models with a list and an add page (the ninth: django-otp's
    # TOTP devices, a superuser's), 4 with an object, and the index.
    assert len(pages) == 1 + 2 * 9 + 3 * 4


# --- households across teams ---------------------------------------------------------


def test_case_page_names_household_members_only_of_cases_the_reader_may_see(
    case_a, caseworker_a, caseworker_b, team_a, team_b, manager, client_as
):
    from integration.models import Household

    family = Household.objects.create(reference="FAM-7")
    make_case(team=team_a, first_name="Rami", last_name="Haddad", household=family)
    make_case(team=team_b, first_name="Yonas", last_name="Tesfay", household=family)
    # A reference typed on team A's case that happens to be a family team B knows.
    response = client_as(caseworker_a).post(
        reverse("integration:case_edit", args=[case_a.uuid]),
        {**_edit_post(case_a, team_a), "caseworker": caseworker_a.pk, "household": "FAM-7"},
    )
    assert response.status_code == 302
    own_team = client_as(caseworker_a).get(reverse("integration:case_detail", args=[case_a.uuid]))
    body = own_team.content.decode()
    assert "Rami Haddad" in body
    assert "Yonas" not in body and "Tesfay" not in body
    # The manager reads every case, so the whole household is named for them.
    everyone = client_as(manager).get(reverse("integration:case_detail", args=[case_a.uuid]))
    assert "Rami Haddad" in everyone.content.decode()
    assert "Yonas Tesfay" in everyone.content.decode()
