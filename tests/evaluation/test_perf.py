"""The benchmark's seed and measures at a tiny size (``make bench`` runs them at
1,000 to 100,000 citizens): the data is what the services would have written,
and the measures report what they claim."""

from __future__ import annotations

import pytest
from django.db import connection

from evaluation.perf import targets
from evaluation.perf.measure import Bench, MeasureFailed, compare_summaries
from evaluation.perf.seed import seed
from integration import services
from integration.models import (
    Case,
    Citizen,
    DanishAbsence,
    DanishCourse,
    EmploymentSpell,
    FollowUp,
    HealthAssessment,
    HousingPlacement,
    LadderPlacement,
)
from progression.divergence import divergent_items
from progression.models import DialogueTopic, Measurement, Round

PASSWORD = "bench-test-password"
SEEDED_MODELS = [
    Citizen,
    Case,
    LadderPlacement,
    EmploymentSpell,
    DanishCourse,
    DanishAbsence,
    HealthAssessment,
    FollowUp,
    HousingPlacement,
    Round,
    Measurement,
    DialogueTopic,
]


@pytest.fixture
def seeded(db):
    if connection.vendor != "postgresql":
        pytest.skip("the benchmark seeds PostgreSQL with COPY")
    return seed(citizens=50, password=PASSWORD, seed=3)


def test_seed_fills_derived_columns_as_the_services_would(seeded):
    assert seeded.citizens == Citizen.objects.count() == Case.objects.count() == 50
    assert Round.objects.exists() and Measurement.objects.exists()
    for citizen in Citizen.objects.all():
        stored = (citizen.birth_date, citizen.adult_at_arrival, citizen.horizon_6m)
        citizen.full_clean(exclude=["household"])  # derives them again from CPR and arrival
        assert (citizen.birth_date, citizen.adult_at_arrival, citizen.horizon_6m) == stored
    for case in Case.objects.select_related("citizen"):
        stored = (case.first_placement_on, case.next_deadline, case.next_deadline_kind)
        services.case_refresh_deadlines(case=case)
        assert (case.first_placement_on, case.next_deadline, case.next_deadline_kind) == stored
        open_topics = DialogueTopic.objects.filter(round__case=case, agreement="").count()
        assert case.open_topics == open_topics
    for measurement in Measurement.objects.all():
        stored = (measurement.index, measurement.answered)
        measurement.set_scores(measurement.scores())
        assert (measurement.index, measurement.answered) == stored
    for round_ in Round.objects.prefetch_related("measurements", "topics"):
        scores = {m.rater: m.scores() for m in round_.measurements.all()}
        assert set(divergent_items(scores, 2)) == {t.item_number for t in round_.topics.all()}


def test_seeded_rows_pass_validation_and_point_at_existing_rows(seeded):
    for model in SEEDED_MODELS:
        for row in model.objects.order_by("pk")[:5]:
            row.full_clean()
        for field in model._meta.concrete_fields:
            if field.is_relation:
                dangling = model.objects.filter(**{f"{field.name}__isnull": False}).exclude(
                    **{f"{field.name}__in": field.related_model.objects.values("pk")}
                )
                assert not dangling.exists(), f"{model.__name__}.{field.name}"


def test_page_measures_report_times_and_query_counts(seeded):
    bench = Bench(seeded, requests=3, warmup=1)
    rounds_before = Round.objects.count()
    result = bench.run(["caseload", "grid_post", "provider_list", "dashboard"])
    for name in ("caseload", "grid_post", "provider_list", "dashboard"):
        assert set(result[name]) >= {"p50_ms", "p95_ms", "queries", "n"}
        assert result[name]["n"] == 3
        assert 0 < result[name]["p50_ms"] <= result[name]["p95_ms"]
        assert result[name]["queries"] > 0
    # Every post saved a whole round, one per case.
    assert Round.objects.count() == rounds_before + 4
    assert result["provider_list"]["referrals"] > 0


def test_import_measure_rolls_back_what_it_imported(seeded):
    bench = Bench(seeded, import_rows=60)
    before = (Citizen.objects.count(), EmploymentSpell.objects.count(), Measurement.objects.count())
    result = bench.run(["import_citizens", "import_employment", "import_measurements"])
    assert result["import_citizens"]["created"] == 60
    assert result["import_employment"]["created"] == 60
    # 60 rows: two citizens' 12 caseworker and 13 own scores, and 10 caseworker
    # scores of a third citizen: 5 measurements.
    assert result["import_measurements"]["created"] == 5
    assert all(r["rows_per_s"] > 0 for r in result.values())
    after = (Citizen.objects.count(), EmploymentSpell.objects.count(), Measurement.objects.count())
    assert after == before


def test_database_and_pandas_aggregations_agree(seeded):
    result = Bench(seeded).aggregation(runs=3)
    # aggregation() raises MeasureFailed when the figures differ.
    assert result["agree"] and result["rows"] == Measurement.objects.count()
    assert result["database_seconds"] > 0 and result["ratio"] > 0


def test_a_disagreement_between_database_and_pandas_fails_the_measure():
    ours = {
        "caseworker_measurements": 670,
        "citizen_measurements": 500,
        "caseworker_index_mean": 3.3,
        "citizen_self_assessment_mean": 3.5,
        "caseworker_item_means": {1: 2.6, 7: 3.9},
    }
    compare_summaries(ours, dict(ours))
    with pytest.raises(MeasureFailed, match="caseworker_index_mean"):
        compare_summaries(ours, {**ours, "caseworker_index_mean": 3.3000001})


def _page(p95: float, queries: int = 10) -> dict:
    return {"p50_ms": p95 / 2, "p95_ms": p95, "queries": queries, "n": 30}


def test_targets_miss_a_page_that_grows_more_than_half_from_s_to_l():
    result = {
        "sizes": {
            "S": {"measures": {"caseload": _page(40), "case_page": _page(60)}},
            # 70 / 40 = 1.75 > 1.5; 84 / 60 = 1.4; one more query at L.
            "L": {"measures": {"caseload": _page(70), "case_page": _page(84, queries=11)}},
        }
    }
    verdicts = {(t.size, t.what): t for t in targets.check(result)}
    assert verdicts[("L", "caseload p95")].verdict == "pass"
    assert verdicts[("L", "caseload p95 / S p95")].figure == 1.75
    assert verdicts[("L", "caseload p95 / S p95")].verdict == "MISS"
    assert verdicts[("L", "case_page p95 / S p95")].verdict == "pass"
    assert verdicts[("L", "case_page queries")].verdict == "MISS"
    assert verdicts[("L", "import_citizens")].verdict == "n/a"


def test_ratios_compare_caseload_with_admin_and_pandas_with_database():
    sizes = {
        "S": {
            "measures": {"caseload": _page(30)},
            "admin_changelist": _page(40, queries=8),
            "aggregation": {"database_seconds": 0.05, "pandas_seconds": 1.0, "ratio": 20.0},
        }
    }
    result = {"sizes": sizes, "ratios": targets.ratios(sizes)}
    # Medians 15 ms against 20 ms.
    assert result["ratios"]["caseload_vs_admin"]["S"]["ratio"] == 0.75
    verdicts = {t.what: t.verdict for t in targets.check(result)}
    assert verdicts["caseload p50 / admin change list p50"] == "pass"
    assert verdicts["pandas time / database time"] == "pass"
