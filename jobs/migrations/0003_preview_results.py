"""A large people file is previewed as a task, which keeps what its page shows."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0002_hr_sees_tasks"),
    ]

    operations = [
        migrations.AddField(
            model_name="job",
            name="result",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AlterField(
            model_name="job",
            name="kind",
            field=models.CharField(
                choices=[
                    ("people-preview", "Preview a people file"),
                    ("people-import", "Import people"),
                    ("people-export", "Export people"),
                    ("ladder-import", "Import a ladder file"),
                ],
                max_length=20,
            ),
        ),
    ]
