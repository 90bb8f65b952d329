"""A person's erasure (a data request) runs as a task."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0003_preview_results"),
    ]

    operations = [
        migrations.AlterField(
            model_name="job",
            name="kind",
            field=models.CharField(
                choices=[
                    ("people-preview", "Preview a people file"),
                    ("people-import", "Import people"),
                    ("people-export", "Export people"),
                    ("ladder-import", "Import a ladder file"),
                    ("person-erasure", "Erase a person"),
                ],
                max_length=20,
            ),
        ),
    ]
