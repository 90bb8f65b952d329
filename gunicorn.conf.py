"""
Gunicorn settings for PM Ladder: `gunicorn -c gunicorn.conf.py pmladder.wsgi`.

Each value can be changed by an environment variable, and any command-line option given
after `-c gunicorn.conf.py` wins over this file (`--bind 0.0.0.0:8000`).

Environment variables (defaults in brackets):

- GUNICORN_BIND: the address to listen on [127.0.0.1:8000]; 0.0.0.0:8000 to be reached
  from a proxy on another machine.
- WEB_CONCURRENCY: worker processes [the CPUs this process may use, at least 2].
- GUNICORN_THREADS: threads per worker [2].
- GUNICORN_TIMEOUT: seconds a worker may go silent before it is replaced [30].
- GUNICORN_GRACEFUL_TIMEOUT: seconds a worker has to finish its requests on restart or
  shutdown [30].
- GUNICORN_KEEPALIVE: seconds an idle keep-alive connection is kept open [0: each
  connection closes after its response; see below].
- GUNICORN_MAX_REQUESTS: requests a worker serves before it is replaced [1000; 0: never],
  GUNICORN_MAX_REQUESTS_JITTER: up to this many more, so workers are not all replaced at
  once [100].
- GUNICORN_PRELOAD: load the app once, before the workers are forked [on].
- GUNICORN_ACCESS_LOG: where the access log goes [-, standard output; empty: none].

Workers and threads: pages spend most of their time in Python (templates, the ORM), which
one process runs on one CPU at a time, so there is a worker per CPU. Its second thread
serves another request while one waits for the database or streams a download; more
threads made every page slower, as each thread coming back from the database waited for
the others to let go of the interpreter (`make load` on two CPUs, 2 workers x 1, 2 and 4
threads: 65, 61 and 49 requests/s with no think time; with 1-3 s of think time, p95 of
120, 120 and 230 ms).

Keep-alive: a connection stays with the worker that accepted it, and a `gthread` worker
accepts every connection it sees, however busy its threads are. When a worker is replaced
(after `max_requests`) its clients connect again while the new one starts, so the other
worker takes all of them and keeps them: under load one CPU did all the work and the
other idled (24 requests/s with 2 s of keep-alive against 40 with none, in `make load`).
So each response closes its connection and every request goes to whichever worker
accepts it first, which is the idle one. A proxy in front (as the README's deployment
has) keeps the browsers' connections open; the connection from the proxy to the app is
local and costs well under a millisecond.

Database connections: Django keeps one connection per thread, and keeps it open for
`DB_CONN_MAX_AGE` seconds (default 60) to reuse it. A server therefore holds up to
WEB_CONCURRENCY x GUNICORN_THREADS connections to PostgreSQL (4 with the defaults on two
CPUs), and a worker replaced after `max_requests` opens new ones as the old ones close.
PostgreSQL's `max_connections` (100 by default, a few of them reserved for superusers)
must exceed the sum over every app server, plus task workers (`manage.py db_worker`, one
connection each), migrations and the admin's shell: for instance 4 servers of 2 x 2
threads need 16 or so. Past that, put a pooler such as PgBouncer in front of PostgreSQL
(with DB_STATEMENT_TIMEOUT=0, and DB_PREPARED_STATEMENTS=0 before PgBouncer 1.21; see the
README) or set DB_CONN_MAX_AGE=0 to close connections after each request, at the cost of
a new connection per request.
"""

import os


def _env_int(name, default):
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def _env_bool(name, default):
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    return value in {"1", "true", "yes", "on"}


def _cpus():
    """CPUs this process may run on (a container's limit, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = _env_int("WEB_CONCURRENCY", max(2, _cpus()))
threads = _env_int("GUNICORN_THREADS", 2)

# A request is not limited by `timeout` in gthread workers (the worker's main loop keeps
# its heartbeat); the database's statement timeout (DB_STATEMENT_TIMEOUT) bounds the
# slow part of a request instead. `timeout` catches a worker that is stuck altogether.
timeout = _env_int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# 0: each request goes to whichever worker is free to accept it (see the top).
keepalive = _env_int("GUNICORN_KEEPALIVE", 0)

# Replacing each worker now and then returns memory that Python holds on to (caches,
# fragmentation); the jitter keeps the workers from being replaced together.
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _env_int("GUNICORN_MAX_REQUESTS_JITTER", 100)

# The app is imported once in the master and the workers share its memory; a worker
# replaced after max_requests starts at once. Django opens no database connection while
# it loads, so none is shared between processes. Code changes then need a restart, not a
# HUP.
preload_app = _env_bool("GUNICORN_PRELOAD", True)


def when_ready(server):
    """With the app preloaded, compile its templates and fill its URL resolvers in the
    master, before it forks: every worker, the replaced ones too, starts with them
    (`pmladder.warmup`)."""
    if server.cfg.preload_app:
        _warm(server.log)


def post_worker_init(worker):
    """Without preloading, each worker does the same before its first request."""
    if not worker.cfg.preload_app:
        _warm(worker.log)


def _warm(log):
    from pmladder.warmup import warm

    log.info("Compiled %s templates before taking requests.", warm())


# The heartbeat file in memory, where a busy disk cannot stall it (Linux).
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
# The usual combined format, then the time the request took in milliseconds and the
# worker's process id.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms %(p)s'
errorlog = "-"
