"""Upload pages for the citizen and employment imports.

The upload is checked and previewed; the text waits server-side (an hour at
most; the session holds only its key) until the administrator confirms, and
the confirm runs the whole import again from it.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from common.csv_export import BOM
from common.csvimport import ImportReport
from common.forms import read_upload
from integration import imports, selectors, services
from integration.forms import ImportUploadForm

SESSION_KEY = "integration_pending_import"
PURPOSE = "case import"
WAITING = services.UploadWaiting(purpose=PURPOSE, session_key=SESSION_KEY)


def _render_report(request: HttpRequest, report: ImportReport) -> HttpResponse:
    return render(
        request,
        "integration/import_preview.html",
        {
            **WAITING.preview(user=request.user, report=report),
            "kind_label": imports.ImportKind(report.kind).label,
        },
    )


@login_required
@permission_required("integration.import_data", raise_exception=True)
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    WAITING.drop(session=request.session, user=request.user)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        raw, filename = read_upload(form.cleaned_data["file"])
        kind, team = form.cleaned_data["kind"], form.cleaned_data["team"]
        report = imports.run_import(
            kind, raw, filename=filename, user=request.user, default_team=team, commit=False
        )
        if report.ok:
            meta = {"kind": kind, "filename": filename, "team_id": team.pk if team else None}
            WAITING.keep(session=request.session, user=request.user, raw=raw, meta=meta)
        return _render_report(request, report)
    return render(request, "integration/import_upload.html", {"form": form})


@login_required
@permission_required("integration.import_data", raise_exception=True)
@require_POST
def import_confirm(request: HttpRequest) -> HttpResponse:
    taken = WAITING.take(session=request.session, user=request.user)
    if taken is None:
        messages.error(request, _("There is no checked file waiting; upload it again."))
        return redirect("integration:import_upload")
    pending, text = taken
    team = selectors.team_by_pk(pending["team_id"])
    report = imports.run_import(
        pending["kind"],
        text,
        filename=pending["filename"],
        user=request.user,
        default_team=team,
        commit=True,
    )
    return _render_report(request, report)


@login_required
@require_GET
def import_errors_download(request: HttpRequest) -> HttpResponse:
    """Every error of the user's last refused file, as CSV."""
    kept = services.pending_upload_peek(user=request.user, purpose=services.ERRORS_PURPOSE)
    if kept is None:
        raise Http404
    meta, text = kept
    stem = (meta.get("filename") or "import").rsplit(".", 1)[0][:60]
    response = HttpResponse(BOM + text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"{stem}-errors.csv")
    return response
