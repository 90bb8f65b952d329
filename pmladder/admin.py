"""The admin site: for HR (staff in the HR group) and superusers only."""

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm

from assessments.selectors import is_hr


class HRSignInForm(AdminAuthenticationForm):
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": (
            "This sign-in is for HR. Check the %(username)s and password of an HR "
            "account (both may be case-sensitive); everyone else signs in to PM Ladder "
            "itself."
        ),
    }


class PMLadderAdminSite(admin.AdminSite):
    site_header = "PM Ladder administration"
    site_title = "PM Ladder"
    login_form = HRSignInForm

    def has_permission(self, request):
        """Staff status alone is not enough: the admin is HR's tool."""
        user = request.user
        return user.is_active and user.is_staff and is_hr(user)
