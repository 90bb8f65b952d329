"""People files before they are imported: the preview of what a file would change, the
confirmation against it, step-downs allowed explicitly, the rationale column, and the
export and template files that import back without a change."""

import csv
import io

import pytest
from django.contrib.admin.models import LogEntry
from django.core.management import call_command
from django.core.management.base import CommandError

from assessments import peoplefile, services
from assessments.models import Employee, LevelAssignment
from levels.models import Level, Track

from ..factories import UserFactory, make_hr_user
from .test_import_people import HEADER, csv_of, days_ago, person, small_team

pytestmark = pytest.mark.django_db


def counts():
    return (Employee.objects.count(), LevelAssignment.objects.count())


@pytest.fixture
def team(default_ladder):
    """Ana (director) above Ben (senior PM) above Cy (APM), and Dee beside Ben."""
    rows = [*small_team(), person("dee@example.com", "Dee Side", manager="ana@example.com")]
    peoplefile.import_people(content=csv_of(rows))
    return rows


def edited(rows, email, **changes):
    return [{**row, **changes} if row["email"] == email else row for row in rows]


def fields_of(change):
    return {field.label: (field.old, field.new) for field in change.fields}


# The preview ------------------------------------------------------------------------------


def test_the_preview_lists_each_change_field_by_field_and_writes_nothing(team):
    today = days_ago(0)
    rows = [
        person("ben@example.com", "Benjamin Lead", level="apm", date=today),
        person(
            "cy@example.com", "Cy Junior", manager="dee@example.com", level="apm", title="APM II"
        ),
        person(
            "dee@example.com",
            "Dee Side",
            manager="ana@example.com",
            track="management",
            level="pm-manager",
            date=today,
        ),
        person("eve@example.com", "Eve New", manager="ben@example.com", level="apm"),
    ]  # Ana is left out
    today = today.isoformat()
    before = counts()

    preview = peoplefile.preview(csv_of(rows), name="people.csv")

    assert counts() == before
    changed = {change.email: change for change in preview.updated}
    assert set(changed) == {"ben@example.com", "cy@example.com", "dee@example.com"}
    ben = changed["ben@example.com"]
    assert ben.step_down
    assert ben.manager_change
    assert not ben.track_change
    assert fields_of(ben)["Name"] == ("Ben Lead", "Benjamin Lead")
    assert fields_of(ben)["Level"] == (
        "Senior Product Manager",
        f"Associate Product Manager (from {today})",
    )
    assert fields_of(ben)["Manager"] == ("Ana Boss <ana@example.com>", "nobody")
    cy = changed["cy@example.com"]
    assert cy.manager_change
    assert not cy.step_down
    assert fields_of(cy) == {
        "Job title": ("PM", "APM II"),
        "Manager": ("Ben Lead <ben@example.com>", "Dee Side <dee@example.com>"),
    }
    dee = changed["dee@example.com"]
    assert dee.track_change
    assert not dee.step_down
    assert not dee.manager_change
    assert fields_of(dee)["Track"] == ("Individual Contributor", "Management")
    assert fields_of(dee)["Why, in the level history"] == (
        "",
        "Imported from people.csv by the system.",
    )
    assert [change.email for change in preview.created] == ["eve@example.com"]
    assert fields_of(preview.created[0])["Manager"] == ("", "Benjamin Lead <ben@example.com>")
    assert preview.missing == [("Ana Boss", "ana@example.com")]
    assert preview.unchanged == 0
    assert [change.email for change in preview.step_downs] == ["ben@example.com"]
    assert str(preview) == (
        "1 person to create, 3 people to change, 0 unchanged (1 step-down, 1 track change, "
        "2 manager changes); 1 person here is not in the file and will be left alone."
    )


def test_a_file_that_matches_changes_nothing(team):
    preview = peoplefile.preview(csv_of(team))

    assert not preview.has_changes
    assert preview.unchanged == 4
    assert preview.missing == []


def test_inactive_people_left_out_of_a_file_are_not_listed(team):
    services.deactivate_employee(employee=Employee.objects.get(email="dee@example.com"))

    preview = peoplefile.preview(csv_of(team[:3]))

    assert preview.missing == []


def test_a_bad_file_raises_with_every_problem(team):
    rows = edited(team, "cy@example.com", level="astronaut")

    with pytest.raises(peoplefile.PeopleFileError) as raised:
        peoplefile.preview(csv_of(rows))

    assert raised.value.problems == [
        "row 4, level: unknown level 'astronaut' in ladder 'product-management'"
    ]


# Confirming against the preview --------------------------------------------------------------


def test_an_import_confirmed_against_its_preview_applies_it(team):
    rows = edited(team, "cy@example.com", job_title="APM II")
    preview = peoplefile.preview(csv_of(rows))

    summary = peoplefile.import_people(content=csv_of(rows), expected=preview.fingerprint)

    assert (summary.updated, summary.unchanged) == (1, 3)
    assert Employee.objects.get(email="cy@example.com").job_title == "APM II"


@pytest.mark.parametrize("change", ["level", "rename", "new person"])
def test_a_change_between_preview_and_confirmation_is_refused(team, change):
    today = days_ago(0).isoformat()
    rows = edited(team, "cy@example.com", level="pm", effective_date=today)
    preview = peoplefile.preview(csv_of(rows))
    cy = Employee.objects.get(email="cy@example.com")
    if change == "level":  # assigned on their page meanwhile
        level = Level.objects.get(ladder=cy.ladder, key="senior-pm")
        services.assign_level(
            employee=cy, level=level, track=cy.track, effective_on=days_ago(0), by=None
        )
    elif change == "rename":
        Employee.objects.filter(pk=cy.pk).update(full_name="Cyrus Junior")
    else:  # someone added by hand, now missing from the file
        services.place_employee(
            full_name="Fay Hand",
            email="fay@example.com",
            ladder=cy.ladder,
            track=cy.track,
            level=cy.level,
            effective_on=days_ago(1),
        )
    before = counts()

    with pytest.raises(peoplefile.StalePreview) as raised:
        peoplefile.import_people(
            content=csv_of(rows), expected=preview.fingerprint, allow_step_down=True
        )

    assert counts() == before
    assert raised.value.preview.fingerprint != preview.fingerprint
    assert Employee.objects.get(pk=cy.pk).level.key == ("senior-pm" if change == "level" else "apm")


# Step-downs ------------------------------------------------------------------------------


def test_a_step_down_is_refused_unless_allowed(team):
    rows = edited(team, "ben@example.com", level="apm", effective_date=days_ago(0).isoformat())
    before = counts()

    with pytest.raises(peoplefile.PeopleFileError) as raised:
        peoplefile.import_people(content=csv_of(rows))

    assert raised.value.problems == [
        "row 3, level: Ben Lead would step down from Senior Product Manager to Associate "
        "Product Manager; step-downs are imported only when allowed explicitly"
    ]
    assert counts() == before

    peoplefile.import_people(content=csv_of(rows), allow_step_down=True)

    assert Employee.objects.get(email="ben@example.com").level.key == "apm"


def test_a_step_up_and_a_lateral_move_need_no_permission(team):
    today = days_ago(0).isoformat()
    rows = edited(team, "cy@example.com", level="pm", effective_date=today)
    rows = edited(rows, "dee@example.com", track="management", level="pm-manager")
    rows = edited(rows, "dee@example.com", effective_date=today)

    summary = peoplefile.import_people(content=csv_of(rows))

    assert summary.updated == 2


# Why a level changed -------------------------------------------------------------------------


def test_a_level_change_records_the_file_and_who_imported_it(team):
    hana = UserFactory(username="hana", first_name="Hana", last_name="Reyes", is_superuser=True)
    rows = edited(team, "cy@example.com", level="pm", effective_date=days_ago(0).isoformat())

    peoplefile.import_people(content=csv_of(rows), by=hana, name="march.csv")

    latest = LevelAssignment.objects.filter(employee__email="cy@example.com").first()
    assert latest.rationale == "Imported from march.csv by Hana Reyes."


def test_the_rationale_column_goes_in_the_level_history(team):
    rows = edited(team, "cy@example.com", level="pm", effective_date=days_ago(0).isoformat())
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([*HEADER.split(","), "rationale"])
    for row in rows:
        why = "Shipped search.\nLed the pricing review." if row["email"] == "cy@example.com" else ""
        writer.writerow([*(row[column] for column in HEADER.split(",")), why])

    peoplefile.import_people(content=buffer.getvalue(), name="people.csv")

    latest = LevelAssignment.objects.filter(employee__email="cy@example.com").first()
    assert latest.rationale == "Shipped search.\nLed the pricing review."
    assert latest.level.key == "pm"


def test_a_rationale_with_a_control_character_or_too_long_is_a_problem(team):
    header = HEADER + ",rationale"
    rows = [{**row, "rationale": ""} for row in team]
    rows[0]["rationale"] = "x" * 5001
    rows[1]["rationale"] = "a\x1b[2Jb"

    with pytest.raises(peoplefile.PeopleFileError) as raised:
        peoplefile.import_people(content=csv_of(rows, header=header))

    assert raised.value.problems == [
        "row 2, rationale: is 5001 characters long; at most 5000 allowed",
        "row 3, rationale: Remove the invisible control character U+001B: it would garble "
        "emails and other pages.",
    ]


# Export and template ---------------------------------------------------------------------


def export_text():
    return "".join(peoplefile.export_lines())


def test_an_export_imports_back_without_a_change(team):
    Employee.objects.filter(email="dee@example.com").update(
        full_name="=HYPERLINK(1)", job_title="-Lead, Platform"
    )
    before = list(Employee.objects.values_list("full_name", "job_title", "manager", "level"))

    text = export_text()
    preview = peoplefile.preview(text)
    summary = peoplefile.import_people(content=text)

    assert not preview.has_changes
    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 4)
    assert (
        list(Employee.objects.values_list("full_name", "job_title", "manager", "level")) == before
    )


def test_the_export_neutralises_formulas_for_spreadsheets(team):
    Employee.objects.filter(email="dee@example.com").update(
        full_name="=HYPERLINK(1)", job_title="@SUM(A1)"
    )

    rows = list(csv.reader(io.StringIO(export_text())))

    assert rows[0] == HEADER.split(",")
    dee = next(row for row in rows if row[0] == "dee@example.com")
    assert dee[1:3] == ["'=HYPERLINK(1)", "'@SUM(A1)"]
    ben = next(row for row in rows if row[0] == "ben@example.com")
    assert ben == [
        "ben@example.com",
        "Ben Lead",
        "PM",
        "ana@example.com",
        "product-management",
        "ic",
        "senior-pm",
        days_ago(200).isoformat(),
    ]


def test_the_export_leaves_out_inactive_people_and_dates_the_current_level(team):
    services.deactivate_employee(employee=Employee.objects.get(email="dee@example.com"))
    cy = Employee.objects.get(email="cy@example.com")
    services.assign_level(
        employee=cy,
        level=Level.objects.get(ladder=cy.ladder, key="pm"),
        track=cy.track,
        effective_on=days_ago(3),
        by=None,
    )

    rows = list(csv.DictReader(io.StringIO(export_text())))

    assert [row["email"] for row in rows] == [
        "ana@example.com",
        "ben@example.com",
        "cy@example.com",
    ]
    assert rows[2]["level"] == "pm"
    assert rows[2]["effective_date"] == days_ago(3).isoformat()


def test_the_export_costs_the_same_queries_for_any_number_of_people(
    team, django_assert_max_num_queries
):
    with django_assert_max_num_queries(1):
        export_text()
    more = [person(f"p{n}@example.com", manager="ana@example.com") for n in range(30)]
    peoplefile.import_people(content=csv_of([*team, *more]))

    with django_assert_max_num_queries(1):
        assert export_text().count("\r\n") == 35


def test_the_template_has_the_header_and_one_row_that_imports(default_ladder):
    text = "".join(peoplefile.template_lines())
    rows = list(csv.reader(io.StringIO(text)))

    assert rows[0] == [*HEADER.split(","), "rationale"]
    assert len(rows) == 2
    preview = peoplefile.preview(text)
    assert [change.email for change in preview.created] == ["alex.example@your-company.example"]
    assert Track.objects.filter(key=rows[1][5], ladder__slug=rows[1][4]).exists()


# The command -------------------------------------------------------------------------------


def write_file(tmp_path, rows):
    path = tmp_path / "people.csv"
    path.write_bytes(csv_of(rows))
    return path


def test_a_dry_run_prints_the_plan_and_changes_nothing(team, tmp_path, capsys):
    rows = edited(team, "ben@example.com", level="apm", effective_date=days_ago(0).isoformat())
    rows = [*rows[1:], person("eve@example.com", "Eve New", manager="ben@example.com")]
    before = counts()

    call_command("import_people", str(write_file(tmp_path, rows)), "--dry-run")

    assert counts() == before
    out = capsys.readouterr().out
    assert "people.csv: 1 person to create, 1 person to change, 2 unchanged (1 step-down)" in out
    assert "change  row 2: Ben Lead <ben@example.com>  [STEP-DOWN]" in out
    assert "Level: 'Senior Product Manager' -> 'Associate Product Manager (from" in out
    assert "create  row 5: Eve New <eve@example.com>;" in out
    assert "Here but not in the file, left alone (1):" in out
    assert "Ana Boss <ana@example.com>" in out
    assert "import it with --allow-step-down" in out
    assert "Dry run: nothing was changed." in out


def test_the_command_refuses_a_step_down_without_the_flag(team, tmp_path, capsys):
    rows = edited(team, "ben@example.com", level="apm", effective_date=days_ago(0).isoformat())
    path = write_file(tmp_path, rows)

    with pytest.raises(CommandError) as raised:
        call_command("import_people", str(path))

    assert "would step down from Senior Product Manager" in str(raised.value)
    assert "import them with --allow-step-down" in str(raised.value)
    assert Employee.objects.get(email="ben@example.com").level.key == "senior-pm"

    call_command("import_people", str(path), "--allow-step-down")

    ben = Employee.objects.get(email="ben@example.com")
    assert ben.level.key == "apm"
    assert ben.assignments.first().rationale == "Imported from people.csv by the system."


def test_the_command_records_who_imported_and_emails_on_request(
    team, tmp_path, mailoutbox, django_capture_on_commit_callbacks
):
    make_hr_user(username="hana", first_name="Hana", last_name="Reyes")
    rows = edited(team, "cy@example.com", level="pm", effective_date=days_ago(0).isoformat())

    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_people", str(write_file(tmp_path, rows)), "--by", "hana", "--notify")

    cy = Employee.objects.get(email="cy@example.com")
    assert cy.assignments.first().rationale == "Imported from people.csv by Hana Reyes."
    assert LogEntry.objects.get(object_id=str(cy.pk)).change_message == (
        "Changed level from people.csv."
    )
    assert sorted(message.to[0] for message in mailoutbox) == ["ben@example.com", "cy@example.com"]


def test_the_command_refuses_an_importer_who_is_not_hr(team, tmp_path):
    UserFactory(username="pat")
    path = write_file(tmp_path, team)

    with pytest.raises(CommandError, match="pat is not in HR"):
        call_command("import_people", str(path), "--by", "pat")
    with pytest.raises(CommandError, match="nobody signs in as 'ghost'"):
        call_command("import_people", str(path), "--by", "ghost")


def test_the_command_counts_one_problem_in_the_singular(team, tmp_path):
    path = write_file(tmp_path, edited(team, "cy@example.com", level="astronaut"))

    with pytest.raises(CommandError) as raised:
        call_command("import_people", str(path))

    assert "1 problem:\n  row 4, level: unknown level 'astronaut'" in str(raised.value)
