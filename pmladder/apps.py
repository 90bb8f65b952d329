from django.contrib.admin.apps import AdminConfig


class PMLadderAdminConfig(AdminConfig):
    """Django's admin, with PM Ladder's site (see `pmladder.admin`)."""

    default_site = "pmladder.admin.PMLadderAdminSite"
