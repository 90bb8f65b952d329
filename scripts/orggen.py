"""
Generate a large organisation for measuring the app: a ladder, people in a reporting tree
about seven layers deep, their level history, evidence and reviews, written with bulk
inserts into whatever database Django is configured with (SQLite or PostgreSQL).

    from scripts.orggen import build_org
    org = build_org(10_000, evidence_per_person=30, reviews_per_manager=2, password="...")

`scripts/bench.py` builds its organisations with it in a throwaway test database. On a
real database, usernames, emails and ladder slugs must be new: pick a `prefix` no one
uses yet, and a ladder (`build_ladder(slug=...)`) unless the database has none called
"bench". Big tables are written with COPY on PostgreSQL, bulk inserts elsewhere.
"""

import datetime
import itertools
import math
import random
from dataclasses import dataclass, field

LEVELS = 60
CATEGORIES = 4
EXPECTATIONS = 8  # per level and category
TRACKS = 4
SHARED_LEVELS = 5  # the first levels, on every track
ASPECTS = 6
LAYERS = 7  # of the reporting tree, from the top down to the people with no reports
SAMPLE = 200  # people in `Org.user_employees`, at most
BATCH = 5000


@dataclass
class Org:
    """A generated organisation and the people worth signing in as."""

    ladder: object
    top: object  # the head of the organisation
    director: object  # reports to the top, with managers below them
    manager: object  # whose reports have no reports
    leaf: object  # one of the manager's reports: nobody reports to them
    hr_user: object  # staff in the HR group, not on the ladder
    user_employees: list = field(default_factory=list)  # [(username, employee)]
    people: int = 0
    depth: int = 0  # layers of the tree


def build_ladder(*, slug="bench", name="Bench ladder", levels=LEVELS, expectations=EXPECTATIONS):
    """A published ladder of `levels` levels in CATEGORIES categories, `expectations`
    expectations per level and category, TRACKS tracks sharing their first SHARED_LEVELS
    levels, and ASPECTS comparison aspects."""
    assert levels >= SHARED_LEVELS + 2 * TRACKS, "each track needs levels of its own"
    from levels.models import (
        Aspect,
        AspectValue,
        Category,
        Expectation,
        Ladder,
        Level,
        Track,
        TrackLevel,
    )

    ladder = Ladder.objects.create(slug=slug, name=name, status=Ladder.Status.PUBLISHED)
    categories = Category.objects.bulk_create(
        Category(ladder=ladder, key=f"c{i}", name=f"Category {i}", position=i)
        for i in range(CATEGORIES)
    )
    rows = Level.objects.bulk_create(
        Level(
            ladder=ladder,
            key=f"l{i}",
            name=f"Level {i}",
            short_name=f"L{i}",
            code=f"L{i}",
            grade=i,
            summary="Summary " * 20,
            position=i,
        )
        for i in range(levels)
    )
    Expectation.objects.bulk_create(
        (
            Expectation(
                level=level,
                category=category,
                text=f"Expectation {n} of {level.key} in {category.key}",
                position=n,
            )
            for level in rows
            for category in categories
            for n in range(expectations)
        ),
        batch_size=BATCH,
    )
    shared = rows[:SHARED_LEVELS]
    per_track = (levels - len(shared)) // TRACKS
    tracks = Track.objects.bulk_create(
        Track(ladder=ladder, key=f"t{t}", name=f"Track {t}", position=t) for t in range(TRACKS)
    )
    TrackLevel.objects.bulk_create(
        TrackLevel(track=track, level=level, position=i)
        for t, track in enumerate(tracks)
        for i, level in enumerate(
            shared + rows[len(shared) + t * per_track : len(shared) + (t + 1) * per_track]
        )
    )
    aspects = Aspect.objects.bulk_create(
        Aspect(ladder=ladder, name=f"Aspect {a}", position=a) for a in range(ASPECTS)
    )
    AspectValue.objects.bulk_create(
        AspectValue(aspect=aspect, level=level, value=f"Value {a}")
        for a, aspect in enumerate(aspects)
        for level in rows
    )
    return ladder


def fan_out(people):
    """Reports per manager that makes a tree of `people` about LAYERS layers deep."""
    return max(2, math.ceil(people ** (1 / (LAYERS - 1))))


def build_org(
    people,
    *,
    evidence_per_person=1,
    reviews_per_manager=1,
    password=None,
    seed=1,
    ladder=None,
    prefix="p",
):
    """An organisation of `people` people (at least 10) on `ladder` (a new one from
    `build_ladder` when None): a tree about LAYERS layers deep, the reports of each layer
    spread evenly over the managers above; each top-level branch on a track of its own,
    and everyone on a level by how far they are from the bottom of the tree, with a level
    history row. Everyone but the top has `evidence_per_person` evidence items (one in
    fifty a win waiting for their manager), and each manager has shared
    `reviews_per_manager` reviews of their reports, fully rated.

    With `password`, everyone gets a sign-in with it (hashed once); without, only the
    people in `Org.user_employees` get one, that nobody can sign in with by password.
    Usernames and emails start with `prefix`."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction

    assert people >= 10, "an organisation needs a top, a director, a manager and a leaf"
    rng = random.Random(seed)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # Writing a big table is one long statement: the limit is for pages.
                cursor.execute("SET LOCAL statement_timeout = 0")
        if ladder is None:
            ladder = build_ladder()
        placement = _placement(ladder)
        layers = _tree_shape(people)
        planned = _plan(layers, placement)
        named = _named(planned)
        sample = _sample(people) | {p.number for p in named}
        hashed = make_password(password)  # once: hashing per person would take hours
        signing_in = None if password is not None else sample
        employees = _build_people(ladder, planned, signing_in, prefix, hashed)
        _build_history(employees, rng)
        _build_evidence(employees, placement, evidence_per_person, rng)
        _build_reviews(employees, placement, reviews_per_manager)
        hr_user = _build_hr_user(get_user_model(), prefix, hashed)
        with connection.cursor() as cursor:  # statistics, as a live database keeps them
            cursor.execute("ANALYZE")
    return _org(ladder, employees, named, sample, hr_user)


def settle():
    """The tables as a running server leaves them a while after a big write: everyone's
    readiness counted and kept (as the task worker does), and on PostgreSQL a VACUUM
    ANALYZE (as autovacuum does: the visibility map lets index-only scans skip the table,
    the statistics match the rows). Outside any transaction."""
    from django.db import connection

    from assessments import kept

    kept.recount_everyone.call()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


# The tree ------------------------------------------------------------------------------------


@dataclass
class _Person:
    """What the builder knows of a person while it writes everyone's rows."""

    number: int
    layer: int
    manager: "_Person | None"
    branch: int  # the top's report this person is under (0 for the top)
    pk: int = 0
    user_id: int | None = None
    track_id: int = 0
    level_id: int = 0
    reports: list = field(default_factory=list)


def _tree_shape(people):
    """The number of people in each layer: 1, then as many as fit, each layer at most
    `fan_out` times the one above."""
    wide = fan_out(people)
    layers, made = [1], 1
    while made < people:
        size = min(people - made, layers[-1] * wide)
        layers.append(size)
        made += size
    return layers


def _sample(people):
    """The numbers of the people who sign in in `Org.user_employees`: evenly spread over
    everyone in order of the tree's layers, so managers of every layer and people with no
    reports alike."""
    count = min(people, SAMPLE)
    return {round(i * (people - 1) / max(1, count - 1)) for i in range(count)}


def _placement(ladder):
    """{track index: (track pk, [level pk in the track's order])}."""
    from levels.models import Track

    tracks = Track.objects.filter(ladder=ladder).order_by("position")
    return {
        t: (
            track.pk,
            list(track.track_levels.order_by("position").values_list("level_id", flat=True)),
        )
        for t, track in enumerate(tracks)
    }


def _level_for(placement, branch, height):
    """Track and level of someone `height` layers above the bottom of the tree in the
    top's `branch`: the bottom two up the track, two levels a layer, always with a next
    level to grow into."""
    track_id, levels = placement[branch % len(placement)]
    return track_id, levels[min(2 + 2 * height, len(levels) - 2)]


def _plan(layers, placement):
    """Everyone as a _Person, layer by layer: the reports of a layer dealt out in turn
    to the managers above, so every manager of a layer has about as many."""
    planned, above, number = [], [], 0
    for depth, size in enumerate(layers):
        layer = []
        for i in range(size):
            manager = above[i % len(above)] if above else None
            branch = (i if depth == 1 else manager.branch) if manager else 0
            person = _Person(number=number + i, layer=depth, manager=manager, branch=branch)
            if manager:
                manager.reports.append(person)
            person.track_id, person.level_id = _level_for(
                placement, branch, len(layers) - 1 - depth
            )
            layer.append(person)
        number += size
        planned.append(layer)
        above = layer
    return planned


def _named(planned):
    """The top; the director (the top's first report); the manager (down the first
    reports to someone whose reports have none); the leaf (their first report)."""
    top = planned[0][0]
    director = top.reports[0]
    manager = director
    while manager.reports and manager.reports[0].reports:
        manager = manager.reports[0]
    leaf = manager.reports[0] if manager.reports else manager
    return top, director, manager, leaf


def _build_people(ladder, planned, signing_in, prefix, hashed):
    """Users (for the numbers in `signing_in`, or everyone when it is None) and
    employees, a layer at a time, with their paths in the tree."""
    from django.contrib.auth import get_user_model
    from django.db.models import OuterRef, Subquery, TextField, Value
    from django.db.models.functions import Cast, Concat

    from assessments.models import Employee

    User = get_user_model()
    managers_path = Subquery(Employee.objects.filter(pk=OuterRef("manager_id")).values("path"))
    for depth, layer in enumerate(planned):
        with_user = [p for p in layer if signing_in is None or p.number in signing_in]
        users = User.objects.bulk_create(
            (
                User(
                    username=_username(prefix, p.number),
                    email=_email(prefix, p.number),
                    first_name="Person",
                    last_name=str(p.number),
                    password=hashed,
                )
                for p in with_user
            ),
            batch_size=BATCH,
        )
        for person, user in zip(with_user, users, strict=True):
            person.user_id = user.pk
        rows = Employee.objects.bulk_create(
            (
                Employee(
                    full_name="Top" if p.number == 0 else f"Person {p.number}",
                    email=_email(prefix, p.number),
                    job_title=f"Title {p.layer}",
                    ladder=ladder,
                    track_id=p.track_id,
                    level_id=p.level_id,
                    manager_id=p.manager.pk if p.manager else None,
                    user_id=p.user_id,
                )
                for p in layer
            ),
            batch_size=BATCH,
        )
        for person, row in zip(layer, rows, strict=True):
            person.pk = row.pk
        # One statement a layer: each new person's path is their manager's and their id.
        Employee.objects.filter(pk__gte=layer[0].pk, pk__lte=layer[-1].pk, path="").update(
            path=Concat(
                Value("") if depth == 0 else managers_path,
                Cast("id", TextField()),
                Value("/"),
                output_field=TextField(),
            )
        )
    return [person for layer in planned for person in layer]


def _write(model, rows):
    """Insert `rows` of `model`, each {attname: value} with the other fields at their
    defaults, when nobody needs their ids back: with COPY on PostgreSQL (several times
    quicker than INSERT for hundreds of thousands of rows), bulk inserts elsewhere.
    Values go to the database as they are: choices as their `.value`."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor != "postgresql" or not hasattr(cursor.cursor, "copy"):
            model.objects.bulk_create((model(**row) for row in rows), batch_size=BATCH)
            return
        template = model()
        fields = [field for field in model._meta.concrete_fields if not field.primary_key]
        defaults = {
            field.attname: field.get_db_prep_save(field.pre_save(template, add=True), connection)
            for field in fields
        }
        names = [field.attname for field in fields]
        quote = connection.ops.quote_name
        columns = ", ".join(quote(field.column) for field in fields)
        table = quote(model._meta.db_table)
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[name] if name in row else defaults[name] for name in names])


def _username(prefix, number):
    return f"{prefix}{number}"


def _email(prefix, number):
    return f"{prefix}{number}@example.com"


# What people have on record ----------------------------------------------------------------


def _build_history(employees, rng):
    """One level history row each: when they reached their level; and the date kept on
    each person's row from it, as an import keeps it."""
    from assessments import services
    from assessments.models import Employee, LevelAssignment

    today = datetime.date.today()
    _write(
        LevelAssignment,
        (
            {
                "employee_id": p.pk,
                "level_id": p.level_id,
                "track_id": p.track_id,
                "effective_on": today - datetime.timedelta(days=rng.randrange(30, 1500)),
            }
            for p in employees
        ),
    )
    pks = [p.pk for p in employees]
    services.keep_level_since(Employee.objects.filter(pk__gte=min(pks), pk__lte=max(pks)))


def _next_levels(placement):
    """{(track pk, level pk): (the next level's pk on that track, [its expectations as
    (pk, text, category name)])}."""
    from levels.models import Expectation

    following = {}
    for track_id, levels in placement.values():
        for level_id, after in itertools.pairwise(levels):
            following[(track_id, level_id)] = after
    expectations = {}
    for pk, level_id, text, category in (
        Expectation.objects.filter(level_id__in=set(following.values()))
        .order_by("level_id", "category__position", "position")
        .values_list("pk", "level_id", "text", "category__name")
    ):
        expectations.setdefault(level_id, []).append((pk, text, category))
    return {level: (after, expectations.get(after, [])) for level, after in following.items()}


def _build_evidence(employees, placement, per_person, rng):
    """`per_person` items for everyone but the top, against the expectations of their
    next level; one in fifty a win they logged, waiting for their manager, the rest
    recorded by their manager."""
    from assessments.models import Evidence
    from levels.models import Level

    if not per_person:
        return
    following = _next_levels(placement)
    names = dict(
        Level.objects.filter(pk__in=[f[0] for f in following.values()]).values_list("pk", "name")
    )
    today = datetime.date.today()

    def items():
        n = 0
        for person in employees[1:]:
            level_id, expectations = following[(person.track_id, person.level_id)]
            for i in range(per_person):
                pk, text, category = expectations[(person.number + i) % len(expectations)]
                win = n % 50 == 0
                n += 1
                yield {
                    "employee_id": person.pk,
                    "expectation_id": pk,
                    "level_id": level_id,
                    "expectation_text": text,
                    "category_name": category,
                    "level_name": names[level_id],
                    "author_id": person.user_id if win else person.manager.user_id,
                    "source": (Evidence.Source.SELF if win else Evidence.Source.MANAGER).value,
                    "status": (Evidence.Status.PENDING if win else Evidence.Status.CONFIRMED).value,
                    "observed_on": today - datetime.timedelta(days=rng.randrange(0, 700)),
                    "description": f"Evidence {n} of person {person.number}: "
                    + "shipped the thing and told everyone about it. " * rng.randrange(1, 4),
                }

    _write(Evidence, items())


def _build_reviews(employees, placement, per_manager):
    """`per_manager` shared reviews by each manager of their first reports, against
    their next level, every expectation rated."""
    from django.utils import timezone

    from assessments.models import Rating, Review, ReviewRating
    from levels.models import Level

    if not per_manager:
        return
    following = _next_levels(placement)
    names = dict(
        Level.objects.values_list("pk", "name").filter(pk__in=[f[0] for f in following.values()])
    )
    reviewed = [person for manager in employees for person in manager.reports[:per_manager]]
    now = timezone.now()
    ratings = [rating.value for rating in Rating]
    for start in range(0, len(reviewed), BATCH):
        chunk = reviewed[start : start + BATCH]
        reviews = Review.objects.bulk_create(
            Review(
                employee_id=p.pk,
                target_level_id=following[(p.track_id, p.level_id)][0],
                target_level_name=names[following[(p.track_id, p.level_id)][0]],
                author_id=p.manager.user_id,
                status=Review.Status.SHARED,
                readiness=Review.Readiness.DEVELOPING,
                summary="Growing steadily; ready for more scope.",
                shared_at=now,
            )
            for p in chunk
        )
        _write(
            ReviewRating,
            (
                {
                    "review_id": review.pk,
                    "expectation_id": pk,
                    "expectation_text": text,
                    "category_name": category,
                    "position": position,
                    "rating": ratings[(p.number + position) % len(ratings)],
                }
                for p, review in zip(chunk, reviews, strict=True)
                for position, (pk, text, category) in enumerate(
                    following[(p.track_id, p.level_id)][1], start=1
                )
            ),
        )


def _build_hr_user(User, prefix, hashed):
    """A staff user in the HR group (as the app defines HR: `assessments.access.is_hr`)."""
    from assessments.services import ensure_hr_group

    user = User.objects.create(
        username=f"{prefix}-hr", email=f"{prefix}-hr@example.com", is_staff=True, password=hashed
    )
    user.groups.add(ensure_hr_group())
    return user


# The result ----------------------------------------------------------------------------------


def _org(ladder, employees, named, sample, hr_user):
    """The Org, its people loaded fresh from the database."""
    from assessments.models import Employee

    chosen = [p for p in employees if p.number in sample]
    loaded = Employee.objects.select_related("user").in_bulk([p.pk for p in chosen])
    top, director, manager, leaf = (loaded[p.pk] for p in named)
    return Org(
        ladder=ladder,
        top=top,
        director=director,
        manager=manager,
        leaf=leaf,
        hr_user=hr_user,
        user_employees=[(loaded[p.pk].user.username, loaded[p.pk]) for p in chosen],
        people=len(employees),
        depth=max(p.layer for p in employees) + 1,
    )
