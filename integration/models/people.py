"""Citizens and their households."""

import datetime as dt
import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from common import cpr
from common.dates import add_months
from common.text import fold

from .fields import history_records, optional_reference

ADULT_AGE = 18


class ResidenceBasis(models.TextChoices):
    REFUGEE = "refugee", _("Refugee")
    FAMILY_REUNIFIED = "family_reunified", _("Family reunified with a refugee")
    # The special act for people displaced from Ukraine (særloven, L 324 of
    # 16 March 2022): cases like the others, but the seeds' figures predate
    # them, so the reports keep them apart and say whether they are included.
    UKRAINE = "displaced_ukraine", _("Displaced from Ukraine (special act)")


class Sex(models.TextChoices):
    FEMALE = "F", _("Female")
    MALE = "M", _("Male")


class Household(models.Model):
    """A husstand: the adults and children who arrived as one family."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=40, unique=True)
    # History is looked up by id alone: see Citizen.history.
    history = history_records(no_db_index=["uuid", "reference"])

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return self.reference


class Citizen(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # NULL once the citizen is anonymised (integration.retention): the number
    # is gone rather than replaced, so no stand-in can pass for a CPR number,
    # and NULLs do not clash in the unique index.
    cpr = models.CharField(_("CPR number"), max_length=10, unique=True, null=True)  # noqa: DJ001
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    birth_date = models.DateField(_("date of birth"), editable=False)
    # Blank only until clean() derives it from the CPR number.
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True)
    nationality = models.CharField(
        _("nationality"), max_length=2, help_text=_("Country of origin, ISO 3166 code.")
    )
    languages = models.CharField(_("languages"), max_length=200, blank=True)
    household = optional_reference(Household, verbose_name=_("household"), related_name="members")
    unaccompanied_minor = models.BooleanField(_("unaccompanied minor"), default=False)
    residence_basis = models.CharField(
        _("residence basis"), max_length=20, choices=ResidenceBasis.choices
    )
    arrival_date = models.DateField(
        _("arrival date"),
        help_text=_("The day the municipality took over responsibility; deadlines count from it."),
    )
    # Derived in clean(): the ladder, its deadline and the cohort reports are
    # for citizens who were 18 or over when they arrived.
    adult_at_arrival = models.BooleanField(_("18 or over at arrival"), default=True, editable=False)
    # Arrival plus 3, 6 and 12 calendar months (common.dates.add_months), derived
    # in clean() so that reports compare them with dates in the database.
    horizon_3m = models.DateField(null=True, editable=False)
    horizon_6m = models.DateField(null=True, editable=False)
    horizon_12m = models.DateField(null=True, editable=False)
    # Set when the retention command anonymised the citizen: name, CPR number
    # and free text are gone; what the reports count is kept.
    anonymised_on = models.DateField(_("anonymised on"), null=True, blank=True, editable=False)
    # The name folded (common.text.fold: no case, no accents), derived in
    # clean(), so that a search for "Karími" finds "Karimi" with a plain
    # LIKE on SQLite and PostgreSQL alike. Derived, so the history leaves it out.
    search_name = models.CharField(max_length=201, blank=True, editable=False)
    # History rows are looked up by the row's id (and a fact's by its case,
    # a score's by its round), never by the other fields a model indexes:
    # their indexes in the history tables only slowed every write (an import
    # of 10,000 citizens: 136 ms for the citizens' history, 62 ms without).
    history = history_records(
        excluded_fields=["search_name"], no_db_index=["uuid", "cpr", "household"]
    )

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name = _("citizen")
        verbose_name_plural = _("citizens")
        indexes = [
            models.Index(fields=["last_name", "first_name"], name="citizen_name_idx"),
            models.Index(fields=["arrival_date"], name="citizen_arrival_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        # Only an anonymised citizen has no name (integration.retention); asking
        # for anonymised_on instead would cost a query where names are loaded alone.
        if not (self.first_name or self.last_name):
            return str(_("Anonymised citizen"))
        return f"{self.first_name} {self.last_name}"

    @property
    def masked_cpr(self) -> str:
        return cpr.masked(self.cpr) if self.cpr else ""

    @property
    def formatted_cpr(self) -> str:
        return cpr.formatted(self.cpr) if self.cpr else ""

    def age_on(self, day: dt.date) -> int:
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    # What clean() derives from the CPR number, the arrival date and the name:
    # a save of changed fields saves these too.
    DERIVED_FIELDS = (
        "sex",
        "adult_at_arrival",
        "horizon_3m",
        "horizon_6m",
        "horizon_12m",
        "search_name",
    )

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        try:
            self.cpr = cpr.validate(self.cpr)
        except ValidationError as exc:
            raise ValidationError({"cpr": exc.messages}) from exc
        self.birth_date = cpr.birth_date(self.cpr)
        self.search_name = fold(f"{self.first_name} {self.last_name}")
        if not self.sex:
            self.sex = cpr.sex(self.cpr)
        if self.arrival_date and self.arrival_date < self.birth_date:
            raise ValidationError({"arrival_date": _("Arrival cannot be before birth.")})
        if self.arrival_date:
            self.adult_at_arrival = self.age_on(self.arrival_date) >= ADULT_AGE
            self.horizon_3m = add_months(self.arrival_date, 3)
            self.horizon_6m = add_months(self.arrival_date, 6)
            self.horizon_12m = add_months(self.arrival_date, 12)
