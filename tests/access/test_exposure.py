"""What each role can read, page by page and file by file.

A municipality of six citizens with distinctive CPR numbers, names,
nationalities, health assessments and notes is walked as the provider (with
and without a referral), the manager and the council secretariat: every URL
of the URL conf filled in with every record it can name, then every link on
every page reached, the council PDFs (read with pypdf) included. Each page and
file is searched for what DOMAIN.md keeps from that role:

- a provider sees the names and referrals of citizens referred to its
  organisation, nothing else: no CPR number (not even masked, nor its date
  part), no nationality, nothing about health, no other citizen;
- the secretariat sees aggregates only, never a person;
- a manager reads every case (masked CPR, nationality, health status and
  dates on the case pages; the full number only where the case header is
  asked to show it) and otherwise aggregates only.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from collections import deque
from dataclasses import dataclass, field
from itertools import product
from urllib.parse import urljoin, urlsplit

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone, translation
from pypdf import PdfReader

from common.countries import country_name
from evaluation import reports
from evaluation.models import ReportArchive, ReportJob, ReportKind
from evaluation.period import previous_month
from integration import services
from integration.forms import FACT_FORMS
from integration.models import (
    Case,
    Citizen,
    EmploymentCategory,
    EmploymentSpell,
    FollowUp,
    HealthAssessment,
    HealthResponse,
    JournalNote,
    LadderStep,
    ProviderKind,
    ProviderOrganisation,
    Repatriation,
    ResidenceBasis,
    ScreeningVisit,
)
from progression import services as progression_services
from progression.models import Round
from tests.factories import ProviderFactory, enrol, make_case, place

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

# Ten digits with or without the dash, and the masked form of the lists.
FULL_CPR = re.compile(r"\b\d{6}-?\d{4}\b")
MASKED_CPR = re.compile(r"\b\d{6}-xxxx\b")
# Charts are data URIs; their base64 text is no page text.
DATA_URI = re.compile(r"data:[^\"')\s]+")
# The random CSRF token of a form: 64 letters and digits, in which a short
# needle ("Irak") turns up by chance now and then (a walk failed on one).
CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[A-Za-z0-9]+"')


@dataclass(frozen=True)
class Person:
    first_name: str
    last_name: str
    cpr: str
    nationality: str
    arrival: dt.date
    team: str
    referred: bool = False

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


# Replacement numbers (day of birth + 60): never a real person.
PEOPLE = [
    Person("Zainab", "Qureshi", "7203854016", "ER", dt.date(2025, 3, 3), "A", referred=True),
    Person("Idris", "Mahamud", "7405914021", "SO", dt.date(2025, 3, 12), "A"),
    Person("Parwin", "Rahimi", "6811884032", "AF", dt.date(2025, 4, 8), "A"),
    Person("Tesfalem", "Ghebre", "8007924043", "SY", dt.date(2025, 5, 14), "B", referred=True),
    Person("Hawa", "Nuurow", "6602954056", "IQ", dt.date(2025, 6, 19), "B"),
    Person("Dawit", "Berhane", "7709874061", "IR", dt.date(2025, 7, 22), "B"),  # family reunified
]
# Health assessments: offered, and done where accepted (status and dates only).
HEALTH = {
    "Qureshi": (dt.date(2025, 4, 17), HealthResponse.ACCEPTED, dt.date(2025, 5, 23)),
    "Rahimi": (dt.date(2025, 6, 11), HealthResponse.DECLINED, None),
    "Nuurow": (dt.date(2025, 8, 27), HealthResponse.PENDING, None),
}
FOLLOW_UP_NOTE = "Talte om tandlægehenvisning og søvnløshed"
SCREENING_PLACE = "Center Sjælsmark"
JOURNAL_NOTE = "Fortalte om angst og gæld efter flugten"


def da_date(day: dt.date) -> str:
    return day.strftime("%d-%m-%Y")


@dataclass
class Municipality:
    provider_org: ProviderOrganisation
    cases: dict[str, Case]
    service_review_as_of: dt.date
    month: str


@pytest.fixture
def municipality(team_a, team_b, caseworker_a, caseworker_b, provider_org, other_provider_org):
    school = ProviderFactory(name="Sprogskolen Vest", kind=ProviderKind.LANGUAGE_SCHOOL)
    # Neither provider user's organisation: other_provider_org is the one of
    # the provider without a referral, and stays without one.
    nature_team = ProviderFactory(name="Naturplejeholdet", kind=ProviderKind.MUNICIPAL)
    teams = {"A": (team_a, caseworker_a), "B": (team_b, caseworker_b)}
    cases = {}
    for person in PEOPLE:
        team, caseworker = teams[person.team]
        case = make_case(
            team=team,
            caseworker=caseworker,
            cpr=person.cpr,
            first_name=person.first_name,
            last_name=person.last_name,
            nationality=person.nationality,
            arrival=person.arrival,
            residence_basis=ResidenceBasis.FAMILY_REUNIFIED
            if person.last_name == "Berhane"
            else ResidenceBasis.REFUGEE,
        )
        cases[person.last_name] = case
        start = person.arrival + dt.timedelta(days=2)
        if person.referred:
            place(case, step=LadderStep.INTERNSHIP_PRIVATE, provider=provider_org, start=start)
        elif person.last_name == "Rahimi":
            # Referred once, no longer: the provider must not see her now.
            place(case, provider=provider_org, start=start, end=dt.date(2025, 9, 30))
        elif person.last_name != "Berhane":
            place(case, step=LadderStep.OTHER, provider=nature_team, start=start)
        services.fact_save(
            actor=None,
            case=case,
            fact=ScreeningVisit(
                visit_date=person.arrival - dt.timedelta(days=20), location=SCREENING_PLACE
            ),
        )
        services.journal_note_create(
            actor=caseworker, case=case, happened_on=person.arrival, text=JOURNAL_NOTE
        )
        services.fact_save(
            actor=None,
            case=case,
            fact=FollowUp(
                held_on=person.arrival + dt.timedelta(days=85),
                repatriation_guidance_given=True,
                note=FOLLOW_UP_NOTE,
            ),
        )
    for last_name, (offered, response, done) in HEALTH.items():
        services.fact_save(
            actor=None,
            case=cases[last_name],
            fact=HealthAssessment(offered_on=offered, response=response, done_on=done),
        )
    enrol(cases["Mahamud"], provider=school, start=dt.date(2025, 4, 1))
    services.fact_save(
        actor=None,
        case=cases["Mahamud"],
        fact=EmploymentSpell(
            category=EmploymentCategory.ORDINARY_EMPLOYMENT, start_date=dt.date(2025, 9, 1)
        ),
    )
    services.fact_save(
        actor=None,
        case=cases["Nuurow"],
        fact=Repatriation(left_on=dt.date(2025, 10, 2), destination_country="LB"),
    )
    for last_name in ("Qureshi", "Ghebre"):
        progression_services.round_save(
            actor=None,
            case=cases[last_name],
            measured_on=dt.date(2025, 9, 15),
            complete=True,
            scores={"citizen": {1: 1, 13: 4}, "caseworker": {1: 4, 7: 5, 13: 3}},
        )
    today = timezone.localdate()
    return Municipality(
        provider_org=provider_org,
        cases=cases,
        service_review_as_of=today - dt.timedelta(days=1),
        month=previous_month(today),
    )


def make_the_council_reports(municipality: Municipality, manager, client_as) -> None:
    """The manager writes the review's texts and makes both reports, as in the browser."""
    as_of = municipality.service_review_as_of.isoformat()
    texts = {"status": "final"}
    for key in reports.NARRATIVE_KEYS:
        texts[key] = f"Teksten om {key} handler om grupper, ikke om personer."
        texts[f"version_{key}"] = "0"
    client = client_as(manager)
    assert client.post(reverse("evaluation:narrative_edit", args=[as_of]), texts).status_code == 302
    for kind, period in (
        (ReportKind.MONTHLY, municipality.month),
        (ReportKind.SERVICE_REVIEW, as_of),
    ):
        response = client.post(
            reverse("evaluation:report_generate"), {"kind": kind, "period": period}
        )
        assert response.status_code == 302
    assert list(ReportJob.objects.values_list("status", flat=True)) == ["done", "done"]


# --- walking the site ------------------------------------------------------------------


def _patterns(patterns=None, namespace="", outer_converters=()):
    """Each named URL with the arguments it takes, its includes' prefixes' too."""
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        converters = (*outer_converters, *pattern.pattern.converters)
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            prefix = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _patterns(pattern.url_patterns, prefix, converters)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}", sorted(converters)


def _arguments(m: Municipality) -> dict[tuple[str, ...], list[dict]]:
    """Every value each URL argument (or group of arguments) can take here."""
    cases = list(Case.objects.all())
    facts = [
        {"case_uuid": fact.case.uuid, "kind": kind, "fact_uuid": fact.uuid}
        for kind, form in FACT_FORMS.items()
        for fact in form._meta.model.objects.select_related("case")
    ]
    rounds = list(Round.objects.all())
    return {
        ("case_uuid",): [{"case_uuid": c.uuid} for c in cases],
        ("case_uuid", "kind"): [
            {"case_uuid": c.uuid, "kind": k} for c, k in product(cases, FACT_FORMS)
        ],
        ("case_uuid", "fact_uuid", "kind"): facts,
        ("case_uuid", "note_uuid"): [
            {"case_uuid": note.case.uuid, "note_uuid": note.uuid}
            for note in JournalNote.objects.select_related("case")
        ],
        ("action", "case_uuid"): [
            {"case_uuid": c.uuid, "action": a} for c, a in product(cases, ("close", "reopen"))
        ],
        ("citizen_uuid",): [{"citizen_uuid": c.uuid} for c in Citizen.objects.all()],
        ("provider_uuid",): [{"provider_uuid": p.uuid} for p in ProviderOrganisation.objects.all()],
        ("round_uuid",): [{"round_uuid": r.uuid} for r in rounds],
        ("item_number", "round_uuid"): [{"round_uuid": r.uuid, "item_number": 1} for r in rounds],
        ("token",): [{"token": "no-such-token"}],
        ("token", "uidb64"): [{"uidb64": "MQ", "token": "no-such-token"}],
        ("version",): [{"version": 1}],
        ("number", "version"): [{"version": 1, "number": 1}],
        ("job_uuid",): [{"job_uuid": j.uuid} for j in ReportJob.objects.all()],
        ("archive_uuid",): [{"archive_uuid": a.uuid} for a in ReportArchive.objects.all()],
        ("kind", "period"): [
            {"kind": ReportKind.MONTHLY, "period": m.month},
            {"kind": ReportKind.SERVICE_REVIEW, "period": m.service_review_as_of.isoformat()},
        ],
        ("as_of",): [{"as_of": m.service_review_as_of.isoformat()}],
    }


def url_conf_addresses(m: Municipality) -> list[str]:
    """Every URL of the URL conf, once for each record it can name."""
    arguments = _arguments(m)
    addresses = []
    for name, converters in _patterns():
        if not converters:
            addresses.append(reverse(name))
            continue
        key = tuple(converters)
        assert key in arguments, f"{name}: no values for {key}; add them to _arguments"
        addresses += [reverse(name, kwargs=kwargs) for kwargs in arguments[key]]
    return addresses


LINK = re.compile(r"""<a\b[^>]*\bhref="([^"]*)\"""")
SKIPPED = ("/static/", "/admin/", "/logout/", "/language/")
MAX_PAGES = 1500


@dataclass
class Page:
    url: str
    status: int
    kind: str  # "html", "pdf", "csv" or the content type
    text: str


@dataclass
class Walk:
    pages: list[Page] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(1 for p in self.pages if p.kind == kind)

    def reached(self, path: str) -> bool:
        return any(p.url.startswith(path) and p.status == 200 for p in self.pages)


def _text_of(response) -> tuple[str, str]:
    content_type = response.get("Content-Type", "")
    if content_type.startswith("application/pdf"):
        reader = PdfReader(io.BytesIO(response.content))
        return "pdf", "\n".join(page.extract_text() or "" for page in reader.pages)
    if content_type.startswith("text/csv"):
        return "csv", response.content.decode("utf-8")
    if content_type.startswith("text/html"):
        return "html", CSRF_TOKEN.sub("", DATA_URI.sub("", response.content.decode()))
    return content_type, response.content.decode(errors="replace")


def walk(client, start: list[str], after_each=None) -> Walk:
    """Open every address, follow every link and redirect on the site, once each.

    ``after_each(page)`` runs after every response, before the next request."""
    seen = set()
    queue = deque(start)
    result = Walk()
    while queue:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        assert len(seen) <= MAX_PAGES, "the walk does not end; a link grows without bound?"
        response = client.get(url)
        kind, text = _text_of(response)
        result.pages.append(Page(url, response.status_code, kind, text))
        if after_each is not None:
            after_each(result.pages[-1])
        found = [response["Location"]] if response.status_code == 302 else []
        if kind == "html":
            found += [html.unescape(href) for href in LINK.findall(response.content.decode())]
        for href in found:
            target = urlsplit(urljoin(url, href))
            if target.scheme not in ("", "http") or target.netloc not in ("", "testserver"):
                continue
            if target.path.startswith(SKIPPED):
                continue
            queue.append(target.path + (f"?{target.query}" if target.query else ""))
    return result


# --- what must not be there --------------------------------------------------------------


def _country_names(code: str) -> set[str]:
    names = set()
    for language in ("da", "en"):
        with translation.override(language):
            names.add(country_name(code))
    return names


def person_details(person: Person) -> dict[str, str]:
    """Every detail of a person a page could give away, with what it is."""
    details = {person.cpr[:6]: "CPR number (its date part)"}
    for name in _country_names(person.nationality):
        details[name] = "nationality"
    details[f">{person.nationality}<"] = "nationality code"
    details[da_date(person.arrival)] = "arrival date"
    return details


def health_details() -> dict[str, str]:
    details = {}
    for offered, _response, done in HEALTH.values():
        details[da_date(offered)] = "health assessment offered"
        if done:
            details[da_date(done)] = "health assessment done"
    return details


def leaks(page: Page, *, names_allowed=(), cpr_numbers=True, health_words=False) -> list[str]:
    """What on ``page`` points at a person; ``names_allowed`` may be named."""
    text = page.text
    found = []
    if cpr_numbers:
        found += [f"CPR-shaped {m!r}" for m in FULL_CPR.findall(text)]
        found += [f"masked CPR {m!r}" for m in MASKED_CPR.findall(text)]
    for person in PEOPLE:
        if person.name not in names_allowed:
            found += [f"name {n!r}" for n in (person.first_name, person.last_name) if n in text]
        if cpr_numbers:
            found += [f"{what} {d!r}" for d, what in person_details(person).items() if d in text]
    found += [f"{what} {d!r}" for d, what in health_details().items() if d in text]
    for secret, what in (
        (FOLLOW_UP_NOTE, "follow-up note"),
        (SCREENING_PLACE, "screening"),
        (JOURNAL_NOTE, "journal note"),
    ):
        if secret in text:
            found.append(what)
    if health_words:
        # The page's own address (kept for the language switch) is no content.
        content = text.replace(page.url, "")
        found += [f"health word {w!r}" for w in ("ealth", "elbred") if w in content]
    return [f"{page.url} ({page.status}): {item}" for item in found]


def all_leaks(result: Walk, **rules) -> list[str]:
    return [leak for page in result.pages for leak in leaks(page, **rules)]


# --- the walks ------------------------------------------------------------------------------


def _start(m: Municipality) -> list[str]:
    return [reverse("home"), *url_conf_addresses(m)]


def test_provider_sees_names_and_referrals_of_its_own_citizens_only(
    municipality, provider_user, client_as
):
    result = walk(client_as(provider_user), _start(municipality))
    referred = {p.name for p in PEOPLE if p.referred}
    assert all_leaks(result, names_allowed=referred, health_words=True) == []
    # The walk reached the provider's pages, and they name the referred citizens.
    assert result.reached(reverse("integration:provider_home"))
    for person in PEOPLE:
        url = reverse(
            "progression:provider_score", args=[municipality.cases[person.last_name].citizen.uuid]
        )
        assert result.reached(url) == person.referred, person.name
    home = next(p for p in result.pages if p.url == reverse("integration:provider_home"))
    assert all(name in home.text for name in referred)
    print(f"\nprovider: {len(result.pages)} responses, {result.count('html')} pages")


def test_provider_without_referral_sees_nobody(municipality, provider_without_referral, client_as):
    result = walk(client_as(provider_without_referral), _start(municipality))
    assert all_leaks(result, health_words=True) == []
    assert result.reached(reverse("integration:provider_home"))
    print(f"\nprovider without referral: {len(result.pages)} responses")


def test_secretariat_sees_no_person_on_any_page_or_report(
    municipality, manager, secretariat, client_as
):
    make_the_council_reports(municipality, manager, client_as)
    result = walk(client_as(secretariat), _start(municipality))
    assert all_leaks(result) == []
    # Both PDFs were found through the report list and read.
    assert result.count("pdf") == 2
    assert any("Månedlig opfølgning" in p.text for p in result.pages if p.kind == "pdf")
    assert result.reached(reverse("evaluation:secretariat_home"))
    print(
        f"\nsecretariat: {len(result.pages)} responses, {result.count('html')} pages, "
        f"{result.count('pdf')} PDFs"
    )


# The manager's pages about cases (the case list, a team's task list, one case);
# everything else they see is aggregates.
CASE_PAGES = re.compile(r"^/(cases|tasks|progression/cases)/")


def test_manager_sees_persons_on_case_pages_only_and_the_full_number_only_when_asked(
    municipality, manager, client_as
):
    make_the_council_reports(municipality, manager, client_as)
    result = walk(client_as(manager), _start(municipality))
    case_pages = [p for p in result.pages if CASE_PAGES.match(p.url)]
    aggregate_pages = [p for p in result.pages if not CASE_PAGES.match(p.url)]
    wrong = [leak for page in aggregate_pages for leak in leaks(page)]
    for page in case_pages:
        if "cpr=full" not in page.url:
            wrong += [f"{page.url}: full CPR {m!r}" for m in FULL_CPR.findall(page.text)]
    assert wrong == []
    # The case pages do show what the aggregate pages must not: the needles are right.
    shown = "\n".join(p.text for p in case_pages)
    for person in PEOPLE:
        assert person.name in shown
        assert f"{person.cpr[:6]}-xxxx" in shown
        assert _country_names(person.nationality) & set(re.findall(r"\w+", shown))
        full = f"{person.cpr[:6]}-{person.cpr[6:]}"
        assert [p.url for p in case_pages if full in p.text] == [
            reverse("integration:case_detail", args=[municipality.cases[person.last_name].uuid])
            + "?cpr=full"
        ]
    assert all(da_date(offered) in shown for offered, _r, _d in HEALTH.values())
    assert result.count("pdf") == 2
    assert result.reached(reverse("evaluation:dashboard"))
    print(
        f"\nmanager: {len(result.pages)} responses, {len(case_pages)} case pages, "
        f"{len(aggregate_pages) - result.count('pdf')} other pages, {result.count('pdf')} PDFs"
    )


# --- every read of a person is logged ----------------------------------------------------

# Reading the access log is the audit itself: it names the citizens of its
# rows, and logging that would add a row for each of them at every look. The
# filtered log and its export are logged as searches (tests/access/test_access_log.py).
UNLOGGED_BY_DESIGN = re.compile(r"^/access-log/")


@pytest.mark.parametrize(
    "persona", ["caseworker_a", "caseworker_b", "manager", "administrator", "provider_user"]
)
def test_every_response_that_shows_a_citizen_writes_a_row_for_them(
    persona, request, municipality, client_as
):
    from integration.models import AccessLog

    user = request.getfixturevalue(persona)
    citizens = {p.last_name: municipality.cases[p.last_name].citizen for p in PEOPLE}
    last = [AccessLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0]
    unlogged = []

    def check(page: Page) -> None:
        rows = AccessLog.objects.filter(pk__gt=last[0])
        logged = {row.citizen_id for row in rows}
        last[0] = max([last[0], *(row.pk for row in rows)])
        if page.kind not in ("html", "pdf", "csv") or UNLOGGED_BY_DESIGN.match(page.url):
            return
        for person in PEOPLE:
            shown = person.name in page.text or f"{person.cpr[:6]}-xxxx" in page.text
            if shown and citizens[person.last_name].pk not in logged:
                unlogged.append(f"{page.url} ({page.status}) shows {person.name}")

    result = walk(client_as(user), _start(municipality), after_each=check)
    assert unlogged == []
    # The walk did reach pages that show people, so the check had work to do.
    assert any(any(p.name in page.text for p in PEOPLE) for page in result.pages)
