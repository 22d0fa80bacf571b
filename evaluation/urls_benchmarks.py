"""Benchmark figures and expected arrivals; included into the "evaluation" namespace
by evaluation/urls.py."""

from django.urls import path

from evaluation import views_benchmarks

urlpatterns = [
    path("benchmarks/", views_benchmarks.benchmark_list, name="benchmark_list"),
    path("benchmarks/upload/", views_benchmarks.benchmark_upload, name="benchmark_upload"),
    path(
        "benchmarks/upload/confirm/", views_benchmarks.benchmark_confirm, name="benchmark_confirm"
    ),
    path("arrival-quotas/", views_benchmarks.quota_edit, name="quota_edit"),
]
