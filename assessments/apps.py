from django.apps import AppConfig
from django.db.backends.signals import connection_created


def _sqlite_functions(sender, connection, **kwargs):
    """SQLite's connections get the functions the app's queries call (`readiness`)."""
    if connection.vendor == "sqlite":
        from .readiness import sqlite_add_months

        connection.connection.create_function(
            "pm_add_months", 2, sqlite_add_months, deterministic=True
        )


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = "People and assessments"

    def ready(self):
        connection_created.connect(_sqlite_functions, dispatch_uid="assessments-sqlite")
