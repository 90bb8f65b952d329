"""Give the HR group exactly the permissions HR needs (0002 granted every permission of
the two apps): ladders in full; people viewed, added and changed; every history read-only."""

from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.models import Q

HR_PERMISSIONS = {
    "levels": ["view", "add", "change", "delete"],
    "assessments.employee": ["view", "add", "change"],
    "assessments.levelassignment": ["view"],
    "assessments.evidence": ["view"],
    "assessments.evidencechange": ["view"],
    "assessments.review": ["view"],
    "assessments.reviewrating": ["view"],
}


def set_permissions(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    query = Q(pk__in=[])
    for target, actions in HR_PERMISSIONS.items():
        app_label, _, model = target.partition(".")
        for action in actions:
            part = Q(content_type__app_label=app_label, codename__startswith=f"{action}_")
            if model:
                part &= Q(content_type__model=model)
            query |= part
    group, _ = Group.objects.get_or_create(name="HR")
    group.permissions.set(Permission.objects.filter(query))


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0005_review_evidence_snapshot"),
        ("levels", "0002_expectation_active"),
    ]

    operations = [migrations.RunPython(set_permissions, migrations.RunPython.noop)]
