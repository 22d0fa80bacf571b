"""The forms of progression: the 13 × 3 grid a caseworker fills in, the provider's
single column, the citizen's link and answers, and the questionnaire's texts."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.forms import DateInput
from progression.citizen_texts import texts_for
from progression.models import (
    ITEM_COUNT,
    LANGUAGES,
    RATER_ORDER,
    RTL_LANGUAGES,
    SCALE,
    Item,
    Rater,
    Source,
)
from progression.services import texts_fingerprint

GRID_RATERS = RATER_ORDER


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
    """The grid. ``locked`` maps a rater to the source of a column that is
    that rater's own input (the citizen's link, the provider's own form):
    its cells are shown but not taken from the post."""

    raters = GRID_RATERS

    measured_on = forms.DateField(label=_("Date of the round"), widget=DateInput())
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    submission = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, locked: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.locked = locked or {}
        for rater in self.locked:
            for n in range(1, ITEM_COUNT + 1):
                self.fields[score_field_name(rater, n)].disabled = True

    @staticmethod
    def initial_for(round_) -> dict:
        initial = {"measured_on": round_.measured_on, "version": round_.version}
        for m in round_.measurements.all():
            for n, score in m.scores().items():
                initial[score_field_name(m.rater, n)] = score if score is not None else ""
        return initial

    @staticmethod
    def locked_for(round_) -> dict[str, str]:
        own = (Source.LINK, Source.PROVIDER)
        return {m.rater: m.source for m in round_.measurements.all() if m.source in own}

    def unanswered(self) -> dict[str, int]:
        """Unanswered items per rater, in the raters' order."""
        return {
            rater: sum(1 for score in scores.values() if score is None)
            for rater, scores in self.scores().items()
        }


class ProviderScoreForm(ScoresForm):
    """The provider's column for one date. ``shown`` carries the scores the
    form opened with, so that a column changed in between is not overwritten
    unseen."""

    raters = [Rater.PROVIDER]

    measured_on = forms.DateField(label=_("Date"), widget=DateInput())
    shown = forms.CharField(widget=forms.HiddenInput, required=False)

    @staticmethod
    def encode(scores: dict[int, int | None]) -> str:
        values = [scores.get(n) for n in range(1, ITEM_COUNT + 1)]
        return ",".join("" if v is None else str(v) for v in values)

    def shown_scores(self) -> dict[int, int | None]:
        parts = (self.cleaned_data.get("shown") or "").split(",")
        values = {}
        for n in range(1, ITEM_COUNT + 1):
            raw = parts[n - 1] if len(parts) >= n else ""
            values[n] = int(raw) if raw.isdigit() and int(raw) in SCALE else None
        return values


class ProviderDateForm(forms.Form):
    """The date whose column the provider's form opens with (a GET)."""

    date = forms.DateField(label=_("Date of the measurement"), widget=DateInput())


class TopicAgreementForm(forms.Form):
    agreement = forms.CharField(
        label=_("What was agreed"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
    agreed_on = forms.DateField(label=_("Date"), widget=DateInput(), initial=timezone.localdate)


# --- the citizen link ---------------------------------------------------------

SKIP = ""  # the value of "don't want to answer"


class LinkCreateForm(forms.Form):
    language = forms.ChoiceField(label=_("The citizen's language"), choices=LANGUAGES)


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    input_id: str
    checked: bool


@dataclass(frozen=True)
class ItemRow:
    """One question as the citizen's template shows it: a fieldset of radios."""

    number: int
    name: str
    question: str
    options: list[Option]
    error: str
    error_id: str


class CitizenScoresForm(forms.Form):
    """One optional 1–5 choice per item, in the link's language.

    A skipped or missing item is "not answered" (None); any other value than
    1–5 is an error, shown in the citizen's language.
    """

    def __init__(self, *args, items: list[Item], language: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items
        self.language = language
        self.texts = texts_for(language)
        for item in items:
            scale = item.text("scale", language) or []
            choices = [
                (str(step), f"{step} – {scale[step - 1]}" if len(scale) >= step else str(step))
                for step in SCALE
            ]
            self.fields[self.field_name(item.number)] = forms.ChoiceField(
                label=item.text("question", language),
                choices=[*choices, (SKIP, self.texts["skip"])],
                required=False,
                widget=forms.RadioSelect,
                error_messages={"invalid_choice": self.texts["field_error"]},
            )

    @staticmethod
    def field_name(number: int) -> str:
        return f"item_{number}"

    def clean(self):
        cleaned = super().clean()
        # An empty reply would replace the citizen's column with nothing.
        if not self.errors and not any(self.scores().values()):
            raise forms.ValidationError(self.texts["empty_reply"], code="empty")
        return cleaned

    def scores(self) -> dict[int, int | None]:
        """The cleaned answers, ``{item number: 1–5 or None}``."""
        scores: dict[int, int | None] = {}
        for item in self.items:
            value = self.cleaned_data.get(self.field_name(item.number))
            scores[item.number] = int(value) if value else None
        return scores

    def rows(self) -> list[ItemRow]:
        """Everything the template needs to draw the questions, worked out here."""
        rows = []
        for item in self.items:
            name = self.field_name(item.number)
            field = self.fields[name]
            chosen = self.data.get(name) if self.is_bound else None
            errors = self.errors.get(name) if self.is_bound else None
            rows.append(
                ItemRow(
                    number=item.number,
                    name=name,
                    question=str(field.label),
                    options=[
                        Option(
                            value=value,
                            label=str(label),
                            input_id=f"id_{name}_{value or 'skip'}",
                            checked=chosen == value,
                        )
                        for value, label in field.choices
                    ],
                    error=errors[0] if errors else "",
                    error_id=f"id_{name}_error",
                )
            )
        return rows


# --- questionnaire texts -----------------------------------------------------

LABEL_MAX = 120
QUESTION_MAX = 400
STEP_MAX = 80


@dataclass(frozen=True)
class LanguageGroup:
    """The fields of one language, for one fieldset."""

    code: str
    name: str
    direction: str
    fields: list[forms.BoundField]


def _text_attrs(code: str) -> dict[str, str]:
    # The text is in the item's language, not the page's: screen readers and
    # the browser's spell checker need to know, and ar/fa are written right to left.
    return {"lang": code, "dir": "rtl" if code in RTL_LANGUAGES else "ltr"}


class ItemTextsForm(forms.Form):
    """Label, question and the five scale steps of one item, in all six languages (42 fields)."""

    municipal_wording = forms.BooleanField(
        label=_("This is the municipality's own wording"),
        required=False,
        help_text=_("Leave unticked for a default item that an administrator may replace."),
    )
    fingerprint = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, item: Item, **kwargs):
        texts = item.texts if isinstance(item.texts, dict) else {}
        initial = {
            "municipal_wording": item.municipal_wording,
            "fingerprint": texts_fingerprint(item.texts),
        }
        for code, _name in LANGUAGES:
            entry = texts.get(code) if isinstance(texts.get(code), dict) else {}
            scale = entry.get("scale") if isinstance(entry.get("scale"), list) else []
            initial[f"{code}_label"] = entry.get("label", "")
            initial[f"{code}_question"] = entry.get("question", "")
            for step in SCALE:
                initial[f"{code}_scale_{step}"] = scale[step - 1] if len(scale) >= step else ""
        super().__init__(*args, initial=initial, **kwargs)
        self.item = item
        for code, _name in LANGUAGES:
            attrs = _text_attrs(code)
            self.fields[f"{code}_label"] = forms.CharField(
                label=_("Short label"),
                max_length=LABEL_MAX,
                widget=forms.TextInput(attrs=attrs),
            )
            self.fields[f"{code}_question"] = forms.CharField(
                label=_("Question"),
                max_length=QUESTION_MAX,
                widget=forms.Textarea(attrs={**attrs, "rows": 2}),
            )
            for step in SCALE:
                self.fields[f"{code}_scale_{step}"] = forms.CharField(
                    label=_("Scale step %(step)s") % {"step": step},
                    max_length=STEP_MAX,
                    widget=forms.TextInput(attrs=attrs),
                )

    def language_groups(self) -> list[LanguageGroup]:
        groups = []
        for code, name in LANGUAGES:
            names = [f"{code}_label", f"{code}_question"] + [
                f"{code}_scale_{step}" for step in SCALE
            ]
            groups.append(
                LanguageGroup(
                    code=code,
                    name=name,
                    direction="rtl" if code in RTL_LANGUAGES else "ltr",
                    fields=[self[n] for n in names],
                )
            )
        return groups

    def texts(self) -> dict[str, dict]:
        d = self.cleaned_data
        return {
            code: {
                "label": d[f"{code}_label"],
                "question": d[f"{code}_question"],
                "scale": [d[f"{code}_scale_{step}"] for step in SCALE],
            }
            for code, _name in LANGUAGES
        }


class PublishForm(forms.Form):
    note = forms.CharField(
        label=_("What changed (shown in the list of versions)"),
        max_length=300,
        required=False,
    )
