"""Migration operations of our own, shared by the apps' migrations (a migration imports
them by this module's path, so they stay here under this name)."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations


class AddIndexConcurrentlyWherePossible(AddIndexConcurrently):
    """CREATE INDEX CONCURRENTLY on PostgreSQL, so that a big table stays writable while
    its index is built; an ordinary CREATE INDEX elsewhere. Only in a migration that is
    not atomic (`atomic = False`): PostgreSQL builds such an index outside a transaction.
    If it fails there, it leaves an invalid index: drop it (`DROP INDEX CONCURRENTLY
    <name>`) and migrate again."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        else:
            migrations.AddIndex.database_forwards(
                self, app_label, schema_editor, from_state, to_state
            )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
        else:
            migrations.AddIndex.database_backwards(
                self, app_label, schema_editor, from_state, to_state
            )
