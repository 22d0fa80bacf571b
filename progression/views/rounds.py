"""The caseworker's progression pages: the citizen's rounds, the grid of a round,
and the agreement on a dialogue topic."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from integration import selectors as case_selectors
from integration import services as case_services
from integration.forms import add_service_errors
from integration.models import AccessAction, Case
from progression import charts, selectors, services
from progression.divergence import item_spreads
from progression.forms import GRID_RATERS, RoundGridForm, TopicAgreementForm, score_field_name
from progression.models import ITEM_COUNT, LANGUAGES, OPEN_TOPIC, Questionnaire, Rater, Round


def _item_label(items, number: int) -> str:
    for item in items:
        if item.number == number:
            return str(item)
    return str(number)


def _indices(round_) -> list[dict]:
    """Each rater's index in the raters' order: the value, or too few answers."""
    raters = {m.rater: m for m in round_.measurements.all()} if round_ else {}
    return [
        {
            "label": Rater(r).label,
            "present": r in raters,
            "index": raters[r].index_shown if r in raters else None,
            "too_few": r in raters and raters[r].too_few_answers,
        }
        for r in GRID_RATERS
    ]


def _round_summary(round_) -> dict:
    topics = round_.topics.all()
    return {
        "round": round_,
        "raters": _indices(round_),
        "open_topics": sum(1 for t in topics if t.is_open),
        "agreed": sum(1 for t in topics if t.agreement),
    }


def _agreements(rounds, items, topics=None) -> list[dict]:
    """Every agreed topic, newest round first: what, who, when, the three scores."""
    return [
        {"round": r, "topic": t, "label": _item_label(items, t.item_number)}
        for r in rounds
        for t in (topics if topics is not None else r.topics.all())
        if t.agreement
    ]


def _first_and_latest(rounds, items) -> dict | None:
    """The latest round against the first, item by item, per rater."""
    if len(rounds) < 2:
        return None
    latest, first = rounds[0], rounds[-1]
    first_scores = {m.rater: m.scores() for m in first.measurements.all()}
    latest_scores = {m.rater: m.scores() for m in latest.measurements.all()}
    rows = []
    for n in range(1, ITEM_COUNT + 1):
        cells = []
        for rater in GRID_RATERS:
            a = first_scores.get(rater, {}).get(n)
            b = latest_scores.get(rater, {}).get(n)
            change = b - a if a is not None and b is not None else None
            cells.append({"first": a, "latest": b, "change": change})
        rows.append({"number": n, "label": _item_label(items, n), "cells": cells})
    return {
        "first": first,
        "latest": latest,
        "rows": rows,
        "raters": [Rater(r).label for r in GRID_RATERS],
    }


def _index_table(points) -> list[dict]:
    """One row per date with each rater's index in the raters' order (and the
    citizen's item 13), oldest first."""
    by_date: dict = {}
    for p in points:
        row = by_date.setdefault(
            p.measured_on, {"date": p.measured_on, "cells": {r: None for r in GRID_RATERS}}
        )
        row["cells"][p.rater] = {"index": p.index, "too_few": p.too_few}
        if p.rater == Rater.CITIZEN:
            row["item_13"] = p.item_13
    rows = sorted(by_date.values(), key=lambda r: r["date"])
    for row in rows:
        row["cells"] = [row["cells"][r] for r in GRID_RATERS]
    return rows


@login_required
@permission_required("progression.view_round", raise_exception=True)
def case_progression(request: HttpRequest, case_uuid) -> HttpResponse:
    """The citizen's rounds, the chart with its table, and the open topics."""
    case = case_selectors.get_case_for_user(request.user, case_uuid)
    rounds = selectors.rounds_of_case(case)
    points = selectors.progress_of_case(case)
    case_services.access_log_request(
        request, action=AccessAction.VIEW, citizen=case.citizen, what="progression"
    )
    questionnaire = rounds[0].questionnaire if rounds else selectors.questionnaire_current_or_none()
    items = selectors.items_of(questionnaire) if questionnaire else []
    open_topics = [
        {"round": r, "topic": t, "label": _item_label(items, t.item_number)}
        for r in rounds
        for t in r.topics.all()
        if t.is_open
    ]
    return render(
        request,
        "progression/case_progression.html",
        {
            "case": case,
            "citizen": case.citizen,
            "rounds": [_round_summary(r) for r in rounds],
            "chart": charts.svg_data_uri(charts.progress_svg(points)) if points else "",
            "table": _index_table(points),
            "comparison": _first_and_latest(rounds, items),
            "open_topics": open_topics,
            "agreements": _agreements(rounds, items),
            "raters": [Rater(r).label for r in GRID_RATERS],
            "min_answered": settings.PROGRESSION_MIN_ANSWERED,
            "topic_form": TopicAgreementForm(),
            "can_score": selectors.can_score(request.user, case),
            "languages": LANGUAGES,
        },
    )


def _grid_values(form) -> dict[str, dict[int, int | None]]:
    """The scores typed into the grid so far, by rater and item (None where not a score)."""
    values: dict[str, dict[int, int | None]] = {}
    for rater in GRID_RATERS:
        values[rater] = {}
        for n in range(1, ITEM_COUNT + 1):
            raw = form[score_field_name(rater, n)].value()
            values[rater][n] = int(raw) if str(raw or "").isdigit() and raw not in ("0",) else None
    return values


def _grid_rows(form, questionnaire) -> list[dict]:
    """One row per item with its three inputs, and the difference between them."""
    items = {i.number: i for i in selectors.items_of(questionnaire)}
    spreads = item_spreads(_grid_values(form))
    rows = []
    for n in range(1, ITEM_COUNT + 1):
        item = items.get(n)
        cells = [
            {"field": form[score_field_name(rater, n)], "order": column * ITEM_COUNT + n}
            for column, rater in enumerate(GRID_RATERS)
        ]
        spread = spreads.get(n)
        rows.append(
            {
                "number": n,
                "label": item.text("label") if item else "",
                "question": item.text("question") if item else "",
                # Item 13 from version 2: the caseworker and provider give their own view.
                "staff_question": item.staff_text("question") if item else "",
                "cells": cells,
                "spread": spread,
                "divergent": spread is not None and spread >= settings.PROGRESSION_DIVERGENCE,
            }
        )
    return rows


def _grid_target(
    request: HttpRequest, case_uuid, round_uuid
) -> tuple[Case, Round | None, dict, Questionnaire]:
    """The case, the round (None for a new one), the form's initial values and the version."""
    if round_uuid is not None:
        round_ = selectors.get_round_for_user(request.user, round_uuid, for_edit=True)
        return round_.case, round_, RoundGridForm.initial_for(round_), round_.questionnaire
    if not request.user.has_perm("progression.add_round"):
        raise Http404
    case = case_selectors.get_case_for_user(request.user, case_uuid, for_edit=True)
    questionnaire = selectors.questionnaire_current_or_none()
    if questionnaire is None:
        raise Http404("No questionnaire has been published.")
    initial = {"measured_on": timezone.localdate(), "submission": uuid.uuid4()}
    return case, None, initial, questionnaire


def _saved_message(saved: Round) -> str:
    text = _("The round was saved.")
    topics = saved.topics.filter(OPEN_TOPIC).count()
    if topics:
        text += " " + _("%(n)s items differ by %(d)s or more: talk them over.") % {
            "n": topics,
            "d": settings.PROGRESSION_DIVERGENCE,
        }
    return text


def _confirm(form, round_) -> dict | None:
    """Unanswered items when "Finish" was pressed on a round not yet finished:
    finishing then takes a second, deliberate step that says how many."""
    if round_ is not None and round_.complete:
        return None
    unanswered = form.unanswered()
    total = sum(unanswered.values())
    if not total:
        return None
    return {
        "total": total,
        "cells": len(unanswered) * ITEM_COUNT,
        "raters": [(Rater(r).label, n) for r, n in unanswered.items() if n],
    }


def _topics_of(round_) -> dict:
    """The round's agreed and closed topics, each with its three scores."""
    if round_ is None:
        return {"agreed": [], "closed": []}
    topics = list(round_.topics.select_related("agreed_by"))
    items = selectors.items_of(round_.questionnaire)
    return {
        "agreed": _agreements([round_], items, topics),
        "closed": [t for t in topics if t.closed_reason and not t.agreement],
    }


def _render_grid(request, form, case, round_, questionnaire, confirm=None) -> HttpResponse:
    # The grid names the citizen and shows every rater's scores: a read.
    case_services.access_log_request(
        request,
        action=AccessAction.VIEW,
        citizen=case.citizen,
        what="progression round" if round_ else "new progression round",
    )
    return render(
        request,
        "progression/round_grid.html",
        {
            "form": form,
            "case": case,
            "citizen": case.citizen,
            "round": round_,
            "rows": _grid_rows(form, questionnaire),
            "raters": [(r, Rater(r).label, form.locked.get(r)) for r in GRID_RATERS],
            "indices": _indices(round_),
            "topics": _topics_of(round_),
            "confirm": confirm,
            "min_answered": settings.PROGRESSION_MIN_ANSWERED,
            "threshold": settings.PROGRESSION_DIVERGENCE,
            "questionnaire": questionnaire,
            "languages": LANGUAGES,
            "links": selectors.links_of_round(round_) if round_ else [],
        },
    )


def _grid_save(request, form, case, round_) -> Round:
    d = form.cleaned_data
    return services.round_save(
        actor=request.user,
        case=case,
        measured_on=d["measured_on"],
        scores=form.scores(),
        # Anything but a draft finishes the round (an Enter, an old form's button).
        complete=request.POST.get("action", "finish") != "draft",
        round_=round_,
        version=d.get("version"),
        submission=d.get("submission"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def round_grid(request: HttpRequest, case_uuid=None, round_uuid=None) -> HttpResponse:
    """Enter or correct a whole round: 13 items × 3 raters on one page."""
    case, round_, initial, questionnaire = _grid_target(request, case_uuid, round_uuid)
    locked = RoundGridForm.locked_for(round_) if round_ else {}
    form = RoundGridForm(request.POST or None, initial=initial, locked=locked)
    confirm = None
    if request.method == "POST" and form.is_valid():
        # A post without a button is a finish too, as a form's Enter would be;
        # only "finish_confirmed" (the confirm step's button) and a draft skip it.
        if request.POST.get("action", "finish") not in ("finish_confirmed", "draft"):
            confirm = _confirm(form, round_)
        if confirm is None:
            try:
                saved = _grid_save(request, form, case, round_)
            except (services.ConcurrentEditError, ValidationError) as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _saved_message(saved))
                return redirect("progression:round_edit", round_uuid=saved.uuid)
    return _render_grid(request, form, case, round_, questionnaire, confirm)


@login_required
@require_POST
def topic_agree(request: HttpRequest, round_uuid, item_number: int) -> HttpResponse:
    round_ = selectors.get_round_for_user(request.user, round_uuid, for_edit=True)
    topic = round_.topics.filter(item_number=item_number).first()
    if topic is None:
        raise Http404
    form = TopicAgreementForm(request.POST)
    if form.is_valid():
        services.topic_agree(
            actor=request.user,
            topic=topic,
            agreement=form.cleaned_data["agreement"],
            on=form.cleaned_data["agreed_on"],
        )
        messages.success(request, _("The agreement was recorded."))
    else:
        messages.error(request, _("Write what was agreed and the date."))
    return redirect("progression:case_progression", case_uuid=round_.case.uuid)
