"""Model fields more than one model declares the same way."""

from django.conf import settings
from django.db import models


def user_reference(**options) -> models.ForeignKey:
    """The user who did something to a row (created, entered, agreed...).

    Empty when the system did it; PROTECT, so that a user a row names cannot
    be deleted; no reverse accessor on the user.
    """
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        **options,
    )
