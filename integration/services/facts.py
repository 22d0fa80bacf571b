"""The facts of a case, and the provider organisations they name."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction

from integration import kept_figures, report_cache, standing
from integration.models import Case, CaseFact, ProviderOrganisation, User
from integration.services.access_log import log_change
from integration.services.cases import case_refresh_deadlines
from integration.services.versions import save_versioned, set_history_user


@transaction.atomic
def fact_save(
    *, actor: User | None, case: Case, fact: CaseFact, version: int | None = None
) -> CaseFact:
    """Create a fact (``version`` None) or save changes to one at ``version``."""
    if fact.pk is not None and fact.case_id != case.pk:
        raise PermissionDenied("The fact belongs to another case.")
    fact.case = case
    fact.full_clean(exclude=["case"])
    set_history_user(fact, actor)
    label = fact._meta.verbose_name
    first_day = kept_figures.first_day_of([fact], stored=[fact.pk] if fact.pk else [])
    added = None  # a changed fact may have been a spell of the standing's day
    if fact.pk is None:
        # A new fact moves the case's standing only if it is a spell active
        # on its day (``integration.standing``).
        added = standing.new_spells([fact], {case.pk: case.citizen_id})
        fact.created_by = actor
        fact.save()
        what = f"{label} added"
    else:
        if version is None:
            raise ValueError("Saving an existing fact needs the version it was read at.")
        fields = [
            f.name
            for f in fact._meta.concrete_fields
            if f.editable and not f.primary_key and f.name not in {"case", "uuid"}
        ]
        save_versioned(fact, expected_version=version, fields=fields)
        what = f"{label} changed"
    # The figures that read neither this kind of fact nor, unless they moved,
    # the case's deadlines stay cached (``integration.report_cache``).
    moved = case_refresh_deadlines(case=case)
    parts = report_cache.changed_parts([type(fact)], deadlines_moved=moved)
    log_change(
        actor, case.citizen, what, cases_from=first_day, cases_parts=parts, added_spells=added
    )
    return fact


# --- provider organisations ---------------------------------------------


@transaction.atomic
def provider_organisation_save(
    *, actor: User | None, organisation: ProviderOrganisation
) -> ProviderOrganisation:
    organisation.full_clean()
    organisation.save()
    return organisation
