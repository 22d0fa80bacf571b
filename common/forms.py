"""Form fields and widgets every app's forms share."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from common.countries import country_choices

# What a date field shows and asks for: 31-01-2019. ISO (2019-01-31) is
# accepted too (config.formats' DATE_INPUT_FORMATS), for links and pasted values.
DATE_DISPLAY_FORMAT = "%d-%m-%Y"
DATE_PATTERN = r"\d{1,2}-\d{1,2}-\d{4}|\d{4}-\d{2}-\d{2}"


class DateInput(forms.DateInput):
    """A date as 31-01-2019, whatever the browser's locale.

    A text field, not the browser's date picker: Chromium shows ``type=date``
    in the browser's locale (01/31/2019 in en-US), not the municipality's
    day-month-year, and a date typed there in the other order is silently
    another day.
    """

    input_type = "text"

    def __init__(self, attrs=None):
        defaults = {
            "inputmode": "numeric",
            "autocomplete": "off",
            "placeholder": _("dd-mm-yyyy"),
            "pattern": DATE_PATTERN,
            "size": 10,
        }
        super().__init__(attrs={**defaults, **(attrs or {})}, format=DATE_DISPLAY_FORMAT)


# Dates a form accepts at all: a filter or a fact far outside them is a typing
# error, and dates near the calendar's ends break the date arithmetic after it.
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)


def date_bounds() -> list:
    message = _("Choose a date between 1900 and 2100.")
    return [
        MinValueValidator(EARLIEST_DATE, message=message),
        MaxValueValidator(LATEST_DATE, message=message),
    ]


def date_field(label, required=True, **kwargs) -> forms.DateField:
    """A date field with the browser's date picker."""
    kwargs.setdefault("validators", date_bounds())
    return forms.DateField(label=label, required=required, widget=DateInput(), **kwargs)


class CsvFileField(forms.FileField):
    """A CSV upload, refused with a clear message above ``max_bytes``."""

    def __init__(self, *, max_bytes: int, **kwargs):
        self.max_bytes = max_bytes
        kwargs.setdefault("label", _("CSV file"))
        kwargs.setdefault("widget", forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}))
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if upload is not None and upload.size > self.max_bytes:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB.") % {"mb": self.max_bytes // 2**20}
            )
        return upload


def read_upload(upload) -> tuple[bytes, str]:
    """An uploaded file's bytes and its name, cut to the length a report keeps."""
    return upload.read(), upload.name[:100]


class CountryField(forms.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=self._choices, **kwargs)

    @staticmethod
    def _choices():
        return [("", "---------"), *country_choices()]


class VersionedForm(forms.Form):
    """Carries the version a record was read at, for optimistic locking."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
