"""The morning e-mail of deadlines (``manage.py send_deadline_digest``, run by cron).

An e-mail leaves the application's access control: the message holds counts
and links only, never a citizen's name, CPR number or case address. It goes
to each active caseworker who has it switched on, has an e-mail address and
has something overdue or due this week on their own open cases, once a day.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from integration import deadlines, selectors
from integration.models import User

logger = logging.getLogger(__name__)

# "This week": today and the six days after.
DIGEST_DAYS = 7


@dataclass
class DigestCounts:
    overdue: Counter = field(default_factory=Counter)
    due: Counter = field(default_factory=Counter)


@dataclass(frozen=True)
class DigestRun:
    sent: int
    failed: int


def digest_counts(*, today: dt.date) -> dict[int, DigestCounts]:
    """Per caseworker id: their tasks overdue and due in the next DIGEST_DAYS, by kind."""
    until = today + dt.timedelta(days=DIGEST_DAYS - 1)
    counts: dict[int, DigestCounts] = {}
    for task in selectors.tasks_due(selectors.digest_cases(), until=until, undated=False):
        mine = counts.setdefault(task.caseworker_id, DigestCounts())
        (mine.overdue if task.due < today else mine.due)[task.kind] += 1
    return counts


def _label(kind: str) -> str:
    if kind in deadlines.DeadlineKind.values:
        return str(deadlines.DeadlineKind(kind).label)
    return str(deadlines.TodoKind(kind).label)


def _lines(counter: Counter) -> list[tuple[str, int]]:
    return sorted(((_label(kind), n) for kind, n in counter.items()), key=lambda x: (-x[1], x[0]))


def digest_message(user: User, counts: DigestCounts) -> EmailMessage:
    """The e-mail in the user's language: counts by kind and two links."""
    site = settings.SITE_URL
    with translation.override(user.language or settings.LANGUAGE_CODE):
        context = {
            "overdue": sum(counts.overdue.values()),
            "due": sum(counts.due.values()),
            "overdue_lines": _lines(counts.overdue),
            "due_lines": _lines(counts.due),
            "days": DIGEST_DAYS,
            "tasks_url": f"{site}{reverse('integration:tasks')}?show=mine",
            "settings_url": f"{site}{reverse('integration:account_settings')}",
            "municipality_name": settings.MUNICIPALITY_NAME,
        }
        subject = render_to_string("integration/email/deadline_digest_subject.txt", context)
        body = render_to_string("integration/email/deadline_digest.txt", context)
    return EmailMessage(subject=" ".join(subject.split()), body=body, to=[user.email])


def deadline_digest_send(*, today: dt.date | None = None) -> DigestRun:
    """Send today's e-mails; a caseworker already sent one today is skipped.

    Each user's day is claimed in the database before their message goes, so
    two runs at once send one e-mail; a message that fails gives its day back
    for the next run to try again.
    """
    today = today or timezone.localdate()
    counts = digest_counts(today=today)
    recipients = (
        User.objects.filter(pk__in=list(counts))
        .exclude(email="")
        .exclude(deadline_digest_sent_on=today)
        .order_by("pk")
    )
    sent = failed = 0
    with get_connection() as connection:
        for user in recipients:
            claimed = (
                User.objects.filter(pk=user.pk)
                .exclude(deadline_digest_sent_on=today)
                .update(deadline_digest_sent_on=today)
            )
            if not claimed:
                continue
            message = digest_message(user, counts[user.pk])
            message.connection = connection
            try:
                message.send()
            except Exception:
                logger.exception("The deadline e-mail to user %s failed", user.pk)
                User.objects.filter(pk=user.pk).update(
                    deadline_digest_sent_on=user.deadline_digest_sent_on
                )
                failed += 1
            else:
                sent += 1
    return DigestRun(sent=sent, failed=failed)
