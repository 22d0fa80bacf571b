"""One-time links through which a citizen scores their own round."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from integration import services as case_services
from integration.models import CaseStatus, User
from progression.models import (
    CitizenLink,
    Rater,
    Round,
    Source,
)
from progression.services.rounds import Scores, measurement_put, round_claim, topics_refresh


class LinkNotUsable(Exception):
    """The link is unknown, expired or already used; nothing is written.

    ``language`` is the link's language when the link exists, so the refusal
    can be said in it.
    """

    def __init__(self, reason: str, language: str | None = None):
        super().__init__(reason)
        self.reason = reason  # "unknown", "expired" or "used"
        self.language = language


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def citizen_link_create(*, actor: User, round_: Round, language: str) -> tuple[CitizenLink, str]:
    """A new one-time link; the token is returned once and only its hash kept."""
    token = secrets.token_urlsafe(24)
    link = CitizenLink.objects.create(
        round=round_,
        token_hash=_hash(token),
        language=language,
        created_by=actor,
        expires_at=timezone.now() + dt.timedelta(days=settings.CITIZEN_LINK_DAYS),
    )
    case_services.log_change(actor, round_.case.citizen, "citizen link made", only_scores_on=())
    return link, token


def citizen_link_get(token: str) -> CitizenLink:
    """The usable link for a token, or LinkNotUsable saying why not."""
    link = (
        CitizenLink.objects.select_related(
            "round", "round__questionnaire", "round__case", "round__case__citizen"
        )
        .filter(token_hash=_hash(token))
        .first()
    )
    if link is None:
        raise LinkNotUsable("unknown")
    if link.used_at is not None:
        raise LinkNotUsable("used", link.language)
    case = link.round.case
    # A closed or anonymised case takes no answers. The citizen is told the
    # link has expired, which is true for them and says nothing of the case.
    ended = case.status != CaseStatus.OPEN or case.citizen.anonymised_on is not None
    if ended or link.expires_at <= timezone.now():
        raise LinkNotUsable("expired", link.language)
    return link


@transaction.atomic
def citizen_link_answer(*, token: str, scores: Scores) -> Round:
    """Store the citizen's scores and spend the link, or write nothing at all.

    An empty reply is refused (ValidationError) and leaves the link usable:
    it would replace the citizen's column with nothing.
    """
    link = citizen_link_get(token)
    if all(score is None for score in scores.values()):
        raise ValidationError("An empty reply is not an answer.", code="empty")
    # Spend the link first: of two submits at once, only one may write.
    spent = CitizenLink.objects.filter(pk=link.pk, used_at__isnull=True).update(
        used_at=timezone.now()
    )
    if not spent:
        raise LinkNotUsable("used", link.language)
    round_ = link.round
    round_claim(round_)
    measurement_put(
        round_=round_, rater=Rater.CITIZEN, scores=scores, entered_by=None, source=Source.LINK
    )
    topics_refresh(round_=round_)
    case_services.log_change(
        None,
        round_.case.citizen,
        "citizen answered through link",
        only_scores_on=[round_.measured_on],
    )
    return round_
