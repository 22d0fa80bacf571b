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
from common.csvimport import ImportReport, decode
from integration import imports, selectors, services
from integration.forms import ImportUploadForm

SESSION_KEY = "integration_pending_import"
PURPOSE = "case import"


def _render_report(request: HttpRequest, report: ImportReport) -> HttpResponse:
    return render(
        request,
        "integration/import_preview.html",
        {
            "report": report,
            "kind_label": imports.ImportKind(report.kind).label,
            "can_confirm": report.ok and not report.written,
            "errors_url": services.import_errors_url(user=request.user, report=report),
        },
    )


@login_required
@permission_required("integration.import_data", raise_exception=True)
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    # A new upload, or coming back to this page, drops any file left waiting.
    request.session.pop(SESSION_KEY, None)
    services.pending_upload_drop(user=request.user, purpose=PURPOSE)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        team = form.cleaned_data["team"]
        kind = form.cleaned_data["kind"]
        raw = upload.read()
        filename = upload.name[:100]
        report = imports.run_import(
            kind, raw, filename=filename, user=request.user, default_team=team, commit=False
        )
        if report.ok:
            meta = {"kind": kind, "filename": filename, "team_id": team.pk if team else None}
            request.session[SESSION_KEY] = services.pending_upload_put(
                user=request.user, purpose=PURPOSE, meta=meta, text=decode(raw)
            )
        return _render_report(request, report)
    return render(request, "integration/import_upload.html", {"form": form})


@login_required
@permission_required("integration.import_data", raise_exception=True)
@require_POST
def import_confirm(request: HttpRequest) -> HttpResponse:
    taken = services.pending_upload_take(
        user=request.user, purpose=PURPOSE, key=request.session.pop(SESSION_KEY, None)
    )
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
