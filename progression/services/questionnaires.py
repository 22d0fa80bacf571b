"""Questionnaire versions.

A version is edited only while it is a draft. Publishing freezes it; rounds
and measurements point at the version they were made with, so a new version
never changes an old measurement.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from integration import services as case_services
from integration.models import User
from integration.services import ConcurrentEditError
from progression.models import (
    ITEM_COUNT,
    LANGUAGES,
    SCALE,
    Item,
    Questionnaire,
)


def item_languages_missing(item: Item) -> list[str]:
    """The language codes in which an item lacks its label, its question or a scale step.

    Item.clean's rule, and also every one of the five scale steps non-blank.
    """
    missing = []
    for code, _name in LANGUAGES:
        entry = item.texts.get(code) if isinstance(item.texts, dict) else None
        entry = entry if isinstance(entry, dict) else {}
        scale = entry.get("scale")
        scale = scale if isinstance(scale, list) else []
        complete = (
            str(entry.get("label") or "").strip()
            and str(entry.get("question") or "").strip()
            and len(scale) == len(SCALE)
            and all(str(step or "").strip() for step in scale)
        )
        if not complete:
            missing.append(code)
    return missing


def _language_names(codes: list[str]) -> str:
    names = dict(LANGUAGES)
    return ", ".join(f"{names[code]} ({code})" for code in codes)


def texts_fingerprint(texts: Mapping) -> str:
    """A digest of an item's texts: the edit form carries it to notice a save in between."""
    import json

    canonical = json.dumps(texts, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@transaction.atomic
def questionnaire_new_draft(*, actor: User) -> Questionnaire:
    """Version (latest + 1) as a draft, with a copy of the latest version's items.

    There is at most one draft at a time.
    """
    if Questionnaire.objects.filter(status=Questionnaire.Status.DRAFT).exists():
        raise ValidationError(_("There is already a draft. Edit and publish it first."))
    latest = Questionnaire.objects.order_by("-version").first()
    if latest is None:
        raise ValidationError(_("There is no questionnaire to copy."))
    draft = Questionnaire(version=latest.version + 1, status=Questionnaire.Status.DRAFT)
    draft.full_clean(exclude=["published_by"])
    try:
        with transaction.atomic():
            draft.save()
    except IntegrityError:
        # Two administrators pressed the button at once; the other one won.
        raise ValidationError(_("There is already a draft. Edit and publish it first.")) from None
    Item.objects.bulk_create(
        Item(
            questionnaire=draft,
            number=item.number,
            texts=item.texts,
            staff_texts=item.staff_texts,
            municipal_wording=item.municipal_wording,
        )
        for item in latest.items.order_by("number")
    )
    case_services.log_change(
        actor, None, f"questionnaire v{draft.version} drafted from v{latest.version}"
    )
    return draft


@transaction.atomic
def item_texts_update(
    *,
    actor: User,
    item: Item,
    texts: Mapping[str, Mapping],
    municipal_wording: bool | None = None,
    read_fingerprint: str | None = None,
) -> Item:
    """Replace an item's texts in every language; only a draft's items can change.

    ``texts`` maps each language code to ``{"label", "question", "scale"}``;
    every text must be filled in. With ``read_fingerprint`` (the
    ``texts_fingerprint`` of the texts the editor was shown), a save by someone
    else in between raises ConcurrentEditError instead of being overwritten.
    """
    # Lock the version first, as publishing does, so an edit and a publish
    # of the same draft cannot interleave.
    questionnaire = Questionnaire.objects.select_for_update().get(pk=item.questionnaire_id)
    if questionnaire.status != Questionnaire.Status.DRAFT:
        raise ValidationError(
            _("Version %(version)s is published and can no longer be changed.")
            % {"version": questionnaire.version}
        )
    current = Item.objects.select_for_update().get(pk=item.pk)
    if read_fingerprint is not None and texts_fingerprint(current.texts) != read_fingerprint:
        raise ConcurrentEditError()
    new_texts = dict(current.texts) if isinstance(current.texts, dict) else {}
    for code, _name in LANGUAGES:
        entry = texts.get(code) or {}
        new_texts[code] = {
            "label": str(entry.get("label") or "").strip(),
            "question": str(entry.get("question") or "").strip(),
            "scale": [str(step or "").strip() for step in entry.get("scale") or []],
        }
    current.texts = new_texts
    if municipal_wording is not None:
        current.municipal_wording = municipal_wording
    missing = item_languages_missing(current)
    if missing:
        raise ValidationError(
            _("Fill in the label, the question and all five scale steps in: %(languages)s.")
            % {"languages": _language_names(missing)}
        )
    current.full_clean(exclude=["questionnaire"], validate_unique=False)
    current.save(update_fields=["texts", "municipal_wording"])
    case_services.log_change(
        actor, None, f"questionnaire v{questionnaire.version} item {current.number} texts changed"
    )
    return current


@transaction.atomic
def questionnaire_publish(
    *, actor: User, questionnaire: Questionnaire, note: str | None = None
) -> Questionnaire:
    """Publish a draft once all 13 items are complete in every language.

    The version becomes the one new rounds use; earlier rounds and
    measurements keep the version they were made with.
    """
    locked = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    if locked.status != Questionnaire.Status.DRAFT:
        raise ValidationError(
            _("Version %(version)s is already published.") % {"version": locked.version}
        )
    items = list(Item.objects.filter(questionnaire=locked).order_by("number"))
    errors: list[str] = []
    numbers = [item.number for item in items]
    if numbers != list(range(1, ITEM_COUNT + 1)):
        errors.append(
            _("A questionnaire has items 1 to %(count)s; this draft has %(found)s items.")
            % {"count": ITEM_COUNT, "found": len(items)}
        )
    for item in items:
        missing = item_languages_missing(item)
        if missing:
            errors.append(
                _("Item %(n)s is missing its label, question or scale steps in: %(languages)s.")
                % {"n": item.number, "languages": _language_names(missing)}
            )
            continue
        try:
            item.clean()
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    locked.status = Questionnaire.Status.PUBLISHED
    locked.published_at = timezone.now()
    locked.published_by = actor
    if note is not None:
        locked.note = note.strip()
    locked.full_clean(validate_unique=False)
    locked.save(update_fields=["status", "published_at", "published_by", "note"])
    case_services.log_change(actor, None, f"questionnaire v{locked.version} published")
    return locked
