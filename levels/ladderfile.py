"""
Ladder files (`format: ladder/v2`, and the older `ladder/v1`; YAML or JSON): reading,
checking and writing.

A v2 file may say more than a v1 file: a proficiency scale on the ladder, a description and
a group on each category, expectations written as mappings (`text` with an optional `key`,
`examples`, `links` and `proficiency`), and levels without a summary or a short name (the
name serves). A v1 file is read by the v1 rules, as before; every file is written as v2.

`read(content, name=...)` parses and checks a file and returns its *spec*: the same
structure as the file, with every optional field filled in, so two specs of the same
ladder compare equal. A bad file raises `LadderFileError` listing every problem by its
place in the file (`levels[3].expectations.skills[2]: expected text, got a list`).
Reading never fails any other way, whatever the file holds: lists and mappings nested
deeper than `MAX_DEPTH`, numbers too long to convert, keys that are lists or mappings and
values YAML cannot build are all problems with their line (or place), never a crash.
Nothing here touches the database; `levels.services` writes a spec, `levels.selectors`
reads one back. The format is described in docs/ladder-format.md.
"""

import datetime
import json
import re
from dataclasses import dataclass

import yaml
from django.conf import settings

from pmladder import textfiles

from . import rules
from .models import READY_COVERAGE_DEFAULT, READY_SPAN_MONTHS_DEFAULT, READY_SPAN_MONTHS_MAX

FORMAT = "ladder/v2"
FORMATS = ("ladder/v1", FORMAT)
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
# Longest accepted text of each kind; short fields match the database columns.
MAX_KEY = 50
MAX_NAME = 100
MAX_SHORT_NAME = 100
MAX_SHORT_NAME_V1 = 40
MAX_GROUP = 100
MAX_EXAMPLES = 50
MAX_LINKS = 20
MAX_CODE = 20
MAX_VALUE = 200
MAX_QUESTION = 300
MAX_TEXT = 5000
# How deep lists and mappings may sit inside each other. A ladder file needs eight (the file,
# `levels`, a level, its `expectations`, a category's list, an expectation, its `links`, a
# link); parsers recurse on nesting.
MAX_DEPTH = 20
# Longest number read as a number: a grade has at most five digits, and converting a very
# long one is slow (Python refuses past 4300 digits). Longer ones are kept as `LongNumber`.
MAX_NUMBER_LENGTH = 100


class LadderFileError(Exception):
    """A ladder file that cannot be used; `problems` lists every reason."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class LongNumber:
    """A number in the file too long to convert (more than `MAX_NUMBER_LENGTH` characters):
    kept as its text, so the checker reports it where it stands, like any wrong value."""

    text: str

    def __str__(self):
        return f"{self.text[:10]}... ({len(self.text)} characters)"


def read(content, *, name=""):
    """Parse and check a ladder file (bytes or text) and return its spec."""
    return check(parse(content, name=name))


def parse(content, *, name=""):
    """Turn a file's content into plain data, refusing oversized or malformed files."""
    try:
        content = textfiles.decode(
            content, limit=settings.LADDER_FILE_MAX_BYTES, kind="ladder files"
        )
    except textfiles.TextFileError as error:
        raise LadderFileError([str(error)]) from None
    suffix = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    if suffix == "json" or (suffix not in {"yaml", "yml"} and content.lstrip().startswith("{")):
        return _parse_json(content)
    return _parse_yaml(content)


def _parse_json(content):
    _check_json_depth(content)

    def no_duplicates(pairs):
        data = {}
        for key, value in pairs:
            if key in data:
                raise LadderFileError([f"duplicate key '{key}' in a JSON object"])
            data[key] = value
        return data

    try:
        return json.loads(content, object_pairs_hook=no_duplicates, parse_int=_json_int)
    except json.JSONDecodeError as error:
        raise LadderFileError(
            [f"line {error.lineno}, column {error.colno}: not valid JSON ({error.msg})"]
        ) from None


def _json_int(text):
    return LongNumber(text) if len(text) > MAX_NUMBER_LENGTH else int(text)


# A JSON string (skipped whole: brackets inside it are text), or a bracket.
_JSON_BRACKETS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def _check_json_depth(content):
    """Refuse JSON nested deeper than `MAX_DEPTH` before parsing it (the parser recurses)."""
    depth = 0
    for match in _JSON_BRACKETS.finditer(content):
        bracket = match.group()
        if bracket in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                line = content.count("\n", 0, match.start()) + 1
                column = match.start() - content.rfind("\n", 0, match.start())
                raise LadderFileError([_too_deep(line, column)])
        elif bracket in "]}":
            depth -= 1


def _too_deep(line, column):
    return (
        f"line {line}, column {column}: lists and mappings are nested more than "
        f"{MAX_DEPTH} deep (a ladder file needs 8 at most)"
    )


def _at(mark, message):
    return LadderFileError([f"line {mark.line + 1}, column {mark.column + 1}: {message}"])


class _StrictLoader(yaml.SafeLoader):
    """`yaml.SafeLoader` that also refuses duplicate keys, aliases (&anchor, *alias),
    nesting deeper than `MAX_DEPTH`, keys that are lists or mappings, and values it cannot
    build (`2026-02-30`, `!!int abc`), each with its line; long numbers stay text."""

    depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "anchors and aliases (&, *) are not supported", event.start_mark
            )
        if not self.check_event(yaml.SequenceStartEvent, yaml.MappingStartEvent):
            return super().compose_node(parent, index)
        if self.depth >= MAX_DEPTH:
            mark = self.peek_event().start_mark
            raise LadderFileError([_too_deep(mark.line + 1, mark.column + 1)])
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError):
            tag = node.tag.rsplit(":", 1)[-1]
            if isinstance(node, yaml.ScalarNode):
                value = node.value if len(node.value) <= 40 else f"{node.value[:40]}..."
                problem = f"cannot read {value!r} as {_TAG_KINDS.get(tag, tag)}"
            else:
                problem = f"cannot read this {_TAG_KINDS.get(tag, tag)}"
            raise _at(node.start_mark, f"not valid YAML ({problem})") from None

    def construct_yaml_int(self, node):
        if isinstance(node, yaml.ScalarNode) and len(node.value) > MAX_NUMBER_LENGTH:
            return LongNumber(node.value)
        return super().construct_yaml_int(node)

    def construct_mapping(self, node, deep=False):
        if not isinstance(node, yaml.MappingNode):
            return super().construct_mapping(node, deep=deep)  # refused, with its line
        seen = set()
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise _at(key_node.start_mark, "a key must be plain text, not a list or mapping")
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str | int | float | bool) and key in seen:
                mark = key_node.start_mark
                raise LadderFileError(
                    [f"line {mark.line + 1}, column {mark.column + 1}: duplicate key '{key}'"]
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_StrictLoader.add_constructor("tag:yaml.org,2002:int", _StrictLoader.construct_yaml_int)
_TAG_KINDS = {
    "int": "a whole number",
    "float": "a number",
    "bool": "true/false",
    "timestamp": "a date",
    "null": "nothing",
    "map": "mapping",
    "seq": "list",
}


def _parse_yaml(content):
    try:
        return yaml.load(content, Loader=_StrictLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise LadderFileError([f"{where}not valid YAML ({error.problem or error})"]) from None
    except yaml.YAMLError as error:
        raise LadderFileError([f"not valid YAML ({error})"]) from None


def _kind(value):
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float | LongNumber):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, datetime.date):
        return "a date"
    return type(value).__name__


def _brief(value):
    """A value as the file wrote it when short and plain, else what kind of value it is."""
    if (value is None or isinstance(value, str | int | float)) and len(repr(value)) <= 60:
        return repr(value)
    return _kind(value)


def _join(path, key):
    return f"{path}.{key}" if path else str(key)


class _Missing:
    """A required key that is absent: reported once by `mapping()`, then passed over."""

    def __repr__(self):
        return "<missing>"


MISSING = _Missing()


class _Checker:
    """Walks raw data, collecting problems by path and building the clean spec; `v2` when
    the file says it is v2 (what only v2 allows is then known)."""

    def __init__(self, v2=True):
        self.problems = []
        self.v2 = v2

    def error(self, path, message):
        self.problems.append(f"{path}: {message}" if path else message)

    def mapping(self, value, path, required=(), optional=()):
        if value is MISSING:
            return None
        if not isinstance(value, dict):
            self.error(path, f"expected a mapping, got {_kind(value)}")
            return None
        allowed = (*required, *optional)
        for key in value:
            if key not in allowed:
                self.error(_join(path, key), f"unknown key (expected one of: {', '.join(allowed)})")
        fields = dict(value)
        for key in required:
            if key not in value:
                self.error(path, f"missing required key '{key}'")
                fields[key] = MISSING
        return fields

    def list(self, value, path, *, required=True, non_empty=False):
        if value is MISSING or (value is None and not required):
            return []
        if not isinstance(value, list):
            self.error(path, f"expected a list, got {_kind(value)}")
            return []
        if non_empty and not value:
            self.error(path, "must list at least one item")
        return value

    def text(self, value, path, *, required=True, max_length=MAX_TEXT, one_line=False):
        if value is MISSING or (value is None and not required):
            return ""
        if not isinstance(value, str):
            self.error(path, f"expected text, got {_kind(value)}")
            return ""
        value = value.strip()
        if required and not value:
            self.error(path, "must not be empty")
        elif len(value) > max_length:
            self.error(path, f"is {len(value)} characters long; at most {max_length} allowed")
        elif one_line and "\n" in value:
            self.error(path, "must be a single line (make each line its own item)")
        return value

    def key(self, value, path):
        value = self.text(value, path, max_length=MAX_KEY)
        if value and not KEY_PATTERN.match(value):
            self.error(
                path,
                f"'{value}' is not a valid key (use lowercase letters, digits, '-' and '_')",
            )
        return value

    def integer(self, value, path):
        if value is None or value is MISSING:
            return None
        if isinstance(value, float):
            self.error(path, f"expected a whole number, got {value}")
            return None
        if isinstance(value, LongNumber):
            self.error(
                path,
                f"must be between 0 and 32767 (got a number {len(value.text):,} characters long)",
            )
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(path, f"expected a whole number, got {_kind(value)}")
            return None
        if not 0 <= value <= 32767:
            self.error(path, "must be between 0 and 32767")
            return None
        return value

    def bounded(self, value, path, low, high, default):
        """A whole number from `low` to `high`; `default` when absent."""
        if value is None or value is MISSING:
            return default
        if isinstance(value, float):
            self.error(path, f"expected a whole number, got {value}")
            return default
        if isinstance(value, LongNumber):
            self.error(
                path,
                f"must be between {low} and {high} (got a number {len(value.text):,} "
                "characters long)",
            )
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(path, f"expected a whole number, got {_kind(value)}")
            return default
        if not low <= value <= high:
            self.error(path, f"must be between {low} and {high}")
            return default
        return value

    def boolean(self, value, path, default):
        if value is None or value is MISSING:
            return default
        if not isinstance(value, bool):
            self.error(path, f"expected true or false, got {_kind(value)}")
            return default
        return value

    def text_list(self, value, path, *, max_length=MAX_TEXT, one_line=False):
        items = self.list(value, path, required=False)
        return [
            self.text(item, f"{path}[{i}]", max_length=max_length, one_line=one_line)
            for i, item in enumerate(items)
        ]

    def unique(self, values, path_of, what):
        seen = {}
        for index, value in enumerate(values):
            if not value:
                continue
            if value in seen:
                self.error(
                    path_of(index), f"duplicate {what} '{value}' (first at {path_of(seen[value])})"
                )
            else:
                seen[value] = index


def check(data):
    """Check parsed data against its format (ladder/v2 or ladder/v1); return the spec (in
    the v2 form, whichever the file used) or raise."""
    c = _Checker()
    top = c.mapping(
        data,
        "",
        required=("format", "ladder", "categories", "levels", "tracks"),
        optional=("comparison", "promotion", "faq"),
    )
    if top is None:
        raise LadderFileError(c.problems)
    if "format" in top and top["format"] not in FORMATS:
        wanted = " or ".join(f"'{name}'" for name in reversed(FORMATS))
        c.error("format", f"expected {wanted}, got {_brief(top['format'])}")
    c.v2 = top.get("format") != "ladder/v1"

    spec = {
        "format": FORMAT,
        "ladder": _check_ladder(c, top.get("ladder")),
        "categories": _check_categories(c, top.get("categories")),
    }
    category_keys = [category["key"] for category in spec["categories"]]
    spec["levels"] = _check_levels(
        c, top.get("levels"), category_keys, spec["ladder"]["proficiency"]
    )
    level_keys = [level["key"] for level in spec["levels"]]
    spec["tracks"] = _check_tracks(c, top.get("tracks"), level_keys)
    spec["comparison"] = _check_comparison(c, top.get("comparison"), level_keys)
    spec["promotion"] = _check_promotion(c, top.get("promotion"))
    spec["faq"] = _check_faq(c, top.get("faq"))

    # Retired tracks count: retiring a track in the admin must leave a ladder that exports
    # to a file that imports (its levels are flagged there, not refused here).
    on_a_track = {key for track in spec["tracks"] for key in track["levels"]}
    for index, level in enumerate(spec["levels"]):
        if level["key"] and level["active"] and level["key"] not in on_a_track:
            c.error(f"levels[{index}]", f"level '{level['key']}' is on no track")

    if c.problems:
        raise LadderFileError(c.problems)
    return spec


DEFAULT_READINESS = {"coverage": READY_COVERAGE_DEFAULT, "span_months": READY_SPAN_MONTHS_DEFAULT}


def _check_ladder(c, value):
    optional = ("description", "readiness", *(("proficiency",) if c.v2 else ()))
    value = c.mapping(value, "ladder", required=("slug", "name"), optional=optional)
    if value is None:
        return {
            "slug": "",
            "name": "",
            "description": "",
            "readiness": dict(DEFAULT_READINESS),
            "proficiency": [],
        }
    labels = c.text_list(
        value.get("proficiency"),
        "ladder.proficiency",
        max_length=rules.MAX_PROFICIENCY,
        one_line=True,
    )
    c.unique(labels, lambda i: f"ladder.proficiency[{i}]", "label")
    return {
        "slug": c.key(value.get("slug"), "ladder.slug"),
        "name": c.text(value.get("name"), "ladder.name", max_length=MAX_NAME),
        "description": c.text(value.get("description"), "ladder.description", required=False),
        "readiness": _check_readiness(c, value.get("readiness")),
        "proficiency": labels,
    }


def _check_readiness(c, value):
    """The ladder's readiness rule; either key, or both, may be left out for the default."""
    rule = dict(DEFAULT_READINESS)
    if value is None:
        return rule
    value = c.mapping(value, "ladder.readiness", optional=("coverage", "span_months"))
    if value is None:
        return rule
    rule["coverage"] = c.bounded(
        value.get("coverage"), "ladder.readiness.coverage", 1, 100, READY_COVERAGE_DEFAULT
    )
    rule["span_months"] = c.bounded(
        value.get("span_months"),
        "ladder.readiness.span_months",
        0,
        READY_SPAN_MONTHS_MAX,
        READY_SPAN_MONTHS_DEFAULT,
    )
    return rule


def _check_categories(c, value):
    categories = []
    for index, item in enumerate(c.list(value, "categories", non_empty=True)):
        path = f"categories[{index}]"
        optional = ("description", "group", "active") if c.v2 else ("active",)
        item = c.mapping(item, path, required=("key", "name"), optional=optional)
        if item is None:
            continue
        categories.append(
            {
                "key": c.key(item.get("key"), f"{path}.key"),
                "name": c.text(item.get("name"), f"{path}.name", max_length=MAX_NAME),
                "description": c.text(
                    item.get("description"), f"{path}.description", required=False
                ),
                "group": c.text(
                    item.get("group"),
                    f"{path}.group",
                    required=False,
                    max_length=MAX_GROUP,
                    one_line=True,
                ),
                "active": c.boolean(item.get("active"), f"{path}.active", True),
            }
        )
    c.unique([cat["key"] for cat in categories], lambda i: f"categories[{i}].key", "category key")
    return categories


def _check_levels(c, value, category_keys, proficiency):
    levels = []
    # v1 asks for a summary and a short name within 40 characters; v2 takes the name as
    # the short name when it has none.
    if c.v2:
        required = ("key", "name")
        optional = ("short_name", "summary", "code", "grade", "next_step", "active")
    else:
        required = ("key", "name", "short_name", "summary")
        optional = ("code", "grade", "next_step", "active")
    for index, item in enumerate(c.list(value, "levels", non_empty=True)):
        path = f"levels[{index}]"
        item = c.mapping(item, path, required=required, optional=(*optional, "expectations"))
        if item is None:
            levels.append(_empty_level())
            continue
        name = c.text(item.get("name"), f"{path}.name", max_length=MAX_NAME)
        short_name = c.text(
            item.get("short_name"),
            f"{path}.short_name",
            required=not c.v2,
            max_length=MAX_SHORT_NAME if c.v2 else MAX_SHORT_NAME_V1,
        )
        levels.append(
            {
                "key": c.key(item.get("key"), f"{path}.key"),
                "name": name,
                "short_name": short_name or name,
                "code": c.text(
                    item.get("code"), f"{path}.code", required=False, max_length=MAX_CODE
                ),
                "grade": c.integer(item.get("grade"), f"{path}.grade"),
                "summary": c.text(item.get("summary"), f"{path}.summary", required=not c.v2),
                "next_step": c.text(item.get("next_step"), f"{path}.next_step", required=False),
                "active": c.boolean(item.get("active"), f"{path}.active", True),
                "expectations": _check_expectations(
                    c, item.get("expectations"), f"{path}.expectations", category_keys, proficiency
                ),
            }
        )
    c.unique([level["key"] for level in levels], lambda i: f"levels[{i}].key", "level key")
    return levels


def _empty_level():
    return {"key": "", "active": False}


def _check_expectations(c, value, path, category_keys, proficiency):
    if value is None:
        return {}
    if not isinstance(value, dict):
        c.error(path, f"expected a mapping of category key to list, got {_kind(value)}")
        return {}
    for key in value:
        if key not in category_keys:
            c.error(
                _join(path, key),
                f"undeclared category '{key}' (declared: {', '.join(category_keys)})",
            )
    # Keep the categories' declared order, whatever order the file used; drop empty lists.
    lists = {}
    for category in category_keys:
        if category not in value:
            continue
        items = c.list(value[category], f"{path}.{category}", required=False)
        lists[category] = [
            _check_expectation(c, item, f"{path}.{category}[{i}]", proficiency)
            for i, item in enumerate(items)
        ]
    keys = [
        (item["key"], f"{path}.{category}[{i}]")
        for category, items in lists.items()
        for i, item in enumerate(items)
    ]
    c.unique([key for key, _ in keys], lambda i: f"{keys[i][1]}.key", "expectation key")
    return {key: items for key, items in lists.items() if items}


def expectation(text, *, key="", examples=(), links=(), proficiency=""):
    """An expectation as a spec holds it."""
    return {
        "text": text,
        "key": key,
        "examples": list(examples),
        "links": [dict(link) for link in links],
        "proficiency": proficiency,
    }


def _check_expectation(c, item, path, proficiency):
    """One expectation: a text, or (v2) a mapping with its text and details."""
    if isinstance(item, dict) and not c.v2:
        c.error(path, "expected text, got a mapping (expectations with details need ladder/v2)")
        return expectation("")
    if isinstance(item, str) or not c.v2:
        return expectation(c.text(item, path))
    if not isinstance(item, dict):
        c.error(path, f"expected text or a mapping with 'text', got {_kind(item)}")
        return expectation("")
    item = c.mapping(
        item, path, required=("text",), optional=("key", "examples", "links", "proficiency")
    )
    if item is None:
        return expectation("")
    key = item.get("key")
    label = c.text(
        item.get("proficiency"),
        f"{path}.proficiency",
        required=False,
        max_length=rules.MAX_PROFICIENCY,
        one_line=True,
    )
    if label and label not in proficiency:
        scale = ", ".join(proficiency) if proficiency else "none: add ladder.proficiency"
        c.error(f"{path}.proficiency", f"'{label}' is not on the ladder's scale ({scale})")
    examples = c.text_list(item.get("examples"), f"{path}.examples")
    if len(examples) > MAX_EXAMPLES:
        c.error(f"{path}.examples", f"lists {len(examples)}; at most {MAX_EXAMPLES} allowed")
    return expectation(
        c.text(item.get("text"), f"{path}.text"),
        key=""
        if key is None or (isinstance(key, str) and not key.strip())
        else c.key(key, f"{path}.key"),
        examples=[example for example in examples if example],
        links=_check_links(c, item.get("links"), f"{path}.links"),
        proficiency=label,
    )


def _check_links(c, value, path):
    links = []
    items = c.list(value, path, required=False)
    if len(items) > MAX_LINKS:
        c.error(path, f"lists {len(items)}; at most {MAX_LINKS} allowed")
    for index, item in enumerate(items):
        where = f"{path}[{index}]"
        item = c.mapping(item, where, required=("title", "url"))
        if item is None:
            continue
        title = c.text(item.get("title"), f"{where}.title", max_length=rules.MAX_LINK_TITLE)
        url = item.get("url")
        if url is MISSING:
            continue
        problem = (
            rules.link_problem(url) if isinstance(url, str) else f"expected text, got {_kind(url)}"
        )
        if problem:
            c.error(f"{where}.url", problem)
            continue
        links.append({"title": title, "url": url.strip()})
    return links


def _check_tracks(c, value, level_keys):
    tracks = []
    known = set(level_keys)
    for index, item in enumerate(c.list(value, "tracks", non_empty=True)):
        path = f"tracks[{index}]"
        item = c.mapping(
            item,
            path,
            required=("key", "name", "levels"),
            optional=("description", "best_for", "challenges", "active"),
        )
        if item is None:
            continue
        keys = []
        for position, key in enumerate(
            c.list(item.get("levels"), f"{path}.levels", non_empty=True)
        ):
            key_path = f"{path}.levels[{position}]"
            key = c.key(key, key_path)
            if key and key not in known:
                c.error(key_path, f"unknown level '{key}'")
            keys.append(key)
        c.unique(keys, lambda i, path=path: f"{path}.levels[{i}]", "level")
        tracks.append(
            {
                "key": c.key(item.get("key"), f"{path}.key"),
                "name": c.text(item.get("name"), f"{path}.name", max_length=MAX_NAME),
                "description": c.text(
                    item.get("description"), f"{path}.description", required=False
                ),
                "best_for": c.text_list(item.get("best_for"), f"{path}.best_for", one_line=True),
                "challenges": c.text_list(
                    item.get("challenges"), f"{path}.challenges", one_line=True
                ),
                "active": c.boolean(item.get("active"), f"{path}.active", True),
                "levels": keys,
            }
        )
    c.unique([track["key"] for track in tracks], lambda i: f"tracks[{i}].key", "track key")
    return tracks


def _check_comparison(c, value, level_keys):
    aspects = []
    known = set(level_keys)
    for index, item in enumerate(c.list(value, "comparison", required=False)):
        path = f"comparison[{index}]"
        item = c.mapping(item, path, required=("aspect", "values"))
        if item is None:
            continue
        values = {}
        raw_values = item.get("values")
        if not isinstance(raw_values, dict):
            if "values" in item:
                c.error(
                    f"{path}.values",
                    f"expected a mapping of level key to text, got {_kind(raw_values)}",
                )
        else:
            for key, text in raw_values.items():
                value_path = f"{path}.values.{key}"
                if key not in known:
                    c.error(value_path, f"unknown level '{key}'")
                    continue
                values[key] = c.text(text, value_path, max_length=MAX_VALUE)
        aspects.append(
            {
                "aspect": c.text(item.get("aspect"), f"{path}.aspect", max_length=MAX_NAME),
                # Values in ladder order, whatever order the file used.
                "values": {key: values[key] for key in level_keys if key in values},
            }
        )
    c.unique([a["aspect"] for a in aspects], lambda i: f"comparison[{i}].aspect", "aspect")
    return aspects


def _check_promotion(c, value):
    promotion = {"criteria": [], "blockers": []}
    if value is None:
        return promotion
    value = c.mapping(value, "promotion", optional=("criteria", "blockers"))
    if value is None:
        return promotion
    for index, item in enumerate(
        c.list(value.get("criteria"), "promotion.criteria", required=False)
    ):
        path = f"promotion.criteria[{index}]"
        item = c.mapping(item, path, required=("name",), optional=("description",))
        if item is None:
            continue
        promotion["criteria"].append(
            {
                "name": c.text(item.get("name"), f"{path}.name", max_length=MAX_NAME),
                "description": c.text(
                    item.get("description"), f"{path}.description", required=False
                ),
            }
        )
    c.unique(
        [criterion["name"] for criterion in promotion["criteria"]],
        lambda i: f"promotion.criteria[{i}].name",
        "criterion",
    )
    promotion["blockers"] = c.text_list(value.get("blockers"), "promotion.blockers")
    return promotion


def _check_faq(c, value):
    entries = []
    for index, item in enumerate(c.list(value, "faq", required=False)):
        path = f"faq[{index}]"
        item = c.mapping(item, path, required=("question", "answer"))
        if item is None:
            continue
        entries.append(
            {
                "question": c.text(
                    item.get("question"), f"{path}.question", max_length=MAX_QUESTION
                ),
                "answer": c.text(item.get("answer"), f"{path}.answer"),
            }
        )
    return entries


def to_file_data(spec):
    """The file form of a spec: the same data with empty optional fields left out."""
    levels = []
    for level in spec["levels"]:
        item = {"key": level["key"], "name": level["name"]}
        if level["short_name"] != level["name"]:
            item["short_name"] = level["short_name"]
        if level["code"]:
            item["code"] = level["code"]
        if level["grade"] is not None:
            item["grade"] = level["grade"]
        if level["summary"]:
            item["summary"] = level["summary"]
        if level["next_step"]:
            item["next_step"] = level["next_step"]
        if not level["active"]:
            item["active"] = False
        if level["expectations"]:
            item["expectations"] = {
                category: [_expectation_data(e) for e in items]
                for category, items in level["expectations"].items()
            }
        levels.append(item)
    tracks = []
    for track in spec["tracks"]:
        item = {"key": track["key"], "name": track["name"]}
        for optional in ("description", "best_for", "challenges"):
            if track[optional]:
                item[optional] = track[optional]
        if not track["active"]:
            item["active"] = False
        item["levels"] = track["levels"]
        tracks.append(item)
    ladder = {"slug": spec["ladder"]["slug"], "name": spec["ladder"]["name"]}
    if spec["ladder"]["description"]:
        ladder["description"] = spec["ladder"]["description"]
    if spec["ladder"].get("proficiency"):
        ladder["proficiency"] = spec["ladder"]["proficiency"]
    readiness = {  # only what differs from the default rule
        key: value
        for key, value in spec["ladder"].get("readiness", DEFAULT_READINESS).items()
        if value != DEFAULT_READINESS[key]
    }
    if readiness:
        ladder["readiness"] = readiness
    data = {
        "format": FORMAT,
        "ladder": ladder,
        "categories": [_category_data(category) for category in spec["categories"]],
        "levels": levels,
        "tracks": tracks,
    }
    if spec["comparison"]:
        data["comparison"] = spec["comparison"]
    promotion = {}
    if spec["promotion"]["criteria"]:
        promotion["criteria"] = [
            {"name": c["name"], "description": c["description"]}
            if c["description"]
            else {"name": c["name"]}
            for c in spec["promotion"]["criteria"]
        ]
    if spec["promotion"]["blockers"]:
        promotion["blockers"] = spec["promotion"]["blockers"]
    if promotion:
        data["promotion"] = promotion
    if spec["faq"]:
        data["faq"] = spec["faq"]
    return data


def _category_data(category):
    item = {"key": category["key"], "name": category["name"]}
    for optional in ("description", "group"):
        if category.get(optional):
            item[optional] = category[optional]
    if not category["active"]:
        item["active"] = False
    return item


def _expectation_data(item):
    """An expectation as a file writes it: its text alone when that is all it has."""
    details = {
        name: item[name] for name in ("key", "examples", "links", "proficiency") if item[name]
    }
    if not details:
        return item["text"]
    return {"text": item["text"], **details}


def dump(spec, fmt="yaml"):
    """Write a spec as ladder file text, YAML or JSON."""
    data = to_file_data(spec)
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt != "yaml":
        raise ValueError(f"unknown ladder file format {fmt!r} (use yaml or json)")
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


class _Dumper(yaml.SafeDumper):
    """Writes a text of several lines as a block (`|`), as a person would, where YAML can."""


def _represent_text(dumper, text):
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _represent_text)
