"""CSV files that Danish Excel opens safely.

Excel and LibreOffice run a cell that begins with ``=``, ``+``, ``-`` or ``@``
(or with a tab or carriage return in front of one) as a formula, so text that
came from a user, such as a search term or a name, could run on an
administrator's machine ("CSV injection"). Every text cell that begins with
one of those characters gets a single quote in front, which the spreadsheet
shows as text. Numbers, dates and other non-text values are written as they
are: they cannot hold a formula, and a negative number stays a number.

Files are UTF-8 with a byte order mark and separated by semicolons, the form
Excel with Danish regional settings opens without an import dialog.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

from django.http import HttpResponse
from django.utils.functional import Promise
from django.utils.http import content_disposition_header

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
DELIMITER = ";"


def neutralise(value: Any) -> Any:
    """The value as a spreadsheet should see it: a formula-like text is quoted."""
    if value is None:
        return ""
    if isinstance(value, Promise):
        value = str(value)
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class SafeWriter:
    """``csv.writer`` that neutralises every cell it writes."""

    def __init__(self, stream: Any, *, delimiter: str = DELIMITER, **fmtparams: Any):
        self._writer = csv.writer(stream, delimiter=delimiter, **fmtparams)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([neutralise(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_response(
    *, filename: str, header: Iterable[Any], rows: Iterable[Iterable[Any]]
) -> HttpResponse:
    """A download of ``rows`` under ``header``: UTF-8 with BOM, semicolon-separated."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response.write(BOM)
    writer = SafeWriter(response)
    writer.writerow(header)
    writer.writerows(rows)
    return response
