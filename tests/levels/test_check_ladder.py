"""`manage.py check_ladder`: checks ladder files without importing them."""

import io
import json
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from levels import ladderfile, services
from levels.models import Ladder

DATA = Path(__file__).resolve().parent.parent / "data"
SECOND_FILE = DATA / "engineering.yaml"


def run(*args, stdin=None):
    """(stdout, stderr, error): what the command printed, and the CommandError it ended with."""
    out, err = io.StringIO(), io.StringIO()
    error = None
    try:
        call_command("check_ladder", *args, stdout=out, stderr=err, stdin=stdin)
    except CommandError as raised:
        error = raised
    return out.getvalue(), err.getvalue(), error


@pytest.fixture
def bad_file(tmp_path):
    data = yaml.safe_load(SECOND_FILE.read_text(encoding="utf-8"))
    data["levels"][0]["expectations"]["craft"][1] = ["a", "list"]
    data["levels"][1]["grade"] = "two"
    data["tracks"][0]["levels"].append("lead")
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.django_db
def test_a_good_file_is_ok_and_nothing_is_imported():
    spec = ladderfile.read(services.DEFAULT_LADDER_FILE.read_bytes())
    count = sum(len(items) for level in spec["levels"] for items in level["expectations"].values())

    out, err, error = run(str(services.DEFAULT_LADDER_FILE))

    assert error is None
    assert out == (
        f"OK: {services.DEFAULT_LADDER_FILE}: ladder 'product-management', 10 levels, "
        f"{count} expectations, format ladder/v2\n"
    )
    assert err == ""
    assert not Ladder.objects.exists()


def test_a_v1_file_says_its_format():
    out, _, error = run(str(SECOND_FILE))

    assert error is None
    assert out.startswith(f"OK: {SECOND_FILE}: ladder 'engineering', ")
    assert out.endswith(", format ladder/v1\n")


def test_a_bad_file_lists_every_problem_by_its_place_and_fails(bad_file):
    out, _, error = run(str(bad_file))

    assert out.splitlines() == [
        f"FAIL: {bad_file}: 3 problems",
        "  levels[0].expectations.craft[1]: expected text, got a list",
        "  levels[1].grade: expected a whole number, got text",
        "  tracks[0].levels[4]: unknown level 'lead'",
    ]
    assert error is not None
    assert error.returncode == 1
    assert str(error) == "1 of 1 file(s) have problems."


def test_every_file_is_checked_and_one_bad_file_fails_the_run(bad_file):
    out, _, error = run(str(SECOND_FILE), str(bad_file), str(services.DEFAULT_LADDER_FILE))

    lines = out.splitlines()
    assert lines[0].startswith(f"OK: {SECOND_FILE}:")
    assert lines[1] == f"FAIL: {bad_file}: 3 problems"
    assert lines[-1].startswith(f"OK: {services.DEFAULT_LADDER_FILE}:")
    assert str(error) == "1 of 3 file(s) have problems."


def test_a_missing_file_is_a_clear_problem_not_a_traceback(tmp_path):
    missing = tmp_path / "nowhere.yaml"

    out, _, error = run(str(missing))

    assert out.splitlines() == [
        f"FAIL: {missing}: 1 problem",
        "  cannot read the file (No such file or directory)",
    ]
    assert error.returncode == 1


def test_a_directory_is_a_clear_problem(tmp_path):
    out, _, error = run(str(tmp_path))

    assert out.startswith(f"FAIL: {tmp_path}: 1 problem\n  cannot read the file (")
    assert error is not None


def test_a_file_that_cannot_be_parsed_gives_its_line(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("format: ladder/v2\nformat: ladder/v2\n", encoding="utf-8")

    out, _, error = run(str(broken))

    assert out.splitlines()[1] == "  line 2, column 1: duplicate key 'format'"
    assert error is not None


def test_standard_input_is_read_for_a_dash():
    content = SECOND_FILE.read_bytes()

    out, _, error = run("-", stdin=io.BytesIO(content))

    assert error is None
    assert out.startswith("OK: <stdin>: ladder 'engineering', ")


def test_json_on_standard_input_is_recognised():
    data = yaml.safe_load(SECOND_FILE.read_text(encoding="utf-8"))
    data["ladder"]["name"] = 7

    out, _, error = run("-", stdin=io.StringIO(json.dumps(data)))

    assert out.splitlines() == [
        "FAIL: <stdin>: 1 problem",
        "  ladder.name: expected text, got a number",
    ]
    assert error is not None


def test_a_v1_file_using_what_only_v2_allows_is_refused(tmp_path):
    data = yaml.safe_load(SECOND_FILE.read_text(encoding="utf-8"))
    data["categories"][0]["group"] = "Engineering"
    path = tmp_path / "v1.json"
    path.write_text(json.dumps(data), encoding="utf-8")

    out, _, error = run(str(path))

    assert "  categories[0].group: unknown key (expected one of: key, name, active)" in out
    assert error is not None
