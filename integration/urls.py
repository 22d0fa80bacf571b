from django.urls import include, path

from integration.views import (
    access_log,
    account_settings,
    caseload,
    cases,
    facts,
    home,
    imports,
    notes,
    providers,
    record,
    tasks,
)

app_name = "integration"

# The pages of one case, below its address.
case_patterns = [
    path("", cases.case_detail, name="case_detail"),
    path("edit/", cases.case_edit, name="case_edit"),
    path("history/", cases.case_history, name="case_history"),
    path("status/<str:action>/", cases.case_status, name="case_status"),
    path("facts/<str:kind>/new/", facts.fact_edit, name="fact_create"),
    path("facts/<str:kind>/<uuid:fact_uuid>/", facts.fact_edit, name="fact_edit"),
    path("notes/new/", notes.note_edit, name="note_create"),
    path("notes/<uuid:note_uuid>/", notes.note_edit, name="note_edit"),
]

# One citizen's record as a file, in either format.
record_patterns = [
    path(f"record.{kind}", record.record_export, {"kind": kind}, name=f"record_{kind}")
    for kind in ("json", "pdf")
]

urlpatterns = [
    path("cases/", caseload.caseload, name="caseload"),
    path("cases/new/", cases.case_create, name="case_create"),
    path("cases/<uuid:case_uuid>/", include(case_patterns)),
    path("notes/", notes.note_search, name="note_search"),
    path("tasks/", tasks.task_list, name="tasks"),
    path("account/settings/", account_settings.account_settings, name="account_settings"),
    path("providers/", providers.provider_list, name="provider_list"),
    path("providers/new/", providers.provider_edit, name="provider_create"),
    path("providers/<uuid:provider_uuid>/", providers.provider_edit, name="provider_edit"),
    path("referrals/", home.provider_home, name="provider_home"),
    path("overview/", home.manager_home, name="manager_home"),
    path("administration/", home.admin_home, name="admin_home"),
    path("imports/", imports.import_upload, name="import_upload"),
    path("imports/confirm/", imports.import_confirm, name="import_confirm"),
    path("imports/errors.csv", imports.import_errors_download, name="import_errors"),
    path("access-log/", access_log.access_log, name="access_log"),
    path(
        "access-log/citizens/<uuid:citizen_uuid>/export/",
        access_log.access_log_export,
        name="access_log_export",
    ),
    path("citizens/<uuid:citizen_uuid>/", include(record_patterns)),
]
