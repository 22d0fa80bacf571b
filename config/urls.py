from django.contrib import admin
from django.contrib.auth.views import (
    PasswordChangeDoneView,
    PasswordChangeView,
    PasswordResetCompleteView,
    PasswordResetConfirmView,
)
from django.urls import include, path

from accounts import oidc, two_factor
from accounts import views as account_views

# Django's own password pages, on this product's templates.
_PASSWORD_PAGES = [
    ("password/", PasswordChangeView, "password_change"),
    ("password/done/", PasswordChangeDoneView, "password_change_done"),
    # The link an administrator sends instead of setting a password.
    ("password/reset/<uidb64>/<token>/", PasswordResetConfirmView, "password_reset_confirm"),
    ("password/reset/done/", PasswordResetCompleteView, "password_reset_complete"),
]

urlpatterns = [
    path("", account_views.home, name="home"),
    path("login/", account_views.LoginView.as_view(), name="login"),
    path("logout/", account_views.SignOutView.as_view(), name="logout"),
    # Single sign-on: each answers 404 without OIDC_ISSUER.
    path("oidc/authenticate/", oidc.AuthenticateView.as_view(), name="oidc_authenticate"),
    path("oidc/callback/", oidc.CallbackView.as_view(), name="oidc_callback"),
    path("login/refused/", account_views.sign_in_refused, name="sign_in_refused"),
    path("login/second-factor/", two_factor.second_factor, name="second_factor"),
    path("language/", account_views.set_language, name="set_language"),
    *[path(route, view.as_view(), name=name) for route, view, name in _PASSWORD_PAGES],
    path("", include("integration.urls")),
    path("", include("progression.urls")),
    path("", include("evaluation.urls")),
    path("admin/", admin.site.urls),
]
