"""axe-core finds no accessibility violation on any page of any role.

The demo municipality is loaded, and each role opens in Chromium every page
it may open, with the demo's objects in it (a URL's further variants, such as
filters or a closed case, by the role whose work they are); axe-core checks
each page against the WCAG 2.1 A and AA rules and axe's best practices. Pages
that only a POST shows are reached through their forms, and every form is also
sent with errors, so that the error state is checked too. The citizen's form
is checked in every language it is offered in; Arabic and Dari/Farsi run right
to left.

A URL added to the URL conf must get paths in ``pages`` or a reason in
``NOT_PAGES``; otherwise the test fails before it opens anything.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "demo-pass-123"
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}
SAMPLES = Path(settings.BASE_DIR) / "fixtures" / "demo" / "benchmark_samples"

# URLs that show no HTML page of their own, and where their pages are checked.
NOT_PAGES = {
    "home": "redirects to the role's start page, which is checked",
    "logout": "POST only; signs out and redirects",
    "set_language": "POST only; redirects back",
    "oidc_authenticate": "redirects to the identity provider (404 without OIDC_ISSUER)",
    "oidc_callback": "redirects on (404 without OIDC_ISSUER)",
    "sign_in_refused": "needs single sign-on on; checked in test_sign_in_sso.py",
    "second_factor": "needs single sign-on on; checked in test_sign_in_sso.py",
    "integration:import_confirm": "POST only; its result page is checked in the import flow",
    "integration:access_log_export": "a CSV file",
    "integration:record_json": "a JSON file",
    "integration:record_pdf": "a PDF file (its layout is looked at in tests/integration)",
    "integration:import_errors": "a CSV file (404 without a refused file of one's own)",
    "progression:topic_agree": "POST only; the progression page is checked after it",
    "progression:link_create": "POST only; its page is checked in the caseworker's flow",
    "progression:citizen_form": "no sign-in; checked in every language by _citizen_pages",
    "progression:questionnaire_publish": "POST only; the version is checked after it",
    "progression:questionnaire_new_draft": "POST only; the button is hidden while a draft exists",
    "evaluation:report_generate": "POST only; the job and refusal pages are checked",
    "evaluation:narrative_copy": "POST only; redirects to the texts page, which is checked",
    "evaluation:report_download": "a PDF file",
    "evaluation:benchmark_confirm": "POST only; its result page is checked in the upload flow",
}

# The pages each role opens, by the demo's user names (None: not signed in).
# Who may not open a page is tested in tests/access/test_permissions.py;
# here a page a role should open and cannot fails as well.
CASE_PAGES = {
    "integration:caseload",
    "integration:tasks",
    "integration:case_detail",
    "integration:case_history",
    "integration:note_search",
    "integration:provider_list",
    "progression:case_progression",
    "progression:questionnaire_list",
    "progression:questionnaire_detail",
}
CASE_EDIT_PAGES = {
    "integration:case_create",
    "integration:case_edit",
    "integration:case_status",
    "integration:fact_create",
    "integration:fact_edit",
    "integration:note_create",
    "progression:round_create",
    "progression:round_edit",
}
REPORT_PAGES = {
    "evaluation:secretariat_home",
    "evaluation:report_list",
    "evaluation:report_job",
    "evaluation:report_preview",
}
OWN_PAGES = {"integration:account_settings"}
ROLE_PAGES = {
    None: {"login", "password_reset_confirm", "password_reset_complete"},
    "caseworker_a": CASE_PAGES
    | CASE_EDIT_PAGES
    | OWN_PAGES
    | {"password_change", "password_change_done", "integration:note_edit"},
    "provider": {"integration:provider_home", "progression:provider_score"} | OWN_PAGES,
    "manager": CASE_PAGES
    | REPORT_PAGES
    | OWN_PAGES
    | {
        "integration:manager_home",
        "evaluation:dashboard",
        "evaluation:narrative_edit",
        "evaluation:benchmark_list",
    },
    "secretariat": REPORT_PAGES | OWN_PAGES,
    "admin": CASE_PAGES
    | OWN_PAGES
    | CASE_EDIT_PAGES
    | REPORT_PAGES
    | {
        "integration:manager_home",
        "integration:admin_home",
        "integration:provider_create",
        "integration:provider_edit",
        "integration:import_upload",
        "integration:access_log",
        "progression:item_edit",
        "evaluation:dashboard",
        "evaluation:benchmark_list",
        "evaluation:benchmark_upload",
        "evaluation:quota_edit",
    },
}
# Where a URL has several paths (filters, a closed case, a draft, a failed
# job), the role whose work they are opens them all and the others the first,
# which keeps the run short. Every kind of fact form is checked with its
# errors in the caseworker's flow.
ALL_PATHS_FOR = {
    "integration:caseload": "caseworker_a",
    "integration:tasks": "caseworker_a",
    "integration:case_detail": "caseworker_a",
    "integration:case_status": "caseworker_a",
    "integration:note_search": "caseworker_a",
    "integration:access_log": "admin",
    "progression:questionnaire_detail": "admin",
    "progression:item_edit": "admin",
    "evaluation:dashboard": "manager",
    "evaluation:report_job": "secretariat",
    "evaluation:report_preview": "secretariat",
}

# Empties every field a user fills in and turns off the browser's own checks,
# so that the page shows the server's error messages.
CLEAR_FORM = """form => {
  form.noValidate = true;
  for (const el of form.elements) {
    if (!el.name || ["hidden", "submit", "button", "file"].includes(el.type)) continue;
    if (el.type === "checkbox" || el.type === "radio") { el.checked = false; continue; }
    el.value = "";
  }
}"""
# A choice outside 1-5 in the first radio group, as a tampered request sends it.
TAMPER_RADIO = """form => {
  const radio = form.querySelector("input[type=radio]");
  radio.value = "9";
  radio.checked = true;
}"""
# How the templates show an error: a marked field, its message, or an alert.
ERRORS_SHOWN = ".is-invalid, .invalid-feedback, .alert-danger, .errorlist"


def all_url_names() -> set[str]:
    def walk(patterns, namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    continue
                prefix = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, prefix)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield f"{namespace}{pattern.name}"

    return set(walk(get_resolver().url_patterns))


@dataclass
class World:
    """The demo municipality and the objects whose pages are opened."""

    users: dict
    case: object
    closed_case: object
    round: object
    placement: object
    note: object
    referred_citizen: object
    provider_org: object
    draft_version: int
    review_date: dt.date
    month: str
    jobs: list


def _load_world() -> World:
    from evaluation import selectors as evaluation_selectors
    from evaluation import services
    from evaluation.models import ReportJob
    from evaluation.period import ReportPeriod, previous_month
    from fixtures.demo import municipality as demo
    from fixtures.demo.report_inputs import review_date
    from integration import selectors
    from integration import services as case_services
    from integration.models import Case, CaseStatus, LadderPlacement, User
    from progression import services as progression_services
    from progression.models import Round

    # The archive's papers are never opened here; one archived review is made below.
    demo.seed(password=PASSWORD, archive=False)
    users = {u.username: u for u in User.objects.filter(username__in=ROLE_PAGES)}
    team = users["caseworker_a"].team
    today = timezone.localdate()
    # An open case of the team with a round whose dialogue topics are open.
    round_ = (
        Round.objects.filter(
            case__team=team,
            case__status=CaseStatus.OPEN,
            # A topic of the round is open: neither agreed nor closed by a later
            # change of the scores (one filter: the same topic row; a round
            # without topics does not match).
            topics__agreement="",
            topics__closed_reason="",
        )
        .order_by("-measured_on")
        .first()
    )
    if round_ is None:
        # The demo's plan moves with today's date; make such a round then.
        round_ = progression_services.round_save(
            actor=users["caseworker_a"],
            case=Case.objects.filter(team=team, status=CaseStatus.OPEN).first(),
            measured_on=today,
            complete=True,
            scores={"citizen": {1: 4, 13: 4}, "caseworker": {1: 1, 13: 3}},
        )
    provider = users["provider"]
    draft = progression_services.questionnaire_new_draft(actor=users["admin"])

    review = review_date(today)
    month = previous_month(today)
    # The service review's archive with its narrative. Its PDF is never opened
    # in the browser, so none is made (WeasyPrint takes seconds).
    narratives = {
        key: {"text": n.text, "status": n.status}
        for key, n in evaluation_selectors.narratives_for(review).items()
        if n is not None
    }
    archive = services.archive_save(
        period=ReportPeriod.parse("service_review", review.isoformat()),
        pdf=b"%PDF-1.7\n",
        figures={"narratives": narratives},
        min_cell=settings.REPORT_MIN_CELL,
        created_by=users["manager"],
    )
    # And one monthly follow-up, of the month before, so the list holds both kinds.
    last_month_end = today.replace(day=1) - dt.timedelta(days=1)
    services.archive_save(
        period=ReportPeriod.monthly(last_month_end.replace(day=1) - dt.timedelta(days=1)),
        pdf=b"%PDF-1.7\n",
        figures={},
        min_cell=settings.REPORT_MIN_CELL,
        created_by=users["secretariat"],
    )
    jobs = [
        ReportJob.objects.create(
            kind="service_review",
            period=archive.period,
            status=ReportJob.Status.DONE,
            progress=100,
            step="done",
            archive=archive,
            requested_by=users["manager"],
        ),
        ReportJob.objects.create(
            kind="monthly",
            period=month,
            status=ReportJob.Status.RUNNING,
            progress=40,
            step="charts",
            requested_by=users["manager"],
        ),
        ReportJob.objects.create(
            kind="monthly",
            period=month,
            status=ReportJob.Status.FAILED,
            error="Figurerne kunne ikke beregnes.",
            requested_by=users["manager"],
        ),
    ]
    note = case_services.journal_note_create(
        actor=users["caseworker_a"],
        case=round_.case,
        happened_on=today,
        text="Samtale med tolk om praktik i køkkenet.",
    )
    return World(
        users=users,
        case=round_.case,
        note=note,
        closed_case=Case.objects.filter(team=team, status=CaseStatus.CLOSED).first(),
        round=round_,
        placement=LadderPlacement.objects.filter(case=round_.case).first(),
        referred_citizen=selectors.referrals_for_provider(provider)[0].citizen_uuid,
        provider_org=provider.provider_organisation,
        draft_version=draft.version,
        review_date=review,
        month=month,
        jobs=jobs,
    )


def pages(world: World) -> dict[str, list[str]]:
    """Every page a GET shows, by URL name, with the demo's objects in it."""
    case = world.case.uuid
    closed = world.closed_case.uuid
    draft = world.draft_version
    review = world.review_date.isoformat()
    return {
        "login": ["/login/"],
        # A spent or unknown link shows the page that says so.
        "password_reset_confirm": ["/password/reset/MQ/spent-link/"],
        "password_reset_complete": ["/password/reset/done/"],
        "password_change": ["/password/"],
        "password_change_done": ["/password/done/"],
        "integration:caseload": [
            "/cases/",
            "/cases/?scope=team&sort=name",
            "/cases/?scope=all&status=&page=2",
            f"/cases/?q={world.case.citizen.last_name}",
            "/cases/?q=Ingen+s%C3%A5dan+borger",
        ],
        "integration:tasks": ["/tasks/", "/tasks/?show=team"],
        "integration:account_settings": ["/account/settings/"],
        "integration:case_create": ["/cases/new/"],
        "integration:case_detail": [
            f"/cases/{case}/",
            f"/cases/{case}/?cpr=full",
            f"/cases/{closed}/",
        ],
        "integration:case_history": [f"/cases/{case}/history/"],
        "integration:case_edit": [f"/cases/{case}/edit/"],
        "integration:case_status": [
            f"/cases/{case}/status/close/",
            f"/cases/{closed}/status/reopen/",
        ],
        "integration:fact_create": [f"/cases/{case}/facts/ladder/new/"],
        "integration:fact_edit": [f"/cases/{case}/facts/ladder/{world.placement.uuid}/"],
        "integration:note_create": [f"/cases/{case}/notes/new/"],
        "integration:note_edit": [f"/cases/{case}/notes/{world.note.uuid}/"],
        "integration:note_search": ["/notes/", "/notes/?q=samtale+praktik", "/notes/?q=ingen"],
        "integration:provider_list": ["/providers/"],
        "integration:provider_create": ["/providers/new/"],
        "integration:provider_edit": [f"/providers/{world.provider_org.uuid}/"],
        "integration:provider_home": ["/referrals/"],
        "integration:manager_home": ["/overview/"],
        "evaluation:secretariat_home": ["/figures/"],
        "integration:admin_home": ["/administration/"],
        "integration:import_upload": ["/imports/"],
        "integration:access_log": [
            "/access-log/",
            f"/access-log/?citizen={world.case.citizen.uuid}",
            "/access-log/?date_from=2026-02-30&action=nonsense",
        ],
        "progression:case_progression": [f"/progression/cases/{case}/"],
        "progression:round_create": [f"/progression/cases/{case}/rounds/new/"],
        "progression:round_edit": [f"/progression/rounds/{world.round.uuid}/"],
        "progression:provider_score": [f"/progression/referrals/{world.referred_citizen}/"],
        "progression:questionnaire_list": ["/progression/questionnaires/"],
        "progression:questionnaire_detail": [
            "/progression/questionnaires/1/",
            f"/progression/questionnaires/{draft}/",
        ],
        "progression:item_edit": [
            f"/progression/questionnaires/{draft}/items/1/",
            f"/progression/questionnaires/{draft}/items/13/",
        ],
        "evaluation:dashboard": [
            "/dashboard/",
            "/dashboard/?basis=family_reunified",
            "/dashboard/?date_from=2026-01-31&date_to=2025-01-01",
        ],
        "evaluation:report_list": ["/reports/"],
        "evaluation:report_job": [f"/reports/jobs/{job.uuid}/" for job in world.jobs],
        "evaluation:report_preview": [
            f"/reports/preview/monthly/{world.month}/",
            f"/reports/preview/service_review/{review}/",
        ],
        "evaluation:narrative_edit": [f"/reports/texts/{review}/"],
        "evaluation:benchmark_list": ["/benchmarks/"],
        "evaluation:benchmark_upload": ["/benchmarks/upload/"],
        "evaluation:quota_edit": ["/arrival-quotas/"],
    }


class Audit:
    """Opens pages as a role and keeps what axe found on each."""

    def __init__(self, browser, base_url: str):
        from axe_playwright_python.base import AXE_SCRIPT

        self.browser = browser
        self.base_url = base_url
        self.script = AXE_SCRIPT
        self.checked: list[tuple[str, str]] = []  # (role, language)
        self.found: list[str] = []
        self.by_rule: Counter = Counter()
        self.contexts: list = []

    def page(self, user=None, *, locale: str = "da-DK", **context_options):
        context = self.browser.new_context(
            locale=locale,
            timezone_id="Europe/Copenhagen",
            base_url=self.base_url,
            **context_options,
        )
        # The browser injects axe before the page's own scripts, so the page's
        # Content-Security-Policy does not block it.
        context.add_init_script(self.script)
        if user is not None:
            client = Client()
            client.force_login(user)
            cookie = client.cookies[settings.SESSION_COOKIE_NAME]
            context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": self.base_url}])
        self.contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    def close_page(self, page) -> None:
        self.contexts.remove(page.context)
        page.context.close()

    def check(self, page, role: str, what: str) -> None:
        language = page.locator("html").get_attribute("lang") or "(none)"
        result = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
        self.checked.append((role, language))
        for violation in result["violations"]:
            self.by_rule[violation["id"]] += 1
            targets = ", ".join(" ".join(n["target"]) for n in violation["nodes"][:5])
            self.found.append(
                f"{role} {what} [{language}] {violation['id']} ({violation['impact']}): "
                f"{violation['help']} -> {targets}"
            )

    def close(self) -> None:
        for context in self.contexts:
            context.close()

    def summary(self) -> str:
        roles = Counter(role for role, _language in self.checked)
        languages = Counter(language for _role, language in self.checked)
        return (
            f"axe checked {len(self.checked)} pages: by role {dict(roles)}; "
            f"by language {dict(languages)}; violations by rule {dict(self.by_rule)}"
        )


def goto(page, path: str, status: int = 200):
    response = page.goto(path)
    assert response.status == status, f"{path}: {response.status}"
    return response


def submit(page, form, *, clear: bool = True):
    """Send a form (emptied first, to show its errors) and wait for the answer."""
    if clear:
        form.evaluate(CLEAR_FORM)
    with page.expect_navigation() as navigation:
        form.locator("[type=submit]").first.click()
    return navigation.value


def assert_errors_shown(page, what: str) -> None:
    assert page.locator(ERRORS_SHOWN).count() > 0, f"{what}: no error is shown"


def main_form(page):
    return page.locator("main form[method=post]").first


@pytest.fixture
def world(questionnaire, settings):
    # The demo's users are hashed by the dozen; the hasher is tested elsewhere.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return _load_world()


@pytest.fixture
def audit(browser, live_server):
    audit = Audit(browser, live_server.url)
    yield audit
    audit.close()


def _walk_roles(audit: Audit, world: World) -> Counter:
    """Each role opens the pages of ROLE_PAGES, and axe checks each."""
    opened: Counter = Counter()
    inventory = pages(world)
    for role, names in ROLE_PAGES.items():
        page = audit.page(world.users.get(role))
        for name in sorted(names):
            paths = inventory[name]
            if ALL_PATHS_FOR.get(name) != role:
                paths = paths[:1]
            for path in paths:
                goto(page, path)
                # Not sent elsewhere: the page asked for is the one checked.
                assert page.url == audit.base_url + path, f"{role} {path} -> {page.url}"
                audit.check(page, role or "anonymous", path)
                opened[name] += 1
        audit.close_page(page)
    return opened


def _error_pages(audit: Audit, world: World) -> None:
    page = audit.page()
    goto(page, "/login/")
    page.get_by_label("Brugernavn").fill("caseworker_a")
    page.get_by_label("Adgangskode").fill("wrong-password")
    submit(page, main_form(page), clear=False)
    assert_errors_shown(page, "sign-in with a wrong password")
    audit.check(page, "anonymous", "sign-in with a wrong password")
    # The fifth failed sign-in locks the username: the lock-out page.
    for _attempt in range(5):
        goto(page, "/login/")
        page.get_by_label("Brugernavn").fill("nobody")
        page.get_by_label("Adgangskode").fill("wrong-password")
        response = submit(page, main_form(page), clear=False)
    assert response.status == 429
    audit.check(page, "anonymous", "locked out")
    goto(page, "/no-such-page/", status=404)
    audit.check(page, "anonymous", "404")

    caseworker = audit.page(world.users["caseworker_a"])
    goto(caseworker, "/dashboard/", status=403)
    audit.check(caseworker, "caseworker_a", "403")
    goto(caseworker, "/cases/00000000-0000-4000-8000-000000000000/", status=404)
    audit.check(caseworker, "caseworker_a", "404")

    from integration.models import User

    nobody = User.objects.create_user("no_role", password=PASSWORD)
    page = audit.page(nobody)
    goto(page, "/", status=403)
    audit.check(page, "no role", "start page")


def _caseworker_forms(audit: Audit, world: World) -> None:
    from integration.forms import FACT_FORMS

    role = "caseworker_a"
    page = audit.page(world.users[role])
    case = world.case.uuid
    inventory = pages(world)
    forms = [
        "/cases/new/",
        f"/cases/{case}/edit/",
        f"/cases/{case}/status/close/",
        *[f"/cases/{case}/facts/{kind}/new/" for kind in FACT_FORMS],
        *inventory["integration:fact_edit"],
    ]
    for path in forms:
        goto(page, path)
        submit(page, main_form(page))
        assert_errors_shown(page, path)
        audit.check(page, role, f"{path} with errors")

    goto(page, f"/progression/cases/{case}/rounds/new/")
    page.wait_for_selector(".score-grid[data-ready=true]")
    page.locator("#round-form").evaluate("form => { form.measured_on.value = ''; }")
    submit(page, page.locator("#round-form"), clear=False)
    assert_errors_shown(page, "round without a date")
    audit.check(page, role, "round without a date")

    # A dialogue topic sent without an agreement, then with one.
    goto(page, f"/progression/cases/{case}/")
    submit(page, page.locator("form[action*='/topics/']").first)
    assert_errors_shown(page, "topic without an agreement")
    audit.check(page, role, "topic without an agreement")
    topic = page.locator("form[action*='/topics/']").first
    topic.get_by_label("Hvad der blev aftalt").fill("Ser nyheder på dansk to gange om ugen.")
    submit(page, topic, clear=False)
    assert page.locator(".alert-success").count() == 1
    audit.check(page, role, "topic agreed")

    # The citizen's link: in a language nobody offers, then in Arabic.
    goto(page, f"/progression/rounds/{world.round.uuid}/")
    link_form = page.locator("form[action$='/link/']")
    link_form.evaluate("form => { form.language.options[0].value = 'xx'; }")
    submit(page, link_form, clear=False)
    assert_errors_shown(page, "link in an unknown language")
    audit.check(page, role, "link in an unknown language")
    goto(page, f"/progression/rounds/{world.round.uuid}/")
    page.get_by_label("Borgerens sprog").select_option("ar")
    submit(page, page.locator("form[action$='/link/']"), clear=False)
    assert "/m/" in page.locator("#citizen-link").input_value()
    audit.check(page, role, "link and QR code")


def _provider_forms(audit: Audit, world: World) -> None:
    page = audit.page(world.users["provider"])
    goto(page, f"/progression/referrals/{world.referred_citizen}/")
    form = main_form(page)
    form.evaluate(CLEAR_FORM)
    form.evaluate(TAMPER_RADIO)
    submit(page, form, clear=False)
    assert_errors_shown(page, "provider's scores")
    audit.check(page, "provider", "scores with errors")


def _manager_forms(audit: Audit, world: World) -> None:
    page = audit.page(world.users["manager"])
    goto(page, f"/reports/texts/{world.review_date.isoformat()}/")
    # Final texts cannot be empty.
    form = page.locator("main form[method=post]:not([action])")
    form.evaluate(
        "form => { form.noValidate = true; form.status.value = 'final';"
        " form.querySelector('textarea').value = ''; }"
    )
    submit(page, form, clear=False)
    assert_errors_shown(page, "final text left empty")
    audit.check(page, "manager", "service review texts with errors")

    # A service review as of a day without texts is refused.
    goto(page, "/reports/")
    page.locator("#review-period").fill("2025-06-30")
    response = submit(page, page.locator("form:has(#review-period)"), clear=False)
    assert response.status == 409
    audit.check(page, "manager", "service review refused")


def _running_report_job(audit: Audit, world: World) -> None:
    """The job's page takes in the finished job without reloading itself."""
    from evaluation.models import ReportJob

    running, done = world.jobs[1], world.jobs[0]
    page = audit.page(world.users["secretariat"])
    goto(page, f"/reports/jobs/{running.uuid}/")
    assert page.locator("#job-status progress").get_attribute("value") == "40"
    page.evaluate("() => { window.notReloaded = true; }")
    ReportJob.objects.filter(pk=running.pk).update(
        status=ReportJob.Status.DONE, progress=100, step="done", archive=done.archive
    )
    page.locator("#job-status a[href$='/download/']").wait_for()
    assert page.evaluate("() => window.notReloaded === true")
    audit.check(page, "secretariat", "running job, then done")


def _admin_forms(audit: Audit, world: World) -> None:
    from tests.factories import replacement_cpr

    role = "admin"
    page = audit.page(world.users[role])
    for path in ["/providers/new/", f"/providers/{world.provider_org.uuid}/"]:
        goto(page, path)
        submit(page, main_form(page))
        assert_errors_shown(page, path)
        audit.check(page, role, f"{path} with errors")

    goto(page, "/arrival-quotas/")
    form = main_form(page)
    form.evaluate(
        "form => { form.noValidate = true;"
        " form.querySelector('input[name$=expected]').value = '-4'; }"
    )
    submit(page, form, clear=False)
    assert_errors_shown(page, "negative expected arrivals")
    audit.check(page, role, "arrival quotas with errors")

    item = f"/progression/questionnaires/{world.draft_version}/items/1/"
    goto(page, item)
    submit(page, main_form(page))
    assert_errors_shown(page, item)
    audit.check(page, role, f"{item} with errors")

    # Imports: no file, a file with errors, a good file, and its confirmation.
    goto(page, "/imports/")
    submit(page, main_form(page))
    assert_errors_shown(page, "import without a file")
    audit.check(page, role, "import without a file")
    header = "cpr,first_name,last_name,nationality,residence_basis,arrival_date\n"
    files = {
        "import with errors": header + "7101901234,Nadia,Test,Atlantis,refugee,31-02-2019\n",
        "import preview": header
        + f"{replacement_cpr(dt.date(1991, 3, 4))},Nadia,Test,SY,refugee,2026-01-05\n",
    }
    for what, text in files.items():
        goto(page, "/imports/")
        page.locator("select[name=team]").select_option(index=1)
        page.set_input_files(
            "input[type=file]",
            files=[{"name": "borgere.csv", "mimeType": "text/csv", "buffer": text.encode()}],
        )
        submit(page, main_form(page), clear=False)
        if what == "import with errors":
            assert_errors_shown(page, what)
        audit.check(page, role, what)
    assert page.locator(".alert-danger").count() == 0  # the good file has no error
    submit(page, page.locator("form[action$='/imports/confirm/']"), clear=False)
    assert page.locator(".alert-success").count() == 1, page.locator("main").inner_text()
    audit.check(page, role, "import done")

    goto(page, "/benchmarks/upload/")
    submit(page, page.locator("main form[enctype]"))
    assert_errors_shown(page, "benchmark upload without a file")
    audit.check(page, role, "benchmark upload with errors")
    goto(page, "/benchmarks/upload/")
    page.locator("input[name=source][value=jobindsats]").check()
    page.set_input_files("input[type=file]", str(SAMPLES / "jobindsats_employment.csv"))
    submit(page, page.locator("main form[enctype]"), clear=False)
    audit.check(page, role, "benchmark preview")
    submit(page, page.locator("form[action$='/upload/confirm/']"), clear=False)
    assert page.locator(".alert-success").count() == 1
    audit.check(page, role, "benchmark import done")

    # The draft is published: its page with the message.
    goto(page, f"/progression/questionnaires/{world.draft_version}/")
    form = page.locator("form[action$='/publish/']")
    form.locator("input[name=note]").fill("Punkt 1 har fået ny ordlyd.")
    submit(page, form, clear=False)
    assert page.locator(".alert").count() > 0
    audit.check(page, role, "draft published")


def _citizen_pages(audit: Audit, world: World) -> None:
    """The citizen's form in every language, its errors, thanks and refusals."""
    from progression import services
    from progression.models import LANGUAGES, RTL_LANGUAGES, CitizenLink

    caseworker = world.users["caseworker_a"]
    for code, _name in LANGUAGES:
        _link, token = services.citizen_link_create(
            actor=caseworker, round_=world.round, language=code
        )
        page = audit.page(locale=code, viewport={"width": 390, "height": 844})
        goto(page, f"/m/{token}/")
        html = page.locator("html")
        assert html.get_attribute("lang") == code
        assert html.get_attribute("dir") == ("rtl" if code in RTL_LANGUAGES else "ltr")
        audit.check(page, "citizen", "form")
        if code not in ("da", "ar", "fa"):
            continue
        form = main_form(page)
        form.evaluate(TAMPER_RADIO)
        submit(page, form, clear=False)
        assert_errors_shown(page, f"citizen form in {code}")
        audit.check(page, "citizen", "form with errors")
        if code == "da":
            continue
        page.locator("input[type=radio][value='4']").first.check()
        submit(page, main_form(page), clear=False)
        audit.check(page, "citizen", "thanks")
        goto(page, f"/m/{token}/", status=410)
        audit.check(page, "citizen", "link already used")

    link, token = services.citizen_link_create(actor=caseworker, round_=world.round, language="ar")
    CitizenLink.objects.filter(pk=link.pk).update(expires_at=timezone.now())
    page = audit.page(locale="ar")
    goto(page, f"/m/{token}/", status=410)
    audit.check(page, "citizen", "link expired")
    # An unknown link says so in Danish and English, each marked with its language.
    goto(page, "/m/not-a-real-token/", status=404)
    audit.check(page, "citizen", "unknown link")


def test_axe_finds_no_violation_on_any_page_of_any_role(audit, world):
    inventory = pages(world)
    assert set(inventory) | set(NOT_PAGES) == all_url_names(), "a URL with no entry here"
    assert set(inventory) & set(NOT_PAGES) == set()

    opened = _walk_roles(audit, world)
    assert {name for name in inventory if not opened[name]} == set(), "pages no role opened"
    _error_pages(audit, world)
    _caseworker_forms(audit, world)
    _provider_forms(audit, world)
    _manager_forms(audit, world)
    _running_report_job(audit, world)
    _admin_forms(audit, world)
    _citizen_pages(audit, world)

    print("\n" + audit.summary())
    assert audit.found == [], "\n".join(audit.found)
