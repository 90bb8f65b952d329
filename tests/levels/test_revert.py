"""Reverting ladder data to an earlier version: the version page is read-only, shows the
difference from today and asks why; a revert restores exactly the version's stored
values (never anything posted), records why, needs the change permission, and is refused
when the object changed since the page was shown or has been deleted."""

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from levels import history
from levels.concurrency import edit_token
from levels.models import Level

from ..factories import UserFactory, make_hr_user

pytestmark = pytest.mark.django_db


def version_url(obj, version):
    name = f"admin:levels_{obj._meta.model_name}_simple_history"
    return reverse(name, args=[obj.pk, version.history_id])


def revert_data(page, **extra):
    """What the version page's form sends: the fingerprint it was shown with, and why."""
    return {"edit_token": page.context["form"]["edit_token"].value(), "why": "", **extra}


@pytest.fixture
def hr(client):
    user = make_hr_user(first_name="Hilde", last_name="Romero")
    client.force_login(user)
    return user


@pytest.fixture
def renamed(default_ladder):
    """The PM level, renamed and retired since its first version: (level, that version)."""
    level = default_ladder.levels.get(key="pm")
    original = level.history.get()
    level.name, level.summary, level.is_active = "Product Manager I", "Changed.", False
    level.save()
    return level, original


def test_the_version_page_is_read_only_with_the_difference_from_today(hr, client, renamed):
    level, original = renamed

    page = client.get(version_url(level, original))

    assert page.status_code == 200
    content = page.content.decode()
    assert 'name="name"' not in content  # no box for any of the level's fields
    assert 'name="summary"' not in content
    assert set(page.context["form"].fields) == {"why", "edit_token"}
    assert 'id="id_why"' in content
    assert "Why go back to this version? (optional)" in content
    assert [(c.label, c.old, c.new) for c in page.context["differences"]] == [
        ("name", "Product Manager I", "Product Manager"),
        ("summary", "Changed.", original.summary),
        ("active", "no", "yes"),
    ]
    fields = {field["label"]: field for field in page.context["fields"]}
    assert fields["Name"]["value"] == "Product Manager"
    assert fields["Name"]["changed"]
    assert fields["Ladder"]["value"] == "Product Management"
    assert not fields["Ladder"]["changed"]


def expectation_texts(page):
    (expectations,) = [part for part in page.context["parts"] if part["title"] == "Expectations"]
    assert expectations["labels"] == ["Category", "Text", "Position", "Active"]
    return [row[1] for row in expectations["rows"]]


def test_the_version_page_lists_its_parts_as_they_stood_then(hr, client, default_ladder):
    level = default_ladder.levels.get(key="pm")
    original = level.history.get()
    level.name = "Product Manager I"
    level.save()
    expectation = level.expectations.first()
    old_text = expectation.text
    expectation.text = "Reworded later."
    expectation.save()
    level.expectations.exclude(pk=expectation.pk).last().delete()

    first = client.get(version_url(level, original))
    latest = client.get(version_url(level, level.history.first()))

    # Until the rename, the level's expectations were the original ones, all of them.
    assert old_text in expectation_texts(first)
    assert "Reworded later." not in expectation_texts(first)
    assert len(expectation_texts(first)) == level.expectations.count() + 1
    assert first.context["parts"][0]["rows"][0][0] == expectation.category.name
    # The latest version is current: its lists are today's.
    assert "Reworded later." in expectation_texts(latest)
    assert len(expectation_texts(latest)) == level.expectations.count()


def test_a_typed_value_is_never_written(hr, client, renamed, default_ladder):
    level, original = renamed
    url = version_url(level, original)
    page = client.get(url)
    other = default_ladder.levels.exclude(pk=level.pk).first()

    response = client.post(
        url,
        revert_data(page, name="Typed in", summary="Typed too", key="typed", position=99, ladder=0),
    )

    assert response.status_code == 302
    level.refresh_from_db()
    assert level.name == "Product Manager"
    assert edit_token(level) == edit_token(original.instance)  # every field as stored
    assert other.name != "Typed in"
    assert not Level.objects.filter(name__in=["Typed in"]).exists()


def test_the_reason_reaches_the_history(hr, client, renamed):
    level, original = renamed
    url = version_url(level, original)
    page = client.get(url)

    response = client.post(url, revert_data(page, why="The rename was premature."), follow=True)

    assert response.redirect_chain[-1][0] == reverse("admin:levels_level_change", args=[level.pk])
    assert "Reverted “Product Manager” to its version of" in response.content.decode()
    latest = level.history.first()
    when = history.when(original.history_date)
    assert latest.history_change_reason == (
        f"Reverted to the version of {when}: The rename was premature."
    )
    assert latest.history_user == hr
    assert latest.history_type == "~"
    entry = LogEntry.objects.get(object_id=str(level.pk))
    assert entry.get_change_message().endswith("The rename was premature.")

    listed = client.get(reverse("admin:levels_level_history", args=[level.pk]))
    assert "The rename was premature." in listed.content.decode()


def test_a_revert_without_a_reason_says_which_version(hr, client, renamed):
    level, original = renamed
    url = version_url(level, original)

    client.post(url, revert_data(client.get(url)))

    reason = level.history.first().history_change_reason
    assert reason == f"Reverted to the version of {history.when(original.history_date)}"


def test_a_long_reason_is_kept_whole(hr, client, renamed):
    level, original = renamed
    url = version_url(level, original)
    why = "w" * history.REASON_MAX_LENGTH

    client.post(url, revert_data(client.get(url), why=why))

    assert level.history.first().history_change_reason.endswith(": " + why)


def test_an_over_long_reason_is_refused(hr, client, renamed):
    level, original = renamed
    url = version_url(level, original)

    response = client.post(url, revert_data(client.get(url), why="w" * 501))

    assert response.status_code == 200
    assert response.context["form"].errors["why"]
    level.refresh_from_db()
    assert level.name == "Product Manager I"


def test_a_change_made_since_the_page_was_shown_is_refused(hr, client, renamed):
    level, original = renamed
    url = version_url(level, original)
    page = client.get(url)
    someone = make_hr_user(first_name="Sam", last_name="Other")
    level.name = "Renamed meanwhile"
    level._history_user = someone
    level.save()

    response = client.post(url, revert_data(page, why="Undo"))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Sam Other saved this at" in content
    assert "Nothing was restored" in content
    level.refresh_from_db()
    assert level.name == "Renamed meanwhile"
    # The page now compares with the latest; reverting again applies.
    assert ("name", "Renamed meanwhile", "Product Manager") in [
        (c.label, c.old, c.new) for c in response.context["differences"]
    ]
    again = client.post(url, revert_data(response))
    assert again.status_code == 302
    level.refresh_from_db()
    assert level.name == "Product Manager"


def test_a_post_without_the_fingerprint_is_refused(hr, client, renamed):
    level, original = renamed

    response = client.post(version_url(level, original), {"why": "Sneaky"})

    assert response.status_code == 200
    assert "Nothing was restored" in response.content.decode()
    level.refresh_from_db()
    assert level.name == "Product Manager I"


def test_a_version_the_rules_now_refuse_is_not_restored(hr, client, default_ladder):
    level = default_ladder.levels.get(key="pm")
    original = level.history.get()
    level.key = "pm-old"
    level.save()
    default_ladder.levels.create(key="pm", name="New PM", short_name="PMX", position=99)
    url = version_url(level, original)

    response = client.post(url, revert_data(client.get(url)))

    assert response.status_code == 200
    assert "This ladder already has a level with this key." in response.content.decode()
    assert "Nothing was restored." in response.content.decode()
    level.refresh_from_db()
    assert level.key == "pm-old"


def test_a_version_like_today_has_nothing_to_revert(hr, client, default_ladder):
    level = default_ladder.levels.get(key="pm")
    original = level.history.get()
    url = version_url(level, original)

    page = client.get(url)
    response = client.post(url, {"edit_token": edit_token(level)})

    assert b"nothing to revert" in page.content
    assert b'value="Revert"' not in page.content
    assert response.status_code == 302
    assert level.history.count() == 1


def test_a_deleted_objects_version_is_read_only(hr, client, default_ladder):
    aspect = default_ladder.aspects.create(name="Team size", position=9)
    created = aspect.history.get()
    aspect_id = aspect.pk
    aspect.delete()
    url = reverse("admin:levels_aspect_simple_history", args=[aspect_id, created.history_id])

    page = client.get(url)
    response = client.post(url, {"why": "Bring it back", "name": "Team size"}, follow=True)

    assert page.status_code == 200
    assert b"has since been deleted" in page.content
    assert b'value="Revert"' not in page.content
    assert b'name="why"' not in page.content
    assert "was deleted, so it cannot be restored" in response.content.decode()
    assert not default_ladder.aspects.filter(name="Team size").exists()


def test_view_only_hr_sees_the_version_but_cannot_revert(client, renamed):
    level, original = renamed
    client.force_login(make_hr_user("view_level"))
    url = version_url(level, original)

    page = client.get(url)
    response = client.post(url, {"edit_token": edit_token(level), "why": "Let me"})

    assert page.status_code == 200
    assert b'value="Revert"' not in page.content
    assert response.status_code == 403
    level.refresh_from_db()
    assert level.name == "Product Manager I"


@pytest.mark.parametrize("who", ["anonymous", "staff", "manager", "pm"])
def test_only_hr_opens_a_version(org, client, who):
    level = org.report.level
    original = level.history.get()
    level.name = "Renamed"
    level.save()
    if who != "anonymous":
        client.force_login(
            {
                "staff": UserFactory(is_staff=True),
                "manager": org.manager.user,
                "pm": org.report.user,
            }[who]
        )
    url = version_url(level, original)

    page = client.get(url)
    response = client.post(url, {"edit_token": edit_token(level)})

    assert page.status_code in (302, 403)
    assert response.status_code in (302, 403)
    if page.status_code == 302:
        assert "login" in page.url
    level.refresh_from_db()
    assert level.name == "Renamed"


def test_the_version_page_costs_the_same_however_long_the_lists(
    hr, client, default_ladder, django_assert_max_num_queries
):
    level = default_ladder.levels.get(key="pm")
    category = default_ladder.categories.first()
    for index in range(20):
        level.expectations.create(category=category, text=f"Extra {index}", position=100 + index)
    original = level.history.get()

    # Session, user, HR group (3); the version with its author; today's level; the
    # user's and the group's permissions (2); the ladder named in the fields; the next
    # version's date; expectations and comparison values (1 each, their related rows
    # joined); the signed-in person for the page header.
    with django_assert_max_num_queries(12):
        response = client.get(version_url(level, original))

    assert response.status_code == 200


def test_a_revert_keeps_a_ladders_status_and_origin(hr, client, default_ladder):
    """Publishing is its own action: going back to a version from the draft days changes
    the words, never who may see the ladder."""
    from levels import services

    draft = services.duplicate_ladder(ladder=default_ladder, slug="pm-2027", name="PM 2027")
    draft_version = draft.history.first()
    services.publish_ladder(ladder=draft)
    draft.refresh_from_db()
    draft.description = "Revised for 2027."
    draft.save()
    page = client.get(version_url(draft, draft_version))
    assert [c.label for c in page.context["differences"]] == ["description"]

    response = client.post(version_url(draft, draft_version), revert_data(page))

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.description == draft_version.description
    assert draft.status == "published"
    assert draft.draft_of == default_ladder
