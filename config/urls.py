from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from integration import views_account

urlpatterns = [
    path("", views_account.home, name="home"),
    path("login/", views_account.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", views_account.set_language, name="set_language"),
    path("", include("integration.urls")),
    path("", include("progression.urls")),
    path("", include("evaluation.urls")),
    path("admin/", admin.site.urls),
]
