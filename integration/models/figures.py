"""Figures kept in the database between reports, and the changes that void them.

The ladder on a month's end, or the measurements of a closed month, stay the
same until a change reaches the days they read: a ladder step recorded today
does not move last month's figures, nor does a score of today move last
year's mean. So figures are kept (``KeptFigures``), and every change says
what it changed (citizens, cases and their facts, or scores) and from which
day (to which day) it may move figures (``FiguresChange``). A kept row is
read only while no change committed after it was counted reaches it
(``integration.kept_figures`` holds the rule, on PostgreSQL).
"""

from django.db import models
from django.db.models.functions import Now


class FiguresRead(models.TextChoices):
    """What figures read, and what a change changed."""

    CASES = "cases", "citizens, cases and their facts"
    SCORES = "scores", "progression scores"
    ALL = "all", "anything (a change that does not say)"


class KeptFigures(models.Model):
    """One figure (``name``) for one day or period (``day``: its last day;
    ``key``: the rest of what tells it apart, as the narrowing of the
    population or the period's first day)."""

    name = models.CharField(max_length=40)
    day = models.DateField()
    key = models.CharField(max_length=100, blank=True)
    reads = models.CharField(max_length=10, choices=FiguresRead.choices)
    # The days the figures read: a change of other days leaves them.
    reads_from = models.DateField()
    reads_until = models.DateField()
    value = models.JSONField()
    # PostgreSQL's snapshot the figures were made in (pg_current_snapshot):
    # which changes they include, and which they cannot.
    snapshot = models.TextField()
    counted_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["name", "day", "key"], name="kept_figures_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.day:%Y-%m-%d} {self.key}".rstrip()


class FiguresChange(models.Model):
    """A change, written in the changing transaction: what it changed, the days
    it may move (``until_day`` empty: every day from ``from_day`` on), and the
    transaction (PostgreSQL's 64-bit id), so a reader knows which kept figures
    include it."""

    kind = models.CharField(max_length=10, choices=FiguresRead.choices)
    from_day = models.DateField()
    until_day = models.DateField(null=True)
    transaction_id = models.BigIntegerField(db_index=True)
    recorded_at = models.DateTimeField(db_default=Now())

    def __str__(self) -> str:
        return f"{self.kind} from {self.from_day:%Y-%m-%d}"


class CaseStanding(models.Model):
    """A case in the programme on the day ``StandingDay`` holds, with all that
    the day's ladder and programme counts read of it (``integration.standing``):
    kept current by the services that change a case, in their transaction,
    and made again for a new day by ``manage.py prepare_figures``. Copies, not
    references: the team and basis are the narrowings of the dashboard."""

    # No constraint in the database: checking one, ``standing.make`` would
    # wait for every case a writer has locked while that writer waits for
    # the table ``make`` holds (a deadlock). A case deleted through Django
    # takes its row along all the same.
    case = models.OneToOneField(
        "integration.Case",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
        db_constraint=False,
    )
    team_id = models.BigIntegerField()
    residence_basis = models.CharField(max_length=20)
    adult = models.BooleanField()
    # The ladder step of the spell that started last (None: no placement).
    step = models.SmallIntegerField(null=True)
    course = models.BooleanField()
    work = models.BooleanField()
    employed = models.BooleanField()

    def __str__(self) -> str:
        return f"case {self.case_id}"


class StandingDay(models.Model):
    """The day every ``CaseStanding`` row stands on (one row, or none: no day)."""

    day = models.DateField()
    made_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d}"
