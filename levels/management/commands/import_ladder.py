"""Import a ladder file. A new ladder is a draft, seen by HR only, unless `--publish` is
given; updating a ladder (`--replace`) keeps its status, and publishes it with `--publish`."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from levels import history, ladderfile, services


class Command(BaseCommand):
    help = (
        "Import a ladder file (format ladder/v2 or v1, YAML or JSON). A bad file changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of the ladder file")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="update the ladder with the same slug in place instead of refusing",
        )
        parser.add_argument(
            "--publish",
            action="store_true",
            help="publish the ladder: everyone sees it and people can be placed on it "
            "(without it, a new ladder is a draft that only HR sees)",
        )

    def handle(self, *args, file, replace, publish, **options):
        path = Path(file)
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}") from None
        try:
            spec = ladderfile.read(content, name=path.name)
            why = f"Imported from {path.name} (command line)"
            with transaction.atomic(), history.reason(why):
                result = services.import_ladder(spec=spec, replace=replace, publish=publish)
                ladder = result.ladder
                if publish and not ladder.is_published:
                    ladder = services.publish_ladder(ladder=ladder, reason=why)
        except ladderfile.LadderFileError as error:
            lines = "\n".join(f"  {problem}" for problem in error.problems)
            raise CommandError(
                f"{path} was not imported; nothing was changed. "
                f"{len(error.problems)} problem(s):\n{lines}"
            ) from None
        verb = "Created" if result.created else "Updated"
        if ladder.is_published:
            status = "published"
        elif ladder.is_draft:
            status = "a draft: only HR sees it; publish it in the admin, or import with --publish"
        else:
            status = "retired: only HR sees it"
        self.stdout.write(
            self.style.SUCCESS(f"{verb} ladder '{ladder.slug}' ({ladder.name}), {status}.")
        )
