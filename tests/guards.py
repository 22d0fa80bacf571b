"""A pytest plugin: no test may make a PDF or a log line that holds a CPR-shaped
number or the name of a citizen saved in the test.

Registered from ``tests/conftest.py``. For each test, from the setup of its
first fixture to the teardown of its last, it keeps

- every log record emitted (a handler on the root logger and on every logger
  that does not propagate to it);
- every PDF rendered (``evaluation.pdf.render.render_pdf``, which every report
  passes through, is wrapped once per session; a citizen's own record,
  ``integration.record``, names the citizen by design and is rendered through
  ``common.pdf`` directly, outside the guard);
- the names and CPR numbers of every citizen saved: ``post_save`` for a
  ``save()``, and the bulk paths (``QuerySet.bulk_create`` and the multi-row
  ``common.bulk.insert`` of the imports), which send no signal.

After the test's teardown it fails the test (an error in teardown) when a log
line or a PDF's text holds a CPR-shaped number (ten digits, with or without
the dash, the first six a date, replacement numbers' day + 60 included) or a
saved citizen's first and last name. A PDF's text is extracted only when the
test made one.

A test that checks the guard itself reads ``leak_guard.findings()`` and then
calls ``leak_guard.forget()``.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import logging
import re
from collections.abc import Iterable

import pytest

# Ten digits, optionally DDMMYY-SSSS, not part of a longer word or number
# (a UUID or a checksum holds long runs of digits).
CPR_SHAPE = re.compile(r"(?<![0-9A-Za-z])(\d{2})(\d{2})(\d{2})-?\d{4}(?![0-9A-Za-z])")


def is_cpr_date(day: int, month: int, year: int) -> bool:
    """Whether DDMMYY is a date of birth; a replacement number has day + 60."""
    if day > 60:
        day -= 60
    for century in (1900, 2000):
        try:
            dt.date(century + year, month, day)
        except ValueError:
            continue
        return True
    return False


def cpr_numbers(text: str) -> list[str]:
    """The CPR-shaped numbers in a text."""
    return [
        m.group(0)
        for m in CPR_SHAPE.finditer(text)
        if is_cpr_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    ]


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def leaks(
    text: str, *, names: Iterable[tuple[str, str]] = (), cprs: Iterable[str] = ()
) -> list[str]:
    """What in ``text`` points at a person: CPR-shaped numbers, the saved
    citizens' CPR numbers (also inside longer strings), and their full names."""
    found = list(dict.fromkeys(cpr_numbers(text)))
    found += [number for number in cprs if number and number in text and number not in found]
    flat = _normal(text)
    for first, last in names:
        full = _normal(f"{first} {last}")
        if full and full in flat:
            found.append(f"{first} {last}")
    return found


@functools.lru_cache(maxsize=32)
def pdf_pages(pdf: bytes) -> tuple[str, ...]:
    """Each page's text. Kept for a while: a test that reads its own PDF and the
    guard after it extract it once (pypdf takes some 0.2 s a report)."""
    from pypdf import PdfReader

    return tuple(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


def pdf_text(pdf: bytes) -> str:
    return "\n".join(pdf_pages(pdf))


class _Capture(logging.Handler):
    def __init__(self, guard: LeakGuard):
        super().__init__(level=logging.NOTSET)
        self.guard = guard
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if not self.guard.active:
            return
        try:
            # The message with its arguments, and the traceback with the
            # exception's text when there is one.
            self.guard.log_lines.append(self.format(record))
        except Exception:  # noqa: BLE001 - a record that cannot be formatted is not printed either
            self.guard.log_lines.append(f"{record.name} {record.levelname} {record.msg!r}")


class LeakGuard:
    """What one test logged, rendered and saved."""

    def __init__(self) -> None:
        self.active = False
        self.log_lines: list[str] = []
        self.pdfs: list[bytes] = []
        self.citizens: dict[tuple[str, str, str], None] = {}
        self.handler = _Capture(self)

    def start(self) -> None:
        self.forget()
        self.citizens.clear()
        self._attach()
        self.active = True

    def stop(self) -> None:
        self.active = False

    def forget(self) -> None:
        """Drop what was captured so far (the citizens saved are kept)."""
        self.log_lines.clear()
        self.pdfs.clear()

    def citizen_saved(self, first_name: str, last_name: str, cpr: str) -> None:
        if self.active:
            self.citizens[(first_name or "", last_name or "", cpr or "")] = None

    def findings(self) -> list[str]:
        names = [(first, last) for first, last, _cpr in self.citizens]
        cprs = {cpr for _f, _l, cpr in self.citizens if cpr}
        cprs |= {f"{cpr[:6]}-{cpr[6:]}" for cpr in list(cprs) if len(cpr) == 10}
        out = []
        for line in self.log_lines:
            for leak in leaks(line, names=names, cprs=cprs):
                out.append(f"log line {line[:200]!r} holds {leak!r}")
        for n, pdf in enumerate(self.pdfs, 1):
            for leak in leaks(pdf_text(pdf), names=names, cprs=cprs):
                out.append(f"PDF {n} of the test holds {leak!r}")
        return out

    def _attach(self) -> None:
        # Logging may have been configured again since the last test (dictConfig
        # drops the root's handlers), and a logger that does not propagate
        # never reaches the root's handlers.
        loggers = [logging.getLogger()] + [
            logger
            for logger in list(logging.Logger.manager.loggerDict.values())
            if isinstance(logger, logging.Logger) and not logger.propagate
        ]
        for logger in loggers:
            if self.handler not in logger.handlers:
                logger.addHandler(self.handler)


GUARD = LeakGuard()
_installed = False
# What the session checked, for the summary line.
_checked = {"tests": 0, "log lines": 0, "PDFs": 0}


def _install() -> None:
    """Wrap the PDF renderer and the bulk inserts, and listen for saved
    citizens: once per session, whatever a test patches on top."""
    global _installed
    if _installed:
        return
    _installed = True
    from django.db.models.query import QuerySet
    from django.db.models.signals import post_save

    from evaluation.pdf import render
    from integration.models import Citizen

    render_pdf = render.render_pdf

    @functools.wraps(render_pdf)
    def guarded_render_pdf(*args, **kwargs):
        pdf = render_pdf(*args, **kwargs)
        if GUARD.active:
            GUARD.pdfs.append(bytes(pdf))
        return pdf

    render.render_pdf = guarded_render_pdf

    def citizen_post_save(sender, instance, **kwargs):
        GUARD.citizen_saved(instance.first_name, instance.last_name, instance.cpr)

    post_save.connect(citizen_post_save, sender=Citizen, weak=False, dispatch_uid="leak_guard")

    bulk_create = QuerySet.bulk_create

    @functools.wraps(bulk_create)
    def guarded_bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        if issubclass(self.model, Citizen):
            for c in objs:
                GUARD.citizen_saved(c.first_name, c.last_name, c.cpr)
        return bulk_create(self, objs, *args, **kwargs)

    QuerySet.bulk_create = guarded_bulk_create

    try:
        from common import bulk
    except ImportError:  # no multi-row insert helper: bulk_create is the only bulk path
        return
    insert = bulk.insert

    @functools.wraps(insert)
    def guarded_insert(model, rows, *args, **kwargs):
        if issubclass(model, Citizen):
            for row in rows:
                GUARD.citizen_saved(row.get("first_name"), row.get("last_name"), row.get("cpr"))
        return insert(model, rows, *args, **kwargs)

    bulk.insert = guarded_insert


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_setup(item):
    _install()
    GUARD.start()
    return (yield)


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_teardown(item, nextitem):
    try:
        result = yield
    finally:
        GUARD.stop()
    found = GUARD.findings()
    _checked["tests"] += 1
    _checked["log lines"] += len(GUARD.log_lines)
    _checked["PDFs"] += len(GUARD.pdfs)
    GUARD.forget()
    if found:
        pytest.fail(
            "A person can be identified in what this test produced:\n  " + "\n  ".join(found),
            pytrace=False,
        )
    return result


def pytest_terminal_summary(terminalreporter):
    if _checked["tests"]:
        terminalreporter.write_line(
            "leak guard: {tests} tests, {log lines} log lines and {PDFs} PDFs checked "
            "for CPR numbers and citizens' names".format(**_checked)
        )


@pytest.fixture
def leak_guard() -> LeakGuard:
    """The guard of the running test, for the guard's own tests."""
    return GUARD
