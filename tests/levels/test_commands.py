"""The ladder management commands."""

import io
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from levels.models import Ladder

from .ladderdata import as_exported

DATA = Path(__file__).resolve().parent.parent / "data"

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_then_export_to_a_file(tmp_path):
    out, _ = run("import_ladder", str(DATA / "engineering.yaml"))
    target = tmp_path / "out.yaml"
    run("export_ladder", "engineering", "-o", str(target))

    assert "Created ladder 'engineering'" in out
    assert yaml.safe_load(target.read_text(encoding="utf-8")) == as_exported(
        yaml.safe_load((DATA / "engineering.yaml").read_text(encoding="utf-8"))
    )


def test_import_then_export_keeps_the_readiness_rule(tmp_path):
    data = yaml.safe_load((DATA / "engineering.yaml").read_text(encoding="utf-8"))
    data["ladder"]["readiness"] = {"coverage": 50, "span_months": 3}
    source = tmp_path / "lenient.yaml"
    source.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    target = tmp_path / "out.yaml"

    run("import_ladder", str(source))
    run("export_ladder", "engineering", "-o", str(target))

    ladder = Ladder.objects.get(slug="engineering")
    assert (ladder.ready_coverage, ladder.ready_span_months) == (50, 3)
    assert yaml.safe_load(target.read_text(encoding="utf-8")) == as_exported(data)


def test_export_to_json_by_file_name(tmp_path):
    run("load_default_ladder")
    target = tmp_path / "pm.json"

    run("export_ladder", "product-management", "-o", str(target))

    assert target.read_text(encoding="utf-8").startswith('{\n  "format": "ladder/v2"')


def test_export_to_standard_output():
    run("load_default_ladder")

    out, _ = run("export_ladder", "product-management")

    assert yaml.safe_load(out)["ladder"]["slug"] == "product-management"


def test_import_again_needs_replace():
    run("import_ladder", str(DATA / "engineering.yaml"))

    with pytest.raises(CommandError, match="already exists"):
        run("import_ladder", str(DATA / "engineering.yaml"))
    out, _ = run("import_ladder", str(DATA / "engineering.yaml"), "--replace")

    assert "Updated ladder 'engineering'" in out
    assert Ladder.objects.count() == 1


def test_bad_file_fails_listing_every_problem(tmp_path):
    bad = tmp_path / "bad.yaml"
    data = yaml.safe_load((DATA / "engineering.yaml").read_text(encoding="utf-8"))
    data["format"] = "ladder/v9"
    data["tracks"][0]["levels"].append("ghost")
    bad.write_text(yaml.safe_dump(data), encoding="utf-8")

    with pytest.raises(CommandError) as error:
        run("import_ladder", str(bad))

    message = str(error.value)
    assert "nothing was changed. 2 problem(s)" in message
    assert "format: expected 'ladder/v2' or 'ladder/v1'" in message
    assert "tracks[0].levels[4]: unknown level 'ghost'" in message
    assert not Ladder.objects.exists()


def test_missing_file_and_unknown_slug_are_clear_errors(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        run("import_ladder", str(tmp_path / "nope.yaml"))
    with pytest.raises(CommandError, match="No ladder 'nope'"):
        run("export_ladder", "nope")


def test_load_default_ladder_twice():
    first, _ = run("load_default_ladder")
    second, _ = run("load_default_ladder")

    assert "Loaded the default ladder" in first
    assert "already there; nothing to do" in second
    assert Ladder.objects.count() == 1
