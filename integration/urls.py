from django.urls import path

from integration import views, views_admin, views_home, views_imports

app_name = "integration"

urlpatterns = [
    path("cases/", views.caseload, name="caseload"),
    path("cases/new/", views.case_create, name="case_create"),
    path("cases/<uuid:case_uuid>/", views.case_detail, name="case_detail"),
    path("cases/<uuid:case_uuid>/edit/", views.case_edit, name="case_edit"),
    path("cases/<uuid:case_uuid>/history/", views.case_history, name="case_history"),
    path("cases/<uuid:case_uuid>/status/<str:action>/", views.case_status, name="case_status"),
    path("cases/<uuid:case_uuid>/facts/<str:kind>/new/", views.fact_edit, name="fact_create"),
    path(
        "cases/<uuid:case_uuid>/facts/<str:kind>/<uuid:fact_uuid>/",
        views.fact_edit,
        name="fact_edit",
    ),
    path("providers/", views.provider_list, name="provider_list"),
    path("providers/new/", views.provider_edit, name="provider_create"),
    path("providers/<uuid:provider_uuid>/", views.provider_edit, name="provider_edit"),
    path("referrals/", views_home.provider_home, name="provider_home"),
    path("overview/", views_home.manager_home, name="manager_home"),
    path("administration/", views_home.admin_home, name="admin_home"),
    path("imports/", views_imports.import_upload, name="import_upload"),
    path("imports/confirm/", views_imports.import_confirm, name="import_confirm"),
    path("access-log/", views_admin.access_log, name="access_log"),
    path(
        "access-log/citizens/<uuid:citizen_uuid>/export/",
        views_admin.access_log_export,
        name="access_log_export",
    ),
]
