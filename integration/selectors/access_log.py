"""The access log as an administrator reads it."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from integration.models import AccessLog, Citizen, User
from integration.selectors.cases import citizen_search_q

# What the log page and the export show; nothing else leaves the database.
ACCESS_LOG_COLUMNS = (
    "at",
    "username",
    "action",
    "search_term",
    "what",
    "path",
    "citizen",
    "citizen__uuid",
    "citizen__cpr",
    "citizen__first_name",
    "citizen__last_name",
)


def can_read_access_log(user: User) -> bool:
    return user.is_authenticated and user.has_perm("integration.view_accesslog")


def access_log_entries(
    user: User,
    *,
    username: str | None = None,
    username_exact: bool = False,
    citizen: Citizen | None = None,
    action: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet:
    """Access-log rows the user may read, newest first, with the citizen joined.

    ``username`` matches the name stored on the row (it survives a rename),
    exactly or as a case-insensitive part. ``date_from`` and ``date_to`` are
    local calendar days, both inclusive.
    """
    if not can_read_access_log(user):
        return AccessLog.objects.none()
    qs = AccessLog.objects.all()
    if username:
        qs = (
            qs.filter(username=username)
            if username_exact
            else qs.filter(username__icontains=username)
        )
    if citizen is not None:
        qs = qs.filter(citizen=citizen)
    if action:
        qs = qs.filter(action=action)
    local = timezone.get_current_timezone()
    if date_from is not None:
        qs = qs.filter(at__gte=dt.datetime.combine(date_from, dt.time.min, tzinfo=local))
    if date_to is not None:
        next_day = date_to + dt.timedelta(days=1)
        qs = qs.filter(at__lt=dt.datetime.combine(next_day, dt.time.min, tzinfo=local))
    return qs.select_related("citizen").only(*ACCESS_LOG_COLUMNS).order_by("-at", "-id")


def access_log_citizen_uuid(term: str) -> UUID | None:
    """The UUID a citizen term of the log's filter gives, or None for a name or
    a CPR number."""
    try:
        return UUID(term)
    except ValueError:
        return None


def access_log_citizens_matching(user: User, term: str) -> QuerySet[Citizen]:
    """Citizens an access-log reader looks up by UUID, full CPR number or name."""
    term = term.strip()
    if not term or not can_read_access_log(user):
        return Citizen.objects.none()
    qs = Citizen.objects.only("uuid", "cpr", "first_name", "last_name")
    citizen_uuid = access_log_citizen_uuid(term)
    if citizen_uuid is not None:
        return qs.filter(uuid=citizen_uuid)
    return qs.filter(citizen_search_q(term, prefix="")).order_by("last_name", "first_name", "id")


def get_citizen_for_access_log(user: User, citizen_uuid: UUID | str) -> Citizen:
    """The citizen whose log an access-log reader asks for; 404 when not found."""
    if not can_read_access_log(user):
        raise Http404
    try:
        return Citizen.objects.only("uuid", "cpr", "first_name", "last_name").get(uuid=citizen_uuid)
    except (Citizen.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


def can_export_record(user: User) -> bool:
    """Whether the user may export a citizen's whole record (indsigt).

    The record ends with the citizen's access log, so it is for those who
    may read the log: the administrators.
    """
    return can_read_access_log(user)
