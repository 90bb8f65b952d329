"""
What changes from one level to the next: which expectations are new, which were reworded
from an expectation of the level before, and which are no longer listed.
"""

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


def _similarity(a, b):
    return SequenceMatcher(None, a.casefold(), b.casefold()).ratio()


def diff_texts(before, after):
    """Mark each text of `after` against `before`; return (items, texts of before dropped)."""
    unmatched_before = list(range(len(before)))
    status = {}
    # Identical texts first, then the most alike pairs, each text used once.
    for j, text in enumerate(after):
        for i in unmatched_before:
            if before[i].casefold() == text.casefold():
                status[j] = Item(text, "same")
                unmatched_before.remove(i)
                break
    pairs = sorted(
        (
            (_similarity(before[i], text), i, j)
            for j, text in enumerate(after)
            if j not in status
            for i in unmatched_before
        ),
        reverse=True,
    )
    for ratio, i, j in pairs:
        if ratio < REWORDED_AT:
            break
        if j in status or i not in unmatched_before:
            continue
        status[j] = Item(after[j], "changed", was=before[i])
        unmatched_before.remove(i)
    items = [status.get(j) or Item(text, "new") for j, text in enumerate(after)]
    return items, [before[i] for i in unmatched_before]


def compare_levels(categories, before, after):
    """Per category, how `after`'s expectations differ from `before`'s.

    `before` and `after` are levels carrying `expectation_list` (see
    `selectors.levels_with_expectations`); `before` may be None for the first column.
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
