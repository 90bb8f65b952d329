"""Why ladder data changes: every change form of ladder data has an optional "why" box,
below the lists on the page; what it says is the reason of every version the save writes,
the object's and its lists' rows alike, and the history page shows it."""

import pytest
from django.contrib import admin
from django.urls import reverse

from levels import history
from levels.admin import LadderDataAdmin
from levels.models import Expectation, Ladder, Level

from ..adminforms import change_form_data, inline_row
from ..factories import make_hr_user

pytestmark = pytest.mark.django_db

LABEL = "Why is this changing? (optional)"


def change_url(obj):
    return reverse(f"admin:levels_{obj._meta.model_name}_change", args=[obj.pk])


@pytest.fixture
def hr(client):
    user = make_hr_user()
    client.force_login(user)
    return user


def ladder_data_models():
    return [
        model
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, LadderDataAdmin)
    ]


@pytest.mark.parametrize("model", ladder_data_models(), ids=lambda model: model.__name__)
def test_every_ladder_data_form_asks_why(hr, client, default_ladder, model):
    obj = model.objects.filter(pk__in=_ids_on(default_ladder, model)).first()

    change = client.get(change_url(obj))
    add = client.get(reverse(f"admin:levels_{model._meta.model_name}_add"))

    for page in (change, add):
        content = page.content.decode()
        assert page.status_code == 200
        assert LABEL in content
        assert "Kept in the history with the change" in content
        assert 'name="why"' in content
    # Below the lists on the page, just above the save buttons.
    content = change.content.decode()
    if model is not Expectation:  # the one without lists
        assert content.index('id="change-reason"') > content.rindex("inline-group")
    assert content.index('id="change-reason"') < content.rindex('name="_save"')


def _ids_on(ladder, model):
    if model is Ladder:
        return [ladder.pk]
    if model is Expectation:
        return Expectation.objects.filter(level__ladder=ladder).values("pk")
    return model.objects.filter(ladder=ladder).values("pk")


def test_a_ladder_change_records_why(hr, client, default_ladder):
    url = change_url(default_ladder)
    data = change_form_data(client.get(url))
    data["description"] = "Rewritten for 2027."
    data["why"] = "The leadership team asked for a shorter description."

    response = client.post(url, data)

    assert response.status_code == 302
    latest = default_ladder.history.first()
    assert latest.description == "Rewritten for 2027."
    assert latest.history_change_reason == "The leadership team asked for a shorter description."
    assert latest.history_user == hr
    page = client.get(reverse("admin:levels_ladder_history", args=[default_ladder.pk]))
    assert "The leadership team asked for a shorter description." in page.content.decode()


def test_a_level_and_its_expectations_changed_together_share_the_reason(hr, client, default_ladder):
    level = default_ladder.levels.get(key="pm")
    url = change_url(level)
    page = client.get(url)
    first, second = level.expectations.all()[:2]
    prefix, changed = inline_row(page, "expectation", pk=first.pk)
    _, deleted = inline_row(page, "expectation", pk=second.pk)
    data = change_form_data(page)
    data["summary"] = "Owns a product area."
    data[f"{prefix}-{changed}-text"] = "Own a product area end to end."
    data[f"{prefix}-{deleted}-DELETE"] = "on"
    data["why"] = "Calibration 2026 found the wording vague."

    response = client.post(url, data)

    assert response.status_code == 302
    reasons = {
        level.history.first().history_change_reason,
        Expectation.history.filter(id=first.pk).first().history_change_reason,
        Expectation.history.filter(id=second.pk).first().history_change_reason,
    }
    assert reasons == {"Calibration 2026 found the wording vague."}
    assert Expectation.history.filter(id=second.pk).first().history_type == "-"
    assert history.current() is None  # the reason ends with the save


def test_a_change_to_the_lists_alone_carries_the_reason(hr, client, default_ladder):
    level = default_ladder.levels.get(key="pm")
    versions = level.history.count()
    url = change_url(level)
    page = client.get(url)
    expectation = level.expectations.first()
    prefix, index = inline_row(page, "expectation", pk=expectation.pk)
    data = change_form_data(page)
    data[f"{prefix}-{index}-text"] = "Reworded."
    data["why"] = "Typo."

    assert client.post(url, data).status_code == 302

    assert level.history.count() == versions  # the level itself did not change
    latest = Expectation.history.filter(id=expectation.pk).first()
    assert (latest.text, latest.history_change_reason) == ("Reworded.", "Typo.")


def test_a_reason_alone_changes_nothing(hr, client, default_ladder):
    url = change_url(default_ladder)
    data = change_form_data(client.get(url))
    data["why"] = "Just looking."
    versions = Ladder.history.count()

    assert client.post(url, data).status_code == 302

    assert Ladder.history.count() == versions


def test_no_reason_is_fine(hr, client, default_ladder):
    level = default_ladder.levels.get(key="pm")
    url = change_url(level)
    data = change_form_data(client.get(url))
    data["name"] = "Product Manager I"

    assert client.post(url, data).status_code == 302

    latest = level.history.first()
    assert (latest.name, latest.history_change_reason) == ("Product Manager I", None)
    page = client.get(reverse("admin:levels_level_history", args=[level.pk]))
    assert "Why:" not in page.content.decode().split("Product Manager I")[0]


def test_the_longest_reason_is_kept_whole(hr, client, default_ladder):
    url = change_url(default_ladder)
    data = change_form_data(client.get(url))
    data["description"] = "Shorter."
    data["why"] = "w" * history.REASON_MAX_LENGTH

    assert client.post(url, data).status_code == 302

    assert default_ladder.history.first().history_change_reason == data["why"]


def test_an_over_long_reason_is_a_form_error_and_nothing_is_saved(hr, client, default_ladder):
    url = change_url(default_ladder)
    data = change_form_data(client.get(url))
    data["description"] = "Shorter."
    data["why"] = "w" * (history.REASON_MAX_LENGTH + 1)

    response = client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["why"] == [
        "Ensure this value has at most 500 characters (it has 501)."
    ]
    assert "at most 500 characters" in response.content.decode()
    default_ladder.refresh_from_db()
    assert default_ladder.description != "Shorter."


def test_a_read_only_page_does_not_ask_why(client, default_ladder):
    client.force_login(make_hr_user("view_level"))
    level = default_ladder.levels.get(key="pm")

    page = client.get(change_url(level))

    assert page.status_code == 200
    assert LABEL not in page.content.decode()


def test_retiring_keeps_its_own_reason(hr, client, default_ladder):
    level = default_ladder.levels.get(key="pm")

    client.post(
        reverse("admin:levels_level_changelist"),
        {"action": "retire_selected", "_selected_action": [level.pk]},
    )

    assert Level.history.filter(id=level.pk).first().history_change_reason == "Retired"


def test_a_reason_made_by_code_is_cut_to_fit_the_history(default_ladder):
    level = default_ladder.levels.get(key="pm")
    level.summary = "Changed."

    with history.reason("Imported from " + "x" * 1000):
        level.save()

    kept = level.history.first().history_change_reason
    assert len(kept) == history.STORED_REASON_MAX_LENGTH
    assert kept.startswith("Imported from xxx")
