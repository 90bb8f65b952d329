"""
What changes from one level to the next: which expectations are the same, which were
reworded from an expectation of the level before, which are new, and which are no longer
listed. Every expectation of either level is in one pair at most.

The rule, for each expectation of the later level:

1. **By key.** An expectation whose key an expectation of the earlier level also has is
   that one: the ladder says they are one competency, whatever their texts. It is "same"
   when the texts are equal (ignoring case) and it is in the same category, else "changed"
   with `was`. One that changed category is listed in its new category, "changed", with
   `was` (its earlier text, even if unchanged) and `moved_from` (the earlier category's
   name); its old category does not list it as dropped.
2. **By text**, within a category, between expectations not paired by key, except that two
   expectations with different keys are never paired (the ladder says they are different
   competencies; a key on one side only does not stop a pair). Equal texts (ignoring case)
   are "same"; then the most alike pairs, at least REWORDED_AT alike, are "changed", the
   best pair first (on a tie, the later expectation of the earlier level, then of the
   later one), each expectation used once.
3. The rest of the later level is "new"; the rest of the earlier one is dropped.

How alike two texts are: the share of their words they have in common, each word weighted
by how rare it is in the category (Dice's coefficient, weighted by inverse document
frequency). Words are compared case-folded and lightly stemmed (plurals, -ing, -ed), and
common English function words ("the", "and", ...) are left out. Boilerplate that most of a
category's items share ("Example task: ...") weighs little beside the words that tell the
items apart, so two different tasks behind it do not look like one reworded; in a
category of one item a level every word weighs the same.

Only pairs that can reach REWORDED_AT are scored (prefix filtering). Each text's words
are put in one order, rarest first; its prefix is its first words up to where the rest
weighs less than REWORDED_AT / (2 - REWORDED_AT) of it, the least that a text alike enough
to it shares with it. Two texts are scored only if their prefixes share a word and if,
from the first word they share on, what is left of the lighter of the two could still
reach the threshold. A pair left out has too little in common to reach it, so the result
is the same as scoring every pair, at a fraction of the cost on a large category.
"""

import math
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache

# How alike two texts must be (0 to 1, see the module docstring) to count as one
# expectation reworded: half their words in common, by weight.
REWORDED_AT = 0.5

_WORD = re.compile(r"[^\W_]+")
# Words that say nothing of what an expectation is about.
STOP_WORDS = frozenset(
    _WORD.findall(
        """a an and are as at be by for from in into is it its of on or our so than that
        the their then this to via with your"""
    )
)
# Word weights are whole numbers (thousandths), so sums do not depend on their order.
_WEIGHT_SCALE = 1000


@dataclass
class Item:
    """An expectation of the later level, marked against the earlier one.

    `expectation` is the later level's Expectation (None when marking bare texts),
    `was_expectation` the earlier one it is paired with (None when "new"), and
    `moved_from` the name of the category it was in, when paired by key across
    categories ("" otherwise)."""

    text: str
    status: str  # "same", "changed" or "new"
    was: str = ""
    expectation: object = None
    was_expectation: object = None
    moved_from: str = ""


@dataclass
class CategoryChange:
    name: str
    items: list = field(default_factory=list)
    dropped: list = field(default_factory=list)  # texts of the earlier level not paired
    previous: object = None  # the level compared with, if any
    dropped_expectations: list = field(default_factory=list)  # the same, as Expectations

    @property
    def new_count(self):
        return sum(item.status == "new" for item in self.items)

    @property
    def changed_count(self):
        return sum(item.status == "changed" for item in self.items)


def diff_texts(before, after):
    """Mark each text of `after` against `before` (step 2 of the module docstring, the
    words weighted over these texts); return (items, texts of before dropped)."""
    weights = _weights([_words(text) for text in before], [_words(text) for text in after])
    pairs = _pair(before, after, weights)
    items = [_item(after[j], before[pairs[j]] if j in pairs else None) for j in range(len(after))]
    paired = set(pairs.values())
    return items, [text for i, text in enumerate(before) if i not in paired]


def _item(text, was, **extra):
    if was is None:
        return Item(text, "new", **extra)
    if text.casefold() == was.casefold():
        return Item(text, "same", **extra)
    return Item(text, "changed", was=was, **extra)


def compare_levels(categories, before, after):
    """Per category, how `after`'s expectations differ from `before`'s (see the module
    docstring).

    `before` and `after` are levels carrying `expectation_list` (see
    `structure.Structure.with_expectations`); `before` may be None for the first column.
    Only expectations of `categories` are compared.
    """
    after_lists = _by_category(categories, after.expectation_list)
    if before is None:
        return [
            CategoryChange(category.name, [Item(e.text, "same", expectation=e) for e in listed])
            for category, listed in zip(categories, after_lists.values(), strict=True)
        ]
    before_lists = _by_category(categories, before.expectation_list)
    names = {category.pk: category.name for category in categories}
    keyed = {}
    for listed in before_lists.values():
        for expectation in listed:
            if expectation.key:
                keyed.setdefault(expectation.key, expectation)
    by_key = {}  # id(later expectation): the earlier one with its key
    for listed in after_lists.values():
        for expectation in listed:
            earlier = keyed.get(expectation.key) if expectation.key else None
            if earlier is not None:
                by_key[id(expectation)] = earlier
    paired_by_key = {id(earlier) for earlier in by_key.values()}

    changes = []
    for category in categories:
        before_all, after_all = before_lists[category.pk], after_lists[category.pk]
        rest_before = [e for e in before_all if id(e) not in paired_by_key]
        rest_after = [e for e in after_all if id(e) not in by_key]
        weights = _weights(
            [_words(e.text) for e in before_all], [_words(e.text) for e in after_all]
        )
        pairs = _pair(
            [e.text for e in rest_before],
            [e.text for e in rest_after],
            weights,
            [e.key for e in rest_before],
            [e.key for e in rest_after],
        )
        by_text = {id(rest_after[j]): rest_before[i] for j, i in pairs.items()}
        items = []
        for expectation in after_all:
            earlier = by_key.get(id(expectation)) or by_text.get(id(expectation))
            if earlier is None:
                items.append(_item(expectation.text, None, expectation=expectation))
            elif earlier.category_id != expectation.category_id:
                items.append(
                    Item(
                        expectation.text,
                        "changed",
                        was=earlier.text,
                        expectation=expectation,
                        was_expectation=earlier,
                        moved_from=names[earlier.category_id],
                    )
                )
            else:
                items.append(
                    _item(
                        expectation.text,
                        earlier.text,
                        expectation=expectation,
                        was_expectation=earlier,
                    )
                )
        paired = {id(e) for e in by_text.values()}
        dropped = [e for e in rest_before if id(e) not in paired]
        changes.append(
            CategoryChange(
                category.name,
                items,
                [e.text for e in dropped],
                previous=before,
                dropped_expectations=dropped,
            )
        )
    return changes


def for_cache(changes):
    """`changes` (of `compare_levels`) as a cache keeps them: without `previous`, and with
    each expectation named by its pk (pickling model instances costs more than comparing
    does). `from_cache` gives them back."""
    return [
        replace(
            change,
            previous=None,
            items=[
                replace(
                    item,
                    expectation=_pk(item.expectation),
                    was_expectation=_pk(item.was_expectation),
                )
                for item in change.items
            ],
            dropped_expectations=[e.pk for e in change.dropped_expectations],
        )
        for change in changes
    ]


def from_cache(changes, before, after):
    """`changes` as `for_cache` left them, given back `before` (as `previous`) and the
    expectations of `before` and `after` (the levels compared, carrying
    `expectation_list`)."""
    earlier = {e.pk: e for e in before.expectation_list}
    later = {e.pk: e for e in after.expectation_list}
    for change in changes:
        change.previous = before
        for item in change.items:
            item.expectation = later.get(item.expectation)
            item.was_expectation = earlier.get(item.was_expectation)
        change.dropped_expectations = [earlier.get(pk) for pk in change.dropped_expectations]
    return changes


def _pk(expectation):
    return None if expectation is None else expectation.pk


def _by_category(categories, expectations):
    """{category pk: its expectations of `expectations`, in their order} for `categories`."""
    lists = {category.pk: [] for category in categories}
    for expectation in expectations:
        listed = lists.get(expectation.category_id)
        if listed is not None:
            listed.append(expectation)
    return lists


def _pair(before, after, weights, before_keys=None, after_keys=None):
    """{j: i}: texts `after[j]` paired with texts `before[i]`, equal ones (ignoring case)
    first, each with the first one free, then the most alike (step 2 of the module
    docstring). Two texts whose keys are both set and differ are never paired."""
    before_keys = before_keys or [""] * len(before)
    after_keys = after_keys or [""] * len(after)

    def may_pair(i, j):
        return not (before_keys[i] and after_keys[j] and before_keys[i] != after_keys[j])

    pairs = {}
    equal = {}
    for i, text in enumerate(before):
        equal.setdefault(text.casefold(), []).append(i)
    for j, text in enumerate(after):
        free = equal.get(text.casefold(), [])
        i = next((i for i in free if may_pair(i, j)), None)
        if i is not None:
            free.remove(i)
            pairs[j] = i
    paired = set(pairs.values())
    is_ = [i for i in range(len(before)) if i not in paired]
    js = [j for j in range(len(after)) if j not in pairs]
    before_words = [_words(text) for text in before]
    after_words = [_words(text) for text in after]
    before_totals = [_total(words, weights) for words in before_words]
    after_totals = [_total(words, weights) for words in after_words]
    scored = []
    keyed = any(before_keys) and any(after_keys)
    for i, j in _candidates(
        before_words, before_totals, after_words, after_totals, is_, js, weights
    ):
        if not keyed or may_pair(i, j):
            alike = _alike(
                before_words[i], before_totals[i], after_words[j], after_totals[j], weights
            )
            if alike >= REWORDED_AT:
                scored.append((-alike, -i, -j))
    scored.sort()
    for _, i, j in scored:
        i, j = -i, -j
        if j not in pairs and i not in paired:
            pairs[j] = i
            paired.add(i)
    return pairs


def _candidates(before_words, before_totals, after_words, after_totals, is_, js, weights):
    """The pairs (i, j) of `is_` and `js` that may be REWORDED_AT alike: those whose
    prefixes (see the module docstring) share a word, and for which the words from the
    first one they share on, in either text, weigh enough to reach the threshold (no word
    before it is shared)."""
    share = REWORDED_AT / (2 - REWORDED_AT)  # of a text's weight, in any pair alike enough
    # Shared at most, from the first shared word on: what is left of the lighter text. So
    # a pair may reach the threshold only if 2 * min(left_i, left_j) >= t * (W_i + W_j),
    # split here into two comparisons: 2 * left_i - t * W_i >= t * W_j, and
    # 2 * left_j - t * W_j >= t * W_i.
    t = REWORDED_AT
    index = {}  # word: [(i, 2 * what before[i]'s words weigh from this one on - t W_i, t W_i)]
    for i in is_:
        weight = t * before_totals[i]
        for word, rest in _prefix(before_words[i], before_totals[i], weights, share):
            index.setdefault(word, []).append((i, 2 * rest - weight + 1e-6, weight))
    found = []
    for j in js:
        total = after_totals[j]
        weight = t * total
        seen = set()
        for word, rest in _prefix(after_words[j], total, weights, share):
            room = 2 * rest - weight + 1e-6
            for i, other_room, other_weight in index.get(word, ()):
                if i not in seen:
                    seen.add(i)
                    if other_room >= weight and room >= other_weight:
                        found.append((i, j))
    return found


def _prefix(words, total, weights, share):
    """[(word, what the words weigh from it on)] for the first of `words` (weighing
    `total`), rarest first, until what is left weighs less than `share` of them all: a
    text sharing less than that with another cannot be alike enough."""
    left = total
    at_least = share * total - 1e-6
    prefix = []
    for word in sorted(words, key=lambda word: (-weights[word], word)):
        if left < at_least:
            break
        prefix.append((word, left))
        left -= weights[word]
    return prefix


def _alike(a, total_a, b, total_b, weights):
    """How alike two texts are, from their words `a` and `b` (weighing `total_a` and
    `total_b`): twice the weight of the words they share over the weight of both (0 to 1)."""
    if not total_a + total_b:
        return 0.0
    return 2 * sum(map(weights.__getitem__, a & b)) / (total_a + total_b)


def _total(words, weights):
    return sum(map(weights.__getitem__, words))


def _weights(before, after):
    """{word: weight} over the word sets of a category's texts on two levels: a word in
    few of a level's texts weighs more than one in most (log(1 + n/df), counted on the
    level where it is in most texts, n the larger level's count)."""
    n = max(len(before), len(after))
    counts = []
    for sets in (before, after):
        count = {}
        for words in sets:
            for word in words:
                count[word] = count.get(word, 0) + 1
        counts.append(count)
    every = set(counts[0]) | set(counts[1])
    return {
        word: round(
            _WEIGHT_SCALE * math.log(1 + n / max(counts[0].get(word, 0), counts[1].get(word, 0)))
        )
        for word in every
    }


@lru_cache(maxsize=4096)
def _words(text):
    """The words of `text` that say what it is about, stemmed, as a set."""
    return frozenset(
        _stem(word) for word in _WORD.findall(text.casefold()) if word not in STOP_WORDS
    )


@lru_cache(maxsize=8192)
def _stem(word):
    """`word` without a plural's -s or -ies, then without -ing or -ed (a doubled last
    letter undoubled: planning, plan), then without a final -e: so manage, manages,
    managed and managing are one word."""
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]
            break
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word
