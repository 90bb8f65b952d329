"""The admin site: for HR (staff in the HR group) and superusers only."""

from django.contrib import admin

from assessments.selectors import is_hr


class PMLadderAdminSite(admin.AdminSite):
    site_header = "PM Ladder administration"
    site_title = "PM Ladder"

    def has_permission(self, request):
        """Staff status alone is not enough: the admin is HR's tool."""
        user = request.user
        return user.is_active and user.is_staff and is_hr(user)
