"""
What changes from one level to the next: which expectations are new, which were reworded
from an expectation of the level before, and which are no longer listed.
"""

import heapq
from dataclasses import dataclass, field
from difflib import SequenceMatcher

# How alike two texts must be (0 to 1) to count as one expectation reworded.
REWORDED_AT = 0.6


@dataclass
class Item:
    """An expectation of the later level, marked against the earlier one."""

    text: str
    status: str  # "same", "changed" or "new"
    was: str = ""


@dataclass
class CategoryChange:
    name: str
    items: list = field(default_factory=list)
    dropped: list = field(default_factory=list)
    previous: object = None  # the level compared with, if any

    @property
    def new_count(self):
        return sum(item.status == "new" for item in self.items)

    @property
    def changed_count(self):
        return sum(item.status == "changed" for item in self.items)


def diff_texts(before, after):
    """Mark each text of `after` against `before`; return (items, texts of before dropped)."""
    folded_before = [text.casefold() for text in before]
    folded_after = [text.casefold() for text in after]
    status = {}
    used = set()  # indexes of `before` matched so far
    # Identical texts first (each with the first one not used yet), then the most alike
    # pairs, each text used once.
    identical = {}
    for i, text in enumerate(folded_before):
        identical.setdefault(text, []).append(i)
    for j, text in enumerate(folded_after):
        if identical.get(text):
            status[j] = Item(after[j], "same")
            used.add(identical[text].pop(0))
    reworded = _most_alike(
        folded_before,
        folded_after,
        [i for i in range(len(before)) if i not in used],
        [j for j in range(len(after)) if j not in status],
    )
    for j, i in reworded.items():
        status[j] = Item(after[j], "changed", was=before[i])
        used.add(i)
    items = [status.get(j) or Item(text, "new") for j, text in enumerate(after)]
    return items, [text for i, text in enumerate(before) if i not in used]


def _most_alike(before, after, is_, js):
    """{j: i}: each text `after[j]` (of `js`) paired with a text `before[i]` (of `is_`) at
    least REWORDED_AT alike, the most alike pairs first (on a tie, the higher i, then the
    higher j), each text in one pair at most.

    The same pairs as sorting every pair by its `SequenceMatcher.ratio()`, but that is
    slow (two categories of 200 texts took seconds), so each pair waits in a heap under an
    upper bound of its ratio, the letters the two texts share (`quick_ratio`), and is
    measured only if it comes first under its bound while both its texts are free. A pair
    measured comes back under its ratio; a pair that comes first under its ratio is the
    most alike of the pairs left.
    """
    counts = _letter_counts(before + after)
    heap = []
    for j in js:
        for i in is_:
            bound = _ratio(sum(map(min, counts[i], counts[len(before) + j])), before[i], after[j])
            if bound >= REWORDED_AT:
                heap.append((-bound, -i, -j, False))
    heapq.heapify(heap)
    matchers = {}
    pairs = {}
    used = set()
    while heap and len(pairs) < len(js) and len(used) < len(is_):
        _, i, j, measured = heapq.heappop(heap)
        i, j = -i, -j
        if j in pairs or i in used:
            continue
        if measured:
            pairs[j] = i
            used.add(i)
            continue
        if j not in matchers:
            matchers[j] = SequenceMatcher(None, "", after[j])  # `after[j]` indexed once
        matcher = matchers[j]
        matcher.set_seq1(before[i])
        ratio = matcher.ratio()
        if ratio >= REWORDED_AT:
            heapq.heappush(heap, (-ratio, -i, -j, True))
    return pairs


def _letter_counts(texts):
    """How often each letter of any of `texts` occurs in each of them, in one order."""
    letters = sorted(set().union(*texts))
    return [tuple(map(text.count, letters)) for text in texts]


def _ratio(matches, a, b):
    """As `SequenceMatcher.ratio()` does it: twice the letters matched over all letters."""
    return 2.0 * matches / (len(a) + len(b)) if a or b else 1.0


def compare_levels(categories, before, after):
    """Per category, how `after`'s expectations differ from `before`'s.

    `before` and `after` are levels carrying `expectation_list` (see
    `structure.Structure.with_expectations`); `before` may be None for the first column.
    """
    changes = []
    for category in categories:
        after_texts = [e.text for e in after.expectation_list if e.category_id == category.pk]
        if before is None:
            changes.append(CategoryChange(category.name, [Item(t, "same") for t in after_texts]))
            continue
        before_texts = [e.text for e in before.expectation_list if e.category_id == category.pk]
        items, dropped = diff_texts(before_texts, after_texts)
        changes.append(CategoryChange(category.name, items, dropped, previous=before))
    return changes
