"""
Categories that share a group (`Category.group`) are shown together under the group's
name as a heading: one level of grouping, groups in the order of their first category,
and a category with no group standing alone where it falls (`by_group`; categories
without a group next to each other share one unnamed section, so a page can lay them out
side by side as before).
"""

from levels.selectors import CategoryGroup


def by_group(groups):
    """`groups` (`selectors.CategoryGroup`s, in category order) as `(group name, [groups])`
    pairs: the categories of one group together at the place of its first category;
    categories without a group, next to each other, in a pair named ""."""
    sections = []
    named = {}
    for group in groups:
        name = (group.category.group or "").strip()
        if not name:
            if sections and sections[-1][0] == "":
                sections[-1][1].append(group)
            else:
                sections.append(("", [group]))
        elif name in named:
            named[name].append(group)
        else:
            named[name] = [group]
            sections.append((name, named[name]))
    return sections


def by_category(items, *, category_of):
    """`items` (in category order) gathered per category (`category_of(item)`), as
    `CategoryGroup`s for `by_group`: a category's items together at its first one."""
    groups = []
    seen = {}
    for item in items:
        category = category_of(item)
        if category.pk not in seen:
            seen[category.pk] = CategoryGroup(category, [])
            groups.append(seen[category.pk])
        seen[category.pk].expectations.append(item)
    return groups
