"""Change history of ladder data: who changed what and when, bulk paths included, shown in
the admin with earlier versions that can be opened (restoring one: test_revert.py)."""

import importlib

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.urls import reverse

from assessments.selectors import HR_GROUP
from levels import changes, history, ladderfile, selectors, services
from levels.models import Category, Expectation, FAQEntry, Ladder, Level, TrackLevel

from ..adminforms import change_form_data, inline_prefix, post_changed
from ..factories import UserFactory, make_hr_user

pytestmark = pytest.mark.django_db


def level_change(client, level, **changes):
    return post_changed(
        client, client.get(reverse("admin:levels_level_change", args=[level.pk])), **changes
    )


def test_an_admin_edit_records_who_changed_what(default_ladder, client):
    hr = make_hr_user(first_name="Hilde", last_name="Romero")
    client.force_login(hr)
    level = default_ladder.levels.get(key="pm")

    response = level_change(client, level, name="Product Manager I")

    assert response.status_code == 302
    latest = level.history.first()
    assert latest.history_type == "~"
    assert latest.history_user == hr
    assert latest.name == "Product Manager I"
    assert latest.prev_record.name == "Product Manager"


def test_saving_an_unchanged_page_adds_no_version(default_ladder, client):
    client.force_login(make_hr_user())
    level = default_ladder.levels.get(key="pm")
    before = level.history.count()

    assert level_change(client, level).status_code == 302

    assert level.history.count() == before


def test_the_default_ladder_starts_its_history_with_a_reason(default_ladder):
    level = default_ladder.levels.get(key="pm")

    (created,) = level.history.all()
    assert created.history_type == "+"
    assert created.history_change_reason == "Default ladder loaded"
    assert created.history_user is None
    expectations = Expectation.history.filter(level_id=level.pk)
    assert expectations.count() == level.expectations.count()  # bulk-created rows too


def test_an_import_records_its_changes_and_a_repeat_records_none(default_ladder):
    spec = selectors.ladder_spec(default_ladder)
    spec["levels"][1]["name"] = "Product Manager I"
    spec["levels"][1]["expectations"]["responsibilities"][0] = ladderfile.expectation(
        "Own a product area end to end."
    )
    spec["faq"] = spec["faq"][:-1]
    before = {model: model.history.count() for model in (Level, Expectation, FAQEntry)}

    with history.reason("Imported from pm.yaml"):
        services.import_ladder(spec=ladderfile.check(spec), replace=True)

    level = default_ladder.levels.get(key="pm")
    assert level.history.first().history_change_reason == "Imported from pm.yaml"
    assert Level.history.count() == before[Level] + 1  # only the renamed level
    assert Expectation.history.count() == before[Expectation] + 1  # one rewording
    assert FAQEntry.history.count() == before[FAQEntry] + 1
    assert FAQEntry.history.first().history_type == "-"

    counts = {model: model.history.count() for model in (Ladder, Level, Expectation, FAQEntry)}
    services.import_ladder(spec=ladderfile.check(spec), replace=True)

    assert {model: model.history.count() for model in counts} == counts


def test_a_duplicate_records_every_copied_row(default_ladder):
    copy = services.duplicate_ladder(ladder=default_ladder, slug="pm-2027", name="PM 2027")

    assert copy.history.get().history_change_reason == "Copied from product-management"
    copied = Expectation.history.filter(level_id__in=copy.levels.values("pk"))
    assert copied.count() == Expectation.objects.filter(level__ladder=copy).count()
    assert {row.history_change_reason for row in copied} == {"Copied from product-management"}
    track_levels = TrackLevel.history.filter(track_id__in=copy.tracks.values("pk"))
    assert track_levels.count() == TrackLevel.objects.filter(track__ladder=copy).count()


def test_retiring_from_the_admin_records_the_user_and_why(org, client):
    hr = make_hr_user()
    client.force_login(hr)
    level = org.report.level

    client.post(
        reverse("admin:levels_level_changelist"),
        {"action": "retire_selected", "_selected_action": [level.pk]},
    )

    latest = level.history.first()
    assert (latest.is_active, latest.history_user, latest.history_change_reason) == (
        False,
        hr,
        "Retired",
    )


def test_the_ladder_history_lists_changes_to_its_parts(default_ladder, client):
    hr = make_hr_user(first_name="Hilde", last_name="Romero")
    client.force_login(hr)
    url = reverse("admin:levels_ladder_change", args=[default_ladder.pk])
    page = client.get(url)
    data = change_form_data(page)
    categories = inline_prefix(page, "category")
    faq = inline_prefix(page, "faqentry")
    data[f"{categories}-0-name"] = "What you own"
    data[f"{faq}-0-DELETE"] = "on"
    question = default_ladder.faq_entries.first().question

    assert client.post(url, data).status_code == 302

    response = client.get(reverse("admin:levels_ladder_history", args=[default_ladder.pk]))
    assert response.status_code == 200
    rows = response.context["page"].rows
    assert {(row.kind, row.action, row.who) for row in rows[:2]} == {
        ("category", "Changed", "Hilde Romero"),
        ("FAQ entry", "Deleted", "Hilde Romero"),
    }
    renamed = next(row for row in rows if row.kind == "category")
    assert [(f.label, f.old, f.new) for f in renamed.fields] == [
        ("name", "Key Responsibilities", "What you own")
    ]
    content = response.content.decode()
    assert "What you own" in content
    assert question in content


def test_the_history_page_pages_and_shrugs_off_a_bad_page_number(default_ladder, client):
    client.force_login(make_hr_user())
    url = reverse("admin:levels_ladder_history", args=[default_ladder.pk])

    first = client.get(url)
    second = client.get(url, {"page": "2"})
    bad = client.get(url, {"page": "many"})

    assert first.context["page"].has_next
    assert second.context["page"].number == 2
    assert {(row.kind, row.record.pk) for row in first.context["page"].rows}.isdisjoint(
        (row.kind, row.record.pk) for row in second.context["page"].rows
    )
    assert bad.status_code == 200
    assert bad.context["page"].number == 1


def test_the_history_page_costs_the_same_however_much_changed(
    default_ladder, client, django_assert_max_num_queries
):
    client.force_login(make_hr_user())
    for index in range(30):
        for level in default_ladder.levels.all():
            level.summary = f"Summary, take {index}"
            level.save()
    url = reverse("admin:levels_ladder_history", args=[default_ladder.pk])

    with django_assert_max_num_queries(25):
        response = client.get(url)

    assert response.status_code == 200
    assert len(response.context["page"].rows) == 25
    assert all(row.fields for row in response.context["page"].rows)


@pytest.mark.parametrize("who", ["anonymous", "staff", "manager", "pm"])
def test_only_hr_reads_the_history(org, client, who):
    if who != "anonymous":
        client.force_login(
            {
                "staff": UserFactory(is_staff=True),
                "manager": org.manager.user,
                "pm": org.report.user,
            }[who]
        )
    ladder = Ladder.objects.get()

    response = client.get(reverse("admin:levels_ladder_history", args=[ladder.pk]))

    assert response.status_code == 302
    assert "login" in response.url


def test_hr_without_view_permission_is_refused(default_ladder, client):
    client.force_login(make_hr_user("view_level"))

    response = client.get(reverse("admin:levels_ladder_history", args=[default_ladder.pk]))

    assert response.status_code == 403


def test_the_change_feed_names_parts_whose_rows_are_gone(default_ladder):
    track_level = TrackLevel.objects.filter(track__ladder=default_ladder).first()
    level_name = track_level.level.name
    track_level.delete()

    page = changes.change_page(default_ladder)

    deleted = page.rows[0]
    assert (deleted.kind, deleted.action) == ("track level", "Deleted")
    assert deleted.name.startswith(level_name)


def test_history_starts_for_data_that_predates_it(default_ladder):
    migration = importlib.import_module("levels.migrations.0005_history_baseline")
    Category.history.all().delete()

    migration.record_baseline(apps, None)

    assert Category.history.count() == default_ladder.categories.count()
    assert {row.history_change_reason for row in Category.history.all()} == {"History starts"}


def test_hr_cannot_edit_histories_by_hand(db):
    codenames = Group.objects.get(name=HR_GROUP).permissions.values_list("codename", flat=True)

    assert not [code for code in codenames if "historical" in code]


def test_a_change_at_the_end_of_a_long_text_shows_where_it_is(default_ladder):
    ladder = Ladder.objects.get(pk=default_ladder.pk)
    before = ladder.description
    assert len(before) > 200
    ladder.description = before + " Reviewed every spring."
    ladder.save()

    (change,) = changes.change_page(ladder).rows[0].fields

    assert change.label == "description"
    assert change.old.startswith("…")
    assert change.old.endswith(before[-20:])
    assert change.new.startswith("…")
    assert change.new.endswith("Reviewed every spring.")
    assert len(change.new) < 100


def test_the_history_shows_one_kind_of_row_on_request(default_ladder, client):
    client.force_login(make_hr_user())
    url = reverse("admin:levels_ladder_history", args=[default_ladder.pk])

    only_ladder = client.get(url, {"kind": "ladder"})
    unknown = client.get(url, {"kind": "user"})

    assert [row.kind for row in only_ladder.context["page"].rows] == ["ladder"]
    assert "the ladder itself" in only_ladder.content.decode()
    assert unknown.context["kind"] == ""
    assert len({row.kind for row in unknown.context["page"].rows}) > 1


@pytest.mark.parametrize(
    "path",
    [
        "/admin/levels/level/abc/history/1/",
        "/admin/levels/level/1/history/abc/",
        "/admin/levels/level/1/history/99999999/",
    ],
)
def test_a_bad_version_address_is_not_found(default_ladder, client, path):
    client.force_login(make_hr_user())

    assert client.get(path).status_code == 404


def test_a_page_number_beyond_reason_shows_the_last_pages(default_ladder, client):
    client.force_login(make_hr_user())
    url = reverse("admin:levels_ladder_history", args=[default_ladder.pk])

    response = client.get(url, {"page": "99999999999999999999"})

    assert response.status_code == 200
    assert response.context["page"].number == changes.MAX_PAGE


def test_view_only_hr_cannot_retire_or_bring_back(default_ladder, client):
    client.force_login(make_hr_user("view_level"))
    level = default_ladder.levels.get(key="pm")
    url = reverse("admin:levels_level_changelist")

    client.post(url, {"action": "retire_selected", "_selected_action": [level.pk]})

    level.refresh_from_db()
    assert level.is_active
    assert level.history.count() == 1
