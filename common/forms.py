"""Form fields and widgets every app's forms share."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from common.countries import country_choices


class DateInput(forms.DateInput):
    """The browser's date picker; its value is always ISO, whatever the locale."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


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
