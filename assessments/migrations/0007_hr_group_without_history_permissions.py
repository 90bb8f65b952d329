"""Keep the HR group's permissions exact now that ladder data has change histories: HR
reads a history through the object it belongs to and never edits one, so the permissions
of the history tables are not HR's."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def drop_history_permissions(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="HR").first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="levels", content_type__model__startswith="historical"
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0006_hr_group_exact_permissions"),
        ("levels", "0005_history_baseline"),
    ]

    operations = [migrations.RunPython(drop_history_permissions, migrations.RunPython.noop)]
