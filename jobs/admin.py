"""HR's background tasks in the admin: the list of recent ones, and each one's page with
its progress, its outcome and, for an export, its file."""

from django.contrib import admin
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe
from django_tasks_db.models import DBTaskResult

from assessments import access
from assessments.admin import ReadOnlyAdmin
from levels.history import made_by

from .models import Job

# A job still waiting after this long probably has no worker to run it: its page says so.
NO_WORKER_AFTER = 30  # seconds


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin):
    list_display = ["title", "kind", "progress", "asked_by", "created_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["requested_by"]
    show_full_result_count = False

    def get_queryset(self, request):
        return access.visible_jobs(request.user).defer("output", "params", "result")

    @admin.display(description="progress")
    def progress(self, job):
        return _progress_text(job)

    @admin.display(description="asked for by", ordering="requested_by__first_name")
    def asked_by(self, job):
        return made_by(job.requested_by, nobody="someone no longer here")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return redirect("admin:jobs_job_progress", object_id)

    def get_urls(self):
        def view(method):  # these pages only read
            return self.admin_site.admin_view(require_safe(method))

        return [
            path("<int:pk>/progress/", view(self.progress_view), name="jobs_job_progress"),
            path("<int:pk>/status/", view(self.status_view), name="jobs_job_status"),
            path("<int:pk>/download/", view(self.download_view), name="jobs_job_download"),
            *super().get_urls(),
        ]

    def _job(self, request, pk, *fields):
        job = access.visible_jobs(request.user).filter(pk=pk)
        if fields:
            job = job.only(*fields)
        else:
            job = job.defer("output", "result").select_related("requested_by")
        job = job.first()
        if job is None:
            raise Http404("No such task.")
        return job

    def progress_view(self, request, pk):
        """The task's page: a progress bar that follows it, then its outcome; or, for the
        person who asked, the page of its result once done (a preview to confirm)."""
        job = self._job(request, pk)
        if _opens_result(job, request.user):
            return redirect(job.result_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": job.title,
            "job": job,
            "progress_text": _progress_text(job),
            "asked_by": made_by(job.requested_by, nobody="someone no longer here"),
            "no_worker": job.status == Job.Status.QUEUED
            and (timezone.now() - job.created_at).total_seconds() > NO_WORKER_AFTER,
            "has_output": bool(job.output_name),
        }
        return TemplateResponse(request, "admin/jobs/job/progress.html", context)

    def status_view(self, request, pk):
        """How far the task has got, for the page's progress bar to follow."""
        job = self._job(request, pk, "status", "done", "total", "stage", "kind")
        response = JsonResponse(
            {
                "status": job.status,
                "finished": job.finished,
                "percent": job.percent,
                "text": _progress_text(job),
            }
        )
        response.headers["Cache-Control"] = "no-store"
        return response

    def download_view(self, request, pk):
        """The file a finished task made (an export; a preview, for whoever asked for it,
        as its preview page is theirs alone)."""
        job = self._job(request, pk, "output", "output_name", "status", "kind", "requested_by")
        if job.status != Job.Status.SUCCEEDED or not job.output_name:
            raise Http404("This task has no file to download.")
        if job.kind in Job.OPENS_RESULT and job.requested_by_id != request.user.pk:
            raise Http404("This file is for the person who asked for the task.")
        response = HttpResponse(job.output, content_type="text/csv; charset=utf-8")
        response.headers["Content-Disposition"] = content_disposition_header(True, job.output_name)
        return response


def _opens_result(job, user):
    return (
        job.kind in Job.OPENS_RESULT
        and job.status == Job.Status.SUCCEEDED
        and job.requested_by_id == user.pk
        and bool(job.result_url)
    )


def _progress_text(job):
    """The job's state in words, e.g. "Checking rows: 4,000 of 10,000 (40%)"."""
    if job.status == Job.Status.QUEUED:
        return "Waiting to start"
    if job.status == Job.Status.SUCCEEDED:
        return "Done"
    if job.status == Job.Status.FAILED:
        return "Failed"
    stage = job.stage or "Starting"
    if job.total:
        return f"{stage}: {job.done:,} of {job.total:,} ({job.percent}%)"
    return stage


# Tasks are followed through their jobs above; the backend's own table of task results is
# the worker's bookkeeping, not something to browse.
if admin.site.is_registered(DBTaskResult):
    admin.site.unregister(DBTaskResult)
