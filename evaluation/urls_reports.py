"""The council reports' pages; included into the "evaluation" namespace."""

from django.urls import path

from evaluation import views_reports

urlpatterns = [
    path("reports/", views_reports.report_list, name="report_list"),
    path("reports/new/", views_reports.report_generate, name="report_generate"),
    path("reports/jobs/<uuid:job_uuid>/", views_reports.report_job, name="report_job"),
    path(
        "reports/<uuid:archive_uuid>/download/",
        views_reports.report_download,
        name="report_download",
    ),
    path(
        "reports/preview/<str:kind>/<str:period>/",
        views_reports.report_preview,
        name="report_preview",
    ),
    path(
        "reports/texts/<str:as_of>/",
        views_reports.narrative_edit,
        name="narrative_edit",
    ),
]
