from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from levels import ladderfile, selectors
from levels.models import Ladder


class Command(BaseCommand):
    help = "Write a ladder as a ladder file (YAML, or JSON when the output ends in .json)."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the ladder's slug, e.g. product-management")
        parser.add_argument("-o", "--output", help="file to write (default: standard output)")
        parser.add_argument(
            "--format", choices=["yaml", "json"], help="default: from -o, else yaml"
        )

    def handle(self, *args, slug, output, format, **options):
        ladder = Ladder.objects.filter(slug=slug).first()
        if ladder is None:
            known = ", ".join(Ladder.objects.values_list("slug", flat=True)) or "none"
            raise CommandError(f"No ladder '{slug}'. Ladders: {known}.")
        fmt = format or ("json" if output and output.lower().endswith(".json") else "yaml")
        text = ladderfile.dump(selectors.ladder_spec(ladder), fmt)
        if not output:
            self.stdout.write(text, ending="")
            return
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as error:
            raise CommandError(f"Cannot write {output}: {error.strerror}") from None
        self.stderr.write(f"Wrote ladder '{slug}' to {output}.")
