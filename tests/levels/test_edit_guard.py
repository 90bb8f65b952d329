"""The stale-edit guard carries what a page showed in one signed value per object and per
row (`levels.concurrency.edit_token`), not a hidden copy of every field. A value that is
missing, altered or made for another row is never trusted: the save is refused as stale
and nothing is written over anyone's change."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from levels.concurrency import UNVERIFIED_MESSAGE, edit_token
from levels.models import Category, Expectation, Level, TrackLevel

from ..adminforms import change_form_data, inline_row, post_changed
from ..factories import make_hr_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def hr(client):
    user = make_hr_user()
    client.force_login(user)
    return user


def change_url(obj):
    return reverse(f"admin:levels_{obj._meta.model_name}_change", args=[obj.pk])


def altered(token):
    """`token` with the last character of its signature changed."""
    return token[:-1] + ("A" if token[-1] != "A" else "B")


def rows_on(page):
    return sum(
        len(inline.formset.initial_forms) for inline in page.context["inline_admin_formsets"]
    )


@pytest.mark.parametrize("model", ["ladder", "level"])
def test_a_page_carries_one_guard_value_per_row_and_no_hidden_copies(
    hr, client, default_ladder, model
):
    obj = default_ladder if model == "ladder" else default_ladder.levels.get(key="pm")

    page = client.get(change_url(obj))

    content = page.content.decode()
    guards = re.findall(r'<input type="hidden" name="([\w-]*edit_token)" value=', content)
    assert rows_on(page) > 5
    assert len(guards) == len(set(guards)) == 1 + rows_on(page)  # the object and each row
    assert 'name="initial-' not in content
    assert not re.search(r'name="[\w-]+-initial-', content)


def test_a_fresh_level_edit_saves_and_keeps_what_nobody_changed(hr, client, default_ladder):
    level = default_ladder.levels.get(key="pm")

    response = post_changed(client, client.get(change_url(level)), name="Product Manager I")

    assert response.status_code == 302
    level.refresh_from_db()
    assert level.name == "Product Manager I"


@pytest.mark.parametrize("token", ["altered", "missing", "empty", "another row's"])
def test_an_edit_without_a_valid_token_is_refused_as_stale(hr, client, default_ladder, token):
    level = default_ladder.levels.get(key="pm")
    data = change_form_data(client.get(change_url(level)))
    data["name"] = "Product Manager I"
    if token == "altered":
        data["edit_token"] = altered(data["edit_token"])
    elif token == "missing":
        del data["edit_token"]
    elif token == "empty":
        data["edit_token"] = ""
    else:
        data["edit_token"] = edit_token(default_ladder.levels.get(key="senior-pm"))

    refused = client.post(change_url(level), data)

    assert refused.status_code == 200
    assert refused.context["adminform"].form.non_field_errors() == [UNVERIFIED_MESSAGE]
    level.refresh_from_db()
    assert level.name == "Product Manager"
    # The form now carries a valid token and the user's change: saving again applies it.
    assert refused.context["adminform"].form["name"].value() == "Product Manager I"
    assert client.post(change_url(level), change_form_data(refused)).status_code == 302
    level.refresh_from_db()
    assert level.name == "Product Manager I"


def test_a_token_altered_to_claim_nothing_changed_saves_nothing_over_theirs(
    hr, client, default_ladder
):
    # Someone renames Required Skills after the page was opened; the page posts the old
    # name back for that row with its token altered. The row is refused, never saved.
    page = client.get(change_url(default_ladder))
    prefix, index = inline_row(page, "category", key="skills")
    Category.objects.filter(ladder=default_ladder, key="skills").update(name="Craft")
    data = change_form_data(page)
    key = f"{prefix}-{index}-edit_token"
    data[key] = altered(data[key])

    response = client.post(change_url(default_ladder), data)

    assert response.status_code == 200
    assert UNVERIFIED_MESSAGE in response.content.decode()
    assert default_ladder.categories.get(key="skills").name == "Craft"


def test_a_row_whose_token_is_missing_but_left_alone_writes_nothing(hr, client, default_ladder):
    page = client.get(change_url(default_ladder))
    prefix, index = inline_row(page, "category", key="skills")
    _, other = inline_row(page, "category", key="responsibilities")
    data = change_form_data(page)
    del data[f"{prefix}-{index}-edit_token"]
    data[f"{prefix}-{other}-name"] = "What you own"
    versions = Category.history.count()

    response = client.post(change_url(default_ladder), data)

    assert response.status_code == 302
    assert default_ladder.categories.get(key="responsibilities").name == "What you own"
    assert Category.history.count() == versions + 1  # only the row that changed


def test_a_revert_with_an_altered_token_is_refused(hr, client, default_ladder):
    level = default_ladder.levels.get(key="pm")
    original = level.history.get()
    level.name = "Product Manager I"
    level.save()
    url = reverse("admin:levels_level_simple_history", args=[level.pk, original.history_id])
    token = client.get(url).context["form"]["edit_token"].value()

    response = client.post(url, {"edit_token": altered(token), "why": "Undo"})

    assert response.status_code == 200
    assert "Nothing was restored" in response.content.decode()
    level.refresh_from_db()
    assert level.name == "Product Manager I"


def grow(ladder):
    """Half again as many levels, categories, tracks and FAQ entries, and a level with
    many more expectations and comparison values."""
    level = ladder.levels.get(key="pm")
    category = ladder.categories.create(key="extra", name="Extra", position=50)
    Expectation.objects.bulk_create(
        Expectation(level=level, category=category, text=f"Extra {i}", position=50 + i)
        for i in range(40)
    )
    track = ladder.tracks.create(key="extra", name="Extra track", position=50)
    for i in range(10):
        extra = ladder.levels.create(
            key=f"extra-{i}", name=f"Extra {i}", short_name=f"X{i}", summary="s", position=50 + i
        )
        TrackLevel.objects.create(track=track, level=extra, position=i)
        TrackLevel.objects.create(track=ladder.tracks.get(key="ic"), level=extra, position=50 + i)
        aspect = ladder.aspects.create(name=f"Extra aspect {i}", position=50 + i)
        aspect.values.create(level=level, value=f"value {i}")
        ladder.faq_entries.create(question=f"Q{i}?", answer="A.", position=50 + i)
        ladder.promotion_criteria.create(name=f"Criterion {i}", position=50 + i)


@pytest.mark.parametrize("model", ["ladder", "level", "track"])
def test_change_pages_cost_the_same_queries_for_a_small_and_a_larger_ladder(
    hr, client, default_ladder, model
):
    obj = {
        "ladder": default_ladder,
        "level": default_ladder.levels.get(key="pm"),
        "track": default_ladder.tracks.get(key="ic"),
    }[model]
    url = change_url(obj)
    client.get(url)  # the session and the content types are cached from here on

    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    grow(default_ladder)
    with CaptureQueriesContext(connection) as large:
        page = client.get(url)

    assert page.status_code == 200
    assert rows_on(page) > 10
    assert len(large) == len(small), [q["sql"] for q in large]


def test_the_level_page_lists_the_rows_it_guards(hr, client, default_ladder):
    level = default_ladder.levels.get(key="pm")

    page = client.get(change_url(level))

    shown = {
        form.instance.pk
        for inline in page.context["inline_admin_formsets"]
        for form in inline.formset.initial_forms
        if isinstance(form.instance, Expectation)
    }
    assert shown == set(Level.objects.get(pk=level.pk).expectations.values_list("pk", flat=True))
