"""The people work that runs as background tasks (`jobs.runner`): previewing a large
people file uploaded in the admin, importing a people file HR confirmed there, and
exporting everyone as a people file.

A file of more than `peoplefile.max_rows_in_request()` people is previewed by a task,
which keeps what the preview page shows (`peoplefile.PreviewSummary`, as the job's
`result`) and the whole preview as a CSV file (the job's `output`); the page shows the
latest preview of its upload. An import that finds the people changed since makes the
new preview there and then, as a preview task already done, for the page to show."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from jobs import runner
from jobs.models import Job
from jobs.runner import Outcome, Refused

from . import peoplefile
from .models import Employee, PeopleImport

EXPORT_PROGRESS_EVERY = 1000  # lines
# How many people of each list a preview's page shows (the counts are always whole): a
# preview made within the request shows as many as such a file lists, at the default limit;
# one made by a task, a page's worth, as the whole of it is a CSV file to download.
PREVIEW_ROWS_SHOWN = 1000
TASK_PREVIEW_ROWS_SHOWN = 200
PREPARING_PREVIEW = "Preparing the preview and its file"


def in_background(upload):
    """Whether `upload` (a `PeopleImport`) is previewed by tasks: it has been, or it is
    too long to preview within a request."""
    return latest_preview(upload) is not None or too_long_for_a_request(upload)


def too_long_for_a_request(upload):
    return peoplefile.lists_more_than(upload.content, peoplefile.max_rows_in_request())


def start_preview(upload, *, by):
    """Queue the preview of a large upload; return its job."""
    return runner.start(
        Job.Kind.PEOPLE_PREVIEW, by=by, title=f"Preview {upload.file_name}", upload=upload.pk
    )


def latest_preview(upload):
    """The newest preview task of `upload`, finished or not, or None."""
    return (
        Job.objects.filter(kind=Job.Kind.PEOPLE_PREVIEW, params__upload=upload.pk)
        .order_by("-created_at", "-id")
        .first()
    )


def preview_people(job, progress):
    """Preview an uploaded people file as the admin's page shows it, writing nothing but
    what the preview showed (`PeopleImport.shown`, which the confirmation is checked
    against)."""
    upload = _upload(job)
    try:
        preview = peoplefile.preview(
            upload.content, by=job.requested_by, name=upload.file_name, progress=progress
        )
    except peoplefile.PeopleFileError as error:
        raise Refused(
            f"{upload.file_name} cannot be imported. Fix what is listed and upload it again.\n"
            + runner.listed(error.problems),
            url=_people_url("import"),
            label="Upload a file",
        ) from None
    return _previewed(upload, preview, progress=progress)


def _previewed(upload, preview, *, stale=False, progress=None):
    """The outcome of a preview: its summary for the page, the whole of it as a file, and
    the people it showed kept on the upload. `stale` marks who changed since the last."""
    if progress is not None:
        progress(0, 0, PREPARING_PREVIEW)
    if stale:
        preview.mark_changed_since(upload.shown)
    upload.shown = preview.digests()
    upload.save(update_fields=["shown"])
    stem = upload.file_name.rsplit(".", 1)[0] or "people"
    return Outcome(
        f"Previewed {upload.file_name}: {preview}",
        url=_people_url("import_preview", upload.pk),
        label="Open the preview",
        output="".join(peoplefile.preview_lines(preview)),
        output_name=f"preview-of-{stem}.csv",
        result=preview.summary(TASK_PREVIEW_ROWS_SHOWN, stale=stale).as_json(),
    )


def forget_previews(uploads):
    """Drop what the preview tasks of `uploads` (ids) kept, once nobody can confirm them
    (imported, or expired): their page and their file are of no use any more."""
    Job.objects.filter(kind=Job.Kind.PEOPLE_PREVIEW, params__upload__in=list(uploads)).update(
        result={}, output="", output_name=""
    )


def import_people(job, progress):
    """Import an uploaded people file as its preview showed it (`peoplefile.import_people`:
    all or nothing), then send the emails it asked for."""
    params = job.params
    upload = _upload(job)
    try:
        summary = peoplefile.import_people(
            content=upload.content,
            by=job.requested_by,
            name=upload.file_name,
            expected=params["expected"],
            allow_step_down=params["allow_step_down"],
            notify=params["notify"],
            progress=progress,
        )
    except peoplefile.StalePreview as stale:
        if in_background(upload):  # its page shows the latest preview task: this one
            runner.record(
                Job.Kind.PEOPLE_PREVIEW,
                by=job.requested_by,
                title=f"Preview {upload.file_name} again",
                outcome=_previewed(upload, stale.preview, stale=True),
                upload=upload.pk,
            )
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
    forget_previews([upload.pk])
    if not (params["invite"] and summary.new_users):
        return _imported(upload, summary)
    invitations = start_invitations(
        summary.new_users,
        by=job.requested_by,
        title=f"Invite the new people of {upload.file_name}",
        domain=params["domain"],
        use_https=params["use_https"],
    )
    if invitations.status == Job.Status.SUCCEEDED:  # sent already: the task ran here
        summary.invited = invitations.result.get("sent", 0)
        return _imported(upload, summary)
    count = len(summary.new_users)
    return Outcome(
        f"Imported {upload.file_name}. {summary} The invitations to the {count:,} new "
        f"{'person' if count == 1 else 'people'} are sent by a task of their own.",
        url=invitations.get_absolute_url(),
        label="Follow the invitations",
    )


def _imported(upload, summary):
    return Outcome(
        f"Imported {upload.file_name}. {summary}",
        url=_people_url("changelist"),
        label="See everyone",
    )


def start_invitations(users, *, by, title, domain, use_https):
    """Queue the emails inviting `users` (new sign-ins) to choose a password; return the
    job. Sending thousands of emails takes longer than importing their people, and the
    people are in, whatever the mail server does."""
    return runner.start(
        Job.Kind.INVITATIONS,
        by=by,
        title=title,
        users=[user.pk for user in users],
        domain=domain,
        use_https=use_https,
    )


def send_invitations(job, progress):
    """Email the invitations of `start_invitations`, to those of its sign-ins still here
    and still without a password."""
    params = job.params
    User = get_user_model()
    ids, found = params["users"], {}
    for start in range(0, len(ids), peoplefile.LOOKUP_BATCH):
        batch = User.objects.filter(pk__in=ids[start : start + peoplefile.LOOKUP_BATCH])
        found.update((user.pk, user) for user in batch)
    # In the file's order, but whoever left, or chose a password since (from "Forgot your
    # password?"), needs no invitation.
    users = [found[pk] for pk in ids if pk in found and not found[pk].has_usable_password()]
    sent = peoplefile.send_invitations(
        users, domain=params["domain"], use_https=params["use_https"], progress=progress
    )
    if users and not sent:
        raise Refused(
            "No invitation could be sent: the mail server could not be reached or refused "
            "them (the server's log says why). The people are imported: each can choose a "
            'password from "Forgot your password?" on the sign-in page.'
        )
    text = f"Sent {sent:,} invitation{'s' if sent != 1 else ''}."
    if sent < len(users):
        text += (
            f" {len(users) - sent:,} could not be sent (the server's log says why); those "
            'people can choose a password from "Forgot your password?" on the sign-in page.'
        )
    return Outcome(text, url=_people_url("changelist"), label="See everyone", result={"sent": sent})


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


def _upload(job):
    """The upload a people job works on, unless it is gone or imported already."""
    upload = PeopleImport.objects.filter(pk=job.params["upload"]).first()
    if upload is None:
        raise Refused(
            "The uploaded file is no longer kept (previews expire after a day), so nothing "
            "was done. Upload it again.",
            url=_people_url("import"),
            label="Upload a file",
        )
    if upload.applied_at is not None:
        raise Refused(f"{upload.file_name} was imported already: {upload.summary}")
    return upload


def pending_import(upload):
    """The task importing `upload`, while it waits or runs, if there is one."""
    return (
        Job.objects.filter(kind=Job.Kind.PEOPLE_IMPORT, params__upload=upload.pk)
        .exclude(status__in=[Job.Status.SUCCEEDED, Job.Status.FAILED])
        .first()
    )


def _people_url(name, *args):
    return reverse(f"admin:assessments_employee_{name}", args=args)
