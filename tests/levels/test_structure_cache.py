"""The ladder's structure is kept in the cache per version of the ladder
(`levels.structure`), and every kind of write to a ladder or its parts gives it a new
version (`models.StructureVersion`), so pages show a change at once: admin edits, saves,
imports, reverts, bulk writes, track changes, deletes, publishing, retiring and replacing."""

import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from levels import history, importplan, ladderfile, selectors, services
from levels.models import (
    Category,
    Expectation,
    Ladder,
    Level,
    PromotionBlocker,
    StructureVersion,
    Track,
    TrackLevel,
)
from levels.structure import ladder_structure
from pmladder.settings import cache_settings

from ..adminforms import post_changed
from ..factories import LadderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def version(ladder):
    return StructureVersion.objects.get(ladder=ladder).stamp


@pytest.fixture
def me(org, as_user):
    """The report's own page, as they see it now (the first visit fills the cache)."""

    def page():
        response = as_user(org.report.user).get(reverse("assessments:me"))
        assert response.status_code == 200
        return response.content.decode()

    page()
    return page


def level(org, key):
    return org.ladder.levels.get(key=key)


def first_expectation(org, key="pm"):
    return level(org, key).expectations.active().order_by("category__position", "position")[0]


# Changes through the admin and single saves --------------------------------------------------


def test_a_level_renamed_in_the_admin_shows_at_once(org, me, as_user):
    senior = level(org, "senior-pm")
    assert "Senior Product Manager" in me()
    client = as_user(org.hr)
    page = client.get(reverse("admin:levels_level_change", args=[senior.pk]))

    response = post_changed(client, page, name="Lead Product Manager")

    assert response.status_code == 302
    shown = me()
    assert "Lead Product Manager" in shown
    assert "Senior Product Manager" not in shown


def test_an_expectation_reworded_with_a_save_shows_at_once(org, me):
    before = version(org.ladder)
    expectation = first_expectation(org)
    expectation.text = "Writes the quarterly plan with the team"
    expectation.save()

    assert version(org.ladder) != before
    assert "Writes the quarterly plan with the team" in me()


def test_a_revert_shows_at_once(org, me):
    senior = level(org, "senior-pm")
    original = senior.history.get()
    senior.name = "Lead Product Manager"
    senior.save()
    assert "Lead Product Manager" in me()

    history.restore(senior.history.get(history_id=original.history_id), by=org.hr)

    shown = me()
    assert "Senior Product Manager" in shown
    assert "Lead Product Manager" not in shown


def test_a_deleted_expectation_leaves_at_once(org, me):
    expectation = first_expectation(org)
    assert expectation.text in me()

    expectation.delete()

    assert expectation.text not in me()


def version_bumps(queries):
    return [q for q in queries if q["sql"].startswith('UPDATE "levels_structureversion"')]


def test_deleting_a_level_with_its_parts_gets_one_new_version(org):
    spare = Level.objects.create(ladder=org.ladder, key="spare", name="Spare", summary="-")
    category = org.ladder.categories.first()
    for n in range(5):
        Expectation.objects.create(level=spare, category=category, text=f"Item {n}")
    before = version(org.ladder)

    with CaptureQueriesContext(connection) as queries:
        spare.delete()

    assert version(org.ladder) != before
    assert len(version_bumps(queries)) == 1


def test_a_bulk_delete_gets_one_new_version_each_time(org):
    pm = level(org, "pm")
    category = org.ladder.categories.first()
    spares = Expectation.objects.filter(level=pm, text__startswith="Spare")
    versions = [version(org.ladder)]
    for round_ in range(2):
        for n in range(3):
            Expectation.objects.create(level=pm, category=category, text=f"Spare {round_}.{n}")
        versions.append(version(org.ladder))

        with CaptureQueriesContext(connection) as queries:
            spares.delete()  # the same queryset twice

        versions.append(version(org.ladder))
        assert len(version_bumps(queries)) == 1
    assert len(set(versions)) == len(versions)


def test_a_ladder_saved_gets_a_new_version(org):
    before = version(org.ladder)
    org.ladder.description = "Revised."
    org.ladder.save(update_fields=["description"])

    assert version(org.ladder) != before


# Imports and bulk writes ----------------------------------------------------------------------


def reimport(org, change):
    spec = selectors.ladder_spec(org.ladder)
    change(spec)
    services.import_ladder(spec=ladderfile.check(spec), replace=True)


def pm_expectations(spec):
    (pm,) = [item for item in spec["levels"] if item["key"] == "pm"]
    return pm["expectations"]


def test_an_import_that_rewords_an_expectation_shows_at_once(org, me):
    def reword(spec):
        texts = pm_expectations(spec)["responsibilities"]
        texts[0] = "Runs discovery with customers every week"

    reimport(org, reword)

    assert "Runs discovery with customers every week" in me()


def test_an_import_that_adds_an_expectation_shows_at_once(org, me):
    def add(spec):
        pm_expectations(spec)["skills"].append("Reads a cohort chart")

    reimport(org, add)

    assert "Reads a cohort chart" in me()


def test_retiring_the_next_level_in_bulk_shows_at_once(org, me):
    def placement():
        """The page above its career-path picture, which names every level."""
        return me().split('aria-labelledby="career-path-heading"')[0]

    assert "Staff Product Manager" not in placement()

    services.retire(Level.objects.filter(ladder=org.ladder, key="senior-pm"))

    shown = placement()
    assert "Staff Product Manager" in shown  # next on the IC track now
    assert "Senior Product Manager" not in shown


def test_a_queryset_update_shows_at_once(org, me):
    Level.objects.filter(ladder=org.ladder, key="senior-pm").update(name="Lead Product Manager")

    assert "Lead Product Manager" in me()


def test_a_bulk_created_expectation_shows_at_once(org, me):
    pm = level(org, "pm")
    category = org.ladder.categories.get(key="skills")
    Expectation.objects.bulk_create(
        [Expectation(level=pm, category=category, text="Reads a cohort chart", position=99)]
    )

    assert "Reads a cohort chart" in me()


def test_a_bulk_update_shows_at_once(org, me):
    expectation = first_expectation(org)
    expectation.text = "Runs discovery with customers every week"
    Expectation.objects.bulk_update([expectation], ["text"])

    assert "Runs discovery with customers every week" in me()


def test_a_track_losing_a_level_shows_at_once(org, me):
    ic = org.ladder.tracks.get(key="ic")
    management = org.ladder.tracks.get(key="management")
    assert "next on both tracks" in me()

    ic.levels.remove(level(org, "senior-pm"))  # a bulk delete of track places
    management.levels.remove(level(org, "senior-pm"))

    shown = me()
    assert "Staff Product Manager" in shown
    assert "Product Manager Manager" in shown


def test_a_track_gaining_a_level_gets_a_new_version(org):
    before = version(org.ladder)
    track = Track.objects.create(ladder=org.ladder, key="new", name="New", position=9)
    middle = version(org.ladder)

    track.levels.add(level(org, "pm"), through_defaults={"position": 0})

    assert before != middle != version(org.ladder)
    assert TrackLevel.objects.filter(track=track).count() == 1


def test_a_guidance_change_gets_a_new_version(org):
    before = version(org.ladder)

    PromotionBlocker.objects.create(ladder=org.ladder, text="Never shipped")

    assert version(org.ladder) != before


# Ladders as a whole ---------------------------------------------------------------------------


def test_duplicating_gives_the_copy_its_own_version_and_leaves_the_original(org):
    before = version(org.ladder)

    copy = services.duplicate_ladder(ladder=org.ladder, slug="pm-2027", name="PM 2027")

    assert version(org.ladder) == before
    assert version(copy) != before
    assert ladder_structure(Ladder.objects.get(pk=copy.pk)).levels  # read from its own rows


def test_publishing_and_retiring_give_new_versions(org):
    draft = services.duplicate_ladder(ladder=org.ladder, slug="pm-2027", name="PM 2027")
    made = version(draft)

    services.retire_ladder(ladder=draft)
    retired = version(draft)
    services.publish_ladder(ladder=draft)

    assert len({made, retired, version(draft)}) == 3


def test_replacing_a_ladder_by_its_draft_shows_at_once(org, me):
    draft = services.duplicate_ladder(ladder=org.ladder, slug="pm-2027", name="PM 2027")
    senior = draft.levels.get(key="senior-pm")
    senior.summary = "Owns a product area end to end, with the numbers to show it."
    senior.save()
    plan = importplan.plan_replacement(draft)

    services.replace_ladder(draft=draft, mapping={}, by=None, fingerprint=plan.fingerprint)

    assert "Owns a product area end to end, with the numbers to show it." in me()


def test_a_part_moved_to_another_ladder_changes_both_versions(org):
    other = LadderFactory()
    category = Category.objects.create(ladder=org.ladder, key="spare", name="Spare")
    before = (version(org.ladder), version(other))

    category.ladder = other
    category.save()

    assert version(org.ladder) != before[0]
    assert version(other) != before[1]


def test_deleting_a_whole_ladder_deletes_its_version(org):
    copy = services.duplicate_ladder(ladder=org.ladder, slug="pm-2027", name="PM 2027")
    before = version(org.ladder)

    Ladder.objects.filter(pk=copy.pk).delete()

    assert not StructureVersion.objects.filter(ladder_id=copy.pk).exists()
    assert version(org.ladder) == before


def test_a_change_rolled_back_leaves_the_version_as_it_was(org):
    before = version(org.ladder)

    def rename_then_fail():
        with transaction.atomic():
            Level.objects.filter(ladder=org.ladder, key="pm").update(name="Never")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        rename_then_fail()

    assert version(org.ladder) == before
    assert level(org, "pm").name == "Product Manager"


# Reading -------------------------------------------------------------------------------------


def loaded(ladder):
    return Ladder.objects.select_related("structure_version").get(pk=ladder.pk)


def test_the_structure_is_read_once_per_version(org, django_assert_num_queries):
    ladder_structure(loaded(org.ladder))
    ladder = loaded(org.ladder)
    with django_assert_num_queries(0):
        structure = ladder_structure(ladder)
    pm = next(level for level in structure.levels if level.key == "pm")
    structure.expectations([pm])
    with django_assert_num_queries(0):
        assert ladder_structure(ladder).expectations([pm])[pm.pk]

    level(org, "pm").save()
    with CaptureQueriesContext(connection) as queries:
        ladder_structure(loaded(org.ladder))
    # the ladder with its version; its levels, tracks with their levels, categories,
    # promotion criteria and blockers
    assert len(queries) == 7


def test_a_ladder_without_a_version_is_read_every_time(org):
    StructureVersion.objects.filter(ladder=org.ladder).delete()
    ladder = loaded(org.ladder)
    assert ladder_structure(ladder).key is None

    Level.objects.filter(ladder=org.ladder, key="pm").update(name="Renamed")

    assert "Renamed" in [level.name for level in ladder_structure(ladder).levels]


def test_the_structure_agrees_with_the_selectors(org):
    structure = ladder_structure(loaded(org.ladder))
    paths = selectors.track_paths(org.ladder)
    everything = selectors.track_paths(org.ladder, include_retired=True)

    def shape(paths):
        return [(path.track.pk, [level.pk for level in path.levels]) for path in paths]

    assert shape(structure.track_paths()) == shape(paths)
    assert shape(structure.track_paths(include_retired=True)) == shape(everything)
    assert structure.next_levels() == selectors.next_levels([org.ladder])
    assert structure.categories == list(org.ladder.categories.active())
    pm = level(org, "pm")
    assert structure.expectations([pm])[pm.pk] == list(
        pm.expectations.active().order_by("category__position", "position", "id")
    )


# The cache setting ---------------------------------------------------------------------------


def test_the_cache_is_each_process_memory_by_default():
    assert cache_settings("")["BACKEND"].endswith("LocMemCache")
    assert cache_settings("locmem://")["BACKEND"].endswith("LocMemCache")


def test_a_redis_address_picks_django_redis_cache(monkeypatch):
    monkeypatch.setattr("importlib.util.find_spec", lambda name: object())

    chosen = cache_settings("redis://cache.internal:6379/1")

    assert chosen == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://cache.internal:6379/1",
    }


def test_a_redis_address_without_the_package_is_refused(monkeypatch):
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)

    with pytest.raises(ImproperlyConfigured, match="pip install redis"):
        cache_settings("redis://cache.internal:6379/1")


def test_an_unknown_cache_address_is_refused():
    with pytest.raises(ImproperlyConfigured, match="CACHE_URL"):
        cache_settings("memcached://cache.internal:11211")
