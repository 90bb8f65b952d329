"""Each person's `level_since` kept on their row, counted once here from their level
history as `services.level_since_in_history` counts it (a copy: migrations do not import
the services, which change)."""

from django.db import migrations, models
from django.db.models import DateField, Exists, Min, OuterRef, Q, Subquery


def count_level_since(apps, schema_editor):
    Employee = apps.get_model("assessments", "Employee")
    LevelAssignment = apps.get_model("assessments", "LevelAssignment")
    later_elsewhere = (
        LevelAssignment.objects.filter(employee=OuterRef("employee"))
        .exclude(level=OuterRef("level"))
        .filter(
            Q(effective_on__gt=OuterRef("effective_on"))
            | Q(effective_on=OuterRef("effective_on"), id__gt=OuterRef("id"))
        )
    )
    run = (
        LevelAssignment.objects.filter(employee=OuterRef("pk"), level=OuterRef("level"))
        .filter(~Exists(later_elsewhere))
        .order_by()
        .values("employee")
        .annotate(since=Min("effective_on"))
        .values("since")
    )
    Employee.objects.update(level_since=Subquery(run, output_field=DateField()))


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0015_evidence_live_observed"),
    ]

    operations = [
        migrations.AddField(
            model_name="employee",
            name="level_since",
            field=models.DateField(
                blank=True,
                editable=False,
                help_text="When the current level took effect: the start of the latest run "
                "of assignments at it. Kept with the history by the services that write it.",
                null=True,
            ),
        ),
        migrations.RunPython(count_level_since, migrations.RunPython.noop, elidable=True),
    ]
