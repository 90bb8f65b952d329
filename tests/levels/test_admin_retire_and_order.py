"""Retiring tracks and categories, ordering rows, and stale edits of inline rows in the
ladder admin."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from assessments import evidence as evidence_service
from assessments import services as people
from assessments.forms import AssignLevelForm
from assessments.models import Evidence
from levels import importplan, ladderfile, selectors, services
from levels.models import Category, Expectation, Level, Track, TrackLevel

from ..adminforms import inline_prefix, inline_row, post_changed
from ..factories import make_hr_user

pytestmark = pytest.mark.django_db


def ladder_url(ladder):
    return reverse("admin:levels_ladder_change", args=[ladder.pk])


# Tracks ------------------------------------------------------------------------------


def test_hr_retires_a_track_in_use_and_people_on_it_keep_it(org, client):
    client.force_login(make_hr_user())
    track = org.ladder.tracks.get(key="management")
    on_it = org.manager

    response = client.post(
        reverse("admin:levels_track_changelist"),
        {"action": "retire_selected", "_selected_action": [track.pk]},
        follow=True,
    )

    assert b"Retired 1." in response.content
    track.refresh_from_db()
    assert not track.is_active
    on_it.refresh_from_db()
    assert on_it.track == track
    assert [path.track.key for path in selectors.track_paths(org.ladder)] == ["ic"]
    ladder_page = client.get(reverse("levels:ladder", args=[org.ladder.slug]))
    assert [path.track for path in ladder_page.context["overview"].paths] == [
        org.ladder.tracks.get(key="ic")
    ]


def test_a_retired_track_leaves_the_level_picker_and_takes_nobody_new(org):
    track = org.ladder.tracks.get(key="management")
    services.retire(Track.objects.filter(pk=track.pk))
    track.refresh_from_db()

    form = AssignLevelForm(employee=org.report, paths=selectors.track_paths(org.ladder), based_on=0)
    groups = [label for label, _ in form.fields["placement"].choices]

    assert not any("Management" in str(label) for label in groups)
    with pytest.raises(ValidationError) as refused:
        people.assign_level(
            employee=org.report,
            level=org.ladder.levels.get(key="pm-manager"),
            track=track,
            effective_on=timezone.localdate(),
            by=org.manager.user,
        )
    assert "retired" in str(refused.value)


def test_deleting_a_track_in_use_is_refused_with_the_way_out(org, client):
    client.force_login(make_hr_user())
    track = org.ladder.tracks.get(key="management")

    page = client.get(reverse("admin:levels_track_delete", args=[track.pk]))
    client.post(reverse("admin:levels_track_delete", args=[track.pk]), {"post": "yes"})

    assert "is in use, so it cannot be deleted" in page.content.decode()
    assert Track.objects.filter(pk=track.pk).exists()


def test_an_import_retires_a_missing_track_that_people_are_on(org):
    spec = selectors.ladder_spec(org.ladder)
    ic_only = {"ic"}
    spec["tracks"] = [track for track in spec["tracks"] if track["key"] in ic_only]
    managers = {"pm-manager", "director", "vp", "cpo"}
    for level in spec["levels"]:
        if level["key"] in managers:
            level["active"] = False
    spec = ladderfile.check(spec)

    plan = importplan.plan_import(spec)
    services.import_ladder(spec=spec, replace=True)

    (change,) = [c for c in plan.sections[2].changes if c.key == "management"]
    assert change.action == importplan.RETIRE
    track = Track.objects.get(ladder=org.ladder, key="management")
    assert not track.is_active
    # It keeps its levels, so the ladder still exports to a file that imports.
    assert track.track_levels.count() == 7
    exported = ladderfile.read(ladderfile.dump(selectors.ladder_spec(org.ladder)).encode())
    assert not importplan.plan_import(exported).summary()


def test_an_unused_track_missing_from_a_file_is_deleted(default_ladder):
    spare = Track.objects.create(ladder=default_ladder, key="spare", name="Spare", position=9)
    TrackLevel.objects.create(track=spare, level=default_ladder.levels.first(), position=0)
    spec = ladderfile.check(selectors.ladder_spec(default_ladder))
    spec["tracks"] = [track for track in spec["tracks"] if track["key"] != "spare"]

    services.import_ladder(spec=spec, replace=True)

    assert not Track.objects.filter(pk=spare.pk).exists()


# Categories --------------------------------------------------------------------------


def test_hr_retires_a_category_and_its_expectations_leave_the_pages(org, client):
    client.force_login(make_hr_user())
    category = org.ladder.categories.get(key="skills")
    expectation = Expectation.objects.filter(level=org.report.level, category=category).first()
    evidence_service.record_evidence(
        employee=org.report,
        expectation=expectation,
        observed_on=timezone.localdate() - datetime.timedelta(days=3),
        description="Ran the discovery interviews.",
        by=org.manager.user,
        visibility=Evidence.Visibility.SHARED,
    )
    page = client.get(ladder_url(org.ladder))
    prefix, index = inline_row(page, "category", key="skills")

    response = post_changed(client, page, **{f"{prefix}-{index}-is_active": None})

    assert response.status_code == 302
    category.refresh_from_db()
    assert not category.is_active
    level_page = client.get(
        reverse("levels:level", args=[org.ladder.slug, org.report.level.key])
    ).content.decode()
    assert category.name not in level_page
    assert expectation.text not in level_page
    groups = evidence_service.expectation_choices(org.report, every_level=True)
    offered = {pk for _, choices in groups for pk, _ in choices}
    assert expectation.pk not in offered
    assert org.report.evidence.filter(expectation=expectation).exists()


def test_deleting_a_category_in_use_is_refused_with_the_way_out(org, client):
    client.force_login(make_hr_user())
    category = org.ladder.categories.get(key="skills")
    expectation = Expectation.objects.filter(level=org.report.level, category=category).first()
    evidence_service.record_evidence(
        employee=org.report,
        expectation=expectation,
        observed_on=timezone.localdate(),
        description="Ran the discovery interviews.",
        by=org.manager.user,
        visibility=Evidence.Visibility.SHARED,
    )
    page = client.get(ladder_url(org.ladder))
    prefix, index = inline_row(page, "category", key="skills")

    response = post_changed(client, page, **{f"{prefix}-{index}-DELETE": "on"})

    assert response.status_code == 200
    assert b"untick Active instead to retire it" in response.content
    assert Category.objects.filter(pk=category.pk).exists()


def test_a_retired_category_travels_in_ladder_files(default_ladder):
    Category.objects.filter(ladder=default_ladder, key="skills").update(is_active=False)
    spec = selectors.ladder_spec(default_ladder)

    text = ladderfile.dump(spec)
    again = ladderfile.read(text.encode(), name="pm.yaml")

    assert "active: false" in text
    (skills,) = [c for c in again["categories"] if c["key"] == "skills"]
    assert skills["active"] is False
    assert any("skills" in level["expectations"] for level in again["levels"])
    # Importing the file back changes nothing, however often.
    assert not importplan.plan_import(again).summary()
    count = Expectation.objects.filter(level__ladder=default_ladder).count()
    versions = Expectation.history.count()
    services.import_ladder(spec=again, replace=True)
    services.import_ladder(spec=again, replace=True)
    assert Expectation.objects.filter(level__ladder=default_ladder).count() == count
    assert Expectation.history.count() == versions


def test_a_file_can_retire_and_bring_back_a_category(default_ladder):
    spec = selectors.ladder_spec(default_ladder)
    for category in spec["categories"]:
        if category["key"] == "skills":
            category["active"] = False
    spec = ladderfile.check(spec)

    plan = importplan.plan_import(spec)
    services.import_ladder(spec=spec, replace=True)

    assert "categories: 1 changed" in plan.summary()
    assert not default_ladder.categories.get(key="skills").is_active
    spec["categories"][1]["active"] = True
    services.import_ladder(spec=spec, replace=True)
    assert default_ladder.categories.get(key="skills").is_active


def test_retiring_a_track_warns_of_levels_left_on_no_active_track(org, client):
    client.force_login(make_hr_user())
    track = org.ladder.tracks.get(key="management")

    response = client.post(
        reverse("admin:levels_track_changelist"),
        {"action": "retire_selected", "_selected_action": [track.pk]},
        follow=True,
    )

    content = response.content.decode()
    assert "Product Manager Manager, Director of Product, VP of Product, Chief Product" in content
    assert "now on no active track" in content
    # The ladder still exports to a file that imports unchanged.
    exported = ladderfile.read(ladderfile.dump(selectors.ladder_spec(org.ladder)).encode())
    assert not importplan.plan_import(exported).summary()


def test_unticking_a_track_on_the_ladder_page_warns_too(default_ladder, client):
    client.force_login(make_hr_user())
    page = client.get(ladder_url(default_ladder))
    prefix, index = inline_row(page, "track", key="management")

    response = post_changed(client, page, **{f"{prefix}-{index}-is_active": None})

    assert response.status_code == 302
    assert "now on no active track" in client.get(response.url).content.decode()


def test_a_persons_page_leaves_out_retired_categories(org, client):
    category = org.ladder.categories.get(key="skills")
    services.retire(Category.objects.filter(pk=category.pk))
    client.force_login(org.report.user)

    page = client.get(reverse("assessments:me")).content.decode()

    assert category.name not in page


# Order -------------------------------------------------------------------------------


def test_hr_reorders_levels_on_the_ladder_page(default_ladder, client):
    client.force_login(make_hr_user())
    page = client.get(ladder_url(default_ladder))
    prefix, pm = inline_row(page, "level", key="pm")
    _, senior = inline_row(page, "level", key="senior-pm")
    pm_position = Level.objects.get(ladder=default_ladder, key="pm").position
    senior_position = Level.objects.get(ladder=default_ladder, key="senior-pm").position

    response = post_changed(
        client,
        page,
        **{f"{prefix}-{pm}-position": senior_position, f"{prefix}-{senior}-position": pm_position},
    )

    assert response.status_code == 302
    keys = [level.key for level in selectors.ladder_overview(default_ladder.slug).levels]
    assert keys.index("senior-pm") < keys.index("pm")


def test_hr_swaps_two_levels_on_a_track(default_ladder, client):
    client.force_login(make_hr_user())
    track = default_ladder.tracks.get(key="ic")
    page = client.get(reverse("admin:levels_track_change", args=[track.pk]))
    first, second = TrackLevel.objects.filter(track=track)[:2]
    prefix, a = inline_row(page, "tracklevel", pk=first.pk)
    _, b = inline_row(page, "tracklevel", pk=second.pk)

    response = post_changed(
        client,
        page,
        **{f"{prefix}-{a}-position": second.position, f"{prefix}-{b}-position": first.position},
    )

    assert response.status_code == 302
    (path,) = [p for p in selectors.track_paths(default_ladder) if p.track == track]
    assert [level.pk for level in path.levels[:2]] == [second.level_id, first.level_id]


def test_pickers_on_a_level_page_offer_only_its_ladder(default_ladder, client):
    other = services.duplicate_ladder(ladder=default_ladder, slug="other", name="Other")
    client.force_login(make_hr_user())
    level = default_ladder.levels.get(key="pm")

    page = client.get(reverse("admin:levels_level_change", args=[level.pk]))

    prefix = inline_prefix(page, "expectation")
    (inline,) = [i for i in page.context["inline_admin_formsets"] if i.formset.prefix == prefix]
    offered = {pk for pk, _ in inline.formset.forms[0].fields["category"].choices if pk}
    assert {int(str(pk)) for pk in offered} == set(
        default_ladder.categories.values_list("pk", flat=True)
    )
    assert not offered & set(other.categories.values_list("pk", flat=True))


# Stale inline rows -------------------------------------------------------------------


def edit_a_category_while_skills_is_renamed(client, ladder, key, name):
    """Open the ladder page, let someone else rename Required Skills to Craft, then save
    `name` for the category `key` from the page as it was opened."""
    page = client.get(ladder_url(ladder))
    prefix, index = inline_row(page, "category", key=key)
    Category.objects.filter(ladder=ladder, key="skills").update(name="Craft")
    return post_changed(client, page, **{f"{prefix}-{index}-name": name})


def test_a_stale_inline_row_is_refused_and_nothing_is_overwritten(default_ladder, client):
    client.force_login(make_hr_user())

    response = edit_a_category_while_skills_is_renamed(client, default_ladder, "skills", "Know-how")

    assert response.status_code == 200
    content = response.content.decode()
    assert "Someone else saved this after you opened it" in content
    assert 'value="Know-how"' in content
    assert "Someone else saved this after you opened it, changing name." in content
    assert "(you both changed name: yours is in the form)" in content
    assert default_ladder.categories.get(key="skills").name == "Craft"
    # Having seen theirs, saving again applies the change.
    assert post_changed(client, response).status_code == 302
    assert default_ladder.categories.get(key="skills").name == "Know-how"


def test_a_change_to_another_row_saves_without_undoing_theirs(default_ladder, client):
    client.force_login(make_hr_user())

    response = edit_a_category_while_skills_is_renamed(
        client, default_ladder, "responsibilities", "What you own"
    )

    assert response.status_code == 302
    assert default_ladder.categories.get(key="skills").name == "Craft"
    assert default_ladder.categories.get(key="responsibilities").name == "What you own"


# Query counts ------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["ladder", "level", "track", "aspect", "expectation"])
def test_changelists_cost_the_same_however_many_rows(
    default_ladder, client, django_assert_max_num_queries, model
):
    client.force_login(make_hr_user())
    url = reverse(f"admin:levels_{model}_changelist")
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200
    for index in range(4):
        services.duplicate_ladder(ladder=default_ladder, slug=f"copy-{index}", name=f"Copy {index}")

    with django_assert_max_num_queries(12):
        response = client.get(url)

    assert response.status_code == 200
    assert response.context["cl"].result_count > 1


@pytest.mark.parametrize("model", ["ladder", "level", "track"])
def test_change_pages_cost_the_same_however_big_the_ladder(
    default_ladder, client, django_assert_max_num_queries, model
):
    client.force_login(make_hr_user())
    obj = {
        "ladder": default_ladder,
        "level": default_ladder.levels.get(key="pm"),
        "track": default_ladder.tracks.get(key="ic"),
    }[model]

    url = reverse(f"admin:levels_{model}_change", args=[obj.pk])
    with django_assert_max_num_queries(30):
        assert client.get(url).status_code == 200
    # Grow what the page lists: expectations, comparison values, track places, FAQ.
    level = default_ladder.levels.get(key="pm")
    category = default_ladder.categories.first()
    Expectation.objects.bulk_create(
        Expectation(level=level, category=category, text=f"Extra {i}", position=50 + i)
        for i in range(40)
    )
    for i in range(10):
        aspect = default_ladder.aspects.create(name=f"Extra aspect {i}", position=50 + i)
        aspect.values.create(level=level, value=f"value {i}")
        extra = default_ladder.levels.create(
            key=f"extra-{i}", name=f"Extra {i}", short_name=f"X{i}", summary="s", position=50 + i
        )
        TrackLevel.objects.create(
            track=default_ladder.tracks.get(key="ic"), level=extra, position=50 + i
        )
        default_ladder.faq_entries.create(question=f"Q{i}?", answer="A.", position=50 + i)

    with django_assert_max_num_queries(30):
        response = client.get(url)

    assert response.status_code == 200
