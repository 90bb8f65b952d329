"""
`manage.py import_people FILE`: create and update people from a people file (CSV), under
the same rules as the admin's import (`assessments.peoplefile`), for files of any size:
the admin refuses files longer than `PEOPLE_IMPORT_MAX_ROWS_IN_ADMIN` people, which would
not finish within a request, and points here. A bad file changes nothing.
"""

from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from assessments import peoplefile


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
            "--site-url",
            help="address of the app for the links in invitations, e.g. "
            "https://ladder.example.com (default: guessed from DEBUG and ALLOWED_HOSTS)",
        )

    def handle(self, *args, file, invite, site_url, **options):
        path = Path(file)
        domain, use_https = _site(site_url) if invite else (None, False)
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}") from None
        try:
            summary = peoplefile.import_people(
                content=content, invite=invite, domain=domain, use_https=use_https
            )
        except peoplefile.PeopleFileError as error:
            lines = "\n".join(f"  {problem}" for problem in error.problems)
            raise CommandError(
                f"{path} was not imported; nothing was changed. "
                f"{len(error.problems)} problem(s):\n{lines}"
            ) from None
        self.stdout.write(self.style.SUCCESS(str(summary)))


def _site(site_url):
    """The domain and scheme of the links in invitations."""
    if site_url:
        parts = urlsplit(site_url if "//" in site_url else f"https://{site_url}")
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise CommandError(
                f"--site-url must look like https://ladder.example.com, not {site_url!r}."
            )
        return parts.netloc, parts.scheme == "https"
    if settings.DEBUG:
        return "127.0.0.1:8000", False  # where `make run` serves
    hosts = [host for host in settings.ALLOWED_HOSTS if host and host != "*" and host[0] != "."]
    if not hosts:
        raise CommandError("Give --site-url so that the links in the invitations point at the app.")
    return hosts[0], True
