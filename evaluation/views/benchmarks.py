"""Benchmark figures (list and upload) and the year's expected arrivals.

The upload is checked and previewed; the text waits server-side (the session
holds only its key, for an hour at most) until the
administrator confirms, and the confirm runs the whole import again from it,
as the citizen import does.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from common.checked_upload import CheckedUpload
from common.csvimport import ImportReport
from evaluation import benchmarks, selectors, services
from evaluation.forms import BenchmarkUploadForm, QuotaFormSet
from evaluation.models import (
    BenchmarkIndicator,
    BenchmarkPeriodKind,
    BenchmarkRole,
    BenchmarkSource,
)
from integration import services as case_services
from integration.models import User

SESSION_KEY = "evaluation_pending_benchmarks"
PURPOSE = "benchmark import"
WAITING = case_services.UploadWaiting(purpose=PURPOSE, session_key=SESSION_KEY)


# --- list ---------------------------------------------------------------------------


def _decimals(value: Decimal) -> int:
    """The decimals a stored value needs: 35.20 needs 1, 40.00 none."""
    return max(0, -value.normalize().as_tuple().exponent)


def _shown_value(value: Decimal, decimals: int) -> str:
    """The value in the active language's number format ("35,2" in Danish)."""
    return formats.number_format(value, decimal_pos=decimals)


def _municipality_order(roles: dict[str, str]) -> list[dict]:
    """Our own municipality first, the neighbours by name, the national figure
    last, each with the role it is stored with."""
    order = {role: i for i, role in enumerate(BenchmarkRole.values)}
    return [
        {"name": name, "role": BenchmarkRole(roles[name]).label}
        for name in sorted(roles, key=lambda n: (order[roles[n]], n.casefold()))
    ]


def _benchmark_groups(rows: list[dict]) -> list[dict]:
    """One table per indicator and source: a row per period, a column per municipality."""
    by_group: dict[tuple[str, str], list[dict]] = {}
    for row in rows:
        by_group.setdefault((row["indicator"], row["source"]), []).append(row)
    indicator_order = {value: i for i, value in enumerate(BenchmarkIndicator.values)}
    groups = []
    for (indicator, source), values in sorted(
        by_group.items(), key=lambda item: (indicator_order.get(item[0][0], 99), item[0][1])
    ):
        municipalities = _municipality_order({v["municipality"]: v["role"] for v in values})
        # One table prints every value with as many decimals as its most precise one.
        decimals = max(_decimals(v["value"]) for v in values)
        cell = {
            (v["period"], v["municipality"]): _shown_value(v["value"], decimals) for v in values
        }
        periods = sorted({v["period"] for v in values})
        kinds = {v["period"]: BenchmarkPeriodKind(v["period_kind"]).label for v in values}
        groups.append(
            {
                "indicator": indicator,
                "label": BenchmarkIndicator(indicator).label
                if indicator in BenchmarkIndicator.values
                else indicator,
                "source": BenchmarkSource(source).label
                if source in BenchmarkSource.values
                else source,
                "downloaded_on": sorted({v["downloaded_on"] for v in values}),
                "municipalities": municipalities,
                "rows": [
                    {
                        "period": p,
                        "kind": kinds[p],
                        "cells": [cell.get((p, m["name"]), "") for m in municipalities],
                    }
                    for p in periods
                ],
            }
        )
    return groups


@login_required
@permission_required("evaluation.view_benchmarkvalue", raise_exception=True)
@require_http_methods(["GET", "HEAD"])
def benchmark_list(request: HttpRequest) -> HttpResponse:
    # Benchmark figures are public statistics about municipalities, never about a person.
    rows = selectors.benchmark_table()
    return render(
        request,
        "evaluation/benchmark_list.html",
        {
            "groups": _benchmark_groups(rows),
            "can_upload": request.user.has_perm("evaluation.add_benchmarkvalue"),
            "can_edit_quotas": request.user.has_perm("evaluation.change_arrivalquota"),
        },
    )


# --- upload -------------------------------------------------------------------------


def _meta(cleaned: dict) -> dict:
    return {"source": cleaned["source"], "downloaded_on": cleaned["downloaded_on"].isoformat()}


def _run(text: bytes | str, meta: dict, *, user: User, commit: bool) -> ImportReport:
    return services.import_benchmarks(
        text,
        source=meta["source"],
        downloaded_on=dt.date.fromisoformat(meta["downloaded_on"]),
        filename=meta["filename"],
        user=user,
        commit=commit,
    )


def _render_report(request: HttpRequest, report: ImportReport, meta: dict) -> HttpResponse:
    return render(
        request,
        "evaluation/benchmark_upload.html",
        {
            **WAITING.preview(user=request.user, report=report),
            "source_label": BenchmarkSource(meta["source"]).label,
            "downloaded_on": dt.date.fromisoformat(meta["downloaded_on"]),
        },
    )


def _upload_context() -> dict:
    return {
        "source_indicators": [
            (BenchmarkSource(source).label, list(indicators))
            for source, indicators in benchmarks.SOURCE_INDICATORS.items()
        ],
        "own_municipality": settings.MUNICIPALITY_NAME,
    }


UPLOAD = CheckedUpload(
    waiting=WAITING,
    form_class=BenchmarkUploadForm,
    template="evaluation/benchmark_upload.html",
    upload_url="evaluation:benchmark_upload",
    permission="evaluation.add_benchmarkvalue",
    meta=_meta,
    run=_run,
    show=_render_report,
    context=_upload_context,
)
benchmark_upload, benchmark_confirm = UPLOAD.views()


# --- expected arrivals --------------------------------------------------------------


@login_required
@permission_required("evaluation.change_arrivalquota", raise_exception=True)
@require_http_methods(["GET", "POST"])
def quota_edit(request: HttpRequest) -> HttpResponse:
    formset = QuotaFormSet(request.POST or None, queryset=selectors.quotas())
    if request.method == "POST" and formset.is_valid():
        changed = [form for form in formset.forms if form.has_changed()]
        for form in changed:
            services.quota_set(
                year=form.cleaned_data["year"], expected=form.cleaned_data["expected"]
            )
        if changed:
            messages.success(request, _("The expected arrivals were saved."))
        return redirect("evaluation:quota_edit")
    return render(request, "evaluation/quota_edit.html", {"formset": formset})
