"""Figures from outside the system: benchmarks and the year's expected arrivals."""

import datetime as dt
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from common.dates import add_months, month_end
from integration.models import user_reference

# The stored form of each kind of period: 2018, 2018-Q4, 2018-12.
PERIOD_PATTERNS = {
    "year": r"[0-9]{4}",
    "quarter": r"[0-9]{4}-Q[1-4]",
    "month": r"[0-9]{4}-(0[1-9]|1[0-2])",
}
NATIONAL_NAME = "Hele landet"


class BenchmarkSource(models.TextChoices):
    JOBINDSATS = "jobindsats", _("Jobindsats.dk")
    WELLBEING = "wellbeing", _("National school wellbeing survey")
    DANISH_ABSENCE = "danish_absence", _("Absence from Danish education (national)")


class BenchmarkIndicator(models.TextChoices):
    REFUGEES_ORDINARY_EMPLOYMENT = (
        "refugees_ordinary_employment",
        _("Share of refugees and family reunified in ordinary employment (%)"),
    )
    WELLBEING_BILINGUAL = "wellbeing_bilingual", _("School wellbeing, bilingual pupils")
    WELLBEING_DANISH = "wellbeing_danish", _("School wellbeing, Danish-speaking pupils")
    DANISH_ABSENCE = "danish_absence", _("Absence from Danish education (%)")


class BenchmarkRole(models.TextChoices):
    """Whose figure it is, seen from the municipality that runs the system."""

    OWN = "own", _("Own municipality")
    NEIGHBOUR = "neighbour", _("Other municipality")
    NATIONAL = "national", _("The whole country")

    @classmethod
    def of(cls, municipality: str) -> "BenchmarkRole":
        """“Hele landet” is national, the configured municipality is our own,
        any other name is another municipality's."""
        if municipality == NATIONAL_NAME:
            return cls.NATIONAL
        if municipality == settings.MUNICIPALITY_NAME:
            return cls.OWN
        return cls.NEIGHBOUR


class BenchmarkPeriodKind(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    YEAR = "year", _("Year")

    @classmethod
    def of(cls, period: str) -> "BenchmarkPeriodKind":
        """The kind of a stored period (2018, 2018-Q4, 2018-12); raises ValueError."""
        for kind, pattern in PERIOD_PATTERNS.items():
            if re.fullmatch(pattern, period):
                return cls(kind)
        raise ValueError(f"Not a stored benchmark period: {period!r}")


def period_start(period: str) -> dt.date:
    """The first day of a stored period."""
    kind = BenchmarkPeriodKind.of(period)
    year = int(period[:4])
    if kind == BenchmarkPeriodKind.YEAR:
        return dt.date(year, 1, 1)
    if kind == BenchmarkPeriodKind.QUARTER:
        return dt.date(year, 3 * int(period[-1]) - 2, 1)
    return dt.date(year, int(period[5:7]), 1)


MONTHS_IN_PERIOD = {
    BenchmarkPeriodKind.YEAR: 12,
    BenchmarkPeriodKind.QUARTER: 3,
    BenchmarkPeriodKind.MONTH: 1,
}


def period_end(period: str) -> dt.date:
    """The last day of a stored period: a period has ended only once this day is reached."""
    months = MONTHS_IN_PERIOD[BenchmarkPeriodKind.of(period)]
    return month_end(add_months(period_start(period), months - 1))


class BenchmarkValue(models.Model):
    """One published figure: a municipality's (or the country's) value for a period."""

    source = models.CharField(_("source"), max_length=20, choices=BenchmarkSource.choices)
    indicator = models.CharField(_("indicator"), max_length=40, choices=BenchmarkIndicator.choices)
    municipality = models.CharField(
        _("municipality"), max_length=100, help_text=_("“Hele landet” for the national figure.")
    )
    role = models.CharField(_("role"), max_length=10, choices=BenchmarkRole.choices)
    period = models.CharField(
        _("period"), max_length=20, help_text=_("For example 2018, 2018-Q4 or 2018-12.")
    )
    period_kind = models.CharField(
        _("period kind"), max_length=10, choices=BenchmarkPeriodKind.choices
    )
    value = models.DecimalField(_("value"), max_digits=9, decimal_places=2)
    downloaded_on = models.DateField(_("downloaded on"))
    imported_at = models.DateTimeField(auto_now_add=True)
    imported_by = user_reference()

    class Meta:
        ordering = ["indicator", "period", "municipality"]
        verbose_name = _("benchmark value")
        verbose_name_plural = _("benchmark values")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "indicator", "municipality", "period"],
                name="benchmark_value_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator} {self.municipality} {self.period}: {self.value}"

    def clean(self) -> None:
        try:
            kind = BenchmarkPeriodKind.of(self.period)
        except ValueError:
            raise ValidationError({"period": _("Not a year, quarter or month.")}) from None
        if self.period_kind and kind != self.period_kind:
            raise ValidationError(
                {
                    "period": _("%(period)s is not a %(kind)s.")
                    % {"period": self.period, "kind": BenchmarkPeriodKind(self.period_kind).label}
                }
            )


class ArrivalQuota(models.Model):
    """The number of refugees the municipality expects in a year (kvote)."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    expected = models.PositiveIntegerField(_("expected arrivals"))

    class Meta:
        ordering = ["-year"]
        verbose_name = _("arrival quota")
        verbose_name_plural = _("arrival quotas")

    def __str__(self) -> str:
        return f"{self.year}: {self.expected}"
