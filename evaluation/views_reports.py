"""The council reports in the browser: the archive, making a new version,
its progress, the download, a preview, and the service review's texts.

Every page here shows aggregates only: no name, no CPR number, no link to a
case. The secretariat (``view_reportarchive``) lists, previews and
downloads; managers and administrators (``add_reportarchive``) make new
versions; managers (``change_reportnarrative``) write the texts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from evaluation import reports
from evaluation.models import ReportArchive, ReportJob, ReportKind, ReportNarrative

logger = logging.getLogger(__name__)

STEP_LABELS = {
    "queued": gettext_lazy("Waiting for its turn"),
    "figures": gettext_lazy("Computing the figures"),
    "charts": gettext_lazy("Drawing the charts and tables"),
    "pdf": gettext_lazy("Laying out the PDF"),
    "archive": gettext_lazy("Archiving the PDF"),
    "done": gettext_lazy("Done"),
}
SECTION_LABELS = {
    "introduction": gettext_lazy("Introduction"),
    "employment": gettext_lazy("Employment and self-support"),
    "benchmark": gettext_lazy("Comparison with other municipalities"),
    "repatriation": gettext_lazy("Repatriation"),
    "progression": gettext_lazy("Progression measurements"),
    "danish": gettext_lazy("Danish education"),
    "conclusion": gettext_lazy("Conclusion"),
}


def _kind_or_404(kind: str) -> str:
    if kind not in ReportKind.values:
        raise Http404
    return kind


def _as_of_or_404(value: str) -> dt.date:
    try:
        return reports.parse_period(ReportKind.SERVICE_REVIEW, value)
    except ValueError as exc:
        raise Http404 from exc


@login_required
@permission_required("evaluation.view_reportarchive", raise_exception=True)
def report_list(request: HttpRequest) -> HttpResponse:
    """Every archived version of every report, and the forms to make a new one."""
    user = request.user
    can_write = user.has_perm("evaluation.change_reportnarrative")
    wanted = request.GET.get("narratives_for")
    if wanted and can_write:
        try:
            as_of = reports.parse_period(ReportKind.SERVICE_REVIEW, wanted)
        except ValueError:
            messages.error(request, _("Choose a date for the service review."))
        else:
            return redirect("evaluation:narrative_edit", as_of=as_of.isoformat())
    today = timezone.localdate()
    texts = []
    if can_write:
        texts = _narrative_dates()
    return render(
        request,
        "evaluation/report_list.html",
        {
            "monthly": reports.archives_by_period(ReportKind.MONTHLY),
            "reviews": reports.archives_by_period(ReportKind.SERVICE_REVIEW),
            "can_make": user.has_perm("evaluation.add_reportarchive"),
            "can_write": can_write,
            "default_month": reports.previous_month(today),
            "default_month_label": reports.period_label(
                ReportKind.MONTHLY, reports.previous_month(today)
            ),
            "default_as_of": today.isoformat(),
            "narrative_dates": texts,
            "kinds": ReportKind,
        },
    )


def _narrative_dates() -> list[dict]:
    """Review dates with texts, and how many of the sections are final."""
    from django.db.models import Count, Q

    rows = (
        ReportNarrative.objects.values("as_of")
        .annotate(
            written=Count("id", filter=~Q(text="")),
            final=Count("id", filter=Q(status=ReportNarrative.Status.FINAL) & ~Q(text="")),
        )
        .order_by("-as_of")
    )
    total = len(reports.NARRATIVE_KEYS)
    return [
        {
            "as_of": row["as_of"],
            "period": row["as_of"].isoformat(),
            "final": row["final"],
            "written": row["written"],
            "total": total,
            "ready": row["final"] == total,
        }
        for row in rows
    ]


@login_required
@permission_required("evaluation.view_reportarchive", raise_exception=True)
def report_download(request: HttpRequest, archive_uuid) -> HttpResponse:
    archive = get_object_or_404(ReportArchive, uuid=archive_uuid)
    pdf = bytes(archive.pdf)
    if hashlib.sha256(pdf).hexdigest() != archive.sha256:
        # A stored PDF that no longer matches its checksum is never handed out.
        logger.error("Archived report %s does not match its checksum", archive.uuid)
        return HttpResponse(_("This archived report is damaged; ask an administrator."), status=500)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        True, reports.download_filename(archive)
    )
    response["Content-Length"] = str(len(pdf))
    return response


@login_required
@permission_required("evaluation.view_reportarchive", raise_exception=True)
def report_preview(request: HttpRequest, kind: str, period: str) -> HttpResponse:
    """The report as a page, computed now and not archived (the PDF's template)."""
    kind = _kind_or_404(kind)
    try:
        reports.parse_period(kind, period)
    except ValueError as exc:
        raise Http404 from exc
    figures = reports.compute_figures(kind, period)
    html = reports.render_html(
        figures,
        stylesheet_url=static("css/report.css"),
        preview=True,
        back_url=reverse("evaluation:report_list"),
    )
    return HttpResponse(html)


@login_required
@require_POST
@permission_required("evaluation.add_reportarchive", raise_exception=True)
def report_generate(request: HttpRequest) -> HttpResponse:
    """Queue a new version of a report and show its progress."""
    from evaluation.tasks import generate_report

    kind = request.POST.get("kind", "")
    period = request.POST.get("period", "")
    if kind not in ReportKind.values:
        messages.error(request, _("Choose which report to make."))
        return redirect("evaluation:report_list")
    try:
        as_of = reports.parse_period(kind, period)
    except ValueError:
        messages.error(
            request,
            _("Choose a month.") if kind == ReportKind.MONTHLY else _("Choose a date."),
        )
        return redirect("evaluation:report_list")
    if as_of > timezone.localdate():
        messages.error(
            request,
            _("The report date %(date)s has not passed yet; make the report after it.")
            % {"date": reports.da_date(as_of)},
        )
        return redirect("evaluation:report_list")
    if kind == ReportKind.SERVICE_REVIEW:
        missing = reports.missing_narratives(as_of)
        if missing:
            return render(
                request,
                "evaluation/report_refused.html",
                {
                    "as_of": as_of,
                    "period": as_of.isoformat(),
                    "missing": _missing_rows(missing),
                    "can_write": request.user.has_perm("evaluation.change_reportnarrative"),
                },
                status=409,
            )
    job = ReportJob.objects.create(kind=kind, period=period, requested_by=request.user)
    generate_report.enqueue(job_id=job.pk)
    return redirect("evaluation:report_job", job_uuid=job.uuid)


def _missing_rows(missing: list[tuple[str, str, str]]) -> list[dict]:
    why = {"missing": _("no text yet"), "draft": _("still a draft")}
    return [
        {"key": key, "label": SECTION_LABELS[key], "why": why[reason]}
        for key, _l, reason in missing
    ]


@login_required
@permission_required("evaluation.view_reportarchive", raise_exception=True)
def report_job(request: HttpRequest, job_uuid) -> HttpResponse:
    """A job's progress; the page reloads itself (no script) until it is over."""
    job = get_object_or_404(ReportJob.objects.select_related("archive"), uuid=job_uuid)
    finished = job.status in (ReportJob.Status.DONE, ReportJob.Status.FAILED)
    return render(
        request,
        "evaluation/report_job.html",
        {
            "job": job,
            "finished": finished,
            "step_label": STEP_LABELS.get(job.step, job.step or STEP_LABELS["queued"]),
            "period_label": reports.period_label(job.kind, job.period),
            "filename": reports.download_filename(job.archive) if job.archive_id else "",
        },
    )


class NarrativeForm(forms.Form):
    """One textarea per section of the service review, the versions the page
    was opened with, and one status for them all."""

    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        choices=ReportNarrative.Status.choices,
        help_text=gettext_lazy("The service review can be made when every section is final."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key in reports.NARRATIVE_KEYS:
            self.fields[key] = forms.CharField(
                label=SECTION_LABELS[key],
                required=False,
                widget=forms.Textarea(attrs={"rows": 6, "class": "form-control"}),
                max_length=20000,
            )
            self.fields[f"version_{key}"] = forms.IntegerField(
                widget=forms.HiddenInput, min_value=0, required=False
            )
        self.fields["status"].widget.attrs["class"] = "form-select w-auto"

    def section_fields(self):
        return [self[key] for key in reports.NARRATIVE_KEYS]

    def version_fields(self):
        return [self[f"version_{key}"] for key in reports.NARRATIVE_KEYS]

    def clean(self):
        data = super().clean()
        for key in reports.NARRATIVE_KEYS:
            text = data.get(key) or ""
            if reports.CPR_RE.search(text):
                self.add_error(
                    key,
                    _(
                        "The text holds something shaped like a CPR number. The report is "
                        "public: write about groups, never about a person."
                    ),
                )
        if data.get("status") == ReportNarrative.Status.FINAL:
            for key in reports.NARRATIVE_KEYS:
                if key in data and not (data.get(key) or "").strip():
                    self.add_error(key, _("A final text cannot be empty."))
        return data


@login_required
@permission_required("evaluation.change_reportnarrative", raise_exception=True)
def narrative_edit(request: HttpRequest, as_of: str) -> HttpResponse:
    """The texts of the service review as of a date, saved with a version check."""
    day = _as_of_or_404(as_of)
    stored = reports.narratives_for(day)
    status = 200
    if request.method == "POST":
        form = NarrativeForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                changed = reports.narratives_save(
                    as_of=day,
                    user=request.user,
                    texts={key: data[key] for key in reports.NARRATIVE_KEYS},
                    versions={
                        key: data.get(f"version_{key}") or 0 for key in reports.NARRATIVE_KEYS
                    },
                    status=data["status"],
                )
            except reports.NarrativeConflict as conflict:
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
                status = 409
            else:
                if changed:
                    messages.success(request, _("The texts are saved."))
                else:
                    messages.info(request, _("Nothing had changed."))
                return redirect("evaluation:narrative_edit", as_of=day.isoformat())
        else:
            status = 400
    else:
        initial = {"status": ReportNarrative.Status.DRAFT}
        if all(n is not None and n.status == ReportNarrative.Status.FINAL for n in stored.values()):
            initial["status"] = ReportNarrative.Status.FINAL
        for key, narrative in stored.items():
            initial[key] = narrative.text if narrative else ""
            initial[f"version_{key}"] = narrative.version if narrative else 0
        form = NarrativeForm(initial=initial)
    missing = reports.missing_narratives(day)
    sections = [
        {
            "key": key,
            "label": SECTION_LABELS[key],
            "narrative": stored.get(key),
        }
        for key in reports.NARRATIVE_KEYS
    ]
    return render(
        request,
        "evaluation/report_narratives.html",
        {
            "form": form,
            "as_of": day,
            "period": day.isoformat(),
            "sections": sections,
            "missing": _missing_rows(missing),
            "can_make": request.user.has_perm("evaluation.add_reportarchive"),
            "report_date_passed": day <= timezone.localdate(),
        },
        status=status,
    )
