"""CPR numbers: validation, century, sex, masking, search and uniqueness.

Every number that could stand for a person is a replacement number
(erstatningspersonnummer, day of birth + 60). The few ordinary numbers below
are either impossible dates or born in 1858, so they belong to nobody alive.
"""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from common import cpr
from integration import services
from integration.models import AccessAction, AccessLog, Case, Citizen

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


# --- validation -------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "birth"),
    [
        ("6101901000", dt.date(1990, 1, 1)),  # day 61 = the 1st
        ("610190-1000", dt.date(1990, 1, 1)),  # written with the dash
        (" 610190 1000 ", dt.date(1990, 1, 1)),  # spaces are ignored
        ("9101901000", dt.date(1990, 1, 31)),  # day 91 = the 31st
        ("8902921000", dt.date(1992, 2, 29)),  # 29 February of a leap year
        ("7012851234", dt.date(1985, 12, 10)),
    ],
)
def test_replacement_number_is_valid_and_gives_the_real_birth_date(raw, birth):
    number = raw.replace("-", "").strip().replace(" ", "")
    assert cpr.validate(raw) == number
    assert cpr.is_valid(raw)
    assert cpr.is_replacement(raw)
    assert cpr.birth_date(raw) == birth


def test_ordinary_number_is_valid_and_not_a_replacement():
    # Born 01-01-1858 (7th digit 5, year 58): an ordinary number of nobody alive.
    assert cpr.validate("010158-5000") == "0101585000"
    assert not cpr.is_replacement("0101585000")
    assert cpr.birth_date("0101585000") == dt.date(1858, 1, 1)


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("9201901000", "day 92 is the 32nd"),
        ("6001901000", "day 60 is the 0th"),
        ("9102901000", "31 February"),
        ("8902931000", "29 February 1993, not a leap year"),
        ("6113901000", "month 13"),
        ("6100901000", "month 0"),
        ("3102585000", "an ordinary number on 31 February"),
        ("3201585000", "an ordinary number on the 32nd"),
        ("6101369000", "7th digit 9 and year 36 is 2036, in the future"),
    ],
)
def test_impossible_birth_date_is_invalid(raw, why):
    assert not cpr.is_valid(raw), why
    with pytest.raises(ValidationError) as excinfo:
        cpr.validate(raw)
    assert excinfo.value.code == "birth_date"


@pytest.mark.parametrize(
    "raw",
    ["", "610190100", "61019010000", "610190-100", "61019a1000", "610190-10OO", "abcdefghij"],
)
def test_wrong_length_or_letters_is_a_format_error(raw):
    assert not cpr.is_valid(raw)
    with pytest.raises(ValidationError) as excinfo:
        cpr.validate(raw)
    assert excinfo.value.code == "format"


@pytest.mark.parametrize(
    ("number", "born"),
    [
        # 7th digit 0-3: always the 1900s.
        ("6101053000", dt.date(1905, 1, 1)),
        ("6101990000", dt.date(1999, 1, 1)),
        # 4 and 9: 2000s for years 00-36, 1900s for 37-99.
        ("6101104000", dt.date(2010, 1, 1)),
        ("6101904000", dt.date(1990, 1, 1)),
        ("6101379000", dt.date(1937, 1, 1)),
        ("6101019000", dt.date(2001, 1, 1)),
        # 5-8: 2000s for years 00-57, 1800s for 58-99.
        ("6101155000", dt.date(2015, 1, 1)),
        ("6101088000", dt.date(2008, 1, 1)),
        ("6101586000", dt.date(1858, 1, 1)),
        ("6101997000", dt.date(1899, 1, 1)),
    ],
)
def test_seventh_digit_gives_the_century(number, born):
    assert cpr.is_valid(number)
    assert cpr.birth_date(number) == born


@pytest.mark.parametrize(
    ("number", "sex"),
    [("6101901000", "F"), ("6101901002", "F"), ("6101901001", "M"), ("6101901239", "M")],
)
def test_last_digit_gives_the_sex(number, sex):
    assert cpr.sex(number) == sex


def test_age_counts_whole_years_from_the_birth_date():
    # Born 31-01-1990: 33 the day before the 34th birthday, 34 on it.
    assert cpr.age_on("9101901000", dt.date(2024, 1, 30)) == 33
    assert cpr.age_on("9101901000", dt.date(2024, 1, 31)) == 34


# --- display and search ------------------------------------------------------


@pytest.mark.parametrize("raw", ["6101901000", "610190-1000"])
def test_masked_keeps_the_birth_date_and_hides_the_sequence(raw):
    assert cpr.masked(raw) == "610190-xxxx"


def test_masked_never_shows_digits_of_a_short_value():
    assert cpr.masked("6101") == "xxxxxx-xxxx"


def test_formatted_puts_the_dash_after_the_date():
    assert cpr.formatted("6101901000") == "610190-1000"


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("610190-1000", True),
        ("6101901000", True),
        (" 610190 1000 ", True),
        ("9201901000", True),  # looks like one, even though the date is impossible
        ("610190", False),
        ("610190-100", False),
        ("61019010000", False),
        ("610190-10OO", False),
        ("Amal", False),
        ("", False),
    ],
)
def test_looks_like_cpr_means_ten_digits_with_or_without_dash(term, expected):
    assert cpr.looks_like_cpr(term) is expected


# --- the citizen model and the case-create page -----------------------------


def _create_post(team, caseworker, number, **extra):
    return {
        "cpr": number,
        "first_name": "Amal",
        "last_name": "Haddad",
        "sex": "",
        "nationality": "SY",
        "languages": "Arabic",
        "residence_basis": "refugee",
        "arrival_date": "2024-01-10",
        "household": "",
        "team": team.pk,
        "caseworker": caseworker.pk,
        **extra,
    }


@pytest.mark.django_db
def test_case_create_accepts_the_number_with_a_dash_and_stores_ten_digits(
    team_a, caseworker_a, client_as
):
    response = client_as(caseworker_a).post(
        reverse("integration:case_create"), _create_post(team_a, caseworker_a, "710190-4001")
    )
    assert response.status_code == 302
    citizen = Citizen.objects.get()
    assert citizen.cpr == "7101904001"
    # Birth date and sex come from the number: 11-01-1990, odd last digit.
    assert citizen.birth_date == dt.date(1990, 1, 11)
    assert citizen.sex == "M"
    assert response["Location"] == reverse("integration:case_detail", args=[citizen.case.uuid])


@pytest.mark.django_db
def test_second_citizen_with_the_same_cpr_is_refused_with_a_form_error(
    team_a, caseworker_a, client_as
):
    client = client_as(caseworker_a, language="en")
    url = reverse("integration:case_create")
    assert client.post(url, _create_post(team_a, caseworker_a, "7101904000")).status_code == 302
    # The same number, written with the dash this time.
    response = client.post(
        url, _create_post(team_a, caseworker_a, "710190-4000", first_name="Other")
    )
    assert response.status_code == 200
    # The citizen is in the caseworker's own team: the message says where to look.
    own = "This CPR number is registered already. Find the citizen's case in the caseload."
    assert response.context["form"].errors["cpr"] == [own]
    assert Citizen.objects.count() == 1
    assert Case.objects.count() == 1


@pytest.mark.django_db
def test_same_cpr_in_another_team_is_refused_too(
    team_a, team_b, caseworker_a, caseworker_b, client_as
):
    client_as(caseworker_a).post(
        reverse("integration:case_create"), _create_post(team_a, caseworker_a, "7101904000")
    )
    response = client_as(caseworker_b, language="en").post(
        reverse("integration:case_create"), _create_post(team_b, caseworker_b, "7101904000")
    )
    assert response.status_code == 200
    # The refusal names no team and confirms nothing beyond what preventing a
    # duplicate must: the caseworker is sent to an administrator.
    [message] = response.context["form"].errors["cpr"]
    assert "administrator to transfer" in message
    assert "Team A" not in response.content.decode()
    assert Citizen.objects.count() == 1
    # The look-up is a CPR search in the access log, under the masked number.
    citizen = Citizen.objects.get()
    row = AccessLog.objects.get(user=caseworker_b, action=AccessAction.SEARCH)
    assert (row.citizen_id, row.search_term) == (citizen.pk, "710190-xxxx")
    assert "7101904000" not in str(list(AccessLog.objects.values_list()))


@pytest.mark.django_db
def test_service_refuses_a_duplicate_cpr_even_without_the_form(team_a):
    services.case_create(
        actor=None,
        team=team_a,
        cpr="7101904000",
        first_name="Amal",
        last_name="Haddad",
        nationality="SY",
        residence_basis="refugee",
        arrival_date=dt.date(2024, 1, 10),
    )
    with pytest.raises(ValidationError) as excinfo:
        services.case_create(
            actor=None,
            team=team_a,
            cpr="710190-4000",
            first_name="Other",
            last_name="Person",
            nationality="SY",
            residence_basis="refugee",
            arrival_date=dt.date(2024, 1, 10),
        )
    assert "cpr" in excinfo.value.error_dict
    assert Citizen.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("9201904000", "The CPR number does not contain a valid date of birth."),
        ("9102904000", "The CPR number does not contain a valid date of birth."),
        ("710190-400", "A CPR number has 10 digits, written DDMMYY-SSSS."),
        ("71O1904000", "A CPR number has 10 digits, written DDMMYY-SSSS."),
    ],
)
def test_case_create_shows_why_a_number_is_invalid(
    number, message, team_a, caseworker_a, client_as
):
    response = client_as(caseworker_a, language="en").post(
        reverse("integration:case_create"), _create_post(team_a, caseworker_a, number)
    )
    assert response.status_code == 200
    assert response.context["form"].errors["cpr"] == [message]
    assert not Citizen.objects.exists()


@pytest.mark.django_db
def test_arrival_before_the_birth_in_the_number_is_refused(team_a):
    with pytest.raises(ValidationError) as excinfo:
        services.case_create(
            actor=None,
            team=team_a,
            cpr="7101904000",  # born 11-01-1990
            first_name="Amal",
            last_name="Haddad",
            nationality="SY",
            residence_basis="refugee",
            arrival_date=dt.date(1990, 1, 10),
        )
    assert "arrival_date" in excinfo.value.error_dict


def test_ten_digit_check_agrees_with_stdnum_on_every_day_month_year_and_century_digit():
    # The import's fast check of ten digits must refuse and date exactly what
    # python-stdnum does: days 00-32, months 00-13, every first serial digit
    # (the century) and the years where the century rule turns, a leap year
    # (00 is one in 2000, not in 1900 or 1800), this year and next (the future).
    from stdnum.dk import cpr as stdnum_cpr
    from stdnum.exceptions import ValidationError as StdnumError

    def by_stdnum(number):
        try:
            stdnum_cpr.validate(number)
        except StdnumError:
            return None
        return stdnum_cpr.get_birth_date(number)

    def ours(number):
        try:
            return cpr._stdnum_birth_date.__wrapped__(number)
        except StdnumError:
            return None

    this_year = dt.date.today().year % 100  # noqa: DTZ011 -- stdnum's own "today"
    years = {0, 4, 36, 37, 57, 58, 99, this_year, (this_year + 1) % 100}
    checked = 0
    for day in range(33):
        for month in range(14):
            for year in sorted(years):
                for seventh in "0123456789":
                    number = f"{day:02d}{month:02d}{year:02d}{seventh}234"
                    assert ours(number) == by_stdnum(number), number
                    checked += 1
    assert checked == 33 * 14 * len(years) * 10


@pytest.mark.parametrize(
    "raw",
    ["610190-1000", "610190--000", "61019-01000", "610190-10 0", "６10190-1000", "610190 1000"],
)
def test_compact_of_a_number_with_a_dash_is_stdnums(raw):
    from stdnum.dk import cpr as stdnum_cpr

    assert cpr.compact(raw) == stdnum_cpr.compact(raw)
