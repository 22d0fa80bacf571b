"""Any sequence of saves by the three raters and imports on one round leaves
each rater's last deliberate non-empty column intact, and its history
complete (issue 13).

A save is the caseworker's grid (all three columns, one of them changed as
typed), the citizen's link, the provider's own form (opened on what is there)
or an import file. Refused saves change nothing; no topic is ever deleted.
"""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from progression import imports, services
from progression.models import DialogueTopic, Measurement, Rater, Round, Source

RATERS = [Rater.CITIZEN, Rater.CASEWORKER, Rater.PROVIDER]
EMPTY = dict.fromkeys(range(1, 14))

scores_st = st.one_of(
    st.just(EMPTY),
    st.fixed_dictionaries({n: st.one_of(st.none(), st.integers(1, 5)) for n in range(1, 14)}),
    st.fixed_dictionaries({n: st.integers(1, 5) for n in range(1, 14)}),
)
op_st = st.one_of(
    st.tuples(st.just("grid"), st.sampled_from(RATERS), scores_st),
    st.tuples(st.just("link"), st.just(Rater.CITIZEN), scores_st),
    st.tuples(st.just("provider"), st.just(Rater.PROVIDER), scores_st),
    st.tuples(st.just("import"), st.sampled_from(RATERS), scores_st),
)


SOURCES = {
    "grid": Source.GRID,
    "link": Source.LINK,
    "provider": Source.PROVIDER,
    "import": Source.IMPORT,
}


class Rollback(Exception):
    pass


def _stored(round_) -> dict[str, Measurement]:
    return {m.rater: m for m in Measurement.objects.filter(round=round_)}


def _import(case, day, rater, scores) -> None:
    rows = [f"{case.citizen.cpr},{day.isoformat()},{rater},{n},{s}" for n, s in scores.items() if s]
    text = "\n".join(["cpr,date,rater,item,score", *rows]) + "\n"
    result = imports.import_measurements(text, filename="p.csv")
    assert not result.errors, result.errors


def _apply(op, *, round_, case, day, caseworker, provider) -> bool:
    """Run one save; True when it was accepted, False when refused."""
    kind, rater, scores = op
    try:
        if kind == "grid":
            stored = _stored(round_)
            columns = {r: stored[r].scores() if r in stored else EMPTY for r in RATERS}
            columns[rater] = scores
            round_.refresh_from_db()
            services.round_save(
                actor=caseworker,
                case=case,
                measured_on=day,
                scores=columns,
                complete=False,
                round_=round_,
                version=round_.version,
            )
        elif kind == "link":
            _link, token = services.citizen_link_create(
                actor=caseworker, round_=round_, language="ar"
            )
            services.citizen_link_answer(token=token, scores=scores)
        elif kind == "provider":
            stored = _stored(round_).get(Rater.PROVIDER)
            services.provider_scores_save(
                actor=provider,
                case=case,
                measured_on=day,
                scores=scores,
                shown=stored.scores() if stored else None,
            )
        else:
            if not any(scores.values()):
                return False  # a file cannot say "nothing": there is no row to import
            _import(case, day, rater, scores)
    except ValidationError:
        return False
    return True


def _expect(op, expected, sources) -> bool:
    """Whether the rules accept ``op`` against the model's state."""
    kind, rater, scores = op
    empty = not any(v is not None for v in scores.values())
    if kind == "grid":
        if empty:
            return rater not in expected
        own = sources.get(rater) in (Source.LINK, Source.PROVIDER)
        return not own or expected.get(rater) == scores
    return not empty


def _versions(measurement) -> list[dict]:
    """The distinct successive scores in a measurement's history, oldest first."""
    states: list[dict] = []
    for row in measurement.history.order_by("history_id"):
        scores = row.instance.scores()
        if not states or states[-1] != scores:
            states.append(scores)
    return states


@pytest.mark.slow
@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(ops=st.lists(op_st, min_size=1, max_size=10))
def test_every_rater_keeps_its_last_deliberate_column_and_its_history(
    ops, questionnaire, case_a, caseworker_a, provider_user
):
    day = timezone.localdate() - dt.timedelta(days=1)
    try:
        with transaction.atomic():
            start = {n: 3 for n in range(1, 14)}
            round_ = services.round_save(
                actor=caseworker_a,
                case=case_a,
                measured_on=day,
                scores={Rater.CASEWORKER: start},
                complete=False,
            )
            expected = {Rater.CASEWORKER: start}
            sources = {Rater.CASEWORKER: Source.GRID}
            history = {Rater.CASEWORKER: [start]}
            topics = 0
            for op in ops:
                kind, rater, scores = op
                accepted = _apply(
                    op,
                    round_=round_,
                    case=case_a,
                    day=day,
                    caseworker=caseworker_a,
                    provider=provider_user,
                )
                assert accepted == _expect(op, expected, sources), op
                if accepted and any(v is not None for v in scores.values()):
                    if expected.get(rater) != scores:  # an unchanged save writes nothing
                        expected[rater] = dict(scores)
                        sources[rater] = SOURCES[kind]
                        history.setdefault(rater, []).append(dict(scores))
                stored = _stored(round_)
                assert {r: m.scores() for r, m in stored.items()} == expected
                assert {r: _versions(m) for r, m in stored.items()} == history
                now = DialogueTopic.objects.filter(round=round_).count()
                assert now >= topics  # a topic is closed, never deleted
                topics = now
            assert Round.objects.filter(case=case_a).count() == 1
            raise Rollback
    except Rollback:
        pass
