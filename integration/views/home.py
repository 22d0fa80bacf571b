"""The landing pages of the provider, the manager and the administrator."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from integration import report_selectors, selectors, services
from integration.models import AccessAction, CaseStatus, LadderStep


@login_required
@permission_required("integration.view_referred_citizens", raise_exception=True)
def provider_home(request: HttpRequest) -> HttpResponse:
    # A page at a time, like the caseload: the list grows with the
    # organisation's referrals, and only the names shown are logged as seen.
    page = Paginator(
        selectors.referrals_for_provider(request.user), settings.CASELOAD_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    uuids = {r.citizen_uuid for r in page}
    if uuids:
        services.access_log_request(
            request,
            action=AccessAction.VIEW,
            citizens=list(selectors.citizens_with_uuids(uuids)),
            what="provider referral list",
        )
    return render(
        request,
        "integration/provider_home.html",
        {
            "organisation": request.user.provider_organisation,
            "referrals": page.object_list,
            "page": page,
        },
    )


@login_required
@permission_required("integration.view_all_cases", raise_exception=True)
def manager_home(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    teams = report_selectors.overdue_by_team(request.user, today)
    step_counts = selectors.ladder_distribution(today)
    return render(
        request,
        "integration/manager_home.html",
        {
            "teams": teams,
            "totals": report_selectors.team_totals(teams),
            "ladder": [(LadderStep(step).label, step_counts.get(step, 0)) for step in LadderStep],
            "unplaced": selectors.case_count(status=CaseStatus.OPEN) - sum(step_counts.values()),
            "today": today,
        },
    )


@login_required
@permission_required("integration.view_accesslog", raise_exception=True)
def admin_home(request: HttpRequest) -> HttpResponse:
    users = selectors.active_users()
    by_role: dict[str, int] = {}
    for user in users:
        role = user.role_label or _("No role")
        by_role[role] = by_role.get(role, 0) + 1
    return render(
        request,
        "integration/admin_home.html",
        {
            "users": users,
            "by_role": sorted(by_role.items()),
            "teams": selectors.teams_with_member_counts(),
            "case_count": selectors.case_count(),
        },
    )
