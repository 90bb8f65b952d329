"""Start long work as a task, run it in a worker, and keep its `Job` up to date.

Each kind of job has one function that does the work, named in `WORK`: it takes the job
and a `Progress` to report to, and returns an `Outcome`. It raises `Refused` (or an error
with a `problems` list, as the file readers raise) to fail with a message for the person
who asked; anything else fails the job with a general message, logged in full.
"""

import dataclasses
import logging
import time

from django.tasks import task
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import Job

logger = logging.getLogger(__name__)

WORK = {
    Job.Kind.PEOPLE_IMPORT: "assessments.jobs.import_people",
    Job.Kind.PEOPLE_EXPORT: "assessments.jobs.export_people",
    Job.Kind.LADDER_IMPORT: "levels.jobs.import_ladder",
}

UNEXPECTED = (
    "It stopped on an unexpected error and nothing was changed. The error is in the "
    "server's log; try again, and if it happens again, send the log to whoever runs PM "
    "Ladder."
)


@dataclasses.dataclass
class Outcome:
    message: str
    url: str = ""
    label: str = ""
    output: str = ""
    output_name: str = ""


class Refused(Exception):
    """The work cannot be done as asked; `message` says why, for the person who asked."""

    def __init__(self, message, *, url="", label=""):
        super().__init__(message)
        self.message, self.url, self.label = message, url, label


def start(kind, *, by, title, **params):
    """Record a job and queue its work; return the job, whose page shows its progress.

    In a transaction the task is queued with it, so a worker sees both once it commits.
    """
    job = Job.objects.create(kind=kind, title=title[:300], requested_by=by, params=params)
    result = run_job.enqueue(job.pk)
    Job.objects.filter(pk=job.pk, task_id="").update(task_id=str(result.id)[:64])
    job.refresh_from_db()
    return job


class Progress:
    """Report how far a job has got: `progress(done, total, stage)`.

    Written straight to the job's row, at most a few times a second (a new stage is always
    written). Work that writes in one transaction reports from inside it, so those reports
    are seen when it commits; the stages before and after are seen as they happen.
    """

    INTERVAL = 0.3  # seconds

    def __init__(self, job):
        self.job = job
        self.stage = None
        self.written_at = 0.0

    def __call__(self, done, total, stage):
        now = time.monotonic()
        if stage == self.stage and now - self.written_at < self.INTERVAL and done < total:
            return
        self.stage, self.written_at = stage, now
        Job.objects.filter(pk=self.job.pk).update(
            done=max(0, done), total=max(0, total), stage=stage[:100]
        )


@task()
def run_job(job_id):
    """Run a queued job's work and record its outcome on the job."""
    job = Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).first()
    if job is None:
        return  # run already, or deleted
    job.status, job.started_at = Job.Status.RUNNING, timezone.now()
    job.save(update_fields=["status", "started_at"])
    work = import_string(WORK[job.kind])
    try:
        outcome = work(job, Progress(job))
    except Refused as refused:
        _finish(job, Job.Status.FAILED, Outcome(refused.message, refused.url, refused.label))
    except Exception as error:
        problems = getattr(error, "problems", None)
        if problems:
            _finish(job, Job.Status.FAILED, Outcome(_listed(problems)))
        else:
            logger.exception("Job %s (%s) failed", job.pk, job.kind)
            _finish(job, Job.Status.FAILED, Outcome(UNEXPECTED))
    else:
        _finish(job, Job.Status.SUCCEEDED, outcome)


def _finish(job, status, outcome):
    Job.objects.filter(pk=job.pk).update(
        status=status,
        finished_at=timezone.now(),
        message=outcome.message,
        result_url=outcome.url[:300],
        result_label=outcome.label[:100],
        output=outcome.output,
        output_name=outcome.output_name[:255],
    )


def _listed(problems):
    problems = [str(problem) for problem in problems]
    if len(problems) == 1:
        return f"Nothing was changed: {problems[0]}"
    return "Nothing was changed:\n" + "\n".join(f"- {problem}" for problem in problems)
