"""
Measure the ladder pages on a large generated ladder: time per request and queries.

    make bench                    # a throwaway SQLite database
    DATABASE_URL=postgres://... make bench

Then HR's admin pages (lists, ladder and level pages, the change history) and ladder
writes (duplicate, re-import) on a copy of that ladder with a long change history.
BENCH_PEOPLE sets the size of the organisation for the reporting-tree part (default
100,000; 0 skips it). BENCH_IMPORT sets the size of the people file imported (default
10,000 new people, then the same file again, then with every person changed; 0 skips
it), followed by an upload in the admin of as many new people as it takes, with
invitations. With the organisation comes a promotion round of BENCH_NOMINATIONS
candidates (default 500): nominating, closing nominations, and the calibration page.
BENCH_EVIDENCE sets the evidence recorded per person of the organisation (default 1; one
in fifty of them a win waiting for its manager), for the pages that read it. BENCH_PARTS
runs only some parts, e.g. `BENCH_PARTS=tree` (of pages, admin, import, tree, rounds;
all by default).
The data is built in a throwaway test database (in memory for SQLite, `test_` + the
configured name for PostgreSQL), so real data is never touched.
"""

import datetime
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pmladder.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

PEOPLE = int(os.environ.get("BENCH_PEOPLE", "100000"))
IMPORT = int(os.environ.get("BENCH_IMPORT", "10000"))
LEVELS = 60
EXPECTATIONS = 8  # per level and category
TRACKS = 4
ROUNDS = 30
NOMINATIONS = int(os.environ.get("BENCH_NOMINATIONS", "500"))
EVIDENCE = int(os.environ.get("BENCH_EVIDENCE", "1"))
PARTS = set(os.environ.get("BENCH_PARTS", "pages,admin,import,tree,rounds").split(","))


def build():
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

    ladder = Ladder.objects.create(
        slug="bench", name="Bench ladder", status=Ladder.Status.PUBLISHED
    )
    categories = [
        Category.objects.create(ladder=ladder, key=f"c{i}", name=f"Category {i}", position=i)
        for i in range(4)
    ]
    levels = Level.objects.bulk_create(
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
        for i in range(LEVELS)
    )
    Expectation.objects.bulk_create(
        Expectation(
            level=level,
            category=category,
            text=f"Expectation {n} of {level.key} in {category.key}",
            position=n,
        )
        for level in levels
        for category in categories
        for n in range(EXPECTATIONS)
    )
    shared = levels[:5]
    per_track = (LEVELS - len(shared)) // TRACKS
    for t in range(TRACKS):
        track = Track.objects.create(ladder=ladder, key=f"t{t}", name=f"Track {t}", position=t)
        own = levels[len(shared) + t * per_track : len(shared) + (t + 1) * per_track]
        TrackLevel.objects.bulk_create(
            TrackLevel(track=track, level=level, position=i) for i, level in enumerate(shared + own)
        )
    for a in range(6):
        aspect = Aspect.objects.create(ladder=ladder, name=f"Aspect {a}", position=a)
        AspectValue.objects.bulk_create(
            AspectValue(aspect=aspect, level=level, value=f"Value {a}") for level in levels
        )
    return ladder


def build_org(ladder):
    """PEOPLE employees in a tree ten deep: each manager has about ten reports; their
    paths in the tree (`Employee.path`) written a layer at a time, and EVIDENCE evidence
    items each."""
    from django.db.models import OuterRef, Subquery, TextField, Value
    from django.db.models.functions import Cast, Concat

    from assessments.models import Employee, LevelAssignment
    from levels.models import Level, Track

    level = Level.objects.filter(ladder=ladder).first()
    track = Track.objects.filter(ladder=ladder).first()
    User = get_user_model()
    top = Employee.objects.create(
        full_name="Top",
        email="top@example.com",
        ladder=ladder,
        track=track,
        level=level,
        user=User.objects.create_user("top", password="bench-password-123"),
    )
    top.path = f"{top.pk}/"
    top.save(update_fields=["path"])
    managers_path = Subquery(Employee.objects.filter(pk=OuterRef("manager_id")).values("path"))
    layer, made, depth = [top], 1, 0
    while made < PEOPLE:
        depth += 1
        batch = []
        for manager in layer:
            for _ in range(10):
                if made + len(batch) >= PEOPLE:
                    break
                n = made + len(batch)
                batch.append(
                    Employee(
                        full_name=f"Person {n}",
                        email=f"p{n}@example.com",
                        ladder=ladder,
                        track=track,
                        level=level,
                        manager=manager,
                    )
                )
        layer = Employee.objects.bulk_create(batch, batch_size=2000)
        Employee.objects.filter(path="").update(
            path=Concat(
                managers_path, Cast("id", TextField()), Value("/"), output_field=TextField()
            )
        )
        made += len(layer)
    today = datetime.date.today()
    LevelAssignment.objects.bulk_create(
        (
            LevelAssignment(employee_id=pk, level=level, track=track, effective_on=today)
            for pk in Employee.objects.values_list("pk", flat=True)
        ),
        batch_size=5000,
    )
    build_evidence(ladder, level)
    with connection.cursor() as cursor:  # statistics, as a live database keeps them
        cursor.execute("ANALYZE")
    return top, depth


def build_evidence(ladder, level):
    """EVIDENCE items a person against an expectation of their level, one in fifty of
    them a win the person logged, waiting for their manager."""
    from assessments.models import Employee, Evidence
    from levels.models import Expectation

    expectation = Expectation.objects.filter(level=level).select_related("category").first()
    today = datetime.date.today()
    pks = list(Employee.objects.filter(manager__isnull=False).values_list("pk", flat=True))
    Evidence.objects.bulk_create(
        (
            Evidence(
                employee_id=pk,
                expectation=expectation,
                level=level,
                expectation_text=expectation.text,
                category_name=expectation.category.name,
                level_name=level.name,
                source=Evidence.Source.SELF if n % 50 == 0 else Evidence.Source.MANAGER,
                status=Evidence.Status.PENDING if n % 50 == 0 else Evidence.Status.CONFIRMED,
                observed_on=today,
                description=f"Evidence {n} of person {pk}",
            )
            for n, pk in enumerate(pks * EVIDENCE)
        ),
        batch_size=5000,
    )


class QueryCounter:
    """Counts queries (CaptureQueriesContext keeps only the last 9,000)."""

    count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def people_file(ladder, size, *, changed=False, prefix="imported"):
    """A people file of `size` new people in a tree ten wide, each on a track of the ladder
    at a level of that track, listed in shuffled order (managers after some reports).
    `changed`: the same people with another name, title and the next level of their track,
    from today."""
    import csv
    import io
    import random

    from assessments import peoplefile
    from levels.models import Track

    tracks = [
        (
            track.key,
            list(track.track_levels.order_by("position").values_list("level__key", flat=True)),
        )
        for track in Track.objects.filter(ladder=ladder).order_by("position")
    ]
    today = datetime.date.today()
    rng = random.Random(11)
    rows = []
    for n in range(size):
        track, levels = tracks[n % len(tracks)]
        level = levels[n % (len(levels) - 1) + (1 if changed else 0)]
        date = today if changed else today - datetime.timedelta(days=30 + n % 2000)
        rows.append(
            [
                f"{prefix}{n}@example.com",
                f"Imported Person {n}" + (" Renamed" if changed else ""),
                f"Title {n % 50}" + (" II" if changed else ""),
                f"{prefix}{(n - 1) // 10}@example.com" if n else "",
                ladder.slug,
                track,
                level,
                date.isoformat(),
            ]
        )
    rng.shuffle(rows)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(peoplefile.COLUMNS)
    writer.writerows(rows)
    return out.getvalue().encode()


def bench_people_import(ladder):
    """The people-file import (assessments.peoplefile): new people, the same file again,
    and every person changed; time and queries of each. Timed without DEBUG's query log,
    as in production: it alone costs a second of the ten thousand new people on SQLite."""
    from django.test.utils import override_settings

    from assessments import peoplefile

    print(f"\npeople file of {IMPORT:,} people ({connection.vendor})")
    print(f"{'import':<34}{'seconds':>10}{'queries':>9}")
    for name, content, expected in (
        ("new people", people_file(ladder, IMPORT), "created"),
        ("the same file again", people_file(ladder, IMPORT), "unchanged"),
        ("everyone renamed and promoted", people_file(ladder, IMPORT, changed=True), "updated"),
    ):
        counter = QueryCounter()
        with override_settings(DEBUG=False), connection.execute_wrapper(counter):
            started = time.perf_counter()
            summary = peoplefile.import_people(content=content)
            seconds = time.perf_counter() - started
        assert getattr(summary, expected) == IMPORT, (name, str(summary))
        print(f"{name:<34}{seconds:>10.2f}{counter.count:>9}")

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from tests.factories import make_hr_user

    client = Client()
    client.force_login(make_hr_user())
    limit = peoplefile.max_rows_in_admin()
    upload = SimpleUploadedFile("people.csv", people_file(ladder, limit, prefix="uploaded"))
    with override_settings(DEBUG=False):
        started = time.perf_counter()
        response = client.post("/admin/assessments/employee/import/", {"file": upload})
        seconds = time.perf_counter() - started
        assert response.status_code == 200, response.status_code
        print(f"{f'admin upload and preview, {limit:,}':<34}{seconds:>10.2f}")
        confirm = f"/admin/assessments/employee/import/{response.context['upload'].pk}/"
        data = {"fingerprint": response.context["preview"].fingerprint, "invite": "on"}
        started = time.perf_counter()
        response = client.post(confirm, data)
        seconds = time.perf_counter() - started
    assert response.status_code == 302, response.status_code
    print(f"{f'admin confirm, {limit:,} invited':<34}{seconds:>10.2f}")


def time_it(function, rounds=10):
    function()
    timings = []
    for _ in range(rounds):
        start = time.perf_counter()
        function()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings), max(timings)


def bench_tree(ladder, client):
    from assessments import access, evidence, selectors
    from assessments.models import Employee

    started = time.perf_counter()
    top, depth = build_org(ladder)
    print(
        f"\n{PEOPLE:,} people, {depth + 1} levels deep "
        f"(built in {time.perf_counter() - started:.0f} s)"
    )
    leaf = Employee.objects.order_by("-pk").first()
    middle = Employee.objects.get(email="p5@example.com")
    print(f"{'tree query':<34}{'median ms':>10}{'max ms':>9}")
    checks = {
        "everyone below the top (count)": lambda: selectors.below(top).count(),
        f"below a manager ({selectors.below(middle).count():,} people)": lambda: list(
            selectors.below(middle)
        ),
        "manager chain of a leaf": lambda: selectors.manager_chain(leaf),
        "wins waiting for the top": lambda: list(evidence.pending_wins_for_manager(top)[:50]),
        "top may see a leaf (access.restrict)": lambda: access.restrict(
            Employee.objects.filter(pk=leaf.pk), top.user
        ).exists(),
    }
    for name, function in checks.items():
        median, worst = time_it(function)
        print(f"{name:<34}{median:>10.1f}{worst:>9.1f}")
    client.force_login(top.user)
    for name, url in {
        "team page, direct": "/team/",
        "team page, everyone": "/team/?scope=all",
        "team page, everyone, page 40": "/team/?scope=all&page=40",
        "team page, everyone, by name": "/team/?scope=all&q=person+99",
        "person page of a leaf": f"/people/{leaf.pk}/",
        "person page of a middle manager": f"/people/{middle.pk}/",
    }.items():
        median, worst, queries = measure(client, url)
        print(f"{name:<34}{median:>10.1f}{worst:>9.1f}  ({queries} queries)")
    if "rounds" in PARTS:
        bench_rounds(top)


def bench_rounds(top):
    """A promotion round over the whole organisation with NOMINATIONS candidates for one
    level: nominating them, closing nominations (every packet frozen), and HR's pages."""
    from django.test import Client

    from assessments.models import Employee
    from rounds import selectors, services
    from tests.factories import make_hr_user

    hr = make_hr_user()
    today = datetime.date.today()
    round = services.create_round(
        by=hr,
        name="Bench round",
        nomination_deadline=today,
        calibration_on=today,
        effective_on=today,
        committee=[],
    )
    services.open_nominations(round=round, by=hr)
    people = list(
        Employee.objects.filter(manager__isnull=False)
        .select_related("ladder", "level", "track")
        .order_by("pk")[:NOMINATIONS]
    )
    started = time.perf_counter()
    for person in people:
        target = selectors.targets_for(person)[0]
        services.nominate(
            round=round,
            employee=person,
            target_level=target.level,
            target_track=target.track,
            cases={},
            by=hr,
        )
    nominated = time.perf_counter() - started
    started = time.perf_counter()
    services.close_nominations(round=round, by=hr)
    closed = time.perf_counter() - started
    print(f"\npromotion round, {len(people)} candidates for one level, as HR")
    print(f"{'nominate them one by one':<34}{nominated * 1000:>10.0f} ms")
    print(f"{'close nominations (freeze)':<34}{closed * 1000:>10.0f} ms")
    level = selectors.targets_for(people[0])[0].level.pk
    client = Client()
    client.force_login(hr)
    print(f"{'round page':<34}{'median ms':>10}{'max ms':>9}  queries")
    for name, url in {
        "rounds list": "/rounds/",
        "the round": f"/rounds/{round.pk}/",
        "calibrate one level": f"/rounds/{round.pk}/calibrate/?level={level}",
        "calibrate, sorted by name": f"/rounds/{round.pk}/calibrate/?level={level}&sort=name",
        "one nomination": f"/nominations/{round.nominations.first().pk}/",
    }.items():
        median, worst, queries = measure(client, url)
        print(f"{name:<34}{median:>10.1f}{worst:>9.1f}  ({queries} queries)")


def bench_admin(ladder):
    """HR's admin pages and ladder writes on the big ladder, with a long change history."""
    from django.test import Client

    from levels import ladderfile, selectors, services
    from levels.models import Level
    from tests.factories import make_hr_user

    started = time.perf_counter()
    copy = services.duplicate_ladder(ladder=ladder, slug="bench-copy", name="Bench copy")
    copied = (time.perf_counter() - started) * 1000
    for round_ in range(20):  # 20 x 60 level edits in the copy's history
        for level in Level.objects.filter(ladder=copy):
            level.summary = f"Summary, take {round_}"
            level.save(update_fields=["summary"])
    spec = selectors.ladder_spec(copy)
    # The generated ladder leaves some levels off every track; a ladder file may not.
    on_a_track = {key for track in spec["tracks"] for key in track["levels"]}
    spec["tracks"][0]["levels"] += [
        level["key"] for level in spec["levels"] if level["key"] not in on_a_track
    ]
    spec = ladderfile.check(spec)
    services.import_ladder(spec=spec, replace=True)  # the track gains those levels
    started = time.perf_counter()
    services.import_ladder(spec=spec, replace=True)
    reimported = (time.perf_counter() - started) * 1000
    print(f"\nadmin, as HR (the copy has {copy.levels.count()} levels and a long history)")
    print(f"{'duplicate the ladder':<34}{copied:>10.1f} ms")
    print(f"{'re-import it unchanged':<34}{reimported:>10.1f} ms")
    client = Client()
    client.force_login(make_hr_user())
    level = Level.objects.filter(ladder=copy).order_by("position")[30]
    print(f"{'admin page':<34}{'median ms':>10}{'max ms':>9}  queries")
    for name, url in {
        "ladders list": "/admin/levels/ladder/",
        "levels list": "/admin/levels/level/",
        "expectations list": "/admin/levels/expectation/",
        "ladder page": f"/admin/levels/ladder/{copy.pk}/change/",
        "level page": f"/admin/levels/level/{level.pk}/change/",
        "ladder history": f"/admin/levels/ladder/{copy.pk}/history/",
        "ladder history, page 20": f"/admin/levels/ladder/{copy.pk}/history/?page=20",
    }.items():
        median, worst, queries = measure(client, url)
        print(f"{name:<34}{median:>10.1f}{worst:>9.1f}  ({queries} queries)")


def measure(client, url):
    client.get(url)  # warm up
    timings = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return statistics.median(timings), max(timings), len(queries)


def main():
    from django.test import Client
    from django.test.utils import get_runner

    setup_test_environment()
    if connection.vendor != "sqlite":  # keep clear of the test suite's database
        connection.settings_dict["TEST"]["NAME"] = f"bench_{connection.settings_dict['NAME']}"
    runner = get_runner(settings)(verbosity=0, interactive=False)
    old_config = runner.setup_databases()
    try:
        build()
        user = get_user_model().objects.create_user("bench", password="bench-password-123")
        client = Client()
        client.force_login(user)
        pages = {
            "ladder list": "/ladders/",
            "overview": "/ladders/bench/",
            "level": "/ladders/bench/levels/l30/",
            "compare 3": "/ladders/bench/compare/?levels=l10,l11,l12",
            "promotion": "/ladders/bench/promotion/",
        }
        print(
            f"{LEVELS} levels, {TRACKS} tracks, {LEVELS * 4 * EXPECTATIONS} expectations, "
            f"{ROUNDS} requests per page, database: {connection.vendor}"
        )
        print(f"{'page':<14}{'median ms':>10}{'max ms':>9}{'queries':>9}")
        for name, url in pages.items() if "pages" in PARTS else ():
            median, worst, queries = measure(client, url)
            print(f"{name:<14}{median:>10.1f}{worst:>9.1f}{queries:>9}")
        from levels.models import Ladder

        if "admin" in PARTS:
            bench_admin(Ladder.objects.get(slug="bench"))
        if IMPORT and "import" in PARTS:
            bench_people_import(Ladder.objects.get(slug="bench"))
        if PEOPLE and "tree" in PARTS:
            bench_tree(Ladder.objects.get(slug="bench"), client)
    finally:
        runner.teardown_databases(old_config)


if __name__ == "__main__":
    main()
