"""Upload pages for the citizen and employment imports.

The upload is checked and previewed; the text waits server-side (an hour at
most; the session holds only its key) until the administrator confirms, and
the confirm runs the whole import again from it.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from common.checked_upload import CheckedUpload
from common.csv_export import BOM
from common.csvimport import ImportReport
from integration import imports, selectors, services
from integration.forms import ImportUploadForm
from integration.models import User

SESSION_KEY = "integration_pending_import"
PURPOSE = "case import"
WAITING = services.UploadWaiting(purpose=PURPOSE, session_key=SESSION_KEY)


def _meta(cleaned: dict) -> dict:
    team = cleaned["team"]
    return {"kind": cleaned["kind"], "team_id": team.pk if team else None}


def _run(text: bytes | str, meta: dict, *, user: User, commit: bool) -> ImportReport:
    """The import of the file's kind (the form offers both), from the values it waits with."""
    options = {"filename": meta["filename"], "user": user, "commit": commit}
    if meta["kind"] == imports.ImportKind.EMPLOYMENT:
        return imports.import_employment(text, **options)
    team = selectors.team_by_pk(meta["team_id"])
    return imports.import_citizens(text, default_team=team, **options)


def _render_report(request: HttpRequest, report: ImportReport, meta: dict) -> HttpResponse:
    return render(
        request,
        "integration/import_preview.html",
        {
            **WAITING.preview(user=request.user, report=report),
            "kind_label": imports.ImportKind(report.kind).label,
        },
    )


UPLOAD = CheckedUpload(
    waiting=WAITING,
    form_class=ImportUploadForm,
    template="integration/import_upload.html",
    upload_url="integration:import_upload",
    permission="integration.import_data",
    meta=_meta,
    run=_run,
    show=_render_report,
)
import_upload, import_confirm = UPLOAD.views()


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
