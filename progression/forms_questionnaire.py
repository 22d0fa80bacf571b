"""Forms of the questionnaire pages: one item's texts in every language, and publishing."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.utils.translation import gettext_lazy as _

from progression.models import LANGUAGES, RTL_LANGUAGES, SCALE, Item
from progression.services import texts_fingerprint

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
