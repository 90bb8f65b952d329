"""
Load test: PM Ladder served by gunicorn (with the repo's gunicorn.conf.py, DEBUG off) to
50 signed-in people at once, driven by locust (scripts/load/locustfile.py).

    make load                                               # a throwaway SQLite file
    DATABASE_URL=postgres://user@host:5432/pmladder_load make load
    LOAD_PEOPLE=2000 make load                              # a smaller organisation

It builds a generated organisation (scripts/orggen.py) in a database of its own, starts
gunicorn on a free port of 127.0.0.1, and runs locust twice: first with 1 to 3 s of think
time between steps, as people reading pages, then with none, for the most the server can
do. Each run signs everyone in through the sign-in form, then measures LOAD_SECONDS with
everyone signed in (sign-ins, a second of CPU each on purpose, are reported apart). Then
it checks that every write the app confirmed (evidence, wins, review drafts) is in the
database, prints throughput, percentiles, errors and the slowest pages of each run, and
exits non-zero on any error or lost write (and, with LOAD_STRICT=1, on a missed target).

With DATABASE_URL (PostgreSQL), the database it uses is the URL's own when its name ends
in `_load`, otherwise that name with `_load` added, on the same server: it is dropped and
created anew at the start, and dropped at the end (kept with LOAD_KEEP=1). Without
DATABASE_URL it is a SQLite file in a temporary folder, deleted at the end.

Settings (environment variables):

- LOAD_PEOPLE: people in the organisation [10000]
- LOAD_EVIDENCE: evidence items per person [30]; LOAD_REVIEWS: reviews per manager [2]
- LOAD_USERS: simulated people, each with an account of their own [50]
- LOAD_SPAWN_RATE: people starting per second [10]
- LOAD_SECONDS: the measured part of each run, in seconds [60]
- LOAD_RUNS: which runs, of `think` and `nothink` [think,nothink]
- LOAD_OUT: folder for the results (locust's CSV files, the server's logs, summary.json)
  [load-results]
- WEB_CONCURRENCY, GUNICORN_THREADS and the other settings of gunicorn.conf.py apply.

Sign-in throttling is raised for the run (LOGIN_FAILURE_LIMIT and
LOGIN_ADDRESS_FAILURE_LIMIT): every simulated person signs in from 127.0.0.1.
"""

import csv
import json
import os
import runpy
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
LOCUSTFILE = ROOT / "scripts" / "load" / "locustfile.py"

PEOPLE = int(os.environ.get("LOAD_PEOPLE", "10000"))
EVIDENCE = int(os.environ.get("LOAD_EVIDENCE", "30"))
REVIEWS = int(os.environ.get("LOAD_REVIEWS", "2"))
USERS = int(os.environ.get("LOAD_USERS", "50"))
SPAWN_RATE = os.environ.get("LOAD_SPAWN_RATE", "10")
SECONDS = int(os.environ.get("LOAD_SECONDS", "60"))
RUNS = [run for run in os.environ.get("LOAD_RUNS", "think,nothink").split(",") if run]
OUT = ROOT / os.environ.get("LOAD_OUT", "load-results")
KEEP = os.environ.get("LOAD_KEEP", "") in {"1", "true", "yes", "on"}
STRICT = os.environ.get("LOAD_STRICT", "") in {"1", "true", "yes", "on"}

# The targets of the load test (issue 12): with think time, p95 of pages under 150 ms and
# no errors; with none, at least 2.5 times the 40 requests/s of the old setup of two sync
# workers on two CPUs.
P95_TARGET_MS = 150
RPS_TARGET = 2.5 * 40

CPUS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()

RUN_SETTINGS = {
    "think": {"LOAD_THINK": "1", "what": "1-3 s think time"},
    "nothink": {"LOAD_THINK": "0", "what": "no think time"},
}


def main():
    unknown = set(RUNS) - set(RUN_SETTINGS)
    if unknown:
        sys.exit(f"LOAD_RUNS: unknown runs {', '.join(sorted(unknown))} (think, nothink).")
    OUT.mkdir(exist_ok=True)
    for old in OUT.iterdir():
        if old.is_file():
            old.unlink()
    database = Database.for_url(os.environ.get("DATABASE_URL", ""))
    server = None
    try:
        database.create()
        env = server_env(database.url)
        setup_django(env)
        org, password = build(database)
        server = Server(env)
        server.start()
        results = [run_locust(name, org, password, server) for name in RUNS]
    finally:
        if server is not None:
            server.stop()
        database.drop()
    return report(results, server)


# The database --------------------------------------------------------------------------------


class Database:
    """The load test's own database: PostgreSQL beside DATABASE_URL's, or a SQLite file."""

    def __init__(self, url, *, folder=None):
        self.url = url
        self.folder = folder

    @classmethod
    def for_url(cls, url):
        if not url:
            folder = Path(tempfile.mkdtemp(prefix="pmladder-load-"))
            return cls(f"sqlite:///{folder / 'load.sqlite3'}", folder=folder)
        parts = urlsplit(url)
        if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
            sys.exit("DATABASE_URL must be a PostgreSQL URL (or unset, for SQLite).")
        name = parts.path.lstrip("/")
        if not name.endswith("_load"):  # never drop a database the app may be using
            name += "_load"
        return cls(urlunsplit(parts._replace(path=f"/{name}")))

    @property
    def name(self):
        return urlsplit(self.url).path.lstrip("/") if self.folder is None else "SQLite"

    def _admin(self, sql):
        import psycopg
        from psycopg import sql as q

        parts = urlsplit(self.url)
        server = urlunsplit(parts._replace(path="/postgres", query=""))
        with psycopg.connect(server, autocommit=True) as connection:
            connection.execute(q.SQL(sql).format(q.Identifier(self.name)))

    def create(self):
        if self.folder is None:
            self._admin("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            self._admin("CREATE DATABASE {}")

    def drop(self):
        if KEEP:
            print(f"Kept the database: {self.url}")
            return
        from django.apps import apps

        if apps.ready:
            from django.db import connections

            connections.close_all()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
        else:
            self._admin("DROP DATABASE IF EXISTS {} WITH (FORCE)")


def server_env(database_url):
    """The environment of the app, served as in production (DEBUG off), on plain HTTP on
    127.0.0.1: no redirect to HTTPS, emails dropped, sign-in throttling out of the way of
    50 people signing in from one address."""
    env = dict(os.environ)
    env.pop("DEBUG", None)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "pmladder.settings",
            "DATABASE_URL": database_url,
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
            "LOGIN_FAILURE_LIMIT": "100000",
            "LOGIN_ADDRESS_FAILURE_LIMIT": "100000",
            "LOG_LEVEL": "WARNING",
            "GUNICORN_ACCESS_LOG": str(OUT / "access.log"),
        }
    )
    return env


def setup_django(env):
    """Django in this process, on the load database, for building and checking the data
    (with no statement time limit: building is not serving)."""
    os.environ.update(env)
    os.environ["DB_STATEMENT_TIMEOUT"] = "0"
    import django

    django.setup()


def build(database):
    """Migrate, collect the static files (WhiteNoise serves them with DEBUG off) and
    generate the organisation. Returns it with the password everyone signs in with."""
    from django.core.management import call_command

    from scripts.orggen import build_org, settle

    started = time.perf_counter()
    print(f"Database: {database.name}. Migrating and collecting static files...", flush=True)
    call_command("migrate", interactive=False, verbosity=0)
    if not static_files_current():
        call_command("collectstatic", interactive=False, verbosity=0)
    print(f"Done in {time.perf_counter() - started:.0f} s.", flush=True)
    password = secrets.token_urlsafe(16)
    started = time.perf_counter()
    print(
        f"Building an organisation of {PEOPLE:,} people ({EVIDENCE} evidence items each, "
        f"{REVIEWS} reviews per manager)...",
        flush=True,
    )
    org = build_org(
        PEOPLE, evidence_per_person=EVIDENCE, reviews_per_manager=REVIEWS, password=password
    )
    settle()  # readiness counted and the tables vacuumed, as on a running server
    print(f"Built in {time.perf_counter() - started:.0f} s.", flush=True)
    return org, password


def static_files_current():
    """Whether STATIC_ROOT's manifest is newer than every static file it is made from
    (collecting them again takes a while: each is hashed and compressed)."""
    from django.conf import settings
    from django.contrib.staticfiles.finders import get_finders

    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if not manifest.exists():
        return False
    made = manifest.stat().st_mtime
    return all(
        Path(storage.path(path)).stat().st_mtime < made
        for finder in get_finders()
        for path, storage in finder.list([])
    )


# Who signs in ------------------------------------------------------------------------------


def accounts(org, password):
    """The accounts file of a run: USERS accounts (HR, the named people of the
    organisation, then people spread over every layer of the tree), the ladder, and the
    draft reviews each manager already has (from an earlier run)."""
    named = [org.top, org.director, org.manager, org.leaf]
    seen = {person.pk for person in named}
    rest = [person for _, person in org.user_employees if person.pk not in seen]
    people = named + _spread(rest, USERS - 1 - len(named))
    ladder = org.ladder
    return {
        "password": password,
        "ladder": {
            "slug": ladder.slug,
            "name": ladder.name,
            "levels": list(ladder.levels.order_by("position").values_list("key", "name")),
        },
        "accounts": [_hr_account(org), *(_account(person) for person in people)],
    }


def _spread(items, count):
    """`count` of `items`, evenly spread over the list."""
    if count <= 0 or not items:
        return []
    if count >= len(items):
        return list(items)
    return [items[round(i * (len(items) - 1) / max(1, count - 1))] for i in range(count)]


def _account(employee):
    from assessments.models import Employee, Review
    from assessments.selectors import below

    reports = list(Employee.objects.filter(manager=employee).order_by("pk"))
    deeper = below(employee).exclude(manager=employee).order_by("?")[:8]
    account = {
        "username": employee.user.username,
        "employee": employee.pk,
        "name": employee.full_name,
        "manager": bool(reports),
        "hr": False,
        "people": [[person.pk, person.full_name] for person in [*reports[:8], *deeper]],
    }
    if reports:
        # Their last report: the first ones have a shared review already (orggen).
        target = reports[-1]
        draft = (
            Review.objects.filter(author=employee.user, employee=target, status=Review.Status.DRAFT)
            .values_list("pk", flat=True)
            .first()
        )
        account["review"] = {"employee": target.pk, "draft": draft}
    return account


def _hr_account(org):
    from assessments.models import Employee

    people = Employee.objects.exclude(user=org.hr_user).order_by("?")[:16]
    return {
        "username": org.hr_user.username,
        "employee": None,
        "name": "",
        "manager": True,
        "hr": True,
        "people": [[person.pk, person.full_name] for person in people],
    }


# The server ----------------------------------------------------------------------------------


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn with the repo's config on a free port of 127.0.0.1."""

    def __init__(self, env):
        self.env = env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None
        self.cpu = None
        self.config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
        self.log = OUT / "gunicorn.log"

    def start(self):
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(ROOT / "gunicorn.conf.py"),
            "pmladder.wsgi",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--no-control-socket",  # several servers on one machine would share it
        ]
        print(
            f"Starting gunicorn on {self.url}: {self.config['workers']} "
            f"{self.config['worker_class']} workers x {self.config['threads']} threads...",
            flush=True,
        )
        with open(self.log, "w") as log:  # its log, and whatever the app prints
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"gunicorn stopped at start:\n{_tail(self.log)}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        self.cpu = CpuSampler(self.process.pid)
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.5)
        sys.exit(f"gunicorn did not answer within 60 s:\n{_tail(self.log)}")

    def stop(self):
        if self.cpu is not None:
            self.cpu.stop()
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # graceful: workers finish their requests
        try:
            self.process.wait(timeout=self.config["graceful_timeout"] + 10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def worker_errors(self):
        """Lines of the server's log about workers that were killed or crashed."""
        if not self.log.exists():
            return []
        words = ("WORKER TIMEOUT", "Traceback", "SIGKILL", "Internal Server Error")
        return [line for line in self.log.read_text().splitlines() if any(w in line for w in words)]


class CpuSampler:
    """The CPU time used by a process and its children (gunicorn's master and workers),
    sampled four times a second from /proc (Linux; elsewhere nothing is measured). On a
    machine shared with other work, CPU time per request says what the server costs
    better than the time requests take."""

    def __init__(self, pid):
        self.pid = pid
        self.samples = []
        self.running = Path(f"/proc/{pid}/stat").exists()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        if self.running:
            self.thread.start()

    def _sample(self):
        while self.running:
            used = self.used()
            if used is not None:
                self.samples.append((time.time(), used))
            time.sleep(0.25)

    def stop(self):
        self.running = False

    def used(self):
        """CPU seconds of the process, its live children and the children it has
        reaped (workers replaced after max_requests)."""
        try:
            total = _cpu_ticks(Path(f"/proc/{self.pid}/stat"), children=True)
            for stat in Path("/proc").glob("[0-9]*/stat"):
                try:
                    fields = stat.read_text().rsplit(")", 1)[1].split()
                except OSError:  # ended meanwhile
                    continue
                if int(fields[1]) == self.pid:
                    total += _cpu_ticks(stat, children=True)
        except OSError:
            return None
        return total / os.sysconf("SC_CLK_TCK")

    def between(self, start, end):
        """CPU seconds used from `start` to `end` (epoch seconds), or None."""
        before = [used for at, used in self.samples if at <= start]
        after = [used for at, used in self.samples if at >= end]
        if not before or not after:
            return None
        return after[0] - before[-1]

    def wait_until_idle(self, limit=120):
        """Wait for the requests still queued in the server to be served (its CPU use
        drops to almost nothing), so that they do not count in the next run."""
        deadline = time.monotonic() + limit
        while self.running and time.monotonic() < deadline:
            first = self.used()
            time.sleep(1)
            last = self.used()
            if first is None or last is None or last - first < 0.05:
                return


def _cpu_ticks(stat, *, children):
    fields = stat.read_text().rsplit(")", 1)[1].split()
    used = int(fields[11]) + int(fields[12])  # utime, stime
    if children:
        used += int(fields[13]) + int(fields[14])  # cutime, cstime
    return used


def _tail(path, lines=30):
    return "\n".join(path.read_text().splitlines()[-lines:]) if path.exists() else ""


# A run ---------------------------------------------------------------------------------------


def run_locust(name, org, password, server):
    settings = RUN_SETTINGS[name]
    files = {
        "LOAD_ACCOUNTS": OUT / f"{name}-accounts.json",
        "LOAD_WRITES": OUT / f"{name}-writes.jsonl",
        "LOAD_SUMMARY": OUT / f"{name}-summary.json",
    }
    files["LOAD_ACCOUNTS"].write_text(json.dumps(accounts(org, password), indent=1))
    files["LOAD_WRITES"].write_text("")
    env = {
        **os.environ,
        **{key: str(path) for key, path in files.items()},
        "LOAD_RUN": name,
        "LOAD_THINK": settings["LOAD_THINK"],
        "LOAD_USERS": str(USERS),
        "LOAD_SECONDS": str(SECONDS),
    }
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--users",
        str(USERS),
        "--spawn-rate",
        SPAWN_RATE,
        "--run-time",  # only if something hangs: the locustfile ends the run itself
        f"{SECONDS + 600}s",
        "--host",
        server.url,
        "--csv",
        str(OUT / name),
        "--only-summary",
    ]
    print(
        f"Run {name!r}: {USERS} people, {settings['what']}, for {SECONDS} s "
        f"(load average before: {_load_average()})...",
        flush=True,
    )
    locust_before = _children_cpu()
    with open(OUT / f"{name}-locust.log", "w") as log:
        subprocess.run(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    locust_cpu = _children_cpu() - locust_before
    summary_file = files["LOAD_SUMMARY"]
    if not summary_file.exists():
        sys.exit(f"locust wrote no summary:\n{_tail(OUT / f'{name}-locust.log')}")
    summary = json.loads(summary_file.read_text())
    server.cpu.wait_until_idle()
    window = summary.get("window", {})
    server_cpu = None
    if "start" in window:
        server_cpu = server.cpu.between(window["start"], window["end"])
    return {
        "name": name,
        "what": settings["what"],
        **summary,
        "server_cpu": server_cpu,
        "locust_cpu": locust_cpu,
        "endpoints": _endpoints(OUT / f"{name}_stats.csv"),
        "errors": _errors(OUT / f"{name}_failures.csv"),
        "writes": check_writes(name, files["LOAD_WRITES"]),
    }


def _children_cpu():
    import resource

    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _load_average():
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def _endpoints(path):
    """Each request name's count, failures and percentiles, slowest (p95) first."""
    rows = []
    with open(path, newline="") as file:
        for row in csv.DictReader(file):
            if row["Name"] == "Aggregated":
                continue
            rows.append(
                {
                    "name": f"{row['Type']} {row['Name']}",
                    "requests": int(row["Request Count"]),
                    "failures": int(row["Failure Count"]),
                    "p50": _number(row["50%"]),
                    "p95": _number(row["95%"]),
                    "p99": _number(row["99%"]),
                }
            )
    return sorted(rows, key=lambda row: row["p95"], reverse=True)


def _number(text):
    try:
        return float(text)
    except ValueError:  # "N/A" when nothing was timed
        return 0.0


def _errors(path):
    if not path.exists():
        return []
    with open(path, newline="") as file:
        return [
            f"{row['Occurrences']} x {row['Method']} {row['Name']}: {row['Error']}"
            for row in csv.DictReader(file)
        ]


# Lost writes -------------------------------------------------------------------------------


def check_writes(run, path):
    """Every write the app confirmed during `run`, looked up in the database: evidence
    and wins by the text written, review drafts by the summary of their latest save.
    Returns {kind: confirmed writes} and the writes that are not there."""
    from assessments.models import Evidence, Review

    writes = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    counts, lost = {}, []
    for write in writes:
        counts[write["kind"]] = counts.get(write["kind"], 0) + 1

    # Evidence and wins: each text once, from the right source.
    written = {
        description.split(":", 1)[0]: source
        for description, source in Evidence.objects.filter(
            description__startswith=f"load {run} "
        ).values_list("description", "source")
    }
    sources = {"evidence": Evidence.Source.MANAGER, "win": Evidence.Source.SELF}
    for write in writes:
        if write["kind"] in sources and written.get(write["token"]) != sources[write["kind"]]:
            lost.append(f"{write['kind']} {write['token']!r}")

    # Reviews: started ones exist; each draft holds its latest save, and its version moved
    # past every version saved over.
    saves = {}
    for write in writes:
        if write["kind"] == "review":
            latest = saves.get(write["review"])
            if latest is None or write["version"] > latest["version"]:
                saves[write["review"]] = write
    started = {w["review"] for w in writes if w["kind"] == "review_start"}
    reviews = Review.objects.in_bulk(started | set(saves))
    for pk in started - set(reviews):
        lost.append(f"review {pk} (started)")
    for pk, latest in saves.items():
        review = reviews.get(pk)
        if (
            review is None
            or not _same_or_later(review.summary.split(":", 1)[0], latest["token"])
            or review.version <= latest["version"]
        ):
            lost.append(f"review {pk}: save {latest['token']!r}")
    return {"counts": counts, "lost": lost}


def _same_or_later(found, recorded):
    """Whether the token `found` in a draft is the `recorded` one or one its account wrote
    later in the run (`locustfile.token`: "load <run> <account> <kind> <n>"): a save the
    app confirmed as the run stopped, before the account could record it."""
    if found == recorded:
        return True
    found_head, _, found_n = found.rpartition(" ")
    recorded_head, _, recorded_n = recorded.rpartition(" ")
    return (
        found_head == recorded_head
        and found_n.isdigit()
        and recorded_n.isdigit()
        and int(found_n) > int(recorded_n)
    )


# The report ----------------------------------------------------------------------------------


def report(results, server):
    """Print each run's figures and the targets; the exit status."""
    failed = False
    print()
    for result in results:
        every, sign_in = result["all"], result["sign_in"]
        print(f"Run {result['name']!r} ({result['what']}, {USERS} people, {SECONDS} s):")
        print(
            f"  {every['requests']} requests ({every['rps']}/s), {every['failures']} errors; "
            f"p50 {every['p50']} ms, p95 {every['p95']} ms, p99 {every['p99']} ms, "
            f"max {every['max']} ms"
        )
        print(
            f"  sign-ins before: {sign_in.get('requests', 0)} requests, "
            f"{sign_in['failures']} errors; p50 {sign_in.get('p50')} ms, "
            f"p95 {sign_in.get('p95')} ms"
        )
        cpu = result["server_cpu"]
        if cpu and every["requests"]:
            window = result["window"]["end"] - result["window"]["start"]
            per_request = 1000 * cpu / every["requests"]
            print(
                f"  server CPU: {per_request:.0f} ms per request ({cpu:.0f} CPU-s in "
                f"{window:.0f} s); on {CPUS} CPUs of its own it could serve about "
                f"{1000 * CPUS / per_request:.0f} requests/s. locust used "
                f"{result['locust_cpu']:.0f} CPU-s in the whole run."
            )
        if result.get("sent_again"):
            print(
                f"  sent again after the server closed an idle connection: "
                f"{result['sent_again']} requests"
            )
        writes = result["writes"]
        done = ", ".join(f"{n} {kind}" for kind, n in sorted(writes["counts"].items()))
        print(f"  writes confirmed: {done or 'none'}; lost: {len(writes['lost'])}")
        for line in writes["lost"][:10]:
            print(f"    LOST {line}")
        for line in [*sign_in["errors"], *result["errors"]][:10]:
            print(f"    ERROR {line}")
        print("  slowest (p50 / p95 / p99 ms, requests):")
        for row in result["endpoints"][:6]:
            print(
                f"    {row['p50']:>6.0f} {row['p95']:>6.0f} {row['p99']:>6.0f}  "
                f"{row['requests']:>5}  {row['name']}"
            )
        failed = failed or every["failures"] or sign_in["failures"] or writes["lost"]
    crashes = server.worker_errors() if server else []
    for line in crashes[:10]:
        print(f"  SERVER {line}")
    failed = failed or bool(crashes)

    targets = _targets(results)
    print()
    for line, met in targets:
        print(f"  {'met   ' if met else 'MISSED'} {line}")
    shown = OUT.relative_to(ROOT) if OUT.is_relative_to(ROOT) else OUT
    print(f"\nResults in {shown}/ (locust's CSV files, the server's logs).")
    (OUT / "summary.json").write_text(
        json.dumps({"people": PEOPLE, "users": USERS, "runs": results}, indent=2)
    )
    missed = not all(met for _, met in targets)
    if failed:
        print("FAILED: errors or lost writes (above).")
        return 1
    if missed and STRICT:
        print("FAILED: a target is missed (LOAD_STRICT=1).")
        return 1
    return 0


def _targets(results):
    by_name = {result["name"]: result for result in results}
    targets = []
    if "think" in by_name:
        p95 = by_name["think"]["all"]["p95"]
        targets.append(
            (f"think time: p95 {p95} ms (target under {P95_TARGET_MS} ms)", p95 < P95_TARGET_MS)
        )
    for result in results:
        targets.append(
            (
                f"{result['name']}: {result['all']['failures']} errors (target 0)",
                result["all"]["failures"] == 0,
            )
        )
    if "nothink" in by_name:
        rps = by_name["nothink"]["all"]["rps"]
        targets.append(
            (
                f"no think time: {rps} requests/s (target at least {RPS_TARGET:.0f}, "
                "2.5x the 40/s of two sync workers)",
                rps >= RPS_TARGET,
            )
        )
    return targets


if __name__ == "__main__":
    sys.exit(main())
