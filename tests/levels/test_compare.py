"""Marking what is new, reworded or dropped from one level to the next."""

from django.core.cache import cache

from levels.compare import compare_levels, diff_texts
from levels.models import Category, Expectation, Level
from levels.structure import ladder_structure

from ..factories import CategoryFactory, ExpectationFactory, LadderFactory, LevelFactory


def test_identical_texts_are_the_same_whatever_their_case():
    items, dropped = diff_texts(["Ship features", "Write PRDs"], ["write prds", "Ship features"])

    assert [item.status for item in items] == ["same", "same"]
    assert dropped == []


def test_a_reworded_text_is_changed_and_remembers_what_it_was():
    items, dropped = diff_texts(["Stakeholder management"], ["Complex stakeholder management"])

    assert items[0].status == "changed"
    assert items[0].was == "Stakeholder management"
    assert dropped == []


def test_unrelated_texts_are_new_and_the_old_ones_dropped():
    items, dropped = diff_texts(["Basic data analysis and SQL"], ["Board management"])

    assert items[0].status == "new"
    assert dropped == ["Basic data analysis and SQL"]


def test_each_earlier_text_is_matched_at_most_once():
    items, dropped = diff_texts(
        ["Organizational influence"],
        ["Organizational influence at scale", "Organizational influence at company scale"],
    )

    assert sorted(item.status for item in items) == ["changed", "new"]
    assert dropped == []


def test_the_closest_pair_wins():
    items, _ = diff_texts(
        ["Mentor APMs", "Mentor and develop junior PMs"],
        ["Mentor and develop senior PMs"],
    )

    assert items[0].was == "Mentor and develop junior PMs"


def test_empty_lists():
    assert diff_texts([], []) == ([], [])
    items, dropped = diff_texts([], ["Something"])
    assert items[0].status == "new"
    assert dropped == []


# Comparing levels: keys first, then texts -------------------------------------------------

DELIVERY = Category(pk=1, name="Delivery")
PEOPLE = Category(pk=2, name="People")


def level(*expectations):
    """A level (not saved) listing `expectations`: (category, text) or (category, text, key)."""
    listed = Level(name="A level")
    listed.expectation_list = [
        Expectation(category=category, text=text, key=key[0] if key else "")
        for category, text, *key in expectations
    ]
    return listed


def compare(before, after, categories=(DELIVERY, PEOPLE)):
    return {change.name: change for change in compare_levels(list(categories), before, after)}


def marks(change):
    return [(item.status, item.text, item.was) for item in change.items]


def test_the_first_level_is_listed_as_it_is():
    after = level((DELIVERY, "Ship features", "shipping"))

    changes = compare(None, after)

    (item,) = changes["Delivery"].items
    assert (item.status, item.expectation, item.was_expectation) == (
        "same",
        after.expectation_list[0],
        None,
    )
    assert changes["People"].items == []


def test_the_same_key_and_text_is_the_same_expectation():
    before = level((DELIVERY, "Ship features", "shipping"))
    after = level((DELIVERY, "Ship features", "shipping"))

    change = compare(before, after)["Delivery"]

    assert marks(change) == [("same", "Ship features", "")]
    assert change.items[0].expectation is after.expectation_list[0]
    assert change.items[0].was_expectation is before.expectation_list[0]
    assert change.dropped == []


def test_the_same_key_pairs_texts_that_have_nothing_in_common():
    before = level(
        (DELIVERY, "Write PRDs", "specs"),
        (DELIVERY, "Ship small features", "shipping"),
    )
    after = level(
        (DELIVERY, "Own the roadmap of a product area", "shipping"),
        (DELIVERY, "Set the bar for requirements across teams", "specs"),
    )

    change = compare(before, after)["Delivery"]

    assert marks(change) == [
        ("changed", "Own the roadmap of a product area", "Ship small features"),
        ("changed", "Set the bar for requirements across teams", "Write PRDs"),
    ]
    assert change.dropped == []


def test_an_expectation_that_moved_category_is_listed_in_its_new_one():
    before = level((DELIVERY, "Mentor other PMs", "mentoring"))
    after = level((PEOPLE, "Mentor other PMs", "mentoring"))

    changes = compare(before, after)

    (item,) = changes["People"].items
    assert (item.status, item.was, item.moved_from) == ("changed", "Mentor other PMs", "Delivery")
    assert item.was_expectation is before.expectation_list[0]
    assert changes["Delivery"].items == []
    assert changes["Delivery"].dropped == []  # not dropped: it moved


def test_a_key_on_one_side_only_leaves_the_texts_to_decide():
    before = level((DELIVERY, "Stakeholder management"), (DELIVERY, "Write PRDs", "specs"))
    after = level(
        (DELIVERY, "Complex stakeholder management", "stakeholders"),
        (DELIVERY, "Write PRDs"),
    )

    change = compare(before, after)["Delivery"]

    assert marks(change) == [
        ("changed", "Complex stakeholder management", "Stakeholder management"),
        ("same", "Write PRDs", ""),
    ]
    assert change.dropped == []


def test_different_keys_are_different_expectations_however_alike_their_texts():
    before = level((DELIVERY, "Stakeholder management", "stakeholders"))
    after = level((DELIVERY, "Complex stakeholder management", "executive-stakeholders"))

    change = compare(before, after)["Delivery"]

    assert marks(change) == [("new", "Complex stakeholder management", "")]
    assert change.dropped == ["Stakeholder management"]
    assert change.dropped_expectations == before.expectation_list


def test_a_framework_that_rewrites_every_item_with_stable_keys_shows_changes_not_new():
    topics = ["discovery", "delivery", "strategy", "analytics", "communication"]
    before = level(*[(DELIVERY, f"Helps the team with {topic}", topic) for topic in topics])
    after = level(
        *[(DELIVERY, f"Example task: runs {topic} for a whole area", topic) for topic in topics]
    )

    change = compare(before, after)["Delivery"]

    assert [item.status for item in change.items] == ["changed"] * len(topics)
    assert [item.was for item in change.items] == [f"Helps the team with {t}" for t in topics]
    assert change.dropped == []


# Short tasks behind a long shared prefix: as whole texts they look alike.
EXAMPLE = "Example task at this level: "
TASKS = [
    "write the PRD for checkout",
    "interview five customers",
    "present the roadmap to sales",
    "run a pricing experiment",
    "plan the billing migration",
    "negotiate scope with partners",
    "define metrics for search",
    "coach a new hire",
]


def test_a_shared_boilerplate_prefix_does_not_make_different_items_rewordings():
    before = level(*[(DELIVERY, EXAMPLE + task) for task in TASKS[:4]])
    after = level(*[(DELIVERY, EXAMPLE + task) for task in TASKS[4:]])

    change = compare(before, after)["Delivery"]

    assert [item.status for item in change.items] == ["new"] * 4
    assert len(change.dropped) == 4


def test_a_rewording_behind_a_shared_prefix_is_still_found():
    before = level(*[(DELIVERY, EXAMPLE + task) for task in TASKS[:4]])
    after = level(
        (DELIVERY, EXAMPLE + "write the PRD for the whole checkout"),
        *[(DELIVERY, EXAMPLE + task) for task in TASKS[4:7]],
    )

    change = compare(before, after)["Delivery"]

    assert marks(change)[0] == (
        "changed",
        EXAMPLE + "write the PRD for the whole checkout",
        EXAMPLE + "write the PRD for checkout",
    )
    assert [item.status for item in change.items[1:]] == ["new"] * 3


def test_texts_are_matched_within_their_category_only():
    before = level((DELIVERY, "Mentor other PMs"))
    after = level((PEOPLE, "Mentor other PMs"))

    changes = compare(before, after)

    assert marks(changes["People"]) == [("new", "Mentor other PMs", "")]
    assert changes["Delivery"].dropped == ["Mentor other PMs"]


def test_words_are_compared_without_their_endings():
    items, _ = diff_texts(["Writes PRDs"], ["Writing clear PRDs"])

    assert (items[0].status, items[0].was) == ("changed", "Writes PRDs")


def test_on_a_tie_the_later_expectation_of_the_level_before_wins():
    items, dropped = diff_texts(
        ["Own the product roadmap", "Own the team roadmap"], ["Own roadmaps"]
    )

    assert (items[0].status, items[0].was) == ("changed", "Own the team roadmap")
    assert dropped == ["Own the product roadmap"]


def test_a_comparison_survives_the_cache_with_the_levels_own_expectations(db):
    ladder = LadderFactory()
    delivery = CategoryFactory(ladder=ladder, name="Delivery")
    people = CategoryFactory(ladder=ladder, name="People")
    first, second = LevelFactory(ladder=ladder), LevelFactory(ladder=ladder)
    mentor = ExpectationFactory(level=first, category=delivery, text="Mentor APMs", key="mentor")
    ExpectationFactory(level=first, category=delivery, text="Write PRDs")
    ExpectationFactory(level=first, category=delivery, text="Run board meetings")
    ExpectationFactory(level=second, category=people, text="Mentor PMs", key="mentor")
    ExpectationFactory(level=second, category=delivery, text="Write clear PRDs")
    cache.clear()
    structure = ladder_structure(ladder)
    assert structure.key is not None  # the ladder has a version: comparisons are kept
    structure.with_expectations([first, second])

    worked_out = structure.comparison(first, second)
    kept = structure.comparison(first, second)

    assert [marks(change) for change in kept] == [
        [("changed", "Write clear PRDs", "Write PRDs")],
        [("changed", "Mentor PMs", "Mentor APMs")],
    ]
    assert [marks(change) for change in kept] == [marks(change) for change in worked_out]
    assert kept[0].dropped == ["Run board meetings"]
    later = {e.text: e for e in second.expectation_list}
    earlier = {e.text: e for e in first.expectation_list}
    moved = kept[1].items[0]
    assert moved.moved_from == "Delivery"
    assert moved.expectation is later["Mentor PMs"]
    assert moved.was_expectation is earlier["Mentor APMs"]
    assert moved.was_expectation.pk == mentor.pk
    assert kept[0].items[0].was_expectation is earlier["Write PRDs"]
    assert kept[0].dropped_expectations == [earlier["Run board meetings"]]
    assert all(change.previous is first for change in kept)
