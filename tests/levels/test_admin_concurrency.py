"""Two HR people editing the same ladder object: the later save is refused."""

import pytest
from django.urls import reverse

from levels.concurrency import fingerprint, read_token
from levels.models import Level

from ..adminforms import change_form_data
from ..factories import make_hr_user

pytestmark = pytest.mark.django_db


def level_form(level, **changes):
    data = {
        "ladder": level.ladder_id,
        "key": level.key,
        "name": level.name,
        "short_name": level.short_name,
        "code": level.code,
        "grade": level.grade,
        "summary": level.summary,
        "next_step": level.next_step,
        "position": level.position,
        "is_active": "on",
        "expectations-TOTAL_FORMS": "0",
        "expectations-INITIAL_FORMS": "0",
        "aspect_values-TOTAL_FORMS": "0",
        "aspect_values-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return data


def test_a_stale_edit_is_refused_and_nothing_is_overwritten(default_ladder, client):
    client.force_login(make_hr_user())
    level = default_ladder.levels.get(key="pm")
    url = reverse("admin:levels_level_change", args=[level.pk])
    opened = client.get(url).context["adminform"].form["edit_token"].value()
    assert read_token(Level, level.pk, opened)["v"] == fingerprint(level)
    Level.objects.filter(pk=level.pk).update(name="Product Manager II")  # someone else saves

    response = client.post(url, level_form(level, name="Product Manager I", edit_token=opened))

    assert response.status_code == 200  # the form again, not a redirect
    content = response.content.decode()
    assert "Someone else saved this after you opened it" in content
    assert 'value="Product Manager I"' in content  # their input is kept
    level.refresh_from_db()
    assert level.name == "Product Manager II"


def test_a_fresh_edit_saves(default_ladder, client):
    client.force_login(make_hr_user())
    level = default_ladder.levels.get(key="pm")
    url = reverse("admin:levels_level_change", args=[level.pk])
    opened = client.get(url).context["adminform"].form["edit_token"].value()

    response = client.post(url, level_form(level, name="Product Manager I", edit_token=opened))

    assert response.status_code == 302
    level.refresh_from_db()
    assert level.name == "Product Manager I"


def test_adding_needs_no_token(default_ladder, client):
    client.force_login(make_hr_user())
    response = client.post(
        reverse("admin:levels_level_add"),
        level_form(default_ladder.levels.get(key="pm"), key="new-level", name="New level"),
    )

    assert response.status_code == 302
    assert default_ladder.levels.filter(key="new-level").exists()


def test_a_refused_edit_shows_their_version_with_mine_on_top_and_saves_again(
    default_ladder, client
):
    mine, theirs = make_hr_user(), make_hr_user(first_name="Ada", last_name="Other")
    level = default_ladder.levels.get(key="pm")
    url = reverse("admin:levels_level_change", args=[level.pk])
    client.force_login(mine)
    opened = change_form_data(client.get(url))
    # Ada saves a new summary and code from her own page meanwhile.
    client.force_login(theirs)
    their_data = change_form_data(client.get(url))
    their_data.update(summary="Owns a product area.", code="L4a")
    assert client.post(url, their_data).status_code == 302
    client.force_login(mine)
    opened.update(name="Product Manager I", code="P4")

    refused = client.post(url, opened)

    assert refused.status_code == 200
    message = refused.context["adminform"].form.non_field_errors()[0]
    assert message.startswith("Ada Other saved this at ")
    assert "changing code, summary." in message
    assert "(you both changed code: yours is in the form)" in message
    form = refused.context["adminform"].form
    assert form["summary"].value() == "Owns a product area."  # theirs, shown
    assert form["name"].value() == "Product Manager I"  # mine, kept
    assert form["code"].value() == "P4"
    assert "Change level" in refused.content.decode()
    assert b"<h2>Product Manager</h2>" in refused.content  # the title is the saved name
    level.refresh_from_db()
    assert (level.name, level.code) == ("Product Manager", "L4a")

    again = client.post(url, change_form_data(refused))

    assert again.status_code == 302
    level.refresh_from_db()
    assert (level.name, level.code, level.summary) == (
        "Product Manager I",
        "P4",
        "Owns a product area.",
    )


def test_a_page_posted_by_a_browser_with_multi_line_text_is_unchanged(default_ladder, client):
    # Browsers send line breaks in text areas as CR LF; the ladder stores LF.
    client.force_login(make_hr_user())
    track = default_ladder.tracks.get(key="ic")
    assert "\n" in track.best_for
    url = reverse("admin:levels_track_change", args=[track.pk])
    data = change_form_data(client.get(url))
    data["best_for"] = data["best_for"].replace("\n", "\r\n")
    versions = track.history.count()

    assert client.post(url, data).status_code == 302

    assert track.history.count() == versions
    track.refresh_from_db()
    assert "\r" not in track.best_for
