"""The managers' dashboard; included into the "evaluation" namespace by evaluation/urls.py."""

from django.urls import path

from evaluation import views_dashboard

urlpatterns = [
    path("dashboard/", views_dashboard.dashboard, name="dashboard"),
]
