"""The ladder work that runs as a background task (`jobs.runner`): applying a ladder file
HR previewed and confirmed in the admin."""

from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.db import transaction
from django.urls import reverse

from jobs.runner import Outcome, Refused
from pmladder import locks

from . import history, importplan, ladderfile, services


def import_ladder(job, progress):
    """Apply the file as previewed: read and checked again, then, under the import lock,
    planned again and written only if the plan is still the one the preview showed."""
    name, content = job.params["name"], job.params["content"]
    progress(0, 3, "Reading the file")
    spec = ladderfile.read(content, name=name)  # LadderFileError lists its problems
    progress(1, 3, "Checking the ladder")
    with history.acting_as(job.requested_by), transaction.atomic():
        # Compare with the preview and write with no other import in between: a second
        # confirmation waits here, then finds the ladder the first made.
        locks.serialised(locks.LADDER_IMPORT)
        plan = importplan.plan_import(spec)
        if plan.problems:
            raise ladderfile.LadderFileError(plan.problems)
        if plan.fingerprint != job.params["base"]:
            raise Refused(
                f"The ladder changed after your preview of {name}, so nothing was imported. "
                "Upload the file again to see what it would do now.",
                url=reverse("admin:levels_ladder_import"),
                label="Upload the file again",
            )
        progress(2, 3, "Writing the ladder")
        with history.reason(f"Imported from {name}"):
            result = services.import_ladder(spec=spec, replace=not plan.creates)
        ladder = result.ladder
        if result.created:
            logged = f"Imported from {name}."
            message = (
                f"Created ladder '{ladder.slug}' ({ladder.name}) from {name} as a draft: only "
                "HR sees it until you publish it."
            )
        else:
            summary = plan.summary() or "no changes"
            logged = f"Imported {name}: {summary}."
            message = f"Updated ladder '{ladder.slug}' ({ladder.name}) from {name}: {summary}."
        if job.requested_by is not None:
            LogEntry.objects.log_actions(
                user_id=job.requested_by.pk,
                queryset=[ladder],
                action_flag=ADDITION if result.created else CHANGE,
                change_message=logged,
                single_object=True,
            )
        progress(0, 0, "Saving")  # the commit, as the transaction ends
    return Outcome(
        message,
        url=reverse("admin:levels_ladder_change", args=[ladder.pk]),
        label=f"Open {ladder.name}",
    )
