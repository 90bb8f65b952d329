"""The HR group: people in it see and edit everyone, in the app and in the admin."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

HR_APPS = ["levels", "assessments"]


def create_hr_group(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="HR")
    group.permissions.add(*Permission.objects.filter(content_type__app_label__in=HR_APPS))


def remove_hr_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="HR").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0001_people"),
        ("levels", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_hr_group, remove_hr_group)]
