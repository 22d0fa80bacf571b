"""CPR numbers: validation, birth date, sex and masking.

python-stdnum validates ordinary CPR numbers. Replacement numbers
(erstatningspersonnumre) add 60 to the day of birth; stdnum does not know
them, so the day is shifted back before stdnum checks the date and century.
"""

from __future__ import annotations

import datetime as dt
import functools
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum.dk import cpr as stdnum_cpr
from stdnum.exceptions import InvalidComponent
from stdnum.exceptions import ValidationError as StdnumError

REPLACEMENT_DAY_OFFSET = 60


def compact(raw: str) -> str:
    # Most numbers are stored and imported as ten digits already; stdnum's
    # clean() costs some 20 µs, and an import of 10,000 rows asks often.
    if len(raw or "") == 10 and raw.isascii() and raw.isdigit():
        return raw
    if len(raw) == 11 and raw[6] == "-" and raw.isascii():
        number = raw[:6] + raw[7:]  # DDMMYY-SSSS, as files and forms write it
        if number.isdigit():
            return number
    return stdnum_cpr.compact(raw or "")


def _century(year: int, seventh: str) -> int:
    """The year of birth from its last two digits and the serial's first digit
    (stdnum's get_birth_date, which the tests hold this to)."""
    if seventh in "5678" and year >= 58:
        return year + 1800
    if seventh in "0123" or (seventh in "49" and year >= 37):
        return year + 1900
    return year + 2000


@functools.lru_cache(maxsize=2**14)
def _stdnum_birth_date(ordinary: str) -> dt.date:
    """stdnum's check and birth date of a 10-digit number in ordinary form.

    Ten ASCII digits are checked here as stdnum checks them (a real date,
    not in the future), without its character-by-character cleaning: that
    was 60 µs a number, a fifth of a 10,000-row import (make bench, size L).
    Anything else goes to stdnum. Cached: an import checks every row's
    number, then validates the citizens it creates (Citizen.clean), so each
    is asked for several times; 16,384 numbers take about 3 MB. A refused
    number raises and is not cached.
    """
    if len(ordinary) != 10 or not (ordinary.isascii() and ordinary.isdigit()):
        stdnum_cpr.validate(ordinary)
        return stdnum_cpr.get_birth_date(ordinary)
    year = _century(int(ordinary[4:6]), ordinary[6])
    try:
        born = dt.date(year, int(ordinary[2:4]), int(ordinary[0:2]))
    except ValueError:
        raise InvalidComponent(
            "The number does not contain valid birth date information."
        ) from None
    if born > dt.date.today():  # noqa: DTZ011 -- stdnum's own "today"
        raise InvalidComponent(
            "The birth date information is valid, but this person has not been born yet."
        )
    return born


def _ordinary_form(number: str) -> str:
    day = int(number[:2])
    if day > REPLACEMENT_DAY_OFFSET:
        return f"{day - REPLACEMENT_DAY_OFFSET:02d}{number[2:]}"
    return number


def is_replacement(number: str) -> bool:
    return int(compact(number)[:2]) > REPLACEMENT_DAY_OFFSET


def validate(raw: str) -> str:
    """Return the 10 digits of a valid CPR or replacement number.

    Raises django's ValidationError with a message a caseworker understands.
    """
    number = compact(raw)
    if not number.isdigit() or len(number) != 10:
        raise ValidationError(_("A CPR number has 10 digits, written DDMMYY-SSSS."), code="format")
    try:
        _stdnum_birth_date(_ordinary_form(number))
    except StdnumError as exc:
        raise ValidationError(
            _("The CPR number does not contain a valid date of birth."), code="birth_date"
        ) from exc
    return number


def is_valid(raw: str) -> bool:
    try:
        validate(raw)
    except ValidationError:
        return False
    return True


def birth_date(number: str) -> dt.date:
    number = _ordinary_form(compact(number))
    try:
        return _stdnum_birth_date(number)
    except StdnumError:  # e.g. born in the future: the date all the same
        return stdnum_cpr.get_birth_date(number)


def sex(number: str) -> str:
    """'F' or 'M': the last digit is even for women and odd for men."""
    return "F" if int(compact(number)[-1]) % 2 == 0 else "M"


def formatted(number: str) -> str:
    number = compact(number)
    return f"{number[:6]}-{number[6:]}"


def masked(number: str) -> str:
    """DDMMYY-xxxx: the form used in every list, report and message."""
    number = compact(number)
    return f"{number[:6]}-xxxx" if len(number) >= 6 else "xxxxxx-xxxx"


def age_on(number: str, day: dt.date) -> int:
    born = birth_date(number)
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def looks_like_cpr(text: str) -> bool:
    """True for a search term written as a CPR number (with or without dash)."""
    number = compact(text)
    return len(number) == 10 and number.isdigit()


def looks_like_birth_date(text: str) -> bool:
    """True for a search term that is a CPR number's first six digits (DDMMYY,
    maybe with the dash after them): a partial CPR search."""
    number = text.strip().removesuffix("-")
    return len(number) == 6 and number.isdigit()


# A CPR number as people write it in running text: with or without a dash, a
# space, a dot or a dash of another kind between its parts (650594-1539,
# 650594 1539, 650594–1539, 65.05.94-1539, 65 05 94 1539).
_SEP = r"[\s.\-\u2010-\u2015/]?"
IN_TEXT = re.compile(rf"(?<!\d)\d{{2}}{_SEP}\d{{2}}{_SEP}\d{{2}}{_SEP}\d{{4}}(?!\d)")


def found_in_text(text: str) -> bool:
    """Whether ``text`` holds anything written like a CPR number."""
    return IN_TEXT.search(text or "") is not None
