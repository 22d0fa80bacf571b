"""A signed-in user's own settings: the language of their e-mails and the morning e-mail."""

from __future__ import annotations

from django.db import transaction

from integration.models import User

FIELDS = ("language", "deadline_digest")


@transaction.atomic
def user_settings_update(*, user: User, language: str, deadline_digest: bool) -> User:
    """Save the user's own choices; nothing else of the account changes."""
    user.language = language
    user.deadline_digest = deadline_digest
    # Only these two: the rest of the account is the administrator's, and an
    # old account need not pass today's username rules to change its language.
    user.clean_fields(exclude=[f.name for f in User._meta.fields if f.name not in FIELDS])
    User.objects.filter(pk=user.pk).update(language=language, deadline_digest=deadline_digest)
    return user
