"""Forms for cases and every fact of a case (rendered with crispy-forms)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role
from common import cpr
from common.forms import (
    CountryField,
    CsvFileField,
    DateInput,
    VersionedForm,
    date_bounds,
    date_field,
)
from integration import models
from integration.imports import ImportKind


def caseworkers_of(team: models.Team | None):
    qs = models.User.objects.filter(groups__name=Role.CASEWORKER, is_active=True).order_by(
        "first_name", "last_name", "username"
    )
    return qs.filter(team=team) if team else qs


def add_service_errors(form: forms.Form, exc: Exception) -> None:
    """Show a service's refusal on the form: a ValidationError at its fields, any
    other refusal (someone saved the record meanwhile) above them."""
    if not isinstance(exc, ValidationError):
        form.add_error(None, str(exc))
    elif hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def default_to_only_choice(field: forms.ModelChoiceField) -> None:
    """Preselect a choice field's one choice, without the empty line, when it
    offers exactly one (a caseworker's own team; a municipality with one team)."""
    only = list(field.queryset[:2])
    if len(only) == 1:
        field.initial = only[0].pk
        field.empty_label = None


class CaseworkerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: models.User) -> str:
        name = obj.get_full_name() or obj.username
        return f"{name} ({obj.team})" if obj.team_id else name


class CitizenFieldsMixin(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    sex = forms.ChoiceField(
        label=_("Sex"),
        choices=[("", _("From the CPR number")), *models.Sex.choices],
        required=False,
    )
    nationality = CountryField(label=_("Nationality (country of origin)"))
    languages = forms.CharField(
        label=_("Languages"),
        max_length=200,
        required=False,
        help_text=_("For example: Arabic, Kurdish"),
    )
    residence_basis = forms.ChoiceField(
        label=_("Residence basis"), choices=models.ResidenceBasis.choices
    )
    arrival_date = date_field(_("Arrival date"))
    household = forms.CharField(
        label=_("Household reference"),
        max_length=40,
        required=False,
        help_text=_("Citizens with the same reference form one household."),
    )
    unaccompanied_minor = forms.BooleanField(label=_("Unaccompanied minor"), required=False)
    team = forms.ModelChoiceField(label=_("Team"), queryset=models.Team.objects.all())
    caseworker = CaseworkerChoiceField(
        label=_("Caseworker"), queryset=models.User.objects.none(), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["caseworker"].queryset = caseworkers_of(None).select_related("team")

    def limit_to_team(self, team_id: int | None) -> None:
        """Offer only this team and its caseworkers (everyone but administrators)."""
        team = models.Team.objects.filter(pk=team_id).first()
        self.fields["team"].queryset = models.Team.objects.filter(pk=team_id)
        self.fields["caseworker"].queryset = (
            caseworkers_of(team).select_related("team") if team else models.User.objects.none()
        )

    def default_for(self, user: models.User) -> None:
        """A new case's defaults: the only team offered, and the signed-in user
        as its caseworker when they are one of the caseworkers offered."""
        default_to_only_choice(self.fields["team"])
        if self.fields["caseworker"].queryset.filter(pk=user.pk).exists():
            self.fields["caseworker"].initial = user.pk

    def clean_arrival_date(self):
        day = self.cleaned_data["arrival_date"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("The arrival date cannot be in the future."))
        return day

    def clean(self):
        data = super().clean()
        team, caseworker = data.get("team"), data.get("caseworker")
        if team and caseworker and caseworker.team_id != team.pk:
            self.add_error("caseworker", _("The caseworker must belong to the chosen team."))
        return data


class CaseCreateForm(CitizenFieldsMixin, forms.Form):
    cpr = forms.CharField(
        label=_("CPR number"),
        max_length=11,
        help_text=_("DDMMYY-SSSS. Replacement numbers are accepted."),
    )

    field_order = ["cpr", "first_name", "last_name"]

    def clean_cpr(self):
        # Whether the number is registered already is the view's question: the
        # answer is a read of another team's citizen, and is logged there.
        return cpr.validate(self.cleaned_data["cpr"])


class CaseEditForm(CitizenFieldsMixin, VersionedForm):
    @classmethod
    def initial_for(cls, case: models.Case) -> dict:
        c = case.citizen
        return {
            "first_name": c.first_name,
            "last_name": c.last_name,
            "sex": c.sex,
            "nationality": c.nationality,
            "languages": c.languages,
            "residence_basis": c.residence_basis,
            "arrival_date": c.arrival_date,
            "household": c.household.reference if c.household_id else "",
            "unaccompanied_minor": c.unaccompanied_minor,
            "team": case.team_id,
            "caseworker": case.caseworker_id,
            "version": case.version,
        }


class CloseCaseForm(VersionedForm):
    reason = forms.ChoiceField(label=_("Closing reason"), choices=models.ClosingReason.choices)
    on = date_field(_("Closed on"), initial=timezone.localdate)
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    to_status = models.CaseStatus.CLOSED


class ReopenCaseForm(VersionedForm):
    on = date_field(_("Reopened on"), initial=timezone.localdate)
    note = forms.CharField(
        label=_("Why is the case reopened?"), widget=forms.Textarea(attrs={"rows": 3})
    )
    to_status = models.CaseStatus.OPEN


# --- facts ----------------------------------------------------------------


class FactForm(forms.ModelForm):
    """A fact's form; the view passes the case so choices can depend on it."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, case: models.Case, **kwargs):
        self.case = case
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.DateField):
                field.widget = DateInput()
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version

    def clean(self):
        data = super().clean()
        if self.instance.pk and not data.get("version"):
            raise forms.ValidationError(_("The form is missing its version; reload the page."))
        return data

    def _post_clean(self):
        # The case is set by the service, so validate as if it were set here.
        self.instance.case = self.case
        super()._post_clean()


def _providers(*kinds: str):
    qs = models.ProviderOrganisation.objects.filter(active=True)
    return qs.filter(kind__in=kinds) if kinds else qs


class LadderPlacementForm(FactForm):
    class Meta:
        model = models.LadderPlacement
        fields = ["step", "provider", "start_date", "end_date"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = _providers(
            models.ProviderKind.WORKPLACE, models.ProviderKind.COURSE, models.ProviderKind.MUNICIPAL
        )


class DanishCourseForm(FactForm):
    class Meta:
        model = models.DanishCourse
        fields = ["provider", "module", "hours_per_week", "start_date", "end_date"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = _providers(models.ProviderKind.LANGUAGE_SCHOOL)


class DanishAbsenceForm(FactForm):
    class Meta:
        model = models.DanishAbsence
        fields = ["course", "month", "absence_percent"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = models.DanishCourse.objects.filter(
            case=self.case
        ).select_related("provider")
        self.fields["absence_percent"].min_value = 0
        self.fields["absence_percent"].max_value = 100


class RepatriationForm(FactForm):
    destination_country = CountryField(label=_("Destination country"))

    class Meta:
        model = models.Repatriation
        fields = ["left_on", "destination_country", "adults", "children"]


# The fields of each kind of fact whose form needs nothing more than FactForm.
_FACT_FIELDS = {
    "screening": ["visit_date", "location", "note"],
    "housing": ["kind", "locality", "near_known_job", "start_date", "end_date"],
    "contract": ["signed_on"],
    "plan": ["status", "event_date"],
    "health": ["offered_on", "response", "done_on"],
    "followup": ["held_on", "repatriation_guidance_given", "note"],
    "employment": ["category", "start_date", "end_date"],
}
_FACT_FORM_CLASSES = {
    "ladder": LadderPlacementForm,
    "course": DanishCourseForm,
    "absence": DanishAbsenceForm,
    "repatriation": RepatriationForm,
}
# The form of each kind of fact, under the kinds of integration.models.FACT_MODELS.
FACT_FORMS: dict[str, type[FactForm]] = {
    kind: _FACT_FORM_CLASSES.get(kind)
    or forms.modelform_factory(model, form=FactForm, fields=_FACT_FIELDS[kind])
    for kind, model in models.FACT_MODELS.items()
}


class ProviderOrganisationForm(forms.ModelForm):
    class Meta:
        model = models.ProviderOrganisation
        fields = ["name", "kind", "cvr", "address", "contact_email", "active"]

    def clean_cvr(self):
        value = self.cleaned_data["cvr"].strip()
        if value:
            from stdnum.dk import cvr
            from stdnum.exceptions import ValidationError as StdnumError

            try:
                value = cvr.validate(value)
            except StdnumError as exc:
                raise forms.ValidationError(_("Not a valid CVR number.")) from exc
        return value


# --- administration -----------------------------------------------------


class AccessLogFilterForm(forms.Form):
    """The GET filter of the log page; an invalid field is left out of the filter."""

    user = forms.CharField(label=_("User"), required=False, max_length=150)
    exact = forms.BooleanField(label=_("Exact username"), required=False)
    citizen = forms.CharField(
        label=_("Citizen"),
        required=False,
        max_length=100,
        help_text=_("Full CPR number or name"),
    )
    action = forms.ChoiceField(
        label=_("Action"),
        required=False,
        choices=[("", _("All")), *models.AccessAction.choices],
    )
    date_from = forms.DateField(
        label=_("From date"),
        required=False,
        validators=date_bounds(),
        widget=DateInput(),
    )
    date_to = forms.DateField(
        label=_("To date"),
        required=False,
        validators=date_bounds(),
        widget=DateInput(),
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", gettext("The end date cannot be before the start date."))
        return data

    def mark_errors(self) -> None:
        """Give every field Bootstrap's class, and link invalid fields to their errors."""
        for name, form_field in self.fields.items():
            css = "form-check-input" if name == "exact" else "form-control"
            if name == "action":
                css = "form-select"
            if name in self.errors:
                css += " is-invalid"
                form_field.widget.attrs["aria-invalid"] = "true"
                form_field.widget.attrs["aria-describedby"] = f"{name}-error"
            elif form_field.help_text:
                form_field.widget.attrs["aria-describedby"] = f"{name}-help"
            form_field.widget.attrs["class"] = css


# Bigger files are refused before they are read.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What the file holds"),
        choices=ImportKind.choices,
        initial=ImportKind.CITIZENS,
        widget=forms.RadioSelect,
    )
    file = CsvFileField(
        max_bytes=MAX_UPLOAD_BYTES,
        help_text=_(
            "UTF-8, separated by commas or semicolons, with a header row. "
            "Dates as YYYY-MM-DD or DD-MM-YYYY."
        ),
    )
    team = forms.ModelChoiceField(
        label=_("Default team"),
        queryset=models.Team.objects.all(),
        required=False,
        help_text=_("Citizens: new cases go to this team when the file's team column is empty."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        default_to_only_choice(self.fields["team"])


DB_INTEGER_MAX = 2**31 - 1


class CaseloadFilterForm(forms.Form):
    """The caseload's query string: a value the page does not offer is a bad request."""

    q = forms.CharField(required=False, max_length=100)
    scope = forms.ChoiceField(
        required=False, choices=[("", ""), ("mine", "mine"), ("team", "team"), ("all", "all")]
    )
    team = forms.IntegerField(required=False, min_value=1, max_value=DB_INTEGER_MAX)
    status = forms.ChoiceField(required=False, choices=[("", ""), *models.CaseStatus.choices])
    basis = forms.ChoiceField(required=False, choices=[("", ""), *models.ResidenceBasis.choices])
    step = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", ""), *((str(v), label) for v, label in models.LadderStep.choices)],
    )
    overdue = forms.ChoiceField(required=False, choices=[("", ""), ("1", "1"), ("0", "0")])
    sort = forms.ChoiceField(required=False, choices=[])
    page = forms.IntegerField(required=False, min_value=1, max_value=DB_INTEGER_MAX)

    def __init__(self, *args, sorts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sort"].choices = [("", ""), *((key, key) for key in sorts)]


# --- journal notes ------------------------------------------------------------


class JournalNoteForm(forms.Form):
    happened_on = date_field(
        _("Date"),
        initial=timezone.localdate,
        help_text=_("The day of the meeting or event the note is about."),
    )
    text = forms.CharField(
        label=_("Note"),
        max_length=models.NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("You can change the note for 24 hours; then it is locked."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args, note: models.JournalNote | None = None, **kwargs):
        if note is not None:
            kwargs.setdefault(
                "initial",
                {"happened_on": note.happened_on, "text": note.text, "version": note.version},
            )
        self.note = note
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        if self.note is not None and not data.get("version"):
            raise forms.ValidationError(_("The form is missing its version; reload the page."))
        return data


class NoteSearchForm(forms.Form):
    """The note search's query string: a value it does not take is a bad request."""

    q = forms.CharField(label=_("Search the notes"), required=False, max_length=200)
    page = forms.IntegerField(required=False, min_value=1, max_value=DB_INTEGER_MAX)


# --- tasks and the user's own settings -----------------------------------------


class TaskFilterForm(forms.Form):
    """The task page's query string: ``show`` is one of the choices the page
    offers the user (their cases, their team, or a team they may see); any other
    value is a bad request."""

    show = forms.ChoiceField(required=False, choices=[])

    def __init__(self, *args, choices: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["show"].choices = [("", ""), *choices]


class UserSettingsForm(forms.ModelForm):
    """The signed-in user's own settings; the e-mail switch only for those who get it."""

    class Meta:
        model = models.User
        fields = ["language", "deadline_digest"]

    def __init__(self, *args, digest: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not digest:
            del self.fields["deadline_digest"]
