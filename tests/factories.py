"""factory-boy factories for the models under test."""

import factory
from django.contrib.auth import get_user_model

from levels import models


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password("a-long-test-password")


class LadderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Ladder

    slug = factory.Sequence(lambda n: f"ladder-{n}")
    name = factory.Sequence(lambda n: f"Ladder {n}")
    description = "A ladder for tests."
    status = models.Ladder.Status.PUBLISHED  # drafts: LadderFactory(status="draft")


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Category

    ladder = factory.SubFactory(LadderFactory)
    key = factory.Sequence(lambda n: f"category-{n}")
    name = factory.Sequence(lambda n: f"Category {n}")
    position = factory.Sequence(int)


class LevelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Level

    ladder = factory.SubFactory(LadderFactory)
    key = factory.Sequence(lambda n: f"level-{n}")
    name = factory.Sequence(lambda n: f"Level {n}")
    short_name = factory.Sequence(lambda n: f"L{n}")
    code = factory.Sequence(lambda n: f"L{n}")
    grade = factory.Sequence(lambda n: n % 10)
    summary = "Does the work of this level."
    position = factory.Sequence(int)


class ExpectationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Expectation

    level = factory.SubFactory(LevelFactory)
    category = factory.SubFactory(CategoryFactory, ladder=factory.SelfAttribute("..level.ladder"))
    text = factory.Sequence(lambda n: f"Expectation number {n}")
    position = factory.Sequence(int)


class TrackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Track

    ladder = factory.SubFactory(LadderFactory)
    key = factory.Sequence(lambda n: f"track-{n}")
    name = factory.Sequence(lambda n: f"Track {n}")
    position = factory.Sequence(int)


class TrackLevelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.TrackLevel

    track = factory.SubFactory(TrackFactory)
    level = factory.SubFactory(LevelFactory, ladder=factory.SelfAttribute("..track.ladder"))
    position = factory.Sequence(int)


class AspectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Aspect

    ladder = factory.SubFactory(LadderFactory)
    name = factory.Sequence(lambda n: f"Aspect {n}")
    position = factory.Sequence(int)


def build_ladder(*, levels=3, categories=3, expectations_per_category=3, tracks=2, aspects=2):
    """A complete ladder of the given size: every level on the first track, the upper half
    of them also on the others, with expectations and comparison values everywhere."""
    ladder = LadderFactory()
    cats = [CategoryFactory(ladder=ladder, position=i) for i in range(categories)]
    level_rows = [LevelFactory(ladder=ladder, position=i) for i in range(levels)]
    models.Expectation.objects.bulk_create(
        models.Expectation(
            level=level, category=category, text=f"{level.key} {category.key} {i}", position=i
        )
        for level in level_rows
        for category in cats
        for i in range(expectations_per_category)
    )
    for t in range(tracks):
        track = TrackFactory(ladder=ladder, position=t)
        on_track = level_rows if t == 0 else level_rows[: max(1, levels // 2)]
        models.TrackLevel.objects.bulk_create(
            models.TrackLevel(track=track, level=level, position=i)
            for i, level in enumerate(on_track)
        )
    for a in range(aspects):
        aspect = AspectFactory(ladder=ladder, position=a)
        models.AspectValue.objects.bulk_create(
            models.AspectValue(aspect=aspect, level=level, value=f"value {a}.{i}")
            for i, level in enumerate(level_rows)
        )
    return ladder


def make_hr_user(*codenames, **fields):
    """A staff user in the HR group. With `codenames`, the group is narrowed to exactly
    those permissions, as an organisation that restricts its HR group would."""
    from django.contrib.auth.models import Permission

    from assessments.services import ensure_hr_group

    group = ensure_hr_group()
    if codenames:
        group.permissions.set(Permission.objects.filter(codename__in=codenames))
    user = UserFactory(is_staff=True, **fields)
    user.groups.add(group)
    return user


def make_round(*, by, state="nominating", **fields):
    """A promotion round covering everyone, in `state` (set directly: tests of the state
    changes themselves go through `rounds.services`)."""
    import datetime

    from django.utils import timezone

    from rounds.models import Round

    today = timezone.localdate()
    values = {
        "name": "Test round",
        "nomination_deadline": today + datetime.timedelta(days=7),
        "calibration_on": today + datetime.timedelta(days=14),
        "effective_on": today + datetime.timedelta(days=14),
        "created_by": by,
        "state": state,
    }
    values.update(fields)
    if state in ("calibrating", "finalised") and "effective_on" not in fields:
        values["nomination_deadline"] = today - datetime.timedelta(days=7)
        values["calibration_on"] = values["effective_on"] = today
    return Round.objects.create(**values)


def bulk_people(count, *, like, manager, name, email):
    """`count` people created in bulk on `like`'s ladder, track and level, under `manager`
    (a person, or a function of the person's number giving one), each with a place in the
    reporting tree. `name` and `email` are formats of `i`, e.g. "Person {i:03}"."""
    from assessments.models import Employee

    people = Employee.objects.bulk_create(
        Employee(
            full_name=name.format(i=i),
            email=email.format(i=i),
            ladder_id=like.ladder_id,
            track_id=like.track_id,
            level_id=like.level_id,
            manager=manager(i) if callable(manager) else manager,
        )
        for i in range(count)
    )
    fill_paths()
    return people


def fill_paths():
    """Write everyone's path in the reporting tree (`Employee.path`) from the manager
    links, for people bulk-created in a test past the services that keep paths."""
    from assessments.models import Employee, tree_paths

    manager_of = dict(Employee.objects.values_list("pk", "manager_id"))
    Employee.objects.bulk_update(
        [Employee(pk=pk, path=path) for pk, path in tree_paths(manager_of).items()], ["path"]
    )


def make_evidence(person, expectation, observed_on, *, by=None, **fields):
    """Evidence about `person` written straight to the table, past the services (confirmed,
    shared and showing the expectation unless `fields` say otherwise), with the
    expectation's wording copied as recording it copies it."""
    from assessments.models import Evidence

    values = {
        "employee": person,
        "expectation": expectation,
        "level": expectation.level,
        "expectation_text": expectation.text,
        "category_name": expectation.category.name,
        "level_name": expectation.level.name,
        "author": by,
        "source": Evidence.Source.MANAGER,
        "observed_on": observed_on,
        "description": "Seen",
        **fields,
    }
    return Evidence.objects.create(**values)


def history_since(person):
    """When `person` took their current level, walked from their level history in Python
    (newest first, back to the first row at another level): the check on the date kept on
    their row and on the SQL that counts it again."""
    since = None
    for assignment in person.assignments.order_by("-effective_on", "-id"):
        if assignment.level_id != person.level_id:
            break
        since = assignment.effective_on
    return since
