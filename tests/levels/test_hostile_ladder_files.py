"""Hostile ladder files: lists nested 200,000 deep, 5,000-digit numbers, keys that are lists
or mappings and values YAML cannot build are refused with their place, like any bad file,
by `ladderfile.read` (which the command and the admin use) and on the admin's import page;
never a crash. The size limit is checked before any of it."""

import html
import io
import json
import re
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from levels import ladderfile
from levels.models import Ladder

from ..factories import make_hr_user
from .test_admin_ladder_import import IMPORT_URL, upload

DATA = Path(__file__).resolve().parent.parent / "data"
DEEP = "[" * 200_000 + "]" * 200_000
LONG_NUMBER = "1" * 5000
TOO_DEEP = "lists and mappings are nested more than 20 deep (a ladder file needs 8 at most)"
GRADE_TOO_LONG = "levels[0].grade: must be between 0 and 32767 (got a number 5,000 characters long)"


def file_with(fmt, field, stand_in, replacement):
    """The engineering ladder file in `fmt`, its first level's `field` set to `replacement`
    (raw text, put where the placeholder `stand_in` was written)."""
    data = yaml.safe_load((DATA / "engineering.yaml").read_text(encoding="utf-8"))
    data["levels"][0][field] = stand_in
    if fmt == "json":
        text = json.dumps(data, indent=2, ensure_ascii=False)
        stand_in = json.dumps(stand_in)
    else:
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    assert text.count(str(stand_in)) == 1
    return text.replace(str(stand_in), replacement)


def line_of(text, needle):
    return text[: text.index(needle)].count("\n") + 1


def problems_of(content, name):
    with pytest.raises(ladderfile.LadderFileError) as error:
        ladderfile.read(content, name=name)
    return error.value.problems


# Deep nesting -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["deep.yaml", "deep.json"])
def test_a_file_of_lists_nested_200000_deep_is_refused_with_its_line(name):
    assert problems_of(DEEP, name) == [f"line 1, column 21: {TOO_DEEP}"]


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_deep_nesting_inside_a_level_is_refused_at_its_line(fmt):
    text = file_with(fmt, "summary", "STAND-IN", DEEP)

    problems = problems_of(text, f"ladder.{fmt}")

    assert len(problems) == 1
    assert re.fullmatch(
        rf"line {line_of(text, '[[[')}, column \d+: " + re.escape(TOO_DEEP), problems[0]
    )


def test_deep_json_objects_are_refused_too():
    text = '{"a": ' * 100_000 + "1" + "}" * 100_000

    # The 21st brace opens the 21st object, at column 6 * 20 + 1.
    assert problems_of(text, "deep.json") == [f"line 1, column 121: {TOO_DEEP}"]


def test_brackets_inside_json_text_are_not_nesting():
    text = file_with("json", "summary", "STAND-IN", json.dumps("[" * 100 + "{" * 100))

    spec = ladderfile.read(text, name="ladder.json")

    assert spec["levels"][0]["summary"] == "[" * 100 + "{" * 100


def test_the_nesting_a_ladder_needs_is_accepted():
    # The file, `levels`, a level, its `expectations`, a category's list: five deep.
    spec = ladderfile.read((DATA / "engineering.yaml").read_bytes(), name="engineering.yaml")

    assert spec["levels"][0]["expectations"]["craft"]


# Long numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_a_5000_digit_grade_is_refused_at_its_place(fmt):
    text = file_with(fmt, "grade", 424242, LONG_NUMBER)

    assert problems_of(text, f"ladder.{fmt}") == [GRADE_TOO_LONG]


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_a_5000_digit_number_where_text_belongs_is_refused_at_its_place(fmt):
    text = file_with(fmt, "name", "STAND-IN", "-" + LONG_NUMBER)

    assert problems_of(text, f"ladder.{fmt}") == ["levels[0].name: expected text, got a number"]


@pytest.mark.parametrize(
    "number", ["0x" + "f" * 5000, "1" + ":00" * 3000], ids=["hexadecimal", "base 60"]
)
def test_long_yaml_numbers_in_other_bases_are_refused_too(number):
    problems = problems_of(f"format: {number}\n", "ladder.yaml")

    assert "format: expected 'ladder/v2' or 'ladder/v1', got a number" in problems


# Keys and values YAML cannot use ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("? [a, b]\n: c\n", "line 1, column 3: a key must be plain text, not a list or mapping"),
        ("{[a]: c}\n", "line 1, column 2: a key must be plain text, not a list or mapping"),
        (
            "format: ladder/v1\nladder:\n  ? {slug: x}\n  : c\n",
            "line 3, column 5: a key must be plain text, not a list or mapping",
        ),
    ],
    ids=["list key", "flow list key", "mapping key"],
)
def test_a_yaml_key_that_is_a_list_or_mapping_is_refused_with_its_line(text, expected):
    assert problems_of(text, "ladder.yaml") == [expected]


def test_a_json_key_is_always_text():
    problems = problems_of('{["a", "b"]: "c"}', "ladder.json")

    assert problems == [
        "line 1, column 2: not valid JSON (Expecting property name enclosed in double quotes)"
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-02-30", "cannot read '2026-02-30' as a date"),
        ("!!int abc", "cannot read 'abc' as a whole number"),
        ("!!int ''", "cannot read '' as a whole number"),
        ("!!bool maybe", "cannot read 'maybe' as true/false"),
        ("!!timestamp soon", "cannot read 'soon' as a date"),
        ("!!float abc", "cannot read 'abc' as a number"),
    ],
)
def test_a_yaml_value_that_cannot_be_built_is_refused_with_its_line(value, expected):
    text = file_with("yaml", "code", "STAND-IN", value)

    problems = problems_of(text, "ladder.yaml")

    assert problems == [f"line {line_of(text, value)}, column 9: not valid YAML ({expected})"]


# The size limit comes first -----------------------------------------------------------------


HOSTILE = {
    "deep.yaml": DEEP,
    "deep.json": DEEP,
    "number.yaml": file_with("yaml", "grade", 424242, LONG_NUMBER),
    "number.json": file_with("json", "grade", 424242, LONG_NUMBER),
    "key.yaml": "# " + "padding " * 200 + "\n? [a, b]\n: c\n",
}


@pytest.mark.parametrize("name", HOSTILE)
def test_the_size_limit_is_checked_before_the_file_is_parsed(settings, name):
    settings.LADDER_FILE_MAX_BYTES = 1000
    content = HOSTILE[name].encode()

    assert problems_of(content, name) == [
        f"the file is {len(content):,} bytes; ladder files may be at most 1,000 bytes"
    ]


# Through the command and the admin ----------------------------------------------------------


@pytest.mark.django_db
def test_the_command_reports_a_hostile_file_and_imports_nothing(tmp_path):
    path = tmp_path / "number.json"
    path.write_text(HOSTILE["number.json"], encoding="utf-8")

    with pytest.raises(CommandError) as error:
        call_command("import_ladder", str(path), stdout=io.StringIO())

    assert GRADE_TOO_LONG in str(error.value)
    assert not Ladder.objects.exists()


@pytest.fixture
def hr_client(client, db):
    client.force_login(make_hr_user())
    return client


def page_problems(response):
    return [html.unescape(p) for p in re.findall(r"<li>(.*?)</li>", response.text)]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("deep.yaml", f"line 1, column 21: {TOO_DEEP}"),
        ("deep.json", f"line 1, column 21: {TOO_DEEP}"),
        ("number.yaml", GRADE_TOO_LONG),
        ("number.json", GRADE_TOO_LONG),
        ("key.yaml", "line 2, column 3: a key must be plain text, not a list or mapping"),
    ],
)
def test_the_admin_lists_the_problem_of_a_hostile_file(hr_client, name, expected):
    ladders = Ladder.objects.count()

    response = hr_client.post(IMPORT_URL, {"file": upload(HOSTILE[name], name)})

    assert response.status_code == 400
    assert f"{name} was not imported and nothing was changed." in response.text
    assert expected in page_problems(response)
    assert Ladder.objects.count() == ladders


@pytest.mark.parametrize("name", HOSTILE)
def test_the_admin_checks_the_size_of_a_hostile_file_first(hr_client, settings, name):
    settings.LADDER_FILE_MAX_BYTES = 1000

    response = hr_client.post(IMPORT_URL, {"file": upload(HOSTILE[name], name)})

    assert response.status_code == 400
    assert "ladder files may be at most 1,000 bytes" in response.text
    assert TOO_DEEP not in response.text
    assert "must be between" not in response.text
