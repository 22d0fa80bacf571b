"""``report_selectors.cohort_counts`` works each citizen's flags out once and
counts them per year; here it equals the one-query formulation it replaced
(every count an aggregate over the citizens, each flag a subquery where a
count names it), on a synthetic municipality with every kind of leaving and
employment, on several dates, narrowed and not."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Count, Exists, F, OuterRef, Q
from django.db.models.functions import ExtractYear

from fixtures.bench.seed import seed
from integration import report_selectors as rs
from integration.models import EMPLOYED_OR_SELF_SUPPORTING, EmploymentSpell, ResidenceBasis, Team


def _as_one_query(as_of: dt.date, *, team_id=None, bases=None) -> list[dict]:
    """The counts as one ORM query, as the reports counted them before."""
    qs = rs._citizens(None, team_id=team_id).filter(
        residence_basis__in=bases or rs.cohort_bases(),
        adult_at_arrival=True,
        arrival_date__lte=as_of,
    )
    left = Q(case__closing_reason__in=rs.LEFT_REASONS)

    def employed_on(day):
        return Exists(
            EmploymentSpell.objects.filter(
                Q(case__citizen=OuterRef("pk"), category__in=EMPLOYED_OR_SELF_SUPPORTING)
                & rs._active(day)
            )
        )

    return list(
        qs.annotate(
            year=ExtractYear("arrival_date"),
            e6=employed_on(OuterRef("horizon_6m")),
            e12=employed_on(OuterRef("horizon_12m")),
            ea=rs._employed_on(as_of),
        )
        .values("year")
        .annotate(
            persons=Count("id"),
            reached_6m=Count("id", filter=Q(horizon_6m__lte=as_of)),
            reached_12m=Count("id", filter=Q(horizon_12m__lte=as_of)),
            employed_6m=Count("id", filter=Q(e6=True)),
            employed_12m=Count("id", filter=Q(e12=True)),
            employed_as_of=Count("id", filter=Q(ea=True)),
            left_6m=Count("id", filter=left & Q(case__closed_on__lte=F("horizon_6m"))),
            left_12m=Count("id", filter=left & Q(case__closed_on__lte=F("horizon_12m"))),
            left_as_of=Count("id", filter=left & Q(case__closed_on__lte=as_of)),
            employed_6m_stayed=Count(
                "id", filter=Q(e6=True) & ~(left & Q(case__closed_on__lte=F("horizon_6m")))
            ),
            employed_12m_stayed=Count(
                "id", filter=Q(e12=True) & ~(left & Q(case__closed_on__lte=F("horizon_12m")))
            ),
            employed_as_of_stayed=Count(
                "id", filter=Q(ea=True) & ~(left & Q(case__closed_on__lte=as_of))
            ),
        )
        .order_by("year")
    )


@pytest.mark.django_db
def test_cohort_counts_equal_the_one_query_formulation():
    seed(citizens=400, password="cohorts-1", seed=7, today=dt.date(2026, 11, 30))
    team = Team.objects.order_by("pk").first()
    for as_of in (dt.date(2026, 11, 30), dt.date(2023, 6, 30), dt.date(2019, 1, 31)):
        found = rs.cohort_counts(None, as_of=as_of)
        assert found == _as_one_query(as_of), as_of
        # Plain whole numbers, as the ORM gives them: the figures are stored as JSON.
        assert {type(value) for row in found for value in row.values()} == {int}
        assert rs.cohort_counts(None, as_of=as_of, team_id=team.pk) == _as_one_query(
            as_of, team_id=team.pk
        )
        family = [ResidenceBasis.FAMILY_REUNIFIED]
        assert rs.cohort_counts(
            None, as_of=as_of, residence_basis=ResidenceBasis.FAMILY_REUNIFIED
        ) == _as_one_query(as_of, bases=family)
    # Not a vacuous comparison: people left, and people were employed.
    totals = {key: sum(row[key] for row in found) for key in rs.COHORT_COUNT_KEYS[1:]}
    assert totals["persons"] > 50
    assert totals["left_as_of"] > 0 and totals["employed_as_of"] > 0
