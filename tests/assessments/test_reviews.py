"""Level reviews, the services: start, save, share, acknowledge, and who sees which."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from assessments import reviews
from assessments.models import Evidence, Rating, Review, ReviewRating

from ..conftest import place

pytestmark = pytest.mark.django_db


# Helpers, shared with the other review tests ------------------------------------------------


def level(org, key):
    return org.ladder.levels.get(key=key)


def start(org, key="senior-pm", by=None, employee=None):
    return reviews.start_review(
        employee=employee or org.report,
        target_level=level(org, key),
        by=by or org.manager.user,
    )


def ratings_of(review, rating=Rating.MEETS, comment="Solid."):
    return {row.pk: (rating, comment) for row in review.ratings.all()}


def complete(review, by, *, readiness=Review.Readiness.READY):
    """Rate every expectation and choose a readiness: ready to share."""
    return reviews.save_review(
        review=review,
        ratings=ratings_of(review),
        readiness=readiness,
        summary="Ready for the next step.",
        version=Review.objects.get(pk=review.pk).version,
        by=by,
    )


def shared(org, key="senior-pm"):
    review = start(org, key)
    complete(review, org.manager.user)
    return reviews.share_review(review=review, by=org.manager.user)


def add_evidence(org, expectation, *, employee=None, count=1, **fields):
    """`count` evidence items about `employee` (the report) against `expectation`."""
    employee = employee or org.report
    values = {
        "employee": employee,
        "expectation": expectation,
        "level": expectation.level,
        "expectation_text": expectation.text,
        "category_name": expectation.category.name,
        "level_name": expectation.level.name,
        "author": org.manager.user,
        "source": Evidence.Source.MANAGER,
        "observed_on": timezone.localdate() - datetime.timedelta(days=10),
        "description": "Ran the pricing experiment end to end.",
        **fields,
    }
    return Evidence.objects.bulk_create(Evidence(**values) for _ in range(count))


# Targets ------------------------------------------------------------------------------------


def test_targets_are_the_current_level_and_the_next_on_each_track(org):
    targets = reviews.review_targets(org.report)

    assert [target.level.key for target in targets] == ["pm", "senior-pm"]
    current, following = targets
    assert current.is_current
    assert not following.is_current
    # Senior PM is next on both tracks that Product Manager is on.
    assert sorted(track.key for track in following.tracks) == ["ic", "management"]
    assert following.expectation_count == level(org, "senior-pm").expectations.active().count()


def test_targets_at_the_fork_offer_both_next_levels(org):
    senior = place(org.ladder, "senior", "Sen Ior", "senior-pm", manager=org.manager)

    keys = [target.level.key for target in reviews.review_targets(senior)]

    assert keys == ["senior-pm", "staff-pm", "pm-manager"]


# Start --------------------------------------------------------------------------------------


def test_start_snapshots_every_active_expectation_of_the_target_level(org):
    target = level(org, "senior-pm")
    retired = target.expectations.first()
    retired.is_active = False
    retired.save()

    review = start(org)

    assert review.status == Review.Status.DRAFT
    assert review.version == 1
    assert review.target_level_name == "Senior Product Manager"
    assert review.author == org.manager.user
    rows = list(review.ratings.order_by("position"))
    active = list(target.expectations.active().select_related("category"))
    assert len(rows) == len(active) > 0
    assert {row.expectation_id for row in rows} == {e.pk for e in active}
    assert retired.pk not in {row.expectation_id for row in rows}
    by_expectation = {e.pk: e for e in active}
    for row in rows:
        assert row.expectation_text == by_expectation[row.expectation_id].text
        assert row.category_name == by_expectation[row.expectation_id].category.name
        assert row.rating == ""
    assert [row.position for row in rows] == list(range(1, len(rows) + 1))
    # In category order, as the level page shows them.
    categories = [row.category_name for row in rows]
    assert categories == sorted(categories, key=categories.index)


def test_later_ladder_edits_leave_the_review_as_it_was(org):
    review = start(org)
    before = list(
        review.ratings.order_by("position").values_list(
            "expectation_text", "category_name", "position"
        )
    )
    first, second = (row.expectation for row in review.ratings.order_by("position")[:2])

    first.text = "Rewritten by HR later."
    first.save()
    second.is_active = False
    second.save()
    first.category.name = "Renamed category"
    first.category.save()
    first.level.name = "Renamed level"
    first.level.save()

    review.refresh_from_db()
    after = list(
        review.ratings.order_by("position").values_list(
            "expectation_text", "category_name", "position"
        )
    )
    assert after == before
    assert review.target_level_name == "Senior Product Manager"


def test_start_against_the_current_level(org):
    review = start(org, "pm")

    assert review.target_level_name == "Product Manager"
    assert review.ratings.count() == level(org, "pm").expectations.active().count()


@pytest.mark.parametrize("key", ["director", "apm", "staff-pm"])
def test_start_refuses_a_level_that_is_neither_current_nor_next(org, key):
    with pytest.raises(ValidationError) as refused:
        start(org, key)

    assert "is neither" in refused.value.message_dict["target_level"][0]
    assert not Review.objects.exists()


def test_start_refuses_a_second_draft_against_the_same_level(org):
    first = start(org)

    with pytest.raises(ValidationError) as refused:
        start(org)
    with pytest.raises(ValidationError) as by_someone_else:
        start(org, by=org.boss.user)

    error = refused.value.error_dict["target_level"][0]
    assert error.code == "draft_exists"
    assert error.params == {"review": first.pk}
    other = by_someone_else.value.error_dict["target_level"][0]
    assert other.code == "draft_by_someone_else"  # their draft is theirs: no link to it
    assert not other.params
    assert Review.objects.count() == 1
    start(org, "pm")  # another level is fine


def test_start_refuses_a_level_without_expectations(org):
    target = level(org, "senior-pm")
    target.expectations.update(is_active=False)

    with pytest.raises(ValidationError, match="no expectations to rate"):
        start(org)

    assert not Review.objects.exists()


@pytest.mark.parametrize("who", ["report", "teammate", "other_manager", "stranger"])
def test_start_refuses_anyone_but_managers_and_hr(org, who):
    with pytest.raises(PermissionDenied):
        start(org, by=getattr(org, who).user)

    assert not Review.objects.exists()


def test_start_by_hr_and_the_managers_manager(org):
    assert start(org, by=org.hr).author == org.hr
    assert start(org, "pm", by=org.boss.user).author == org.boss.user


def test_hr_does_not_review_themselves(org):
    hr_person = place(org.ladder, "hrperson", "Hu Resources", "pm", manager=org.manager)
    hr_person.user.groups.add(*org.hr.groups.all())  # in HR, and on the ladder

    with pytest.raises(PermissionDenied):
        start(org, employee=hr_person, by=hr_person.user)


# Save ---------------------------------------------------------------------------------------


def test_save_writes_ratings_readiness_summary_and_increments_the_version(org):
    review = start(org)
    first = review.ratings.order_by("position").first()

    saved = reviews.save_review(
        review=review,
        ratings={first.pk: (Rating.EXCEEDS, "  Led the launch.  ")},
        readiness=Review.Readiness.DEVELOPING,
        summary="  Close.  ",
        version=1,
        by=org.manager.user,
    )

    assert saved.version == 2
    first.refresh_from_db()
    assert (first.rating, first.comment) == (Rating.EXCEEDS, "Led the launch.")
    assert all(row.rating == "" for row in review.ratings.exclude(pk=first.pk))
    review.refresh_from_db()
    assert (review.readiness, review.summary, review.version) == ("developing", "Close.", 2)
    assert review.status == Review.Status.DRAFT

    again = reviews.save_review(
        review=review, ratings={}, readiness="", summary="", version=2, by=org.manager.user
    )
    assert again.version == 3


@pytest.mark.parametrize("who", ["boss", "hr", "report"])
def test_only_the_author_saves_or_shares_a_draft(org, who):
    """A draft is its author's alone, even for their manager and HR."""
    review = complete(start(org), org.manager.user)
    user = org.hr if who == "hr" else getattr(org, who).user

    with pytest.raises(PermissionDenied):
        reviews.save_review(
            review=review, ratings={}, readiness="", summary="Mine", version=2, by=user
        )
    with pytest.raises(PermissionDenied):
        reviews.share_review(review=review, by=user)

    review.refresh_from_db()
    assert (review.summary, review.status) == ("Ready for the next step.", Review.Status.DRAFT)


def test_a_stale_save_is_refused_and_nothing_is_overwritten(org):
    review = start(org)
    row = review.ratings.first()
    reviews.save_review(
        review=review,
        ratings={row.pk: (Rating.MEETS, "Theirs")},
        readiness=Review.Readiness.READY,
        summary="Their summary",
        version=1,
        by=org.manager.user,  # in another tab
    )

    with pytest.raises(ValidationError) as refused:
        reviews.save_review(
            review=review,
            ratings={row.pk: (Rating.NOT_YET, "Mine")},
            readiness=Review.Readiness.NOT_READY,
            summary="My summary",
            version=1,  # opened before the boss saved
            by=org.manager.user,
        )

    assert refused.value.code == "stale"
    assert "This draft was saved again" in refused.value.messages[0]
    row.refresh_from_db()
    review.refresh_from_db()
    assert (row.rating, row.comment) == (Rating.MEETS, "Theirs")
    assert (review.readiness, review.summary, review.version) == ("ready", "Their summary", 2)


@pytest.mark.parametrize(
    ("rating", "comment", "readiness", "summary", "field"),
    [
        ("superb", "", "", "", "rating"),
        (Rating.MEETS, "x" * 5001, "", "", "comment"),
        (Rating.MEETS, "", "maybe", "", "readiness"),
        (Rating.MEETS, "", "", "x" * 10001, "summary"),
    ],
)
def test_save_refuses_bad_values_and_writes_nothing(
    org, rating, comment, readiness, summary, field
):
    review = start(org)
    row = review.ratings.first()

    with pytest.raises(ValidationError) as refused:
        reviews.save_review(
            review=review,
            ratings={row.pk: (rating, comment)},
            readiness=readiness,
            summary=summary,
            version=1,
            by=org.manager.user,
        )

    assert any(name.startswith(field) for name in refused.value.message_dict)
    row.refresh_from_db()
    review.refresh_from_db()
    assert (row.rating, row.comment, review.version) == ("", "", 1)


def test_save_refuses_ratings_of_another_review(org):
    review = start(org)
    other = start(org, employee=org.teammate, key="pm")
    foreign = other.ratings.first()

    with pytest.raises(ValidationError, match="not part of this review"):
        reviews.save_review(
            review=review,
            ratings={foreign.pk: (Rating.MEETS, "")},
            readiness="",
            summary="",
            version=1,
            by=org.manager.user,
        )

    foreign.refresh_from_db()
    assert foreign.rating == ""


@pytest.mark.parametrize("who", ["report", "other_manager"])
def test_save_refuses_the_person_and_unrelated_managers(org, who):
    review = start(org)

    with pytest.raises(PermissionDenied):
        reviews.save_review(
            review=review,
            ratings=ratings_of(review),
            readiness="ready",
            summary="",
            version=1,
            by=getattr(org, who).user,
        )

    assert not review.ratings.exclude(rating="").exists()


# Share --------------------------------------------------------------------------------------


def test_sharing_needs_every_rating_and_a_readiness(org):
    review = start(org)
    rows = list(review.ratings.all())
    reviews.save_review(
        review=review,
        ratings={rows[0].pk: (Rating.MEETS, "")},
        readiness="",
        summary="",
        version=1,
        by=org.manager.user,
    )

    with pytest.raises(ValidationError) as refused:
        reviews.share_review(review=review, by=org.manager.user)

    message = refused.value.messages[0]
    assert f"rate {len(rows) - 1} more expectations" in message
    assert "choose an overall readiness" in message
    review.refresh_from_db()
    assert (review.status, review.shared_at, review.version) == ("draft", None, 2)


def test_sharing_with_nothing_rated_says_so(org):
    review = start(org)

    with pytest.raises(ValidationError, match="rate every expectation and choose"):
        reviews.share_review(review=review, by=org.manager.user)


def test_share_makes_it_read_only(org):
    review = start(org)
    complete(review, org.manager.user)

    shared_review = reviews.share_review(review=review, by=org.manager.user)

    assert shared_review.status == Review.Status.SHARED
    assert shared_review.shared_at is not None
    assert shared_review.version == 3
    with pytest.raises(ValidationError, match="already shared"):
        reviews.save_review(
            review=review,
            ratings=ratings_of(review, Rating.NOT_YET),
            readiness="not_ready",
            summary="Changed my mind",
            version=3,
            by=org.manager.user,
        )
    with pytest.raises(ValidationError, match="already shared"):
        reviews.share_review(review=review, by=org.manager.user)
    assert not ReviewRating.objects.filter(rating=Rating.NOT_YET).exists()


def test_the_person_cannot_share_their_review(org):
    review = start(org)
    complete(review, org.manager.user)

    with pytest.raises(PermissionDenied):
        reviews.share_review(review=review, by=org.report.user)

    review.refresh_from_db()
    assert review.status == Review.Status.DRAFT


# Acknowledge --------------------------------------------------------------------------------


def test_the_person_acknowledges_with_a_comment(org):
    review = shared(org)

    done = reviews.acknowledge_review(
        review=review, by=org.report.user, comment="  Thanks, agreed on next steps.  "
    )

    review.refresh_from_db()
    assert done.status == review.status == Review.Status.ACKNOWLEDGED
    assert review.acknowledged_at is not None
    assert review.acknowledgement == "Thanks, agreed on next steps."


def test_acknowledging_twice_is_refused(org):
    review = shared(org)
    reviews.acknowledge_review(review=review, by=org.report.user, comment="First")
    first_at = Review.objects.get(pk=review.pk).acknowledged_at

    with pytest.raises(ValidationError, match="already acknowledged"):
        reviews.acknowledge_review(review=review, by=org.report.user, comment="Second")

    review.refresh_from_db()
    assert (review.acknowledgement, review.acknowledged_at) == ("First", first_at)


def test_a_draft_cannot_be_acknowledged(org):
    review = start(org)

    with pytest.raises(ValidationError, match="not been shared"):
        reviews.acknowledge_review(review=review, by=org.report.user, comment="")


@pytest.mark.parametrize("who", ["manager", "boss", "teammate"])
def test_only_the_person_acknowledges(org, who):
    review = shared(org)

    with pytest.raises(PermissionDenied):
        reviews.acknowledge_review(review=review, by=getattr(org, who).user, comment="")

    review.refresh_from_db()
    assert review.status == Review.Status.SHARED


def test_hr_cannot_acknowledge_for_the_person(org):
    review = shared(org)

    with pytest.raises(PermissionDenied):
        reviews.acknowledge_review(review=review, by=org.hr, comment="")


def test_an_over_long_acknowledgement_is_refused(org):
    review = shared(org)

    with pytest.raises(ValidationError):
        reviews.acknowledge_review(review=review, by=org.report.user, comment="x" * 5001)

    review.refresh_from_db()
    assert review.status == Review.Status.SHARED


# Reads --------------------------------------------------------------------------------------


def test_reviews_for_managers_hr_and_the_person(org):
    draft = start(org, "pm")
    shared_review = shared(org)
    Review.objects.filter(pk=draft.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=1)
    )

    assert list(reviews.reviews_for(org.manager.user, org.report)) == [shared_review, draft]
    # A draft is its author's alone until shared (HR reads it in the admin).
    assert list(reviews.reviews_for(org.boss.user, org.report)) == [shared_review]
    assert list(reviews.reviews_for(org.hr, org.report)) == [shared_review]
    assert list(reviews.reviews_for(org.report.user, org.report)) == [shared_review]
    assert list(reviews.reviews_for(org.other_manager.user, org.report)) == []
    assert list(reviews.reviews_for(org.teammate.user, org.report)) == []
    assert list(reviews.reviews_for(org.outsider, org.report)) == []


def test_reviews_for_loads_what_the_list_shows_in_one_query(org, django_assert_num_queries):
    draft = start(org, "pm")
    row = draft.ratings.first()
    reviews.save_review(
        review=draft,
        ratings={row.pk: (Rating.MEETS, "")},
        readiness="",
        summary="",
        version=1,
        by=org.manager.user,
    )
    shared(org)
    user = org.manager.user
    user._is_hr = False  # as after the page's access check
    user._employee = org.manager

    with django_assert_num_queries(1):  # the reviews, restricted in the same query
        listed = list(reviews.reviews_for(user, org.report))
        authors = [review.author.username for review in listed]
        names = [review.target_level.name for review in listed]

    assert authors == ["manager", "manager"]
    assert names == ["Senior Product Manager", "Product Manager"]
    counts = {
        review.target_level_name: (review.rated_count, review.rating_count) for review in listed
    }
    assert counts["Product Manager"] == (1, draft.ratings.count())


def test_review_page_groups_ratings_with_their_evidence(org):
    review = start(org)
    rows = list(review.ratings.order_by("position").select_related("expectation__category"))
    first, second = rows[0].expectation, rows[1].expectation
    add_evidence(org, first, count=2)
    add_evidence(org, first, status=Evidence.Status.PENDING, source=Evidence.Source.SELF)
    add_evidence(org, first, deleted_at=timezone.now())
    add_evidence(org, second, visibility=Evidence.Visibility.PRIVATE)
    add_evidence(org, first, employee=org.teammate)  # someone else's

    manager_page = reviews.review_page(org.manager.user, review)
    person_page = reviews.review_page(org.report.user, review)

    by_row = {row.pk: row for row in manager_page.ratings}
    assert len(by_row[rows[0].pk].evidence) == 2  # confirmed, live, theirs
    assert len(by_row[rows[1].pk].evidence) == 1
    person_rows = {row.pk: row for row in person_page.ratings}
    assert len(person_rows[rows[1].pk].evidence) == 0  # private to managers and HR
    assert [group.name for group in manager_page.groups] == list(
        dict.fromkeys(row.category_name for row in rows)
    )
    assert sum(len(group.ratings) for group in manager_page.groups) == len(rows)


def test_a_shared_review_keeps_the_evidence_as_it_was(org):
    """Editing or deleting evidence after sharing does not change the shared review, and
    private notes in it still never reach the person."""
    import datetime as dt

    from django.utils import timezone as tz

    from assessments import evidence as evidence_services
    from assessments import reviews as review_services

    expectation = org.report.level.expectations.order_by("category__position", "position")[0]

    def note(text, visibility):
        return evidence_services.record_evidence(
            employee=org.report,
            expectation=expectation,
            by=org.manager.user,
            observed_on=tz.localdate() - dt.timedelta(days=2),
            description=text,
            visibility=visibility,
        )

    shared_note = note("As it was when shared", "shared")
    note("Private: watch stakeholder updates", "private")
    review = review_services.start_review(
        employee=org.report, target_level=org.report.level, by=org.manager.user
    )
    review = review_services.save_review(
        review=review,
        ratings={rating.pk: ("meets", "") for rating in review.ratings.all()},
        readiness="ready",
        summary="Good",
        version=review.version,
        by=org.manager.user,
    )
    review = review_services.share_review(review=review, by=org.manager.user)
    evidence_services.edit_evidence(
        evidence=shared_note,
        by=org.manager.user,
        version=shared_note.version,
        expectation=expectation,
        observed_on=shared_note.observed_on,
        description="Rewritten later",
    )

    def texts(user):
        page = review_services.review_page(user, review)
        return [e.description for row in page.ratings for e in row.evidence]

    assert sorted(texts(org.manager.user)) == [
        "As it was when shared",
        "Private: watch stakeholder updates",
    ]
    assert texts(org.report.user) == ["As it was when shared"]
