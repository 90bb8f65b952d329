"""The access sweep: every URL pattern of the app and the admin, filled with real ids,
requested with GET and POST by ten kinds of user, against one table of expected outcomes.

A URL pattern without a row in `EXPECTED` fails `test_every_url_pattern_has_a_row`, so a
new page cannot ship without saying who may open it. Each request runs in a savepoint that
is rolled back, so every request sees the same organisation.

Outcomes: a status code, or for redirects where they lead: "login" (the app's sign-in),
"admin-login" (the admin's sign-in) and "away" (anywhere else).
"""

import copy
import datetime
import re

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from assessments import evidence, reviews, services
from assessments.models import (
    Employee,
    Evidence,
    LevelAssignment,
    PeopleImport,
    Rating,
    Review,
)
from jobs.models import Job
from levels import models as ladder_models
from rounds import selectors as round_selectors
from rounds import services as round_services

from .conftest import place
from .factories import UserFactory, make_round

pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous",
    "person",  # the person every person-scoped address is about (Remi Report)
    "peer",  # reports to the same manager
    "manager",
    "skip_level",  # the manager's manager
    "unrelated_manager",
    "hr",  # HR, not on the ladder
    "hr_employee",  # HR, and also an employee under the skip-level
    "staff",  # staff without the HR group
    "deactivated",  # a person who has left (their sign-in is switched off)
]


def row(*outcomes):
    """One outcome per role, in ROLES order, for both GET and POST; or a pair (GET, POST)
    where they differ."""
    assert len(outcomes) == len(ROLES), outcomes
    return [o if isinstance(o, tuple) else (o, o) for o in outcomes]


L, A, W = "login", "admin-login", "away"  # where a redirect leads

#           anon  person  peer  manager  skip  unrel  hr   hr_emp  staff  gone
PUBLIC = row(200, 200, 200, 200, 200, 200, 200, 200, 200, 200)
SIGNED_IN = row(L, 200, 200, 200, 200, 200, 200, 200, 200, L)
PERSON_PAGE = row(L, 200, 404, 200, 200, 404, 200, 200, 404, L)
# A page for managers; an empty POST shows the form again.
MANAGE_PAGE = row(L, 403, 404, 200, 200, 404, 200, 200, 404, L)
# The pending win Remi logged: only its author edits it, only managers and HR decide it.
WIN_EDIT = row(L, 200, 404, 403, 403, 404, 403, 403, 404, L)
WIN_DELETE = row(L, (200, W), 404, 403, 403, 404, 403, 403, 404, L)
WIN_DECIDE = row(L, 403, 404, (405, W), (405, W), 404, (405, W), (405, W), 404, L)
# The review the manager wrote and shared with Remi: read-only now, even for its author.
REVIEW = row(L, (200, 403), 404, (200, 400), (200, 403), 404, (200, 403), (200, 403), 404, L)
REVIEW_SHARE = row(L, 403, 404, (405, 400), 403, 404, 403, 403, 404, L)
REVIEW_ACK = row(L, (405, W), 404, 403, 403, 404, 403, 403, 404, L)
# The JSON API: what everyone signed in reads (GET only), and what is about Remi.
U = 401
API_READ = row(U, *[(200, 405)] * 8, U)
N = (404, 405)  # not visible to them; POST is no method of the address
API_PERSON = row(U, (200, 405), N, (200, 405), (200, 405), N, (200, 405), (200, 405), N, U)
# A round HR runs: managers see it, only HR changes it.
HR_RUNS = row(L, 404, 404, 403, 403, 403, 200, 200, 404, L)
# The manager's nomination of Remi, while the round takes nominations.
NOMINATION = row(L, 404, 404, 200, 200, 404, 200, 200, 404, L)


def admin_row(hr, signed_out=L):
    """The admin is for HR: signed-out users go to the app's sign-in (the admin site's own
    pages send them to the admin's), everyone else signed in to the admin's sign-in,
    which says it is for HR; `hr` is what HR gets."""
    return row(signed_out, A, A, A, A, A, hr, hr, A, signed_out)


ADMIN_HR = admin_row(200)
ADMIN_HR_FORM = admin_row((200, 400))  # an empty POST is refused as bad input
ADMIN_HR_REFUSED = admin_row(403)  # HR may not do this
ADMIN_HR_VIEW_ONLY = admin_row((200, 403))
ADMIN_HR_REDIRECT = admin_row(W)


def _admin_model(label, *, changelist, add, history, delete, change, view=None, extra=()):
    """The rows of one model's admin addresses: `view` is the unnamed object address that
    redirects to the change page."""
    prefix = f"admin:{label}"
    rows = {
        f"{prefix}_changelist": changelist,
        f"{prefix}_add": add,
        f"{prefix}_history": history,
        f"{prefix}_delete": delete,
        f"{prefix}_change": change,
        f"admin/{label.replace('_', '/', 1)}/<path:object_id>/": view or ADMIN_HR_REDIRECT,
    }
    rows.update(extra)
    return rows


def _ladder_model(label, **extra):
    """A ladder model: HR reshapes it freely, and reads its change history."""
    return _admin_model(
        label,
        changelist=ADMIN_HR,
        add=ADMIN_HR,
        history=ADMIN_HR,
        delete=ADMIN_HR,
        change=ADMIN_HR,
        extra={f"admin:{label}_simple_history": ADMIN_HR, **extra},
    )


def _record_model(label):
    """A record written by the app under its own rules: HR reads it, never edits it."""
    return _admin_model(
        label,
        changelist=ADMIN_HR,
        add=ADMIN_HR_REFUSED,
        history=ADMIN_HR,
        delete=ADMIN_HR_REFUSED,
        change=ADMIN_HR_VIEW_ONLY,
    )


def _not_for_hr(label):
    """Accounts, groups and sign-in records: superusers only."""
    return _admin_model(
        label,
        changelist=ADMIN_HR_REFUSED,
        add=ADMIN_HR_REFUSED,
        history=ADMIN_HR_REFUSED,
        delete=ADMIN_HR_REFUSED,
        change=ADMIN_HR_REFUSED,
        view=ADMIN_HR_REDIRECT,
    )


EXPECTED = {
    # Project pages
    "home": row(L, W, W, W, W, W, W, W, W, L),
    "healthz": PUBLIC,
    "favicon.ico": row(W, W, W, W, W, W, W, W, W, W),
    "login": row((200, 200), W, W, W, W, W, W, W, W, (200, 200)),
    "logout": row(L, *[(405, L)] * 8, L),
    "password_reset": PUBLIC,
    "password_reset_done": row(*[(200, 405)] * 10),
    "password_reset_confirm": PUBLIC,  # an invalid link says so
    "password_reset_complete": row(*[(200, 405)] * 10),
    "password_change": SIGNED_IN,
    "password_change_done": row(L, *[(200, 405)] * 8, L),
    # Single sign-on: open to everyone; the sweep configures no provider, so both are 404
    # (tests/sso runs them against a real provider); the provider's answer is a GET.
    "sso:start": row(*[404] * 10),
    "sso:callback": row(*[(404, 405)] * 10),
    # The ladder: for everyone signed in
    "levels:ladders": SIGNED_IN,
    "levels:ladder": SIGNED_IN,
    "levels:level": SIGNED_IN,
    "levels:compare": SIGNED_IN,
    "levels:promotion": SIGNED_IN,
    "levels:faq": SIGNED_IN,
    # People
    "assessments:me": SIGNED_IN,
    "assessments:team": row(L, W, W, 200, 200, 200, 200, 200, 403, L),
    # The organisation view: HR's whole organisation, a manager's people below them; read only.
    # POST: count the view's kept figures again, then back to the view.
    "insights:org": row(L, 403, 403, *[(200, "away")] * 5, 403, L),
    "insights:export": row(L, *[(403, 405)] * 2, *[(200, 405)] * 5, (403, 405), L),
    "assessments:team_export": row(L, W, W, 200, 200, 200, 200, 200, 403, L),
    "assessments:person": PERSON_PAGE,
    "assessments:assign_level": MANAGE_PAGE,
    "assessments:packet": row(L, 403, 404, 200, 200, 404, 200, 200, 404, L),
    "assessments:evidence_new": row(L, 200, 404, 200, 200, 404, 200, 200, 404, L),
    "assessments:evidence_edit": WIN_EDIT,
    "assessments:evidence_delete": WIN_DELETE,
    "assessments:evidence_confirm": WIN_DECIDE,
    # Declining without a reason asks for one again.
    "assessments:evidence_decline": row(
        L, 403, 404, (405, 400), (405, 400), 404, (405, 400), (405, 400), 404, L
    ),
    "assessments:review_start": MANAGE_PAGE,
    "assessments:review": REVIEW,
    "assessments:review_share": REVIEW_SHARE,
    "assessments:review_acknowledge": REVIEW_ACK,
    # Promotion rounds. `rounds:round`, `edit`, `open` and `close` are about a round taking
    # nominations in which the manager nominated Remi; `finalise`, `calibrate` and
    # `nomination_decide` about one calibrating (the boss is on both committees);
    # `nominate` offers Remi a third round, where nobody is nominated yet.
    "rounds:list": SIGNED_IN,  # the rounds one takes part in, or an empty state
    "rounds:new": row(L, 403, 403, 403, 403, 403, 200, 200, 403, L),
    # Suggestions of people for the round form: for HR, who runs rounds; GET only.
    "rounds:people_lookup": row(L, 403, 403, 403, 403, 403, (200, 405), (200, 405), 403, L),
    # Open rounds are for managers (no self-nomination in these); HR runs them.
    "rounds:round": row(L, 404, 404, 200, 200, 200, 200, 200, 404, L),
    "rounds:edit": HR_RUNS,
    "rounds:open": row(L, 404, 404, 403, 403, 403, (200, 400), (200, 400), 404, L),  # open
    "rounds:close": row(L, 404, 404, 403, 403, 403, (200, W), (200, W), 404, L),
    # Nominations still to decide: finalising is refused, with the reason.
    "rounds:finalise": row(L, 404, 404, 403, 403, 403, (200, 400), (200, 400), 404, L),
    "rounds:calibrate": row(L, 404, 404, 403, 200, 403, 200, 200, 404, L),  # HR, committee
    # Remi does not see a nomination his manager made until the round is finalised.
    "rounds:nominate": row(L, 403, 404, 200, 200, 404, 200, 200, 404, L),
    "rounds:nomination": NOMINATION,
    "rounds:nomination_edit": NOMINATION,
    "rounds:nomination_withdraw": row(
        L, 404, 404, (200, W), (200, W), 404, (200, W), (200, W), 404, L
    ),
    # Endorsing is for someone above the manager (the boss); an empty one is refused.
    "rounds:nomination_endorse": row(
        L,
        (405, 404),
        (405, 404),
        (405, 403),
        (405, 400),
        (405, 404),
        (405, 403),
        (405, 403),
        (405, 404),
        L,
    ),
    # Deciding is for HR and the committee (the boss); an empty decision is refused.
    "rounds:nomination_decide": row(
        L,
        (405, 404),
        (405, 404),
        (405, 403),
        (405, 400),
        (405, 404),
        (405, 400),
        (405, 400),
        (405, 404),
        L,
    ),
    # The JSON API (api/): signed out (and deactivated) is a 401 in the API's error shape;
    # these requests use the sign-in, as the docs page does (tests/api sweeps with tokens).
    # A form POST is refused as 415 (the API takes JSON) where the caller may write, else
    # 403 or 405.
    "api:me": API_READ,
    "api:ladders": API_READ,
    "api:ladder": API_READ,
    "api:ladder_file": API_READ,  # PUT imports a file (HR): tests/api
    "api:people": row(U, *[(200, 403)] * 5, (200, 415), (200, 415), (200, 403), U),
    "api:people_bulk": row(U, *[(405, 403)] * 5, (405, 415), (405, 415), (405, 403), U),
    "api:person": API_PERSON,
    "api:person_evidence": row(
        U, (200, 415), 404, (200, 415), (200, 415), 404, (200, 415), (200, 415), 404, U
    ),
    "api:evidence": API_READ,
    "api:evidence_item": API_PERSON,  # Remi's pending win
    "api:reviews": API_READ,
    "api:review": API_PERSON,  # the review shared with Remi
    "api:schema": API_READ,
    "api:docs": row(L, *[(200, 405)] * 8, L),
    "api:unknown": row(U, *[404] * 8, U),  # any other address under /api/v1/
    # Personal access tokens: one's own only; revoking without naming a token finds none.
    "tokens:list": row(L, *[(200, 405)] * 8, L),
    "tokens:new": row(L, *[(200, 400)] * 8, L),
    "tokens:revoke": row(L, *[404] * 8, L),
    # The admin
    "admin:index": row(A, A, A, A, A, A, 200, 200, A, A),
    "admin:login": row(200, 200, 200, 200, 200, 200, (W, 200), (W, 200), 200, 200),
    "admin:logout": row(A, W, W, W, W, W, (405, L), (405, L), W, A),
    "admin:password_change": admin_row(200, signed_out=A),
    "admin:password_change_done": admin_row((200, 405), signed_out=A),
    "admin:autocomplete": admin_row((403, 405), signed_out=A),  # without its parameters
    "admin:jsi18n": admin_row((200, 405), signed_out=A),
    "admin:view_on_site": admin_row(W, signed_out=A),
    "admin:app_list": admin_row(200, signed_out=A),
    "admin/(?P<url>.*)$": row(*[A] * 6, 404, 404, A, A),  # unknown admin addresses
    "admin:auth_user_password_change": ADMIN_HR_REFUSED,
    **_not_for_hr("auth_group"),
    **_not_for_hr("auth_user"),
    **_not_for_hr("axes_accessattempt"),
    **_not_for_hr("axes_accesslog"),
    **_not_for_hr("axes_accessfailurelog"),
    **_ladder_model(
        "levels_ladder",
        **{
            "admin:levels_ladder_import": ADMIN_HR_FORM,
            # Without an import under way, back to the import page.
            "admin:levels_ladder_import_confirm": ADMIN_HR_REDIRECT,
            "admin:levels_ladder_duplicate": ADMIN_HR_FORM,
            "admin:levels_ladder_export": ADMIN_HR,
            # On the organisation's published ladder, which people are on: it is published
            # already, retiring it is refused with the reason, and it is no draft to
            # replace anything with.
            "admin:levels_ladder_publish": ADMIN_HR_REDIRECT,
            "admin:levels_ladder_retire": admin_row((200, 409)),
            "admin:levels_ladder_replace": ADMIN_HR_REDIRECT,
        },
    ),
    **_ladder_model("levels_level"),
    **_ladder_model("levels_track"),
    **_ladder_model("levels_aspect"),
    **_ladder_model("levels_expectation"),
    **_admin_model(
        "assessments_employee",
        changelist=ADMIN_HR,
        add=ADMIN_HR,
        history=ADMIN_HR,
        delete=ADMIN_HR_REFUSED,  # people are never deleted: they are made inactive
        change=ADMIN_HR,
        extra={
            "admin:assessments_employee_import": ADMIN_HR_FORM,
            # HR's own upload; the other HR person may not open it.
            "admin:assessments_employee_import_preview": row(
                L, A, A, A, A, A, (200, 400), 404, A, L
            ),
            "admin:assessments_employee_template": ADMIN_HR,
            # The export page; its button starts the export, whose page HR is sent to.
            "admin:assessments_employee_export": admin_row((200, W)),
            # A person's data as a file (GET only), and their erasure, refused with 409 for
            # an active person (what the page says instead of the button).
            "admin:assessments_employee_data": admin_row((200, 405)),
            "admin:assessments_employee_erase": admin_row((200, 409)),
        },
    ),
    **_admin_model(
        "jobs_job",
        changelist=ADMIN_HR,
        add=ADMIN_HR_REFUSED,
        history=ADMIN_HR,
        delete=ADMIN_HR_REFUSED,
        change=ADMIN_HR_REDIRECT,  # a task's page is its progress page
        extra={
            "admin:jobs_job_progress": admin_row((200, 405)),
            "admin:jobs_job_status": admin_row((200, 405)),
            "admin:jobs_job_download": admin_row((200, 405)),
        },
    ),
    **_record_model("assessments_levelassignment"),
    **_record_model("assessments_evidence"),
    **_record_model("assessments_review"),
}


# A draft ladder (a copy of the organisation's, as Duplicate makes it) and a retired one: their
# pages are HR's alone, and anyone else gets 404, as for a ladder that does not exist.
HR_ONLY_LADDER = row(L, 404, 404, 404, 404, 404, 200, 200, 404, L)
HIDDEN_LADDER_PAGES = {
    "levels:ladder": HR_ONLY_LADDER,
    "levels:level": HR_ONLY_LADDER,
    "levels:compare": HR_ONLY_LADDER,
    "levels:promotion": HR_ONLY_LADDER,
    "levels:faq": HR_ONLY_LADDER,
    "admin:levels_ladder_change": ADMIN_HR,
    "admin:levels_ladder_export": ADMIN_HR,
}
HIDDEN_LADDER_EXPECTED = {
    "draft": {
        **HIDDEN_LADDER_PAGES,
        "admin:levels_ladder_publish": admin_row((200, W)),
        "admin:levels_ladder_retire": admin_row((200, W)),
        # The preview; a POST without it is refused as bad input.
        "admin:levels_ladder_replace": admin_row((200, 400)),
    },
    "retired": {
        **HIDDEN_LADDER_PAGES,
        "admin:levels_ladder_publish": admin_row((200, W)),
        "admin:levels_ladder_retire": ADMIN_HR_REDIRECT,  # retired already
        "admin:levels_ladder_replace": ADMIN_HR_REDIRECT,  # not a draft
    },
}


# The addresses ------------------------------------------------------------------------------


def url_patterns(patterns=None, prefix="", namespace=None):
    """(key, route, name) of every URL pattern: the name where it has one (with its
    namespace), else the route; an address overridden by an earlier one is listed once."""
    seen = set()
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            for found in url_patterns(pattern.url_patterns, prefix + str(pattern.pattern), inner):
                if found[0] not in seen:
                    seen.add(found[0])
                    yield found
            continue
        assert isinstance(pattern, URLPattern)
        route = prefix + str(pattern.pattern)
        name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
        key = name or route
        if key not in seen:
            seen.add(key)
            yield key, route, name


ADMIN_OBJECT = re.compile(r"^admin:(?P<app>[a-z]+)_(?P<model>[a-z]+)_[a-z_]+$")


class Sweep:
    """The organisation under test, and the address of every pattern filled from it."""

    def __init__(self, org, hr_employee):
        self.org = org
        ladder = org.ladder
        leaver = place(ladder, "leaver", "Lee Leaver", "apm", manager=org.manager)
        services.deactivate_employee(employee=leaver)
        self.users = {
            "anonymous": None,
            "person": org.report.user,
            "peer": org.teammate.user,
            "manager": org.manager.user,
            "skip_level": org.boss.user,
            "unrelated_manager": org.other_manager.user,
            "hr": org.hr,
            "hr_employee": hr_employee.user,
            "staff": UserFactory(username="staffer", is_staff=True),
            "deactivated": leaver.user,
        }
        self.win = evidence.log_win(
            employee=org.report,
            expectation=org.report.level.expectations.first(),
            by=org.report.user,
            observed_on=timezone.localdate() - datetime.timedelta(days=2),
            description="Ran the pricing launch.",
        )
        review = reviews.start_review(
            employee=org.report, target_level=org.report.level, by=org.manager.user
        )
        reviews.save_review(
            review=review,
            ratings={row.pk: (Rating.MEETS, "") for row in review.ratings.all()},
            readiness=Review.Readiness.READY,
            summary="Solid.",
            version=1,
            by=org.manager.user,
        )
        self.review = reviews.share_review(review=review, by=org.manager.user)
        self._rounds(org)
        self.people_import = PeopleImport.objects.create(
            file_name="people.csv",
            content=(
                "email,full_name,job_title,manager_email,ladder,track,level,effective_date\n"
                f"nia@example.com,Nia New,PM,,{ladder.slug},ic,pm,{timezone.localdate()}\n"
            ),
            uploaded_by=org.hr,
        )
        self.job = Job.objects.create(
            kind=Job.Kind.PEOPLE_EXPORT,
            title="Export people.csv",
            requested_by=org.hr,
            status=Job.Status.SUCCEEDED,
            output="email\r\n",
            output_name="people.csv",
        )
        AccessAttempt.objects.create(username="x", ip_address="127.0.0.1", failures_since_start=1)
        AccessLog.objects.create(username="x", ip_address="127.0.0.1")
        AccessFailureLog.objects.create(username="x", ip_address="127.0.0.1", locked_out=False)
        self.objects = {
            ("auth", "group"): Group.objects.get(name="HR"),
            ("auth", "user"): org.report.user,
            ("axes", "accessattempt"): AccessAttempt.objects.first(),
            ("axes", "accesslog"): AccessLog.objects.first(),
            ("axes", "accessfailurelog"): AccessFailureLog.objects.first(),
            ("jobs", "job"): self.job,
            ("levels", "ladder"): ladder,
            ("levels", "level"): org.report.level,
            ("levels", "track"): org.report.track,
            ("levels", "aspect"): ladder_models.Aspect.objects.filter(ladder=ladder).first(),
            ("levels", "expectation"): org.report.level.expectations.first(),
            ("assessments", "employee"): org.report,
            ("assessments", "levelassignment"): LevelAssignment.objects.filter(
                employee=org.report
            ).first(),
            ("assessments", "evidence"): Evidence.objects.get(pk=self.win.pk),
            ("assessments", "review"): self.review,
        }

    def _rounds(self, org):
        """Three rounds with the boss on the committee: one taking nominations where the
        manager nominated Remi (`nominating`), one calibrating Remi's nomination
        (`calibrating`), and one taking nominations where nobody is nominated yet (what the
        nominate page offers)."""
        cases = {c.pk: "A clear case." for c in org.ladder.promotion_criteria.all()}
        target = round_selectors.targets_for(org.report)[0]

        def round_with_remi(name):
            round = make_round(by=org.hr, name=name)
            round.committee.set([org.boss.user])
            nomination = round_services.nominate(
                round=round,
                employee=org.report,
                target_level=target.level,
                target_track=target.track,
                cases=cases,
                by=org.manager.user,
            )
            return round, nomination

        self.nominating, self.nomination = round_with_remi("Nominating")
        self.calibrating, self.calibrated = round_with_remi("Calibrating")
        round_services.close_nominations(round=self.calibrating, by=org.hr)
        make_round(by=org.hr, name="Open").committee.set([org.boss.user])

    def address(self, key, route, name):
        """The address of a pattern, with real ids of this organisation."""
        org = self.org
        if name is None:  # unnamed patterns: written out
            if route == "admin/(?P<url>.*)$":
                return "/admin/no/such/page/"
            match = re.match(r"admin/(\w+)/(\w+)/<path:object_id>/$", route)
            if match:
                return f"/admin/{match[1]}/{match[2]}/{self._object(match[1], match[2]).pk}/"
            return "/" + route
        person_scoped = {"pk": org.report.pk}
        kwargs = {
            "levels:ladder": {"slug": org.ladder.slug},
            "levels:level": {"slug": org.ladder.slug, "key": org.report.level.key},
            "levels:compare": {"slug": org.ladder.slug},
            "levels:promotion": {"slug": org.ladder.slug},
            "levels:faq": {"slug": org.ladder.slug},
            "assessments:person": person_scoped,
            "assessments:assign_level": person_scoped,
            "assessments:packet": person_scoped,
            "assessments:evidence_new": person_scoped,
            "assessments:review_start": person_scoped,
            "assessments:evidence_edit": {"pk": self.win.pk},
            "assessments:evidence_delete": {"pk": self.win.pk},
            "assessments:evidence_confirm": {"pk": self.win.pk},
            "assessments:evidence_decline": {"pk": self.win.pk},
            "assessments:review": {"pk": self.review.pk},
            "assessments:review_share": {"pk": self.review.pk},
            "assessments:review_acknowledge": {"pk": self.review.pk},
            "rounds:round": {"pk": self.nominating.pk},
            "rounds:edit": {"pk": self.nominating.pk},
            "rounds:open": {"pk": self.nominating.pk},
            "rounds:close": {"pk": self.nominating.pk},
            "rounds:finalise": {"pk": self.calibrating.pk},
            "rounds:calibrate": {"pk": self.calibrating.pk},
            "rounds:nominate": person_scoped,
            "rounds:nomination": {"pk": self.nomination.pk},
            "rounds:nomination_edit": {"pk": self.nomination.pk},
            "rounds:nomination_withdraw": {"pk": self.nomination.pk},
            "rounds:nomination_endorse": {"pk": self.nomination.pk},
            "rounds:nomination_decide": {"pk": self.calibrated.pk},
            "insights:export": {"table": "people"},
            "api:ladder": {"slug": org.ladder.slug},
            "api:ladder_file": {"slug": org.ladder.slug},
            "api:person": person_scoped,
            "api:person_evidence": person_scoped,
            "api:evidence_item": {"pk": self.win.pk},
            "api:review": {"pk": self.review.pk},
            "api:unknown": {"rest": "no/such/thing/"},
            "admin:assessments_employee_import_preview": {"pk": self.people_import.pk},
            "admin:jobs_job_progress": {"pk": self.job.pk},
            "admin:jobs_job_status": {"pk": self.job.pk},
            "admin:jobs_job_download": {"pk": self.job.pk},
            "password_reset_confirm": {"uidb64": "MQ", "token": "set-password"},
            "sso:start": {"provider": "okta"},
            "sso:callback": {"provider": "okta"},
            "admin:app_list": {"app_label": "levels"},
            "admin:auth_user_password_change": {"id": org.report.user.pk},
            "admin:view_on_site": {
                "content_type_id": ContentType.objects.get_for_model(Employee).pk,
                "object_id": org.report.pk,
            },
        }.get(name)
        if name == "rounds:calibrate":  # the candidates for one level
            return reverse(name, kwargs=kwargs) + f"?level={self.calibrated.target_level_id}"
        if kwargs is not None:
            return reverse(name, kwargs=kwargs)
        if name.endswith("_simple_history"):
            obj = self._object(*ADMIN_OBJECT.match(name).group("app", "model"))
            return reverse(name, args=[obj.pk, obj.history.first().history_id])
        if "<path:object_id>" in route:
            obj = self._object(*ADMIN_OBJECT.match(name).group("app", "model"))
            return reverse(name, kwargs={"object_id": obj.pk})
        assert "<" not in route, f"fill in the parameters of {route}"
        assert "(" not in route, f"fill in the parameters of {route}"
        return reverse(name)

    def _object(self, app, model):
        return self.objects[(app, model)]


def hidden_ladder(org, status):
    """A copy of the organisation's ladder: a draft of it, or retired."""
    from levels import services as ladders

    copy = ladders.duplicate_ladder(ladder=org.ladder, slug=f"pm-{status}", name=f"PM {status}")
    if status == "retired":
        ladders.retire_ladder(ladder=copy)
    return copy


def hidden_ladder_address(ladder, key, level_key):
    if key.startswith("admin:"):
        return reverse(key, kwargs={"object_id": ladder.pk})
    if key == "levels:level":
        return reverse(key, kwargs={"slug": ladder.slug, "key": level_key})
    return reverse(key, kwargs={"slug": ladder.slug})


def outcome(response):
    """What a response did, in the words of the table."""
    if response.status_code in (301, 302):
        location = response["Location"]
        if location.startswith(reverse("login")):
            return L
        if location.startswith(reverse("admin:login")):
            return A
        return W
    return response.status_code


def sweep_as(client, sweep, role):
    """Every pattern requested with GET and POST as `role`: {key: (get, post)}. Each
    request runs in a savepoint rolled back afterwards, with the cookies of the one
    sign-in put back before it (a sign-out or a deactivation must not leak into the next
    request: its session is rolled back with the rest)."""
    user = sweep.users[role]
    client.logout()
    if user is not None:
        client.force_login(user)
    signed_in = copy.deepcopy(client.cookies)
    seen = {}
    for key, route, name in url_patterns():
        url = sweep.address(key, route, name)
        results = []
        for method in (client.get, client.post):
            client.cookies = copy.deepcopy(signed_in)
            with transaction.atomic():
                results.append(outcome(method(url)))
                transaction.set_rollback(True)
        seen[key] = tuple(results)
    return seen


# The tests ----------------------------------------------------------------------------------


def test_every_url_pattern_has_a_row():
    keys = [key for key, _, _ in url_patterns()]

    missing = [key for key in keys if key not in EXPECTED]
    stale = [key for key in EXPECTED if key not in keys]

    assert not missing, f"Say who may open these new addresses in EXPECTED: {missing}"
    assert not stale, f"These rows name addresses that no longer exist: {stale}"


@pytest.mark.parametrize("role", ROLES)
def test_sweep(org, hr_on_ladder, client, role):
    sweep = Sweep(org, hr_on_ladder)
    index = ROLES.index(role)

    seen = sweep_as(client, sweep, role)

    wrong = {
        key: {"expected": EXPECTED[key][index], "got": got}
        for key, got in seen.items()
        if key in EXPECTED and EXPECTED[key][index] != got
    }
    assert not wrong, wrong


@pytest.mark.parametrize("status", HIDDEN_LADDER_EXPECTED)
@pytest.mark.parametrize("role", ROLES)
def test_sweep_of_a_hidden_ladder(org, hr_on_ladder, client, role, status):
    sweep = Sweep(org, hr_on_ladder)
    ladder = hidden_ladder(org, status)
    index = ROLES.index(role)
    expected = HIDDEN_LADDER_EXPECTED[status]
    user = sweep.users[role]
    client.logout()
    if user is not None:
        client.force_login(user)
    signed_in = copy.deepcopy(client.cookies)

    seen = {}
    for key in expected:
        url = hidden_ladder_address(ladder, key, org.report.level.key)
        results = []
        for method in (client.get, client.post):
            client.cookies = copy.deepcopy(signed_in)
            with transaction.atomic():
                results.append(outcome(method(url)))
                transaction.set_rollback(True)
        seen[key] = tuple(results)

    wrong = {
        key: {"expected": expected[key][index], "got": got}
        for key, got in seen.items()
        if expected[key][index] != got
    }
    assert not wrong, wrong
