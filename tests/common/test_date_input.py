"""Date fields show and take 31-01-2019, whatever the browser's locale."""

import datetime as dt

import pytest
from django import forms
from django.utils import translation

from common.forms import DateInput, date_field


class OneDate(forms.Form):
    day = date_field("Day")


@pytest.mark.parametrize("language", ["da", "en"])
def test_a_date_is_shown_day_month_year_in_a_text_field(language):
    with translation.override(language):
        html = str(OneDate(initial={"day": dt.date(2019, 1, 31)})["day"])
    assert 'type="text"' in html and 'type="date"' not in html
    assert 'value="31-01-2019"' in html
    assert 'inputmode="numeric"' in html


@pytest.mark.parametrize("language", ["da", "en"])
@pytest.mark.parametrize("typed", ["31-01-2019", "2019-01-31", "31.01.2019", "31/01/2019"])
def test_a_date_is_taken_as_typed_in_either_order(language, typed):
    with translation.override(language):
        form = OneDate({"day": typed})
        assert form.is_valid(), form.errors
    assert form.cleaned_data["day"] == dt.date(2019, 1, 31)


@pytest.mark.parametrize("typed", ["01-31-2019", "31-13-2019", "2019-31-01", "i går"])
def test_a_date_in_the_american_order_or_no_date_is_refused(typed):
    with translation.override("en"):
        form = OneDate({"day": typed})
        assert not form.is_valid()
    assert "day" in form.errors


def test_the_placeholder_says_the_format_in_the_users_language():
    with translation.override("da"):
        assert 'placeholder="dd-mm-åååå"' in DateInput().render("d", None)
    with translation.override("en"):
        assert 'placeholder="dd-mm-yyyy"' in DateInput().render("d", None)


@pytest.mark.django_db
def test_the_dashboard_filter_takes_a_danish_date(manager, client_as):
    response = client_as(manager, language="en").get(
        "/dashboard/", {"date_from": "01-01-2024", "date_to": "31-01-2024"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="01-01-2024"' in body and 'value="31-01-2024"' in body
