"""Figures from outside the system: benchmarks and the year's expected arrivals."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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


class BenchmarkValue(models.Model):
    """One published figure: a municipality's (or the country's) value for a period."""

    source = models.CharField(_("source"), max_length=20, choices=BenchmarkSource.choices)
    indicator = models.CharField(_("indicator"), max_length=40, choices=BenchmarkIndicator.choices)
    municipality = models.CharField(
        _("municipality"), max_length=100, help_text=_("“Hele landet” for the national figure.")
    )
    period = models.CharField(
        _("period"), max_length=20, help_text=_("For example 2018 or 2018-12.")
    )
    value = models.DecimalField(_("value"), max_digits=9, decimal_places=2)
    downloaded_on = models.DateField(_("downloaded on"))
    imported_at = models.DateTimeField(auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

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
