"""An index of who has live evidence observed when (`Evidence.Meta`), for the organisation
view's quiet reports, built without blocking writes to the evidence table on PostgreSQL:
not atomic, see `pmladder.migrationops.AddIndexConcurrentlyWherePossible`."""

from django.db import migrations, models

from pmladder.migrationops import AddIndexConcurrentlyWherePossible


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("assessments", "0014_kept_readiness"),
    ]

    operations = [
        AddIndexConcurrentlyWherePossible(
            model_name="evidence",
            index=models.Index(
                condition=models.Q(deleted_at__isnull=True),
                fields=["observed_on", "employee"],
                name="evidence_live_observed",
            ),
        ),
    ]
