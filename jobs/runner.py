"""Start long work as a task, run it in a worker, and keep its `Job` up to date.

Each kind of job has one function that does the work, named in `WORK`: it takes the job
and a `Progress` to report to, and returns an `Outcome`. It raises `Refused` (or an error
with a `problems` list, as the file readers raise) to fail with a message for the person
who asked; anything else fails the job with a general message, logged in full.

Progress is written on the `JOBS_PROGRESS_DATABASE` connection (settings): on PostgreSQL a
second connection to the same database, so that work writing in one long transaction (an
import) is seen moving while that transaction is open; elsewhere the work's own.
"""

import dataclasses
import logging
import time

from django.conf import settings
from django.tasks import task
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import Job

logger = logging.getLogger(__name__)

WORK = {
    Job.Kind.PEOPLE_PREVIEW: "assessments.jobs.preview_people",
    Job.Kind.PEOPLE_IMPORT: "assessments.jobs.import_people",
    Job.Kind.PEOPLE_EXPORT: "assessments.jobs.export_people",
    Job.Kind.LADDER_IMPORT: "levels.jobs.import_ladder",
    Job.Kind.PERSON_ERASURE: "assessments.datarequests.erase_in_background",
    Job.Kind.INVITATIONS: "assessments.jobs.send_invitations",
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
    result: dict = dataclasses.field(default_factory=dict)


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


def record(kind, *, by, title, outcome, **params):
    """Record a job whose work was done already, elsewhere (a preview an import made when
    it found the people changed), with its outcome; return it."""
    now = timezone.now()
    job = Job.objects.create(
        kind=kind,
        title=title[:300],
        requested_by=by,
        params=params,
        status=Job.Status.SUCCEEDED,
        started_at=now,
        finished_at=now,
        done=1,
        total=1,
    )
    _finish(job, Job.Status.SUCCEEDED, outcome)
    job.refresh_from_db()
    return job


def progress_database():
    """The alias progress is written on: `JOBS_PROGRESS_DATABASE`, by default the work's own
    connection."""
    return getattr(settings, "JOBS_PROGRESS_DATABASE", None) or "default"


class Progress:
    """Report how far a job has got: `progress(done, total, stage)`.

    Written straight to the job's row, at most a few times a second (a new stage is always
    written), on the connection `using` (by default `progress_database()`). On a connection
    of its own, reports from inside the work's transaction are seen at once; on the work's
    own connection they are seen when it commits. The work never writes its job's row
    inside its transaction: the two connections would then wait for each other.
    """

    INTERVAL = 0.3  # seconds

    def __init__(self, job, *, using=None):
        self.job = job
        self.using = using or progress_database()
        self.stage = None
        self.written_at = 0.0

    def __call__(self, done, total, stage):
        now = time.monotonic()
        if stage == self.stage and now - self.written_at < self.INTERVAL and done < total:
            return
        self.stage, self.written_at = stage, now
        Job.objects.using(self.using).filter(pk=self.job.pk).update(
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
            _finish(job, Job.Status.FAILED, Outcome(listed(problems)))
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
        result=outcome.result,
    )


# A file with problems on every row would make a message of a hundred thousand lines: the
# first ones say what to fix.
PROBLEMS_LISTED = 200


def listed(problems):
    """`problems` as a job's message: "Nothing was changed:" and the first of them."""
    problems = [str(problem) for problem in problems]
    if len(problems) == 1:
        return f"Nothing was changed: {problems[0]}"
    lines = [f"- {problem}" for problem in problems[:PROBLEMS_LISTED]]
    if len(problems) > PROBLEMS_LISTED:
        lines.append(f"- and {len(problems) - PROBLEMS_LISTED:,} more problems")
    return "Nothing was changed:\n" + "\n".join(lines)
