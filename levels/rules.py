"""
The import rules, in one place: how the expectations of a level in a ladder file are
matched with the expectations a ladder already has, what makes a row "in use", and what an
expectation's details (examples, links, proficiency) may hold. The import
(`services.import_ladder`), its preview (`importplan.plan_import`), the ladder file checker
(`ladderfile`) and the admin (`Expectation.clean`) all call these.

Matching, within one level:
1. an expectation with a key takes the expectation of the same key (in any category: it
   may move);
2. then, in each category, the texts written exactly as before keep their rows, among the
   rows without a key and those whose key the file no longer uses;
3. then, in each category and in order, the remaining texts reword the remaining rows
   that have no key (a row with a key is never taken as a rewording of something else).
What is left of the file is new; what is left of the ladder is dropped (deleted, or retired
when records about people point at it, see `in_use`).
"""

from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models

from pmladder import richtext

MAX_LINK_TITLE = 200
MAX_URL = 2000
MAX_PROFICIENCY = 50


@dataclass(frozen=True)
class Listed:
    """An expectation as matching sees it: its category's key, its own key ('' for none)
    and its text."""

    category: str
    key: str
    text: str


def match(old, new):
    """{index in `new`: index in `old`} for two lists of `Listed` of one level, by the
    rules above; the indexes left out of either side are new or dropped."""
    matched = {}
    taken = set()
    by_key = {item.key: i for i, item in enumerate(old) if item.key}
    for j, item in enumerate(new):
        i = by_key.get(item.key) if item.key else None
        if i is not None and i not in taken:
            matched[j] = i
            taken.add(i)
    # The rest, category by category: rows without a key, and (for the same text only)
    # rows whose key the new list no longer uses.
    new_keys = {item.key for item in new if item.key}
    spare = defaultdict(list)
    for i, item in enumerate(old):
        if i not in taken and (not item.key or item.key not in new_keys):
            spare[item.category].append(i)
    waiting = defaultdict(list)
    for j, item in enumerate(new):
        if j not in matched:
            waiting[item.category].append(j)
    for category, js in waiting.items():
        rows = spare.get(category, [])
        by_text = defaultdict(list)
        for i in rows:
            by_text[old[i].text].append(i)
        left = []
        for j in js:
            same = by_text.get(new[j].text)
            if same:
                i = same.pop(0)
                matched[j] = i
                taken.add(i)
            else:
                left.append(j)
        rows = [i for i in rows if i not in taken and not old[i].key]
        for j, i in zip(left, rows, strict=False):
            matched[j] = i
            taken.add(i)
    return matched


def in_use(model, pks):
    """The pks among `pks` of rows of `model` that deleting would be refused for: a
    `PROTECT` or `RESTRICT` foreign key points at them, or at a row their deletion would
    take with it (`CASCADE`, followed down). Found from the models' relations, whichever
    app defines them: one query for each relation, and one more for each step down."""
    return _in_use(model, set(pks), depth=0)


# How far down deletions that take others with them are followed (ladder, level,
# expectation, the records about people: three is enough).
_MAX_DEPTH = 5


def _in_use(model, pks, depth):
    found = set()
    if not pks or depth > _MAX_DEPTH:
        return found
    for relation in model._meta.related_objects:
        if not (relation.one_to_many or relation.one_to_one):
            continue
        column = relation.field.attname
        rows = relation.related_model._base_manager.filter(**{f"{column}__in": pks}).order_by()
        if relation.on_delete in (models.PROTECT, models.RESTRICT):
            found.update(rows.values_list(column, flat=True).distinct())
        elif relation.on_delete is models.CASCADE:
            children = dict(rows.values_list("pk", column))
            protected = _in_use(relation.related_model, set(children), depth + 1)
            found.update(children[child] for child in protected)
        if found >= pks:
            break
    return found


def category_in_use(key):
    """Why a ladder file cannot leave out the category `key` that is in use."""
    return (
        f"categories: '{key}' is missing, but evidence or reviews were recorded against "
        "its expectations; keep the category"
    )


# An expectation's details ---------------------------------------------------------------


def link_problem(url):
    """Why `url` cannot be a link ('' when it can): only whole http and https addresses
    (`richtext.safe_url`, which the pages apply again when they draw links)."""
    if not isinstance(url, str) or not url.strip():
        return "must be an address"
    url = url.strip()
    if len(url) > MAX_URL:
        return f"is {len(url)} characters long; at most {MAX_URL} allowed"
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        return "must not contain spaces or control characters"
    if not richtext.safe_url(url):
        return f"'{url[:60]}' is not an http or https address"
    return ""


def check_expectation_details(expectation):
    """Refuse an expectation whose examples, links or proficiency are not what a ladder
    file may hold (the admin writes them through here)."""
    errors = {}
    examples = expectation.examples
    if not isinstance(examples, list) or not all(
        isinstance(example, str) and example.strip() for example in examples
    ):
        errors["examples"] = "Examples are a list of texts."
    links = expectation.links
    if not isinstance(links, list):
        errors["links"] = "Links are a list of titles and addresses."
    else:
        for link in links:
            if not isinstance(link, dict) or set(link) != {"title", "url"}:
                errors["links"] = "Each link has a title and an address."
                break
            problem = link_problem(link["url"])
            if problem:
                errors["links"] = f"The link “{link['title']}”: its address {problem}."
                break
            if not isinstance(link["title"], str) or not link["title"].strip():
                errors["links"] = f"The link to {link['url']} needs a title."
                break
    if expectation.proficiency and expectation.level_id:
        labels = expectation.level.ladder.proficiency_labels
        if expectation.proficiency not in labels:
            errors["proficiency"] = (
                f"“{expectation.proficiency}” is not on the ladder's proficiency scale"
                + (f" ({', '.join(labels)})." if labels else ", which has no labels yet.")
            )
    if errors:
        raise ValidationError(errors)
