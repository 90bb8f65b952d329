"""Start the change history of existing ladder data with one version of each row as it
is now, so the first edit after upgrading shows what it changed."""

from django.db import migrations
from django.utils import timezone

MODELS = [
    "Ladder",
    "Category",
    "Level",
    "Expectation",
    "Track",
    "TrackLevel",
    "Aspect",
    "AspectValue",
    "PromotionCriterion",
    "PromotionBlocker",
    "FAQEntry",
]


def record_baseline(apps, schema_editor):
    now = timezone.now()
    for name in MODELS:
        model = apps.get_model("levels", name)
        historical = apps.get_model("levels", f"Historical{name}")
        fields = [field.attname for field in model._meta.concrete_fields]
        historical.objects.bulk_create(
            (
                historical(
                    **{field: getattr(row, field) for field in fields},
                    history_date=now,
                    history_type="+",
                    history_change_reason="History starts",
                )
                for row in model.objects.iterator()
            ),
            batch_size=500,
        )


class Migration(migrations.Migration):
    dependencies = [("levels", "0004_history_and_retiring")]

    operations = [migrations.RunPython(record_baseline, migrations.RunPython.noop)]
