"""Marking what is new, reworded or dropped from one level to the next."""

from levels.compare import diff_texts


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
