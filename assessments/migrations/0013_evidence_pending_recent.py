"""An index of the wins waiting for confirmation, newest first (`Evidence.Meta`), built
without blocking writes to the evidence table on PostgreSQL: not atomic, see
`pmladder.migrationops.AddIndexConcurrentlyWherePossible`."""

from django.db import migrations, models

from pmladder.migrationops import AddIndexConcurrentlyWherePossible


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("assessments", "0012_list_indexes"),
    ]

    operations = [
        AddIndexConcurrentlyWherePossible(
            model_name="evidence",
            index=models.Index(
                condition=models.Q(deleted_at__isnull=True, status="pending"),
                fields=["-observed_on", "-id"],
                name="evidence_pending_recent",
            ),
        ),
    ]
