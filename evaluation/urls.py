"""The evaluation app's pages; each part keeps its own list of patterns."""

from importlib import import_module

app_name = "evaluation"

urlpatterns: list = []
for part in ("urls_dashboard", "urls_reports", "urls_benchmarks"):
    try:
        urlpatterns += import_module(f"evaluation.{part}").urlpatterns
    except ModuleNotFoundError as exc:
        if exc.name != f"evaluation.{part}":
            raise
