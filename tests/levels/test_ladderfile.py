"""Ladder files: reading, checking, importing and exporting."""

import copy
import json
from pathlib import Path

import pytest
import yaml

from levels import ladderfile, selectors, services
from levels.models import Expectation, Ladder, Level, Track, TrackLevel

from .ladderdata import as_exported

DATA = Path(__file__).resolve().parent.parent / "data"
DEFAULT_FILE = services.DEFAULT_LADDER_FILE
SECOND_FILE = DATA / "engineering.yaml"


def raw(path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def problems_of(data, name="ladder.yaml"):
    """The problems reported for `data` (a dict, or file text)."""
    content = data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True)
    with pytest.raises(ladderfile.LadderFileError) as error:
        ladderfile.read(content, name=name)
    return error.value.problems


@pytest.fixture
def good():
    """A small valid ladder file as data, to break in one place per test."""
    return raw(SECOND_FILE)


# Round trips -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("path", [DEFAULT_FILE, SECOND_FILE], ids=["default", "second"])
def test_export_of_an_import_gives_back_the_same_data(path):
    spec = ladderfile.read(path.read_bytes(), name=path.name)
    ladder = services.import_ladder(spec=spec).ladder

    exported = ladderfile.dump(selectors.ladder_spec(ladder), "yaml")

    assert yaml.safe_load(exported) == as_exported(raw(path))
    assert ladderfile.read(exported) == spec


@pytest.mark.django_db
def test_json_export_round_trips_with_non_ascii_text():
    spec = ladderfile.read(SECOND_FILE.read_bytes())
    ladder = services.import_ladder(spec=spec).ladder

    exported = ladderfile.dump(selectors.ladder_spec(ladder), "json")

    assert "Ingénierie logicielle" in exported  # written as text, not \u escapes
    assert json.loads(exported) == as_exported(raw(SECOND_FILE))
    assert ladderfile.read(exported, name="x.json") == spec


# The readiness rule under `ladder:` ------------------------------------------------------------


@pytest.mark.django_db
def test_a_file_without_a_readiness_rule_imports_the_default_and_exports_without_one(good):
    assert "readiness" not in good["ladder"]
    spec = ladderfile.read(yaml.safe_dump(good, allow_unicode=True))
    ladder = services.import_ladder(spec=spec).ladder

    exported = yaml.safe_load(ladderfile.dump(selectors.ladder_spec(ladder)))

    assert (ladder.ready_coverage, ladder.ready_span_months) == (80, 6)
    assert spec["ladder"]["readiness"] == {"coverage": 80, "span_months": 6}
    assert "readiness" not in exported["ladder"]
    assert exported == as_exported(good)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("rule", "stored"),
    [
        ({"coverage": 50, "span_months": 3}, (50, 3)),
        ({"coverage": 100, "span_months": 0}, (100, 0)),
        ({"coverage": 70}, (70, 6)),  # the other key keeps its default
        ({"span_months": 12}, (80, 12)),
    ],
)
def test_a_readiness_rule_round_trips_through_import_and_export(good, rule, stored):
    good["ladder"]["readiness"] = rule
    spec = ladderfile.read(yaml.safe_dump(good, allow_unicode=True))
    ladder = services.import_ladder(spec=spec).ladder

    exported = ladderfile.dump(selectors.ladder_spec(ladder), "json")

    assert (ladder.ready_coverage, ladder.ready_span_months) == stored
    assert json.loads(exported) == as_exported(good)
    assert ladderfile.read(exported, name="x.json") == spec


@pytest.mark.django_db
def test_replacing_a_ladder_changes_its_readiness_rule_and_back(good):
    ladder = services.import_ladder(spec=ladderfile.read(yaml.safe_dump(good))).ladder
    good["ladder"]["readiness"] = {"coverage": 50, "span_months": 3}

    services.import_ladder(spec=ladderfile.read(yaml.safe_dump(good)), replace=True)
    ladder.refresh_from_db()
    changed = (ladder.ready_coverage, ladder.ready_span_months)
    del good["ladder"]["readiness"]
    services.import_ladder(spec=ladderfile.read(yaml.safe_dump(good)), replace=True)
    ladder.refresh_from_db()

    assert changed == (50, 3)
    assert (ladder.ready_coverage, ladder.ready_span_months) == (80, 6)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"coverage": 0}, "ladder.readiness.coverage: must be between 1 and 100"),
        ({"coverage": 101}, "ladder.readiness.coverage: must be between 1 and 100"),
        ({"coverage": 80.5}, "ladder.readiness.coverage: expected a whole number, got 80.5"),
        ({"coverage": "80%"}, "ladder.readiness.coverage: expected a whole number, got text"),
        ({"coverage": True}, "ladder.readiness.coverage: expected a whole number, got true/false"),
        ({"span_months": -1}, "ladder.readiness.span_months: must be between 0 and 60"),
        ({"span_months": 61}, "ladder.readiness.span_months: must be between 0 and 60"),
        ({"months": 6}, "ladder.readiness.months: unknown key"),
        ("strict", "ladder.readiness: expected a mapping, got text"),
    ],
)
def test_a_bad_readiness_rule_is_refused_with_its_place(good, rule, expected):
    good["ladder"]["readiness"] = rule

    problems = problems_of(good)

    assert any(problem.startswith(expected) for problem in problems), problems


def test_a_readiness_number_too_long_to_convert_is_refused_with_its_place(good):
    text = yaml.safe_dump(good).replace(
        "ladder:\n", "ladder:\n  readiness:\n    coverage: " + "9" * 200 + "\n", 1
    )

    assert problems_of(text) == [
        "ladder.readiness.coverage: must be between 1 and 100 (got a number 200 characters long)"
    ]


@pytest.mark.django_db
def test_import_writes_every_part_of_the_default_ladder():
    ladder = services.load_default_ladder().ladder

    assert list(ladder.levels.values_list("short_name", flat=True)) == [
        "APM", "PM", "Senior PM", "Staff PM", "Principal PM", "Distinguished PM",
        "PM Manager", "Director", "VP", "CPO",
    ]  # fmt: skip
    paths = {
        path.track.key: [lvl.key for lvl in path.levels] for path in selectors.track_paths(ladder)
    }
    assert paths == {
        "ic": ["apm", "pm", "senior-pm", "staff-pm", "principal-pm", "distinguished-pm"],
        "management": ["apm", "pm", "senior-pm", "pm-manager", "director", "vp", "cpo"],
    }
    assert ladder.categories.count() == 3
    assert ladder.aspects.count() == 6
    assert ladder.promotion_criteria.count() == 5
    assert ladder.promotion_blockers.count() == 5
    assert ladder.faq_entries.count() == 8
    # Every level has expectations in each category, and peers across tracks share a grade.
    for level in ladder.levels.all():
        assert {e.category.key for e in level.expectations.all()} == {
            "responsibilities", "skills", "expected",
        }  # fmt: skip
    grades = dict(ladder.levels.values_list("key", "grade"))
    assert grades["staff-pm"] == grades["pm-manager"]
    assert grades["principal-pm"] == grades["director"]
    assert grades["distinguished-pm"] == grades["vp"]


@pytest.mark.django_db
def test_load_default_ladder_does_nothing_the_second_time():
    first = services.load_default_ladder()
    Level.objects.filter(key="apm").update(name="Renamed by HR")

    second = services.load_default_ladder()

    assert first.created
    assert not second.created
    assert Ladder.objects.count() == 1
    assert Level.objects.get(key="apm").name == "Renamed by HR"


@pytest.mark.django_db
def test_importing_an_existing_slug_without_replace_is_refused():
    spec = ladderfile.read(SECOND_FILE.read_bytes())
    services.import_ladder(spec=spec)

    with pytest.raises(ladderfile.LadderFileError, match="already exists"):
        services.import_ladder(spec=spec)


@pytest.mark.django_db
def test_replace_updates_in_place_keeping_rows_matched_by_key():
    spec = ladderfile.read(SECOND_FILE.read_bytes())
    ladder = services.import_ladder(spec=spec).ladder
    e2 = Level.objects.get(ladder=ladder, key="e2")
    changed = copy.deepcopy(spec)
    changed["levels"][1]["name"] = "Ingénieur·e confirmé·e"
    changed["levels"][1]["expectations"]["craft"] = [ladderfile.expectation("Nouveau texte")]
    del changed["levels"][5]  # architect
    changed["tracks"] = changed["tracks"][:2]

    services.import_ladder(spec=changed, replace=True)

    e2.refresh_from_db()
    assert e2.name == "Ingénieur·e confirmé·e"
    assert list(e2.expectations.filter(category__key="craft").values_list("text", flat=True)) == [
        "Nouveau texte"
    ]
    assert not Level.objects.filter(ladder=ladder, key="architect").exists()
    assert list(Track.objects.filter(ladder=ladder).values_list("key", flat=True)) == [
        "ic",
        "management",
    ]
    assert ladderfile.read(ladderfile.dump(selectors.ladder_spec(ladder))) == changed


# Bad files: each refused with its place named, and nothing written ---------------------------


def _set(data, path, value):
    target = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value


BAD_FILES = {
    "wrong format": (
        ("format",),
        "ladder/v3",
        "format: expected 'ladder/v2' or 'ladder/v1', got 'ladder/v3'",
    ),
    "missing required field": (
        ("levels", 0),
        {"key": "e1", "name": "Junior", "short_name": "E1"},
        "levels[0]: missing required key 'summary'",
    ),
    "wrong type": (
        ("levels", 0, "expectations", "craft", 1),
        ["a", "list"],
        "levels[0].expectations.craft[1]: expected text, got a list",
    ),
    "duplicate level key": (("levels", 1, "key"), "e1", "levels[1].key: duplicate level key 'e1'"),
    "track naming an unknown level": (
        ("tracks", 2, "levels", 3),
        "astronaut",
        "tracks[2].levels[3]: unknown level 'astronaut'",
    ),
    "comparison naming an unknown level": (
        ("comparison", 0, "values", "astronaut"),
        "Light years",
        "comparison[0].values.astronaut: unknown level 'astronaut'",
    ),
    "expectation under an undeclared category": (
        ("levels", 2, "expectations", "vibes"),
        ["Good vibes"],
        "levels[2].expectations.vibes: undeclared category 'vibes'",
    ),
    "unknown key": (("levels", 0, "salary"), 100, "levels[0].salary: unknown key"),
    "empty name": (("ladder", "name"), "   ", "ladder.name: must not be empty"),
    "bad key": (
        ("categories", 0, "key"),
        "Craft Skills",
        "categories[0].key: 'Craft Skills' is not a valid key",
    ),
    "grade not a number": (
        ("levels", 0, "grade"),
        "three",
        "levels[0].grade: expected a whole number, got text",
    ),
    "too long": (
        ("levels", 0, "short_name"),
        "x" * 41,
        "levels[0].short_name: is 41 characters long",
    ),
    "fractional grade": (
        ("levels", 0, "grade"),
        2.5,
        "levels[0].grade: expected a whole number, got 2.5",
    ),
    "multi-line list item": (
        ("tracks", 1, "best_for", 0),
        "Two\nlines",
        "tracks[1].best_for[0]: must be a single line",
    ),
    "expectations not a list": (
        ("levels", 0, "expectations", "craft"),
        "",
        "levels[0].expectations.craft: expected a list, got text",
    ),
    "duplicate level on a track": (
        ("tracks", 0, "levels"),
        ["e1", "e2", "e2", "e3", "staff"],
        "tracks[0].levels[2]: duplicate level 'e2'",
    ),
    "no tracks": (("tracks",), [], "tracks: must list at least one item"),
    "level on no track": (
        ("tracks", 2, "levels"),
        ["e1", "e2", "e3"],
        "levels[5]: level 'architect' is on no track",
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_bad_file_is_refused_with_its_place_and_nothing_written(good, case):
    path, value, expected = case
    _set(good, path, value)

    problems = problems_of(good)

    assert any(problem.startswith(expected) for problem in problems), problems
    assert not Ladder.objects.exists()


def test_a_missing_field_is_reported_once(good):
    del good["faq"][0]["answer"]

    assert problems_of(good) == ["faq[0]: missing required key 'answer'"]


def test_json_without_a_file_name_is_recognised():
    spec = ladderfile.read(json.dumps(raw(SECOND_FILE)), name="")

    assert spec["ladder"]["slug"] == "engineering"


def test_every_problem_is_listed_not_just_the_first(good):
    good["format"] = "ladder/v0"
    good["levels"][0]["grade"] = "one"
    good["tracks"][0]["levels"].append("nowhere")

    problems = problems_of(good)

    assert len(problems) == 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("format: ladder/v1\nladder: [unclosed\n", "line 3, column 1: not valid YAML"),
        ("format: ladder/v1\nformat: ladder/v1\n", "line 2, column 1: duplicate key 'format'"),
        ("a: &x [1]\nb: *x\n", "not valid YAML (anchors and aliases"),
        ("", "the file is empty"),
        ("- just\n- a list\n", "expected a mapping, got a list"),
        ('{"format": "ladder/v1", "format": "x"}', "duplicate key 'format' in a JSON object"),
        ('{"format": "ladder/v1",}', "line 1, column 23: not valid JSON"),
    ],
    ids=[
        "broken yaml",
        "duplicate yaml key",
        "alias",
        "empty",
        "not a mapping",
        "duplicate json key",
        "broken json",
    ],
)
def test_unreadable_files_are_refused_clearly(text, expected):
    problems = problems_of(text, name="ladder.json" if text.startswith("{") else "ladder.yaml")

    assert any(expected in problem for problem in problems), problems


def test_oversized_file_is_refused_before_parsing(settings):
    settings.LADDER_FILE_MAX_BYTES = 1000

    problems = problems_of("# " + "x" * 1000 + "\n")

    assert problems == ["the file is 1,003 bytes; ladder files may be at most 1,000 bytes"]


def test_non_utf8_file_is_refused():
    with pytest.raises(ladderfile.LadderFileError, match="not UTF-8"):
        ladderfile.read(b"format: \xff\xfe")


def test_yaml_cannot_construct_python_objects():
    problems = problems_of("!!python/object/apply:os.system ['echo hi']\n")

    assert "not valid YAML" in problems[0]


@pytest.mark.django_db
def test_a_failing_write_leaves_nothing_behind(monkeypatch):
    """The import is one transaction: a failure half way rolls back every row."""
    spec = ladderfile.read(SECOND_FILE.read_bytes())

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_sync_tracks", explode)
    with pytest.raises(RuntimeError):
        services.import_ladder(spec=spec)

    assert not Ladder.objects.exists()
    assert not Level.objects.exists()
    assert not Expectation.objects.exists()
    assert not TrackLevel.objects.exists()


def test_binary_file_is_refused():
    with pytest.raises(ladderfile.LadderFileError, match="binary data"):
        ladderfile.read(b"format: ladder/v1\x00\x01")
