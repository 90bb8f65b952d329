"""HR follows the imports and exports it starts: the HR group may view tasks."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    app_config = apps.get_app_config("jobs")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="HR").first()
    if group is not None:
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="jobs", codename="view_job")
        )


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0001_jobs"),
        ("assessments", "0007_hr_group_without_history_permissions"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
