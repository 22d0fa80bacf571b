"""The access log: who saw or changed whose data, and when."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from common import bulk, data_version
from integration import kept_figures, standing
from integration.models import AccessAction, AccessLog, Citizen, FiguresRead, User

if TYPE_CHECKING:
    from django.http import HttpRequest

SYSTEM_USERNAME = "(system)"


def access_log_write(
    *,
    user: User | None,
    action: str,
    citizen: Citizen | None = None,
    citizens: Iterable[Citizen] = (),
    citizen_ids: Iterable[int] = (),
    search_term: str = "",
    what: str = "",
    path: str = "",
    only_scores_on: Iterable[dt.date] | None = None,
    cases_from: dt.date | None = None,
    cases_parts: Iterable[str] | None = None,
    added_spells: Mapping[int, list[standing.Spell]] | None = None,
    new_cases: Iterable[int] | None = None,
) -> None:
    """Add one row per citizen shown or changed (or one row for a search).

    A list page passes every citizen it shows, written in one query; an import
    may pass the citizens' ids instead. A change or import bumps the data
    version; ``only_scores_on`` says it changed no citizen, case or fact of
    a case, only the scores measured on those days (none: a note), so the
    cached case figures (the ladder) and the other months' scores stay.
    Otherwise ``cases_from`` is the first day whose counts of the programme
    the change may move (``integration.kept_figures``; None: every day, and
    maybe scores too), and ``cases_parts``, with it, the only parts of the
    case data it changed (``integration.report_cache.READS``; None: any).
    ``added_spells`` says the change only added facts, with the spells among
    them by citizen (``standing.new_spells``), so that only the cases'
    standing they can move is made again. ``new_cases`` says it made these
    cases, and their citizens, and nothing else: their standing is added
    (``standing.add``).
    """
    # "(system)" cannot be a username (Django allows no brackets), so it never
    # mistakes an import or command for a person.
    username = user.get_username() if user is not None else SYSTEM_USERNAME
    user_id = user.pk if user is not None else None
    base = {
        "user_id": user_id,
        "username": username,
        "action": action,
        "search_term": search_term[:200],
        "what": what[:200],
        "path": path[:500],
    }
    # Plain rows rather than instances: an import logs 10,000 citizens at once.
    rows = [{**base, "citizen_id": c.pk} for c in citizens]
    rows += [{**base, "citizen_id": pk} for pk in citizen_ids]
    if citizen is not None:
        rows.append({**base, "citizen_id": citizen.pk})
    if not rows:
        rows.append({**base, "citizen_id": None})
    bulk.insert(AccessLog, rows, returning=False)
    if action in (AccessAction.CHANGE, AccessAction.IMPORT):
        if only_scores_on is not None:
            only_scores_on = list(only_scores_on)  # read twice below
        # Cached figures (the managers' dashboard) are stale now.
        # A change that says from which day it moves the cases' figures is a
        # change of citizens, cases or their facts, and of no score.
        data_version.bump(
            only_scores_on=only_scores_on,
            cases_only=cases_from is not None,
            cases_parts=cases_parts if cases_from is not None else None,
        )
        _void_kept_figures(only_scores_on, cases_from)
        if only_scores_on is None:
            # The standing of the cases changed (``integration.standing``).
            changed = {row["citizen_id"] for row in rows} - {None}
            if new_cases is not None:
                standing.add(new_cases)
            elif changed:
                standing.refresh(changed, added=added_spells)
            else:
                standing.make_again()


def _void_kept_figures(only_scores_on: Iterable[dt.date] | None, cases_from: dt.date | None):
    """Tell ``integration.kept_figures`` what the change may have moved."""
    if only_scores_on is not None:
        days = sorted(only_scores_on)
        if days:
            kept_figures.changed(FiguresRead.SCORES, days[0], days[-1])
    elif cases_from is not None:
        kept_figures.changed(FiguresRead.CASES, cases_from)
    else:
        kept_figures.changed(FiguresRead.ALL, None)


def access_log_request(request: HttpRequest, *, action: str, what: str, **shown) -> None:
    """``access_log_write`` for what a page shows or finds: the request gives
    the user and the path; ``shown`` names the citizens and the search term."""
    access_log_write(user=request.user, action=action, what=what, path=request.path, **shown)


def access_log_search(
    request: HttpRequest, *, term: str, citizens: Iterable[Citizen], what: str
) -> None:
    """A search a page ran, with the citizens it showed; ``term`` as the log
    may keep it (a CPR number masked)."""
    access_log_request(
        request, action=AccessAction.SEARCH, search_term=term, citizens=citizens, what=what
    )


def log_change(actor: User | None, citizen: Citizen | None, what: str, **moved) -> None:
    """A change by ``actor`` (None: the system) to a citizen's data, or to no
    one's; what it ``moved`` (``only_scores_on``, ``cases_from``,
    ``cases_parts``) as ``access_log_write`` takes it."""
    access_log_write(user=actor, action=AccessAction.CHANGE, citizen=citizen, what=what, **moved)
