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
    path("accounts/", include("django.contrib.auth.urls")),
    path("ladders/", include("levels.urls")),
    path("", include("assessments.urls")),
    path("", include("rounds.urls")),
    path("", include("insights.urls")),
    path("admin/", admin.site.urls),
]
