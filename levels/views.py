"""Pages for browsing ladders: a published ladder is open to every signed-in user; a draft
or a retired ladder only to HR, with a banner saying so (`assessments.access`), and 404 for
anyone else."""

from django.db.models import prefetch_related_objects
from django.shortcuts import render
from django.urls import reverse

from assessments import access

from . import careerpath, selectors
from .structure import ladder_structure

MAX_COMPARED = 3


def ladder_list(request):
    ladders = selectors.ladders_with_counts(access.visible_ladders(request.user))
    published = [ladder for ladder in ladders if ladder.is_published]
    return render(
        request,
        "levels/ladder_list.html",
        {
            "ladders": published,
            # HR only: drafts first, then retired ladders.
            "hidden_ladders": sorted(
                (ladder for ladder in ladders if not ladder.is_published),
                key=lambda ladder: ladder.is_retired,
            ),
        },
    )


def ladder_detail(request, slug):
    overview = selectors.ladder_overview(slug, ladders=access.visible_ladders(request.user))
    _link(overview.ladder, overview.levels, *(path.levels for path in overview.paths))
    return render(
        request,
        "levels/ladder_detail.html",
        {
            "overview": overview,
            "ladder": overview.ladder,
            "career_paths": _career_paths(overview.paths),
        },
    )


def level_detail(request, slug, key):
    page = selectors.level_page(slug, key, ladders=access.visible_ladders(request.user))
    _link(page.ladder, *(path.levels for path in page.paths))
    return render(
        request,
        "levels/level_detail.html",
        {
            "page": page,
            "ladder": page.ladder,
            "level": page.level,
            "career_paths": _career_paths(page.paths, current=page.level),
        },
    )


def level_urls(ladder):
    """The address of a level of `ladder` from its key, reversed once: the ladder pages link
    a few hundred levels, and a reverse costs as much as drawing the rest of the link."""
    marker = "level-key"
    url = reverse("levels:level", kwargs={"slug": ladder.slug, "key": marker})
    start, found, end = url.rpartition(marker)
    assert found, url
    return lambda key: f"{start}{key}{end}"


def _link(ladder, *level_lists):
    """Give every level in `level_lists` its page's address as `.url`."""
    url = level_urls(ladder)
    for levels in level_lists:
        for level in levels:
            level.url = url(level.key)


def _career_paths(paths, current=None):
    """The career-path picture in both shapes, as (picture, variant) pairs; empty if no tracks."""
    wide = careerpath.layout(paths, current=current)
    if wide is None:
        return []
    return [(wide, "wide"), (careerpath.layout(paths, current=current, tall=True), "tall")]


def compare(request, slug):
    ladder = access.get_ladder(request.user, slug)
    # The ladder's levels, and each step's comparison, as kept for its version: on a
    # category of a few hundred expectations the comparison costs more than the page.
    structure = ladder_structure(ladder)
    all_levels = structure.active_levels
    raw = request.GET.get("levels")
    if raw is None:
        # The picker's own fields: ?a=pm&b=senior-pm&c=
        keys = [request.GET.get(name, "") for name in ("a", "b", "c")]
        keys = [key for key in keys if key]
        submitted = bool(keys)
    else:
        keys = [key.strip() for key in raw.split(",") if key.strip()]
        submitted = True
    known = {level.key for level in all_levels}
    unknown = [key for key in keys if key not in known]
    labels = {"a": "From", "b": "To", "c": "And then (optional)"}
    pickers = [
        {"name": name, "label": label, "value": keys[index] if index < len(keys) else ""}
        for index, (name, label) in enumerate(labels.items())
    ]
    context = {"ladder": ladder, "all_levels": all_levels, "pickers": pickers, "error": ""}
    status = 200
    if unknown:
        names = ", ".join(repr(key) for key in unknown)
        context["error"] = f"This ladder has no level{'s' if len(unknown) > 1 else ''} {names}."
        status = 404
    elif submitted and len(keys) < 2:
        context["error"] = "Pick at least two levels to compare."
        status = 400
    elif len(keys) > MAX_COMPARED:
        context["error"] = f"Compare at most {MAX_COMPARED} levels at a time."
        status = 400
    elif len(set(keys)) != len(keys):
        context["error"] = "Pick different levels to compare."
        status = 400
    elif keys:
        context.update(_comparison(ladder, structure, keys))
    return render(request, "levels/compare.html", context, status=status)


def _comparison(ladder, structure, keys):
    """The levels of `keys` (active levels of `ladder`) side by side."""
    by_key = {level.key: level for level in structure.active_levels}
    levels = structure.with_expectations([by_key[key] for key in keys])
    prefetch_related_objects(levels, "aspect_values")
    categories = structure.categories
    aspects = list(ladder.aspects.all())
    columns = []
    previous = None
    for level in levels:
        columns.append(
            {
                "level": level,
                "changes": structure.comparison(previous, level),
                "previous": previous,
            }
        )
        previous = level
    # One row per category, one cell per level, so the page reads across.
    category_rows = [
        {
            "name": category.name,
            "group": category.group,
            "description": category.description,
            "cells": [column["changes"][index] for column in columns],
        }
        for index, category in enumerate(categories)
    ]
    aspect_rows = []
    for aspect in aspects:
        values = []
        for level in levels:
            value = next(
                (v.value for v in level.aspect_values.all() if v.aspect_id == aspect.pk), ""
            )
            before = values[-1]["value"] if values else ""
            values.append({"value": value, "changed": bool(before and value and value != before)})
        if any(cell["value"] for cell in values):
            aspect_rows.append({"name": aspect.name, "values": values})
    for index, column in enumerate(columns):  # the same rows, per level, for phones
        column["aspects"] = [
            {"name": row["name"], "value": row["values"][index]["value"]} for row in aspect_rows
        ]
    return {"columns": columns, "category_rows": category_rows, "aspect_rows": aspect_rows}


def promotion(request, slug):
    ladder = access.get_ladder(request.user, slug)
    return render(
        request,
        "levels/promotion.html",
        {
            "ladder": ladder,
            "criteria": ladder.promotion_criteria.all(),
            "blockers": ladder.promotion_blockers.all(),
        },
    )


def faq(request, slug):
    ladder = access.get_ladder(request.user, slug)
    return render(
        request, "levels/faq.html", {"ladder": ladder, "entries": ladder.faq_entries.all()}
    )
