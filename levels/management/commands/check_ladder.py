"""Check ladder files without importing them: each file is read and checked by the same
`ladderfile.parse` and `ladderfile.check` as an import (`ladderfile.read`), and nothing
touches the database. A good file gets one `OK:` line; a bad one, every problem by its
place, one per line. The command fails (exit status 1) when any file has a problem or
cannot be read; `-` reads standard input."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from levels import ladderfile

STDIN = "-"


class Command(BaseCommand):
    help = (
        "Check ladder files (ladder/v2 or ladder/v1, YAML or JSON) without importing them. "
        "Exit status 0 when every file is fine, 1 otherwise."
    )
    requires_system_checks = []
    # Tests (and callers) may hand in what `-` reads instead of the process's own stdin.
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument(
            "files", nargs="+", metavar="FILE", help="ladder file to check; - for standard input"
        )

    def handle(self, *args, files, **options):
        failed = 0
        for file in files:
            name, problems = self.check_file(file, options.get("stdin") or sys.stdin)
            if problems:
                failed += 1
                self.stdout.write(self.style.ERROR(f"FAIL: {name}: {_count(problems)}"))
                for problem in problems:
                    self.stdout.write(f"  {problem}")
        if failed:
            raise CommandError(f"{failed} of {len(files)} file(s) have problems.")

    def check_file(self, file, stdin):
        """Read and check one file; print its OK line, or return its problems."""
        if file == STDIN:
            name, path_name = "<stdin>", ""
            stream = getattr(stdin, "buffer", stdin)
            content = stream.read()
        else:
            path = Path(file)
            name, path_name = str(path), path.name
            try:
                content = path.read_bytes()
            except OSError as error:
                return name, [f"cannot read the file ({error.strerror})"]
        try:
            data = ladderfile.parse(content, name=path_name)
            spec = ladderfile.check(data)
        except ladderfile.LadderFileError as error:
            return name, error.problems
        expectations = sum(
            len(items) for level in spec["levels"] for items in level["expectations"].values()
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"OK: {name}: ladder '{spec['ladder']['slug']}', {len(spec['levels'])} levels, "
                f"{expectations} expectations, format {data['format']}"
            )
        )
        return name, []


def _count(problems):
    return "1 problem" if len(problems) == 1 else f"{len(problems)} problems"
