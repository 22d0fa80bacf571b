"""Database constraints more than one app declares the same way."""

from django.db import models


def between(
    field: str, low: int, high: int, *, name: str, or_null: bool = False
) -> models.CheckConstraint:
    """A check that ``field`` lies from ``low`` to ``high``, both included;
    with ``or_null`` an empty (NULL) value passes too.

    The range is the database's to keep, so that it holds however a row is
    written.
    """
    condition = models.Q(**{f"{field}__gte": low, f"{field}__lte": high})
    if or_null:
        condition |= models.Q(**{f"{field}__isnull": True})
    return models.CheckConstraint(condition=condition, name=name)
