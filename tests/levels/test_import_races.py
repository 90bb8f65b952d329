"""Imports and copies of ladders started at the same moment, in real threads on PostgreSQL
(on SQLite, every transaction takes the database's write lock first, so writers cannot
interleave): the second waits for the first, then updates its ladder (replace) or is
refused clearly; never a database error. A clash with a writer outside the import lock is
a clear problem too (any database)."""

import io
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client

from jobs.models import Job
from levels import ladderfile, services
from levels.models import Ladder, Level
from levels.selectors import ladder_spec

from ..factories import make_hr_user
from ..threads import at_once, needs_postgresql
from .test_admin_ladder_import import CONFIRM_URL, IMPORT_URL, preview_token, upload

FILE = Path(__file__).resolve().parent.parent / "data" / "engineering.yaml"


def import_command(*options):
    def run():
        out = io.StringIO()
        call_command("import_ladder", str(FILE), *options, stdout=out)
        return out.getvalue().strip()

    return run


@needs_postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_imports_of_a_new_ladder_at_once_create_it_once_and_refuse_the_other():
    results = at_once(import_command(), import_command())

    created = [r for r in results if isinstance(r, str)]
    refused = [r for r in results if isinstance(r, CommandError)]
    assert created == [
        "Created ladder 'engineering' (Ingénierie logicielle), a draft: only HR sees it; "
        "publish it in the admin, or import with --publish."
    ], results
    assert len(refused) == 1, results
    refused = refused[0]
    assert (
        "ladder.slug: a ladder 'engineering' already exists; import with replace to update it"
        in str(refused)
    )
    assert Ladder.objects.filter(slug="engineering").count() == 1


@needs_postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_replacing_imports_of_a_new_ladder_at_once_create_it_then_update_it():
    results = at_once(import_command("--replace"), import_command("--replace"))

    assert sorted(results) == [
        "Created ladder 'engineering' (Ingénierie logicielle), a draft: only HR sees it; "
        "publish it in the admin, or import with --publish.",
        "Updated ladder 'engineering' (Ingénierie logicielle), a draft: only HR sees it; "
        "publish it in the admin, or import with --publish.",
    ]
    ladder = Ladder.objects.get(slug="engineering")
    assert ladder_spec(ladder) == ladderfile.read(FILE.read_bytes())


@needs_postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_admin_confirmations_of_a_new_ladder_at_once_create_it_once():
    clients = []
    for _ in range(2):
        client = Client()
        client.force_login(make_hr_user())
        clients.append(client)
    previews = [
        preview_token(client.post(IMPORT_URL, {"file": upload(FILE.read_bytes(), FILE.name)}))
        for client in clients
    ]

    results = at_once(
        *(
            lambda client=client, preview=preview: client.post(CONFIRM_URL, {"preview": preview})
            for client, preview in zip(clients, previews, strict=True)
        )
    )

    # The second is refused either when its confirmation is checked (409, the new preview)
    # or, confirmed before the first import committed, by its task under the import lock.
    assert not any(isinstance(result, Exception) for result in results), results
    responses = sorted(results, key=lambda r: r.status_code)
    refused = [job.message for job in Job.objects.filter(status=Job.Status.FAILED)]
    if responses[1].status_code == 409:
        assert "The ladder changed after your preview, so nothing was imported." in (
            responses[1].text
        )
        assert refused == []
    else:
        assert [response.status_code for response in responses] == [302, 302]
        assert len(refused) == 1
        assert refused[0].startswith("The ladder changed after your preview of engineering.yaml")
    assert Job.objects.filter(status=Job.Status.SUCCEEDED).count() == 1
    assert Ladder.objects.filter(slug="engineering").count() == 1


@needs_postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_import_and_a_copy_to_the_same_new_slug_at_once_make_one_ladder():
    source = services.load_default_ladder().ladder

    results = at_once(
        import_command(),
        lambda: services.duplicate_ladder(ladder=source, slug="engineering", name="Copy"),
    )

    imported, copied = results
    failed = [isinstance(result, Exception) for result in results]
    assert sorted(failed) == [False, True], results
    refusal = imported if failed[0] else copied
    if failed[0]:
        assert isinstance(refusal, CommandError)
        assert "a ladder 'engineering' already exists" in str(refusal)
    else:
        assert isinstance(refusal, ValidationError)
        assert refusal.messages == ["A ladder 'engineering' already exists; pick another slug."]
    assert Ladder.objects.filter(slug="engineering").count() == 1


@pytest.mark.django_db
def test_a_clash_with_an_edit_made_during_an_import_is_a_clear_problem(monkeypatch):
    """Someone adds a level the file also has, in the admin, after the import read the
    ladder's levels and before it wrote them: the import is refused whole, clearly."""
    spec = ladderfile.read(FILE.read_bytes())
    ladder = services.import_ladder(spec=spec).ladder
    spec["levels"].append({**spec["levels"][0], "key": "lead", "name": "Lead"})
    spec["tracks"][0]["levels"].append("lead")
    sync_by_key = services._sync_by_key

    def someone_adds_lead(model, existing, items, make):
        if model is Level:
            Level.objects.create(
                ladder=ladder, key="lead", name="Lead", short_name="L", summary="s"
            )
        return sync_by_key(model, existing, items, make)

    monkeypatch.setattr(services, "_sync_by_key", someone_adds_lead)

    with pytest.raises(ladderfile.LadderFileError) as error:
        services.import_ladder(spec=spec, replace=True)

    assert error.value.problems == [
        "ladder.slug: the ladder 'engineering' was changed by someone else during the import, "
        "so nothing was imported; import the file again"
    ]
    assert not ladder.levels.filter(key="lead").exists()
