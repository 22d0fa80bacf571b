"""The service review's sections from seed 001 that the product lacked: the
law against the municipality's effort, the questionnaire as an annex, an
optional annex for the interviews, and the adjusted denominator as an option.
PDFs are read back as text."""

import datetime as dt
import io
import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from evaluation import forms, reports, selectors
from evaluation.figures import service_review_figures
from evaluation.models import ReportArchive, ReportNarrative
from evaluation.pdf import render
from evaluation.period import ReportPeriod
from integration import services as case_services
from progression import services as progression_services
from tests.evaluation.test_reports import pdf_text, review_by_hand
from tests.factories import QuestionnaireFactory, make_case, published_questionnaire

pytestmark = pytest.mark.django_db

REQUIRED = [key for key in reports.NARRATIVE_KEYS if key != "interviews"]


@pytest.fixture(autouse=True)
def report_settings(settings):
    settings.MUNICIPALITY_NAME = "Testby Kommune"
    settings.REPORT_MIN_CELL = 5
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _pdf(figures: dict) -> str:
    text, _pages = pdf_text(render.render_pdf(render.render_html(figures)))
    return text


def _review(**narratives) -> dict:
    figures = review_by_hand()
    for key, text in narratives.items():
        figures["narratives"][key] = {"text": text, "status": "final"}
    return figures


# --- 1.1 the law against the municipality's effort ----------------------------------------


def _body(text: str) -> str:
    """The review after its cover's contents list, which names every section."""
    first = text.index("1. Indledning")
    second = text.find("1. Indledning", first + 1)
    return text[second:] if second > 0 else text


def test_the_law_section_follows_the_introduction_as_seed_001_has_it():
    text = _pdf(_review(law="Integrationsloven § 1 og byrådets handleplan fra 2015."))

    heading = "1.1 Lovgivningen på området contra kommunens indsats"
    assert heading in text
    assert f"{heading} Integrationsloven § 1 og byrådets handleplan fra 2015." in text
    body = _body(text)
    assert body.index("1. Indledning") < body.index(heading) < body.index("2. Beskæftigelse")


def test_the_review_waits_for_a_final_law_text():
    as_of = dt.date(2026, 11, 20)
    for key in REQUIRED:
        if key != "law":
            ReportNarrative.objects.create(as_of=as_of, section=key, text="Tekst.", status="final")

    assert [key for key, _label, _why in selectors.missing_narratives(as_of)] == ["law"]
    ReportNarrative.objects.create(as_of=as_of, section="law", text="Loven.", status="draft")
    assert selectors.missing_narratives(as_of) == [
        ("law", "Lovgivningen på området contra kommunens indsats", "draft")
    ]


# --- the interviews: an annex printed only when written -------------------------------------


def test_the_interviews_annex_is_printed_when_written():
    text = _pdf(_review(interviews="Værger og sprogskolen peger på klare forventninger."))

    assert (
        "Bilag 2. Kvalitative interviews Værger og sprogskolen peger på klare forventninger."
        in (text)
    )


def test_without_an_interviews_text_there_is_no_annex_and_no_gap():
    figures = review_by_hand()
    figures["narratives"]["interviews"] = {"text": "", "status": "draft"}

    text = _pdf(figures)

    assert "Kvalitative interviews" not in text
    assert "[Tekst mangler]" not in text
    # An unwritten optional annex keeps the review from nothing.
    assert not reports.figures_are_draft(figures)
    assert "UDKAST" not in text


def test_a_written_interviews_text_must_be_final_like_the_rest():
    figures = review_by_hand()
    figures["narratives"]["interviews"] = {"text": "Udkast til bilag.", "status": "draft"}
    assert reports.figures_are_draft(figures)


def test_the_texts_form_is_final_without_interviews_but_not_without_the_law():
    data = {key: "Tekst." for key in reports.NARRATIVE_KEYS} | {"status": "final"}

    without_interviews = forms.NarrativeForm(data | {"interviews": ""})
    without_law = forms.NarrativeForm(data | {"law": ""})

    assert without_interviews.is_valid(), without_interviews.errors
    assert not without_law.is_valid() and "law" in without_law.errors


def test_a_final_save_without_interviews_stores_no_empty_row(manager):
    from evaluation import services

    as_of = dt.date(2026, 11, 20)
    texts = {key: "Tekst." for key in REQUIRED} | {"interviews": ""}
    services.narratives_save(as_of=as_of, user=manager, texts=texts, versions={}, status="final")

    assert set(ReportNarrative.objects.values_list("section", flat=True)) == set(REQUIRED)
    assert selectors.missing_narratives(as_of) == []
    assert selectors.narrative_dates()[0]["ready"]


# --- bilag 1: the questionnaire of the period ------------------------------------------------


def _measure(case, day: dt.date) -> None:
    progression_services.round_save(
        actor=None,
        case=case,
        measured_on=day,
        complete=True,
        scores={"caseworker": {n: 3 for n in range(1, 13)}},
    )


def test_the_annex_prints_the_items_of_the_version_used_marking_the_own_wording(team_a):
    # The shipped current version (2 since item 13 is worded for staff; its
    # citizen texts are version 1's).
    version_1 = published_questionnaire()
    own = set(version_1.items.filter(municipal_wording=True).values_list("number", flat=True))
    assert own == {1, 7, 13}  # as shipped
    _measure(make_case(team=team_a, arrival=dt.date(2024, 1, 10)), dt.date(2025, 3, 1))

    figures = service_review_figures(ReportPeriod.parse("service_review", "2025-12-31"))
    text = _pdf({**review_by_hand(as_of="2025-12-31"), **_annex_only(figures)})

    annex = text[text.index("Bilag 1. Spørgsmålene i progressionsmålingen") :]
    assert f"Version {version_1.version}" in annex
    for item in version_1.items.all():
        wording = "Kommunens egen" if item.number in own else "Standard"
        assert f"{item.number} {item.text('question')} {wording}" in annex
    assert "ingen målinger i perioden" not in annex


def _annex_only(figures: dict) -> dict:
    return {"questionnaire_annex": figures["questionnaire_annex"]}


def test_two_versions_in_the_period_are_both_printed_newest_first(team_a):
    shipped = published_questionnaire().version
    _measure(make_case(team=team_a, arrival=dt.date(2024, 1, 10)), dt.date(2025, 3, 1))
    newer = QuestionnaireFactory()
    _measure(make_case(team=team_a, arrival=dt.date(2024, 2, 10)), dt.date(2025, 9, 1))
    # A version first used after the review's date is not the period's.
    later = QuestionnaireFactory()
    _measure(make_case(team=team_a, arrival=dt.date(2024, 3, 10)), dt.date(2026, 2, 1))

    annex = service_review_figures(ReportPeriod.parse("service_review", "2025-12-31"))[
        "questionnaire_annex"
    ]

    assert [v["version"] for v in annex["versions"]] == [newer.version, shipped]
    assert later.version not in [v["version"] for v in annex["versions"]]
    assert annex["versions"][0]["items"][1] == {
        "number": 2,
        "label": "Item 2",
        "question": "Question 2?",
        "municipal_wording": False,
    }
    text = _pdf({**review_by_hand(as_of="2025-12-31"), "questionnaire_annex": annex})
    assert text.index(f"Version {newer.version}") < text.index(f"Version {shipped},")
    assert "flere versioner af spørgeskemaet" in text


def test_with_no_measurement_in_the_period_the_current_version_is_printed_and_said_so():
    current = published_questionnaire().version

    annex = service_review_figures(ReportPeriod.parse("service_review", "2025-12-31"))[
        "questionnaire_annex"
    ]

    assert annex["current_only"] is True
    assert [v["version"] for v in annex["versions"]] == [current]
    text = _pdf({**review_by_hand(as_of="2025-12-31"), "questionnaire_annex": annex})
    assert "gældende version; der er ingen målinger i perioden" in text


# --- the adjusted denominator, an option ------------------------------------------------------


def _adult(team, arrival: dt.date):
    return make_case(team=team, arrival=arrival, birth=dt.date(1985, 5, 5))


def _close(case, on: dt.date, reason: str) -> None:
    case_services.case_transition(
        actor=None, case=case, version=case.version, to_status="closed", on=on, reason=reason
    )


@pytest.fixture
def cohort_2015(team_a):
    """22 adult refugees arrived in March 2015. 6 have been employed since
    2017; 5 moved away and 5 were repatriated in 2016; nobody was employed 6
    or 12 months after arrival.

    On 31-01-2019: 6 / 22 = 27.3 % -> 27 %; adjusted 6 / (22 - 10) = 50 %.
    """
    from integration.models import EmploymentSpell

    cases = [_adult(team_a, dt.date(2015, 3, 1 + i)) for i in range(22)]
    for case in cases[:6]:
        case_services.fact_save(
            actor=None,
            case=case,
            fact=EmploymentSpell(category="ordinary_employment", start_date=dt.date(2017, 1, 1)),
        )
    for case in cases[6:11]:
        _close(case, dt.date(2016, 6, 1), "moved_away")
    for case in cases[11:16]:
        _close(case, dt.date(2016, 8, 1), "repatriated")
    return cases


def test_the_adjusted_figures_match_the_hand_count(cohort_2015):
    period = ReportPeriod.parse("service_review", "2019-01-31")

    plain = service_review_figures(period)
    adjusted = service_review_figures(period, adjusted_denominator=True)

    assert plain["cohorts_adjusted"] is None
    row = adjusted["cohorts_adjusted"]["rows"][0]
    assert (row["year"], row["persons"], row["left_as_of"], row["count_as_of"]) == (2015, 22, 10, 6)
    assert row["share_as_of"] == 50
    # They left in June and August 2016, after the 12 months (01-03-2016 .. 22-03-2016).
    assert (row["left_6m"], row["left_12m"]) == (0, 0)
    assert adjusted["cohorts_adjusted"]["left_by_reason"] == {
        "moved_away": 5,
        "repatriated": 5,
        "deceased": 0,
        "pension": 0,
    }
    # Table 2.1 is never adjusted back in time.
    assert adjusted["cohorts"] == plain["cohorts"]
    assert plain["cohorts"][0]["share_as_of"] == 27


def test_the_adjusted_table_and_its_footnote_are_printed_only_when_asked_for(cohort_2015):
    period = ReportPeriod.parse("service_review", "2019-01-31")
    narratives = review_by_hand()["narratives"]

    plain = _pdf({**service_review_figures(period), "narratives": narratives})
    adjusted = _pdf(
        {**service_review_figures(period, adjusted_denominator=True), "narratives": narratives}
    )

    assert "Tabel 2.2" not in plain and "Justeret nævner" not in plain
    # Table 2.1's row for 2015: 22 persons, 6 employed on the day, 27 %.
    assert re.search(r"2015 22 .{0,40}? 27 % 6\b", plain)
    adjusted = _body(adjusted)
    table = adjusted[adjusted.index("Tabel 2.2") : adjusted.index("3. Sammenligning")]
    # Table 2.2's row for 2015: 5 of 12 taken out, 6 of 12 = 50 % on the day.
    assert re.search(r"2015 .{0,40}?50 %", table)
    assert "Pr. 31-01-2019 er i alt 10 personer taget ud: 5 fraflyttet og 5 repatrieret." in table
    assert "Tabel 2.1 er ikke justeret." in table
    # The footnote never prints a count below the minimum (0 is a count too).
    assert re.search(r"\b[0-4] (fraflyttet|repatrieret|døde|gået)", table) is None


def test_a_share_that_would_show_a_few_employed_leavers_is_hidden(team_a):
    """Table 2.1 counts 7 employed; without the 2 who left while employed the
    adjusted count is 5, so the two tables together would show 2 people."""
    from integration.models import EmploymentSpell

    cases = [_adult(team_a, dt.date(2015, 3, 1 + i)) for i in range(20)]
    for case in cases[:7]:
        case_services.fact_save(
            actor=None,
            case=case,
            fact=EmploymentSpell(category="ordinary_employment", start_date=dt.date(2017, 1, 1)),
        )
    for case in cases[5:7]:
        _close(case, dt.date(2018, 6, 1), "moved_away")
    period = ReportPeriod.parse("service_review", "2019-01-31")
    figures = {
        **service_review_figures(period, adjusted_denominator=True),
        "narratives": review_by_hand()["narratives"],
    }
    assert figures["cohorts"][0]["count_as_of"] == 7
    assert figures["cohorts_adjusted"]["rows"][0]["count_as_of"] == 5

    text = _body(_pdf(figures))

    table = text[text.index("Tabel 2.2") : text.index("3. Sammenligning")]
    assert re.search(r"2015 .{0,40}?\.\.", table)
    assert not re.search(r"2015 .{0,40}? 25 %", table)


def test_a_manager_asks_for_the_adjusted_denominator_when_making_the_review(cohort_2015, manager):
    as_of = dt.date(2019, 1, 31)
    for key in REQUIRED:
        ReportNarrative.objects.create(as_of=as_of, section=key, text="Tekst.", status="final")
    client = Client()
    client.force_login(manager)
    data = {"kind": "service_review", "period": as_of.isoformat()}

    assert client.post(reverse("evaluation:report_generate"), data).status_code == 302
    assert (
        client.post(
            reverse("evaluation:report_generate"), data | {"adjusted_denominator": "on"}
        ).status_code
        == 302
    )

    plain, adjusted = ReportArchive.objects.order_by("version")
    assert plain.figures["cohorts_adjusted"] is None
    assert adjusted.figures["cohorts_adjusted"]["rows"][0]["share_as_of"] == 50
    assert "Tabel 2.2" in pdf_text(bytes(adjusted.pdf))[0]
    assert "Tabel 2.2" not in pdf_text(bytes(plain.pdf))[0]


def test_the_command_takes_the_option(cohort_2015, tmp_path):
    as_of = dt.date(2019, 1, 31)
    for key in REQUIRED:
        ReportNarrative.objects.create(as_of=as_of, section=key, text="Tekst.", status="final")
    output = tmp_path / "review.pdf"

    call_command(
        "report", "service-review", "--as-of", "2019-01-31", "--output", str(output),
        "--adjusted-denominator", stdout=io.StringIO(),
    )  # fmt: skip

    table = _body(pdf_text(output.read_bytes())[0])
    assert re.search(r"2015 .{0,40}?50 %", table[table.index("Tabel 2.2") :])
