"""
`manage.py import_people FILE`: create and update people from a people file (CSV), under
the same rules as the admin's import (`assessments.peoplefile`), for files of any size
(the admin takes files up to `PEOPLE_FILE_MAX_BYTES`, previewing and importing long ones
as background tasks), and from scripts. A bad file changes nothing; `--dry-run`
prints what the file would do, person by person, and changes nothing either; a file that
moves anyone to a lower level is imported only with `--allow-step-down`. With `-v 2`, how
far it has got goes to standard error as it goes: a line per stage and thousand rows.
"""

from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from assessments import access, peoplefile

# People here but not in the file, named in a dry run (the count is always whole).
MISSING_PRINTED = 50


class Command(BaseCommand):
    help = (
        "Create and update people from a CSV file (header: "
        + ",".join(peoplefile.COLUMNS)
        + "). A bad file changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of the CSV file")
        parser.add_argument(
            "--invite",
            action="store_true",
            help="email each new sign-in a link to choose a password",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="print what the file would change, person by person, and change nothing",
        )
        parser.add_argument(
            "--notify",
            action="store_true",
            help="email each person whose level changes, with a copy to their manager",
        )
        parser.add_argument(
            "--by",
            metavar="USERNAME",
            help="the HR sign-in the changes are recorded as made by (in the level history "
            "and each person's admin history); without it, the system",
        )
        parser.add_argument(
            "--allow-step-down",
            action="store_true",
            help="import a file that moves people to a lower level (refused without it)",
        )
        parser.add_argument(
            "--site-url",
            help="address of the app for the links in invitations, e.g. "
            "https://ladder.example.com (default: SITE_URL, or the first of ALLOWED_HOSTS)",
        )

    def handle(
        self, *args, file, invite, site_url, dry_run, allow_step_down, notify, by, **options
    ):
        path = Path(file)
        progress = self._progress if options["verbosity"] >= 2 else None
        by = _importer(by)
        domain, use_https = _site(site_url) if invite and not dry_run else (None, False)
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}") from None
        try:
            if dry_run:
                self._print(peoplefile.preview(content, by=by, name=path.name, progress=progress))
                return
            summary = peoplefile.import_people(
                content=content,
                by=by,
                name=path.name,
                allow_step_down=allow_step_down,
                notify=notify,
                invite=invite,
                domain=domain,
                use_https=use_https,
                progress=progress,
            )
        except peoplefile.PeopleFileError as error:
            lines = "\n".join(f"  {problem}" for problem in error.problems)
            hint = ""
            if not allow_step_down and any("step down" in p for p in error.problems):
                hint = "\nCheck the step-downs with --dry-run; import them with --allow-step-down."
            raise CommandError(
                f"{path} was not imported; nothing was changed. "
                f"{len(error.problems)} problem{'' if len(error.problems) == 1 else 's'}:"
                f"\n{lines}{hint}"
            ) from None
        self.stdout.write(self.style.SUCCESS(str(summary)))

    def _progress(self, done, total, stage):
        # Plain text: on a terminal, standard error is red for errors otherwise.
        # A stage of unknown length (total 0) is named alone.
        line = f"{stage}: {done:,} of {total:,}" if total else stage
        self.stderr.write(line, style_func=str)

    def _print(self, preview):
        """The plan of a dry run: each person created or changed, flags first."""
        write = self.stdout.write
        write(f"{preview.name}: {preview}")
        for change in preview.updated:
            flags = [
                flag
                for flag, on in (
                    ("STEP-DOWN", change.step_down),
                    ("TRACK CHANGE", change.track_change),
                    ("MANAGER CHANGE", change.manager_change),
                )
                if on
            ]
            flagged = f"  [{', '.join(flags)}]" if flags else ""
            write(f"change  row {change.row}: {change.full_name} <{change.email}>{flagged}")
            for field in change.fields:
                old = f"{field.old!r} -> " if field.old else ""
                write(f"          {field.label}: {old}{field.new!r}")
        for change in preview.created:
            placed = "; ".join(f"{field.label}: {field.new}" for field in change.fields)
            write(f"create  row {change.row}: {change.full_name} <{change.email}>; {placed}")
        if preview.missing:
            write(f"Here but not in the file, left alone ({len(preview.missing):,}):")
            for full_name, email in preview.missing[:MISSING_PRINTED]:
                write(f"          {full_name} <{email}>")
            if len(preview.missing) > MISSING_PRINTED:
                write(f"          ... and {len(preview.missing) - MISSING_PRINTED:,} more")
        if preview.step_downs:
            write("The file has step-downs: import it with --allow-step-down.")
        write(self.style.WARNING("Dry run: nothing was changed."))


def _importer(username):
    """The sign-in named by --by: HR (or a superuser), who may assign levels."""
    if not username:
        return None
    User = get_user_model()
    user = User.objects.filter(**{User.USERNAME_FIELD: username}).first()
    if user is None:
        raise CommandError(f"--by: nobody signs in as {username!r}.")
    if not access.is_hr(user):
        raise CommandError(f"--by: {username} is not in HR, so cannot import people.")
    return user


def _site(site_url):
    """The domain and scheme of the links in invitations: --site-url, else the SITE_URL
    setting (the address the app's other emails link to) in development or when it names
    a host other than this machine, else the first of ALLOWED_HOSTS over HTTPS."""
    if site_url:
        parts = urlsplit(site_url if "//" in site_url else f"https://{site_url}")
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise CommandError(
                f"--site-url must look like https://ladder.example.com, not {site_url!r}."
            )
        return parts.netloc, parts.scheme == "https"
    configured = urlsplit(settings.SITE_URL)
    usable = configured.scheme in {"http", "https"} and configured.netloc
    here = configured.hostname in {"127.0.0.1", "localhost", "::1"}
    if usable and (settings.DEBUG or not here):
        return configured.netloc, configured.scheme == "https"
    hosts = [host for host in settings.ALLOWED_HOSTS if host and host != "*" and host[0] != "."]
    if not hosts:
        raise CommandError("Give --site-url so that the links in the invitations point at the app.")
    return hosts[0], True
