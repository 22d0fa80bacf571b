import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from integration.models import AccessAction, AccessLog, LadderStep
from integration.services import ConcurrentEditError
from progression import imports, services
from progression.models import DialogueTopic, Measurement, Questionnaire, Rater, Round
from tests.factories import enrol, make_case, place, replacement_cpr

HEADER = "cpr,date,rater,item,score"
ARRIVAL = dt.date(2023, 1, 10)


def scores_csv(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def rows_for(number: str, day: str, rater: str, scores: dict[int, int]) -> list[str]:
    return [f"{number},{day},{rater},{item},{score}" for item, score in scores.items()]


def write(tmp_path, name: str, content: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return str(path)


def counts() -> tuple[int, ...]:
    return (
        Round.objects.count(),
        Round.history.count(),
        Measurement.objects.count(),
        Measurement.history.count(),
        DialogueTopic.objects.count(),
    )


@pytest.fixture(autouse=True)
def english_messages():
    """Reasons are asserted in English here; the Danish catalogue has its own test."""
    with translation.override("en"):
        yield


@pytest.fixture
def two_cases(questionnaire, team_a, caseworker_a):
    amal = make_case(
        team=team_a,
        caseworker=caseworker_a,
        arrival=ARRIVAL,
        cpr=replacement_cpr(dt.date(1985, 3, 4), female=True),
        first_name="Amal",
    )
    dawit = make_case(
        team=team_a,
        caseworker=caseworker_a,
        arrival=ARRIVAL,
        cpr=replacement_cpr(dt.date(1979, 12, 1), female=False),
        first_name="Dawit",
    )
    return amal, dawit


def good_file(amal, dawit) -> str:
    a, d = amal.citizen.cpr, dawit.citizen.cpr
    return scores_csv(
        # Amal's caseworker: items 1, 2, 3, 7 and 13 -> index (2 + 3 + 4 + 5) / 4 = 3.5
        *rows_for(a, "2024-03-01", "caseworker", {1: 2, 2: 3, 3: 4, 7: 5, 13: 1}),
        # Amal herself, same day: index (3 + 3 + 4 + 4) / 4 = 3.5, item 13 = 4
        *rows_for(a, "2024-03-01", "citizen", {1: 3, 2: 3, 3: 4, 7: 4, 13: 4}),
        # Amal's caseworker again in June: index (3 + 4) / 2 = 3.5
        *rows_for(a, "2024-06-03", "caseworker", {1: 3, 12: 4}),
        # Dawit's caseworker: all 12 index items are 2 -> 2.0, item 13 not answered
        *rows_for(d, "2024-03-01", "caseworker", dict.fromkeys(range(1, 13), 2)),
    )


# --- a good file ----------------------------------------------------------------


@pytest.mark.django_db
def test_good_file_makes_rounds_and_measurements_with_hand_worked_index(two_cases, questionnaire):
    amal, dawit = two_cases

    report = imports.import_measurements(good_file(amal, dawit), filename="m.csv")

    assert report.ok, report.errors
    assert report.written
    assert (report.rows, report.created, report.updated, report.unchanged) == (24, 4, 0, 0)
    assert report.rounds_created == 3
    # One round per citizen and date, with the current questionnaire.
    rounds = Round.objects.order_by("case_id", "measured_on")
    assert [(r.case_id, r.measured_on) for r in rounds] == [
        (amal.pk, dt.date(2024, 3, 1)),
        (amal.pk, dt.date(2024, 6, 3)),
        (dawit.pk, dt.date(2024, 3, 1)),
    ]
    assert all(r.questionnaire == questionnaire and r.complete for r in rounds)

    march = Round.objects.get(case=amal, measured_on=dt.date(2024, 3, 1))
    worker = march.measurements.get(rater=Rater.CASEWORKER)
    assert worker.scores() == {
        1: 2, 2: 3, 3: 4, 4: None, 5: None, 6: None, 7: 5,
        8: None, 9: None, 10: None, 11: None, 12: None, 13: 1,
    }  # fmt: skip
    assert worker.index == pytest.approx(3.5)  # item 13's 1 is left out
    assert worker.answered == 5
    assert worker.measured_on == dt.date(2024, 3, 1)
    assert worker.questionnaire == questionnaire
    assert worker.entered_by is None and not worker.via_link
    citizen = march.measurements.get(rater=Rater.CITIZEN)
    assert citizen.item_13 == 4
    assert citizen.index == pytest.approx(3.5)  # (3 + 3 + 4 + 4) / 4
    june = Measurement.objects.get(round__case=amal, measured_on=dt.date(2024, 6, 3))
    assert june.index == pytest.approx(3.5)  # (3 + 4) / 2
    assert june.answered == 2
    dawits = Measurement.objects.get(round__case=dawit)
    assert dawits.index == pytest.approx(2.0)
    assert dawits.item_13 is None and dawits.answered == 12
    # Every new row has its history row.
    assert Round.history.count() == 3 and Measurement.history.count() == 4


@pytest.mark.django_db
def test_semicolon_bom_and_danish_dates_are_read(two_cases):
    amal, _dawit = two_cases
    text = (
        " CPR ; Date;RATER;Item;Score\r\n"
        f"{amal.citizen.cpr};01-03-2024;Citizen;13;5\r\n"
        f"{amal.citizen.cpr};01-03-2024;citizen;1;2\r\n"
    )

    report = imports.import_measurements(text.encode("utf-8-sig"), filename="m.csv")

    assert report.ok, report.errors
    measurement = Measurement.objects.get()
    assert measurement.measured_on == dt.date(2024, 3, 1)
    assert (measurement.rater, measurement.item_1, measurement.item_13) == ("citizen", 2, 5)
    assert measurement.index == pytest.approx(2.0)


# --- bad files --------------------------------------------------------------------


@pytest.mark.django_db
def test_bad_file_reports_every_bad_row_with_line_column_and_masked_cpr(tmp_path, two_cases):
    amal, _dawit = two_cases
    a = amal.citizen.cpr
    unknown = replacement_cpr(dt.date(1970, 7, 7))
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    text = scores_csv(
        f"{a},2024-03-01,caseworker,1,3",  # 2: fine
        f"{unknown},2024-03-01,caseworker,1,3",  # 3: nobody has this CPR number
        f"{a},2024-03-01,boss,2,3",  # 4: no such rater
        f"{a},2024-03-01,caseworker,14,3",  # 5: item out of range
        f"{a},2024-03-01,caseworker,3,6",  # 6: score out of range
        f"{a},{tomorrow},caseworker,4,3",  # 7: in the future
        f"{a},2024-03-01,caseworker,1,4",  # 8: item 1 again, another score
        f"{a},1.3.2024,caseworker,5,3",  # 9: a date in no known form
        f"{a},2022-12-31,caseworker,5,3",  # 10: before arrival
        f"{a},2024-03-01,caseworker,6,",  # 11: no score
    )
    path = write(tmp_path, "m.csv", text)

    with pytest.raises(CommandError, match="9 error"):
        call_command("import_measurements", path)

    report = imports.import_measurements(text, filename="m.csv")
    assert [(e.line, e.column) for e in report.errors] == [
        (3, "cpr"),
        (4, "rater"),
        (5, "item"),
        (6, "score"),
        (7, "date"),
        (8, "score"),
        (9, "date"),
        (10, "date"),
        (11, "score"),
    ]
    messages = " ".join(str(e) for e in report.errors)
    assert a not in messages and unknown not in messages
    assert f"{unknown[:6]}-xxxx" in str(report.errors[0])
    assert "has the score 3 on line 2" in str(report.errors[5])
    assert f"{a[:6]}-xxxx" in str(report.errors[5])
    assert (report.created, report.updated, report.unchanged) == (0, 0, 0)
    assert not report.written
    assert counts() == (0, 0, 0, 0, 0)
    assert not AccessLog.objects.filter(action=AccessAction.IMPORT).exists()


@pytest.mark.django_db
def test_cli_prints_each_error_on_stderr_with_masked_cpr(tmp_path, capsys, two_cases):
    unknown = replacement_cpr(dt.date(1970, 7, 7))
    path = write(tmp_path, "m.csv", scores_csv(f"{unknown},2024-03-01,citizen,1,3"))

    with pytest.raises(CommandError, match="1 error.*m.csv; nothing was imported"):
        call_command("import_measurements", path)

    err = capsys.readouterr().err
    assert "line 2, column cpr" in err
    assert f"{unknown[:6]}-xxxx" in err and unknown not in err


@pytest.mark.django_db
def test_the_same_score_twice_is_not_an_error(two_cases):
    amal, _dawit = two_cases
    row = f"{amal.citizen.cpr},2024-03-01,citizen,1,3"

    report = imports.import_measurements(scores_csv(row, row))

    assert report.ok, report.errors
    assert Measurement.objects.get().item_1 == 3


@pytest.mark.django_db
def test_missing_column_is_one_error(two_cases):
    report = imports.import_measurements("cpr,date,rater,score\n")
    assert [(e.line, e.column) for e in report.errors] == [(1, "item")]


@pytest.mark.django_db
def test_without_a_published_questionnaire_no_round_can_be_made(two_cases):
    amal, _dawit = two_cases
    Questionnaire.objects.update(status=Questionnaire.Status.DRAFT)

    report = imports.import_measurements(scores_csv(f"{amal.citizen.cpr},2024-03-01,citizen,1,3"))

    assert [(e.line, e.column) for e in report.errors] == [(None, "")]
    assert "No questionnaire has been published" in str(report.errors[0])
    assert Round.objects.count() == 0


# --- importing again ----------------------------------------------------------------


@pytest.mark.django_db
def test_reimport_of_the_same_file_changes_nothing(two_cases):
    amal, dawit = two_cases
    text = good_file(amal, dawit)
    imports.import_measurements(text, filename="m.csv")
    before = counts()

    report = imports.import_measurements(text, filename="m.csv")

    assert report.ok, report.errors
    assert (report.created, report.updated, report.unchanged) == (0, 0, 4)
    assert report.rounds_created == 0
    assert counts() == before


@pytest.mark.django_db
def test_a_changed_score_updates_the_measurement(two_cases):
    amal, dawit = two_cases
    imports.import_measurements(good_file(amal, dawit), filename="m.csv")
    before = counts()
    # Amal's caseworker in March again, item 2 now 5 and item 3 left out.
    text = scores_csv(
        *rows_for(amal.citizen.cpr, "2024-03-01", "caseworker", {1: 2, 2: 5, 7: 5, 13: 1})
    )

    report = imports.import_measurements(text, filename="m2.csv")

    assert report.ok, report.errors
    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    worker = Measurement.objects.get(round__case=amal, measured_on=dt.date(2024, 3, 1),
                                     rater=Rater.CASEWORKER)  # fmt: skip
    assert (worker.item_2, worker.item_3) == (5, None)
    assert worker.index == pytest.approx(4.0)  # (2 + 5 + 5) / 3
    assert worker.answered == 4
    assert worker.history.count() == 2
    rounds, round_history, measurements, measurement_history, _topics = counts()
    assert (rounds, round_history, measurements) == before[:3]
    assert measurement_history == before[3] + 1


@pytest.mark.django_db
def test_a_new_rater_joins_the_existing_round(two_cases):
    amal, dawit = two_cases
    imports.import_measurements(good_file(amal, dawit), filename="m.csv")

    report = imports.import_measurements(
        scores_csv(f"{dawit.citizen.cpr},01-03-2024,citizen,13,3"), filename="m2.csv"
    )

    assert (report.created, report.rounds_created) == (1, 0)
    assert Round.objects.get(case=dawit).measurements.count() == 2


@pytest.mark.django_db
def test_a_grid_opened_before_an_import_cannot_save_over_the_imported_scores(two_cases):
    amal, dawit = two_cases
    imports.import_measurements(good_file(amal, dawit), filename="m.csv")
    round_ = Round.objects.get(case=dawit)
    opened_at = round_.version  # the caseworker opens the grid

    imports.import_measurements(
        scores_csv(f"{dawit.citizen.cpr},01-03-2024,citizen,13,3"), filename="m2.csv"
    )

    with pytest.raises(ConcurrentEditError):
        services.round_save(
            actor=None,
            case=dawit,
            measured_on=round_.measured_on,
            scores={},
            complete=True,
            round_=round_,
            version=opened_at,
        )
    citizen = Measurement.objects.get(round=round_, rater=Rater.CITIZEN)
    assert citizen.item_13 == 3


# --- what follows a write -------------------------------------------------------------


@pytest.mark.django_db
def test_divergent_items_become_open_dialogue_topics(two_cases):
    amal, _dawit = two_cases
    a = amal.citizen.cpr
    text = scores_csv(
        # item 4: 2 against 5 (3 apart), item 5: 3 against 4 (1 apart), item 6: 1 against 3
        *rows_for(a, "2024-03-01", "caseworker", {4: 2, 5: 3, 6: 1}),
        *rows_for(a, "2024-03-01", "citizen", {4: 5, 5: 4, 6: 3}),
    )

    imports.import_measurements(text, filename="m.csv")

    topics = DialogueTopic.objects.filter(round__case=amal)
    assert sorted((t.item_number, t.spread, t.is_open) for t in topics) == [
        (4, 3, True),
        (6, 2, True),
    ]
    amal.refresh_from_db()
    assert amal.open_topics == 2

    # The citizen's item 4 is corrected to 3: item 4 no longer diverges.
    imports.import_measurements(
        scores_csv(*rows_for(a, "2024-03-01", "citizen", {4: 3, 5: 4, 6: 3})), filename="m2.csv"
    )
    # Item 4's topic is closed with that reason, not deleted.
    assert sorted((t.item_number, t.is_open, t.closed_reason) for t in topics.all()) == [
        (4, False, DialogueTopic.Closed.RESOLVED),
        (6, True, ""),
    ]
    amal.refresh_from_db()
    assert amal.open_topics == 1


@pytest.mark.django_db
def test_import_writes_one_access_log_row_per_citizen(tmp_path, capsys, two_cases):
    amal, dawit = two_cases
    path = write(tmp_path, "maalinger.csv", good_file(amal, dawit))

    call_command("import_measurements", path)

    assert "24 rows, 4 measurements: 4 created, 0 updated, 0 unchanged" in capsys.readouterr().out
    logged = AccessLog.objects.filter(action=AccessAction.IMPORT)
    assert sorted(logged.values_list("citizen_id", flat=True)) == sorted(
        [amal.citizen_id, dawit.citizen_id]
    )
    assert all(row.user_id is None for row in logged)
    assert set(logged.values_list("what", flat=True)) == {"measurement import maalinger.csv"}


@pytest.mark.django_db
def test_cli_dry_run_writes_nothing(tmp_path, capsys, two_cases):
    amal, dawit = two_cases
    path = write(tmp_path, "m.csv", good_file(amal, dawit))

    call_command("import_measurements", path, "--dry-run")

    assert "Checked only, nothing written: 24 rows" in capsys.readouterr().out
    assert counts() == (0, 0, 0, 0, 0)
    assert not AccessLog.objects.filter(action=AccessAction.IMPORT).exists()


@pytest.mark.django_db
def test_provider_measurement_gets_the_citizens_only_provider(two_cases, provider_org):
    amal, dawit = two_cases
    place(amal, step=LadderStep.INTERNSHIP_PRIVATE, provider=provider_org,
          start=dt.date(2024, 1, 1))  # fmt: skip
    # Dawit has an internship and a Danish course: two organisations, so neither.
    place(dawit, step=LadderStep.INTERNSHIP_PRIVATE, provider=provider_org,
          start=dt.date(2024, 1, 1))  # fmt: skip
    school = type(provider_org).objects.create(name="Sprogcenter", kind="language_school")
    enrol(dawit, provider=school, start=dt.date(2024, 2, 1))
    text = scores_csv(
        f"{amal.citizen.cpr},2024-03-01,provider,1,3",
        f"{amal.citizen.cpr},2023-12-01,provider,1,3",  # before the placement
        f"{dawit.citizen.cpr},2024-03-01,provider,1,3",
    )

    imports.import_measurements(text)

    providers = {
        (m.round.case_id, m.measured_on): m.provider_id
        for m in Measurement.objects.select_related("round")
    }
    assert providers == {
        (amal.pk, dt.date(2024, 3, 1)): provider_org.pk,
        (amal.pk, dt.date(2023, 12, 1)): None,
        (dawit.pk, dt.date(2024, 3, 1)): None,
    }


@pytest.mark.django_db
def test_checking_a_file_costs_no_query_per_row(team_a, questionnaire):
    def queries_for(n: int) -> int:
        cases = [make_case(team=team_a, arrival=ARRIVAL) for _ in range(n)]
        rows = []
        for case in cases:
            for day in ("2024-03-01", "2024-06-01"):
                rows += rows_for(case.citizen.cpr, day, "caseworker", {1: 3, 2: 4, 13: 2})
        with CaptureQueriesContext(connection) as ctx:
            report = imports.import_measurements(scores_csv(*rows), commit=False)
        assert report.ok, report.errors
        assert report.created == 2 * n
        return len(ctx.captured_queries)

    # cases by CPR; their rounds; their measurements; the current questionnaire
    assert queries_for(2) == queries_for(30) == 4


@pytest.mark.django_db
def test_topics_keep_their_history_and_each_case_its_open_count(two_cases, administrator):
    amal, dawit = two_cases
    a, d = amal.citizen.cpr, dawit.citizen.cpr
    text = scores_csv(
        # Amal: items 4 (2 vs 5) and 6 (1 vs 3) diverge; Dawit: item 1 (1 vs 5).
        *rows_for(a, "2024-03-01", "caseworker", {4: 2, 5: 3, 6: 1}),
        *rows_for(a, "2024-03-01", "citizen", {4: 5, 5: 4, 6: 3}),
        *rows_for(d, "2024-03-01", "caseworker", {1: 1}),
        *rows_for(d, "2024-03-01", "citizen", {1: 5}),
    )
    imports.import_measurements(text, filename="m.csv", user=administrator)
    topic_6 = DialogueTopic.objects.get(round__case=amal, item_number=6)
    assert [(t.history_type, t.history_user_id) for t in topic_6.history.all()] == [
        ("+", administrator.pk)
    ]
    amal.refresh_from_db()
    dawit.refresh_from_db()
    assert (amal.open_topics, dawit.open_topics) == (2, 1)

    # Amal's item 4 now agrees (5 vs 5) and item 6 diverges further (1 vs 4).
    imports.import_measurements(
        scores_csv(*rows_for(a, "2024-03-01", "citizen", {4: 2, 5: 4, 6: 4})),
        filename="m2.csv",
        user=administrator,
    )

    topic_4_history = DialogueTopic.history.filter(item_number=4).order_by("history_id")
    assert [
        (h.history_type, h.spread, h.closed_reason, h.history_user_id) for h in topic_4_history
    ] == [
        ("+", 3, "", administrator.pk),
        ("~", 3, DialogueTopic.Closed.RESOLVED, administrator.pk),
    ]
    assert [(h.history_type, h.spread) for h in topic_6.history.order_by("history_id")] == [
        ("+", 2),
        ("~", 3),
    ]
    amal.refresh_from_db()
    dawit.refresh_from_db()
    assert (amal.open_topics, dawit.open_topics) == (1, 1)
