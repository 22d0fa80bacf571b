"""The dated facts of a case: placements, courses, deadlines met, spells.

Every fact belongs to one case, carries a UUID for its URL and a version for
optimistic locking, and keeps its change history.
"""

import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.formats import number_format
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from common.constraints import between

from .case import Case
from .fields import history_records, optional_reference, user_reference
from .org import ProviderOrganisation


class CaseFact(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = user_reference(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # Looked up by id and case: see Citizen.history.
    history = history_records(inherit=True, no_db_index=["uuid", "created_by"])

    # The field that dates this fact on the case timeline, and the field its
    # one-line text names after the kind of fact (none: the kind alone).
    date_field: str
    summary_field: str | None = None

    class Meta:
        abstract = True

    def __str__(self) -> str:
        kind = capfirst(self._meta.verbose_name)
        summary = self.summary()
        return f"{kind}: {summary}" if summary else str(kind)

    def summary(self) -> str:
        """The value of ``summary_field``, by its label when it has choices."""
        if self.summary_field is None:
            return ""
        field = self._meta.get_field(self.summary_field)
        if field.choices:
            return getattr(self, f"get_{field.name}_display")()
        return str(getattr(self, field.attname))

    # The date and the one-line text the case timeline shows for this fact.
    def timeline_date(self):
        return getattr(self, self.date_field)

    def timeline_text(self) -> str:
        return str(self)


class SpellMixin(models.Model):
    """A period with an inclusive start and end; an empty end means ongoing."""

    start_date = models.DateField(_("start"))
    end_date = models.DateField(
        _("end"), null=True, blank=True, help_text=_("Leave empty while it is ongoing.")
    )

    date_field = "start_date"

    class Meta:
        abstract = True

    def clean(self) -> None:
        super().clean()
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The end cannot be before the start.")})

    def is_active_on(self, day) -> bool:
        return self.start_date <= day and (self.end_date is None or self.end_date >= day)


class ScreeningVisit(CaseFact):
    """Forbesøg: the visit at the asylum centre before arrival."""

    visit_date = models.DateField(_("date of visit"))
    location = models.CharField(_("asylum centre"), max_length=200)
    note = models.TextField(_("note"), blank=True)

    date_field = "visit_date"
    summary_field = "location"

    class Meta:
        verbose_name = _("screening visit")
        verbose_name_plural = _("screening visits")


class HousingKind(models.TextChoices):
    TEMPORARY = "temporary", _("Temporary housing")
    OWN_LEASE = "own_lease", _("Own lease")


class HousingPlacement(SpellMixin, CaseFact):
    kind = models.CharField(_("kind"), max_length=20, choices=HousingKind.choices)
    locality = models.CharField(_("locality"), max_length=100)
    near_known_job = models.BooleanField(_("chosen near a known job"), default=False)

    class Meta:
        verbose_name = _("housing placement")
        verbose_name_plural = _("housing placements")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}, {self.locality}"


class LadderStep(models.IntegerChoices):
    ORDINARY = 1, _("1. Ordinary job or education")
    WAGE_SUBSIDY_PRIVATE = 2, _("2. Wage subsidy, private company")
    WAGE_SUBSIDY_PUBLIC = 3, _("3. Wage subsidy, public employer")
    INTERNSHIP_PRIVATE = 4, _("4. Company internship, private")
    INTERNSHIP_PUBLIC = 5, _("5. Company internship, public")
    OTHER = 6, _("6. Other development activity")


class LadderPlacement(SpellMixin, CaseFact):
    """A spell on the employment priority ladder (prioriteringstrappen)."""

    step = models.PositiveSmallIntegerField(_("ladder step"), choices=LadderStep.choices)
    provider = optional_reference(
        ProviderOrganisation,
        verbose_name=_("provider organisation"),
        related_name="ladder_placements",
    )

    class Meta:
        verbose_name = _("ladder placement")
        verbose_name_plural = _("ladder placements")
        indexes = [
            models.Index(fields=["case", "start_date"], name="ladder_case_start_idx"),
            models.Index(fields=["provider", "end_date"], name="ladder_provider_idx"),
        ]

    def __str__(self) -> str:
        where = f", {self.provider}" if self.provider_id else ""
        return f"{self.get_step_display()}{where}"


class DanishCourse(SpellMixin, CaseFact):
    """Danish language education (danskuddannelse) at a language school."""

    provider = models.ForeignKey(
        ProviderOrganisation,
        verbose_name=_("language school"),
        on_delete=models.PROTECT,
        related_name="danish_courses",
    )
    module = models.CharField(_("module"), max_length=50, help_text=_("For example DU2 module 3."))
    hours_per_week = models.PositiveSmallIntegerField(_("hours a week"), default=18)

    class Meta:
        verbose_name = _("Danish course")
        verbose_name_plural = _("Danish courses")
        indexes = [models.Index(fields=["provider", "end_date"], name="course_provider_idx")]

    def summary(self) -> str:
        return f"{self.provider}, {self.module}"


class DanishAbsence(CaseFact):
    """Absence from a Danish course in one calendar month, in percent."""

    course = models.ForeignKey(
        DanishCourse,
        verbose_name=_("Danish course"),
        on_delete=models.PROTECT,
        related_name="absences",
    )
    month = models.DateField(_("month"), help_text=_("Any day in the month."))
    absence_percent = models.DecimalField(_("absence (%)"), max_digits=4, decimal_places=1)

    class Meta:
        verbose_name = _("monthly absence")
        verbose_name_plural = _("monthly absence")
        constraints = [
            models.UniqueConstraint(fields=["course", "month"], name="absence_once_per_month"),
            between("absence_percent", 0, 100, name="absence_is_a_percentage"),
        ]

    date_field = "month"

    def summary(self) -> str:
        return f"{number_format(self.absence_percent, decimal_pos=1)} %"

    def clean(self) -> None:
        super().clean()
        if self.month:
            self.month = self.month.replace(day=1)
        if self.course_id and self.case_id and self.course.case_id != self.case_id:
            raise ValidationError({"course": _("The course belongs to another case.")})


class IntegrationContract(CaseFact):
    signed_on = models.DateField(_("signed on"))

    date_field = "signed_on"

    class Meta:
        verbose_name = _("integration contract")
        verbose_name_plural = _("integration contracts")

    def __str__(self) -> str:
        return str(_("Integration contract signed"))


class PlanStatus(models.TextChoices):
    OFFERED = "offered", _("Offered")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    REQUESTED = "requested", _("Asked for later")


class IntegrationPlan(CaseFact):
    """Each row is one event: offered, accepted, declined or asked for later."""

    status = models.CharField(_("status"), max_length=20, choices=PlanStatus.choices)
    event_date = models.DateField(_("date"))

    date_field = "event_date"
    summary_field = "status"

    class Meta:
        verbose_name = _("integration plan")
        verbose_name_plural = _("integration plans")


class HealthResponse(models.TextChoices):
    PENDING = "pending", _("Awaiting answer")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


class HealthAssessment(CaseFact):
    """Only the status and dates of the assessment, never its medical content."""

    offered_on = models.DateField(_("offered on"))
    response = models.CharField(
        _("response"),
        max_length=20,
        choices=HealthResponse.choices,
        default=HealthResponse.PENDING,
    )
    done_on = models.DateField(_("done on"), null=True, blank=True)

    date_field = "offered_on"
    summary_field = "response"

    class Meta:
        verbose_name = _("health assessment")
        verbose_name_plural = _("health assessments")

    def clean(self) -> None:
        super().clean()
        if self.done_on and self.offered_on and self.done_on < self.offered_on:
            raise ValidationError({"done_on": _("It cannot be done before it was offered.")})
        if self.done_on and self.response == HealthResponse.DECLINED:
            raise ValidationError({"done_on": _("A declined assessment has no date done.")})


class FollowUp(CaseFact):
    """The mandatory 3-monthly follow-up (opfølgning)."""

    held_on = models.DateField(_("date"))
    repatriation_guidance_given = models.BooleanField(
        _("repatriation guidance given"),
        default=False,
        help_text=_("Guidance on repatriation must be given at every follow-up."),
    )
    note = models.TextField(_("note"), blank=True)

    date_field = "held_on"

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        indexes = [models.Index(fields=["case", "held_on"], name="followup_case_date_idx")]

    def timeline_text(self) -> str:
        if self.repatriation_guidance_given:
            return str(_("Follow-up, repatriation guidance given"))
        return str(_("Follow-up WITHOUT repatriation guidance"))


class Repatriation(CaseFact):
    left_on = models.DateField(_("date of departure"))
    destination_country = models.CharField(_("destination country"), max_length=2)
    adults = models.PositiveSmallIntegerField(_("adults who left"), default=1)
    children = models.PositiveSmallIntegerField(_("children who left"), default=0)

    date_field = "left_on"

    class Meta:
        verbose_name = _("repatriation")
        verbose_name_plural = _("repatriations")

    def summary(self) -> str:
        from common.countries import country_name

        return country_name(self.destination_country)

    def clean(self) -> None:
        super().clean()
        if self.adults == 0 and self.children == 0:
            raise ValidationError(_("At least one person must have left."))


class EmploymentCategory(models.TextChoices):
    ORDINARY_EMPLOYMENT = "ordinary_employment", _("Ordinary employment")
    ORDINARY_EDUCATION = "ordinary_education", _("Ordinary education")
    ADULT_APPRENTICE = "adult_apprentice", _("Adult apprentice")
    ROTATION_SUBSTITUTE = "rotation_substitute", _("Rotation substitute")
    SELF_SUPPORTING = "self_supporting", _("Self-supporting without public benefit")
    WAGE_SUBSIDY = "wage_subsidy", _("Wage subsidy")
    INTERNSHIP = "internship", _("Internship")
    BENEFITS = "benefits", _("Public benefits")


# Categories that count as "employed or self-supporting" in every report.
EMPLOYED_OR_SELF_SUPPORTING = frozenset(
    {
        EmploymentCategory.ORDINARY_EMPLOYMENT,
        EmploymentCategory.ORDINARY_EDUCATION,
        EmploymentCategory.ADULT_APPRENTICE,
        EmploymentCategory.ROTATION_SUBSTITUTE,
        EmploymentCategory.SELF_SUPPORTING,
    }
)


class EmploymentSource(models.TextChoices):
    DREAM = "dream", _("DREAM register import")
    MANUAL = "manual", _("Entered by a caseworker")


class EmploymentSpell(SpellMixin, CaseFact):
    """A spell of employment status; start and end are both inclusive."""

    category = models.CharField(_("category"), max_length=30, choices=EmploymentCategory.choices)
    source = models.CharField(
        _("source"),
        max_length=10,
        choices=EmploymentSource.choices,
        default=EmploymentSource.MANUAL,
        editable=False,
    )

    summary_field = "category"

    class Meta:
        verbose_name = _("employment status")
        verbose_name_plural = _("employment status")
        indexes = [
            models.Index(fields=["case", "start_date"], name="employment_case_start_idx"),
        ]


# Every kind of fact a case holds, under the name its URLs use. Forms, the
# change history, the role permissions and retention all start from this one
# list, so a new kind of fact is added here once.
FACT_MODELS: dict[str, type[CaseFact]] = {
    "screening": ScreeningVisit,
    "housing": HousingPlacement,
    "ladder": LadderPlacement,
    "course": DanishCourse,
    "absence": DanishAbsence,
    "contract": IntegrationContract,
    "plan": IntegrationPlan,
    "health": HealthAssessment,
    "followup": FollowUp,
    "repatriation": Repatriation,
    "employment": EmploymentSpell,
}
