"""The project's own app config: Django's admin with PM Ladder's site, plus the
project-wide wiring done once at start-up (sign-in logging, deploy checks, and the
database cache table that `migrate` creates)."""

from django.conf import settings
from django.contrib.admin.apps import AdminConfig
from django.contrib.auth.signals import user_login_failed
from django.core.management import call_command
from django.db.models.signals import post_migrate


def create_cache_tables(sender, using, verbosity=1, **kwargs):
    """After `migrate`, create the database cache tables (the shared throttle counts) if
    they are missing, so `migrate` alone prepares a new database."""
    if settings.TESTING:
        return  # the test runner creates them itself, right after migrating
    call_command("createcachetable", database=using, verbosity=max(0, verbosity - 1))


class PMLadderAdminConfig(AdminConfig):
    """Django's admin, with PM Ladder's site (see `pmladder.admin`)."""

    default_site = "pmladder.admin.PMLadderAdminSite"

    def ready(self):
        super().ready()
        from axes.signals import user_locked_out

        from . import checks, signin  # noqa: F401 (checks registers itself)

        user_login_failed.connect(signin.log_failed_sign_in, dispatch_uid="pmladder-sign-in")
        user_locked_out.connect(signin.log_paused_sign_in, dispatch_uid="pmladder-sign-in")
        post_migrate.connect(create_cache_tables, sender=self, dispatch_uid="pmladder-cache")
