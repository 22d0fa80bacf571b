"""Saves that refuse a row changed since it was read, and the history user of a save."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import F
from django.utils.translation import gettext as _

from common.csvimport import chunks
from integration.models import Case, CaseFact, User


class ConcurrentEditError(Exception):
    """Someone else saved the record after this user opened it."""

    def __init__(self, message: str | None = None):
        super().__init__(
            message
            or _(
                "Someone else saved this record while you were editing it. "
                "Your changes were not saved; reopen the record to see the new version."
            )
        )


def set_history_user(instance: Any, actor: User | None) -> None:
    # simple_history takes the user from the request; outside one (imports,
    # commands) it is set on the instance.
    instance._history_user = actor


def save_versioned(instance: Case | CaseFact, *, expected_version: int, fields: list[str]) -> None:
    """Save ``fields`` only if nobody saved the row since ``expected_version``.

    The version is claimed with a conditional UPDATE first, so that of two
    concurrent saves exactly one succeeds on every database.
    """
    model = type(instance)
    claimed = model.objects.filter(pk=instance.pk, version=expected_version).update(
        version=F("version") + 1
    )
    if not claimed:
        raise ConcurrentEditError()
    instance.version = expected_version + 1
    instance.save(update_fields=[*fields, "version"])


def claim_versions(model: type[models.Model], by_version: dict[int, list[int]]) -> None:
    """Claim each row at the version it was read at, as save_versioned does one
    by one: the conditional UPDATE bumps the version and locks the row, and a row
    changed meanwhile refuses the whole import."""
    for version, pks in by_version.items():
        for chunk in chunks(pks):
            claimed = model.objects.filter(pk__in=chunk, version=version).update(
                version=F("version") + 1
            )
            if claimed != len(chunk):
                raise ConcurrentEditError()


def actor_id(actor: User | None) -> int | None:
    return actor.pk if actor is not None else None
