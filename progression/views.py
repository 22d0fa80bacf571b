"""The caseworker's progression pages and the provider's scoring page."""

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
from integration.models import AccessAction
from integration.services import ConcurrentEditError
from progression import charts, selectors, services
from progression.divergence import item_spreads
from progression.forms import (
    GRID_RATERS,
    ProviderScoreForm,
    RoundGridForm,
    TopicAgreementForm,
    score_field_name,
)
from progression.models import ITEM_COUNT, LANGUAGES, Questionnaire, Rater


@login_required
@permission_required("progression.view_round", raise_exception=True)
def case_progression(request: HttpRequest, case_uuid) -> HttpResponse:
    """The citizen's rounds, the chart with its table, and the open topics."""
    case = case_selectors.get_case_for_user(request.user, case_uuid)
    rounds = selectors.rounds_of_case(case)
    points = selectors.progress_of_case(case)
    case_services.access_log_write(
        user=request.user,
        action=AccessAction.VIEW,
        citizen=case.citizen,
        what="progression",
        path=request.path,
    )
    by_date: dict = {}
    for p in points:
        row = by_date.setdefault(p.measured_on, {"date": p.measured_on})
        row[p.rater] = p.index
        if p.rater == Rater.CITIZEN:
            row["item_13"] = p.item_13
    questionnaire = rounds[0].questionnaire if rounds else _current_or_none()
    items = selectors.items_of(questionnaire) if questionnaire else []
    return render(
        request,
        "progression/case_progression.html",
        {
            "case": case,
            "citizen": case.citizen,
            "rounds": [_round_summary(r) for r in rounds],
            "chart": charts.svg_data_uri(charts.progress_svg(points)) if points else "",
            "table": sorted(by_date.values(), key=lambda r: r["date"]),
            "comparison": _first_and_latest(rounds, items),
            "open_topics": [
                {"round": r, "topic": t, "label": _item_label(items, t.item_number)}
                for r in rounds
                for t in r.topics.all()
                if t.is_open
            ],
            "topic_form": TopicAgreementForm(),
            "can_score": selectors.can_score(request.user, case),
            "languages": LANGUAGES,
        },
    )


def _current_or_none() -> Questionnaire | None:
    try:
        return services.questionnaire_current()
    except Questionnaire.DoesNotExist:
        return None


def _item_label(items, number: int) -> str:
    for item in items:
        if item.number == number:
            return str(item)
    return str(number)


def _round_summary(round_) -> dict:
    raters = {m.rater: m for m in round_.measurements.all()}
    return {
        "round": round_,
        "raters": [
            (Rater(r).label, raters[r].index if r in raters else None, r in raters)
            for r in GRID_RATERS
        ],
        "open_topics": sum(1 for t in round_.topics.all() if t.is_open),
        "topics": len(round_.topics.all()),
    }


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


@login_required
@require_http_methods(["GET", "POST"])
def round_grid(request: HttpRequest, case_uuid=None, round_uuid=None) -> HttpResponse:
    """Enter or correct a whole round: 13 items × 3 raters on one page."""
    if round_uuid is not None:
        round_ = selectors.get_round_for_user(request.user, round_uuid, for_edit=True)
        case = round_.case
        initial = RoundGridForm.initial_for(round_)
        questionnaire = round_.questionnaire
    else:
        if not request.user.has_perm("progression.add_round"):
            raise Http404
        case = case_selectors.get_case_for_user(request.user, case_uuid, for_edit=True)
        round_ = None
        initial = {"measured_on": timezone.localdate(), "submission": uuid.uuid4()}
        questionnaire = _current_or_none()
        if questionnaire is None:
            raise Http404("No questionnaire has been published.")
    form = RoundGridForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            saved = services.round_save(
                actor=request.user,
                case=case,
                measured_on=d["measured_on"],
                scores=form.scores(),
                complete=request.POST.get("action") != "draft",
                round_=round_,
                version=d.get("version"),
                submission=d.get("submission"),
            )
        except ConcurrentEditError as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.error_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc)
        else:
            topics = saved.topics.filter(agreement="").count()
            text = _("The round was saved.")
            if topics:
                text += " " + _("%(n)s items differ by %(d)s or more: talk them over.") % {
                    "n": topics,
                    "d": settings.PROGRESSION_DIVERGENCE,
                }
            messages.success(request, text)
            return redirect("progression:round_edit", round_uuid=saved.uuid)
    rows = _grid_rows(form, questionnaire)
    return render(
        request,
        "progression/round_grid.html",
        {
            "form": form,
            "case": case,
            "citizen": case.citizen,
            "round": round_,
            "rows": rows,
            "raters": [(r, Rater(r).label) for r in GRID_RATERS],
            "threshold": settings.PROGRESSION_DIVERGENCE,
            "questionnaire": questionnaire,
            "languages": LANGUAGES,
            "links": selectors.links_of_round(round_) if round_ else [],
        },
    )


def _grid_rows(form, questionnaire) -> list[dict]:
    """One row per item with its three inputs, and the difference between them."""
    items = {i.number: i for i in selectors.items_of(questionnaire)}
    rows = []
    values = {}
    for rater in GRID_RATERS:
        values[rater] = {}
        for n in range(1, ITEM_COUNT + 1):
            raw = form[score_field_name(rater, n)].value()
            values[rater][n] = int(raw) if str(raw or "").isdigit() and raw not in ("0",) else None
    spreads = item_spreads(values)
    for n in range(1, ITEM_COUNT + 1):
        item = items.get(n)
        cells = []
        for column, rater in enumerate(GRID_RATERS):
            cells.append(
                {"field": form[score_field_name(rater, n)], "order": column * ITEM_COUNT + n}
            )
        spread = spreads.get(n)
        rows.append(
            {
                "number": n,
                "label": item.text("label") if item else "",
                "question": item.text("question") if item else "",
                "cells": cells,
                "spread": spread,
                "divergent": spread is not None and spread >= settings.PROGRESSION_DIVERGENCE,
            }
        )
    return rows


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


@login_required
@permission_required("progression.score_as_provider", raise_exception=True)
@require_http_methods(["GET", "POST"])
def provider_score(request: HttpRequest, citizen_uuid) -> HttpResponse:
    """A provider scores a referred citizen; the page shows the name and nothing else."""
    citizen = case_selectors.get_referred_citizen(request.user, citizen_uuid)
    questionnaire = _current_or_none()
    if questionnaire is None:
        raise Http404("No questionnaire has been published.")
    form = ProviderScoreForm(request.POST or None, initial={"measured_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        from integration.models import Case

        case = Case.objects.get(citizen=citizen)
        try:
            services.provider_scores_save(
                actor=request.user,
                case=case,
                measured_on=form.cleaned_data["measured_on"],
                scores=form.scores()[Rater.PROVIDER],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Your scores were saved. Thank you."))
            return redirect("integration:provider_home")
    case_services.access_log_write(
        user=request.user,
        action=AccessAction.VIEW,
        citizen=citizen,
        what="provider scoring",
        path=request.path,
    )
    items = selectors.items_of(questionnaire)
    rows = [
        {
            "number": item.number,
            "label": item.text("label"),
            "question": item.text("question"),
            "scale": item.text("scale"),
            "field": form[score_field_name(Rater.PROVIDER, item.number)],
        }
        for item in items
    ]
    return render(
        request,
        "progression/provider_score.html",
        {
            "form": form,
            "name": f"{citizen.first_name} {citizen.last_name}",
            "rows": rows,
        },
    )
