import datetime

from django.core.management.base import BaseCommand
from django.utils import timezone

from jobs.models import Job


class Command(BaseCommand):
    help = (
        "Delete finished background tasks (and the files exports made) older than --days; "
        "tasks waiting or running are kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=30, help="default: %(default)s")

    def handle(self, *args, days, **options):
        cutoff = timezone.now() - datetime.timedelta(days=max(0, days))
        deleted, _ = Job.objects.filter(
            status__in=[Job.Status.SUCCEEDED, Job.Status.FAILED], finished_at__lt=cutoff
        ).delete()
        self.stdout.write(f"Deleted {deleted} finished task{'s' if deleted != 1 else ''}.")
