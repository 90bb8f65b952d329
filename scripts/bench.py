"""
Measure PM Ladder on generated organisations and check the speed targets.

    make bench                              # 1,000, 10,000 and 100,000 people, SQLite
    make bench BENCH_SIZES=1000,10000       # some sizes
    DATABASE_URL=postgres://... make bench  # PostgreSQL
    make bench-smoke                        # 60 and 100 people: errors and query counts only
    .venv/bin/python scripts/bench.py --help

For each size, an organisation from `scripts/orggen.py` (about seven layers deep; 30
evidence items a person, at most 300,000 in all; two shared reviews per manager) and then:

- pages: every address of the access sweep (`tests/test_sweep.py`), filled with real ids
  and opened with GET by a role that may open it, plus the team and person pages of the
  head of the organisation, searches, and the compare page on two levels of a 600-item
  category. Each page's median time is given as a ratio to a floor view (one query, a
  small template, in a URLconf of the bench's own) timed in the same run, with its query
  count. The comparison of those two levels is also timed worked out: in process, and
  through the page with nothing kept in the cache (as after any change to the ladder);
- tree: the reporting-tree selectors;
- rounds: a promotion round of 500 candidates (nominating, closing, HR's pages);
- admin (first size only): HR's admin pages and ladder writes on a copy of the ladder with
  a long change history;
- import: a people file of 10,000 new people (100,000 at 100,000 people), the same file
  again and everyone changed (up to 10,000), and an upload in the admin with an invitation
  for each new person (timed apart: the invitations are a task of their own).

It prints a table, writes JSON (--json; bench-results/bench.json by default) and exits
non-zero when a target is missed (the constants below) or a page fails. --smoke checks only that
every page opens and that no page's query count changes between its two sizes.
BENCH_SIZES, BENCH_PARTS, BENCH_REPEATS, BENCH_EVIDENCE, BENCH_IMPORT and
BENCH_NOMINATIONS give the defaults of the flags of those names.

The data is built in a throwaway test database (in memory for SQLite, `bench_` + the
configured name for PostgreSQL), emptied between sizes, so real data is never touched.
"""

import argparse
import contextlib
import datetime
import json
import logging
import os
import platform
import statistics
import sys
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pmladder.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("TASKS_IMMEDIATE", "1")  # background tasks run where they are asked

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import caches  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.test.utils import override_settings, setup_test_environment  # noqa: E402

from scripts import orggen  # noqa: E402

PARTS = ("pages", "tree", "rounds", "admin", "import")

# The targets (for PostgreSQL). Pages at TARGET_SIZE people: the median under PAGE_MS and
# under PAGE_RATIO times the floor; admin pages under ADMIN_MS instead, there and wherever
# there are ADMIN_EVIDENCE evidence records or more; the team page of everyone for the
# head of BIG_SIZE people under TEAM_MS; query counts equal at every size; imports of new
# people under IMPORT_SECONDS; the comparison of two levels of a BIG_CATEGORY-item
# category, worked out (in process, and the page with nothing kept), under COMPARE_MS at
# any size.
TARGET_SIZE = 10_000
PAGE_MS = 50
PAGE_RATIO = 8
ADMIN_MS = 100
ADMIN_EVIDENCE = 300_000
BIG_SIZE = 100_000
TEAM_MS = 100
TEAM_ALL = "team, everyone, as the head"
# /org/ with its figures counted at the visit (the other lines read them kept).
ORG_COUNTED = [
    ("org view, counted at the visit, the whole organisation, as HR", "hr"),
    ("org view, counted at the visit, as a director", "director"),
]
# /org/ with kept figures past their time, shown while a task counts them again.
ORG_PAST_ITS_TIME = "org view, past its time (a task counts it again), as HR"
IMPORT_SECONDS = {10_000: 10, 100_000: 120}
COMPARE_MS = 200

EVIDENCE_PER_PERSON = 30
EVIDENCE_AT_MOST = 300_000
REVIEWS_PER_MANAGER = 2
BIG_CATEGORY = 600  # expectations a level, on each of the two compared levels
SMOKE_BIG_CATEGORY = 10
SMOKE_LEVELS = 20
SMOKE_EXPECTATIONS = 2
SLOW_MS = 1000  # a page slower than this the first time is timed SLOW_REPEATS times
SLOW_REPEATS = 3
COMPARED = ("l10", "l11")


def options(argv=None):
    env = os.environ.get
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].strip())
    parser.add_argument(
        "--sizes",
        default=env("BENCH_SIZES"),
        help="people in each organisation, e.g. 1000,10000,100000 (the default; 60,100 "
        "with --smoke)",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="small sizes, few repeats, no timing targets: every page must open and keep "
        "its query count",
    )
    parser.add_argument("--parts", default=env("BENCH_PARTS", ",".join(PARTS)))
    parser.add_argument(
        "--repeats",
        type=int,
        default=env("BENCH_REPEATS"),
        help="timed requests a page after a warm-up (default 11; with --smoke none: one "
        "request, counted)",
    )
    parser.add_argument(
        "--evidence",
        type=int,
        default=env("BENCH_EVIDENCE"),
        help=f"evidence items a person (default {EVIDENCE_PER_PERSON}, at most "
        f"{EVIDENCE_AT_MOST:,} in all)",
    )
    parser.add_argument(
        "--import-size",
        type=int,
        default=env("BENCH_IMPORT"),
        help="new people in the imported file (default 10,000; 100,000 at 100,000 people; 0 skips)",
    )
    parser.add_argument(
        "--nominations", type=int, default=env("BENCH_NOMINATIONS"), help="default 500"
    )
    parser.add_argument("--json", default=str(ROOT / "bench-results" / "bench.json"))
    args = parser.parse_args(argv)
    args.sizes = [
        int(size.replace("_", ""))
        for size in (args.sizes or ("60,100" if args.smoke else "1000,10000,100000")).split(",")
    ]
    args.parts = set(args.parts.split(","))
    unknown = args.parts - set(PARTS)
    if unknown:
        parser.error(f"unknown parts {sorted(unknown)}; the parts are {', '.join(PARTS)}")
    if args.repeats is None:
        args.repeats = 0 if args.smoke else 11
    if args.nominations is None:
        args.nominations = 10 if args.smoke else 500
    return args


def evidence_per_person(args, size):
    if args.evidence is not None:
        return int(args.evidence)
    return max(1, min(EVIDENCE_PER_PERSON, EVIDENCE_AT_MOST // size))


def import_size(args, size):
    if args.import_size is not None:
        return int(args.import_size)
    if args.smoke:
        return 100
    return 100_000 if size >= BIG_SIZE else 10_000


# The floor ----------------------------------------------------------------------------------

APP_URLCONF = settings.ROOT_URLCONF
FLOOR_URL = "/bench/floor/"


def floor(request):
    """The least a page can cost: one query and a small template, behind the same
    middleware as every page."""
    from django.http import HttpResponse
    from django.template import engines

    from levels.models import Ladder

    template = engines["django"].from_string(
        "<!doctype html><title>Floor</title><h1>Ladders</h1><p>{{ count }} ladders.</p>"
    )
    return HttpResponse(template.render({"count": Ladder.objects.count()}))


def bench_urlconf():
    """The name of a URLconf of the app's addresses and the floor view, for the bench
    alone: the floor never ships with the app."""
    from importlib import import_module

    from django.urls import path

    app = import_module(APP_URLCONF)
    module = types.ModuleType("bench_urls")
    module.urlpatterns = [path(FLOOR_URL.strip("/") + "/", floor), *app.urlpatterns]
    for handler in ("handler400", "handler403", "handler404", "handler500"):
        if hasattr(app, handler):
            setattr(module, handler, getattr(app, handler))
    sys.modules[module.__name__] = module
    return module.__name__


# Measuring ----------------------------------------------------------------------------------


class QueryCounter:
    """Counts queries (CaptureQueriesContext keeps only the last 9,000)."""

    count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def measure(client, url, repeats, expected=200, *, warm=True):
    """GET `url` once to warm up (unless not `warm`), `repeats` times timed (at most
    SLOW_REPEATS when the first took over SLOW_MS), once counting queries (timed too, with
    no repeats): {median_ms, max_ms, queries, outcome}, or {error} when it fails or
    answers other than `expected` (an outcome in the access sweep's words)."""
    from tests.test_sweep import outcome

    try:
        got = expected
        if warm:
            started = time.perf_counter()
            got = outcome(client.get(url))
            if got != expected:
                return {"error": f"answered {got}, expected {expected}"}
            if (time.perf_counter() - started) * 1000 > SLOW_MS:
                repeats = min(repeats, SLOW_REPEATS)
        timings = []
        for _ in range(repeats):
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            started = time.perf_counter()
            response = client.get(url)
            if not timings:
                timings.append((time.perf_counter() - started) * 1000)
        if outcome(response) != expected:
            return {"error": f"answered {outcome(response)}, expected {expected}"}
    except Exception as error:  # a page that raises: reported with the rest, not fatal
        return {"error": f"{type(error).__name__}: {error}"}
    return {
        "median_ms": statistics.median(timings),
        "max_ms": max(timings),
        "queries": counter.count,
        "outcome": got,
    }


def time_it(function, rounds=10):
    function()
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        function()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), max(timings)


def clients_for():
    """A signed-in test client per user (None: signed out), made on first use."""
    from django.test import Client

    made = {}

    def client(user):
        key = None if user is None else user.pk
        if key not in made:
            made[key] = Client()
            if user is not None:
                made[key].force_login(user)
        return made[key]

    return client


# The organisation ---------------------------------------------------------------------------


def ladder_size(args):
    """The generated ladder's size: a smaller one for the smoke run, which times nothing."""
    if args.smoke:
        return {"levels": SMOKE_LEVELS, "expectations": SMOKE_EXPECTATIONS}
    return {"levels": orggen.LEVELS, "expectations": orggen.EXPECTATIONS}


def big_category(args):
    return SMOKE_BIG_CATEGORY if args.smoke else BIG_CATEGORY


def words(text):
    return text.split()


# The big category's words: a few verbs and teams that many items share, and many more
# things an item is about.
VERBS = words(
    "plan write review lead run own define measure ship present prioritise draft test "
    "launch coach document analyse map align scope estimate negotiate frame validate"
)
THINGS = words(
    "roadmap interview experiment dashboard spec release survey backlog metric funnel "
    "migration integration forecast workshop retro study pricing onboarding checkout "
    "billing search notifications permissions reporting analytics api sdk mobile web "
    "accessibility localisation payments invoices subscriptions trials churn retention "
    "activation referrals partners marketplace catalogue inventory shipping returns "
    "support tickets chatbot knowledgebase community forum events webinars newsletter "
    "campaign brand website landing seo ads attribution segmentation personas journeys "
    "prototypes wireframes usability benchmarks competitors positioning packaging "
    "contracts compliance privacy security audit incidents outages latency uptime "
    "scalability architecture platform infrastructure tooling pipeline deployment flags "
    "rollout beta feedback nps satisfaction okrs budget hiring headcount vendors"
)
TEAMS = words("sales support finance design engineering legal marketing leadership data ops")
HOW = words("independently quickly carefully publicly repeatedly")


def big_category_texts(count):
    """The texts of the big category on the two COMPARED levels, `count` each, as a
    framework that writes every item behind the same prefix and rewrites most of them at
    the next level: of the later level's, seven in ten reword one of the earlier level's,
    one in ten is the same, two in ten are other tasks (in place of the earlier level's
    that it drops)."""
    import random

    rng = random.Random(2026)
    tasks = set()
    while len(tasks) < 2 * count:
        tasks.add((rng.choice(VERBS), rng.choice(THINGS), rng.choice(THINGS), rng.choice(TEAMS)))
    tasks = sorted(tasks)
    rng.shuffle(tasks)

    def text(task, *more):
        verb, thing, other, team = task
        return " ".join(["Example task:", verb, "the", thing, other, "with", team, *more])

    before = [text(task) for task in tasks[:count]]
    after = []
    for n, task in enumerate(tasks[:count]):
        roll = n % 10
        if roll < 7:
            after.append(text(task, "and", rng.choice(TEAMS), rng.choice(HOW)))
        elif roll == 7:
            after.append(text(task))
        else:
            after.append(text(tasks[count + n], rng.choice(HOW)))
    return before, after


def build(size, args):
    """The ladder, with a category of BIG_CATEGORY expectations on each of the COMPARED
    levels (`big_category_texts`), and an organisation of `size` people on it."""
    from levels.models import Category, Expectation, Level

    ladder = orggen.build_ladder(**ladder_size(args))
    big = Category.objects.create(ladder=ladder, key="big", name="Big category", position=99)
    texts = dict(zip(COMPARED, big_category_texts(big_category(args)), strict=True))
    Expectation.objects.bulk_create(
        Expectation(level=level, category=big, text=text, position=n)
        for level in Level.objects.filter(ladder=ladder, key__in=COMPARED)
        for n, text in enumerate(texts[level.key])
    )
    return orggen.build_org(
        size,
        evidence_per_person=evidence_per_person(args, size),
        reviews_per_manager=REVIEWS_PER_MANAGER,
        ladder=ladder,
    )


def signed_in(employee, name):
    """`employee`, with a sign-in made for them when they have none."""
    if employee.user_id is None:
        employee.user = get_user_model().objects.create(username=f"bench-{name}")
        employee.save(update_fields=["user"])
    return employee


def sweep_on(org):
    """The access sweep (`tests.test_sweep.Sweep`) made on a generated organisation, by
    its own constructor: its roles, and the win, review, rounds, upload and records its
    addresses need. The sweep's leaver is placed on this ladder, and its upload names it."""
    from unittest import mock

    from django.utils import timezone

    from assessments import services
    from assessments.models import Employee
    from tests import test_sweep

    leaf, manager = org.leaf, org.manager
    peer = Employee.objects.filter(manager=manager).exclude(pk=leaf.pk).first()
    assert peer is not None, "the leaf needs a peer"
    unrelated = Employee.objects.get(pk=Employee.objects.order_by("-pk").first().manager_id)
    assert not leaf.is_below(unrelated), "the unrelated manager is above the leaf"
    team = types.SimpleNamespace(
        ladder=org.ladder,
        report=signed_in(leaf, "person"),
        teammate=signed_in(peer, "peer"),
        manager=signed_in(manager, "manager"),
        boss=signed_in(Employee.objects.get(pk=manager.manager_id), "boss"),
        other_manager=signed_in(unrelated, "unrelated"),
        hr=org.hr_user,
    )

    def place(ladder, username, full_name, level, track=None, manager=None, **_):
        return services.place_employee(
            full_name=full_name,
            email=f"{username}@example.com",
            ladder=ladder,
            track=manager.track,
            level=manager.level,
            effective_on=timezone.localdate(),
            manager=manager,
            user=get_user_model().objects.create(username=username),
        )

    with mock.patch.object(test_sweep, "place", place):
        sweep = test_sweep.Sweep(team, types.SimpleNamespace(user=org.hr_user))
    sweep.people_import.content = (
        "email,full_name,job_title,manager_email,ladder,track,level,effective_date\n"
        f"nia@example.com,Nia New,PM,,{org.ladder.slug},{leaf.track.key},{leaf.level.key},"
        f"{timezone.localdate()}\n"
    )
    sweep.people_import.save(update_fields=["content"])
    for obj in sweep.objects.values():  # bulk inserts leave no history to open
        history = getattr(obj, "history", None)
        if history is not None and hasattr(history, "exists") and not history.exists():
            obj.save()
    return sweep


# Who opens which page: the first of these the sweep lets in, else the first it does not
# send to a sign-in page.
PREFERENCE = [
    "person",
    "manager",
    "skip_level",
    "hr",
    "peer",
    "unrelated_manager",
    "staff",
    "anonymous",
]


def opener(row):
    """(role, what they get) for one row of the sweep's table, by PREFERENCE."""
    from tests.test_sweep import ROLES, A, L

    gets = {role: row[ROLES.index(role)][0] for role in PREFERENCE}
    for role in PREFERENCE:
        if gets[role] == 200:
            return role, 200
    for role in PREFERENCE:
        if gets[role] not in (L, A):
            return role, gets[role]
    return "anonymous", gets["anonymous"]


def pages_of(org, sweep, args):
    """(name, url, role, user, expected outcome) of every address of the sweep's table, then
    the pages the targets name, and the addresses the table has no row for."""
    from django.urls import get_resolver, reverse

    from tests.test_sweep import EXPECTED, url_patterns

    pages, unlisted = [], []
    for key, route, name in url_patterns(get_resolver(APP_URLCONF).url_patterns):
        if key not in EXPECTED:
            unlisted.append(key)
            continue
        role, expected = opener(EXPECTED[key])
        try:
            url = sweep.address(key, route, name)
        except Exception as error:  # an address the bench's organisation cannot fill yet
            url = f"(no address: {type(error).__name__}: {error})"
        pages.append((key, url, role, sweep.users[role], expected))
    slug = org.ladder.slug

    def person(employee):
        return reverse("assessments:person", kwargs={"pk": employee.pk})

    team = reverse("assessments:team")
    middle_level = ladder_size(args)["levels"] // 2
    top, director = ("head", org.top.user), ("director", org.director.user)
    manager, leaf, hr = (
        ("manager", org.manager.user),
        ("person", org.leaf.user),
        ("hr", org.hr_user),
    )
    extra = [
        (TEAM_ALL, f"{team}?scope=all", top),
        ("team, direct reports, as the head", team, top),
        ("team, everyone, by name, as the head", f"{team}?scope=all&q=person+1", top),
        ("team, everyone, as a director", f"{team}?scope=all", director),
        (
            "team, everyone, closest to ready first, as a director",
            f"{team}?scope=all&sort=-next",
            director,
        ),
        ("org view, the whole organisation, as HR", reverse("insights:org"), hr),
        ("org view, as a director", reverse("insights:org"), director),
        ("person page of a leaf, as the head", person(org.leaf), top),
        ("person page of a director, as the head", person(org.director), top),
        ("my page, as a manager", reverse("assessments:me"), manager),
        (
            f"compare, 2 levels of a {big_category(args)}-item category",
            compare_url(org),
            leaf,
        ),
        (
            "level page, a middle level",
            reverse("levels:level", kwargs={"slug": slug, "key": f"l{middle_level}"}),
            leaf,
        ),
        (
            "round committee, people looked up",
            reverse("rounds:people_lookup") + "?q=person+1&for=committee",
            hr,
        ),
        (
            "admin: evidence, searched",
            reverse("admin:assessments_evidence_changelist") + "?q=shipped",
            hr,
        ),
        (
            "admin: people, searched",
            reverse("admin:assessments_employee_changelist") + "?q=person+12",
            hr,
        ),
    ]
    return pages + [(name, url, *who, 200) for name, url, who in extra], unlisted


def compare_url(org):
    from django.urls import reverse

    return (
        reverse("levels:compare", kwargs={"slug": org.ladder.slug})
        + f"?levels={','.join(COMPARED)}"
    )


def bench_compare(org, args, client):
    """The comparison of the two COMPARED levels worked out: in process
    (`compare.compare_levels` on levels carrying their expectations), and through the
    page with the cache emptied before each request. Rows for the pages' table, each
    with its target (`target_ms`)."""
    from django.core.cache import cache

    from levels.compare import compare_levels
    from levels.structure import ladder_structure

    structure = ladder_structure(org.ladder)
    levels = structure.with_expectations(
        [level for level in structure.active_levels if level.key in COMPARED]
    )
    assert len(levels) == 2, "the bench's ladder has both compared levels"
    before, after = levels
    rounds = max(1, args.repeats)
    items = big_category(args)
    median, most = time_it(lambda: compare_levels(structure.categories, before, after), rounds)
    worked_out = {
        "name": f"compare, 2 x {items} items, worked out in process",
        "url": "(compare.compare_levels)",
        "role": "-",
        "median_ms": median,
        "max_ms": most,
        "queries": 0,
        "target_ms": COMPARE_MS,
    }
    url = compare_url(org)
    timings = []
    for _ in range(rounds):
        cache.clear()
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
    page = {
        "name": f"compare, 2 x {items} items, nothing kept",
        "url": url,
        "role": "person",
        "median_ms": statistics.median(timings),
        "max_ms": max(timings),
        "queries": 0,
        "target_ms": COMPARE_MS,
    }
    if response.status_code != 200:
        page = {**page, "error": f"answered {response.status_code}"}
    counter = QueryCounter()
    cache.clear()
    with connection.execute_wrapper(counter):
        client.get(url)
    page["queries"] = counter.count
    return [worked_out, page]


def bench_pages(org, args, *, size):
    """Every page, timed as a ratio to the floor, with its query count (the smoke run
    skips the warm-up request: it compares query counts, in the same order at each size)."""
    from django.urls import reverse

    sweep = sweep_on(org)
    pages, unlisted = pages_of(org, sweep, args)
    client = clients_for()
    floor_client = client(sweep.users["person"])
    first_floor = measure(floor_client, FLOOR_URL, max(1, args.repeats) * 2)
    results = []
    caches["kept"].clear()  # nothing kept from another size
    logging.disable(logging.WARNING)  # refusals are expected: the sweep says who gets one
    try:
        # Every view of /org/ keeps its figures, whatever its size, so the same path (the
        # figures kept by the first visit) is timed at every size; ORG_COUNTED below times
        # them counted at the visit, as a view smaller than ORG_FIGURES_KEPT_FROM is. The
        # navigation's counts are kept for each person as they are served (a minute) but
        # for the whole run, so they run out at no page: the first page of each role
        # counts them, the others read them kept (but the team page and /me/, which
        # count them afresh).
        with override_settings(ORG_FIGURES_KEPT_FROM=0, NAVIGATION_COUNTS_SECONDS=3600):
            for name, url, role, user, expected in pages:
                page = {"name": name, "url": url, "role": role}
                if url.startswith("(no address"):
                    page["error"] = url
                else:
                    page.update(
                        measure(client(user), url, args.repeats, expected, warm=not args.smoke)
                    )
                results.append(page)
        caches["kept"].clear()
        with override_settings(ORG_FIGURES_KEPT_FROM=10**9, NAVIGATION_COUNTS_SECONDS=3600):
            for name, role in ORG_COUNTED:
                user = {"hr": org.hr_user, "director": org.director.user}[role]
                url = reverse("insights:org")
                page = {"name": name, "url": url, "role": role}
                page.update(measure(client(user), url, args.repeats, warm=not args.smoke))
                results.append(page)
        results.append(bench_org_past_its_time(org, args, client(org.hr_user)))
    finally:
        logging.disable(logging.NOTSET)
    results.extend(bench_compare(org, args, client(org.leaf.user)))
    last = measure(floor_client, FLOOR_URL, max(1, args.repeats) * 2)
    floor_ms = statistics.median([first_floor["median_ms"], last["median_ms"]])
    for result in results:
        if "median_ms" in result:
            result["ratio"] = result["median_ms"] / floor_ms
    floor_result = {"median_ms": floor_ms, "queries": first_floor["queries"]}
    return floor_result, results, unlisted


def bench_org_past_its_time(org, args, client):
    """/org/ for HR with its kept figures past their time: shown while a task counts them
    again. The task is queued by the first visit and left waiting (as for a worker), so
    every visit after it finds it queued, as visitors do until a worker has counted."""
    from types import SimpleNamespace
    from unittest import mock

    from django.urls import reverse

    from insights import kept as kept_figures

    url = reverse("insights:org")
    page = {"name": ORG_PAST_ITS_TIME, "url": url, "role": "hr"}
    waiting = SimpleNamespace(enqueue=lambda *args: None)
    caches["kept"].clear()
    with (
        override_settings(
            ORG_FIGURES_KEPT_FROM=0, ORG_FIGURES_KEPT_SECONDS=0, NAVIGATION_COUNTS_SECONDS=3600
        ),
        mock.patch.object(kept_figures, "recount", waiting),
    ):
        client.get(url)  # counted and kept; past its time from then on
        page.update(measure(client, url, args.repeats, warm=not args.smoke))
    return page


# The other parts ----------------------------------------------------------------------------


def bench_tree(org):
    """The reporting-tree selectors on the organisation."""
    from assessments import access, evidence, selectors
    from assessments.models import Employee

    top, middle = org.top, org.director
    leaf = Employee.objects.order_by("-pk").first()
    checks = {
        "everyone below the head (count)": lambda: selectors.below(top).count(),
        f"below a director ({selectors.below(middle).count():,} people)": lambda: list(
            selectors.below(middle)
        ),
        "manager chain of a leaf": lambda: selectors.manager_chain(leaf),
        "wins waiting for the head": lambda: list(evidence.pending_wins_for_manager(top)[:50]),
        "the head may see a leaf (access.restrict)": lambda: access.restrict(
            Employee.objects.filter(pk=leaf.pk), top.user
        ).exists(),
    }
    print(f"{'tree query':<44}{'median ms':>10}{'max ms':>9}")
    results = []
    for name, function in checks.items():
        median, worst = time_it(function)
        print(f"{name:<44}{median:>10.1f}{worst:>9.1f}")
        results.append({"name": name, "median_ms": median, "max_ms": worst})
    return results


def bench_rounds(org, args):
    """A promotion round over the whole organisation with `args.nominations` candidates
    for one level: nominating them, closing nominations (every packet frozen), and HR's
    pages."""
    from assessments.models import Employee
    from rounds import selectors, services

    hr = org.hr_user
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
        .order_by("pk")[: args.nominations]
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
    nominated = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    services.close_nominations(round=round, by=hr)
    closed = (time.perf_counter() - started) * 1000
    print(f"promotion round, {len(people)} candidates for one level, as HR")
    print(f"{'nominate them one by one':<44}{nominated:>10.0f} ms")
    print(f"{'close nominations (freeze)':<44}{closed:>10.0f} ms")
    level = selectors.targets_for(people[0])[0].level.pk
    client = clients_for()(hr)
    results = {"candidates": len(people), "nominate_ms": nominated, "close_ms": closed}
    results["pages"] = measure_named(
        client,
        {
            "rounds list": "/rounds/",
            "the round": f"/rounds/{round.pk}/",
            "calibrate one level": f"/rounds/{round.pk}/calibrate/?level={level}",
            "calibrate, sorted by name": f"/rounds/{round.pk}/calibrate/?level={level}&sort=name",
            "one nomination": f"/nominations/{round.nominations.first().pk}/",
        },
        args,
    )
    return results


def measure_named(client, pages, args):
    """Times {name: url} with `client`, printed as it goes."""
    print(f"{'page':<44}{'median ms':>10}{'max ms':>9}  queries")
    results = []
    for name, url in pages.items():
        result = measure(client, url, args.repeats)
        results.append({"name": name, "url": url, **result})
        if "error" in result:
            print(f"{name:<44}  FAILED: {result['error']}")
        else:
            print(
                f"{name:<44}{result['median_ms']:>10.1f}{result['max_ms']:>9.1f}"
                f"  ({result['queries']} queries)"
            )
    return results


def bench_admin(org, args):
    """HR's admin pages and ladder writes on a copy of the ladder with a long change
    history."""
    from levels import ladderfile, selectors, services
    from levels.models import Level

    ladder = org.ladder
    started = time.perf_counter()
    copy = services.duplicate_ladder(ladder=ladder, slug="bench-copy", name="Bench copy")
    copied = (time.perf_counter() - started) * 1000
    for round_ in range(1 if args.smoke else 20):  # 20 x 60 level edits in its history
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
    print(f"admin, as HR (the copy has {copy.levels.count()} levels and a long history)")
    print(f"{'duplicate the ladder':<44}{copied:>10.1f} ms")
    print(f"{'re-import it unchanged':<44}{reimported:>10.1f} ms")
    levels = Level.objects.filter(ladder=copy).order_by("position")
    level = levels[levels.count() // 2]
    pages = measure_named(
        clients_for()(org.hr_user),
        {
            "ladders list": "/admin/levels/ladder/",
            "levels list": "/admin/levels/level/",
            "expectations list": "/admin/levels/expectation/",
            "ladder page": f"/admin/levels/ladder/{copy.pk}/change/",
            "level page": f"/admin/levels/level/{level.pk}/change/",
            "ladder history": f"/admin/levels/ladder/{copy.pk}/history/",
            "ladder history, page 20": f"/admin/levels/ladder/{copy.pk}/history/?page=20",
        },
        args,
    )
    return {"duplicate_ms": copied, "reimport_ms": reimported, "pages": pages}


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


@contextlib.contextmanager
def like_the_worker():
    """No limit on a statement's time, as for the task worker that runs big imports
    (manage.py commands have none; the limit is for pages)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET statement_timeout")


def bench_import(org, size):
    """The people-file import (assessments.peoplefile) of `size` new people, then (up to
    10,000) the same file again and every person changed; then an upload in the admin of
    as many new people as it takes, with invitations."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from assessments import peoplefile
    from assessments.models import PeopleImport
    from jobs.models import Job

    ladder = org.ladder
    print(f"people file of {size:,} people")
    print(f"{'import':<44}{'seconds':>10}{'queries':>9}")
    runs = [("new people", lambda: people_file(ladder, size), "created")]
    if size <= 10_000:
        runs += [
            ("the same file again", lambda: people_file(ladder, size), "unchanged"),
            (
                "everyone renamed and promoted",
                lambda: people_file(ladder, size, changed=True),
                "updated",
            ),
        ]
    results = []
    for name, content, expected in runs:
        counter = QueryCounter()
        try:
            content = content()
            if len(content) > peoplefile.max_bytes():  # timed all the same, and reported
                results.append(
                    {
                        "name": f"{name}: file size",
                        "size": size,
                        "error": f"the file is {len(content):,} bytes, over "
                        f"PEOPLE_FILE_MAX_BYTES ({peoplefile.max_bytes():,}); "
                        "raised for the bench",
                    }
                )
                print(f"{name:<44}  {results[-1]['error']}")
            with (
                override_settings(PEOPLE_FILE_MAX_BYTES=max(len(content), peoplefile.max_bytes())),
                like_the_worker(),
                connection.execute_wrapper(counter),
            ):
                started = time.perf_counter()
                summary = peoplefile.import_people(content=content)
                seconds = time.perf_counter() - started
            if getattr(summary, expected) != size:
                raise AssertionError(f"{expected} {getattr(summary, expected)}: {summary}")
        except Exception as error:
            results.append(
                {"name": name, "size": size, "error": f"{type(error).__name__}: {error}"}
            )
            print(f"{name:<44}  FAILED: {results[-1]['error']}")
            continue
        results.append({"name": name, "size": size, "seconds": seconds, "queries": counter.count})
        print(f"{name:<44}{seconds:>10.2f}{counter.count:>9}")
    if size < 1000:
        return results
    client = clients_for()(org.hr_user)
    applied = PeopleImport.objects.filter(applied_at__isnull=False).count()
    # As HR would: the file uploaded in the admin, previewed (by a background task past
    # PEOPLE_PREVIEW_MAX_ROWS_IN_REQUEST rows) and confirmed, with invitations.
    content = people_file(ladder, size, prefix="uploaded")
    upload = SimpleUploadedFile("people.csv", content)
    name = f"admin upload, preview and confirm, {size:,}"
    try:
        with (
            override_settings(PEOPLE_FILE_MAX_BYTES=max(len(content), peoplefile.max_bytes())),
            like_the_worker(),  # the tasks run here, in the request (TASKS_IMMEDIATE)
        ):
            started = time.perf_counter()
            response = client.post(
                reverse("admin:assessments_employee_import"), {"file": upload}, follow=True
            )
            previewed = time.perf_counter() - started
            assert response.status_code == 200, response.status_code
            preview = response.context["preview"]
            confirm = reverse(
                "admin:assessments_employee_import_preview",
                kwargs={"pk": response.context["upload"].pk},
            )
            data = {"fingerprint": preview.fingerprint, "invite": "on"}
            started = time.perf_counter()
            response = client.post(confirm, data)
            confirmed = time.perf_counter() - started
        assert response.status_code == 302, response.status_code
        if PeopleImport.objects.filter(applied_at__isnull=False).count() != applied + 1:
            raise AssertionError("the upload was not imported")
        # The invitations are a task of their own, which a worker runs after the import;
        # here it ran within the import's task, and its time is taken off the import's.
        invitations = Job.objects.filter(kind=Job.Kind.INVITATIONS).latest("created_at")
        if invitations.status != Job.Status.SUCCEEDED or invitations.result["sent"] != size:
            raise AssertionError(f"the invitations: {invitations.message}")
        invited = (invitations.finished_at - invitations.started_at).total_seconds()
    except Exception as error:
        results.append({"name": name, "size": size, "error": f"{type(error).__name__}: {error}"})
        print(f"{name:<44}  FAILED: {results[-1]['error']}")
        return results
    imported = confirmed - invited
    print(f"{f'admin upload and preview, {size:,}':<44}{previewed:>10.2f}")
    print(f"{f'admin confirm, {size:,} imported':<44}{imported:>10.2f}")
    print(f"{f'then {size:,} invitations sent (their task)':<44}{invited:>10.2f}")
    results.append(
        {
            "name": "admin upload",
            "size": size,
            "seconds": previewed + imported,
            "preview_seconds": previewed,
            "confirm_seconds": imported,
            "invitations_seconds": invited,
        }
    )
    return results


# One size, and all of them ------------------------------------------------------------------


def bench_size(size, args, *, first):
    from assessments.models import Evidence, Review

    started = time.perf_counter()
    org = build(size, args)
    built = time.perf_counter() - started
    result = {
        "people": org.people,
        "layers": org.depth,
        "evidence": Evidence.objects.count(),
        "reviews": Review.objects.count(),
        "build_seconds": built,
    }
    print(
        f"\n=== {size:,} people, {org.depth} layers, {result['evidence']:,} evidence, "
        f"{result['reviews']:,} reviews ({connection.vendor}; built in {built:.0f} s) ===",
        flush=True,
    )
    # Everyone's readiness counted and kept, as the worker does after a big change, and the
    # tables vacuumed, as autovacuum does: the pages then read them as on a running server.
    started = time.perf_counter()
    orggen.settle()
    result["readiness_seconds"] = time.perf_counter() - started
    print(
        f"readiness counted for everyone and tables vacuumed in "
        f"{result['readiness_seconds']:.1f} s",
        flush=True,
    )
    if "pages" in args.parts:
        started = time.perf_counter()
        result["floor"], result["pages"], result["unlisted"] = bench_pages(org, args, size=size)
        print(
            f"pages: {len(result['pages'])} timed in {time.perf_counter() - started:.0f} s; "
            f"the floor {result['floor']['median_ms']:.2f} ms, "
            f"{result['floor']['queries']} queries",
            flush=True,
        )
    parts = [
        ("tree", lambda: bench_tree(org)),
        ("rounds", lambda: bench_rounds(org, args)),
        ("admin", lambda: bench_admin(org, args) if first else None),
        (
            "import",
            lambda: bench_import(org, import_size(args, size)) if import_size(args, size) else None,
        ),
    ]
    for part, run in parts:
        if part not in args.parts:
            continue
        print(flush=True)
        started = time.perf_counter()
        try:
            found = run()
        except Exception as error:  # one broken part must not hide the others
            found = {"error": f"{type(error).__name__}: {error}"}
            print(f"{part}: FAILED: {found['error']}")
        if found is not None:
            result[part] = found
            print(f"({part}: {time.perf_counter() - started:.0f} s)", flush=True)
    return result


def empty_database(*, flush):
    """Everything written by the last size gone (`flush`), and the caches that remember
    it: every size starts with the same caches, so its query counts compare."""
    from django.contrib.contenttypes.models import ContentType
    from django.core.cache import caches
    from django.core.management import call_command

    if flush:
        call_command("flush", interactive=False, verbosity=0)
    ContentType.objects.clear_cache()
    for cache in caches.all(initialized_only=True):
        cache.clear()


def misses(report, args):
    """Every target missed and every failure: (size or None, page name or None, what)."""
    sizes = {int(size): result for size, result in report["sizes"].items()}
    found = []
    for size, result in sizes.items():
        if "error" in result:
            found.append((size, None, f"{size:,} people: the bench failed: {result['error']}"))
        for page in result.get("pages", []):
            if "error" in page:
                found.append(
                    (
                        size,
                        page["name"],
                        f"{size:,} people: {page['name']} ({page['url']}) fails: {page['error']}",
                    )
                )
        for part in ("tree", "rounds", "admin", "import"):
            value = result.get(part)
            entries = value.get("pages", []) if isinstance(value, dict) else value or []
            if isinstance(value, dict) and "error" in value:
                entries = [{"name": part, "error": value["error"]}]
            for entry in entries:
                if "error" in entry:
                    found.append(
                        (
                            size,
                            None,
                            f"{size:,} people: {part}: {entry['name']} fails: {entry['error']}",
                        )
                    )
    counts = {}
    for size, result in sizes.items():
        for page in result.get("pages", []):
            if "queries" in page:
                counts.setdefault(page["name"], {})[size] = page["queries"]
    for name, by_size in counts.items():
        if len(set(by_size.values())) > 1:
            found.append(
                (
                    None,
                    name,
                    f"{name}: query counts differ by size ("
                    + ", ".join(f"{size:,}: {count}" for size, count in by_size.items())
                    + ")",
                )
            )
    if args.smoke:
        return found
    for size, result in sizes.items():
        for page in result.get("pages", []):
            if "median_ms" not in page:
                continue
            ms, ratio = page["median_ms"], page["ratio"]
            where = f"{size:,} people: {page['name']} ({page['url']})"
            if "target_ms" in page:  # a target of its own, at any size
                if ms >= page["target_ms"]:
                    found.append(
                        (
                            size,
                            page["name"],
                            f"{where}: {ms:.0f} ms, target under {page['target_ms']} ms",
                        )
                    )
                continue
            if page["url"].startswith("/admin/"):
                if (size == TARGET_SIZE or result["evidence"] >= ADMIN_EVIDENCE) and ms >= ADMIN_MS:
                    found.append(
                        (size, page["name"], f"{where}: {ms:.0f} ms, target under {ADMIN_MS} ms")
                    )
            elif size == TARGET_SIZE:
                if ms >= PAGE_MS:
                    found.append(
                        (size, page["name"], f"{where}: {ms:.0f} ms, target under {PAGE_MS} ms")
                    )
                if ratio >= PAGE_RATIO:
                    found.append(
                        (
                            size,
                            page["name"],
                            f"{where}: {ratio:.1f}x the floor, target under {PAGE_RATIO}x",
                        )
                    )
            if page["name"] == TEAM_ALL and size >= BIG_SIZE and ms >= TEAM_MS:
                found.append(
                    (size, page["name"], f"{where}: {ms:.0f} ms, target under {TEAM_MS} ms")
                )
        for entry in result.get("import", []) if isinstance(result.get("import"), list) else []:
            limit = IMPORT_SECONDS.get(entry["size"])
            timed = entry["name"] in ("new people", "admin upload")
            if timed and limit and entry.get("seconds", 0) >= limit:
                how = (
                    "in the admin, from upload to imported, "
                    if entry["name"] != "new people"
                    else ""
                )
                found.append(
                    (
                        size,
                        None,
                        f"{size:,} people: importing {entry['size']:,} new people {how}took "
                        f"{entry['seconds']:.1f} s, target under {limit} s",
                    )
                )
    if TARGET_SIZE not in sizes:
        print(f"\n(page targets are for {TARGET_SIZE:,} people, which was not measured)")
    return found


def print_table(report, missed):
    """Every page: median ms, ratio to the floor and queries at each size; a page that
    misses a target at a size is marked with "!"."""
    sizes = [size for size, result in report["sizes"].items() if "floor" in result]
    if not sizes:
        return
    rows = {"floor view": {"role": "person"}}
    for size in sizes:
        floor = report["sizes"][size]["floor"]
        rows["floor view"][size] = {**floor, "ratio": 1.0}
        for page in report["sizes"][size].get("pages", []):
            rows.setdefault(page["name"], {"role": page["role"]})[size] = page
    name_width, role_width, cell = 44, 10, 26
    print(
        f"\n{'page':<{name_width}}{'role':<{role_width}}"
        + "".join(f"{f'{int(size):,} people':>{cell}}" for size in sizes)
    )
    print(
        f"{'':<{name_width + role_width}}"
        + "".join(f"{'ms':>10}{'x floor':>8}{'q':>5}{'':3}" for _ in sizes)
    )
    for name, by_size in rows.items():
        cells = []
        for size in sizes:
            page = by_size.get(size)
            if page is None:
                cells.append(" " * cell)
            elif "error" in page:
                cells.append(f"{'FAILED':>{cell - 3}}   ")
            else:
                mark = "!" if {(name, int(size)), (name, None)} & missed else ""
                cells.append(
                    f"{page['median_ms']:>10.1f}{page['ratio']:>7.1f}x{page['queries']:>5} "
                    f"{mark:<2}"
                )
        label = name if len(name) < name_width else name[: name_width - 2] + "…"
        print(f"{label:<{name_width}}{by_size['role']:<{role_width}}" + "".join(cells))


def main(argv=None):
    from django.test.utils import get_runner

    args = options(argv)
    setup_test_environment()
    if connection.vendor != "sqlite":  # keep clear of the test suite's database
        connection.settings_dict["TEST"]["NAME"] = f"bench_{connection.settings_dict['NAME']}"
    runner = get_runner(settings)(verbosity=0, interactive=False)
    old_config = runner.setup_databases(serialized_aliases=[])
    report = {
        "started": datetime.datetime.now().isoformat(timespec="seconds"),
        "database": connection.vendor,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "smoke": args.smoke,
        "repeats": args.repeats,
        "sizes": {},
    }
    try:
        # No query log (DEBUG's): writing it costs more than some pages do.
        with override_settings(DEBUG=False, ROOT_URLCONF=bench_urlconf()):
            for index, size in enumerate(args.sizes):
                empty_database(flush=index > 0)
                try:
                    report["sizes"][str(size)] = bench_size(size, args, first=index == 0)
                except Exception as error:
                    import traceback

                    traceback.print_exc()
                    report["sizes"][str(size)] = {"error": f"{type(error).__name__}: {error}"}
    finally:
        # Every connection to the throwaway database closed first, the background tasks'
        # progress connection too (jobs.runner.Progress): PostgreSQL drops no database in use.
        connections.close_all()
        runner.teardown_databases(old_config)
    found = misses(report, args)
    missed = {(name, size) for size, name, _ in found if name}
    print_table(report, missed)
    unlisted = sorted({key for r in report["sizes"].values() for key in r.get("unlisted", [])})
    if unlisted:
        print(f"\nNot timed, no row in the access sweep's table: {', '.join(unlisted)}")
    report["misses"] = [text for _, _, text in found]
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nResults written to {path}")
    if found:
        print(f"\n{len(found)} target(s) missed or failed:")
        for _, _, text in found:
            print(f"  - {text}")
        return 1
    print(
        "\nEvery target met."
        if not args.smoke
        else "\nSmoke: every page opens, query counts steady."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
