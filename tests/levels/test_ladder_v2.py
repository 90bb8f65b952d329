"""Ladder files in v2: what they carry beyond v1, how expectations are matched by key when
a file is imported again, and the one set of import rules the import and its preview share."""

import datetime

import pytest
import yaml
from django.urls import reverse

from levels import importplan, ladderfile, rules, selectors, services
from levels.models import Category, Expectation, Ladder, Level

from ..factories import make_evidence, make_hr_user
from .ladderdata import as_exported
from .test_ladderfile import SECOND_FILE, problems_of, raw

pytestmark = pytest.mark.django_db


@pytest.fixture
def hr_client(client):
    client.force_login(make_hr_user())
    return client


V2 = """\
format: ladder/v2
ladder:
  slug: research
  name: User Research
  proficiency: [Awareness, Working, Expert]
categories:
  - key: interviewing
    name: Customer interviewing
    group: Validation
    description: |-
      Talking with customers *before* building.
      Both discovery and evaluation.
  - key: craft
    name: Craft
levels:
  - key: r1
    name: Researcher with a rather long name for its picture box here
    expectations:
      interviewing:
        - text: Runs interviews from a script.
          key: interviews
          proficiency: Working
          examples:
            - Ran five interviews for the onboarding study.
            - |-
              Wrote the script:
              1. warm-up
              2. tasks
          links:
            - title: Interviewing guide
              url: https://example.com/guide
      craft:
        - Writes clear notes.
  - key: r2
    name: Senior Researcher
    short_name: Senior
    summary: Leads studies.
    expectations:
      interviewing:
        - text: Designs the interview programme of a team.
          key: interviews
          proficiency: Expert
tracks:
  - key: ic
    name: Individual contributor
    levels: [r1, r2]
"""


def import_text(text, **kwargs):
    return services.import_ladder(spec=ladderfile.read(text), **kwargs).ladder


def export(ladder):
    return ladderfile.dump(selectors.ladder_spec(ladder))


# What v2 carries -------------------------------------------------------------------------------


def test_every_v2_field_is_stored_and_exported_as_written():
    ladder = import_text(V2)

    assert ladder.proficiency_labels == ["Awareness", "Working", "Expert"]
    interviewing = Category.objects.get(ladder=ladder, key="interviewing")
    assert interviewing.group == "Validation"
    assert interviewing.description.startswith("Talking with customers *before* building.\n")
    r1 = Level.objects.get(ladder=ladder, key="r1")
    assert r1.short_name == r1.name  # derived
    assert r1.summary == ""
    expectation = r1.expectations.get(key="interviews")
    assert expectation.proficiency == "Working"
    assert expectation.examples[1] == "Wrote the script:\n1. warm-up\n2. tasks"
    assert expectation.links == [
        {"title": "Interviewing guide", "url": "https://example.com/guide"}
    ]
    assert yaml.safe_load(export(ladder)) == yaml.safe_load(V2)


def test_a_v1_file_becomes_v2_and_v2_round_trips_unchanged():
    ladder = import_text(SECOND_FILE.read_bytes())
    first = export(ladder)
    assert first.startswith("format: ladder/v2\n")
    assert yaml.safe_load(first) == as_exported(raw(SECOND_FILE))

    again = import_text(first, replace=True)
    second = export(again)

    assert second == first
    assert ladderfile.read(second) == ladderfile.read(first)


def test_a_text_of_several_lines_is_written_as_a_block():
    ladder = import_text(V2)

    assert "  description: |-\n    Talking with customers *before* building.\n" in export(ladder)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            lambda d: d["levels"][0]["expectations"]["craft"].append({"text": "x", "key": "B A"}),
            "levels[0].expectations.craft[1].key: 'B A' is not a valid key",
        ),
        (
            lambda d: d["levels"][0]["expectations"]["craft"].append(
                {"text": "x", "key": "interviews"}
            ),
            "duplicate expectation key 'interviews'",
        ),
        (
            lambda d: d["levels"][1]["expectations"]["interviewing"][0].update(proficiency="Guru"),
            "interviewing[0].proficiency: 'Guru' is not on the ladder's scale",
        ),
        (
            lambda d: d["levels"][0]["expectations"]["interviewing"][0]["links"].append(
                {"title": "Run", "url": "javascript:alert(1)"}
            ),
            "links[1].url: 'javascript:alert(1)' is not an http or https address",
        ),
        (
            lambda d: d["levels"][0]["expectations"]["interviewing"][0]["links"].append(
                {"title": "Odd", "url": "http://[x/"}
            ),
            "links[1].url: 'http://[x/' is not an http or https address",
        ),
        (
            lambda d: d["levels"][0]["expectations"]["interviewing"][0]["links"].append(
                {"title": "Page", "url": "data:text/html,<b>hi</b>"}
            ),
            "is not an http or https address",
        ),
        (
            lambda d: d["levels"][0]["expectations"]["interviewing"][0].update(examples=[["a"]]),
            "examples[0]: expected text, got a list",
        ),
        (
            lambda d: d["levels"][0]["expectations"]["craft"].append(["a", "list"]),
            "craft[1]: expected text or a mapping with 'text', got a list",
        ),
        (
            lambda d: d["levels"][0]["expectations"]["craft"].append({"key": "no-text"}),
            "craft[1]: missing required key 'text'",
        ),
        (
            lambda d: d["categories"][0].update(group="Two\nlines"),
            "categories[0].group: must be a single line",
        ),
        (
            lambda d: d["ladder"].update(proficiency=["Same", "Same"]),
            "duplicate label 'Same'",
        ),
    ],
)
def test_bad_v2_details_are_refused_with_their_place(change, problem):
    data = yaml.safe_load(V2)
    change(data)

    problems = problems_of(data)

    assert any(problem in line for line in problems), problems
    assert not Ladder.objects.filter(slug="research").exists()


def test_a_v1_file_keeps_the_v1_rules():
    data = raw(SECOND_FILE)
    data["levels"][0]["expectations"]["craft"][0] = {"text": "Now a mapping"}
    data["levels"][1].pop("summary")
    data["categories"][0]["group"] = "Grouped"

    problems = problems_of(data)

    assert any("need ladder/v2" in line for line in problems)
    assert "levels[1]: missing required key 'summary'" in problems
    assert any(line.startswith("categories[0].group: unknown key") for line in problems)


# Matching by key on a second import --------------------------------------------------------


def test_a_keyed_expectation_keeps_its_row_when_reworded_or_moved(org):
    ladder = import_text(V2)
    row = Expectation.objects.get(level__ladder=ladder, level__key="r1", key="interviews")
    data = yaml.safe_load(V2)
    moved = data["levels"][0]["expectations"].pop("interviewing")[0]
    moved["text"] = "Runs interviews and writes the script."
    data["levels"][0]["expectations"]["craft"].insert(0, moved)

    plan = importplan.plan_import(ladderfile.check(data))
    import_text(yaml.safe_dump(data), replace=True)

    row.refresh_from_db()
    assert row.text == "Runs interviews and writes the script."
    assert row.category.key == "craft"
    levels = {change.key: change for change in plan.section("Levels").changes}
    assert levels["r1"].expectations.changed == 1
    assert not levels["r1"].expectations.added
    assert not levels["r1"].expectations.removed


def test_new_details_on_an_unchanged_text_are_a_change_of_details():
    import_text(V2)
    data = yaml.safe_load(V2)
    data["levels"][1]["expectations"]["interviewing"][0]["examples"] = ["Planned a quarter."]

    plan = importplan.plan_import(ladderfile.check(data))

    counts = {c.key: c for c in plan.section("Levels").changes}["r2"].expectations
    assert counts.changed == 1
    assert [d.label for d in counts.details] == ["details changed"]


def test_a_key_given_to_an_unkeyed_text_keeps_its_row():
    ladder = import_text(V2)
    row = Expectation.objects.get(level__ladder=ladder, text="Writes clear notes.")
    data = yaml.safe_load(V2)
    data["levels"][0]["expectations"]["craft"][0] = {"text": "Writes clear notes.", "key": "notes"}

    import_text(yaml.safe_dump(data), replace=True)

    row.refresh_from_db()
    assert row.key == "notes"


def test_a_keyed_row_is_never_taken_as_a_rewording_of_another(org):
    ladder = import_text(V2)
    row = Expectation.objects.get(level__ladder=ladder, level__key="r2", key="interviews")
    data = yaml.safe_load(V2)
    data["levels"][1]["expectations"]["interviewing"] = [
        {"text": "Something else entirely.", "key": "synthesis"}
    ]

    import_text(yaml.safe_dump(data), replace=True)

    assert not Expectation.objects.filter(pk=row.pk).exists()  # nobody pointed at it
    assert Level.objects.get(ladder=ladder, key="r2").expectations.get().key == "synthesis"


def test_a_retired_expectation_comes_back_with_its_key_and_its_evidence(org):
    ladder = import_text(V2)
    row = Expectation.objects.get(level__ladder=ladder, level__key="r2", key="interviews")
    make_evidence(org.report, row, datetime.date(2026, 1, 5))
    without = yaml.safe_load(V2)
    without["levels"][1]["expectations"]["interviewing"] = [{"text": "Other.", "key": "other"}]

    import_text(yaml.safe_dump(without), replace=True)
    row.refresh_from_db()
    assert not row.is_active  # in use: retired, not deleted

    import_text(V2, replace=True)
    row.refresh_from_db()
    assert row.is_active
    assert row.evidence.count() == 1


# One set of rules -------------------------------------------------------------------------------


def test_match_pairs_by_key_then_text_then_order():
    old = [
        rules.Listed("a", "k1", "First"),
        rules.Listed("a", "", "Second"),
        rules.Listed("a", "", "Third"),
        rules.Listed("b", "k2", "Fourth"),
        rules.Listed("c", "k3", "Fifth"),
        rules.Listed("c", "k4", "Sixth"),
    ]
    new = [
        rules.Listed("b", "k1", "First, moved"),  # by key, across categories
        rules.Listed("a", "", "Third"),  # same text
        rules.Listed("a", "", "Second, reworded"),  # in order, with what is left
        rules.Listed("a", "", "Brand new"),
        rules.Listed("b", "", "Fourth"),  # its key left out, its text the same
        rules.Listed("c", "", "Fifth, reworded"),  # a keyed row is never a rewording
        rules.Listed("c", "k4", "Sixth"),
    ]

    assert rules.match(old, new) == {0: 0, 1: 2, 2: 1, 4: 3, 6: 5}


def test_an_expectation_keeps_its_row_when_its_key_is_left_out():
    ladder = import_text(V2)
    row = Expectation.objects.get(level__ladder=ladder, level__key="r2", key="interviews")
    data = yaml.safe_load(V2)
    data["levels"][1]["expectations"]["interviewing"][0].pop("key")

    import_text(yaml.safe_dump(data), replace=True)

    row.refresh_from_db()
    assert row.key == ""
    assert row.is_active


def test_in_use_follows_what_a_deletion_would_take_with_it(org):
    ladder = org.ladder
    pm = Level.objects.get(ladder=ladder, key="pm")  # Remi Report is a PM
    unused = Level.objects.get(ladder=ladder, key="distinguished-pm")
    skills = Category.objects.get(ladder=ladder, key="skills")
    other = Category.objects.get(ladder=ladder, key="expected")
    make_evidence(org.report, pm.expectations.filter(category=skills)[0], datetime.date(2026, 2, 1))

    assert rules.in_use(Level, [pm.pk, unused.pk]) == {pm.pk}
    assert rules.in_use(Category, [skills.pk, other.pk]) == {skills.pk}
    assert rules.in_use(Category, []) == set()


# The admin edits the details ------------------------------------------------------------------


def test_hr_edits_examples_and_links_of_an_expectation(hr_client, default_ladder):
    from tests.adminforms import change_form_data

    expectation = Expectation.objects.filter(level__ladder=default_ladder)[0]
    url = reverse("admin:levels_expectation_change", args=[expectation.pk])
    page = hr_client.get(url)
    data = {
        **change_form_data(page),
        "key": "roadmaps",
        "examples": "Wrote the Q3 roadmap.\n\nShared it\nwith sales.",
        "links": "Roadmap guide | https://example.com/roadmaps",
    }

    response = hr_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    expectation.refresh_from_db()
    assert expectation.key == "roadmaps"
    assert expectation.examples == ["Wrote the Q3 roadmap.", "Shared it\nwith sales."]
    assert expectation.links == [{"title": "Roadmap guide", "url": "https://example.com/roadmaps"}]
    again = hr_client.get(url).text
    assert "Wrote the Q3 roadmap.\n\nShared it\nwith sales." in again
    assert "Roadmap guide | https://example.com/roadmaps" in again


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("links", "Run | javascript:alert(1)", "is not an http or https address"),
        ("links", "https://example.com/no-title", "write the title, a bar and the address"),
        ("proficiency", "Guru", "is not on the ladder&#x27;s proficiency scale"),
        ("key", "Not A Key", "Enter a valid “slug”"),
    ],
)
def test_the_admin_refuses_bad_details_and_keeps_what_was_typed(
    hr_client, default_ladder, field, value, message
):
    from tests.adminforms import change_form_data

    expectation = Expectation.objects.filter(level__ladder=default_ladder)[0]
    url = reverse("admin:levels_expectation_change", args=[expectation.pk])
    data = {**change_form_data(hr_client.get(url)), field: value}

    response = hr_client.post(url, data)

    assert response.status_code == 200
    assert message in response.text
    assert value.replace("'", "&#x27;").split(" | ")[0] in response.text
    expectation.refresh_from_db()
    assert (expectation.links, expectation.proficiency, expectation.key) == ([], "", "")


def test_the_history_of_an_expectation_shows_its_details(hr_client, default_ladder):
    from tests.adminforms import change_form_data

    expectation = Expectation.objects.filter(level__ladder=default_ladder)[0]
    url = reverse("admin:levels_expectation_change", args=[expectation.pk])
    data = {**change_form_data(hr_client.get(url)), "examples": "Ran the <b>pricing</b> study."}
    assert hr_client.post(url, data).status_code == 302

    history = hr_client.get(reverse("admin:levels_expectation_history", args=[expectation.pk]))
    version = expectation.history.order_by("history_id").last()
    page = hr_client.get(
        reverse(
            "admin:levels_expectation_simple_history",
            args=[expectation.pk, version.history_id],
        )
    )

    assert history.status_code == 200
    assert page.status_code == 200
    assert "Ran the &lt;b&gt;pricing&lt;/b&gt; study." in page.text
    assert "<b>pricing</b>" not in page.text


# The new fields on the compare page ------------------------------------------------------------


def test_compare_shows_groups_descriptions_details_and_what_a_key_moved(hr_client):
    data = yaml.safe_load(V2)
    moved = data["levels"][1]["expectations"].pop("interviewing")[0]
    moved["examples"] = ["Planned the **quarter's** interviews."]
    moved["links"] = [{"title": "Programme template", "url": "https://example.com/programme"}]
    data["levels"][1]["expectations"]["craft"] = [moved]
    ladder = import_text(yaml.safe_dump(data))
    url = reverse("levels:compare", kwargs={"slug": ladder.slug}) + "?levels=r1,r2"

    page = hr_client.get(url).text

    assert "Validation</span>Customer interviewing" in page
    assert "Talking with customers <em>before</em> building." in page
    assert "Proficiency: Expert" in page
    assert "Planned the <strong>quarter's</strong> interviews." in page
    assert 'href="https://example.com/programme"' in page
    assert "was: Runs interviews from a script. (under Customer interviewing)" in page


def test_the_import_preview_lists_changes_to_groups_descriptions_and_the_scale():
    import_text(V2)
    data = yaml.safe_load(V2)
    data["ladder"]["proficiency"] = ["Awareness", "Working", "Practitioner", "Expert"]
    data["categories"][0]["group"] = "Discovery"
    data["categories"][1]["description"] = "How the work is done."

    plan = importplan.plan_import(ladderfile.check(data))

    assert [(f.label, f.old, f.new) for f in plan.ladder_fields] == [
        (
            "proficiency scale",
            "Awareness, Working, Expert",
            "Awareness, Working, Practitioner, Expert",
        )
    ]
    categories = {c.key: c for c in plan.section("Categories").changes}
    assert [(f.label, f.old, f.new) for f in categories["interviewing"].fields] == [
        ("group", "Validation", "Discovery")
    ]
    assert [f.label for f in categories["craft"].fields] == ["description"]
