"""What retention clears in progression: the words of agreed dialogue topics.

``integration.retention`` anonymises a case and asks every app, through its
AppConfig's ``anonymise_cases`` hook, to clear its own rows of that case.
Scores and indexes stay: the reports count them.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q

from progression.models import DialogueTopic, Round

# An agreed topic keeps a text, or it would count as open again.
AGREEMENT_CLEARED = "–"


def cases_anonymise(*, case_ids: Iterable[int]) -> None:
    """Clear the agreements of the cases' topics, in the rows and their history.

    Runs inside the caller's transaction.
    """
    rounds = Round.objects.filter(case_id__in=list(case_ids)).values("pk")
    agreed = Q(round__in=rounds) & ~Q(agreement="")
    DialogueTopic.objects.filter(agreed).update(agreement=AGREEMENT_CLEARED)
    DialogueTopic.history.model.objects.filter(round_id__in=rounds).exclude(agreement="").update(
        agreement=AGREEMENT_CLEARED
    )
