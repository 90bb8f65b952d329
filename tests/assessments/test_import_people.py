"""People files: reading, checking and importing, by function and by command."""

import datetime
import io
import random
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.mail.backends import locmem
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve
from django.utils import timezone

from assessments import peoplefile, services
from assessments.models import Employee, LevelAssignment
from pmladder import locks

from ..factories import UserFactory, history_since

pytestmark = pytest.mark.django_db

User = get_user_model()
HEADER = "email,full_name,job_title,manager_email,ladder,track,level,effective_date"
LADDER = "product-management"
# A small file as a spreadsheet saves it: BOM, CRLF, quoted commas, accents, mixed case.
EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "people" / "example.csv"


def days_ago(days):
    return timezone.localdate() - datetime.timedelta(days=days)


START = days_ago(200)  # when the people of most files took their level


def person(email, name=None, *, manager="", track="ic", level="pm", date=None, title="PM"):
    """One row of a people file, as a dict of column -> text."""
    return {
        "email": email,
        "full_name": name if name is not None else email.split("@")[0].title(),
        "job_title": title,
        "manager_email": manager,
        "ladder": LADDER,
        "track": track,
        "level": level,
        "effective_date": (date or START).isoformat(),
    }


def csv_of(rows, header=HEADER):
    """A people file (bytes) of `rows` (dicts), quoted as spreadsheets quote."""
    columns = header.split(",")
    lines = [header]
    for row in rows:
        values = [str(row.get(column, "")) for column in columns]
        lines.append(",".join(f'"{v}"' if "," in v else v for v in values))
    return ("\n".join(lines) + "\n").encode()


def small_team():
    return [
        person("ana@example.com", "Ana Boss", track="management", level="director"),
        person("ben@example.com", "Ben Lead", manager="ana@example.com", level="senior-pm"),
        person("cy@example.com", "Cy Junior", manager="ben@example.com", level="apm"),
    ]


def problems_of(content):
    """The problems reported for a file, checking that it changed nothing."""
    before = (Employee.objects.count(), LevelAssignment.objects.count(), User.objects.count())
    with pytest.raises(peoplefile.PeopleFileError) as error:
        peoplefile.import_people(content=content)
    after = (Employee.objects.count(), LevelAssignment.objects.count(), User.objects.count())
    assert after == before, "a refused file must change nothing"
    return error.value.problems


# Placements of the default ladder that a big organisation uses, by depth in the tree.
PLACEMENTS = [
    ("management", "cpo"),
    ("management", "vp"),
    ("management", "director"),
    ("management", "pm-manager"),
    ("ic", "principal-pm"),
    ("ic", "staff-pm"),
    ("ic", "senior-pm"),
    ("ic", "pm"),
    ("ic", "apm"),
]


def organisation(size, *, chain=40, seed=7):
    """`size` people: a reporting chain `chain` deep under the CPO, the rest spread below
    it, each person's level by depth, listed in shuffled order so that most managers
    come after some of their reports. Returns the rows and the expected managers."""
    emails = [f"person{i:04}@example.com" for i in range(size)]
    managers = {emails[0]: ""}
    depth = {emails[0]: 0}
    rng = random.Random(seed)
    for i in range(1, size):
        boss = emails[i - 1] if i < chain else emails[rng.randrange(chain // 2, i)]
        managers[emails[i]] = boss
        depth[emails[i]] = depth[boss] + 1
    rows = []
    for i, email in enumerate(emails):
        track, level = PLACEMENTS[min(depth[email], len(PLACEMENTS) - 1)]
        rows.append(
            person(
                email,
                f"Person {i} Of Many",
                manager=managers[email],
                track=track,
                level=level,
                date=days_ago(i % 300),
                title=f"Title {i}",
            )
        )
    rng.shuffle(rows)
    return rows, managers


# Good files -------------------------------------------------------------------------------


def test_a_large_organisation_with_a_deep_tree_is_imported(default_ladder):
    rows, managers = organisation(300)

    summary = peoplefile.import_people(content=csv_of(rows))

    assert (summary.created, summary.updated, summary.unchanged, summary.invited) == (
        300,
        0,
        0,
        0,
    )
    people = {e.email: e for e in Employee.objects.select_related("manager", "level", "track")}
    assert len(people) == 300
    assert {email: e.manager.email if e.manager else "" for email, e in people.items()} == (
        managers
    )
    # The chain really is deep: walk up from its end.
    depth, current = 0, people["person0039@example.com"]
    while current.manager:
        depth, current = depth + 1, current.manager
    assert depth == 39
    assert current.email == "person0000@example.com"
    expected = {row["email"]: row for row in rows}
    for email, employee in people.items():
        row = expected[email]
        assert (employee.track.key, employee.level.key) == (row["track"], row["level"])
        assert employee.ladder == default_ladder
        assert employee.full_name == row["full_name"]
        assert employee.job_title == row["job_title"]
    first = {a.employee.email: a for a in LevelAssignment.objects.select_related("employee")}
    assert len(first) == LevelAssignment.objects.count() == 300
    for email, assignment in first.items():
        assert assignment.level_id == people[email].level_id
        assert assignment.track_id == people[email].track_id
        assert assignment.effective_on.isoformat() == expected[email]["effective_date"]
        assert people[email].level_since == assignment.effective_on  # kept on their row


def test_new_people_get_a_sign_in_without_a_password(default_ladder):
    peoplefile.import_people(content=csv_of(small_team()))

    employee = Employee.objects.select_related("user").get(email="ben@example.com")
    user = employee.user
    assert user.username == "ben@example.com"
    assert user.email == "ben@example.com"
    assert (user.first_name, user.last_name) == ("Ben", "Lead")
    assert user.is_active
    assert not user.has_usable_password()
    assert User.objects.count() == 3


def test_a_one_word_name_and_a_long_surname_are_split_sensibly(default_ladder):
    rows = [
        person("cher@example.com", "Cher", track="management", level="vp"),
        person("gabo@example.com", "Gabriel García Márquez", manager="cher@example.com"),
    ]
    peoplefile.import_people(content=csv_of(rows))

    names = dict(User.objects.values_list("username", "last_name"))
    assert names == {"cher@example.com": "", "gabo@example.com": "García Márquez"}
    assert User.objects.get(username="gabo@example.com").first_name == "Gabriel"


def test_an_existing_user_is_linked_not_duplicated(default_ladder):
    pat = UserFactory(username="ben@example.com", first_name="Patrick")

    summary = peoplefile.import_people(content=csv_of(small_team()))

    assert summary.created == 3
    assert Employee.objects.get(email="ben@example.com").user == pat
    assert User.objects.count() == 3
    pat.refresh_from_db()
    assert pat.first_name == "Patrick"  # left as it was


def test_emails_are_matched_without_case_and_stored_in_lower_case(default_ladder):
    rows = small_team()
    rows[1]["email"] = "Ben@Example.COM"
    rows[2]["manager_email"] = "BEN@example.com"
    peoplefile.import_people(content=csv_of(rows))

    cy = Employee.objects.get(email="cy@example.com")
    assert cy.manager.email == "ben@example.com"

    rows[1]["email"] = "bEn@example.com"
    summary = peoplefile.import_people(content=csv_of(rows))

    assert (summary.created, summary.unchanged) == (0, 3)


def test_columns_in_any_order_with_a_bom_and_windows_line_endings(default_ladder):
    header = "level,track,ladder,effective_date,manager_email,job_title,full_name,email"
    content = csv_of(small_team(), header=header).replace(b"\n", b"\r\n")

    summary = peoplefile.import_people(content="\ufeff".encode() + content)

    assert summary.created == 3
    assert Employee.objects.get(email="cy@example.com").level.key == "apm"


def test_blank_lines_are_skipped_but_still_count_as_rows(default_ladder):
    content = csv_of(small_team()).replace(b"\nben@", b"\n\n,,,,,,,\nben@")
    assert peoplefile.import_people(content=content).created == 3

    bad = content.replace(b"cy@example.com,Cy Junior", b"cy@example.com,")
    assert problems_of(bad.replace(b"ben@", b"ben2@")) == ["row 6, full_name: must not be empty"]


def test_an_empty_job_title_and_a_top_without_manager_are_fine(default_ladder):
    rows = small_team()
    rows[0]["job_title"] = ""
    peoplefile.import_people(content=csv_of(rows))

    ana = Employee.objects.get(email="ana@example.com")
    assert (ana.job_title, ana.manager) == ("", None)


def test_managers_may_be_people_already_here(default_ladder):
    peoplefile.import_people(content=csv_of(small_team()[:1]))
    rows = [person("dee@example.com", "Dee New", manager="ana@example.com")]

    summary = peoplefile.import_people(content=csv_of(rows))

    assert (summary.created, summary.unchanged) == (1, 0)
    assert Employee.objects.get(email="dee@example.com").manager.email == "ana@example.com"


def test_read_returns_the_rows_without_touching_the_database(default_ladder):
    with CaptureQueriesContext(connection) as queries:
        rows = peoplefile.read(csv_of(small_team()))

    assert len(queries) == 0
    assert [(row.number, row.email, row.manager_email) for row in rows] == [
        (2, "ana@example.com", ""),
        (3, "ben@example.com", "ana@example.com"),
        (4, "cy@example.com", "ben@example.com"),
    ]
    assert rows[0].effective_date == START


# Re-imports -------------------------------------------------------------------------------


def test_a_reimport_changes_nothing(default_ladder):
    rows, _ = organisation(60)
    peoplefile.import_people(content=csv_of(rows))
    before = (
        set(LevelAssignment.objects.values_list("pk", flat=True)),
        set(User.objects.values_list("pk", flat=True)),
        set(Employee.objects.values_list("pk", "full_name", "job_title", "manager_id")),
    )

    summary = peoplefile.import_people(content=csv_of(rows))

    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 60)
    after = (
        set(LevelAssignment.objects.values_list("pk", flat=True)),
        set(User.objects.values_list("pk", flat=True)),
        set(Employee.objects.values_list("pk", "full_name", "job_title", "manager_id")),
    )
    assert after == before


def test_a_level_change_on_reimport_is_one_new_assignment(default_ladder, admin_user):
    rows = small_team()
    peoplefile.import_people(content=csv_of(rows))
    rows[2].update(level="pm", effective_date=days_ago(3).isoformat())

    summary = peoplefile.import_people(content=csv_of(rows), by=admin_user)

    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 2)
    cy = Employee.objects.get(email="cy@example.com")
    assert cy.level.key == "pm"
    assert LevelAssignment.objects.count() == 4
    latest = cy.assignments.first()
    assert (latest.level.key, latest.effective_on, latest.assigned_by) == (
        "pm",
        days_ago(3),
        admin_user,
    )
    assert latest.rationale == peoplefile.RATIONALE
    assert cy.level_since == days_ago(3) == history_since(cy)


def test_a_track_change_at_the_same_level_is_a_new_assignment(default_ladder):
    rows = small_team()
    peoplefile.import_people(content=csv_of(rows))
    rows[1].update(track="management", effective_date=days_ago(1).isoformat())

    summary = peoplefile.import_people(content=csv_of(rows))

    assert summary.updated == 1
    ben = Employee.objects.get(email="ben@example.com")
    assert (ben.track.key, ben.level.key, ben.assignments.count()) == ("management", "senior-pm", 2)
    # At the same level since the first row: the time in level goes on.
    assert ben.level_since == ben.assignments.last().effective_on == history_since(ben)
    assert ben.level_since < days_ago(1)


def test_names_titles_and_managers_are_updated_without_new_assignments(default_ladder):
    rows = small_team()
    peoplefile.import_people(content=csv_of(rows))
    rows[1].update(full_name="Benjamin Lead", job_title="Group PM")
    rows[2].update(manager_email="ana@example.com")
    rows[1].update(manager_email="")  # Ben moves to the top, beside Ana

    summary = peoplefile.import_people(content=csv_of(rows))

    assert (summary.updated, summary.unchanged) == (2, 1)
    ben = Employee.objects.get(email="ben@example.com")
    assert (ben.full_name, ben.job_title, ben.manager) == ("Benjamin Lead", "Group PM", None)
    assert Employee.objects.get(email="cy@example.com").manager.email == "ana@example.com"
    assert LevelAssignment.objects.count() == 3


def test_managers_can_swap_places_in_one_file(default_ladder):
    rows = small_team()
    peoplefile.import_people(content=csv_of(rows))
    rows[0]["manager_email"] = "ben@example.com"  # Ana now reports to Ben...
    rows[1]["manager_email"] = ""  # ...who is now the top

    peoplefile.import_people(content=csv_of(rows))

    assert Employee.objects.get(email="ana@example.com").manager.email == "ben@example.com"
    assert Employee.objects.get(email="ben@example.com").manager is None


def test_people_not_in_the_file_are_left_alone(default_ladder):
    peoplefile.import_people(content=csv_of(small_team()))

    peoplefile.import_people(content=csv_of([person("dee@example.com", "Dee New")]))

    assert Employee.objects.count() == 4
    assert Employee.objects.filter(is_active=True).count() == 4


# Bad files --------------------------------------------------------------------------------


def retire(level_key):
    def setup(ladder):
        ladder.levels.filter(key=level_key).update(is_active=False)

    return setup


def existing_team(ladder):
    """Ana manages Ben, who manages Cy, in the database."""
    peoplefile.import_people(content=csv_of(small_team()))


BAD_ROWS = {
    "unknown ladder": (
        None,
        {"ladder": "astro-ladder"},
        "row 5, ladder: unknown ladder 'astro-ladder'",
    ),
    "unknown track": (
        None,
        {"track": "moonwalk"},
        "row 5, track: unknown track 'moonwalk' in ladder 'product-management'",
    ),
    "unknown level": (
        None,
        {"level": "astronaut"},
        "row 5, level: unknown level 'astronaut' in ladder 'product-management'",
    ),
    "level not on the track": (
        None,
        {"track": "ic", "level": "vp"},
        "row 5, level: The level VP of Product is not on the Individual Contributor track.",
    ),
    "retired level": (
        retire("pm"),
        {},
        "row 5, level: The level Product Manager is retired and cannot be assigned.",
    ),
    "manager not found": (
        None,
        {"manager_email": "ghost@example.com"},
        "row 5, manager_email: nobody has the email 'ghost@example.com', in this file or "
        "among the people already here",
    ),
    "own manager": (
        None,
        {"manager_email": "DEE@example.com"},
        "row 5, manager_email: a person cannot be their own manager",
    ),
    "duplicate email": (
        None,
        {"email": "Ana@example.com"},
        "row 5, email: 'ana@example.com' is already on row 2; list each person once",
    ),
    "bad email": (
        None,
        {"email": "dee.example.com"},
        "row 5, email: 'dee.example.com' is not a valid email address",
    ),
    "missing email": (None, {"email": ""}, "row 5, email: must not be empty"),
    "bad manager email": (
        None,
        {"manager_email": "ana@"},
        "row 5, manager_email: 'ana@' is not a valid email address",
    ),
    "empty full name": (None, {"full_name": "  "}, "row 5, full_name: must not be empty"),
    "long job title": (
        None,
        {"job_title": "x" * 151},
        "row 5, job_title: is 151 characters long; at most 150 allowed",
    ),
    "empty level": (None, {"level": ""}, "row 5, level: must not be empty"),
    "bad date": (
        None,
        {"effective_date": "2025-02-30"},
        "row 5, effective_date: '2025-02-30' is not a date (use YYYY-MM-DD, e.g. 2025-03-31)",
    ),
    "date in another format": (
        None,
        {"effective_date": "03/02/2025"},
        "row 5, effective_date: '03/02/2025' is not a date (use YYYY-MM-DD, e.g. 2025-03-31)",
    ),
    "missing date": (
        None,
        {"effective_date": ""},
        "row 5, effective_date: must not be empty (use YYYY-MM-DD)",
    ),
    "future date": (
        None,
        {"effective_date": "2999-01-01"},
        "row 5, effective_date: 2999-01-01 is in the future; a level takes effect today or earlier",
    ),
    "terminal escape in the name": (
        None,
        {"full_name": "Dee \x1b[2J\x1b[31mLeaf"},
        "row 5, full_name: Remove the invisible control character U+001B: it would garble "
        "emails and other pages.",
    ),
    "direction override in the name": (
        None,
        {"full_name": "Dee \u202efaeL"},
        "row 5, full_name: Remove the invisible control character U+202E (Right-To-Left "
        "Override): it would garble emails and other pages.",
    ),
    "line separator in the job title": (
        None,
        {"job_title": "PM\u2028Subject: urgent"},
        "row 5, job_title: Remove the invisible control character U+2028 (Line Separator): "
        "it would garble emails and other pages.",
    ),
    "tab in the job title": (
        None,
        {"job_title": "Product\tManager"},
        "row 5, job_title: Remove the invisible control character U+0009: it would garble "
        "emails and other pages.",
    ),
    # Reported alone, and never repeated in an "unknown ladder" message.
    "terminal escape in the ladder": (
        None,
        {"ladder": "\x1b]0;owned\x07product-management"},
        "row 5, ladder: Remove the invisible control character U+001B: it would garble "
        "emails and other pages.",
    ),
}


@pytest.mark.parametrize(("setup", "change", "problem"), BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_a_bad_row_is_refused_by_row_and_column(default_ladder, setup, change, problem):
    if setup:
        setup(default_ladder)
    rows = [*small_team(), person("dee@example.com", "Dee Leaf", manager="ben@example.com")]
    rows[3].update(change)

    assert problems_of(csv_of(rows)) == [problem]


@pytest.mark.parametrize("date", ["1899-12-31", "0001-01-01"])
def test_an_effective_date_before_1900_is_refused(default_ladder, date):
    rows = [*small_team(), person("dee@example.com", "Dee Leaf", manager="ben@example.com")]
    rows[3]["effective_date"] = date

    problems = problems_of(csv_of(rows))

    assert len(problems) == 1
    assert problems[0].startswith("row 5, effective_date: ")
    assert "1900" in problems[0]


def test_an_effective_date_in_1900_is_accepted(default_ladder):
    rows = small_team()
    rows[0]["effective_date"] = "1900-01-01"

    peoplefile.import_people(content=csv_of(rows))

    ana = Employee.objects.get(email="ana@example.com")
    assert ana.assignments.get().effective_on == datetime.date(1900, 1, 1)


def test_a_loop_within_the_file_is_refused(default_ladder):
    rows = small_team()
    rows[0]["manager_email"] = "cy@example.com"  # Ana → Cy → Ben → Ana

    assert problems_of(csv_of(rows)) == [
        "row 2, manager_email: this makes a loop in the reporting lines: "
        "ana@example.com → cy@example.com → ben@example.com → ana@example.com",
        "row 3, manager_email: this makes a loop in the reporting lines: "
        "ben@example.com → ana@example.com → cy@example.com → ben@example.com",
        "row 4, manager_email: this makes a loop in the reporting lines: "
        "cy@example.com → ben@example.com → ana@example.com → cy@example.com",
    ]


def test_a_two_person_loop_is_refused(default_ladder):
    rows = [
        person("a@example.com", manager="b@example.com"),
        person("b@example.com", manager="a@example.com"),
    ]
    problems = problems_of(csv_of(rows))

    assert problems == [
        "row 2, manager_email: this makes a loop in the reporting lines: "
        "a@example.com → b@example.com → a@example.com",
        "row 3, manager_email: this makes a loop in the reporting lines: "
        "b@example.com → a@example.com → b@example.com",
    ]


def test_a_loop_through_people_already_here_is_refused(default_ladder):
    existing_team(default_ladder)  # Ana manages Ben, who manages Cy
    ana = person("ana@example.com", "Ana Boss", track="management", level="director")
    rows = [{**ana, "manager_email": "cy@example.com"}]

    assert problems_of(csv_of(rows)) == [
        "row 2, manager_email: this makes a loop in the reporting lines: "
        "ana@example.com → cy@example.com → ben@example.com → ana@example.com"
    ]
    assert Employee.objects.get(email="ana@example.com").manager is None


def test_a_level_change_dated_before_the_current_level_is_refused(default_ladder):
    existing_team(default_ladder)
    rows = small_team()
    rows[2].update(level="pm", effective_date=days_ago(300).isoformat())

    problems = problems_of(csv_of(rows))

    since = LevelAssignment.objects.get(employee__email="cy@example.com").effective_on
    assert problems == [
        f"row 4, effective_date: Cy Junior has been Associate Product Manager since "
        f"{since.isoformat()}, after this row's {days_ago(300).isoformat()}: a level cannot "
        "start before the current one. If the file is older than that change, export the "
        "people again; otherwise give a later date"
    ]
    assert Employee.objects.get(email="cy@example.com").level.key == "apm"


def test_a_level_change_refused_with_other_problems_lists_them_all(default_ladder):
    existing_team(default_ladder)
    rows = small_team()
    rows[1].update(level="staff-pm", effective_date=days_ago(1).isoformat())  # fine alone
    rows[2].update(level="pm", effective_date=days_ago(300).isoformat())
    rows.append(person("dee@example.com", level="astronaut"))

    problems = problems_of(csv_of(rows))

    assert len(problems) == 2
    assert problems[0].startswith("row 4, effective_date: Cy Junior has been Associate Product")
    assert problems[1] == "row 5, level: unknown level 'astronaut' in ladder 'product-management'"
    assert Employee.objects.get(email="ben@example.com").level.key == "senior-pm"
    assert LevelAssignment.objects.count() == 3


def sign_in_of(email):
    return User.objects.get(username=email)


def test_nobody_assigns_their_own_level_by_import(default_ladder):
    existing_team(default_ladder)
    ana = sign_in_of("ana@example.com")
    ana.is_superuser = True  # HR, and a superuser at that
    ana.save()
    rows = small_team()
    rows[0].update(level="vp", effective_date=days_ago(1).isoformat())
    rows[2].update(level="pm", effective_date=days_ago(1).isoformat())  # fine on its own

    with pytest.raises(peoplefile.PeopleFileError) as error:
        peoplefile.import_people(content=csv_of(rows), by=ana)

    assert error.value.problems == [
        "row 2, level: this is you, and nobody assigns their own level; ask your manager "
        "or another HR person"
    ]
    assert Employee.objects.get(email="ana@example.com").level.key == "director"
    assert Employee.objects.get(email="cy@example.com").level.key == "apm"
    assert LevelAssignment.objects.count() == 3


def test_levels_are_assigned_by_import_only_by_managers_above_and_hr(default_ladder):
    existing_team(default_ladder)  # Ana manages Ben, who manages Cy
    rows = small_team()
    rows[1].update(level="staff-pm", effective_date=days_ago(1).isoformat())

    with pytest.raises(peoplefile.PeopleFileError) as error:
        peoplefile.import_people(content=csv_of(rows), by=sign_in_of("cy@example.com"))
    assert error.value.problems == [
        "row 3, level: only Ben Lead's managers and HR assign their level"
    ]

    summary = peoplefile.import_people(content=csv_of(rows), by=sign_in_of("ana@example.com"))

    assert summary.updated == 1
    ben = Employee.objects.get(email="ben@example.com")
    assert ben.level.key == "staff-pm"
    assert ben.assignments.first().assigned_by == sign_in_of("ana@example.com")


def test_a_clash_with_another_writer_is_a_problem_to_try_again(default_ladder, monkeypatch):
    """A sign-in created by someone else after the checks (the lock cannot hold back every
    writer) makes the import refuse, asking to try again, instead of failing."""
    check_users = peoplefile._check_users

    def check_then_clash(plan):
        check_users(plan)
        UserFactory(username="cy@example.com")  # between the check and the write

    monkeypatch.setattr(peoplefile, "_check_users", check_then_clash)

    assert problems_of(csv_of(small_team())) == [peoplefile.TRY_AGAIN]


def test_a_database_busy_with_another_writer_is_a_problem_to_try_again(default_ladder, monkeypatch):
    def busy(name):
        raise OperationalError("database is locked")  # SQLite, after its busy timeout

    monkeypatch.setattr(locks, "serialised", busy)

    assert problems_of(csv_of(small_team())) == [peoplefile.TRY_AGAIN]


def test_other_database_errors_are_not_hidden(default_ladder, monkeypatch):
    def broken(name):
        raise OperationalError("no such table: assessments_employee")

    monkeypatch.setattr(locks, "serialised", broken)

    with pytest.raises(OperationalError, match="no such table"):
        peoplefile.import_people(content=csv_of(small_team()))


def test_a_level_assigned_on_the_persons_page_meanwhile_is_not_assigned_twice(
    default_ladder, monkeypatch
):
    existing_team(default_ladder)
    rows = small_team()
    rows[2].update(level="pm", effective_date=days_ago(1).isoformat())
    check_users = peoplefile._check_users

    def check_then_assign(plan):
        check_users(plan)
        cy = Employee.objects.get(email="cy@example.com")  # promoted on their page, now
        pm = default_ladder.levels.get(key="pm")
        services.assign_level(
            employee=cy, level=pm, track=cy.track, effective_on=days_ago(2), by=None
        )

    monkeypatch.setattr(peoplefile, "_check_users", check_then_assign)

    summary = peoplefile.import_people(content=csv_of(rows))

    assert (summary.updated, summary.unchanged) == (0, 3)
    cy = Employee.objects.get(email="cy@example.com")
    assert [a.effective_on for a in cy.assignments.all()] == [days_ago(2), START]


def test_moving_someone_to_another_ladder_is_refused(default_ladder):
    from levels import ladderfile
    from levels import services as ladder_services

    existing_team(default_ladder)
    data = ladder_services.DEFAULT_LADDER_FILE.parents[2] / "tests/data/engineering.yaml"
    other = ladder_services.import_ladder(spec=ladderfile.read(data.read_bytes())).ladder
    track = other.tracks.first()
    rows = small_team()
    rows[2].update(ladder=other.slug, track=track.key, level=track.levels.first().key)

    assert problems_of(csv_of(rows)) == [
        "row 4, ladder: Cy Junior is on another ladder; an import cannot move people "
        "between ladders"
    ]


def test_a_sign_in_of_someone_else_is_refused(default_ladder):
    existing_team(default_ladder)
    # Ana's sign-in is renamed to the email of a newcomer.
    User.objects.filter(username="ana@example.com").update(username="dee@example.com")

    assert problems_of(csv_of([person("dee@example.com", "Dee New")])) == [
        "row 2, email: the sign-in 'dee@example.com' already belongs to Ana Boss (ana@example.com)"
    ]


def test_every_problem_of_a_file_is_listed_in_row_order(default_ladder):
    rows = [
        *small_team(),
        person("dee@example.com", "", level="astronaut", date=datetime.date(2999, 1, 1)),
        person("ben@example.com", "Ben Again"),
        person("eve@example.com", manager="nobody@example.com", track="moon"),
    ]

    assert problems_of(csv_of(rows)) == [
        "row 5, full_name: must not be empty",
        "row 5, level: unknown level 'astronaut' in ladder 'product-management'",
        "row 5, effective_date: 2999-01-01 is in the future; a level takes effect today or earlier",
        "row 6, email: 'ben@example.com' is already on row 3; list each person once",
        "row 7, manager_email: nobody has the email 'nobody@example.com', in this file or "
        "among the people already here",
        "row 7, track: unknown track 'moon' in ladder 'product-management'",
    ]


BAD_FILES = {
    "unknown column": (
        HEADER + ",department\n",
        "row 1: unknown column 'department' (expected: email, full_name, job_title, "
        "manager_email, ladder, track, level, effective_date, and optionally rationale)",
    ),
    "missing column": (
        HEADER.replace(",job_title", "") + "\n",
        "row 1: missing column 'job_title'",
    ),
    "repeated column": (HEADER + ",email\n", "row 1: the column 'email' appears more than once"),
    "semicolons": (
        HEADER.replace(",", ";") + "\n",
        "row 1: the header 'email;full_name;job_title;manager_email;ladder;track;level;"
        "effective_date' is not separated by commas; save the file as CSV with commas between "
        "the columns",
    ),
    "empty file": ("", "the file is empty"),
    "header only": (HEADER + "\n", "the file lists no people, only a header"),
    "not UTF-8": (
        (HEADER + "\nzoë@example.com").encode("latin-1"),
        "the file is not UTF-8 text (byte 76 cannot be read); save it as 'CSV UTF-8'",
    ),
    "too few values": (
        HEADER + "\nana@example.com,Ana,,,product-management,ic,pm\n",
        "row 2: has 7 values but the header has 8 columns",
    ),
    "broken quoting": (
        HEADER + '\nana@example.com,"Ana" Boss,,,product-management,ic,pm,2025-01-01\n',
        "row 2: the CSV cannot be read from here on (',' expected after '\"')",
    ),
    "binary data": (
        HEADER + "\n\x00\x01",
        "the file contains binary data; it is not a text file",
    ),
}


@pytest.mark.parametrize(("content", "problem"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_bad_file_is_refused_whole(default_ladder, content, problem):
    problems = problems_of(content)

    assert problems[0] == problem


def test_a_file_over_the_size_limit_is_refused_before_reading(default_ladder, settings):
    settings.PEOPLE_FILE_MAX_BYTES = 100

    assert problems_of(csv_of(small_team())) == [
        f"the file is {len(csv_of(small_team())):,} bytes; people files may be at most 100 bytes"
    ]


def test_the_default_size_limit_is_five_megabytes():
    assert peoplefile.max_bytes() == 16 * 1024 * 1024


# Query counts ----------------------------------------------------------------------------

# An import costs the same queries whatever the size of its file (up to 1,000 rows a write):
#   SAVEPOINT and RELEASE of the import, and the lock (PostgreSQL only)          3
#   the ladders, tracks and levels named; everyone's email, manager, placement   4
#   services.check_placement once per distinct new placement (nine here)        9
#   new people: their existing sign-ins; their ids taken; sign-ins, people
#   (with their managers and paths) and first assignments created               5
# (PostgreSQL inserts sign-ins, people, assignments and history entries with COPY, which
# Django's query log does not see: there the count is lower still.)
IMPORT_QUERIES = 21
# A change of everyone instead: the same first 7; one new placement checked; the people
# changing, locked; their latest assignments; who of them the importer may manage;
# assignments created; levels set; names, titles and managers set (and the paths of
# people who moved, none here); an entry in each person's admin history (and, the first
# time in a process, its content type looked up).
CHANGE_QUERIES = 16


def promoted(rows):
    """The same people, each renamed and, unless already there, a principal PM from
    today."""
    return [
        {
            **row,
            "full_name": row["full_name"] + " Jr",
            "track": "ic",
            "level": "principal-pm",
            "effective_date": timezone.localdate().isoformat(),
        }
        for row in rows
    ]


@pytest.mark.parametrize("size", [20, 200])
def test_importing_new_people_costs_the_same_queries_for_any_size(
    default_ladder, django_assert_max_num_queries, size
):
    rows, _ = organisation(size)

    with django_assert_max_num_queries(IMPORT_QUERIES):
        summary = peoplefile.import_people(content=csv_of(rows))

    assert summary.created == Employee.objects.count() == LevelAssignment.objects.count() == size


@pytest.mark.parametrize("size", [20, 200])
def test_changing_everyone_costs_the_same_queries_for_any_size(
    default_ladder, admin_user, django_assert_max_num_queries, size
):
    rows, _ = organisation(size)
    peoplefile.import_people(content=csv_of(rows))

    with django_assert_max_num_queries(CHANGE_QUERIES):
        summary = peoplefile.import_people(
            content=csv_of(promoted(rows)), by=admin_user, allow_step_down=True
        )

    assert summary.updated == size
    assert set(Employee.objects.values_list("level__key", flat=True)) == {"principal-pm"}
    assert not Employee.objects.exclude(full_name__endswith=" Jr").exists()
    already = sum(1 for row in rows if row["level"] == "principal-pm")
    assert LevelAssignment.objects.count() == 2 * size - already


def test_a_large_change_is_written_in_batches_and_matches_the_file(default_ladder, admin_user):
    """More people than one write batch, each with a new level, name and manager."""
    rows, _ = organisation(2500)
    peoplefile.import_people(content=csv_of(rows))
    changed = promoted(rows)
    for row in changed:  # everyone but the top now reports to the top
        if row["manager_email"]:
            row["manager_email"] = "person0000@example.com"

    summary = peoplefile.import_people(content=csv_of(changed), by=admin_user, allow_step_down=True)

    assert summary.updated == 2500
    expected = {row["email"]: row for row in changed}
    for email, name, level, manager in Employee.objects.values_list(
        "email", "full_name", "level__key", "manager__email"
    ):
        assert (name, level, manager or "") == (
            expected[email]["full_name"],
            "principal-pm",
            expected[email]["manager_email"],
        )
    latest = LevelAssignment.objects.filter(
        effective_on=timezone.localdate(), rationale=(peoplefile.RATIONALE)
    )
    assert latest.count() == sum(1 for row in rows if row["level"] != "principal-pm")
    assert set(latest.values_list("assigned_by", flat=True)) == {admin_user.pk}


def test_lookups_do_not_grow_with_the_file(default_ladder):
    """A re-import writes nothing, so it shows the reads alone: the same number of queries
    for 30 people as for 300."""
    counts = []
    for size in (30, 300):
        Employee.objects.update(manager=None)
        LevelAssignment.objects.all().delete()
        Employee.objects.all().delete()
        rows, _ = organisation(size)
        peoplefile.import_people(content=csv_of(rows))
        with CaptureQueriesContext(connection) as queries:
            summary = peoplefile.import_people(content=csv_of(rows))
        assert summary.unchanged == size
        counts.append(len(queries))

    assert counts[0] == counts[1]
    assert counts[1] <= 10


# Invitations ------------------------------------------------------------------------------


def test_invite_sends_one_email_per_new_sign_in(default_ladder, mailoutbox):
    UserFactory(username="ben@example.com")  # an existing sign-in, linked: not invited

    summary = peoplefile.import_people(
        content=csv_of(small_team()), invite=True, domain="ladder.example.com", use_https=True
    )

    assert summary.invited == 2
    assert sorted(message.to[0] for message in mailoutbox) == [
        "ana@example.com",
        "cy@example.com",
    ]
    link = next(word for word in mailoutbox[0].body.split() if word.startswith("https://"))
    parts = urlsplit(link)
    assert parts.netloc == "ladder.example.com"
    assert resolve(parts.path).url_name == "password_reset_confirm"


def test_invitation_links_let_the_person_choose_a_password(default_ladder, mailoutbox, client):
    peoplefile.import_people(content=csv_of(small_team()[:1]), invite=True, domain="testserver")
    link = next(word for word in mailoutbox[0].body.split() if word.startswith("http://"))

    response = client.get(urlsplit(link).path, follow=True)
    response = client.post(
        response.redirect_chain[-1][0],
        {"new_password1": "a-long-new-password-1", "new_password2": "a-long-new-password-1"},
    )

    assert response.status_code == 302
    assert User.objects.get(username="ana@example.com").check_password("a-long-new-password-1")


def test_no_invitations_on_reimport_or_without_invite(default_ladder, mailoutbox):
    peoplefile.import_people(content=csv_of(small_team()))
    assert mailoutbox == []

    summary = peoplefile.import_people(
        content=csv_of(small_team()), invite=True, domain="ladder.example.com"
    )

    assert summary.invited == 0
    assert mailoutbox == []


def test_no_invitations_for_a_refused_file(default_ladder, mailoutbox):
    rows = small_team()
    rows[2]["level"] = "astronaut"
    with pytest.raises(peoplefile.PeopleFileError):
        peoplefile.import_people(content=csv_of(rows), invite=True, domain="ladder.example.com")

    assert mailoutbox == []


def test_invitations_need_somewhere_to_point(default_ladder):
    with pytest.raises(ValueError, match="need a request or a domain"):
        peoplefile.import_people(content=csv_of(small_team()), invite=True)


class CountingBackend(locmem.EmailBackend):
    """The test mail backend, counting the connections made to it."""

    connections = 0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        CountingBackend.connections += 1


class UnreachableBackend(locmem.EmailBackend):
    """A mail server that cannot be reached."""

    def open(self):
        raise ConnectionRefusedError("no mail server here")


def use_mail_backend(settings, backend):
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.{backend.__name__}"}}


def test_invitations_go_over_one_connection_to_the_mail_server(
    default_ladder, mailoutbox, settings, monkeypatch
):
    use_mail_backend(settings, CountingBackend)
    monkeypatch.setattr(CountingBackend, "connections", 0)
    rows = [person(f"p{i}@example.com") for i in range(5)]

    summary = peoplefile.import_people(content=csv_of(rows), invite=True, domain="example.com")

    assert summary.invited == len(mailoutbox) == 5
    assert CountingBackend.connections == 1


def test_an_unreachable_mail_server_still_imports_and_sends_nothing(
    default_ladder, mailoutbox, settings, caplog
):
    use_mail_backend(settings, UnreachableBackend)

    summary = peoplefile.import_people(
        content=csv_of(small_team()), invite=True, domain="example.com"
    )

    assert (summary.created, summary.invited) == (3, 0)
    assert str(summary) == "Created 3, updated 0, unchanged 0."
    assert mailoutbox == []
    assert "Could not reach the mail server to send 3 invitations" in caplog.text


# The command ------------------------------------------------------------------------------


def run(*args):
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("import_people", *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue()


def test_the_command_imports_a_file_and_prints_a_summary(default_ladder, tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(csv_of(small_team()))

    assert run(str(path)) == "Created 3, updated 0, unchanged 0.\n"
    assert run(str(path)) == "Created 0, updated 0, unchanged 3.\n"


def test_the_command_tells_how_far_it_has_got_when_asked(default_ladder, tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(csv_of(small_team()))
    stdout, stderr = io.StringIO(), io.StringIO()

    call_command("import_people", str(path), verbosity=2, stdout=stdout, stderr=stderr)

    lines = stderr.getvalue().splitlines()
    assert lines[0] == "Reading rows: 0 of 3"
    # Sign-ins, people and their first levels: three each.
    assert lines[-2:] == ["Writing people: 9 of 9", "Saving"]
    assert "Checking rows: 3 of 3" in lines
    assert "Comparing with the people here" in lines
    assert stdout.getvalue() == "Created 3, updated 0, unchanged 0.\n"
    assert run(str(path)) == "Created 0, updated 0, unchanged 3.\n"  # quiet by default


def test_the_command_imports_the_example_file(default_ladder):
    assert run(str(EXAMPLE)) == "Created 4, updated 0, unchanged 0.\n"

    zoe = Employee.objects.select_related("manager__manager", "user").get(
        email="zoe.muller@example.com"
    )
    assert zoe.full_name == "Zoë Müller"
    assert (zoe.user.first_name, zoe.user.last_name) == ("Zoë", "Müller")
    assert zoe.manager.full_name == "Amara Okafor"
    assert zoe.manager.manager.job_title == "Director, Product"
    assert run(str(EXAMPLE)) == "Created 0, updated 0, unchanged 4.\n"


def test_the_command_refuses_a_bad_file_with_every_problem(default_ladder, tmp_path):
    rows = small_team()
    rows[1]["level"] = "astronaut"
    rows[2]["effective_date"] = "yesterday"
    path = tmp_path / "people.csv"
    path.write_bytes(csv_of(rows))

    with pytest.raises(CommandError) as error:
        run(str(path))

    assert error.value.returncode != 0
    assert str(error.value) == (
        f"{path} was not imported; nothing was changed. 2 problems:\n"
        "  row 3, level: unknown level 'astronaut' in ladder 'product-management'\n"
        "  row 4, effective_date: 'yesterday' is not a date (use YYYY-MM-DD, e.g. 2025-03-31)"
    )
    assert Employee.objects.count() == 0


def test_the_command_invites_with_links_to_the_given_site(default_ladder, tmp_path, mailoutbox):
    path = tmp_path / "people.csv"
    path.write_bytes(csv_of(small_team()))

    output = run(str(path), "--invite", "--site-url", "https://ladder.example.com")

    assert output == "Created 3, updated 0, unchanged 0. Sent 3 invitations.\n"
    assert len(mailoutbox) == 3
    assert "https://ladder.example.com/accounts/reset/" in mailoutbox[0].body
    assert run(str(path), "--invite", "--site-url", "ladder.example.com") == (
        "Created 0, updated 0, unchanged 3.\n"
    )
    assert len(mailoutbox) == 3


def test_the_command_says_when_the_file_cannot_be_read(tmp_path):
    with pytest.raises(CommandError, match=r"Cannot read .*missing\.csv"):
        run(str(tmp_path / "missing.csv"))


@pytest.mark.parametrize("kind", ["is_staff", "is_superuser"])
def test_hr_cannot_link_an_administrators_account_by_import(default_ladder, org, kind):
    """A new person whose email is an administrator's username is refused when HR imports
    the file: HR never hands a person an administrator's account."""
    UserFactory(username="ana@example.com", **{kind: True})

    with pytest.raises(peoplefile.PeopleFileError) as error:
        peoplefile.import_people(content=csv_of(small_team()), by=org.hr)

    assert error.value.problems == [
        "row 2, email: the sign-in 'ana@example.com' is a staff or superuser account, which "
        "only a superuser may link to a person; give this person another email"
    ]
    assert not Employee.objects.filter(email="ana@example.com").exists()


def test_a_superuser_may_link_one_by_import(default_ladder, org):
    admin = UserFactory(username="ana@example.com", is_staff=True)
    root = UserFactory(username="root", is_superuser=True, is_staff=True)

    peoplefile.import_people(content=csv_of(small_team()), by=root)

    assert Employee.objects.get(email="ana@example.com").user == admin
