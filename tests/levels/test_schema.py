"""The JSON Schema of ladder files (docs/ladder.schema.json) agrees with the importer
(`levels.ladderfile.read`): a file the schema accepts is a file the importer accepts, and
the other way round, except for what the schema cannot express. Those differences are
listed in the schema's description and in docs/ladder-format.md, and each one is pinned
here as what it is ("schema accepts, importer refuses" for the cross-references)."""

import copy
import json
import re
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from levels import ladderfile, services

ROOT = Path(__file__).resolve().parent.parent.parent
SCHEMA = json.loads((ROOT / "docs" / "ladder.schema.json").read_text(encoding="utf-8"))
VALIDATOR = Draft202012Validator(SCHEMA)
DATA = ROOT / "tests" / "data"


def importer_accepts(content, name="ladder.yaml"):
    try:
        ladderfile.read(content, name=name)
    except ladderfile.LadderFileError as error:
        return False, error.problems
    return True, []


def schema_accepts(content, name="ladder.yaml"):
    """Whether the schema accepts the file, as read by the same reader as the importer."""
    return VALIDATOR.is_valid(ladderfile.parse(content, name=name))


def as_yaml(data):
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


# Two small files, one per format, that every case below changes in one place.
V2 = {
    "format": "ladder/v2",
    "ladder": {
        "slug": "design",
        "name": "Design",
        "description": "How designers **grow** here.",
        "proficiency": ["Learning", "Practising", "Leading"],
        "readiness": {"coverage": 75, "span_months": 6},
    },
    "categories": [
        {"key": "craft", "name": "Craft", "group": "Skills", "description": "The *making*."},
        {"key": "research", "name": "Research", "group": "Skills"},
        {"key": "impact", "name": "Impact"},
    ],
    "levels": [
        {
            "key": "designer",
            "name": "Product Designer",
            "short_name": "Designer",
            "code": "D1",
            "grade": 4,
            "summary": "Designs features end to end.\n\n- with support\n- and care\n",
            "next_step": "Lead a product area.",
            "expectations": {
                "craft": [
                    "Interaction design",
                    {
                        "text": "Prototype to learn",
                        "key": "prototyping",
                        "examples": ["A clickable prototype tested with five users"],
                        "links": [{"title": "Guide", "url": "https://example.com/guide"}],
                        "proficiency": "Practising",
                    },
                ],
                "research": [{"text": "Test designs with users", "key": "testing"}],
            },
        },
        {
            "key": "senior-designer",
            "name": "Senior Product Designer",
            "expectations": {"craft": [{"text": "Prototype to decide", "key": "prototyping"}]},
        },
        {"key": "old", "name": "Visual Designer", "active": False},
    ],
    "tracks": [
        {
            "key": "ic",
            "name": "Individual Contributor",
            "best_for": ["You love making things"],
            "levels": ["designer", "senior-designer"],
        }
    ],
    "comparison": [{"aspect": "Scope", "values": {"designer": "Features"}}],
    "promotion": {"criteria": [{"name": "Impact"}], "blockers": ["Working alone"]},
    "faq": [{"question": "Must I manage?", "answer": "No."}],
}

V1 = {
    "format": "ladder/v1",
    "ladder": {"slug": "design", "name": "Design"},
    "categories": [{"key": "craft", "name": "Craft"}],
    "levels": [
        {
            "key": "designer",
            "name": "Product Designer",
            "short_name": "Designer",
            "summary": "Designs features end to end.",
            "expectations": {"craft": ["Interaction design"]},
        }
    ],
    "tracks": [{"key": "ic", "name": "IC", "levels": ["designer"]}],
}


def _walk(data, path):
    *parents, last = path.split(".")
    for part in parents:
        data = data[int(part)] if part.isdigit() else data[part]
    return data, int(last) if last.isdigit() else last


def put(path, value):
    def change(data):
        parent, last = _walk(data, path)
        if isinstance(parent, list) and last == len(parent):
            parent.append(value)
        else:
            parent[last] = value

    return change


def drop(path):
    def change(data):
        parent, last = _walk(data, path)
        del parent[last]

    return change


def both(*changes):
    def change(data):
        for one in changes:
            one(data)

    return change


LINK = "levels.0.expectations.craft.1.links.0.url"
MAPPING = "levels.0.expectations.craft.1"

# id: (base, change, schema accepts, importer accepts)
VALID = {
    "v2 with every new field": (V2, None),
    "v1": (V1, None),
    "v2 level with neither summary nor short name": (V2, drop("levels.0.summary")),
    "v2 short name of 100 characters": (V2, put("levels.0.short_name", "S" * 100)),
    "v2 optional fields set to null": (
        V2,
        both(
            put("ladder.description", None),
            put("ladder.proficiency", None),
            put("categories.0.group", None),
            put("levels.0.grade", None),
            put("levels.0.active", None),
            put(f"{MAPPING}.examples", None),
            put(f"{MAPPING}.links", None),
            put(f"{MAPPING}.key", None),
            put("levels.1.expectations.craft.0.key", ""),
            put(f"{MAPPING}.proficiency", None),
            put("comparison", None),
            put("faq", None),
        ),
    ),
    "text at its limit with a trailing line break": (
        V2,
        put("levels.0.summary", "x" * 5000 + "\n"),
    ),
    "name at its limit with spaces around": (V2, put("ladder.name", "  " + "n" * 100 + " ")),
    "empty optional text": (V2, put("levels.0.next_step", "   ")),
    "upper-case https scheme": (V2, put(LINK, "HTTPS://example.com/a?b=c#d")),
    "v1 with an empty list of expectations": (V1, put("levels.0.expectations.craft", [])),
    "v1 grade and code": (V1, both(put("levels.0.grade", 0), put("levels.0.code", "D1"))),
    "retired level on no track": (V1, put("levels.0.active", False)),
}

INVALID = {
    "no format": (V2, drop("format")),
    "unknown format": (V2, put("format", "ladder/v9")),
    "format of a different type": (V2, put("format", 2)),
    "name that is a number": (V2, put("ladder.name", 12)),
    "missing slug": (V2, drop("ladder.slug")),
    "unknown top-level key": (V2, put("extra", 1)),
    "unknown key in a level": (V2, put("levels.0.title", "Designer")),
    "unknown key in an expectation": (V2, put(f"{MAPPING}.note", "x")),
    "key with a space": (V2, put("levels.0.key", "Senior Designer")),
    "key with upper case": (V2, put("categories.0.key", "Craft")),
    "key of 51 characters": (V2, put("ladder.slug", "k" * 51)),
    "name of 101 characters": (V2, put("ladder.name", "n" * 101)),
    "summary of 5001 characters": (V2, put("levels.0.summary", "s" * 5001)),
    "empty required text": (V2, put("levels.0.name", "  \n")),
    "null required text": (V2, put("faq.0.answer", None)),
    "v1 level without a summary": (V1, drop("levels.0.summary")),
    "v1 level without a short name": (V1, drop("levels.0.short_name")),
    "v1 short name of 41 characters": (V1, put("levels.0.short_name", "S" * 41)),
    "v1 mapping expectation": (
        V1,
        put("levels.0.expectations.craft.0", {"text": "Interaction design"}),
    ),
    "v1 proficiency scale": (V1, put("ladder.proficiency", ["Learning"])),
    "v1 category group": (V1, put("categories.0.group", "Skills")),
    "v1 category description": (V1, put("categories.0.description", "The making.")),
    "javascript: link": (V2, put(LINK, "javascript:alert(1)")),
    "data: link": (V2, put(LINK, "data:text/html,hi")),
    "relative link": (V2, put(LINK, "/guide")),
    "link without a host": (V2, put(LINK, "https:///guide")),
    "link with a space": (V2, put(LINK, "https://example.com/a guide")),
    "link with a control character": (V2, put(LINK, "https://example.com/\x01")),
    "link of 2001 characters": (V2, put(LINK, "https://example.com/" + "a" * 1981)),
    "link without a title": (V2, drop("levels.0.expectations.craft.1.links.0.title")),
    "link that is a text": (V2, put("levels.0.expectations.craft.1.links.0", "https://x.org")),
    "21 links": (
        V2,
        put(f"{MAPPING}.links", [{"title": "t", "url": "https://example.com"}] * 21),
    ),
    "examples as a text": (V2, put(f"{MAPPING}.examples", "One example")),
    "51 examples": (V2, put(f"{MAPPING}.examples", [f"Example {i}" for i in range(51)])),
    "empty example": (V2, put(f"{MAPPING}.examples", [" "])),
    "mapping expectation without text": (V2, drop(f"{MAPPING}.text")),
    "expectation key with a space": (V2, put(f"{MAPPING}.key", "proto typing")),
    "expectation that is a number": (V2, put("levels.0.expectations.craft.0", 7)),
    "expectation that is a list": (V2, put("levels.0.expectations.craft.0", ["a", "b"])),
    "expectations as a list": (V2, put("levels.0.expectations", ["Interaction design"])),
    "category list that is a text": (V2, put("levels.0.expectations.craft", "Design")),
    "negative grade": (V2, put("levels.0.grade", -1)),
    "grade too high": (V2, put("levels.0.grade", 32768)),
    "grade as text": (V2, put("levels.0.grade", "four")),
    "grade as true/false": (V2, put("levels.0.grade", True)),
    "coverage of 0": (V2, put("ladder.readiness.coverage", 0)),
    "span of 61 months": (V2, put("ladder.readiness.span_months", 61)),
    "active as text": (V2, put("levels.0.active", "yes")),
    "group on two lines": (V2, put("categories.0.group", "Skills\nand more")),
    "group of 101 characters": (V2, put("categories.0.group", "g" * 101)),
    "label of 51 characters": (V2, put("ladder.proficiency.0", "L" * 51)),
    "label on two lines": (V2, put("ladder.proficiency.0", "Learn\ning")),
    "the same label twice": (V2, put("ladder.proficiency", ["Learning", "Learning"])),
    "no categories": (V2, put("categories", [])),
    "no tracks": (V2, drop("tracks")),
    "a track with no levels": (V2, put("tracks.0.levels", [])),
    "a level twice on a track": (V2, put("tracks.0.levels", ["designer", "designer"])),
    "best-for item on two lines": (V2, put("tracks.0.best_for", ["One\ntwo"])),
    "comparison value of 201 characters": (V2, put("comparison.0.values.designer", "v" * 201)),
    "comparison values as null": (V2, put("comparison.0.values", None)),
    "comparison value that is a number": (V2, put("comparison.0.values.designer", 3)),
    "question of 301 characters": (V2, put("faq.0.question", "q" * 301)),
    "faq entry without an answer": (V2, drop("faq.0.answer")),
    "unknown promotion key": (V2, put("promotion.rules", [])),
    "criterion without a name": (V2, put("promotion.criteria", [{"description": "x"}])),
}

# What the schema cannot express: it accepts these, the importer refuses them, saying why.
CROSS_REFERENCES = {
    "a track names an undeclared level": (
        V2,
        put("tracks.0.levels", ["designer", "senior-designer", "lead"]),
        "tracks[0].levels[2]: unknown level 'lead'",
    ),
    "an active level on no track": (
        V2,
        put("levels.2.active", True),
        "levels[2]: level 'old' is on no track",
    ),
    "an undeclared category": (
        V2,
        put("levels.1.expectations.writing", ["Clear specs"]),
        "levels[1].expectations.writing: undeclared category 'writing'",
    ),
    "a comparison value for an undeclared level": (
        V2,
        put("comparison.0.values.lead", "Everything"),
        "comparison[0].values.lead: unknown level 'lead'",
    ),
    "a proficiency label not on the scale": (
        V2,
        put(f"{MAPPING}.proficiency", "Mastering"),
        "levels[0].expectations.craft[1].proficiency: 'Mastering' is not on the ladder's scale",
    ),
    "a proficiency label on a ladder without a scale": (
        V2,
        drop("ladder.proficiency"),
        "is not on the ladder's scale (none: add ladder.proficiency)",
    ),
    "a duplicate level key": (
        V2,
        put("levels.1.key", "designer"),
        "levels[1].key: duplicate level key 'designer'",
    ),
    "a duplicate category key": (
        V2,
        put("categories.1.key", "craft"),
        "categories[1].key: duplicate category key 'craft'",
    ),
    "a duplicate track key": (
        V2,
        put("tracks.1", {"key": "ic", "name": "Again", "levels": ["designer"]}),
        "tracks[1].key: duplicate track key 'ic'",
    ),
    "an expectation key twice in a level, across categories": (
        V2,
        put("levels.0.expectations.research.0.key", "prototyping"),
        "duplicate expectation key 'prototyping'",
    ),
    "the same aspect twice": (
        V2,
        put("comparison.1", {"aspect": "Scope", "values": {}}),
        "comparison[1].aspect: duplicate aspect 'Scope'",
    ),
    "the same criterion twice": (
        V2,
        put("promotion.criteria", [{"name": "Impact"}, {"name": "Impact"}]),
        "promotion.criteria[1].name: duplicate criterion 'Impact'",
    ),
    "labels that differ only in surrounding spaces": (
        V2,
        put("ladder.proficiency", ["Learning", " Learning"]),
        "ladder.proficiency[1]: duplicate label 'Learning'",
    ),
}


def _file(base, change):
    data = copy.deepcopy(base)
    if change is not None:
        change(data)
    return data


def test_the_schema_is_a_valid_draft_2020_12_schema():
    Draft202012Validator.check_schema(SCHEMA)

    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_the_table_is_broad_enough():
    assert len(VALID) + len(INVALID) + len(CROSS_REFERENCES) >= 25
    assert {base["format"] for base, _ in VALID.values()} == {"ladder/v1", "ladder/v2"}
    assert {base["format"] for base, _ in INVALID.values()} == {"ladder/v1", "ladder/v2"}


@pytest.mark.parametrize("case", VALID.values(), ids=VALID.keys())
@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_a_valid_file_is_accepted_by_both(case, fmt):
    data = _file(*case)
    content = as_yaml(data) if fmt == "yaml" else json.dumps(data)
    name = f"ladder.{fmt}"

    assert importer_accepts(content, name) == (True, [])
    assert schema_accepts(content, name)


@pytest.mark.parametrize("case", INVALID.values(), ids=INVALID.keys())
def test_an_invalid_file_is_refused_by_both(case):
    content = json.dumps(_file(*case))

    accepted, problems = importer_accepts(content, "ladder.json")

    assert not accepted
    assert problems
    assert not schema_accepts(content, "ladder.json")


@pytest.mark.parametrize("case", CROSS_REFERENCES.values(), ids=CROSS_REFERENCES.keys())
def test_a_cross_reference_is_the_importers_to_refuse(case):
    base, change, problem = case
    content = json.dumps(_file(base, change))

    accepted, problems = importer_accepts(content, "ladder.json")

    assert schema_accepts(content, "ladder.json")
    assert not accepted
    assert any(problem in found for found in problems), problems


def test_a_whole_number_with_a_decimal_point_is_the_importers_to_refuse():
    """JSON Schema counts 4.0 as a whole number; the importer wants one written as such."""
    content = json.dumps(_file(V2, put("levels.0.grade", 4.0)))

    assert schema_accepts(content, "ladder.json")
    assert importer_accepts(content, "ladder.json") == (
        False,
        ["levels[0].grade: expected a whole number, got 4.0"],
    )


def test_a_key_with_spaces_around_it_is_refused_by_the_schema_and_trimmed_by_the_importer():
    content = json.dumps(_file(V2, put("categories.2.key", " impact ")))

    assert not schema_accepts(content, "ladder.json")
    assert importer_accepts(content, "ladder.json") == (True, [])


def test_a_yaml_date_where_text_is_wanted_is_refused_by_both():
    content = as_yaml(V1).replace("name: Design\n", "name: 2026-01-31\n", 1)

    assert importer_accepts(content)[0] is False
    assert not schema_accepts(content)


@pytest.mark.parametrize(
    "path",
    [services.DEFAULT_LADDER_FILE, *sorted(DATA.glob("*.yaml")), *sorted(DATA.glob("*.json"))],
    ids=lambda path: path.name,
)
def test_the_shipped_and_test_ladders_are_valid(path):
    content = path.read_bytes()

    assert importer_accepts(content, path.name) == (True, [])
    assert schema_accepts(content, path.name)
    assert schema_accepts(json.dumps(ladderfile.parse(content, name=path.name)), "x.json")


def test_an_exported_file_is_valid():
    spec = ladderfile.read(as_yaml(V2))

    assert VALIDATOR.is_valid(ladderfile.to_file_data(spec))


# The format's documentation: every complete file it shows is valid, to both.
DOC = ROOT / "docs" / "ladder-format.md"
DOC_BLOCKS = re.findall(r"^```yaml\n(.*?)^```$", DOC.read_text(encoding="utf-8"), re.S | re.M)
DOC_FILES = [block for block in DOC_BLOCKS if block.startswith("format: ladder/")]
DOC_EXPECTATIONS = [block for block in DOC_BLOCKS if block.startswith("- ")]


def test_the_documentation_shows_a_v2_example():
    assert any(block.startswith("format: ladder/v2") for block in DOC_FILES)


@pytest.mark.parametrize("block", DOC_FILES, ids=lambda block: block.split("\n", 1)[0])
def test_the_documentations_examples_are_valid(block):
    assert importer_accepts(block) == (True, [])
    assert schema_accepts(block)


@pytest.mark.parametrize("block", DOC_EXPECTATIONS, ids=lambda block: block.split("\n", 1)[0])
def test_the_documentations_expectations_are_valid(block):
    """Each expectation the documentation shows on its own is valid in a level's list."""
    data = _file(V2, put("levels.2.expectations", {"research": yaml.safe_load(block)}))

    assert importer_accepts(json.dumps(data), "ladder.json") == (True, [])
    assert VALIDATOR.is_valid(data)


def test_the_documentation_shows_both_ways_of_writing_an_expectation():
    assert len(DOC_EXPECTATIONS) == 2
