from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from assessments.forms import SignInForm

from . import views

# Also answers 503 instead of 500 while the database is unavailable.
handler500 = "pmladder.views.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            authentication_form=SignInForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("accounts/logout/", views.SignOutView.as_view(), name="logout"),
    # Password reset (also how imported people set their first password) and change.
    path("accounts/password_reset/", views.PasswordResetView.as_view(), name="password_reset"),
    # Single sign-on (sso), and the password pages that refuse once password sign-in is off.
    path("accounts/sso/", include("sso.urls")),
    path(
        "accounts/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password_change/",
        views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("ladders/", include("levels.urls")),
    path("", include("assessments.urls")),
    path("", include("rounds.urls")),
    path("", include("insights.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),  # the JSON API, and its docs
    path("account/tokens/", include("api.token_urls")),  # personal access tokens
]
