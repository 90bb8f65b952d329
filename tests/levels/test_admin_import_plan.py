"""`importplan.plan_import`: what an import would change, worked out without writing."""

import copy
import datetime
import re
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments import evidence
from levels import importplan, ladderfile, services
from levels.models import Expectation
from levels.selectors import ladder_spec

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parent.parent / "data"


def level_of(spec, key):
    return next(level for level in spec["levels"] if level["key"] == key)


def track_of(spec, key):
    return next(track for track in spec["tracks"] if track["key"] == key)


def changes(plan, title):
    return {change.key: change for change in plan.section(title).changes}


def edited(ladder):
    """The ladder's spec with a level renamed, a level added and an expectation removed."""
    spec = copy.deepcopy(ladder_spec(ladder))
    level_of(spec, "pm")["name"] = "Product Manager I"
    new = copy.deepcopy(level_of(spec, "senior-pm"))
    new.update(key="group-pm", name="Group Product Manager", short_name="Group PM", code="L7")
    spec["levels"].insert(3, new)
    track_of(spec, "management")["levels"].insert(3, "group-pm")
    level_of(spec, "senior-pm")["expectations"]["skills"].pop()
    return spec


def no_writes(captured):
    """The writes among `captured`, but the note that HR sent a form (`pmladder.kept`)."""
    return [
        query["sql"]
        for query in captured
        if re.match(r"\s*(INSERT|UPDATE|DELETE)", query["sql"], re.IGNORECASE)
        and '"pmladder_kept"' not in query["sql"]
    ]


def test_an_unchanged_ladder_plans_no_changes(default_ladder):
    plan = importplan.plan_import(ladder_spec(default_ladder))

    assert not plan.creates
    assert not plan.has_changes
    assert plan.summary() == ""
    assert plan.problems == []
    assert plan.fingerprint == importplan.fingerprint(default_ladder)


def test_a_renamed_level_an_added_level_and_a_removed_expectation(default_ladder):
    before = ladder_spec(default_ladder)

    with CaptureQueriesContext(connection) as captured:
        plan = importplan.plan_import(edited(default_ladder))

    assert no_writes(captured) == []
    assert ladder_spec(default_ladder) == before
    levels = changes(plan, "Levels")
    assert list(levels) == ["pm", "senior-pm", "group-pm"]
    assert levels["pm"].action == importplan.CHANGE
    assert levels["pm"].fields == [
        importplan.FieldChange("name", "Product Manager", "Product Manager I")
    ]
    assert levels["pm"].expectations is None
    assert levels["group-pm"].action == importplan.ADD
    assert levels["group-pm"].expectations == importplan.ExpectationCounts(added=16)
    assert levels["senior-pm"].action == importplan.CHANGE
    assert levels["senior-pm"].fields == []
    assert levels["senior-pm"].expectations == importplan.ExpectationCounts(removed=1)
    assert str(levels["senior-pm"].expectations) == (
        "1 removed (or retired if evidence or reviews point at it)"
    )
    tracks = changes(plan, "Tracks")
    assert list(tracks) == ["management"]
    assert [field.label for field in tracks["management"].fields] == ["levels"]
    assert tracks["management"].notes == ["adds Group PM"]
    assert plan.summary() == "levels: 1 added, 2 changed; tracks: 1 changed"


def test_a_reworded_expectation_is_a_change_not_an_add_and_a_remove(default_ladder):
    spec = copy.deepcopy(ladder_spec(default_ladder))
    skills = level_of(spec, "apm")["expectations"]["skills"]
    original = skills[0]["text"]
    skills[0]["text"] = original + " (reworded)"
    skills.append(ladderfile.expectation("A brand new skill"))
    expected = level_of(spec, "apm")["expectations"]["expected"]
    expected.reverse()

    plan = importplan.plan_import(spec)

    counts = changes(plan, "Levels")["apm"].expectations
    assert counts == importplan.ExpectationCounts(added=1, changed=1, reordered=True)
    assert str(counts) == "1 added, 1 reworded, new order"
    assert [(d.label, d.old, d.new) for d in counts.details] == [
        ("reworded", original, skills[0]["text"]),
        ("added", "", "A brand new skill"),
    ]


def test_a_missing_level_in_use_is_retired_and_one_unused_is_deleted(org):
    spec = copy.deepcopy(ladder_spec(org.ladder))
    # Remi Report is a PM; nobody is a Distinguished PM.
    spec["levels"] = [lv for lv in spec["levels"] if lv["key"] not in {"pm", "distinguished-pm"}]
    for track in spec["tracks"]:
        track["levels"] = [key for key in track["levels"] if key not in {"pm", "distinguished-pm"}]
    for aspect in spec["comparison"]:
        aspect["values"].pop("pm", None)
        aspect["values"].pop("distinguished-pm", None)

    plan = importplan.plan_import(spec)

    levels = changes(plan, "Levels")
    assert levels["pm"].action == importplan.RETIRE
    assert levels["pm"].action_label == "retired (in use)"
    assert levels["distinguished-pm"].action == importplan.REMOVE
    assert plan.problems == []
    # And the import does what the plan said.
    services.import_ladder(spec=spec, replace=True)
    assert not org.ladder.levels.get(key="pm").is_active
    assert not org.ladder.levels.filter(key="distinguished-pm").exists()
    # Importing the same file again changes nothing: the retired level stays retired.
    assert not importplan.plan_import(spec).has_changes


def record_skill_evidence(org):
    """Evidence about Remi Report against one of the PM level's skills."""
    evidence.record_evidence(
        employee=org.report,
        expectation=Expectation.objects.filter(level=org.report.level, category__key="skills")[0],
        by=org.manager.user,
        observed_on=timezone.localdate() - datetime.timedelta(days=3),
        description="Shipped it",
        visibility="shared",
    )


def without_skills(ladder):
    """The ladder's spec without the skills category."""
    spec = copy.deepcopy(ladder_spec(ladder))
    spec["categories"] = [c for c in spec["categories"] if c["key"] != "skills"]
    for level in spec["levels"]:
        level["expectations"].pop("skills", None)
    return spec


def test_removing_a_category_with_evidence_against_it_is_a_problem(org):
    record_skill_evidence(org)
    spec = without_skills(org.ladder)

    plan = importplan.plan_import(spec)

    assert plan.problems == [
        "categories: 'skills' is missing, but evidence or reviews were recorded against its "
        "expectations; keep the category"
    ]
    assert changes(plan, "Categories")["skills"].action == importplan.REMOVE


def test_guidance_changes_are_listed(default_ladder):
    spec = copy.deepcopy(ladder_spec(default_ladder))
    spec["ladder"]["name"] = "Product"
    spec["comparison"][0]["values"]["pm"] = "Something else"
    spec["comparison"].append({"aspect": "Travel", "values": {"pm": "Some"}})
    spec["promotion"]["criteria"][0]["description"] = "New words"
    del spec["promotion"]["criteria"][1]
    spec["promotion"]["blockers"].append("Not writing things down")
    spec["faq"] = spec["faq"][1:]

    plan = importplan.plan_import(spec)

    assert plan.ladder_fields == [importplan.FieldChange("name", "Product Management", "Product")]
    aspects = changes(plan, "Comparison aspects")
    assert aspects["Primary Focus"].notes == ["1 value changed"]
    assert aspects["Travel"].action == importplan.ADD
    criteria = changes(plan, "Promotion criteria")
    old_description = ladder_spec(default_ladder)["promotion"]["criteria"][0]["description"]
    assert criteria["Impact"].fields == [
        importplan.FieldChange("description", old_description, "New words", long=True)
    ]
    assert criteria["Scope"].action == importplan.REMOVE
    assert [c.action for c in plan.section("Promotion blockers").changes] == [importplan.ADD]
    assert [c.action for c in plan.section("FAQ").changes] == [importplan.REMOVE]


def test_reordering_levels_is_noticed(default_ladder):
    spec = copy.deepcopy(ladder_spec(default_ladder))
    spec["levels"][0], spec["levels"][1] = spec["levels"][1], spec["levels"][0]

    plan = importplan.plan_import(spec)

    assert plan.section("Levels").reordered
    assert plan.has_changes
    assert plan.summary() == "levels: reordered"


def test_a_new_ladder_lists_everything_it_adds(db):
    spec = ladderfile.read((DATA / "engineering.yaml").read_bytes(), name="engineering.yaml")

    plan = importplan.plan_import(spec)

    assert plan.creates
    assert plan.fingerprint == ""
    assert [c.key for c in plan.section("Levels").changes] == [lv["key"] for lv in spec["levels"]]
    assert {c.action for section in plan.sections for c in section.changes} == {importplan.ADD}


def test_a_changed_readiness_rule_is_a_change_to_confirm(default_ladder):
    spec = copy.deepcopy(ladder_spec(default_ladder))
    spec["ladder"]["readiness"] = {"coverage": 60, "span_months": 3}

    plan = importplan.plan_import(spec)

    assert plan.has_changes
    assert [(f.label, f.old, f.new) for f in plan.ladder_fields] == [
        ("readiness rule", "80% shown over 6 months", "60% shown over 3 months")
    ]


def test_a_long_text_that_changes_is_shown_before_and_after_around_the_change(default_ladder):
    level = default_ladder.levels.get(key="pm")
    level.next_step = "Own an area. " * 20 + "Ship the roadmap on time. " + "Lead well. " * 20
    level.save()
    spec = copy.deepcopy(ladder_spec(default_ladder))
    pm = level_of(spec, "pm")
    pm["next_step"] = level.next_step.replace("on time", "with the team")
    old_summary = pm["summary"]
    pm["summary"] = ""

    plan = importplan.plan_import(spec)

    fields = {field.label: field for field in changes(plan, "Levels")["pm"].fields}
    next_step = fields["next step"]
    assert next_step.long
    assert next_step.shows_values
    # The part that changes, with some words either side, the rest left out.
    assert "Ship the roadmap on time." in next_step.old
    assert "Ship the roadmap with the team." in next_step.new
    assert next_step.old.startswith("…")
    assert next_step.old.endswith("…")
    assert len(next_step.new) < len(pm["next_step"]) / 2
    # A text removed whole shows how it began, and that it is gone.
    summary = fields["summary"]
    assert summary.new == "(none)"
    assert summary.old == old_summary[:239] + "…" if len(old_summary) > 240 else old_summary


def test_a_tracks_lists_are_compared_as_text(default_ladder):
    spec = copy.deepcopy(ladder_spec(default_ladder))
    track = spec["tracks"][0]
    old_challenges = list(track["challenges"])
    track["challenges"] = [*old_challenges, "Saying no"]

    plan = importplan.plan_import(spec)

    (field,) = changes(plan, "Tracks")[track["key"]].fields
    assert field.label == "challenges"
    assert field.new.endswith("Saying no")
    assert "Saying no" not in field.old
