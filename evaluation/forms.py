"""The evaluation app's forms: the dashboard's filters, the service review's
texts, a benchmark upload and the year's expected arrivals."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common import cpr, dates
from common.forms import CsvFileField, DateInput, date_bounds
from evaluation import dashboard as board
from evaluation.models import ArrivalQuota, BenchmarkSource, ReportKind, ReportNarrative
from evaluation.period import ReportPeriod
from evaluation.reports import (
    CASE_NUMBER_MAX,
    NARRATIVE_KEYS,
    OPTIONAL_NARRATIVE_KEYS,
    clean_case_number,
)
from integration import selectors as case_selectors
from integration.models import ResidenceBasis

DATE_WIDGET = DateInput()
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
SECTION_LABELS = {
    "introduction": gettext_lazy("Introduction"),
    "law": gettext_lazy("The law and the municipality's effort"),
    "employment": gettext_lazy("Employment and self-support"),
    "benchmark": gettext_lazy("Comparison with other municipalities"),
    "repatriation": gettext_lazy("Repatriation"),
    "progression": gettext_lazy("Progression measurements"),
    "danish": gettext_lazy("Danish education"),
    "conclusion": gettext_lazy("Conclusion"),
    "interviews": gettext_lazy("Annex: qualitative interviews (optional)"),
}


class DashboardFilterForm(forms.Form):
    # Left empty, a date is the default period's: the last 12 months.
    date_from = forms.DateField(
        label=gettext_lazy("From"), widget=DATE_WIDGET, required=False, validators=date_bounds()
    )
    date_to = forms.DateField(
        label=gettext_lazy("To"), widget=DATE_WIDGET, required=False, validators=date_bounds()
    )
    team = forms.TypedChoiceField(
        label=gettext_lazy("Team"), coerce=int, required=False, empty_value=None
    )
    basis = forms.ChoiceField(
        label=gettext_lazy("Residence basis"),
        required=False,
        choices=[("", gettext_lazy("All")), *ResidenceBasis.choices],
    )

    def __init__(self, *args, teams: list[dict], today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["team"].choices = [
            ("", _("All teams")),
            *[(t["id"], t["name"]) for t in teams],
        ]
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs["class"] = css

    def full_clean(self):
        super().full_clean()
        # Point each field with an error at its message (the template gives it
        # the id "<name>-error"), for screen readers.
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["aria-describedby"] = f"{name}-error"
                attrs["class"] += " is-invalid"

    def clean(self):
        data = super().clean()
        default = board.DashboardFilters.default(self.today)
        if "date_from" in data and data["date_from"] is None:
            data["date_from"] = default.start
        if "date_to" in data and data["date_to"] is None:
            data["date_to"] = default.end
        start, end = data.get("date_from"), data.get("date_to")
        if end and end > self.today:
            self.add_error("date_to", _("The period cannot end after today."))
        elif start and end and start > end:
            self.add_error("date_from", _("The start must be on or before the end."))
        elif start and end and dates.month_count(start, end) > board.MAX_MONTHS:
            self.add_error(
                "date_from",
                _("Choose a period of at most %(months)d months.") % {"months": board.MAX_MONTHS},
            )
        return data

    def filters(self) -> board.DashboardFilters:
        d = self.cleaned_data
        return board.DashboardFilters(
            start=d["date_from"],
            end=d["date_to"],
            team_id=d["team"],
            residence_basis=d["basis"] or None,
        )


class NarrativeForm(forms.Form):
    """One textarea per section of the service review, the versions the page
    was opened with, and one status for them all."""

    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        choices=ReportNarrative.Status.choices,
        help_text=gettext_lazy("The service review can be made when every section is final."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key in NARRATIVE_KEYS:
            self.fields[key] = forms.CharField(
                label=SECTION_LABELS[key],
                required=False,
                widget=forms.Textarea(attrs={"rows": 6, "class": "form-control"}),
                max_length=20000,
            )
            self.fields[f"version_{key}"] = forms.IntegerField(
                widget=forms.HiddenInput, min_value=0, required=False
            )
        self.fields["status"].widget.attrs["class"] = "form-select w-auto"

    def section_fields(self):
        return [self[key] for key in NARRATIVE_KEYS]

    def version_fields(self):
        return [self[f"version_{key}"] for key in NARRATIVE_KEYS]

    def clean(self):
        data = super().clean()
        for key in NARRATIVE_KEYS:
            text = data.get(key) or ""
            if cpr.found_in_text(text):
                self.add_error(
                    key,
                    _(
                        "The text holds something shaped like a CPR number. The report is "
                        "public: write about groups, never about a person."
                    ),
                )
            elif case_selectors.citizen_names_in(text):
                self.add_error(
                    key,
                    _(
                        "The text names a citizen of the case register. The report is "
                        "public: write about groups, never about a person."
                    ),
                )
        if data.get("status") == ReportNarrative.Status.FINAL:
            for key in NARRATIVE_KEYS:
                if key in OPTIONAL_NARRATIVE_KEYS:
                    continue
                if key in data and not (data.get(key) or "").strip():
                    self.add_error(key, _("A final text cannot be empty."))
        return data


class ReportRequestForm(forms.Form):
    """Which report to make: its kind, its period, and the options of a review.

    ``submission`` is the id the page gave the form: a second submit of the
    same form (a double click, the back button) finds the first job instead
    of making another version.
    """

    kind = forms.ChoiceField(choices=ReportKind.choices)
    period = forms.CharField(max_length=20)
    submission = forms.UUIDField(required=False, widget=forms.HiddenInput)
    case_number = forms.CharField(
        label=gettext_lazy("The council's case number (optional)"),
        # The length is checked with the rest (``clean_case_number``), with one message.
        max_length=CASE_NUMBER_MAX * 4,
        required=False,
        help_text=gettext_lazy("Printed on the cover, e.g. 27.00.00-A00-1-26."),
    )
    adjusted_denominator = forms.BooleanField(
        label=gettext_lazy("Also show the cohorts without those who have left"),
        required=False,
        help_text=gettext_lazy(
            "People who moved away, were repatriated, died or retired are taken out of "
            "the shares; a footnote says how many."
        ),
    )

    include_ukraine = forms.BooleanField(
        label=gettext_lazy("Count those displaced from Ukraine in table 2.1"),
        required=False,
        help_text=gettext_lazy(
            "They come under the special act, not as refugees, and are left out unless "
            "chosen; the report says which."
        ),
    )

    def __init__(self, *args, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if not kind:
            raise forms.ValidationError(_("Choose which report to make."))
        try:
            period = ReportPeriod.parse(kind, data.get("period") or "")
        except ValueError:
            raise forms.ValidationError(
                _("Choose a month.") if kind == ReportKind.MONTHLY else _("Choose a date.")
            ) from None
        if period.is_monthly and period.as_of >= self.today:
            first = period.as_of + dt.timedelta(days=1)
            raise forms.ValidationError(
                _(
                    "%(month)s is not over yet: its follow-up can be made from %(day)s. "
                    "Choose a month that has ended."
                )
                % {
                    "month": capfirst(date_format(period.as_of, "F Y")),
                    "day": date_format(first, "SHORT_DATE_FORMAT"),
                }
            )
        if period.as_of > self.today:
            raise forms.ValidationError(
                _("The report date %(date)s has not passed yet; make the report after it.")
                % {"date": f"{period.as_of:%d-%m-%Y}"}
            )
        try:
            data["case_number"] = clean_case_number(data.get("case_number") or "")
        except ValueError as exc:
            self.add_error("case_number", str(exc))
        if data.get("adjusted_denominator") and period.is_monthly:
            raise forms.ValidationError(_("Only the service review has an adjusted denominator."))
        if data.get("include_ukraine") and period.is_monthly:
            raise forms.ValidationError(
                _("Only the service review's cohort table can count those displaced from Ukraine.")
            )
        data["report_period"] = period
        return data


class BenchmarkUploadForm(forms.Form):
    source = forms.ChoiceField(
        label=gettext_lazy("Source"),
        choices=BenchmarkSource.choices,
        widget=forms.RadioSelect,
    )
    downloaded_on = forms.DateField(
        label=gettext_lazy("Downloaded on"),
        initial=timezone.localdate,
        widget=DateInput(),
        help_text=gettext_lazy("The day the file was downloaded from the source."),
    )
    file = CsvFileField(
        max_bytes=MAX_UPLOAD_BYTES,
        help_text=gettext_lazy(
            "UTF-8, separated by commas or semicolons, with the header row "
            "municipality, period, indicator, value."
        ),
    )

    def clean_downloaded_on(self) -> dt.date:
        day = self.cleaned_data["downloaded_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("The download date cannot be in the future."))
        return day


class ArrivalQuotaForm(forms.ModelForm):
    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=2000, max_value=2100)
    expected = forms.IntegerField(
        label=gettext_lazy("Expected arrivals"), min_value=0, max_value=100_000
    )

    class Meta:
        model = ArrivalQuota
        fields = ["year", "expected"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A stored year keeps its year; only the expected number changes.
        if self.instance.pk:
            self.fields["year"].disabled = True
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-control"


QuotaFormSet = forms.modelformset_factory(ArrivalQuota, form=ArrivalQuotaForm, extra=1)
