"""The council reports in the browser: the archive, making a new version,
its progress, the download, a preview, and the service review's texts.

Every page here shows aggregates only: no name, no CPR number, no link to a
case. The secretariat (``view_reportarchive``) lists, previews and
downloads, and makes monthly follow-ups (``add_reportjob``); managers and
administrators (``add_reportarchive``) make service reviews too; managers
(``change_reportnarrative``) write and approve the review's texts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from common.dates import month_end
from common.forms import DATE_DISPLAY_FORMAT, DATE_PATTERN
from evaluation import selectors, services
from evaluation.figures import report_figures
from evaluation.forms import SECTION_LABELS, NarrativeForm, ReportRequestForm
from evaluation.models import ReportKind, ReportNarrative
from evaluation.pdf.render import render_html
from evaluation.period import ReportPeriod
from evaluation.reports import NARRATIVE_KEYS, OPTIONAL_NARRATIVE_KEYS, download_filename

logger = logging.getLogger(__name__)

STEP_LABELS = {
    "queued": gettext_lazy("Waiting for its turn"),
    "figures": gettext_lazy("Computing the figures"),
    "charts": gettext_lazy("Drawing the charts and tables"),
    "pdf": gettext_lazy("Laying out the PDF"),
    "archive": gettext_lazy("Archiving the PDF"),
    "done": gettext_lazy("Done"),
}


def _period_or_404(kind: str, text: str) -> ReportPeriod:
    """A period from a URL; an unknown kind or a malformed period is not found."""
    try:
        return ReportPeriod.parse(kind, text)
    except ValueError as exc:
        raise Http404 from exc


def _list_page(request: HttpRequest, *, status: int = 200) -> HttpResponse:
    user = request.user
    can_write = user.has_perm("evaluation.change_reportnarrative")
    today = timezone.localdate()
    default_month = ReportPeriod.month_before(today)
    context = {
        "monthly": selectors.archives_by_period(ReportKind.MONTHLY),
        "reviews": selectors.archives_by_period(ReportKind.SERVICE_REVIEW),
        # The secretariat makes the monthly follow-up; a manager makes the review.
        "can_make_monthly": user.has_perm("evaluation.add_reportjob"),
        "can_make": user.has_perm("evaluation.add_reportarchive"),
        "can_write": can_write,
        "submission": uuid.uuid4(),
        "default_month": default_month.text,
        "default_month_label": default_month.label,
        # As every date field shows it (common.forms.DateInput).
        "default_as_of": today.strftime(DATE_DISPLAY_FORMAT),
        "date_pattern": DATE_PATTERN,
        "narrative_dates": selectors.narrative_dates() if can_write else [],
        "kinds": ReportKind,
    }
    return render(request, "evaluation/report_list.html", context, status=status)


@login_required
@permission_required("evaluation.view_reportarchive", raise_exception=True)
def report_list(request: HttpRequest) -> HttpResponse:
    """Every archived version of every report, and the forms to make a new one."""
    wanted = request.GET.get("narratives_for")
    if wanted and request.user.has_perm("evaluation.change_reportnarrative"):
        try:
            review = ReportPeriod.parse(ReportKind.SERVICE_REVIEW, wanted)
        except ValueError:
            messages.error(request, _("Choose a date for the service review."))
        else:
            return redirect("evaluation:narrative_edit", as_of=review.text)
    return _list_page(request)


@login_required
@permission_required("evaluation.view_reportarchive", raise_exception=True)
def report_download(request: HttpRequest, archive_uuid) -> HttpResponse:
    archive = selectors.archive_or_404(archive_uuid)
    pdf = bytes(archive.pdf)
    if hashlib.sha256(pdf).hexdigest() != archive.sha256:
        # A stored PDF that no longer matches its checksum is never handed out.
        logger.error("Archived report %s does not match its checksum", archive.uuid)
        return HttpResponse(_("This archived report is damaged; ask an administrator."), status=500)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, download_filename(archive))
    response["Content-Length"] = str(len(pdf))
    return response


def preview_refusal(kind: str, text: str, today: dt.date) -> str | None:
    """Why a preview of this period may not be made, or None when it may.

    Previews are made only for closed periods, so that two previews never
    differ by a part of a month: a monthly follow-up for a month that has
    ended, a service review as of a month's last day that has passed. What a
    preview shows is then what the published PDF of that period shows.
    """
    try:
        period = ReportPeriod.parse(kind, text)
    except ValueError:
        if kind == ReportKind.MONTHLY:
            return _("A month is written YYYY-MM, for example 2026-10.")
        return _("A date is written YYYY-MM-DD, for example 2026-10-31.")
    if kind == ReportKind.SERVICE_REVIEW and period.as_of != month_end(period.as_of):
        return _(
            "A service review is previewed only as of a month's last day, for example %(date)s."
        ) % {"date": f"{month_end(period.as_of):%d-%m-%Y}"}
    if period.as_of >= today:
        return _(
            "The period ends %(date)s and is not closed yet; previews are made only "
            "for closed periods."
        ) % {"date": f"{period.as_of:%d-%m-%Y}"}
    return None


@login_required
@permission_required("evaluation.view_reportarchive", raise_exception=True)
def report_preview(request: HttpRequest, kind: str, period: str) -> HttpResponse:
    """The report as a page, computed now and not archived (the PDF's template),
    for a closed period only (``preview_refusal``)."""
    if kind not in ReportKind.values:
        raise Http404
    refusal = preview_refusal(kind, period, timezone.localdate())
    if refusal is not None:
        return HttpResponseBadRequest(refusal, content_type="text/plain; charset=utf-8")
    html = render_html(
        report_figures(ReportPeriod.parse(kind, period)),
        stylesheet_url=static("css/report.css"),
        preview=True,
        back_url=reverse("evaluation:report_list"),
    )
    return HttpResponse(html)


def _refused(request: HttpRequest, form: ReportRequestForm) -> HttpResponse:
    """The reports page again with what was wrong, as a 400."""
    said = []
    for errors in form.errors.values():
        for error in errors:
            if error not in said:
                said.append(error)
                messages.error(request, error)
    return _list_page(request, status=400)


SUBMISSIONS_KEPT = 20


def _submission_key(submission, period: ReportPeriod) -> str | None:
    """One page holds several forms with its one id; the period tells them apart."""
    return None if submission is None else f"{submission}/{period.kind}/{period.text}"


def _job_of_submission(request: HttpRequest, key: str | None) -> str | None:
    """The job the same form made before in this session, if any."""
    return request.session.get("report_submissions", {}).get(key) if key else None


def _remember_submission(request: HttpRequest, key: str | None, job_uuid) -> None:
    if key is None:
        return
    seen = dict(request.session.get("report_submissions", {}))
    seen[key] = str(job_uuid)
    request.session["report_submissions"] = dict(list(seen.items())[-SUBMISSIONS_KEPT:])


def _missing_rows(missing: list[tuple[str, str, str]]) -> list[dict]:
    why = {"missing": _("no text yet"), "draft": _("still a draft")}
    return [
        {"key": key, "label": SECTION_LABELS[key], "why": why[reason]}
        for key, _l, reason in missing
    ]


@login_required
@require_POST
@permission_required("evaluation.add_reportjob", raise_exception=True)
def report_generate(request: HttpRequest) -> HttpResponse:
    """Queue a new version of a report and show its progress.

    The secretariat makes monthly follow-ups; the service review, whose
    texts a manager approves, needs ``add_reportarchive`` as well.
    """
    from evaluation.tasks import generate_report

    review = request.POST.get("kind") == ReportKind.SERVICE_REVIEW
    if review and not request.user.has_perm("evaluation.add_reportarchive"):
        raise PermissionDenied
    form = ReportRequestForm(request.POST, today=timezone.localdate())
    if not form.is_valid():
        return _refused(request, form)
    period = form.cleaned_data["report_period"]
    submission = _submission_key(form.cleaned_data["submission"], period)
    earlier = _job_of_submission(request, submission)
    if earlier:
        return redirect("evaluation:report_job", job_uuid=earlier)
    if review:
        missing = selectors.missing_narratives(period.as_of)
        if missing:
            context = {
                "as_of": period.as_of,
                "period": period.text,
                "missing": _missing_rows(missing),
                "can_write": request.user.has_perm("evaluation.change_reportnarrative"),
            }
            return render(request, "evaluation/report_refused.html", context, status=409)
    job = services.report_job_create(period=period, user=request.user)
    _remember_submission(request, submission, job.uuid)
    keys = ("adjusted_denominator", "include_ukraine", "case_number")
    generate_report.enqueue(job_id=job.pk, **{key: form.cleaned_data[key] for key in keys})
    return redirect("evaluation:report_job", job_uuid=job.uuid)


@login_required
@permission_required("evaluation.view_reportarchive", raise_exception=True)
def report_job(request: HttpRequest, job_uuid) -> HttpResponse:
    """A job's progress; the page reloads itself (no script) until it is over."""
    job = selectors.job_or_404(job_uuid)
    finished = job.status in (job.Status.DONE, job.Status.FAILED)
    context = {
        "job": job,
        "finished": finished,
        "step_label": STEP_LABELS.get(job.step, job.step or STEP_LABELS["queued"]),
        "period_label": ReportPeriod.parse(job.kind, job.period).label,
        "filename": download_filename(job.archive) if job.archive_id else "",
    }
    return render(request, "evaluation/report_job.html", context)


# --- the service review's texts ---------------------------------------------------


def _narrative_initial(stored: dict[str, ReportNarrative | None]) -> dict:
    initial = {"status": ReportNarrative.Status.DRAFT}
    final = ReportNarrative.Status.FINAL
    if all(
        (n is None and key in OPTIONAL_NARRATIVE_KEYS) or (n is not None and n.status == final)
        for key, n in stored.items()
    ):
        initial["status"] = final
    for key, narrative in stored.items():
        initial[key] = narrative.text if narrative else ""
        initial[f"version_{key}"] = narrative.version if narrative else 0
    return initial


def _narratives_saved(request: HttpRequest, form: NarrativeForm, as_of: dt.date) -> bool:
    """Save a valid form's texts; False (and the form holds why) on a conflict."""
    data = form.cleaned_data
    try:
        changed = services.narratives_save(
            as_of=as_of,
            user=request.user,
            texts={key: data[key] for key in NARRATIVE_KEYS},
            versions={key: data.get(f"version_{key}") or 0 for key in NARRATIVE_KEYS},
            status=data["status"],
        )
    except services.NarrativeConflict as conflict:
        names = ", ".join(str(SECTION_LABELS[key]) for key in conflict.sections)
        form.add_error(
            None,
            _(
                "Someone else saved %(sections)s after you opened this page, so "
                "nothing was saved. Your text is still in the form: copy what you "
                "need, then reload the page to see the saved version."
            )
            % {"sections": names},
        )
        return False
    if changed:
        messages.success(request, _("The texts are saved."))
    else:
        messages.info(request, _("Nothing had changed."))
    return True


def _narratives_page(request, form, as_of: dt.date, stored: dict, status: int) -> HttpResponse:
    sections = [
        {"key": key, "label": SECTION_LABELS[key], "narrative": stored.get(key)}
        for key in NARRATIVE_KEYS
    ]
    context = {
        "form": form,
        "as_of": as_of,
        "period": as_of.isoformat(),
        "sections": sections,
        "missing": _missing_rows(selectors.missing_narratives(as_of)),
        "can_make": request.user.has_perm("evaluation.add_reportarchive"),
        "report_date_passed": as_of <= timezone.localdate(),
        "copy_from": selectors.narrative_date_before(as_of),
        "preview_refusal": preview_refusal(
            ReportKind.SERVICE_REVIEW, as_of.isoformat(), timezone.localdate()
        ),
    }
    return render(request, "evaluation/report_narratives.html", context, status=status)


@login_required
@permission_required("evaluation.change_reportnarrative", raise_exception=True)
def narrative_edit(request: HttpRequest, as_of: str) -> HttpResponse:
    """The texts of the service review as of a date, saved with a version check."""
    day = _period_or_404(ReportKind.SERVICE_REVIEW, as_of).as_of
    stored = selectors.narratives_for(day)
    if request.method != "POST":
        form = NarrativeForm(initial=_narrative_initial(stored))
        return _narratives_page(request, form, day, stored, 200)
    form = NarrativeForm(request.POST)
    if not form.is_valid():
        return _narratives_page(request, form, day, stored, 400)
    if not _narratives_saved(request, form, day):
        return _narratives_page(request, form, day, stored, 409)
    return redirect("evaluation:narrative_edit", as_of=day.isoformat())


@login_required
@require_POST
@permission_required("evaluation.change_reportnarrative", raise_exception=True)
def narrative_copy(request: HttpRequest, as_of: str) -> HttpResponse:
    """Copy an earlier review's texts into this date as drafts (kept sections stay)."""
    day = _period_or_404(ReportKind.SERVICE_REVIEW, as_of).as_of
    try:
        source = dt.date.fromisoformat(request.POST.get("source", ""))
    except ValueError:
        source = None
    if source is None or source != selectors.narrative_date_before(day):
        # The page offers the latest earlier date; anything else is a stale or forged form.
        messages.error(request, _("Copy the texts from the earlier review this page offers."))
        stored = selectors.narratives_for(day)
        form = NarrativeForm(initial=_narrative_initial(stored))
        return _narratives_page(request, form, day, stored, 400)
    copied = services.narratives_copy(source=source, target=day, user=request.user)
    if copied:
        messages.success(
            request,
            _(
                "%(n)d texts copied from %(date)s as drafts. "
                "Read them through before they are final."
            )
            % {"n": len(copied), "date": f"{source:%d-%m-%Y}"},
        )
    else:
        messages.info(request, _("Every section already has a text here; nothing was copied."))
    return redirect("evaluation:narrative_edit", as_of=day.isoformat())
