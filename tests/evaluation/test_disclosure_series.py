"""The published series read together: twelve monthly reports of one year, and
every preview a month allows.

An independent reader: nothing here imports ``evaluation.disclosure``. The
reports are rendered to the HTML the PDF is made from (the same template and
text; ``test_reports`` reads the PDF of the same figures back with pypdf),
the printed numbers are parsed from the page text, and the reader of
``test_published_figures`` (bounds along every sum plus an exhaustive search)
tries to pin a hidden count by differencing: a month's arrivals from this
month's and last month's year to date, a month's measurements from two
years' totals, a count hidden in one report from the same count shown in
another.

The old rule (main before this change, 756d97a) printed the year to date as
of every report's own date; ``old_printing`` re-creates what it printed for
the two rows concerned, and the reader finds October's 4 from it, as the
council secretariat did (10 in September, 14 in October, October "<5").
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from evaluation import charts
from evaluation.pdf import render
from tests.evaluation.test_published_figures import (
    Reading,
    disclosures,
    html_flat,
)
from tests.evaluation.test_reports import LADDER_OCTOBER, monthly_by_hand

MIN = 5
YEAR = 2026
MONTHS_DA = [
    "januar", "februar", "marts", "april", "maj", "juni",
    "juli", "august", "september", "oktober", "november", "december",
]  # fmt: skip
MONTHS_SHORT = [
    "jan.", "feb.", "mar.", "apr.", "maj", "jun.",
    "jul.", "aug.", "sep.", "okt.", "nov.", "dec.",
]  # fmt: skip
# The demo's year as the secretariat met it: 10 arrived by September, 14 by
# October, so October's "<5" was 4.
ARRIVALS = [3, 2, 0, 1, 1, 0, 1, 1, 1, 4, 6, 0]
# Of them family reunified (table 2 prints refugees, family and the total, each
# for the month and the year through one anchor): six by September.
FAMILY = [0, 1, 0, 0, 1, 0, 1, 1, 1, 0, 0, 0]
# Refugees with a screening visit before arrival (table 9.1, its own anchor).
SCREENED = [2, 1, 0, 0, 0, 0, 0, 0, 0, 2, 3, 0]
# Caseworker measurements per month: October's 3 and December's 2 are small.
MEASURED_2025 = [14] * 12
MEASURED = [14, 14, 14, 14, 14, 14, 14, 14, 14, 3, 14, 2]
# Table 8's health offers: deadlines falling due per month, and how many of
# them were late; table 7's repatriations per month (households, persons).
HEALTH_DUE = [2, 3, 1, 2, 2, 2, 2, 1, 2, 3, 4, 2]
HEALTH_LATE = [0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 2, 1]
REPATRIATED_HOUSEHOLDS = [0, 0, 1, 0, 0, 0, 0, 2, 0, 1, 0, 0]
REPATRIATED_PERSONS = [0, 0, 1, 0, 0, 0, 0, 7, 0, 4, 0, 0]
TOKEN = r"(<\d+|\.\.|–|\d+(?:–\d+)?)"
SHARE = r"((?:mindst |højst )?\d+ %|\.\.|–)"


@pytest.fixture
def plain_charts(monkeypatch):
    """Charts as empty pictures: the numbers behind them are the tables'."""
    for name in ("ladder_months_svg", "trend_svg", "grouped_bars_svg", "item_means_svg"):
        monkeypatch.setattr(charts, name, lambda *args, **kwargs: "<svg/>")


def month_figures(month: int, arrivals=ARRIVALS, measured=MEASURED, family=FAMILY) -> dict:
    """The monthly figures of ``month`` (1–12) of YEAR: the figures of
    ``monthly_by_hand`` with the year's arrivals and measurements."""
    period = f"{YEAR}-{month:02d}"
    figures = monthly_by_hand()
    last_day = calendar.monthrange(YEAR, month)[1]
    figures.update(period=period, as_of=f"{period}-{last_day:02d}")
    a = arrivals[month - 1]
    refugees = [t - f for t, f in zip(arrivals, family, strict=True)]
    figures["arrivals"] = {
        "year": YEAR,
        "month": a,
        "month_refugees": refugees[month - 1],
        "month_family_reunified": family[month - 1],
        "year_to_date": sum(arrivals[:month]),
        "year_to_date_refugees": sum(refugees[:month]),
        "year_to_date_family_reunified": sum(family[:month]),
        "months": list(arrivals[:month]),
        "months_refugees": refugees[:month],
        "quota": 30,
    }
    # The follow-up's newer tables, month by month, coherent with the arrivals.
    reception = [
        {"refugees": r, "screened": x, "near_job": r - x}
        for r, x in zip(refugees[:month], SCREENED, strict=False)
    ]
    figures["reception"] = {
        "month": reception[-1],
        "year_to_date": {k: sum(m[k] for m in reception) for k in reception[0]},
        "months": reception,
    }
    figures["follow_ups"] = {
        "month": {"held": 12, "guided": 10},
        "year_to_date": {"held": 12 * month, "guided": 10 * month},
        "months": [{"held": 12, "guided": 10}] * month,
    }
    figures["moved_away"] = {"month": 6, "year_to_date": 6 * month, "months": [6] * month}
    health = [
        {"due": d, "on_time": d - n}
        for d, n in zip(HEALTH_DUE[:month], HEALTH_LATE[:month], strict=True)
    ]
    figures["compliance"]["health_offer"] = {
        "due": sum(HEALTH_DUE[:month]),
        "on_time": sum(m["on_time"] for m in health),
        "by_month": health,
    }
    for key in ("contract", "plan"):
        figures["compliance"][key] = {**figures["compliance"][key], "by_month": health}
    figures["repatriations"]["months"] = [
        {"households": h, "persons": p}
        for h, p in zip(REPATRIATED_HOUSEHOLDS[:month], REPATRIATED_PERSONS[:month], strict=True)
    ]
    window = [(YEAR - 1, m) for m in range(month + 1, 13)] + [
        (YEAR, m) for m in range(1, month + 1)
    ]
    figures["ladder_months"] = [
        {"month": f"{y}-{m:02d}", "counts": dict(LADDER_OCTOBER), "total": 45} for y, m in window
    ]
    figures["progression"] = {
        "month_caseworker_measurements": measured[month - 1],
        "year_caseworker_measurements": sum(measured[:month]),
        "trend": [
            {
                "month": f"{y}-{m:02d}",
                "caseworker_measurements": (measured if y == YEAR else MEASURED_2025)[m - 1],
                "caseworker_index_mean": 3.25,
                "citizen_item_13_mean": None,
                "citizen_measurements": 0,
            }
            for y, m in window
        ],
    }
    return figures


# --- reading a report's page ----------------------------------------------------------------


ROWS = {
    "refugees": "Flygtninge",
    "family": "Familiesammenførte til flygtninge",
    "arrived": "I alt",
}


def read_arrivals(
    text: str, month: int, row: str = "arrived"
) -> tuple[str, int | None, str | None]:
    """Table 2: a row's count for the month; for the refugees (the quota's
    people) also the year so far, with the month its row names. The family
    reunified and the total are printed for the month only."""
    label = f"{MONTHS_DA[month - 1]} {YEAR}"
    start = text.find("Tabel 2.")
    cell = re.compile(rf".*? {ROWS[row]} i {label} {TOKEN} ").match(text, start)
    assert cell, f"table 2 prints no {row} for {label}"
    if row != "refugees":
        assert not re.search(rf"{ROWS[row]} i {YEAR} til og med", text), row
        return cell.group(1), None, None
    year = re.compile(rf".*? Flygtninge i {YEAR} til og med \d\d-(\d\d)-{YEAR} {TOKEN} ").match(
        text, start
    )
    assert year, f"table 2 names no month for the year's refugees in {label}"
    return cell.group(1), int(year.group(1)), year.group(2)


def read_reception(text: str, month: int) -> str:
    """Table 9.1: the refugees who arrived in the month (the month only: a
    second year so far of the same people could be subtracted from table 2's)."""
    label = f"{MONTHS_DA[month - 1].capitalize()} {YEAR}"
    table = text[text.find("Tabel 9.1.") : text.find("Tabel 9.2.")]
    row = re.search(rf"Flygtninge {label} Ankomne flygtninge {TOKEN} ", table)
    assert row, f"table 9.1 prints no refugees for {label}"
    assert "til og med" not in table, "table 9.1 prints a year so far"
    return row.group(1)


def read_measurements(text: str, month: int) -> tuple[dict[str, str], int, str]:
    """Table 6.2's count per month, and table 6.1's year with the month it runs through."""
    start = text.find("Tabel 6.2.")
    rows = {}
    for y, m, token in re.findall(
        rf"({'|'.join(map(re.escape, MONTHS_SHORT))}) (\d{{4}}) {TOKEN} ", text[start:]
    ):
        rows.setdefault(f"{m}-{MONTHS_SHORT.index(y) + 1:02d}", token)
    year = re.search(
        rf"{YEAR} til og med \d\d-(\d\d)-{YEAR} {TOKEN}", text[text.find("Tabel 6.1.") :]
    )
    assert year, "table 6.1 prints no year"
    return rows, int(year.group(1)), year.group(2)


def read_repatriations(text: str) -> tuple[int, str, str]:
    """Table 7: the month the year runs through, and its households and persons."""
    table = text[text.find("Tabel 7.") :]
    found = re.match(
        rf"Tabel 7\. Repatrierede i {YEAR} Repatrierede {YEAR} til og med \d\d-(\d\d)-{YEAR} "
        rf"Husstande {TOKEN} Personer {TOKEN} ",
        table,
    )
    assert found, "table 7 prints no year"
    return int(found.group(1)), found.group(2), found.group(3)


def read_health_offers(text: str) -> tuple[int, str, str, str]:
    """Table 8's health offers: the month the year runs through, those due, on
    time, and the share."""
    found = re.search(
        rf"Tilbud om helbredsmæssig vurdering inden 3 måneder efter ankomst "
        rf"\(frist i {YEAR} til og med \d\d-(\d\d)-{YEAR}\) {TOKEN} {TOKEN} {SHARE} ",
        text,
    )
    assert found, "table 8 prints no health offers"
    return int(found.group(1)), found.group(2), found.group(3), found.group(4)


class SeriesReader:
    """What the twelve reports tell a reader who holds them all."""

    def __init__(self, arrivals=ARRIVALS, measured=MEASURED, family=FAMILY):
        refugees = [t - f for t, f in zip(arrivals, family, strict=True)]
        true = {}
        for prefix, counts in (("arrived", arrivals), ("refugees", refugees), ("family", family)):
            true |= {f"{prefix} {m}": counts[m - 1] for m in range(1, 13)}
            true |= {f"{prefix} through {k}": sum(counts[:k]) for k in range(1, 13)}
        for y, counts in ((YEAR - 1, MEASURED_2025), (YEAR, measured)):
            true |= {f"measured {y}-{m:02d}": counts[m - 1] for m in range(1, 13)}
        true |= {f"measured through {k}": sum(measured[:k]) for k in range(1, 13)}
        on_time = [d - n for d, n in zip(HEALTH_DUE, HEALTH_LATE, strict=True)]
        for prefix, counts in (
            ("due", HEALTH_DUE),
            ("late", HEALTH_LATE),
            ("on time", on_time),
            ("households", REPATRIATED_HOUSEHOLDS),
            ("persons", REPATRIATED_PERSONS),
        ):
            true |= {f"{prefix} {m}": counts[m - 1] for m in range(1, 13)}
            true |= {f"{prefix} through {k}": sum(counts[:k]) for k in range(1, 13)}
        self.reading = Reading(true)
        self.reading.protected |= set(true)
        self.printed: dict[str, set[int]] = {}
        # Each month's refugees and family reunified add up to its arrivals.
        for m in range(1, 13):
            self.reading.line([f"refugees {m}", f"family {m}"], f"arrived {m}")
            self.reading.line([f"on time {m}", f"late {m}"], f"due {m}")
            self.reading.line([f"on time through {m}", f"late through {m}"], f"due through {m}")

    @staticmethod
    def month(prefix: str, m: int) -> str:
        return f"measured {YEAR}-{m:02d}" if prefix == "measured" else f"{prefix} {m}"

    def _through(self, prefix: str, k: int, token: str) -> None:
        """A running total through month ``k``; the reader subtracts it from every
        other one printed: the months between two totals are their difference."""
        name = f"{prefix} through {k}"
        if token is not None:  # None: not printed, but tied to the printed ones
            self.reading.count(name, token)
        seen = self.printed.setdefault(prefix, set())
        if k in seen:
            return
        self.reading.line([self.month(prefix, m) for m in range(1, k + 1)], name)
        for other in seen:
            low, high = sorted((other, k))
            between = [self.month(prefix, m) for m in range(low + 1, high + 1)]
            self.reading.line([f"{prefix} through {low}", *between], f"{prefix} through {high}")
        seen.add(k)

    def read(self, month: int, text: str) -> None:
        for row in ROWS:
            cell, through, ytd = read_arrivals(text, month, row)
            self.reading.count(f"{row} {month}", cell)
            # A year not yet printable is ".." whatever its size: no total to subtract.
            if ytd is not None and ytd != "..":
                self._through(row, through, ytd)
        # Table 9.1 prints the month's refugees again.
        self.reading.count(f"refugees {month}", read_reception(text, month))
        rows, through, year = read_measurements(text, month)
        for ym, token in rows.items():
            self.reading.count(f"measured {ym}", token)
        self._through("measured", through, year)
        through, households, persons = read_repatriations(text)
        self._through("households", through, households)
        self._through("persons", through, persons)
        through, due, on_time, share = read_health_offers(text)
        self._through("due", through, due)
        self._through("on time", through, on_time)
        self._through("late", through, None)
        self.reading.share(f"on time through {through}", f"due through {through}", share)

    def problems(self) -> list[str]:
        return disclosures(self.reading)


# --- the series -------------------------------------------------------------------------------


def test_twelve_monthly_reports_read_together_give_no_hidden_count_away(plain_charts):
    reader = SeriesReader()
    for month in range(1, 13):
        reader.read(month, html_flat(render.render_html(month_figures(month), min_cell=MIN)))

    assert reader.problems() == []


def test_the_years_repatriations_and_deadlines_stop_where_no_month_is_given_away(plain_charts):
    """Repatriated persons by month: 1 in March, 7 in August, 4 in October.
    Through March "<5"; August 8 (the first exact); October would be 12, only
    4 more: table 7 stays at August. Health offers due 2, 3, 1, 2, 2, 2, 2, 1,
    2, 3, 4, 2: through February (5), May (10), August (15), October (20),
    December (26). The late ones stay below 5 until December, so until then
    on time is a range (February's 5 of 5 would be 1–5, reaching below the
    minimum: the group is hidden) and the share a bound; December's 5 late
    are the first exact count of them."""
    printed = {}
    for month in (3, 8, 10, 12):
        text = html_flat(render.render_html(month_figures(month), min_cell=MIN))
        printed[month] = (read_repatriations(text), read_health_offers(text))

    assert printed == {
        3: ((3, "<5", "<5"), (2, "..", "..", "mindst 20 %")),
        8: ((8, "<5", "8"), (8, "15", "11–15", "mindst 73 %")),
        10: ((8, "<5", "8"), (10, "20", "16–20", "mindst 80 %")),
        12: ((8, "<5", "8"), (12, "26", "21", "81 %")),
    }


def test_the_reader_finds_a_late_deadline_in_year_totals_printed_as_of_each_report():
    """The old rule printed table 8's year as of each report's own day: the
    reader subtracts September's from October's and finds October's 3 due."""
    reader = SeriesReader()
    for month in (9, 10):
        due = sum(HEALTH_DUE[:month])
        reader._through("due", month, str(due) if due >= MIN else f"<{MIN}")

    assert "due 10 = 3 can be worked out" in reader.problems()


def test_the_year_so_far_stops_at_the_last_month_that_gives_no_month_away(plain_charts):
    """The refugees by month are 3, 1, 0, 1, 0, 0, 0, 0, 0, 4, 6, 0. April closes
    a pool (four small months holding 5), so the year runs through April (5)
    until November: May–October hold 4 between them, which no month of its own
    may close; November's 6 closes the pool (15). December's 0 cannot close
    one, so December prints the year through November."""
    printed = {}
    for month in (9, 10, 11, 12):
        text = html_flat(render.render_html(month_figures(month), min_cell=MIN))
        _cell, through, ytd = read_arrivals(text, month, "refugees")
        printed[month] = (through, ytd)

    assert printed == {9: (4, "5"), 10: (4, "5"), 11: (11, "15"), 12: (11, "15")}


def test_a_small_month_of_measurements_is_not_the_difference_of_two_years(plain_charts):
    """October's 3 measurements: table 6.1 of October and November prints the
    year through September (126); no month is hidden to protect it."""
    october = html_flat(render.render_html(month_figures(10), min_cell=MIN))
    rows, through, year = read_measurements(october, 10)

    assert (through, year) == (9, "126")
    assert rows["2026-10"] == "<5"
    assert rows["2026-01"] == "14"


def old_printing(month: int, arrivals=ARRIVALS) -> str:
    """What the rule on main printed in table 2, recreated: the month's count
    ("<5" when small) and the year to date as of the report's own date."""
    a, ytd = arrivals[month - 1], sum(arrivals[:month])
    last_day = calendar.monthrange(YEAR, month)[1]
    return (
        f"Ankomster {MONTHS_DA[month - 1].capitalize()} {YEAR} {YEAR} til og med "
        f"{last_day:02d}-{month:02d}-{YEAR} I alt {'<5' if a < MIN else a} "
        f"{'<5' if ytd < MIN else ytd} "
    )


def read_old_arrivals(text: str, month: int) -> tuple[str, int, str]:
    """Table 2 as the old rule printed it: the total for the month and the year."""
    label = f"{MONTHS_DA[month - 1].capitalize()} {YEAR}"
    found = re.search(
        rf"Ankomster {label} {YEAR} til og med \d\d-(\d\d)-{YEAR} I alt {TOKEN} {TOKEN} ", text
    )
    assert found, label
    return found.group(2), int(found.group(1)), found.group(3)


def test_the_reader_finds_octobers_four_in_the_old_rules_reports():
    """The fixture the old rule leaks on: September 10, October 14, October "<5"."""
    reader = SeriesReader()
    for month in (9, 10):
        cell, through, ytd = read_old_arrivals(old_printing(month), month)
        reader.reading.count(f"arrived {month}", cell)
        reader._through("arrived", through, ytd)

    assert (read_old_arrivals(old_printing(9), 9), read_old_arrivals(old_printing(10), 10)) == (
        ("<5", 9, "10"),
        ("<5", 10, "14"),
    )
    assert "arrived 10 = 4 can be worked out" in reader.problems()


def test_the_reader_finds_a_month_hidden_in_one_report_and_shown_in_another():
    """A count printed "..": one report, and the same count printed in the next."""
    reader = SeriesReader()
    # October's report hid January to protect October's 3 within the report...
    reader.reading.count("measured 2026-01", "..")
    for m in range(2, 10):
        reader.reading.count(f"measured 2026-{m:02d}", "14")
    reader.reading.count("measured 2026-10", "<5")
    # ... and September's showed it.
    reader.reading.count("measured 2026-01", "14")
    reader._through("measured", 10, "129")

    assert "measured 2026-10 = 3 can be worked out" in reader.problems()


# --- previews ---------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "texts"), [
    ("service_review", [f"2026-10-{d:02d}" for d in range(1, 32)]),
    ("monthly", ["2026-10"]),
])  # fmt: skip
def test_every_preview_date_of_a_month_gives_at_most_one_page(
    client_as, secretariat, kind, texts, monkeypatch
):
    """Three previews of October (20, 26 and 28) gave one citizen's scores from
    the partial month of table 5.3. Of all dates in October, only its last day
    is a service review that can be previewed (once it has passed), so a reader
    holds one preview per month, which is what the published series shows."""
    monkeypatch.setattr(timezone, "localdate", lambda: dt.date(2026, 11, 22))
    client = client_as(secretariat)
    allowed = []
    for text in texts:
        url = reverse("evaluation:report_preview", kwargs={"kind": kind, "period": text})
        response = client.get(url)
        assert response.status_code in (200, 400), (text, response.status_code)
        if response.status_code == 200:
            allowed.append(text)

    assert allowed == [texts[-1]]


# --- the secretariat's figures page -----------------------------------------------------------


@pytest.mark.django_db
def test_figures_page_counts_this_year_through_the_month_the_reports_print(
    client_as, secretariat, team_a, caseworker_a, monkeypatch
):
    """Six refugees and five family-reunified arrived in January, two refugees
    in October and one on 3 November. Read on 22 November, the old page printed
    9 refugees (and would print 10 the day after the next arrival). October's 2
    cannot close a month of the series, so the page prints the year through
    January, as the monthly reports do."""
    from integration.models import ResidenceBasis
    from tests.factories import make_case

    monkeypatch.setattr(timezone, "localdate", lambda: dt.date(2026, 11, 22))
    for day in [dt.date(2026, 1, 5)] * 6 + [dt.date(2026, 10, 9)] * 2 + [dt.date(2026, 11, 3)]:
        make_case(team=team_a, caseworker=caseworker_a, arrival=day)
    for _ in range(5):
        make_case(
            team=team_a,
            caseworker=caseworker_a,
            arrival=dt.date(2026, 1, 6),
            residence_basis=ResidenceBasis.FAMILY_REUNIFIED,
        )

    body = client_as(secretariat).get(reverse("evaluation:secretariat_home")).content.decode()
    row = re.search(r"<th scope=\"row\">2026(.*?)</tr>", body, re.S)

    assert row, body
    cells = re.findall(r'<td class="text-end">([^<]*)</td>', row.group(1))
    assert "31-01-2026" in row.group(1) or "31.01.2026" in row.group(1), row.group(1)
    assert cells[:2] == ["6", "5"]


# --- key figures: pooled, bounded, or a range, rather than hidden ------------------------------


def test_the_96_hour_share_is_shown_as_a_bound_with_its_count(plain_charts):
    """28 of 30 adults placed within 96 hours, 2 later: the old rule hid the
    share (2 are fewer than 5). "<5" later allows 26 of 30 = 86.7 %: at least 86 %."""
    figures = monthly_by_hand()
    figures["placement_96h"].update(arrivals=30, within=28, not_placed=0)

    text = html_flat(render.render_html(figures, min_cell=MIN))

    assert "Ankomne voksne i alt 30" in text
    assert "Andel placeret inden for 96 timer mindst 86 %" in text
    assert "Placeret senere end 96 timer <5" in text


@pytest.mark.django_db
def test_the_96_hour_table_covers_the_12_months_up_to_the_report(team_a, caseworker_a):
    """An adult who arrived 10-12-2025 and was placed the next day is in
    November 2026's table 4 (12 months back), not only in 2025's reports."""
    from evaluation.figures import monthly_figures
    from evaluation.period import ReportPeriod
    from tests.factories import make_case, place

    for day in (dt.date(2025, 11, 20), dt.date(2025, 12, 10), dt.date(2026, 3, 2)):
        case = make_case(team=team_a, caseworker=caseworker_a, arrival=day)
        place(case, start=day + dt.timedelta(days=1))

    pl = monthly_figures(ReportPeriod.parse("monthly", "2026-11"))["placement_96h"]

    assert (pl["from"], pl["to"]) == ("2025-12-01", "2026-11-30")
    assert (pl["arrivals"], pl["within"], pl["not_placed"]) == (2, 2, 0)


def review_figures(**changes) -> dict:
    from tests.evaluation.test_reports import review_by_hand

    figures = review_by_hand()
    figures.update(changes)
    return figures


def cohort(year: int, persons: int, employed_now: int, e6: int, e12: int) -> dict:
    return {
        "year": year,
        "persons": persons,
        "count_as_of": employed_now,
        "share_as_of": 0,
        "employed_6m": e6,
        "share_6m": 0,
        "employed_12m": e12,
        "share_12m": 0,
    }


def test_small_cohorts_are_pooled_and_their_shares_shown(plain_charts):
    """The demo's 2013 (6 of 9 employed, 67 %) and 2014 (11 of 15, 73 %) were
    hidden because fewer than 5 were not employed. Pooled, 17 of 24 are
    employed (70.8 -> 71 %) and 7 are not: shown. 2012's 11 persons stand alone;
    its 0 of 11 at 6 months is at most 4 of 11 = 36.4 -> "højst 37 %"."""
    figures = review_figures(
        cohorts=[cohort(2012, 11, 6, 0, 0), cohort(2013, 9, 6, 0, 1), cohort(2014, 15, 11, 0, 1)]
    )

    text = html_flat(render.render_html(figures, min_cell=MIN))

    # One row per arrival year or pool: persons, 6 and 12 months, share and
    # count on the day.
    assert "2012 11 højst 37 % højst 37 % 55 % 6 " in text
    assert "2013–14 24 højst 17 % højst 17 % 71 % 17 " in text
    assert "2013 9" not in text and "2014 15" not in text
    assert "lagt sammen" in text


def test_a_total_that_would_give_its_rows_away_is_hidden_not_the_rows(plain_charts):
    """Six repatriated households, one in each of six rows: every listed row
    holds at least one, so a printed total of 6 made every "<5" a 1."""
    rows = [
        {"year": 2019 + i, "country": "SY", "name": "Syrien", "households": 1, "adults": 1,
         "children": 0}
        for i in range(6)
    ]  # fmt: skip
    text = html_flat(render.render_html(review_figures(repatriations=rows), min_cell=MIN))

    start = text.find("Tabel 4.1.")
    total = re.search(r"I alt (\S+) (\S+) (\S+) (\S+)", text[start:])
    assert total, text[start : start + 400]
    assert total.group(1) not in ("6", "<5")
    assert total.group(1) == ".." or re.fullmatch(r"\d+–\d+", total.group(1))


def test_a_large_count_beside_a_small_one_is_a_range_not_hidden(plain_charts):
    """Refugees in the programme 50 beside 3 family-reunified, 53 in all: the
    old rule hid the 50 to protect the 3. "53 less 0–4" is what the reader
    works out anyway: 49–53."""
    figures = monthly_by_hand(in_programme={"refugees": 50, "family_reunified": 3, "total": 53,
                                            "adults": 40, "children": 13})  # fmt: skip
    # Follow-ups are the adults' (table 8 counts adults only).
    figures["compliance"]["follow_up"]["open_cases"] = 40
    figures["compliance"]["follow_up"]["up_to_date"] = 32
    figures["employed"]["of"] = figures["danish"]["of"] = 40
    figures["ladder_now"] = [
        {"step": s, "label": "", "count": c}
        for s, c in [(1, 10), (2, 6), (3, 5), (4, 7), (5, 7), (6, 5), (None, 0)]
    ]
    figures["ladder_months"][-1]["counts"] = {"1": 10, "2": 6, "3": 5, "4": 7, "5": 7, "6": 5,
                                              "none": 0}  # fmt: skip
    figures["ladder_months"][-1]["total"] = 40

    text = html_flat(render.render_html(figures, min_cell=MIN))

    assert "Flygtninge 49–53" in text
    assert "Familiesammenførte til flygtninge <5" in text


def test_hidden_values_have_their_own_mark_in_tables_and_charts():
    """ ".." is neither "#" (not yet reached), "–" (nothing to count) nor a
    footnote mark; a chart writes it where a hidden bar would stand."""
    from evaluation.pdf.context import service_review_context

    figures = review_figures(cohorts=[cohort(2024, 7, 3, 2, 3)])
    ctx = service_review_context(figures, min_cell=MIN)
    column = ctx["cohorts"]["columns"][0]

    assert str(column["as_of"]) == ".."
    assert ".." not in {"#", "–", "*", "**"}
    import base64

    svg = base64.b64decode(ctx["cohorts"]["chart"].split(",", 1)[1]).decode()
    labels = re.findall(r">([^<>]*)</text>", svg)
    # 2 of 7 at 6 months: at most 4 of 7 = 57.1 -> "højst 58 %"; 3 of 7 at 12
    # months and now: both sides small, hidden.
    marked = [label for label in labels if label.startswith(("højst", "mindst")) or label == ".."]
    assert marked == ["højst 58 %", "..", ".."]
    assert "#" not in labels
