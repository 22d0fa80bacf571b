"""The evaluation app's pages: the dashboard, the council reports, benchmark
figures and expected arrivals, and the secretariat's figures."""

from django.urls import path

from evaluation.views import benchmarks, dashboard, reports, secretariat

app_name = "evaluation"

urlpatterns = [
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("figures/", secretariat.secretariat_home, name="secretariat_home"),
    path("reports/", reports.report_list, name="report_list"),
    path("reports/new/", reports.report_generate, name="report_generate"),
    path("reports/jobs/<uuid:job_uuid>/", reports.report_job, name="report_job"),
    path("reports/<uuid:archive_uuid>/download/", reports.report_download, name="report_download"),
    path("reports/preview/<str:kind>/<str:period>/", reports.report_preview, name="report_preview"),
    path("reports/texts/<str:as_of>/", reports.narrative_edit, name="narrative_edit"),
    path("reports/texts/<str:as_of>/copy/", reports.narrative_copy, name="narrative_copy"),
    path("benchmarks/", benchmarks.benchmark_list, name="benchmark_list"),
    path("benchmarks/upload/", benchmarks.benchmark_upload, name="benchmark_upload"),
    path("benchmarks/upload/confirm/", benchmarks.benchmark_confirm, name="benchmark_confirm"),
    path("arrival-quotas/", benchmarks.quota_edit, name="quota_edit"),
]
