"""Sign-in through a real OpenID provider (node's oidc-provider on loopback) in Chromium.

The provider requires PKCE of every client, so each sign-in that succeeds
shows the app sent a challenge. Faults are made the way an attacker or a
broken provider would make them: a state or nonce changed in the browser's
address, a code used after it expired, an ID token issued to another client.
"""

import copy
import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import pytest
from csp.constants import SELF
from django.urls import reverse

from accounts.role_mapping import parse_group_map
from integration.models import AccessAction, AccessLog, User
from tests.browser.conftest import OIDC_CLIENT_ID, OIDC_CLIENT_SECRET
from tests.factories import TeamFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GROUP_MAP = (
    "sg-integration-nord=caseworker:Team Nord;sg-integration-syd=caseworker:Team Syd;"
    "sg-integration-ledere=manager;sg-integration-admin=administrator"
)
SSO_BUTTON = "a[href^='/oidc/authenticate/']"


@pytest.fixture
def sso(settings, oidc_provider):
    settings.OIDC_ISSUER = oidc_provider.issuer
    settings.OIDC_RP_CLIENT_ID = OIDC_CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = OIDC_CLIENT_SECRET
    settings.OIDC_GROUP_MAP = parse_group_map(GROUP_MAP)
    settings.OIDC_RP_SCOPES = "openid email profile groups"
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["form-action"] = [SELF, oidc_provider.issuer]
    settings.CONTENT_SECURITY_POLICY = policy
    TeamFactory(name="Team Nord")
    TeamFactory(name="Team Syd")
    oidc_provider.fault("")
    yield oidc_provider
    oidc_provider.fault("")


def at_provider(page, login: str) -> None:
    """Sign in at the provider's own pages (its development login and consent)."""
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("any password")
    page.locator("button[type=submit]").click()
    consent = page.get_by_role("button", name="Continue")
    if consent.count():
        consent.click()


def start(page, live_server) -> None:
    page.goto(f"{live_server.url}/login/")
    page.locator(SSO_BUTTON).click()
    # The provider's pages import a web font that never loads here: wait for the DOM only.
    page.wait_for_url(re.compile(r"127\.0\.0\.1:\d+/interaction/"), wait_until="domcontentloaded")


def sign_in(page, live_server, login: str) -> None:
    start(page, live_server)
    at_provider(page, login)


def hold_callback(page) -> dict:
    """Stop the browser before the app's callback and keep its address.

    The provider sends the browser back through redirects, which Playwright
    cannot intercept; so the form posts to the provider are sent from here,
    their redirects followed with the browser's cookies, and the browser is
    shown the provider's next page, or "held" in place of the callback.
    """
    held: dict = {}

    def handle(route):
        if route.request.method != "POST":
            route.continue_()
            return
        response = route.fetch(max_redirects=0)
        location = response.headers.get("location")
        while location and "/oidc/callback/" not in location:
            response = page.request.get(urljoin(response.url, location), max_redirects=0)
            location = response.headers.get("location")
        if location:
            held["url"] = location
            route.fulfill(status=200, content_type="text/html", body="<p>held</p>")
        else:
            route.fulfill(response=response)

    page.route(re.compile(r"127\.0\.0\.1:\d+/interaction/"), handle)
    return held


def wait_held(page, held: dict) -> str:
    for _ in range(100):
        if "url" in held:
            page.unroute_all(behavior="ignoreErrors")
            return held["url"]
        page.wait_for_timeout(50)
    raise AssertionError("the provider never sent the browser back")


def with_param(url: str, name: str, value: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query[name] = value
    return urlunsplit(parts._replace(query=urlencode(query)))


def assert_refused(page, text: str) -> None:
    page.wait_for_url(re.compile(r"/login/refused/$"))
    assert text in page.locator("main").inner_text()
    assert not page.locator("form[action='/logout/']").count()


def test_caseworker_of_team_nord_lands_on_caseload(page, live_server, sso):
    sso.account("kari", name="Kari Nordmann", groups=["sg-integration-nord", "other"])
    sign_in(page, live_server, "kari")
    page.wait_for_url(re.compile(re.escape(reverse("integration:caseload"))))
    user = User.objects.get(sso_subject="kari")
    assert (user.username, user.role, user.team.name) == ("kari", "caseworker", "Team Nord")
    assert (user.first_name, user.last_name) == ("Kari", "Nordmann")
    assert not user.has_usable_password()
    logged = list(AccessLog.objects.filter(username__in=["kari", "(system)"]).values_list("what"))
    whats = " | ".join(w for (w,) in logged)
    assert "account kari (new): team: – → Team Nord" in whats
    assert "account kari (new): groups: – → caseworker" in whats
    assert AccessLog.objects.filter(user=user, action=AccessAction.SIGN_IN).count() == 1
    # Neither a token nor the groups claim reaches the log.
    assert "sg-integration-nord" not in whats and "eyJ" not in whats


def test_manager_lands_on_dashboard(page, live_server, sso):
    sso.account("mette", name="Mette Leder", groups=["sg-integration-ledere"])
    sign_in(page, live_server, "mette")
    page.wait_for_url(re.compile(re.escape(reverse("evaluation:dashboard"))))
    assert User.objects.get(sso_subject="mette").role == "manager"


def test_user_with_no_mapped_group_is_refused_and_nothing_is_created(page, live_server, sso):
    sso.account("outsider", name="Ole Udenfor", groups=["sg-payroll"])
    users = User.objects.count()
    sign_in(page, live_server, "outsider")
    assert_refused(page, "ingen af dine grupper giver en rolle")
    assert User.objects.count() == users
    refusal = AccessLog.objects.get(action=AccessAction.SIGN_IN)
    assert refusal.what == "sign-in refused for outsider: no_role"


def sign_out(page) -> None:
    page.locator("form[action='/logout/'] button").click()
    page.locator("button[name=logout]").click()  # the provider asks before ending its session
    page.wait_for_url(re.compile(r"/login/$"))


def test_sign_out_ends_the_app_and_the_provider_session(page, live_server, sso):
    sso.account("kari", name="Kari Nordmann", groups=["sg-integration-nord"])
    sign_in(page, live_server, "kari")
    page.wait_for_url(re.compile(re.escape(reverse("integration:caseload"))))
    sign_out(page)
    page.goto(f"{live_server.url}{reverse('integration:caseload')}")
    page.wait_for_url(re.compile(r"/login/\?next="))
    # The provider asks for the login again: its session ended too.
    start(page, live_server)
    assert page.locator("input[name=login]").count() == 1


def test_group_change_at_the_provider_moves_the_team_at_next_sign_in(page, live_server, sso):
    sso.account("kari", name="Kari Nordmann", groups=["sg-integration-nord"])
    sign_in(page, live_server, "kari")
    page.wait_for_url(re.compile(re.escape(reverse("integration:caseload"))))
    sign_out(page)
    sso.account("kari", name="Kari Nordmann", groups=["sg-integration-syd"])
    sign_in(page, live_server, "kari")
    page.wait_for_url(re.compile(re.escape(reverse("integration:caseload"))))
    assert User.objects.get(sso_subject="kari").team.name == "Team Syd"
    assert AccessLog.objects.filter(what="account kari: team: Team Nord → Team Syd").count() == 1


def test_tampered_state_is_refused(page, live_server, sso):
    sso.account("kari", name="Kari Nordmann", groups=["sg-integration-nord"])
    held = hold_callback(page)
    sign_in(page, live_server, "kari")
    page.goto(with_param(wait_held(page, held), "state", "forged-state"))
    assert_refused(page, "kunne ikke godtages")
    assert not User.objects.filter(sso_subject="kari").exists()
    assert "state not found" in AccessLog.objects.get(action=AccessAction.SIGN_IN).what


def test_tampered_nonce_is_refused(page, live_server, sso):
    sso.account("kari", name="Kari Nordmann", groups=["sg-integration-nord"])
    page.goto(f"{live_server.url}/login/")
    # The app's redirect to the provider, read with the browser's cookies, and
    # followed with another nonce than the one the app keeps for this state.
    authenticate = page.request.get(f"{live_server.url}/oidc/authenticate/", max_redirects=0)
    page.goto(with_param(authenticate.headers["location"], "nonce", "forged-nonce"))
    at_provider(page, "kari")
    assert_refused(page, "kunne ikke godtages")
    assert not User.objects.filter(sso_subject="kari").exists()
    refusal = AccessLog.objects.get(action=AccessAction.SIGN_IN)
    assert "Nonce" in refusal.what


def test_expired_code_is_refused(page, live_server, sso):
    sso.account("kari", name="Kari Nordmann", groups=["sg-integration-nord"])
    sso.fault("short-code")  # codes live one second
    held = hold_callback(page)
    sign_in(page, live_server, "kari")
    callback = wait_held(page, held)
    page.wait_for_timeout(2500)
    page.goto(callback)
    assert_refused(page, "kunne ikke godtages")
    assert "refused the code, HTTP 400" in AccessLog.objects.get(action=AccessAction.SIGN_IN).what


def test_id_token_for_another_audience_is_refused(page, live_server, sso):
    sso.account("kari", name="Kari Nordmann", groups=["sg-integration-nord"])
    sso.fault("wrong-audience")
    sign_in(page, live_server, "kari")
    assert_refused(page, "kunne ikke godtages")
    assert not User.objects.filter(sso_subject="kari").exists()
    assert "InvalidAudienceError" in AccessLog.objects.get(action=AccessAction.SIGN_IN).what


def test_deactivated_user_is_refused(page, live_server, sso):
    team = TeamFactory(name="Team Vest")
    kept = UserFactory(username="kari", team=team, role="caseworker", is_active=False)
    User.objects.filter(pk=kept.pk).update(sso_subject="kari")
    sso.account("kari", name="Kari Nordmann", groups=["sg-integration-nord"])
    sign_in(page, live_server, "kari")
    assert_refused(page, "er deaktiveret")
    kept.refresh_from_db()
    assert not kept.is_active and kept.team == team  # nothing was changed


def test_sign_in_refusal_and_second_factor_pages_pass_axe(page, live_server, sso):
    from axe_playwright_python.base import AXE_SCRIPT

    from tests.browser.test_accessibility import AXE_OPTIONS
    from tests.conftest import PASSWORD

    UserFactory(username="admin", role="administrator")
    sso.account("outsider", name="Ole Udenfor", groups=["sg-payroll"])
    page.add_init_script(AXE_SCRIPT)
    found = {}

    def check(what: str) -> None:
        result = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
        found[what] = [v["id"] for v in result["violations"]]

    page.goto(f"{live_server.url}/login/")
    check("login")
    page.get_by_label("Brugernavn").fill("admin")
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind med adgangskode").click()
    page.wait_for_url(re.compile(r"/login/second-factor/$"))
    check("second factor, setting up")
    # Checked once the answer has loaded: axe run while the form is being
    # sent finds no document (a failure seen on a loaded machine).
    with page.expect_navigation():
        page.get_by_role("button", name="Fortsæt").click()
    check("second factor, with an error")
    page.locator("form[action='/logout/'] button").click()
    page.wait_for_url(re.compile(r"/login/$"))
    sign_in(page, live_server, "outsider")
    page.wait_for_url(re.compile(r"/login/refused/$"))
    check("refusal")
    assert found == dict.fromkeys(found, []), found
