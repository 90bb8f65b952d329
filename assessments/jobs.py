"""The people work that runs as background tasks (`jobs.runner`): importing a people file
HR confirmed in the admin, and exporting everyone as a people file."""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from jobs.models import Job
from jobs.runner import Outcome, Refused

from . import peoplefile
from .models import Employee, PeopleImport

EXPORT_PROGRESS_EVERY = 1000  # lines


def import_people(job, progress):
    """Import an uploaded people file as its preview showed it (`peoplefile.import_people`:
    all or nothing), then send the emails it asked for."""
    params = job.params
    upload = PeopleImport.objects.filter(pk=params["upload"]).first()
    if upload is None:
        raise Refused(
            "The uploaded file is no longer kept (previews expire after a day), so nothing "
            "was imported. Upload it again.",
            url=_people_url("import"),
            label="Upload a file",
        )
    if upload.applied_at is not None:
        raise Refused(f"{upload.file_name} was imported already: {upload.summary}")
    try:
        summary = peoplefile.import_people(
            content=upload.content,
            by=job.requested_by,
            name=upload.file_name,
            expected=params["expected"],
            allow_step_down=params["allow_step_down"],
            notify=params["notify"],
            invite=params["invite"],
            domain=params["domain"],
            use_https=params["use_https"],
            progress=progress,
        )
    except peoplefile.StalePreview:
        raise Refused(
            f"The people in {upload.file_name} changed after your preview, so nothing was "
            "imported. Open the preview again: it marks what changed, and you can confirm "
            "it from there.",
            url=_people_url("import_preview", upload.pk) + "?changed=1",
            label="Open the preview again",
        ) from None
    with transaction.atomic():
        upload.applied_at, upload.summary = timezone.now(), str(summary)[:300]
        upload.save(update_fields=["applied_at", "summary"])
    return Outcome(
        f"Imported {upload.file_name}. {summary}",
        url=_people_url("changelist"),
        label="See everyone",
    )


def export_people(job, progress):
    """Everyone active as a people file, which imports back without a change."""
    total = Employee.objects.filter(is_active=True).count() + 1  # and the header
    lines = []
    for number, line in enumerate(peoplefile.export_lines(), start=1):
        lines.append(line)
        if number % EXPORT_PROGRESS_EVERY == 0:
            progress(number, total, "Writing people")
    count = len(lines) - 1
    return Outcome(
        f"Exported {count:,} {'person' if count == 1 else 'people'}.",
        output="".join(lines),
        output_name=job.params["file_name"],
    )


def pending_import(upload):
    """The task importing `upload`, while it waits or runs, if there is one."""
    return (
        Job.objects.filter(kind=Job.Kind.PEOPLE_IMPORT, params__upload=upload.pk)
        .exclude(status__in=[Job.Status.SUCCEEDED, Job.Status.FAILED])
        .first()
    )


def _people_url(name, *args):
    return reverse(f"admin:assessments_employee_{name}", args=args)
