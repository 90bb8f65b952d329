"""Level review pages: every role on every view, bad input, concurrent saves, and cost."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import reviews
from assessments.models import Evidence, Rating, Review

from .test_access import ROLES, user_for
from .test_reviews import add_evidence, complete, shared, start

pytestmark = pytest.mark.django_db


def url(name, pk):
    return reverse(f"assessments:{name}", kwargs={"pk": pk})


def form_data(review, *, rating=Rating.MEETS, comment="Good.", readiness="ready", **extra):
    """What the review form posts: every rating, the overall fields and the version."""
    review.refresh_from_db()
    data = {"version": review.version, "readiness": readiness, "summary": "On track."}
    for row in review.ratings.all():
        data[f"rating_{row.pk}"] = rating
        data[f"comment_{row.pk}"] = comment
    data.update(extra)
    return data


def confirm_data(review):
    """What the confirm step posts: the flag and the version it asked about."""
    review.refresh_from_db()
    return {"confirm": "yes", "version": review.version}


def selected(content, row, value):
    """Whether the rating select of `row` shows `value` chosen."""
    select = content.split(f'name="rating_{row.pk}"', 1)[1].split("</select>", 1)[0]
    return f'<option value="{value}" selected>' in select


def first_row(review):
    return review.ratings.order_by("position").first()


# Every role ---------------------------------------------------------------------------------

# Status per role, in ROLES order:
# anonymous, person, manager, managers_manager, unrelated_manager, hr, outsider, peer.
# "login" is a redirect to sign in, "done" a redirect after the action succeeded. The
# review is started by the manager: a draft is theirs alone until they share it.
EXPECTED = {
    "start_get": ["login", 403, 200, 200, 404, 200, 404, 404],
    "start_post": ["login", 403, "done", "done", 404, "done", 404, 404],
    "draft_get": ["login", 404, 200, 404, 404, 404, 404, 404],
    "draft_save": ["login", 404, "done", 404, 404, 404, 404, 404],
    "draft_share": ["login", 404, "done", 404, 404, 404, 404, 404],
    "draft_ask": ["login", 404, 200, 404, 404, 404, 404, 404],  # GET: the confirm step
    "draft_confirm": ["login", 404, "done", 404, 404, 404, 404, 404],
    "draft_acknowledge": ["login", 404, 403, 404, 404, 404, 404, 404],
    "shared_get": ["login", 200, 200, 200, 404, 200, 404, 404],
    "shared_save": ["login", 403, 400, 403, 404, 403, 404, 404],
    "shared_share": ["login", 403, 400, 403, 404, 403, 404, 404],
    "shared_acknowledge": ["login", "done", 403, 403, 404, 403, 404, 404],
}


def request_for(org, client, case):
    if case.startswith("start"):
        target = url("review_start", org.report.pk)
        if case == "start_get":
            return client.get(target)
        senior = org.ladder.levels.get(key="senior-pm")
        return client.post(target, {"target_level": senior.pk})
    state, action = case.split("_")
    review = start(org) if state == "draft" else shared(org)
    if action == "get":
        return client.get(url("review", review.pk))
    if action == "acknowledge":
        return client.post(url("review_acknowledge", review.pk), {"comment": "Read it."})
    if action == "ask":
        complete(review, org.manager.user)
        return client.get(url("review_share", review.pk))
    if action == "confirm":
        saved = complete(review, org.manager.user)
        return client.post(url("review_share", review.pk), confirm_data(saved))
    data = form_data(review)
    return client.post(url("review" if action == "save" else "review_share", review.pk), data)


@pytest.mark.parametrize("case", EXPECTED)
@pytest.mark.parametrize("role", ROLES)
def test_review_views_for_every_role(org, as_user, case, role, caplog):
    client = as_user(user_for(org, role))

    response = request_for(org, client, case)

    expected = EXPECTED[case][ROLES.index(role)]
    if expected == "login":
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    elif expected == "done":
        assert response.status_code == 302
        assert "/reviews/" in response.url
    else:
        assert response.status_code == expected
    if expected in {403, 404}:
        assert "Refused user" in caplog.text  # refusals are logged


@pytest.mark.parametrize(
    ("role", "changed"),
    [("manager", True), ("person", False), ("unrelated_manager", False), ("outsider", False)],
)
def test_only_managers_change_a_draft(org, as_user, role, changed):
    review = start(org)

    as_user(user_for(org, role)).post(url("review", review.pk), form_data(review))

    assert review.ratings.filter(rating=Rating.MEETS).exists() == changed


@pytest.mark.parametrize("role", ["person", "manager", "hr", "unrelated_manager"])
def test_post_only_actions_answer_get_with_405_or_hide(org, as_user, role):
    review = shared(org)
    client = as_user(user_for(org, role))

    share = client.get(url("review_share", review.pk))
    acknowledge = client.get(url("review_acknowledge", review.pk))

    expected = {  # (share, acknowledge): refused before the method is looked at
        "unrelated_manager": (404, 404),
        "person": (403, 405),
        "manager": (405, 403),  # the author
        "hr": (403, 403),
    }[role]
    assert (share.status_code, acknowledge.status_code) == expected


def test_unknown_review_is_404_even_for_hr(org, as_user):
    response = as_user(org.hr).get(url("review", 999999))

    assert response.status_code == 404


# Starting -----------------------------------------------------------------------------------


def test_start_page_offers_the_current_and_next_levels(org, as_user):
    response = as_user(org.manager.user).get(url("review_start", org.report.pk))

    form = response.context["form"]
    keys = {level.key for level in (t.level for t in form.targets.values())}
    assert keys == {"pm", "senior-pm"}
    content = response.content.decode()
    assert "Product Manager (L4): their current level" in content
    assert "Senior Product Manager (L5): next on the Individual Contributor and Management" in (
        content
    )
    senior = org.ladder.levels.get(key="senior-pm")
    assert form.initial["target_level"] == senior.pk  # the next level is suggested


def test_starting_creates_the_review_and_says_what_next(org, as_user):
    senior = org.ladder.levels.get(key="senior-pm")

    response = as_user(org.manager.user).post(
        url("review_start", org.report.pk), {"target_level": senior.pk}, follow=True
    )

    review = Review.objects.get()
    assert response.redirect_chain[-1][0] == url("review", review.pk)
    assert review.ratings.count() == senior.expectations.active().count()
    assert "Review of Remi Report against Senior Product Manager started" in (
        response.content.decode()
    )


@pytest.mark.parametrize("key", ["director", "staff-pm", "apm"])
def test_start_refuses_a_level_not_offered(org, as_user, key):
    other = org.ladder.levels.get(key=key)

    response = as_user(org.manager.user).post(
        url("review_start", org.report.pk), {"target_level": other.pk}
    )

    assert response.status_code == 400
    assert b"Choose their current level or a next level on one of their tracks." in (
        response.content
    )
    assert not Review.objects.exists()


@pytest.mark.parametrize("value", ["", "abc", "999999"])
def test_start_refuses_nonsense(org, as_user, value):
    response = as_user(org.manager.user).post(
        url("review_start", org.report.pk), {"target_level": value}
    )

    assert response.status_code == 400
    assert not Review.objects.exists()


def test_starting_a_second_draft_points_at_the_first(org, as_user):
    first = start(org)

    response = as_user(org.manager.user).post(
        url("review_start", org.report.pk), {"target_level": first.target_level_id}
    )

    assert response.status_code == 400
    content = response.content.decode()
    assert "already a draft review" in content
    assert f'href="{url("review", first.pk)}"' in content
    assert Review.objects.count() == 1


def test_someone_elses_draft_is_named_but_not_linked(org, as_user):
    """A draft is its author's alone: another manager learns it exists, not what it says."""
    first = start(org)

    response = as_user(org.boss.user).post(
        url("review_start", org.report.pk), {"target_level": first.target_level_id}
    )

    assert response.status_code == 400
    content = response.content.decode()
    assert "Mina Manager is already writing a review of Remi Report" in content
    assert url("review", first.pk) not in content
    assert Review.objects.count() == 1


def test_hr_on_the_ladder_cannot_start_their_own_review(org, as_user):
    from ..conftest import place

    hr_person = place(org.ladder, "hrperson", "Hu Resources", "pm", manager=org.manager)
    hr_person.user.groups.add(*org.hr.groups.all())

    response = as_user(hr_person.user).get(url("review_start", hr_person.pk))

    assert response.status_code == 403


# The draft page -----------------------------------------------------------------------------


def test_draft_page_labels_each_field_with_its_expectation(org, as_user):
    review = start(org)

    response = as_user(org.manager.user).get(url("review", review.pk))

    content = response.content.decode()
    for row in review.ratings.all():
        label = f'for="id_rating_{row.pk}">Rating<span class="visually-hidden"> for “'
        assert label in content
        assert f'for="id_comment_{row.pk}">Comment' in content
    assert 'name="version" value="1"' in content
    assert "Share with Remi Report" in content
    assert "Still to do: rate every expectation and choose an overall readiness." in content
    assert "style=" not in content
    assert "<script>" not in content


def test_draft_page_shows_confirmed_evidence_beside_its_expectation(org, as_user):
    review = start(org)
    expectation = first_row(review).expectation
    add_evidence(org, expectation, description="Shipped the onboarding revamp.")
    add_evidence(
        org,
        expectation,
        description="Pending self-logged win.",
        status=Evidence.Status.PENDING,
        source=Evidence.Source.SELF,
        author=org.report.user,
    )

    response = as_user(org.manager.user).get(url("review", review.pk))

    content = response.content.decode()
    assert "Shipped the onboarding revamp." in content
    assert "Pending self-logged win." not in content
    assert "No confirmed evidence against this expectation yet." in content  # the others


def test_saving_a_draft_keeps_it_a_draft_and_says_so(org, as_user):
    review = start(org)
    row = first_row(review)

    response = as_user(org.manager.user).post(
        url("review", review.pk),
        {
            "version": 1,
            f"rating_{row.pk}": "exceeds",
            f"comment_{row.pk}": "Led it.",
            "readiness": "",
            "summary": "",
        },
        follow=True,
    )

    row.refresh_from_db()
    review.refresh_from_db()
    assert (row.rating, row.comment) == ("exceeds", "Led it.")
    assert (review.status, review.version) == ("draft", 2)
    assert b"Draft saved." in response.content
    assert b'name="version" value="2"' in response.content


@pytest.mark.parametrize("button", ["review", "review_share"])  # Save draft, Share
def test_a_stale_save_is_refused_keeping_the_users_input(org, as_user, button):
    review = start(org)
    row = first_row(review)
    opened = form_data(review, rating=Rating.NOT_YET, comment="My careful comment")
    complete(review, org.manager.user)  # saved in another tab in between

    response = as_user(org.manager.user).post(url(button, review.pk), opened)

    assert response.status_code == 409
    content = response.content.decode()
    assert "This draft was saved again (perhaps in another tab) after you opened it" in content
    assert "My careful comment" in content  # what they typed is still there
    row.refresh_from_db()
    review.refresh_from_db()
    assert (row.rating, row.comment) == (Rating.MEETS, "Solid.")  # the other save stands
    assert review.version == 2
    # Saving again from that page keeps what they typed.
    again = {**opened, "version": 2}
    assert f'name="version" value="{again["version"]}"' in content
    as_user(org.manager.user).post(url("review", review.pk), again)
    row.refresh_from_db()
    assert (row.rating, row.comment) == (Rating.NOT_YET, "My careful comment")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("rating", "superb", "Choose a rating from the scale."),
        ("comment", "x" * 5001, "Ensure this value has at most 5000 characters"),
        ("readiness", "maybe", "Choose a readiness from the list."),
        ("summary", "x" * 10001, "Ensure this value has at most 10000 characters"),
        ("version", "", "This page is incomplete or out of date: reload it"),
        ("version", "abc", "This page is incomplete or out of date: reload it"),
    ],
)
@pytest.mark.parametrize("button", ["review", "review_share"])  # Save draft, Share
def test_bad_input_is_refused_with_a_form_error(org, as_user, field, value, message, button):
    review = start(org)
    row = first_row(review)
    data = form_data(review, comment="Kept")
    data[f"{field}_{row.pk}" if field in {"rating", "comment"} else field] = value

    response = as_user(org.manager.user).post(url(button, review.pk), data)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not review.ratings.exclude(rating="").exists()  # nothing saved
    review.refresh_from_db()
    assert review.version == 1


def test_a_refused_share_saves_the_draft_and_marks_what_is_missing(org, as_user):
    review = start(org)
    row = first_row(review)
    count = review.ratings.count()
    client = as_user(org.manager.user)

    response = client.post(
        url("review_share", review.pk),
        {"version": 1, f"rating_{row.pk}": "meets", f"comment_{row.pk}": "Typed"},
        follow=True,
    )

    assert response.redirect_chain == [(url("review_share", review.pk), 302)]
    content = response.content.decode()
    assert "Draft saved." in content
    assert (
        f"Not shared yet. Before sharing it with Remi Report, rate {count - 1} more "
        "expectations and choose an overall readiness." in content
    )
    assert content.count("Rate this expectation before sharing.") == count - 1
    assert "Choose an overall readiness before sharing." in content
    second = review.ratings.order_by("position")[1]
    assert f'href="#id_rating_{second.pk}"' in content  # the first field to fill in
    assert 'name="version" value="2"' in content  # the next save is not stale
    review.refresh_from_db()
    row.refresh_from_db()
    assert (review.status, review.version) == ("draft", 2)
    assert (row.rating, row.comment) == ("meets", "Typed")
    reloaded = client.get(url("review", review.pk)).content.decode()  # all still there
    assert selected(reloaded, row, "meets")
    assert "Typed" in reloaded
    assert 'name="version" value="2"' in reloaded


def test_share_saves_a_complete_draft_then_asks_to_confirm_naming_the_person(org, as_user):
    review = start(org)

    response = as_user(org.manager.user).post(
        url("review_share", review.pk), form_data(review, comment="Crisp roadmaps."), follow=True
    )

    assert response.status_code == 200
    assert response.redirect_chain == [(url("review_share", review.pk), 302)]
    content = response.content.decode()
    assert "Draft saved." in content
    assert "Share this review with Remi Report?" in content
    assert "They will see every rating and comment; it cannot be changed afterwards." in content
    assert 'name="confirm" value="yes"' in content
    assert 'name="version" value="2"' in content
    assert "Crisp roadmaps." in content  # what they will read
    assert "<select" not in content
    assert "style=" not in content
    assert "<script>" not in content
    review.refresh_from_db()
    assert (review.status, review.version, review.shared_at) == ("draft", 2, None)
    assert not review.ratings.filter(rating="").exists()  # saved


def test_confirming_shares_the_review(org, as_user):
    review = start(org)
    saved = complete(review, org.manager.user)

    response = as_user(org.manager.user).post(
        url("review_share", review.pk), confirm_data(saved), follow=True
    )

    assert response.redirect_chain == [(url("review", review.pk), 302)]
    review.refresh_from_db()
    assert review.status == Review.Status.SHARED
    assert review.shared_at is not None
    assert not review.ratings.filter(rating="").exists()  # the ratings are kept
    content = response.content.decode()
    assert "Shared with Remi Report. They can read it now and acknowledge it." in content
    assert "Waiting for Remi Report to read and acknowledge it." in content
    assert "<select" not in content  # read-only now


def test_confirming_a_stale_version_is_refused(org, as_user):
    review = start(org)
    asked = confirm_data(complete(review, org.manager.user))
    complete(review, org.manager.user, readiness=Review.Readiness.DEVELOPING)  # another tab

    response = as_user(org.manager.user).post(url("review_share", review.pk), asked)

    assert response.status_code == 409
    content = response.content.decode()
    assert "This draft was saved again since you asked to share it" in content
    assert 'name="version" value="3"' in content  # the draft as it is now, to check
    review.refresh_from_db()
    assert (review.status, review.version, review.readiness) == ("draft", 3, "developing")


@pytest.mark.parametrize("version", ["", "abc"])
def test_confirming_without_a_version_is_refused(org, as_user, version):
    review = start(org)
    complete(review, org.manager.user)

    response = as_user(org.manager.user).post(
        url("review_share", review.pk), {"confirm": "yes", "version": version}
    )

    assert response.status_code == 400
    assert b"This page is incomplete or out of date: reload it" in response.content
    review.refresh_from_db()
    assert review.status == Review.Status.DRAFT


def test_confirming_an_incomplete_draft_is_refused_and_says_what_is_missing(org, as_user):
    review = start(org)

    response = as_user(org.manager.user).post(url("review_share", review.pk), confirm_data(review))

    assert response.status_code == 400
    content = response.content.decode()
    assert "Not shared yet. Before sharing it with Remi Report, rate every expectation" in content
    assert content.count("Rate this expectation before sharing.") == review.ratings.count()
    review.refresh_from_db()
    assert (review.status, review.version) == ("draft", 1)


def test_the_share_address_of_a_shared_review_takes_nothing(org, as_user):
    review = shared(org)
    client = as_user(org.manager.user)

    asked = client.get(url("review_share", review.pk))
    confirmed = client.post(url("review_share", review.pk), confirm_data(review))

    assert (asked.status_code, confirmed.status_code) == (405, 400)
    assert b"already shared with Remi Report" in confirmed.content


def test_sharing_an_already_shared_review_is_refused(org, as_user):
    review = shared(org)

    response = as_user(org.manager.user).post(url("review_share", review.pk), form_data(review))

    assert response.status_code == 400
    assert b"already shared with Remi Report" in response.content
    review.refresh_from_db()
    assert review.version == 3


# The person ---------------------------------------------------------------------------------


def test_the_person_reads_a_shared_review_without_private_evidence(org, as_user):
    review = start(org)
    expectation = first_row(review).expectation
    add_evidence(org, expectation, description="Shared with Remi.")
    add_evidence(
        org, expectation, description="Private note.", visibility=Evidence.Visibility.PRIVATE
    )
    complete(review, org.manager.user)
    from assessments import reviews

    reviews.share_review(review=review, by=org.manager.user)

    content = as_user(org.report.user).get(url("review", review.pk)).content.decode()
    manager_content = as_user(org.manager.user).get(url("review", review.pk)).content.decode()

    assert "Your level review" in content
    assert "Shared with Remi." in content
    assert "Private note." not in content
    assert "Private note." in manager_content
    assert "Ready for the next step." in content  # the summary
    assert "Acknowledge" in content
    assert "<select" not in content


def test_the_person_acknowledges_with_a_comment(org, as_user):
    review = shared(org)

    response = as_user(org.report.user).post(
        url("review_acknowledge", review.pk), {"comment": "Thanks, let's plan Q3."}, follow=True
    )

    review.refresh_from_db()
    assert review.status == Review.Status.ACKNOWLEDGED
    assert review.acknowledgement == "Thanks, let's plan Q3."
    assert review.acknowledged_at is not None
    content = response.content.decode()
    assert "your acknowledgement is recorded" in content
    assert "You acknowledged this review on" in content
    assert "Thanks, let&#x27;s plan Q3." in content


def test_acknowledging_twice_is_refused(org, as_user):
    review = shared(org)
    client = as_user(org.report.user)
    client.post(url("review_acknowledge", review.pk), {"comment": "First"})

    response = client.post(url("review_acknowledge", review.pk), {"comment": "Second"})

    assert response.status_code == 400
    assert b"You already acknowledged this review on" in response.content
    review.refresh_from_db()
    assert review.acknowledgement == "First"


def test_an_over_long_acknowledgement_is_a_form_error(org, as_user):
    review = shared(org)

    response = as_user(org.report.user).post(
        url("review_acknowledge", review.pk), {"comment": "x" * 5001}
    )

    assert response.status_code == 400
    assert b"Ensure this value has at most 5000 characters" in response.content
    review.refresh_from_db()
    assert review.status == Review.Status.SHARED


def test_a_draft_stays_invisible_to_the_person_everywhere(org, as_user):
    review = start(org)
    client = as_user(org.report.user)

    assert client.get(url("review", review.pk)).status_code == 404
    assert client.post(url("review", review.pk), form_data(review)).status_code == 404
    assert client.post(url("review_share", review.pk), form_data(review)).status_code == 404
    assert client.post(url("review_acknowledge", review.pk), {}).status_code == 404


# The list partial ---------------------------------------------------------------------------


def test_list_partial_for_managers_and_the_person(org, rf):
    from django.template.loader import render_to_string

    from assessments import reviews

    draft = start(org, "pm")
    shared_review = shared(org)
    manager = org.manager.user

    manager_html = render_to_string(
        "assessments/reviews/_list.html",
        {
            "reviews": reviews.reviews_for(manager, org.report),
            "employee": org.report,
            "can_manage": True,
            "user": manager,
        },
    )
    person_html = render_to_string(
        "assessments/reviews/_list.html",
        {
            "reviews": reviews.reviews_for(org.report.user, org.report),
            "employee": org.report,
            "can_manage": False,
            "user": org.report.user,
        },
    )
    empty_html = render_to_string(
        "assessments/reviews/_list.html",
        {"reviews": [], "employee": org.teammate, "can_manage": True, "user": manager},
    )

    assert url("review_start", org.report.pk) in manager_html
    assert url("review", draft.pk) in manager_html
    assert url("review", shared_review.pk) in manager_html
    assert f"0 of {draft.ratings.count()} rated" in manager_html
    assert url("review", draft.pk) not in person_html
    assert url("review", shared_review.pk) in person_html
    assert "Start a review" not in person_html
    assert "No level reviews yet. Start one to rate Tea Mate" in empty_html


# Cost ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["manager", "person"])
def test_review_page_costs_the_same_with_1_or_500_evidence_items(org, as_user, role):
    review = shared(org)
    rows = list(review.ratings.select_related("expectation__category"))
    client = as_user(user_for(org, role))
    add_evidence(org, rows[0].expectation)
    # A shared review shows the evidence as it was when shared: take that copy again.
    reviews._snapshot_evidence(review)

    with CaptureQueriesContext(connection) as one:
        assert client.get(url("review", review.pk)).status_code == 200
    for row in rows:  # 500 more, spread over every expectation, some private
        add_evidence(org, row.expectation, count=500 // len(rows))
    add_evidence(org, rows[0].expectation, count=500 % len(rows))
    add_evidence(org, rows[1].expectation, visibility=Evidence.Visibility.PRIVATE, count=3)
    reviews._snapshot_evidence(review)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url("review", review.pk))

    assert response.status_code == 200
    assert len(many) == len(one)
    shown = sum(len(row.evidence) for row in response.context["page"].ratings)
    assert shown == (504 if role == "manager" else 501)


def test_draft_page_query_count_is_pinned(org, as_user, django_assert_num_queries):
    review = start(org)
    for row in review.ratings.select_related("expectation__category"):
        add_evidence(org, row.expectation, count=20)
    client = as_user(org.manager.user)

    # 1 session, 2 user, 3 the review with its person, their level and ladder, its author
    # and target level, 4 HR group (is_hr), 5 the signed-in employee (employee_of; whether
    # they are above the person is read from the two paths), 6 the ratings, 7 the evidence
    # with its authors (restricted to what they may read in the same query), 8 the
    # navigation's counts.
    with django_assert_num_queries(8):
        response = client.get(url("review", review.pk))

    assert response.status_code == 200


@pytest.mark.parametrize("role", ["person", "peer", "manager", "unrelated_manager", "outsider"])
def test_sweep_reviews_of_people_outside_ones_tree_get_404(org, as_user, role):
    """Each user requests every review address, by GET and POST, of a draft and a shared
    review of everyone they may not see."""
    from assessments import reviews

    found = {}
    for person in [org.report, org.teammate, org.stranger, org.manager, org.other_manager]:
        by = person.manager.user
        draft = reviews.start_review(employee=person, target_level=person.level, by=by)
        following = reviews.review_targets(person)[-1].level
        done = reviews.start_review(employee=person, target_level=following, by=by)
        complete(done, by)
        found[person] = [draft, reviews.share_review(review=done, by=by)]
    client = as_user(user_for(org, role))
    visible = {
        "person": {org.report},
        "peer": {org.teammate},
        "manager": {org.manager, org.report, org.teammate},
        "unrelated_manager": {org.other_manager, org.stranger},
        "outsider": set(),
    }[role]
    for person, person_reviews in found.items():
        if person in visible:
            continue
        for review in person_reviews:
            for name in ["review", "review_share", "review_acknowledge"]:
                assert client.get(url(name, review.pk)).status_code == 404, (name, person)
                assert client.post(url(name, review.pk), {}).status_code == 404, (name, person)


def test_a_shared_review_marks_growth_notes_beside_their_rating(org, as_user):
    """A growth note beside a rating is marked as one, as it read when shared, so it never
    passes for evidence that the expectation is met."""
    review = start(org)
    row = first_row(review)
    add_evidence(org, row.expectation, kind="growth", description="Late status updates.")
    complete(review, org.manager.user)
    reviews.share_review(review=review, by=org.manager.user)

    page = as_user(org.report.user).get(url("review", review.pk)).content.decode()

    assert "Late status updates." in page
    assert "Growth note</span>" in page
    assert row.__class__.objects.get(pk=row.pk).evidence_snapshot[0]["kind"] == "growth"
