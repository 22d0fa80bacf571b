"""Journal notes: write one, change it within its window, and search them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from integration import selectors, services
from integration.forms import JournalNoteForm, NoteSearchForm, add_service_errors
from integration.models import AccessAction, Case, JournalNote
from integration.views.cases import case_form_page

PAGE_SIZE = 25


def _save(user, case: Case, note: JournalNote | None, data: dict) -> JournalNote:
    if note is None:
        return services.journal_note_create(
            actor=user, case=case, happened_on=data["happened_on"], text=data["text"]
        )
    return services.journal_note_update(
        actor=user,
        note=note,
        version=data["version"],
        happened_on=data["happened_on"],
        text=data["text"],
    )


def _locked(request: HttpRequest, case: Case, note: JournalNote) -> HttpResponse:
    """The note as it stands, with why it cannot be changed (403)."""
    services.access_log_request(
        request, action=AccessAction.VIEW, citizen=case.citizen, what="locked journal note"
    )
    context = {
        "case": case,
        "note": note,
        "title": _("Journal note: %(name)s") % {"name": case.citizen.full_name},
        "back_url": reverse("integration:case_detail", args=[case.uuid]) + "#notes",
    }
    return render(request, "integration/note_locked.html", context, status=403)


@login_required
@require_http_methods(["GET", "POST"])
def note_edit(request: HttpRequest, case_uuid: UUID, note_uuid: UUID | None = None) -> HttpResponse:
    case = selectors.get_case_for_user(request.user, case_uuid, for_edit=True)
    if not selectors.can_write_notes(request.user):
        raise Http404
    note = selectors.get_note_for_case(request.user, case, note_uuid) if note_uuid else None
    if note is not None and not note.is_editable_by(request.user):
        return _locked(request, case, note)
    form = JournalNoteForm(request.POST or None, note=note)
    if request.method == "POST" and form.is_valid():
        try:
            saved = _save(request.user, case, note, form.cleaned_data)
        except (services.ConcurrentEditError, ValidationError, PermissionDenied) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The journal note was saved."))
            url = reverse("integration:case_detail", args=[case.uuid])
            return redirect(f"{url}#note-{saved.uuid}")
    title = _("Change journal note: %(name)s") if note else _("New journal note: %(name)s")
    return case_form_page(
        request, form, case, title % {"name": case.citizen.full_name}, what="journal note form"
    )


@dataclass(frozen=True)
class NoteRow:
    happened_on: dt.date
    citizen_name: str
    masked_cpr: str
    author: str
    text: str
    url: str


def _row(note: JournalNote) -> NoteRow:
    citizen = note.case.citizen
    author = note.created_by
    return NoteRow(
        happened_on=note.happened_on,
        citizen_name=citizen.full_name,
        masked_cpr=citizen.masked_cpr,
        author=(author.get_full_name() or author.get_username()) if author else "",
        text=note.text,
        url=reverse("integration:case_detail", args=[note.case.uuid]) + f"#note-{note.uuid}",
    )


# The headings of the search's table, in the order of a NoteRow's cells.
SEARCH_COLUMNS = [
    gettext_lazy("Date"),
    gettext_lazy("Citizen"),
    gettext_lazy("Written by"),
    gettext_lazy("Note"),
]


@login_required
@require_GET
def note_search(request: HttpRequest) -> HttpResponse:
    """Notes of the user's cases holding every word searched for, newest first."""
    if not selectors.can_read_notes(request.user):
        raise PermissionDenied
    form = NoteSearchForm(request.GET)
    if not form.is_valid():
        return render(request, "integration/note_search.html", {"form": form}, status=400)
    query = form.cleaned_data["q"].strip()
    page = Paginator(selectors.notes_matching(request.user, query), PAGE_SIZE).get_page(
        form.cleaned_data["page"]
    )
    notes = list(page.object_list)
    if query:
        citizens = [note.case.citizen for note in notes]
        services.access_log_search(
            request, term=query, citizens=citizens, what="journal note search"
        )
    context = {
        "form": form,
        "query": query,
        "page": page,
        "columns": SEARCH_COLUMNS,
        "rows": [_row(n) for n in notes],
    }
    context["query_string"] = urlencode({"q": query}) if query else ""
    return render(request, "integration/note_search.html", context)
