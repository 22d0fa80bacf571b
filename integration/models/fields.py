"""Model fields more than one model declares the same way."""

from django.conf import settings
from django.db import models


def optional_reference(to, *, related_name: str, **options) -> models.ForeignKey:
    """A link a row may lack (no household, no provider); PROTECT, so that a
    row that others name cannot be deleted."""
    return models.ForeignKey(
        to, null=True, blank=True, on_delete=models.PROTECT, related_name=related_name, **options
    )


def user_reference(**options) -> models.ForeignKey:
    """The user who did something to a row (created, entered, agreed...).

    Empty when the system did it; no reverse accessor on the user.
    """
    return optional_reference(settings.AUTH_USER_MODEL, related_name="+", **options)
