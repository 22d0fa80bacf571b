"""Counts of the programme on a day, kept in the database between reports.

The ladder on a month's end, or who was in the programme that day, stays the
same until a change of citizens, cases or their facts reaches that day: a
ladder step recorded today does not move last month's figures. So the
counts of a day are kept (``StoredDayFigures``), and every such change says
from which day on it may move figures (``CaseFiguresChange``). A kept row is
read only while no change committed after it was counted reaches its day
(``integration.day_figures`` holds the rule, on PostgreSQL).
"""

from django.db import models
from django.db.models.functions import Now


class StoredDayFigures(models.Model):
    """One kind of counts (``name``) on one day, for one narrowing of the
    population (``narrow``: the team and residence basis, empty for all)."""

    name = models.CharField(max_length=40)
    day = models.DateField()
    narrow = models.CharField(max_length=100, blank=True)
    # The last day the counts read: the day itself for the ladder; a change
    # from a later day leaves them as they are.
    reads_until = models.DateField()
    # [[key, count], ...]: the keys may be numbers, text or null.
    counts = models.JSONField()
    # PostgreSQL's snapshot the counts were made in (pg_current_snapshot):
    # which changes they include, and which they cannot.
    snapshot = models.TextField()
    counted_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["name", "day", "narrow"], name="stored_day_figures_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.day:%Y-%m-%d} {self.narrow}".rstrip()


class CaseFiguresChange(models.Model):
    """A change of citizens, cases or their facts, written in the changing
    transaction: the first day whose figures it may move, and the transaction
    (PostgreSQL's 64-bit id), so a reader knows which kept counts include it."""

    from_day = models.DateField()
    transaction_id = models.BigIntegerField(db_index=True)
    recorded_at = models.DateTimeField(db_default=Now())

    def __str__(self) -> str:
        return f"from {self.from_day:%Y-%m-%d}"
