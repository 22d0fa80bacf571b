"""Model fields more than one model declares the same way."""

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords


def optional_reference(to, *, related_name: str, **options) -> models.ForeignKey:
    """A link a row may lack (no household, no provider); PROTECT, so that a
    row that others name cannot be deleted."""
    return models.ForeignKey(
        to, null=True, blank=True, on_delete=models.PROTECT, related_name=related_name, **options
    )


def user_reference(**options) -> models.ForeignKey:
    """The user who did something to a row (created, entered, agreed...).

    Empty when the system did it; no reverse accessor on the user.

    No constraint in the database: an import's 10,000 rows all name the
    same user, and PostgreSQL checked each of them again at the commit
    (about 3.7 µs a row, size L). Django still refuses to delete a user
    who did anything (``PROTECT``), as it does for every reference here.
    """
    return optional_reference(
        settings.AUTH_USER_MODEL, related_name="+", db_constraint=False, **options
    )


def history_records(**options) -> HistoricalRecords:
    """A model's history (django-simple-history) as every model here keeps it.

    Its user, who made the change, has no constraint in the database, as
    ``user_reference``. Django still empties it (``SET_NULL``) if a user is
    deleted; a user who did anything cannot be (``PROTECT`` on the rows).
    """
    return HistoricalRecords(user_db_constraint=False, **options)
