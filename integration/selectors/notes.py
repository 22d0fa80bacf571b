"""Journal notes as a user may read them: never a provider's or the secretariat's."""

from __future__ import annotations

from uuid import UUID

from django.db.models import Q, QuerySet
from django.http import Http404

from integration.models import Case, JournalNote, User
from integration.selectors.cases import cases_visible_to


def can_read_notes(user: User) -> bool:
    return user.is_authenticated and user.has_perm("integration.view_journalnote")


def can_write_notes(user: User) -> bool:
    return user.is_authenticated and user.has_perm("integration.add_journalnote")


def notes_of_case(user: User, case: Case) -> list[JournalNote]:
    """The case's notes, newest first, with their authors (one query); none
    for a user who may not read notes."""
    if not can_read_notes(user):
        return []
    return list(
        JournalNote.objects.filter(case=case)
        .select_related("created_by")
        .order_by("-happened_on", "-created_at", "-id")
    )


def get_note_for_case(user: User, case: Case, note_uuid: UUID | str) -> JournalNote:
    """A note of ``case`` the user may read; 404 otherwise, like a missing one."""
    if not can_read_notes(user):
        raise Http404
    try:
        return JournalNote.objects.select_related("created_by").get(case=case, uuid=note_uuid)
    except (JournalNote.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


def notes_matching(user: User, query: str) -> QuerySet[JournalNote]:
    """Notes of the cases the user may open that hold every word of ``query``,
    newest first, with their case, citizen and author joined."""
    words = query.split()
    if not can_read_notes(user) or not words:
        return JournalNote.objects.none()
    match = Q()
    for word in words:
        match &= Q(text__icontains=word)
    return (
        JournalNote.objects.filter(match, case__in=cases_visible_to(user))
        .select_related("case__citizen", "created_by")
        .order_by("-happened_on", "-created_at", "-id")
    )
