"""
Measure the ladder pages on a large generated ladder: time per request and queries.

    make bench                    # a throwaway SQLite database
    DATABASE_URL=postgres://... make bench

It builds its own data in a fresh database (`bench_` + the configured name for PostgreSQL),
so it never touches real data, and prints one line per page.
"""

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

LEVELS = 60
EXPECTATIONS = 8  # per level and category
TRACKS = 4
ROUNDS = 30


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

    ladder = Ladder.objects.create(slug="bench", name="Bench ladder")
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
        for name, url in pages.items():
            median, worst, queries = measure(client, url)
            print(f"{name:<14}{median:>10.1f}{worst:>9.1f}{queries:>9}")
    finally:
        runner.teardown_databases(old_config)


if __name__ == "__main__":
    main()
