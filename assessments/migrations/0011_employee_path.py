"""Each person's path in the reporting tree (see `assessments.models`): the column, the
paths of everyone already here, and the index that serves prefix lookups; and an index
in the team pages' order (by name), so that their first page of a big team is read
without sorting the whole team.

Not atomic, so that on PostgreSQL the indexes are built with CREATE INDEX CONCURRENTLY and
the people table stays writable meanwhile (an ordinary CREATE INDEX blocks every write
until it is done). The new column is a constant default, which PostgreSQL adds without
rewriting the table; the paths are then filled in one transaction of their own, so a
failure leaves no half-filled tree. If the index step fails, drop the invalid index
(`DROP INDEX CONCURRENTLY employee_path`) and migrate again from this migration.
"""

from django.db import migrations, models

import assessments.models
from pmladder.migrationops import AddIndexConcurrentlyWherePossible

BATCH = 1000


def fill_paths(apps, schema_editor):
    """Compute every path in Python from the manager links, a read of (id, manager) and a
    CASE update per thousand people. A loop left in the links by a bad manual edit is
    cut where it is found: that person is written as the top of their tree."""
    Employee = apps.get_model("assessments", "Employee")
    db = schema_editor.connection.alias
    manager_of = dict(Employee.objects.using(db).order_by().values_list("pk", "manager_id"))
    paths = {}
    for pk in manager_of:
        chain, seen = [], set()
        current = pk
        while current is not None and current not in paths and current not in seen:
            seen.add(current)
            chain.append(current)
            current = manager_of.get(current)
        above = paths.get(current, "")
        for person in reversed(chain):
            above = paths[person] = f"{above}{person}/"
    connection = schema_editor.connection
    table = connection.ops.quote_name(Employee._meta.db_table)
    ids = list(paths)
    with connection.cursor() as cursor:
        for start in range(0, len(ids), BATCH):
            batch = ids[start : start + BATCH]
            branches = " ".join(["WHEN %s THEN %s"] * len(batch))
            params = [value for pk in batch for value in (pk, paths[pk])]
            marks = ", ".join(["%s"] * len(batch))
            cursor.execute(
                f"UPDATE {table} SET path = CASE id {branches} END WHERE id IN ({marks})",
                [*params, *batch],
            )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("assessments", "0010_people_imports"),
    ]

    operations = [
        migrations.AddField(
            model_name="employee",
            name="path",
            field=assessments.models.PathField(
                default="",
                editable=False,
                help_text="The ids from the top of this person's tree down to them, e.g. "
                "1/5/9/; kept by the services that change managers.",
            ),
        ),
        migrations.RunPython(fill_paths, migrations.RunPython.noop, atomic=True),
        AddIndexConcurrentlyWherePossible(
            model_name="employee",
            index=models.Index(
                fields=["path"], name="employee_path", opclasses=["text_pattern_ops"]
            ),
        ),
        AddIndexConcurrentlyWherePossible(
            model_name="employee",
            index=models.Index(fields=["full_name", "id"], name="employee_name"),
        ),
    ]
