"""A citizen's own record (indsigt), exported by an administrator on request."""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from common import cpr
from integration import record, selectors, services
from integration.models import AccessAction, Case, Citizen


def _record(request: HttpRequest, citizen_uuid: UUID, kind: str) -> tuple[Citizen, dict]:
    citizen = selectors.get_citizen_for_access_log(request.user, citizen_uuid)
    if not Case.objects.filter(citizen=citizen).exists():
        raise Http404
    # Logged before the record is read, so that it shows its own export.
    services.access_log_request(
        request, action=AccessAction.EXPORT, citizen=citizen, what=f"citizen record ({kind})"
    )
    return citizen, record.citizen_record(citizen=citizen, exported_by=request.user)


def _download(content: bytes, content_type: str, citizen: Citizen, extension: str):
    birth_digits = cpr.masked(citizen.cpr).split("-")[0] if citizen.cpr else "anonymiseret"
    filename = f"indsigt-{birth_digits}-{timezone.localdate():%Y-%m-%d}.{extension}"
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# Each file of the record: what makes it from the record's data, and its type.
FORMATS = {
    "json": (record.record_json, "application/json"),
    "pdf": (record.record_pdf, "application/pdf"),
}


@login_required
@permission_required("integration.view_accesslog", raise_exception=True)
@require_GET
def record_export(request: HttpRequest, citizen_uuid: UUID, kind: str) -> HttpResponse:
    """The citizen's whole record as ``kind`` (the URL conf names one per format)."""
    make, content_type = FORMATS[kind]
    citizen, data = _record(request, citizen_uuid, kind.upper())
    return _download(make(data), content_type, citizen, kind)
