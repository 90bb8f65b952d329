"""Background tasks: a job is queued with its task, runs in a worker (at once in tests),
reports its progress and ends with an outcome its page shows; only HR sees jobs."""

import pytest
from django.urls import reverse

from jobs import runner
from jobs.models import Job
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def progress_url(job):
    return reverse("admin:jobs_job_progress", args=[job.pk])


def status_url(job):
    return reverse("admin:jobs_job_status", args=[job.pk])


@pytest.fixture
def work(monkeypatch):
    """Swap the export's work for a function the test sets (`work.run`)."""

    class Work:
        run = None

    def call(job, progress):
        return Work.run(job, progress)

    monkeypatch.setattr("assessments.jobs.export_people", call)
    return Work


def start(org, **params):
    return runner.start(Job.Kind.PEOPLE_EXPORT, by=org.hr, title="Export test.csv", **params)


def test_a_job_runs_and_records_its_outcome(org, work):
    seen = []

    def run(job, progress):
        seen.append(job.params)
        progress(1, 2, "Halfway")
        return runner.Outcome("All done.", url="/admin/", label="Back", output="a,b\r\n")

    work.run = run
    job = start(org, file_name="people.csv")
    assert seen == [{"file_name": "people.csv"}]
    assert job.status == Job.Status.SUCCEEDED
    assert (job.message, job.result_url, job.result_label) == ("All done.", "/admin/", "Back")
    assert job.output == "a,b\r\n"
    assert job.task_id
    assert job.started_at <= job.finished_at
    assert job.percent == 100


def test_a_refused_job_fails_with_its_reason(org, work):
    def run(job, progress):
        raise runner.Refused("The file changed.", url="/again/", label="Look again")

    work.run = run
    job = start(org)
    assert job.status == Job.Status.FAILED
    assert (job.message, job.result_url, job.result_label) == (
        "The file changed.",
        "/again/",
        "Look again",
    )


def test_problems_of_a_file_are_listed(org, work):
    class FileError(Exception):
        problems = ["Row 2: no email.", "Row 3: no name."]

    def run(job, progress):
        raise FileError()

    work.run = run
    job = start(org)
    assert job.status == Job.Status.FAILED
    assert job.message == "Nothing was changed:\n- Row 2: no email.\n- Row 3: no name."


def test_an_unexpected_error_is_logged_and_reported_plainly(org, work, caplog):
    def run(job, progress):
        raise ZeroDivisionError("secret detail")

    work.run = run
    job = start(org)
    assert job.status == Job.Status.FAILED
    assert job.message == runner.UNEXPECTED
    assert "secret detail" not in job.message
    assert "ZeroDivisionError" in caplog.text


def test_progress_is_written_for_each_stage_and_throttled_within_one(org, work, monkeypatch):
    clock = iter([0.0, 0.1, 0.2, 5.0, 5.1])
    monkeypatch.setattr(runner.time, "monotonic", lambda: next(clock))
    job = Job.objects.create(kind=Job.Kind.PEOPLE_EXPORT, title="t", requested_by=org.hr)
    progress = runner.Progress(job)
    written = []

    def record():
        job.refresh_from_db()
        written.append((job.done, job.total, job.stage))

    progress(0, 10, "Checking rows")  # a new stage: written
    record()
    progress(3, 10, "Checking rows")  # 0.1 s later, same stage: skipped
    record()
    progress(0, 2, "Writing people")  # a new stage: written
    record()
    progress(1, 2, "Writing people")  # 4.8 s later: written
    record()
    progress(2, 2, "Writing people")  # the end of a stage: written
    record()
    assert written == [
        (0, 10, "Checking rows"),
        (0, 10, "Checking rows"),
        (0, 2, "Writing people"),
        (1, 2, "Writing people"),
        (2, 2, "Writing people"),
    ]


def test_a_job_is_run_once(org, work):
    runs = []
    work.run = lambda job, progress: runs.append(job.pk) or runner.Outcome("ok")
    job = start(org)
    runner.run_job.call(job.pk)  # a second delivery of the same task
    assert runs == [job.pk]


# The job's page -------------------------------------------------------------------------


def test_hr_follows_a_running_job(client, org):
    job = Job.objects.create(
        kind=Job.Kind.PEOPLE_IMPORT,
        title="Import march.csv",
        requested_by=org.hr,
        status=Job.Status.RUNNING,
        done=4000,
        total=10000,
        stage="Checking rows",
    )
    client.force_login(org.hr)
    page = client.get(progress_url(job))
    assert page.status_code == 200
    assert f'data-status-url="{status_url(job)}"' in page.text
    assert 'value="40"' in page.text
    assert "Checking rows: 4,000 of 10,000 (40%)" in page.text
    assert "js/job-progress.js" in page.text
    status = client.get(status_url(job)).json()
    assert status == {
        "status": "running",
        "finished": False,
        "percent": 40,
        "text": "Checking rows: 4,000 of 10,000 (40%)",
    }


def test_a_finished_job_shows_its_outcome_and_next_step(client, org):
    job = Job.objects.create(
        kind=Job.Kind.LADDER_IMPORT,
        title="Import pm.yaml",
        requested_by=org.hr,
        status=Job.Status.FAILED,
        message="The ladder changed after your preview.",
        result_url="/admin/levels/ladder/import/",
        result_label="Upload the file again",
    )
    client.force_login(org.hr)
    page = client.get(progress_url(job))
    assert "This task failed." in page.text
    assert "The ladder changed after your preview." in page.text
    assert 'href="/admin/levels/ladder/import/">Upload the file again</a>' in page.text
    assert "data-status-url" not in page.text
    assert "job-progress.js" not in page.text


def test_a_job_waiting_long_says_no_worker_seems_to_run(client, org):
    job = Job.objects.create(kind=Job.Kind.PEOPLE_EXPORT, title="t", requested_by=org.hr)
    client.force_login(org.hr)
    assert "job-no-worker" not in client.get(progress_url(job)).text
    Job.objects.filter(pk=job.pk).update(created_at=job.created_at.replace(year=2020))
    assert "manage.py db_worker" in client.get(progress_url(job)).text


def test_the_export_file_downloads_only_once_made(client, org):
    job = Job.objects.create(
        kind=Job.Kind.PEOPLE_EXPORT, title="t", requested_by=org.hr, output_name="p.csv"
    )
    url = reverse("admin:jobs_job_download", args=[job.pk])
    client.force_login(org.hr)
    assert client.get(url).status_code == 404
    Job.objects.filter(pk=job.pk).update(status=Job.Status.SUCCEEDED, output="email\r\n")
    response = client.get(url)
    assert response.status_code == 200
    assert response.content == b"email\r\n"
    assert response.headers["Content-Disposition"] == 'attachment; filename="p.csv"'


def test_the_list_shows_recent_jobs_with_few_queries(client, org, django_assert_max_num_queries):
    for number in range(30):
        Job.objects.create(
            kind=Job.Kind.PEOPLE_EXPORT, title=f"Export {number}", requested_by=org.hr
        )
    client.force_login(org.hr)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("admin:jobs_job_changelist"))
    assert page.status_code == 200
    assert "Export 29" in page.text
    assert "Waiting to start" in page.text


def test_another_hr_person_can_follow_a_job(client, org):
    job = Job.objects.create(kind=Job.Kind.PEOPLE_EXPORT, title="t", requested_by=org.hr)
    colleague = UserFactory(username="hr2", is_staff=True)
    colleague.groups.add(*org.hr.groups.all())
    client.force_login(colleague)
    assert client.get(progress_url(job)).status_code == 200


@pytest.mark.parametrize("who", ["manager", "report", "staff"])
def test_nobody_but_hr_sees_jobs(client, org, who):
    job = Job.objects.create(kind=Job.Kind.PEOPLE_EXPORT, title="t", requested_by=org.hr)
    if who == "staff":
        user = UserFactory(username="staff", is_staff=True)
    else:
        user = getattr(org, who).user
    client.force_login(user)
    for url in (progress_url(job), status_url(job)):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith("/admin/login/")


def test_a_job_that_is_not_there_is_404(client, org):
    client.force_login(org.hr)
    assert client.get(reverse("admin:jobs_job_progress", args=[999])).status_code == 404
    assert client.get(reverse("admin:jobs_job_status", args=[999])).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, org):
    job = Job.objects.create(kind=Job.Kind.PEOPLE_EXPORT, title="t", requested_by=org.hr)
    response = client.get(progress_url(job))
    assert response.status_code == 302
    assert "login" in response.url


def test_a_job_keeps_what_its_work_found_for_its_result_page(org, work):
    work.run = lambda job, progress: runner.Outcome("ok", result={"counts": {"created": 3}})
    job = start(org)
    assert job.result == {"counts": {"created": 3}}


def test_a_long_list_of_problems_is_cut_short(org, work, monkeypatch):
    monkeypatch.setattr(runner, "PROBLEMS_LISTED", 2)

    class FileError(Exception):
        problems = ["Row 2: no email.", "Row 3: no name.", "Row 4: no level.", "Row 5: no."]

    def run(job, progress):
        raise FileError()

    work.run = run
    job = start(org)
    assert job.message == (
        "Nothing was changed:\n- Row 2: no email.\n- Row 3: no name.\n- and 2 more problems"
    )


def test_work_done_elsewhere_is_recorded_as_a_finished_job(org):
    job = runner.record(
        Job.Kind.PEOPLE_PREVIEW,
        by=org.hr,
        title="Preview march.csv again",
        outcome=runner.Outcome("Previewed.", url="/admin/", output="a\r\n", output_name="p.csv"),
        upload=7,
    )
    assert (job.status, job.params, job.percent) == (Job.Status.SUCCEEDED, {"upload": 7}, 100)
    assert (job.message, job.result_url, job.output_name) == ("Previewed.", "/admin/", "p.csv")
    assert job.started_at <= job.finished_at


def test_progress_is_written_on_the_connection_the_settings_name(org, settings):
    settings.JOBS_PROGRESS_DATABASE = ""
    job = Job.objects.create(kind=Job.Kind.PEOPLE_EXPORT, title="t", requested_by=org.hr)
    assert runner.Progress(job).using == "default"
    settings.JOBS_PROGRESS_DATABASE = "progress"
    assert runner.Progress(job).using == "progress"


def test_the_person_who_asked_goes_from_a_finished_preview_task_to_the_preview(client, org):
    job = Job.objects.create(
        kind=Job.Kind.PEOPLE_PREVIEW,
        title="Preview march.csv",
        requested_by=org.hr,
        status=Job.Status.SUCCEEDED,
        result_url="/admin/assessments/employee/import/1/",
    )
    client.force_login(org.hr)
    response = client.get(progress_url(job))
    assert (response.status_code, response.url) == (302, job.result_url)
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING)
    assert client.get(progress_url(job)).status_code == 200  # still running: its page
