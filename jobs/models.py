"""Long work HR asks for (a big import, an export) and how far it has got.

A `Job` is what HR sees: what was asked, by whom, its progress and its result. The work
itself runs as a Django task (`jobs.runner.run_job`) in a worker process, which updates
the job as it goes; the job's page reads it.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse


class Job(models.Model):
    class Kind(models.TextChoices):
        PEOPLE_PREVIEW = "people-preview", "Preview a people file"
        PEOPLE_IMPORT = "people-import", "Import people"
        PEOPLE_EXPORT = "people-export", "Export people"
        LADDER_IMPORT = "ladder-import", "Import a ladder file"
        PERSON_ERASURE = "person-erasure", "Erase a person"
        INVITATIONS = "invitations", "Send invitations"

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Done"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=300)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # What the work needs to run (JSON only: ids and options, never objects).
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Progress: `done` of `total` at `stage` ("Checking rows"); total 0 while unknown.
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    stage = models.CharField(max_length=100, blank=True)
    # The outcome in words: what changed, or why nothing did.
    message = models.TextField(blank=True)
    # Where to go next (the imported ladder, the people list, the preview to look again at).
    result_url = models.CharField(max_length=300, blank=True)
    result_label = models.CharField(max_length=100, blank=True)
    # What the work found, for the page that shows it (a large people file's preview).
    result = models.JSONField(default=dict, blank=True)
    # A file the work made (an export, a preview in full), downloaded from the job's page.
    output = models.TextField(blank=True)
    output_name = models.CharField(max_length=255, blank=True)
    task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = "background task"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["-created_at", "-id"], name="job_recent")]

    def __str__(self):
        return self.title

    # Kinds whose result has a page of its own, which the person who asked is taken to as
    # soon as the work is done (the preview to confirm), rather than to the task's page.
    OPENS_RESULT = frozenset({Kind.PEOPLE_PREVIEW})

    def get_absolute_url(self):
        return reverse("admin:jobs_job_progress", args=[self.pk])

    @property
    def finished(self):
        return self.status in {self.Status.SUCCEEDED, self.Status.FAILED}

    @property
    def percent(self):
        """How far the work is, 0-100, or None while its size is unknown."""
        if self.status == self.Status.SUCCEEDED:
            return 100
        if not self.total:
            return None
        return min(100, self.done * 100 // self.total)
