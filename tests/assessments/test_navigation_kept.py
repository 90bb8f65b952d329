"""The navigation's counts are kept for a minute (`waiting.kept_for`, `pmladder.kept`):
what others do shows within that time, what the person does themselves shows at once, a
new day counts again, the session is left alone, and a page read from kept counts asks no
count."""

import datetime

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assessments import waiting
from pmladder import kept

from .test_home_counts import nav, win
from .test_reviews import shared, start

pytestmark = pytest.mark.django_db

LADDERS = reverse("levels:ladders")


def badge(client):
    """The navigation of a page, as the person sees it."""
    return nav(client.get(LADDERS).content.decode())


def wins_shown(client):
    return "1 win to confirm" in badge(client)


@pytest.fixture(autouse=True)
def kept_a_minute(settings):
    """The counts kept as served (the suite counts them on every page)."""
    settings.NAVIGATION_COUNTS_SECONDS = 60


def test_what_others_do_shows_once_the_kept_counts_run_out(org, as_user, later):
    manager = as_user(org.manager.user)
    assert not wins_shown(manager)

    win(org)  # the report logs a win for their manager to confirm
    assert not wins_shown(manager)  # kept: the counts read a moment ago

    later(61)
    assert wins_shown(manager)


def test_what_the_person_does_shows_at_once(org, as_user):
    pending = win(org)
    manager = as_user(org.manager.user)
    assert wins_shown(manager)

    response = manager.post(reverse("assessments:evidence_confirm", kwargs={"pk": pending.pk}))

    assert response.status_code == 302
    assert not wins_shown(manager)
    assert "win to confirm" not in badge(manager)


def test_any_change_drops_the_kept_counts_even_a_refused_one(org, as_user):
    manager = as_user(org.manager.user)
    assert not wins_shown(manager)
    win(org)
    assert not wins_shown(manager)  # kept

    response = manager.post(reverse("assessments:evidence_confirm", kwargs={"pk": 10**9}))

    assert response.status_code == 404
    assert wins_shown(manager)


def test_a_new_day_counts_again(org, as_user, monkeypatch):
    manager = as_user(org.manager.user)
    assert not wins_shown(manager)
    win(org)

    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    monkeypatch.setattr(waiting.timezone, "localdate", lambda: tomorrow)

    assert wins_shown(manager)


def test_keeping_the_counts_leaves_the_session_alone(org, as_user, later):
    manager = as_user(org.manager.user)
    badge(manager)
    stored = Session.objects.get(session_key=manager.session.session_key)
    later(61)  # counted again, and kept again

    response = manager.get(LADDERS)

    assert response.cookies.get("sessionid") is None  # no session saved, none extended
    assert Session.objects.get(pk=stored.pk).expire_date == stored.expire_date


def test_counts_kept_by_another_release_are_counted_again(org, as_user):
    win(org)
    manager = as_user(org.manager.user)
    key = f"waiting:{org.manager.user.pk}:{timezone.localdate().isoformat()}:0"
    kept.keep(key, {"wins": 0, "renamed": 3}, 60)

    assert wins_shown(manager)


def test_with_no_time_to_keep_them_every_page_counts(org, as_user, settings):
    settings.NAVIGATION_COUNTS_SECONDS = 0
    manager = as_user(org.manager.user)
    assert not wins_shown(manager)

    win(org)

    assert wins_shown(manager)


def test_a_page_read_with_kept_counts_asks_for_no_count(org, as_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    manager = as_user(org.manager.user)
    with CaptureQueriesContext(connection) as first:
        manager.get(LADDERS)
    with CaptureQueriesContext(connection) as second:
        manager.get(LADDERS)

    counted = [q["sql"] for q in first if '"to_acknowledge"' in q["sql"]]
    assert len(counted) == 1
    assert not [q["sql"] for q in second if '"to_acknowledge"' in q["sql"]]
    assert len(second) <= len(first) - 2  # no count, and no session saved


def test_the_team_page_counts_the_wins_it_lists_now(org, as_user):
    manager = as_user(org.manager.user)
    assert not wins_shown(manager)
    win(org)  # while the manager's counts are kept

    listed = manager.get(reverse("assessments:team")).content.decode()

    assert "Wins waiting for you to confirm" in listed
    assert "1 win to confirm" in nav(listed)
    assert wins_shown(manager)  # and kept so from then on


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def test_my_page_counts_the_reviews_and_drafts_it_lists_now(org):
    report, manager = signed_in(org.report.user), signed_in(org.manager.user)
    badge(report), badge(manager)  # both counts kept
    review = shared(org)  # shared with the report, while their counts are kept
    draft = start(org, employee=org.teammate, key="pm")  # the manager's, likewise
    win(org)  # not listed on /me/: shown once the manager's counts run out

    mine = report.get(reverse("assessments:me")).content.decode()
    theirs = manager.get(reverse("assessments:me")).content.decode()

    assert "A review is waiting for you to acknowledge it" in mine
    assert f'href="{review.get_absolute_url()}"' in nav(mine)
    assert "1 review to acknowledge" in nav(mine)
    assert "Your draft reviews" in theirs
    assert f'href="{draft.get_absolute_url()}"' in nav(theirs)
    assert "1 draft review to finish" in nav(theirs)
    assert "win to confirm" not in nav(theirs)
    assert "1 review to acknowledge" in badge(report)  # kept so from then on
    assert "1 draft review to finish" in badge(manager)


def test_pages_that_list_what_waits_ask_for_no_count_while_the_rest_is_kept(org, as_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    manager = as_user(org.manager.user)
    badge(manager)  # counted and kept
    for page in ("assessments:team", "assessments:me"):
        with CaptureQueriesContext(connection) as read:
            manager.get(reverse(page))
        assert not [q["sql"] for q in read if '"to_acknowledge"' in q["sql"]], page


def test_a_page_that_counts_afresh_writes_nothing_when_nothing_changed(org, as_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    manager = as_user(org.manager.user)
    manager.get(reverse("assessments:team"))  # counted and kept
    with CaptureQueriesContext(connection) as again:
        manager.get(reverse("assessments:team"))

    assert not [q for q in again if '"pmladder_kept"' in q["sql"] and "SELECT" not in q["sql"]]


def steady_visit(client, address):
    """The queries of a visit to `address` once the first visit has kept what it keeps
    (the navigation's counts, the readiness of who changed), and its page."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(address)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(address).content.decode()
    return queries, page


@pytest.mark.parametrize("waiting_wins", [waiting.LISTED_WINS + 1, waiting.COUNTED_UP_TO])
def test_the_team_page_counts_more_wins_than_it_lists_in_the_same_queries(
    org, as_user, waiting_wins
):
    manager = as_user(org.manager.user)
    team = reverse("assessments:team")
    win(org)
    one, _ = steady_visit(manager, team)
    for n in range(waiting_wins - 1):
        win(org, text=f"Shipped release {n}.")
    many, listed = steady_visit(manager, team)

    assert listed.count('action="/evidence/') >= waiting.LISTED_WINS
    assert f"{waiting.shown(waiting_wins)} wins to confirm" in nav(listed)
    assert f'text-bg-warning">{waiting.shown(waiting_wins)}</span>' in listed
    assert f"The latest {waiting.LISTED_WINS} are listed here" in listed
    assert len(many) == len(one)
