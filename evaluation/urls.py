"""The evaluation app's pages; each part keeps its own list of patterns."""

from evaluation import urls_benchmarks, urls_dashboard, urls_reports

app_name = "evaluation"

urlpatterns = [
    *urls_dashboard.urlpatterns,
    *urls_reports.urlpatterns,
    *urls_benchmarks.urlpatterns,
]
