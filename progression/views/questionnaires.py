"""Questionnaire versions: the list, one version in a chosen language, and its drafts.

Administrators edit the item texts of a draft and publish it; caseworkers and
managers may read every version. A published version is never edited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from integration.services import ConcurrentEditError
from progression import selectors, services
from progression.citizen_texts import direction
from progression.forms import ItemTextsForm, PublishForm
from progression.models import LANGUAGES, Item, Questionnaire

VIEW_PERMISSION = "progression.view_questionnaire"
CHANGE_PERMISSION = "progression.change_questionnaire"
LANGUAGE_NAMES = dict(LANGUAGES)


@dataclass(frozen=True)
class VersionRow:
    version: int
    status: str
    is_draft: bool
    published_at: dt.datetime | None
    published_by: str
    note: str
    url: str


@dataclass(frozen=True)
class LanguageChoice:
    code: str
    name: str
    direction: str
    url: str
    current: bool


@dataclass(frozen=True)
class ItemRow:
    number: int
    label: str
    question: str
    scale: list[str]
    municipal_wording: bool
    missing: str
    edit_url: str


def _user_name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


@login_required
@permission_required(VIEW_PERMISSION, raise_exception=True)
@require_GET
def questionnaire_list(request: HttpRequest) -> HttpResponse:
    # Queries: the versions with their publishers (one join).
    versions = selectors.questionnaire_versions()
    rows = [
        VersionRow(
            version=q.version,
            status=q.get_status_display(),
            is_draft=q.status == Questionnaire.Status.DRAFT,
            published_at=q.published_at,
            published_by=_user_name(q.published_by),
            note=q.note,
            url=reverse("progression:questionnaire_detail", args=[q.version]),
        )
        for q in versions
    ]
    can_edit = request.user.has_perm(CHANGE_PERMISSION)
    return render(
        request,
        "progression/questionnaire_list.html",
        {
            "rows": rows,
            "can_edit": can_edit,
            "can_make_draft": can_edit and bool(versions) and not any(r.is_draft for r in rows),
        },
    )


def _item_row(item: Item, language: str, *, is_draft: bool, edit_url: str) -> ItemRow:
    # The chosen language only, without falling back to Danish: a gap in
    # a language must show as a gap, not as Danish marked as Arabic.
    entry = item.texts.get(language) if isinstance(item.texts, dict) else None
    entry = entry if isinstance(entry, dict) else {}
    scale = entry.get("scale") if isinstance(entry.get("scale"), list) else []
    missing = services.item_languages_missing(item) if is_draft else []
    return ItemRow(
        number=item.number,
        label=entry.get("label", ""),
        question=entry.get("question", ""),
        scale=[str(step) for step in scale],
        municipal_wording=item.municipal_wording,
        missing=", ".join(LANGUAGE_NAMES[code] for code in missing),
        edit_url=edit_url,
    )


def _language_choices(detail_url: str, language: str) -> list[LanguageChoice]:
    return [
        LanguageChoice(
            code=code,
            name=name,
            direction=direction(code),
            url=f"{detail_url}?lang={code}",
            current=code == language,
        )
        for code, name in LANGUAGES
    ]


@login_required
@permission_required(VIEW_PERMISSION, raise_exception=True)
@require_GET
def questionnaire_detail(request: HttpRequest, version: int) -> HttpResponse:
    questionnaire = selectors.get_questionnaire(version)
    language = request.GET.get("lang", "da")
    if language not in LANGUAGE_NAMES:
        language = "da"
    is_draft = questionnaire.status == Questionnaire.Status.DRAFT
    can_edit = is_draft and request.user.has_perm(CHANGE_PERMISSION)
    rows = [
        _item_row(
            item,
            language,
            is_draft=is_draft,
            edit_url=reverse("progression:item_edit", args=[version, item.number])
            if can_edit
            else "",
        )
        for item in selectors.items_of(questionnaire)
    ]
    return render(
        request,
        "progression/questionnaire_detail.html",
        {
            "questionnaire": questionnaire,
            "published_by": _user_name(questionnaire.published_by),
            "is_draft": is_draft,
            "can_edit": can_edit,
            "rows": rows,
            "language": language,
            "language_name": LANGUAGE_NAMES[language],
            "direction": direction(language),
            "languages": _language_choices(
                reverse("progression:questionnaire_detail", args=[version]), language
            ),
            "publish_form": PublishForm(initial={"note": questionnaire.note}) if can_edit else None,
        },
    )


@login_required
@permission_required(CHANGE_PERMISSION, raise_exception=True)
@require_http_methods(["GET", "POST"])
def item_edit(request: HttpRequest, version: int, number: int) -> HttpResponse:
    item = selectors.get_draft_item(version, number)
    form = ItemTextsForm(request.POST or None, item=item)
    if request.method == "POST" and form.is_valid():
        try:
            services.item_texts_update(
                actor=request.user,
                item=item,
                texts=form.texts(),
                municipal_wording=form.cleaned_data["municipal_wording"],
                read_fingerprint=form.cleaned_data["fingerprint"] or None,
            )
        except ConcurrentEditError as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(
                request,
                _("Item %(n)s of version %(version)s was saved.")
                % {"n": number, "version": version},
            )
            return redirect("progression:questionnaire_detail", version=version)
    return render(
        request,
        "progression/item_edit.html",
        {
            "form": form,
            "groups": form.language_groups(),
            "item": item,
            "version": version,
            "cancel_url": reverse("progression:questionnaire_detail", args=[version]),
        },
    )


@login_required
@permission_required(CHANGE_PERMISSION, raise_exception=True)
@require_POST
def questionnaire_publish(request: HttpRequest, version: int) -> HttpResponse:
    questionnaire = selectors.get_questionnaire(version)
    form = PublishForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect("progression:questionnaire_detail", version=version)
    try:
        services.questionnaire_publish(
            actor=request.user, questionnaire=questionnaire, note=form.cleaned_data["note"]
        )
    except ValidationError as exc:
        messages.error(request, _("Version %(version)s was not published.") % {"version": version})
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _(
                "Version %(version)s is published. New rounds use it from now on; "
                "earlier measurements keep the version they were made with."
            )
            % {"version": version},
        )
    return redirect("progression:questionnaire_detail", version=version)


@login_required
@permission_required([CHANGE_PERMISSION, "progression.add_questionnaire"], raise_exception=True)
@require_POST
def questionnaire_new_draft(request: HttpRequest) -> HttpResponse:
    try:
        draft = services.questionnaire_new_draft(actor=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("progression:questionnaire_list")
    messages.success(
        request,
        _("Version %(version)s was made as a draft. Edit its items, then publish it.")
        % {"version": draft.version},
    )
    return redirect("progression:questionnaire_detail", version=draft.version)
