"""The deadlines that count from a citizen's arrival, and the to-dos beside
them, as pure functions.

A deadline has a date and is breached once that date has passed; a to-do is
work the rules ask for without a date of its own, so it is never a breach.
Both are met only by the fact that fulfils them (a placement, an offer, a
signed contract, a follow-up with guidance): nothing is ticked off by hand.

Dates have no time of day: a placement that starts on arrival day + 4 is
within 96 hours, one that starts on day + 5 is a breach. Calendar months are
"the same day that many months later, or that month's last day when the day
does not exist" (31-01 + 1 month = 28-02 or 29-02).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from common.dates import add_months


class DeadlineKind(models.TextChoices):
    FIRST_PLACEMENT = "first_placement", _("First ladder placement (96 hours)")
    HEALTH_OFFER = "health_offer", _("Offer of health assessment (3 months)")
    FOLLOW_UP = "follow_up", _("Follow-up (every 3 months)")
    CONTRACT = "contract", _("Integration contract")


class TodoKind(models.TextChoices):
    PLAN_OFFER = "plan_offer", _("Offer an integration plan")
    REPATRIATION_GUIDANCE = "repatriation_guidance", _("Repatriation guidance at this follow-up")


# The action plan of 2015 (seed 002): placed on the priority ladder "mellem 48
# og 96 timer efter ankomst".
FIRST_PLACEMENT_DAYS = 4  # 96 hours
# Seed 003, "Helbredsmæssig vurdering": "snarest muligt og inden 3 måneder
# efter overtagelse af integrationsansvaret".
HEALTH_OFFER_MONTHS = 3
# "den lovpligtige opfølgning hver 3 måned efter integrationsloven" (seed 001,
# section 4.3), with repatriation guidance at each one.
FOLLOW_UP_MONTHS = 3


def first_placement_due(arrival: dt.date) -> dt.date:
    return arrival + dt.timedelta(days=FIRST_PLACEMENT_DAYS)


def health_offer_due(arrival: dt.date) -> dt.date:
    return add_months(arrival, HEALTH_OFFER_MONTHS)


def next_follow_up_due(arrival: dt.date, last_follow_up: dt.date | None) -> dt.date:
    return add_months(last_follow_up or arrival, FOLLOW_UP_MONTHS)


def contract_due(arrival: dt.date, months: int | None = None) -> dt.date:
    """Integrationsloven § 19, stk. 1 (LBK nr. 1127 af 11-10-2017, the act of the
    seeds' years): the contract is made "senest 1 måned" after the municipality
    took over responsibility. The seeds name the contract (seed 003,
    "Integrationskontrakt") but not its deadline; CONTRACT_DEADLINE_MONTHS
    holds the act's month."""
    return add_months(arrival, settings.CONTRACT_DEADLINE_MONTHS if months is None else months)


def placement_hours(arrival: dt.date, first_placement: dt.date) -> int:
    return (first_placement - arrival).days * 24


def is_placement_breach(
    arrival: dt.date,
    first_placement: dt.date | None,
    today: dt.date,
    *,
    adult_at_arrival: bool = True,
) -> bool:
    """True when an adult's first placement came, or is still missing, after 96 hours."""
    if not adult_at_arrival:
        return False
    due = first_placement_due(arrival)
    if first_placement is None:
        return today > due
    return first_placement > due


@dataclass(frozen=True)
class Deadline:
    kind: str
    due: dt.date


def pending_deadlines(
    *,
    arrival: dt.date,
    first_placement: dt.date | None,
    health_offered: dt.date | None,
    last_follow_up: dt.date | None,
    contract_signed: dt.date | None,
    adult_at_arrival: bool = True,
) -> list[Deadline]:
    """The deadlines an open case still has to meet, earliest first.

    The employment priority ladder and the integration contract are for
    adults: a child at arrival has no 96-hour placement and no contract
    deadline. A contract signed at any time, before arrival included, meets it.
    """
    pending = []
    if adult_at_arrival and first_placement is None:
        pending.append(Deadline(DeadlineKind.FIRST_PLACEMENT, first_placement_due(arrival)))
    if adult_at_arrival and contract_signed is None:
        pending.append(Deadline(DeadlineKind.CONTRACT, contract_due(arrival)))
    if health_offered is None:
        pending.append(Deadline(DeadlineKind.HEALTH_OFFER, health_offer_due(arrival)))
    pending.append(Deadline(DeadlineKind.FOLLOW_UP, next_follow_up_due(arrival, last_follow_up)))
    return sorted(pending, key=lambda d: d.due)


def next_deadline(**facts) -> Deadline:
    return pending_deadlines(**facts)[0]


@dataclass(frozen=True)
class Todo:
    kind: str
    due: dt.date | None  # the day it falls on, or None: no date of its own


def open_todos(
    *,
    arrival: dt.date,
    last_follow_up: dt.date | None,
    last_follow_up_guided: bool,
    plan_offered: bool,
    adult_at_arrival: bool = True,
) -> list[Todo]:
    """The to-dos of an open case: dated ones first, then the undated.

    - The integration plan is an offer to the citizen (seed 003,
      "Integrationsplanen er et tilbud til borgeren") with no deadline in the
      seeds: a to-do for an adult at arrival until it is offered, whatever the
      answer (the monthly report's compliance counts the same events).
    - Repatriation guidance is due at every follow-up (repatrieringsloven § 5;
      seed 001, section 4.3: "fast råd og vejledning omkring repatriering i
      forbindelse med den lovpligtige opfølgning hver 3 måned"). When the last
      follow-up gave none, it is a to-do on the next follow-up's day.
    """
    todos = []
    if last_follow_up is not None and not last_follow_up_guided:
        todos.append(
            Todo(TodoKind.REPATRIATION_GUIDANCE, next_follow_up_due(arrival, last_follow_up))
        )
    if adult_at_arrival and not plan_offered:
        todos.append(Todo(TodoKind.PLAN_OFFER, None))
    return todos


def arrivals_due_between(start: dt.date, end: dt.date, months: int) -> tuple[dt.date, dt.date]:
    """The first and last arrival day whose deadline ``months`` calendar months on
    falls in [start, end]. ``add_months`` never goes back as the day goes on, so
    these arrivals are one run of days (the end of a short month takes the days
    of a longer month that clip to it: 29-31 January + 1 month = 28 February)."""
    one = dt.timedelta(days=1)
    first = add_months(start, -months)
    while add_months(first - one, months) >= start:
        first -= one
    while add_months(first, months) < start:
        first += one
    last = add_months(end, -months)
    while add_months(last + one, months) <= end:
        last += one
    return first, last
