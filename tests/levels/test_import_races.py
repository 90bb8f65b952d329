"""Imports and copies of ladders started at the same moment, in real threads on PostgreSQL
(on SQLite, every transaction takes the database's write lock first, so writers cannot
interleave): the second waits for the first, then updates its ladder (replace) or is
refused clearly; never a database error. A clash with a writer outside the import lock is
a clear problem too (any database)."""

import io
import threading
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.test import Client

from levels import ladderfile, services
from levels.models import Ladder, Level
from levels.selectors import ladder_spec

from ..factories import make_hr_user
from .test_admin_ladder_import import CONFIRM_URL, IMPORT_URL, preview_token, upload

FILE = Path(__file__).resolve().parent.parent / "data" / "engineering.yaml"


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL (set DATABASE_URL): SQLite serialises writers, so two "
            "imports there cannot race"
        )


def at_once(*calls):
    """Run each of `calls` in its own thread, all released together; return for each
    ("ok", what it returned) or ("error", what it raised)."""
    start = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            start.wait(timeout=10)
            results[index] = ("ok", call())
        except Exception as error:
            results[index] = ("error", error)
        finally:
            connections.close_all()  # this thread's own connection

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results


def import_command(*options):
    def run():
        out = io.StringIO()
        call_command("import_ladder", str(FILE), *options, stdout=out)
        return out.getvalue().strip()

    return run


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_imports_of_a_new_ladder_at_once_create_it_once_and_refuse_the_other(postgresql):
    results = at_once(import_command(), import_command())

    assert sorted(kind for kind, _ in results) == ["error", "ok"]
    created = next(value for kind, value in results if kind == "ok")
    refused = next(value for kind, value in results if kind == "error")
    assert created == "Created ladder 'engineering' (Ingénierie logicielle)."
    assert isinstance(refused, CommandError)
    assert (
        "ladder.slug: a ladder 'engineering' already exists; import with replace to update it"
        in str(refused)
    )
    assert Ladder.objects.filter(slug="engineering").count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_replacing_imports_of_a_new_ladder_at_once_create_it_then_update_it(postgresql):
    results = at_once(import_command("--replace"), import_command("--replace"))

    assert sorted(results) == [
        ("ok", "Created ladder 'engineering' (Ingénierie logicielle)."),
        ("ok", "Updated ladder 'engineering' (Ingénierie logicielle)."),
    ]
    ladder = Ladder.objects.get(slug="engineering")
    assert ladder_spec(ladder) == ladderfile.read(FILE.read_bytes())


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_admin_confirmations_of_a_new_ladder_at_once_create_it_once(postgresql):
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

    assert [kind for kind, _ in results] == ["ok", "ok"]
    responses = sorted((response for _, response in results), key=lambda r: r.status_code)
    assert [response.status_code for response in responses] == [302, 409]
    assert "The ladder changed after your preview, so nothing was imported." in responses[1].text
    assert Ladder.objects.filter(slug="engineering").count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_import_and_a_copy_to_the_same_new_slug_at_once_make_one_ladder(postgresql):
    source = services.load_default_ladder().ladder

    results = at_once(
        import_command(),
        lambda: services.duplicate_ladder(ladder=source, slug="engineering", name="Copy"),
    )

    (imported, imported_value), (copied, copied_value) = results
    assert sorted([imported, copied]) == ["error", "ok"]
    refusal = imported_value if imported == "error" else copied_value
    if imported == "error":
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
