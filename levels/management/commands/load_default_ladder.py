from django.core.management.base import BaseCommand

from levels import services


class Command(BaseCommand):
    help = "Load the Product Management ladder that ships with PM Ladder (once)."

    def handle(self, *args, **options):
        result = services.load_default_ladder()
        if result.created:
            self.stdout.write(self.style.SUCCESS(f"Loaded the default ladder '{result.ladder}'."))
        else:
            self.stdout.write(
                f"The default ladder '{result.ladder}' is already there; nothing to do."
            )
