"""The 13 × 3 grid a caseworker fills in, and the provider's single column."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.forms import DateInput
from progression.models import ITEM_COUNT, SCALE, Rater

GRID_RATERS = [Rater.CITIZEN, Rater.CASEWORKER, Rater.PROVIDER]


def score_field_name(rater: str, number: int) -> str:
    return f"{rater}_{number}"


class ScoreField(forms.Field):
    """One score: a digit 1–5, or empty for "not answered"."""

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)

    def to_python(self, value):
        value = str(value if value is not None else "").strip()
        if value in ("", "0", "-"):
            return None
        if not value.isdigit() or int(value) not in SCALE:
            raise forms.ValidationError(_("Write 1 to 5, or leave it empty."))
        return int(value)


class ScoresForm(forms.Form):
    """A date and a score field for each item of each of ``raters``."""

    raters: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_score_fields()

    def clean_measured_on(self):
        day = self.cleaned_data["measured_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return day

    def add_score_fields(self) -> None:
        for rater in self.raters:
            for n in range(1, ITEM_COUNT + 1):
                self.fields[score_field_name(rater, n)] = ScoreField(
                    label=_("Item %(n)s, %(rater)s") % {"n": n, "rater": Rater(rater).label}
                )

    def scores(self) -> dict[str, dict[int, int | None]]:
        return {
            rater: {
                n: self.cleaned_data.get(score_field_name(rater, n))
                for n in range(1, ITEM_COUNT + 1)
            }
            for rater in self.raters
        }


class RoundGridForm(ScoresForm):
    raters = GRID_RATERS

    measured_on = forms.DateField(label=_("Date of the round"), widget=DateInput())
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    submission = forms.UUIDField(widget=forms.HiddenInput, required=False)

    @staticmethod
    def initial_for(round_) -> dict:
        initial = {"measured_on": round_.measured_on, "version": round_.version}
        for m in round_.measurements.all():
            for n, score in m.scores().items():
                initial[score_field_name(m.rater, n)] = score if score is not None else ""
        return initial


class ProviderScoreForm(ScoresForm):
    raters = [Rater.PROVIDER]

    measured_on = forms.DateField(label=_("Date"), widget=DateInput())


class TopicAgreementForm(forms.Form):
    agreement = forms.CharField(
        label=_("What was agreed"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
    agreed_on = forms.DateField(label=_("Date"), widget=DateInput(), initial=timezone.localdate)
