"""Comparing levels scales: on a large category only pairs that may be alike enough are
scored (`levels.compare`'s prefilter), with the same result as scoring every pair, and the
result does not depend on the process (hash seeds) it is worked out in."""

import random
import subprocess
import sys
from pathlib import Path

import pytest

from levels import compare
from levels.compare import compare_levels, diff_texts
from levels.models import Category, Expectation, Level
from scripts import bench

BIG = Category(pk=1, name="Big")


def big_levels(count=600):
    """Two levels (not saved) of `count` items in one category, written as the bench writes
    its big category: every item behind the same prefix, most reworded on the later level,
    some the same, some other tasks."""
    before_texts, after_texts = bench.big_category_texts(count)
    before, after = Level(name="Before"), Level(name="After")
    before.expectation_list = [Expectation(category=BIG, text=text) for text in before_texts]
    after.expectation_list = [Expectation(category=BIG, text=text) for text in after_texts]
    return before, after


def test_only_pairs_that_may_be_alike_are_scored_on_a_600_item_category(monkeypatch):
    before, after = big_levels()
    scored = []
    score = compare._alike

    def counted(*args):
        scored.append(args)
        return score(*args)

    monkeypatch.setattr(compare, "_alike", counted)

    (change,) = compare_levels([BIG], before, after)

    every_pair = len(before.expectation_list) * len(after.expectation_list)
    assert len(scored) <= 30 * len(after.expectation_list)  # of 600 x 540 pairs or so
    assert every_pair > 300_000
    statuses = [item.status for item in change.items]
    assert statuses.count("changed") > 0.6 * len(statuses)
    assert 0 < statuses.count("new") < 0.2 * len(statuses)


def test_the_prefilter_keeps_every_pair_that_scoring_all_pairs_would_find(monkeypatch):
    before, after = big_levels(count=150)
    filtered = compare_levels([BIG], before, after)

    def every_pair(before_words, before_totals, after_words, after_totals, is_, js, weights):
        return [(i, j) for i in is_ for j in js]

    monkeypatch.setattr(compare, "_candidates", every_pair)
    scored_all = compare_levels([BIG], before, after)

    assert [(item.status, item.was) for item in filtered[0].items] == [
        (item.status, item.was) for item in scored_all[0].items
    ]
    assert filtered[0].dropped == scored_all[0].dropped


def test_the_same_levels_compare_the_same_way_twice():
    before, after = big_levels(count=200)

    first = compare_levels([BIG], before, after)
    second = compare_levels([BIG], before, after)

    assert [(i.status, i.was) for i in first[0].items] == [
        (i.status, i.was) for i in second[0].items
    ]


SCRIPT = """
import random
from levels.compare import diff_texts
rng = random.Random(11)
words = "own ship plan write run lead the roadmap team sales data review a of".split()
texts = [" ".join(rng.choice(words) for _ in range(rng.randrange(2, 7))) for _ in range(300)]
items, dropped = diff_texts(texts[:150], texts[150:])
print([(item.status, item.was) for item in items], dropped)
"""


def test_the_result_does_not_depend_on_the_process_hash_seed():
    root = Path(compare.__file__).resolve().parent.parent
    outputs = {
        subprocess.run(
            [sys.executable, "-c", SCRIPT],
            cwd=root,
            env={"PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }

    assert len(outputs) == 1
    assert "changed" in outputs.pop()


def test_ties_are_broken_the_same_way_whatever_the_order_of_words():
    items, _ = diff_texts(["roadmap team own", "own team roadmap"], ["own the roadmap"])

    assert items[0].was == "own team roadmap"


def diff_by_scoring_every_pair(before, after):
    """`compare.diff_texts` without the prefilter: equal texts first, then every pair
    scored and sorted, the most alike first."""
    weights = compare._weights(
        [compare._words(t) for t in before], [compare._words(t) for t in after]
    )
    free = list(range(len(before)))
    pairs = {}
    for j, text in enumerate(after):
        i = next((i for i in free if before[i].casefold() == text.casefold()), None)
        if i is not None:
            pairs[j] = i
            free.remove(i)

    def score(i, j):
        a, b = compare._words(before[i]), compare._words(after[j])
        return compare._alike(a, compare._total(a, weights), b, compare._total(b, weights), weights)

    ranked = sorted(
        ((score(i, j), i, j) for j in range(len(after)) if j not in pairs for i in free),
        reverse=True,
    )
    for alike, i, j in ranked:
        if alike >= compare.REWORDED_AT and j not in pairs and i in free:
            pairs[j] = i
            free.remove(i)
    items = [
        compare._item(text, before[pairs[j]] if j in pairs else None)
        for j, text in enumerate(after)
    ]
    return items, [before[i] for i in free]


WORDS = ["Ship", "ship", "ships", "lead", "teams", "team", "SQL", "roadmap", "and", "ß", "SS"]


@pytest.mark.parametrize("seed", range(6))
def test_diff_pairs_texts_as_scoring_every_pair_does(seed):
    rng = random.Random(seed)

    def text():
        if rng.random() < 0.2:  # few distinct words, repeated: many ties
            return " ".join(rng.choice(["a", "b", "ab"]) for _ in range(rng.choice([1, 8, 60])))
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 5)))

    for _ in range(150):
        before = [text() for _ in range(rng.randint(0, 10))]
        after = [text() for _ in range(rng.randint(0, 10))]
        after += rng.sample(before, min(len(before), rng.randint(0, 2)))  # some kept as they are

        assert diff_texts(before, after) == diff_by_scoring_every_pair(before, after)
