"""The managers' dashboard page."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from evaluation import dashboard as board
from evaluation.forms import DashboardFilterForm
from integration.models import LadderStep, ResidenceBasis


def _initial(filters: board.DashboardFilters) -> dict:
    return {"date_from": filters.start, "date_to": filters.end, "team": "", "basis": ""}


def _cohort_rows(cohorts: list[dict], end: dt.date) -> list[dict]:
    """The cohort table turned round: one row per figure, one cell per arrival year."""
    day = date_format(end, "SHORT_DATE_FORMAT")
    rows = (
        ("persons", _("Persons"), False),
        ("share_6m", _("Employed or self-supporting 6 months after arrival"), True),
        ("share_12m", _("Employed or self-supporting 12 months after arrival"), True),
        ("share_as_of", _("Employed or self-supporting on %(day)s") % {"day": day}, True),
        ("count_as_of", _("Number employed or self-supporting on %(day)s") % {"day": day}, False),
    )
    if not cohorts:
        return []
    return [
        {"label": label, "percent": percent, "cells": [c[key] for c in cohorts]}
        for key, label, percent in rows
    ]


def _cohort_caption(basis: str | None) -> str:
    if basis == ResidenceBasis.FAMILY_REUNIFIED:
        return _("Family reunified aged 18 or over at arrival, by year of arrival")
    if basis == ResidenceBasis.UKRAINE:
        return _("Displaced from Ukraine aged 18 or over at arrival, by year of arrival")
    return _(
        "Refugees aged 18 or over at arrival, by year of arrival, as in the service review "
        "(without family reunified and those displaced from Ukraine)"
    )


def _tables(data: dict, filters: board.DashboardFilters) -> dict:
    """Ready-made rows for the template's tables; months as (ISO month, label)."""

    def month(iso: str) -> dict:
        return {"iso": iso, "label": board.month_label(iso), "short": board.month_label(iso, "N Y")}

    ladder = data["ladder_months"]
    steps = [(str(step.value), step.label) for step in LadderStep]
    steps.append(("none", _("No placement")))
    return {
        # The ladder table runs the other way round: a row per step, a column per month.
        "ladder_columns": [month(row["month"]) for row in ladder],
        "ladder_rows": [
            {"label": label, "counts": [row["counts"][key] for row in ladder]}
            for key, label in steps
        ],
        "ladder_totals": [row["total"] for row in ladder],
        "progression_rows": [{**row, "month": month(row["month"])} for row in data["progression"]],
        "arrival_rows": [
            {"month": month(row["month"]), "n": row["n"]} for row in data["arrivals_by_month"]
        ],
        "cohort_years": [row["year"] for row in data["cohorts"]],
        "cohort_rows": _cohort_rows(data["cohorts"], filters.end),
        "cohort_caption": _cohort_caption(filters.residence_basis),
    }


@login_required
@permission_required("evaluation.view_dashboard", raise_exception=True)
def dashboard(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    teams = board.teams(request.user, today)
    default = board.DashboardFilters.default(today)
    if request.GET:
        form = DashboardFilterForm(request.GET, teams=teams, today=today)
        filters = form.filters() if form.is_valid() else None
    else:
        form = DashboardFilterForm(initial=_initial(default), teams=teams, today=today)
        filters = default
    context = {"form": form, "today": today, "filters": filters}
    if filters is not None:
        data, charts = board.dashboard(request.user, filters, today)
        team_name = next((t["name"] for t in teams if t["id"] == filters.team_id), None)
        context.update(
            data=data,
            charts=charts,
            start=filters.start,
            end=filters.end,
            team_name=team_name,
            basis_label=ResidenceBasis(filters.residence_basis).label
            if filters.residence_basis
            else None,
            period_text=_("%(start)s to %(end)s")
            % {
                "start": date_format(filters.start, "SHORT_DATE_FORMAT"),
                "end": date_format(filters.end, "SHORT_DATE_FORMAT"),
            },
            **_tables(data, filters),
        )
    return render(request, "evaluation/dashboard.html", context)
