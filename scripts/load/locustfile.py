"""
Signed-in people using PM Ladder, for locust. Run by `make load` (scripts/load.py), which
builds the organisation, starts the server and writes the accounts file this reads.

Each simulated user signs in through the sign-in form with an account of its own, then
keeps doing what that person would: reading their page, their reports' pages, the team
lists and the ladder, and writing (recording evidence about a report, logging a win,
saving a review draft), with the forms read from the pages and filled in as a browser
would send them. Every response is checked for its status and for something only the
right page shows; a write counts as done only when the app answered with the redirect
that follows a successful save, and is then written to the writes file so that the
driver can check afterwards that the database has it.

Environment (set by scripts/load.py):

- LOAD_ACCOUNTS: the accounts file (JSON), one account per simulated user.
- LOAD_WRITES: the file to append each successful write to (JSON lines).
- LOAD_SUMMARY: the file to write the run's figures to, and the sign-ins' apart.
- LOAD_RUN: a name for the run, part of every text written, so writes are traceable.
- LOAD_THINK: 1 (default) waits 1 to 3 s between steps, as a person reading; 0 not at
  all, to measure the most the server can do.
- LOAD_USERS: how many people locust starts (its --users); LOAD_SECONDS: how long the
  measured part of the run lasts.

The run is measured once everyone has signed in, for LOAD_SECONDS, and then stops: a
sign-in hashes the password on purpose (about a second of CPU), so 50 people signing in
together hold the two CPUs of a small server for half a minute, which is not what the
pages cost once people are in. The sign-ins are reported apart, errors included.
"""

import html
import itertools
import json
import logging
import os
import random
import re
import sys
import time
from urllib.parse import urljoin

import gevent
from gevent.event import Event
from locust import HttpUser, between, constant, events, task
from requests.adapters import HTTPAdapter
from urllib3.util import Retry

sys.path.insert(0, os.path.dirname(__file__))
from browsing import form_with, problem_on, send_secure_cookies_over_loopback

RUN = os.environ.get("LOAD_RUN", "load")
THINK = os.environ.get("LOAD_THINK", "1") not in {"0", "false", "no", "off"}
SIGN_IN = "sign in"  # the names of the sign-in requests start with this
USERS = int(os.environ.get("LOAD_USERS", "50"))
SECONDS = float(os.environ.get("LOAD_SECONDS", "60"))


def _accounts():
    with open(os.environ["LOAD_ACCOUNTS"], encoding="utf-8") as file:
        return json.load(file)


ACCOUNTS = _accounts()
_next_account = itertools.count()
_writes = open(os.environ["LOAD_WRITES"], "a", encoding="utf-8", buffering=1)  # noqa: SIM115


def record_write(**fields):
    """One successful write, for the check that the database kept it."""
    _writes.write(json.dumps({"run": RUN, **fields}) + "\n")


# A request sent on a kept-alive connection just as the server closes it for being idle
# (GUNICORN_KEEPALIVE) fails with a reset connection, whatever the server's settings.
# Browsers send such a request again, once, on a new connection; so does this client. A
# worker that really dies mid-request shows in the server's log, which the driver checks.
BROWSER_RETRIES = Retry(
    total=1, connect=1, read=1, status=0, other=0, redirect=0, allowed_methods=None
)


class _RetryCounter(logging.Handler):
    """Counts the requests sent again (urllib3 logs each one)."""

    count = 0

    def emit(self, record):
        if record.getMessage().startswith("Retrying"):
            type(self).count += 1


logging.getLogger("urllib3.connectionpool").addHandler(_RetryCounter(logging.WARNING))


# The people ----------------------------------------------------------------------------------


class Person(HttpUser):
    """One signed-in person of the organisation, as the accounts file describes them."""

    wait_time = between(1, 3) if THINK else constant(0)

    def on_start(self):
        self.number = next(_next_account)
        self.account = ACCOUNTS["accounts"][self.number % len(ACCOUNTS["accounts"])]
        self.writes = itertools.count(1)
        self.review_pk = self.account.get("review", {}).get("draft")
        self.plan = self._plan()
        self.client.mount("http://", HTTPAdapter(max_retries=BROWSER_RETRIES))
        self.sign_in()
        signed_in(self.environment)
        _measuring.wait()  # no one starts before everyone is in
        # Then each starts after a think time of their own, as people do, rather than all
        # fifty at the same moment (no wait without think time).
        gevent.sleep(self.wait_time())

    # What each person does, and how often ------------------------------------------------------

    def _plan(self):
        account = self.account
        plan = [
            (self.ladder_list, 1),
            (self.ladder, 1),
            (self.level, 2),
            (self.compare, 1),
        ]
        if account["employee"]:
            plan += [(self.me, 4), (self.log_win, 1)]
        if account["people"]:
            plan += [(self.person, 4), (self.record_evidence, 1)]
        else:
            plan += [(self.own_page, 2)]
        if account["manager"]:
            plan += [(self.team, 2), (self.team_everyone, 1)]
        if account["employee"] and account["people"]:
            plan += [(self.packet, 1)]
        if account.get("review"):
            plan += [(self.save_review, 1)]
        if account["hr"]:
            plan += [(self.admin_evidence, 1)]
        return plan

    @task
    def step(self):
        actions, weights = zip(*self.plan, strict=True)
        random.choices(actions, weights)[0]()

    # Checks ----------------------------------------------------------------------------------

    def get(self, url, *, name, marker, signed_in=True):
        """GET `url` and check that it answers 200 with a page that shows `marker` (and,
        unless `signed_in` is false, the sign-out button of a signed-in page)."""
        send_secure_cookies_over_loopback(self.client.cookies)
        with self.client.get(
            url, name=name, allow_redirects=False, catch_response=True
        ) as response:
            check(response, marker, signed_in=signed_in)
            return response

    def post(self, url, data, *, name, then):
        """POST `data` as a browser sends a form from the page at `url`, and check that the
        app redirects to the address matching `then` (a regular expression), as it does
        after a successful save. Returns the redirect's address, or None."""
        headers = {"Origin": self.host.rstrip("/"), "Referer": urljoin(self.host, url)}
        send_secure_cookies_over_loopback(self.client.cookies)
        with self.client.post(
            url, data=data, headers=headers, name=name, allow_redirects=False, catch_response=True
        ) as response:
            location = response.headers.get("Location", "")
            if response.status_code != 302 or not re.fullmatch(then, location):
                response.failure(
                    f"expected a redirect to {then}, got {response.status_code} to "
                    f"{location or 'nowhere'}: {problem_on(response)}"
                )
                return None
            response.success()
            return location

    def token(self, kind):
        """A text written once, to find the write in the database afterwards."""
        return f"load {RUN} {self.account['username']} {kind} {next(self.writes)}"

    # Signing in ----------------------------------------------------------------------------

    def sign_in(self):
        page = self.get(
            "/accounts/login/", name=f"{SIGN_IN}: form", marker="<title>Sign in", signed_in=False
        )
        form = form_with(page.text, "username")
        if form is None:
            return
        data = {
            **form["fields"],
            "username": self.account["username"],
            "password": ACCOUNTS["password"],
        }
        self.post("/accounts/login/", data, name=SIGN_IN, then=r"/")

    # Reading -------------------------------------------------------------------------------

    def me(self):
        self.get("/me/", name="/me/", marker="<title>My level · PM Ladder</title>")

    def own_page(self):
        account = self.account
        self.get(
            f"/people/{account['employee']}/",
            name="/people/[id]/",
            marker=_title(account["name"]),
        )

    def person(self):
        pk, name = random.choice(self.account["people"])
        self.get(f"/people/{pk}/", name="/people/[id]/", marker=_title(name))

    def team(self):
        self.get("/team/", name="/team/", marker="<title>Team · PM Ladder</title>")

    def team_everyone(self):
        self.get(
            "/team/?scope=all", name="/team/?scope=all", marker="<title>Team · PM Ladder</title>"
        )

    def packet(self):
        pk, name = random.choice(self.account["people"])
        self.get(
            f"/people/{pk}/packet/",
            name="/people/[id]/packet/",
            marker=f"Promotion packet: {html.escape(name)}",
        )

    def ladder_list(self):
        self.get("/ladders/", name="/ladders/", marker="Career ladders")

    def ladder(self):
        ladder = ACCOUNTS["ladder"]
        self.get(
            f"/ladders/{ladder['slug']}/", name="/ladders/[slug]/", marker=_title(ladder["name"])
        )

    def level(self):
        ladder = ACCOUNTS["ladder"]
        key, name = random.choice(ladder["levels"])
        self.get(
            f"/ladders/{ladder['slug']}/levels/{key}/",
            name="/ladders/[slug]/levels/[key]/",
            marker=_title(f"{name} · {ladder['name']}"),
        )

    def compare(self):
        ladder = ACCOUNTS["ladder"]
        self.get(
            f"/ladders/{ladder['slug']}/compare/",
            name="/ladders/[slug]/compare/",
            marker="<title>Compare levels · ",
        )

    def admin_evidence(self):
        self.get(
            "/admin/assessments/evidence/",
            name="/admin/assessments/evidence/",
            marker='id="changelist"',  # only a signed-in admin page has it
            signed_in=False,  # the admin's own header has no "Sign out" button
        )

    # Writing -------------------------------------------------------------------------------

    def record_evidence(self):
        """A manager records evidence about someone below them, then sees it said."""
        pk, name = random.choice(self.account["people"])
        url = f"/people/{pk}/evidence/new/"
        page = self.get(url, name="/people/[id]/evidence/new/", marker="Record evidence for")
        form = form_with(page.text, "description")
        if form is None:
            return
        token = self.token("evidence")
        data = {
            **form["fields"],
            "expectation": _some(form["options"]["expectation"]),
            "description": f"{token}: led the pricing review and wrote up what changed.",
        }
        done = self.post(url, data, name="/people/[id]/evidence/new/", then=rf"/people/{pk}/")
        if done:
            record_write(kind="evidence", token=token, employee=pk)
            self.get(
                done, name="/people/[id]/", marker=f"Evidence recorded for {html.escape(name)}"
            )

    def log_win(self):
        """A person logs a win of their own, for their manager to confirm."""
        url = f"/people/{self.account['employee']}/evidence/new/"
        page = self.get(url, name="/people/[id]/evidence/new/ (own win)", marker="Log a win")
        form = form_with(page.text, "description")
        if form is None:
            return
        token = self.token("win")
        data = {
            **form["fields"],
            "expectation": _some(form["options"]["expectation"]),
            "description": f"{token}: ran the customer interviews and shared what we learnt.",
        }
        done = self.post(url, data, name="/people/[id]/evidence/new/ (own win)", then=r"/me/")
        if done:
            record_write(kind="win", token=token, employee=self.account["employee"])
            self.get(done, name="/me/", marker="Win logged.")

    def save_review(self):
        """A manager rates some expectations in their draft review of a report, and saves."""
        if not self.review_pk and not self.start_review():
            return
        url = f"/reviews/{self.review_pk}/"
        page = self.get(url, name="/reviews/[id]/", marker="Save draft")
        form = form_with(page.text, "summary")
        if form is None:
            return
        token = self.token("review")
        data = dict(form["fields"])
        ratings = [name for name in form["options"] if name.startswith("rating_")]
        for name in random.sample(ratings, min(len(ratings), 4)):
            data[name] = _some(form["options"][name])
        data["readiness"] = _some(form["options"]["readiness"])
        data["summary"] = f"{token}: strong on discovery; next, own a roadmap end to end."
        done = self.post(url, data, name="/reviews/[id]/", then=re.escape(url))
        if done:
            record_write(
                kind="review", token=token, review=self.review_pk, version=int(data["version"])
            )
            self.get(done, name="/reviews/[id]/", marker="Draft saved.")

    def start_review(self):
        """Start the draft review of the account's report (once: later saves reuse it)."""
        pk = self.account["review"]["employee"]
        url = f"/people/{pk}/reviews/new/"
        page = self.get(url, name="/people/[id]/reviews/new/", marker="Start a level review")
        mine = re.search(r'<a href="/reviews/(\d+)/">Against ', page.text)
        if mine:  # a draft of theirs already (started as the last run ended): go on with it
            self.review_pk = int(mine.group(1))
            return True
        form = form_with(page.text, "target_level")
        if form is None:
            return False
        done = self.post(
            url, form["fields"], name="/people/[id]/reviews/new/", then=r"/reviews/\d+/"
        )
        if done:
            self.review_pk = int(done.strip("/").split("/")[-1])
            record_write(kind="review_start", review=self.review_pk, employee=pk)
        return bool(done)


def _title(text):
    return f"<title>{html.escape(text)} · PM Ladder</title>"


def _some(options):
    """One of a field's options, never the empty "choose one"."""
    return random.choice([value for value in options if value])


def check(response, marker, *, signed_in):
    if response.status_code != 200:
        where = response.headers.get("Location")
        response.failure(
            f"expected 200, got {response.status_code}"
            + (f" to {where}" if where else f": {problem_on(response)}")
        )
    elif marker not in response.text:
        response.failure(f"{marker!r} is not on the page")
    elif signed_in and "Sign out</button>" not in response.text:
        response.failure("the page is not signed in")
    else:
        response.success()


# The run's figures -------------------------------------------------------------------------

_signed_in = itertools.count(1)
_measuring = Event()
_sign_ins = {}
_window = {}


def signed_in(environment):
    """Count a sign-in done (or failed); after the last one, measure for SECONDS."""
    if next(_signed_in) != USERS:
        return
    stats = environment.stats
    _sign_ins.update(_figures(stats.total))
    _sign_ins["errors"] = [
        f"{error.occurrences} x {error.method} {error.name}: {error.error}"
        for error in stats.errors.values()
    ]
    stats.reset_all()
    _window["start"] = time.time()
    _measuring.set()
    gevent.spawn_later(SECONDS, environment.runner.quit)


@events.quitting.add_listener
def write_summary(environment, **_kwargs):
    """The figures of the measured part of the run, and of the sign-ins before it."""
    summary = {
        "run": RUN,
        "think": THINK,
        "sign_in": _sign_ins or {"failures": 1, "errors": ["not everyone got to sign in"]},
        "all": _figures(environment.stats.total),
        "sent_again": _RetryCounter.count,
        "window": {**_window, "end": time.time()},
    }
    with open(os.environ["LOAD_SUMMARY"], "w", encoding="utf-8") as file:
        json.dump(summary, file, indent=2)


def _figures(entry):
    return {
        "requests": entry.num_requests,
        "failures": entry.num_failures,
        "rps": round(entry.total_rps, 1),
        "p50": entry.get_response_time_percentile(0.5),
        "p95": entry.get_response_time_percentile(0.95),
        "p99": entry.get_response_time_percentile(0.99),
        "max": round(entry.max_response_time or 0),
    }
