"""A large view of `/org/` keeps its figures for a few minutes (`insights.kept`): shared by
every visit with the same key and by every app server, never by a view that covers other
people, counted again at once on request, and never kept while readiness is behind."""

import re

import pytest
from django.core.cache import cache, caches
from django.urls import reverse

from assessments import kept as kept_readiness
from insights import kept

from ..conftest import place

pytestmark = pytest.mark.django_db

ORG = reverse("insights:org")
KEPT = "Count them again now"


@pytest.fixture(autouse=True)
def small_threshold(settings):
    """Views of four people or more keep their figures (the known organisation's HR view
    covers six people, the boss's five, a manager's two); nothing kept between tests."""
    settings.ORG_FIGURES_KEPT_FROM = 4
    settings.ORG_FIGURES_KEPT_SECONDS = 300
    caches["kept"].clear()
    yield
    caches["kept"].clear()


def people_shown(response):
    """The headcount the page shows at a glance (kept or counted for this visit)."""
    found = re.search(r">People</dt><dd[^>]*>(\d+)<", response.content.decode())
    return int(found.group(1))


def visit(client, user, params=None):
    client.force_login(user)
    response = client.get(ORG, params or {})
    assert response.status_code == 200
    return response


def newcomer(org, username="newcomer"):
    return place(org.ladder, username, "Nina Newcomer", "pm", manager=org.manager, months_ago=1)


def test_a_large_view_keeps_its_figures_and_says_when_they_were_counted(client, known):
    org = known.org
    first = visit(client, org.hr)
    assert KEPT in first.content.decode()
    assert people_shown(first) == 6

    newcomer(org)
    second = visit(client, org.hr)

    assert "the figures are kept for 5 minutes." in second.content.decode()
    assert people_shown(second) == 6  # the figures as they were counted
    assert b"Nina Newcomer" not in second.content


def test_counting_again_shows_the_change_at_once_and_keeps_the_filters(client, known):
    org = known.org
    visit(client, org.hr, {"span": "1"})
    newcomer(org)

    response = client.post(f"{ORG}?span=1")

    assert response.status_code == 302
    assert response.url == f"{ORG}?span=1"
    after = client.get(response.url)
    assert people_shown(after) == 7
    assert b"Nina Newcomer" in after.content  # among the people with no recent evidence


def test_a_small_view_is_counted_at_every_visit_and_says_nothing_of_keeping(client, known):
    org = known.org
    before = visit(client, org.manager.user)  # two people below the manager
    assert people_shown(before) == 2
    assert KEPT not in before.content.decode()

    newcomer(org)
    after = visit(client, org.manager.user)

    assert people_shown(after) == 3
    assert KEPT not in after.content.decode()


def test_a_manager_never_sees_the_figures_kept_for_a_wider_view(client, known):
    org = known.org
    assert people_shown(visit(client, org.hr)) == 6  # kept for HR's whole organisation

    boss_view = visit(client, org.boss.user)

    assert people_shown(boss_view) == 5
    assert "The whole organisation" not in boss_view.content.decode()


def test_each_filter_and_date_range_keeps_figures_of_its_own(client, known):
    org = known.org
    visit(client, org.hr)
    level = org.ladder.levels.get(key="pm")

    by_level = visit(client, org.hr, {"level": level.pk})
    below = visit(client, org.hr, {"manager": org.manager.email})
    last_year = visit(client, org.hr, {"from": "2025-01-01", "to": "2025-06-30"})

    assert people_shown(by_level) == 2  # report and stranger
    assert people_shown(below) == 2
    assert "Promotions since 1 Jan 2025" in last_year.content.decode()


def test_hr_filtering_to_a_manager_shares_that_managers_own_kept_figures(client, known):
    org = known.org
    visit(client, org.boss.user)  # kept under the boss
    newcomer(org)

    hr_below_boss = visit(client, org.hr, {"manager": str(org.boss.pk)})

    # The same people, dates and round: the same figures, counted when the boss visited.
    assert people_shown(hr_below_boss) == 5
    assert "Counted at" in hr_below_boss.content.decode()


def test_a_view_whose_readiness_is_behind_is_not_kept(client, known, monkeypatch):
    org = known.org
    monkeypatch.setattr(kept_readiness, "RECOUNT_IN_REQUEST", 0)
    org.report.readiness_generation += 1  # out of date, for a task to count again
    org.report.save(update_fields=["readiness_generation"])
    cache.set(kept_readiness.QUEUED_KEY, True)  # that task is queued already
    try:
        response = visit(client, org.hr)
    finally:
        cache.delete(kept_readiness.QUEUED_KEY)

    assert "being counted again" in response.content.decode()
    assert KEPT not in response.content.decode()


class Queued:
    """Stands for the recount task: notes what is queued, or fails (`fail`: an exception
    to raise, or words for a failing test)."""

    def __init__(self, fail=None):
        self.calls, self.fail = [], fail

    def enqueue(self, *args):
        if isinstance(self.fail, Exception):
            raise self.fail
        if self.fail:
            pytest.fail(self.fail)
        self.calls.append(args)


def test_figures_past_their_time_show_while_a_task_counts_them_again(client, known, later):
    org = known.org
    visit(client, org.hr)
    newcomer(org)
    later(301)

    stale = visit(client, org.hr)  # tasks run at once in the tests: counted again meanwhile
    fresh = visit(client, org.hr)

    assert people_shown(stale) == 6
    assert "They are being counted again" in stale.content.decode()
    assert people_shown(fresh) == 7
    assert "the figures are kept for 5 minutes." in fresh.content.decode()


def test_figures_older_than_they_may_be_shown_are_counted_at_the_visit(
    client, known, later, settings, monkeypatch
):
    org = known.org
    visit(client, org.hr)
    newcomer(org)
    monkeypatch.setattr(kept, "recount", Queued(fail="queued"))
    later(300 + settings.ORG_FIGURES_STALE_SECONDS)

    response = visit(client, org.hr)

    assert people_shown(response) == 7
    assert "They are being counted again" not in response.content.decode()


def test_with_no_time_to_show_old_figures_the_next_visit_counts_them(
    client, known, later, settings
):
    settings.ORG_FIGURES_STALE_SECONDS = 0
    org = known.org
    visit(client, org.hr)
    newcomer(org)
    later(301)

    assert people_shown(visit(client, org.hr)) == 7


def test_a_count_is_queued_once_while_it_waits_for_a_worker(client, known, later, monkeypatch):
    queued = Queued()
    monkeypatch.setattr(kept, "recount", queued)
    org = known.org
    visit(client, org.hr)
    later(301)

    first, second = visit(client, org.hr), visit(client, org.hr)

    assert len(queued.calls) == 1
    assert queued.calls[0][:2] == (org.hr.pk, first.context["scope"].query)
    for response in (first, second):
        assert "They are being counted again" in response.content.decode()
        assert people_shown(response) == 6


def test_a_count_that_cannot_be_queued_shows_the_old_figures_and_is_tried_again(
    client, known, later, monkeypatch
):
    monkeypatch.setattr(kept, "recount", Queued(fail=ConnectionError("no task store")))
    org = known.org
    visit(client, org.hr)
    later(301)

    response = visit(client, org.hr)

    assert people_shown(response) == 6
    assert "They are being counted again" not in response.content.decode()
    key = kept._key(response.context["scope"], None)
    assert caches["kept"].get(kept._queued_key(key)) is None  # queued again next visit


def test_the_task_counts_nothing_for_someone_who_may_not_see_the_view(known, monkeypatch):
    monkeypatch.setattr(kept.drawing, "figures_of", lambda *args: pytest.fail("counted"))
    caches["kept"].set(kept._queued_key("a-key"), True)

    kept.recount.call(known.org.outsider.pk, "span=8", "a-key")  # manages nobody, not HR

    assert caches["kept"].get(kept._queued_key("a-key")) is None  # queued no longer


def test_the_task_keeps_what_the_page_then_shows(client, known):
    org = known.org
    client.force_login(org.hr)
    query = client.get(ORG, {"span": "8"}).context["scope"].query
    caches["kept"].clear()

    kept.recount.call(org.hr.pk, query, "a-key")
    newcomer(org)
    response = client.get(f"{ORG}?{query}")

    assert people_shown(response) == 6  # as the task counted them
    assert KEPT in response.content.decode()


def test_kept_markup_keeps_names_escaped(client, known):
    org = known.org
    org.stranger.full_name = "<script>alert(1)</script> Stranger"
    org.stranger.save(update_fields=["full_name"])
    visit(client, org.hr)

    again = visit(client, org.hr)

    assert "Counted at" in again.content.decode()
    assert b"<script>alert(1)</script>" not in again.content
    assert b"&lt;script&gt;alert(1)&lt;/script&gt; Stranger" in again.content


@pytest.mark.parametrize("who", ["anonymous", "report", "outsider"])
def test_only_those_who_may_open_the_view_may_count_it_again(client, known, who):
    org = known.org
    if who == "report":
        client.force_login(org.report.user)
    elif who == "outsider":
        client.force_login(org.outsider)

    response = client.post(ORG)

    if who == "anonymous":
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    else:
        assert response.status_code == 403


@pytest.mark.parametrize(
    ("seconds", "words"), [(300, "5 minutes"), (60, "1 minute"), (90, "90 seconds")]
)
def test_the_page_says_how_long_figures_are_kept(client, known, settings, seconds, words):
    settings.ORG_FIGURES_KEPT_SECONDS = seconds

    response = visit(client, known.org.hr)

    assert f"the figures are kept for {words}." in response.content.decode()


def test_downloads_of_shared_figures_cover_the_view_whoever_counted_them(client, known):
    org = known.org
    visit(client, org.manager.user)  # kept for the people below the manager

    hr_below_manager = visit(client, org.hr, {"manager": org.manager.email})

    people_csv = reverse("insights:export", kwargs={"table": "people"})
    link = re.search(rf'href="({re.escape(people_csv)}[^"]*)"', hr_below_manager.content.decode())
    assert f"manager={org.manager.pk}" in link.group(1)
    rows = b"".join(client.get(link.group(1).replace("&amp;", "&")).streaming_content)
    assert rows.count(b"\n") == 1 + 2  # the header and the manager's two reports


def test_after_a_change_of_their_own_the_viewer_gets_the_figures_counted_again(client, known):
    org = known.org
    visit(client, org.hr)
    newcomer(org)
    assert people_shown(visit(client, org.hr)) == 6  # kept

    client.post(reverse("assessments:evidence_confirm", kwargs={"pk": 10**9}))  # any change
    after = visit(client, org.hr)

    assert people_shown(after) == 7
    assert KEPT in after.content.decode()  # counted, and kept again


def test_counting_again_says_so(client, known):
    visit(client, known.org.hr)

    response = client.post(ORG, follow=True)

    assert "The figures were counted again just now." in response.content.decode()
