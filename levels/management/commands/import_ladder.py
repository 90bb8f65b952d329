from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from levels import history, ladderfile, services


class Command(BaseCommand):
    help = "Import a ladder file (format ladder/v1, YAML or JSON). A bad file changes nothing."

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of the ladder file")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="update the ladder with the same slug in place instead of refusing",
        )

    def handle(self, *args, file, replace, **options):
        path = Path(file)
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}") from None
        try:
            spec = ladderfile.read(content, name=path.name)
            with history.reason(f"Imported from {path.name} (command line)"):
                result = services.import_ladder(spec=spec, replace=replace)
        except ladderfile.LadderFileError as error:
            lines = "\n".join(f"  {problem}" for problem in error.problems)
            raise CommandError(
                f"{path} was not imported; nothing was changed. "
                f"{len(error.problems)} problem(s):\n{lines}"
            ) from None
        verb = "Created" if result.created else "Updated"
        self.stdout.write(
            self.style.SUCCESS(f"{verb} ladder '{result.ladder.slug}' ({result.ladder.name}).")
        )
