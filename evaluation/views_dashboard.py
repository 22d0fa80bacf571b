"""The managers' dashboard page."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common import dates
from evaluation import dashboard as board
from integration.models import LadderStep, ResidenceBasis

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DashboardFilterForm(forms.Form):
    # Left empty, a date is the default period's: the last 12 months.
    date_from = forms.DateField(label=gettext_lazy("From"), widget=DATE_WIDGET, required=False)
    date_to = forms.DateField(label=gettext_lazy("To"), widget=DATE_WIDGET, required=False)
    team = forms.TypedChoiceField(
        label=gettext_lazy("Team"), coerce=int, required=False, empty_value=None
    )
    basis = forms.ChoiceField(
        label=gettext_lazy("Residence basis"),
        required=False,
        choices=[("", gettext_lazy("All")), *ResidenceBasis.choices],
    )

    def __init__(self, *args, teams: list[dict], today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["team"].choices = [
            ("", _("All teams")),
            *[(t["id"], t["name"]) for t in teams],
        ]
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs["class"] = css

    def full_clean(self):
        super().full_clean()
        # Point each field with an error at its message (the template gives it
        # the id "<name>-error"), for screen readers.
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["aria-describedby"] = f"{name}-error"
                attrs["class"] += " is-invalid"

    def clean(self):
        data = super().clean()
        default = board.DashboardFilters.default(self.today)
        if "date_from" in data and data["date_from"] is None:
            data["date_from"] = default.start
        if "date_to" in data and data["date_to"] is None:
            data["date_to"] = default.end
        start, end = data.get("date_from"), data.get("date_to")
        if end and end > self.today:
            self.add_error("date_to", _("The period cannot end after today."))
        elif start and end and start > end:
            self.add_error("date_from", _("The start must be on or before the end."))
        elif start and end and dates.month_count(start, end) > board.MAX_MONTHS:
            self.add_error(
                "date_from",
                _("Choose a period of at most %(months)d months.") % {"months": board.MAX_MONTHS},
            )
        return data

    def filters(self) -> board.DashboardFilters:
        d = self.cleaned_data
        return board.DashboardFilters(
            start=d["date_from"],
            end=d["date_to"],
            team_id=d["team"],
            residence_basis=d["basis"] or None,
        )


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
    return _("Refugees aged 18 or over at arrival, by year of arrival, as in the service review")


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
