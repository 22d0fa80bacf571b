"""Forms of the citizen link: the caseworker's language choice and the citizen's scores."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.utils.translation import gettext_lazy as _

from progression.citizen_texts import texts_for
from progression.models import LANGUAGES, SCALE, Item

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
