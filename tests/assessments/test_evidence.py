"""Evidence: recording, wins, editing with history, visibility, snapshots."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments import evidence as services
from assessments.models import Evidence, EvidenceChange, Literal
from levels import ladderfile
from levels import services as ladder_services
from levels.models import Expectation

from ..factories import bulk_people

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def expectation(org, level="pm", index=0):
    return Expectation.objects.filter(level__ladder=org.ladder, level__key=level).order_by(
        "category__position", "position"
    )[index]


def record(org, *, by=None, person=None, visibility="shared", level="pm", index=0, **extra):
    fields = {
        "employee": person or org.report,
        "expectation": expectation(org, level, index),
        "by": by or org.manager.user,
        "observed_on": TODAY() - datetime.timedelta(days=3),
        "description": "Ran the pricing experiment and shipped the winner.",
        "visibility": visibility,
    }
    fields.update(extra)
    return services.record_evidence(**fields)


def win(org, **extra):
    fields = {
        "employee": org.report,
        "expectation": expectation(org),
        "by": org.report.user,
        "observed_on": TODAY(),
        "description": "Led the onboarding revamp.",
    }
    fields.update(extra)
    return services.log_win(**fields)


# Services -----------------------------------------------------------------------------------


def test_manager_evidence_is_confirmed_and_snapshots_the_expectation(org):
    item = record(org, criteria=list(org.ladder.promotion_criteria.filter(name="Impact")))

    assert item.status == Evidence.Status.CONFIRMED
    assert item.source == Evidence.Source.MANAGER
    assert item.expectation_text == expectation(org).text
    assert item.category_name == "Key Responsibilities"
    assert item.level_name == "Product Manager"
    assert [c.name for c in item.criteria.all()] == ["Impact"]
    assert item.changes.get().action == EvidenceChange.Action.CREATED


def test_editing_or_retiring_the_expectation_leaves_evidence_as_recorded(org):
    item = record(org)
    original = item.expectation_text
    Expectation.objects.filter(pk=item.expectation_id).update(text="Rewritten by HR")
    Expectation.objects.filter(pk=item.expectation_id).update(is_active=False)

    item.refresh_from_db()
    assert item.expectation_text == original


def test_reimporting_the_ladder_without_an_expectation_retires_it_if_used(org):
    item = record(org)
    spec = ladderfile.read(ladder_services.DEFAULT_LADDER_FILE.read_bytes())
    level = next(level for level in spec["levels"] if level["key"] == "pm")
    level["expectations"]["responsibilities"] = level["expectations"]["responsibilities"][1:]

    ladder_services.import_ladder(spec=spec, replace=True)

    used = Expectation.objects.get(pk=item.expectation_id)
    assert not used.is_active
    item.refresh_from_db()
    assert item.expectation_text == "Own a product area with multiple features"


def test_a_win_waits_for_the_manager_and_is_always_shared(org):
    item = win(org)

    assert item.status == Evidence.Status.PENDING
    assert item.visibility == Evidence.Visibility.SHARED
    confirmed = services.confirm_win(evidence=item, by=org.manager.user)
    assert confirmed.status == Evidence.Status.CONFIRMED
    assert confirmed.decided_by == org.manager.user
    with pytest.raises(ValidationError, match="already confirmed"):
        services.confirm_win(evidence=item, by=org.boss.user)


def test_declining_needs_a_reason_and_editing_sends_it_back(org):
    item = win(org)
    with pytest.raises(ValidationError, match="Say why"):
        services.decline_win(evidence=item, by=org.manager.user, reason="  ")

    declined = services.decline_win(evidence=item, by=org.manager.user, reason="Was Tom's work")
    edited = services.edit_evidence(
        evidence=declined,
        by=org.report.user,
        version=declined.version,
        expectation=expectation(org),
        observed_on=declined.observed_on,
        description="Led the onboarding revamp with Tom.",
    )

    assert edited.status == Evidence.Status.PENDING
    assert edited.decline_reason == ""
    assert [c.action for c in edited.changes.order_by("id")] == ["created", "declined", "edited"]


def test_only_managers_above_confirm_wins(org):
    item = win(org)

    for outsider in (org.other_manager.user, org.teammate.user, org.report.user):
        with pytest.raises(PermissionDenied):
            services.confirm_win(evidence=item, by=outsider)


def test_only_managers_record_and_people_log_only_their_own_wins(org):
    with pytest.raises(PermissionDenied):
        record(org, by=org.other_manager.user)
    with pytest.raises(PermissionDenied):
        record(org, by=org.report.user)
    with pytest.raises(PermissionDenied):
        win(org, by=org.teammate.user)


def test_only_the_author_edits_or_deletes(org):
    item = record(org)

    with pytest.raises(PermissionDenied):
        services.delete_evidence(evidence=item, by=org.boss.user)
    with pytest.raises(PermissionDenied):
        services.edit_evidence(
            evidence=item,
            by=org.report.user,
            version=item.version,
            expectation=expectation(org),
            observed_on=item.observed_on,
            description="Mine now",
        )


def test_delete_keeps_the_history(org):
    item = record(org)

    services.delete_evidence(evidence=item, by=org.manager.user)

    assert not Evidence.objects.live().filter(pk=item.pk).exists()
    assert [c.action for c in EvidenceChange.objects.filter(evidence=item).order_by("id")] == [
        "created",
        "deleted",
    ]


def test_a_stale_edit_is_refused_and_nothing_overwritten(org):
    item = record(org)
    fields = {
        "by": org.manager.user,
        "expectation": expectation(org),
        "observed_on": item.observed_on,
    }
    services.edit_evidence(evidence=item, version=1, description="First editor", **fields)

    with pytest.raises(ValidationError, match="This evidence changed after you opened the page"):
        services.edit_evidence(evidence=item, version=1, description="Second editor", **fields)

    item.refresh_from_db()
    assert item.description == "First editor"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"observed_on": TODAY() + datetime.timedelta(days=1)}, "observed_on", "future"),
        ({"description": "   "}, "description", "Describe what they did"),
        ({"description": "x" * 5001}, "description", "under 5000"),
    ],
)
def test_bad_input_is_refused(org, change, field, message):
    with pytest.raises(ValidationError) as error:
        record(org, **change)

    assert message in error.value.message_dict[field][0]
    assert not Evidence.objects.exists()


def test_an_expectation_from_another_ladder_is_refused(org):
    spec = ladderfile.read(
        (
            ladder_services.DEFAULT_LADDER_FILE.parents[2] / "tests/data/engineering.yaml"
        ).read_bytes()
    )
    other = ladder_services.import_ladder(spec=spec).ladder

    with pytest.raises(ValidationError, match="not on this person's ladder"):
        record(org, expectation=Expectation.objects.filter(level__ladder=other).first())


# Visibility -----------------------------------------------------------------------------------


def test_private_evidence_never_reaches_the_person(org, as_user):
    private = record(org, visibility="private", description="Private note about a rough quarter")
    shared = record(org, description="Shared praise")

    own_page = as_user(org.report.user).get(reverse("assessments:me")).content.decode()
    person_page = as_user(org.report.user).get(
        reverse("assessments:person", kwargs={"pk": org.report.pk})
    )
    edit = as_user(org.report.user).get(reverse("assessments:evidence_edit", args=[private.pk]))
    managers = as_user(org.boss.user).get(
        reverse("assessments:person", kwargs={"pk": org.report.pk})
    )

    assert "Shared praise" in own_page
    assert "Private note" not in own_page
    assert "Private note" not in person_page.content.decode()
    assert edit.status_code == 404
    assert "Private note" in managers.content.decode()
    assert shared.pk != private.pk


# Pages --------------------------------------------------------------------------------------


def form_data(org, **overrides):
    data = {
        "expectation": expectation(org).pk,
        "observed_on": (TODAY() - datetime.timedelta(days=1)).isoformat(),
        "description": "Shipped the new checkout.",
        "link": "",
        "visibility": "shared",
        "kind": "shows",
    }
    data.update(overrides)
    return data


def test_manager_records_evidence_from_the_person_page(org, as_user, mailoutbox):
    client = as_user(org.manager.user)
    url = reverse("assessments:evidence_new", kwargs={"pk": org.report.pk})

    page = client.get(url, {"expectation": expectation(org).pk})
    response = client.post(url, form_data(org), follow=True)

    assert page.status_code == 200
    assert "(current level)" in page.content.decode()
    assert "(next level)" in page.content.decode()
    assert b"Evidence recorded for Remi Report." in response.content
    assert Evidence.objects.get().author == org.manager.user


def test_the_picker_lists_current_then_next_levels_first(org):
    groups = [label for label, _ in services.expectation_choices(org.report)]
    every = [label for label, _ in services.expectation_choices(org.report, every_level=True)]

    assert groups[0] == "Product Manager · Key Responsibilities (current level)"
    assert groups[3] == "Senior Product Manager · Key Responsibilities (next level)"
    assert len(groups) == 6  # two levels, three categories
    assert every[:6] == groups
    assert len(every) == 30  # ten levels, three categories


def test_person_logs_a_win_from_me(org, as_user):
    client = as_user(org.report.user)
    url = reverse("assessments:evidence_new", kwargs={"pk": org.report.pk})

    page = client.get(url)
    response = client.post(url, form_data(org, visibility="private"), follow=True)

    assert b"Who can read it" not in page.content  # wins are always shared
    assert b"Your manager will confirm it." in response.content
    item = Evidence.objects.get()
    assert (item.source, item.visibility, item.status) == ("self", "shared", "pending")


def test_manager_confirms_and_declines_wins_from_the_person_page(org, as_user):
    first, second = win(org), win(org, description="Second win")
    client = as_user(org.manager.user)

    page = client.get(reverse("assessments:person", kwargs={"pk": org.report.pk}))
    client.post(reverse("assessments:evidence_confirm", args=[first.pk]))
    refused = client.post(reverse("assessments:evidence_decline", args=[second.pk]), follow=True)
    client.post(reverse("assessments:evidence_decline", args=[second.pk]), {"reason": "Not yours"})

    assert b"Waiting for confirmation" in page.content
    assert b"Say why" in refused.content
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == "confirmed"
    assert (second.status, second.decline_reason) == ("declined", "Not yours")


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"observed_on": "2999-01-01"}, "observed_on", "future"),
        ({"description": ""}, "description", "required"),
        ({"link": "javascript:alert(1)"}, "link", "Enter a valid URL."),
        ({"expectation": 999999}, "expectation", "Select a valid choice"),
        ({"visibility": "everyone"}, "visibility", "Select a valid choice"),
        ({"kind": "praise"}, "kind", "Select a valid choice"),
        ({"kind": ""}, "kind", "required"),
        ({"kind": "growth", "criteria": "CRITERION"}, "criteria", "A growth note supports no"),
    ],
)
def test_bad_form_input_is_explained_and_kept(org, as_user, overrides, field, message):
    if overrides.get("criteria") == "CRITERION":
        overrides["criteria"] = org.ladder.promotion_criteria.get(name="Impact").pk
    client = as_user(org.manager.user)

    response = client.post(
        reverse("assessments:evidence_new", kwargs={"pk": org.report.pk}),
        form_data(org, **overrides),
    )

    assert response.status_code == 400
    assert any(message in error for error in response.context["form"].errors[field])
    assert not Evidence.objects.exists()


def test_a_stale_form_is_refused_with_the_input_kept(org, as_user):
    item = record(org)
    client = as_user(org.manager.user)
    url = reverse("assessments:evidence_edit", args=[item.pk])
    services.edit_evidence(
        evidence=item,
        by=org.manager.user,
        version=1,
        expectation=expectation(org),
        observed_on=item.observed_on,
        description="Saved first elsewhere",
    )

    response = client.post(url, form_data(org, description="My late edit", version=1))

    assert response.status_code == 400
    assert response.content.count(b"This evidence changed after you opened the page") == 1
    assert b"My late edit" in response.content
    item.refresh_from_db()
    assert item.description == "Saved first elsewhere"


@pytest.mark.parametrize(
    ("role", "status"),
    [("unrelated", 404), ("peer", 404), ("person", 403), ("boss", 403), ("author", 200)],
)
def test_evidence_edit_for_every_role(org, as_user, role, status):
    item = record(org)
    user = {
        "unrelated": org.other_manager.user,
        "peer": org.teammate.user,
        "person": org.report.user,
        "boss": org.boss.user,
        "author": org.manager.user,
    }[role]

    assert (
        as_user(user).get(reverse("assessments:evidence_edit", args=[item.pk])).status_code
        == status
    )


@pytest.mark.parametrize(
    "name", ["evidence_edit", "evidence_delete", "evidence_confirm", "evidence_decline"]
)
def test_unrelated_people_get_404_on_every_evidence_address(org, as_user, name):
    item = win(org)

    for user in (org.other_manager.user, org.teammate.user, org.outsider, org.stranger.user):
        client = as_user(user)
        assert client.get(reverse(f"assessments:{name}", args=[item.pk])).status_code == 404
        assert client.post(reverse(f"assessments:{name}", args=[item.pk])).status_code == 404
    item.refresh_from_db()
    assert item.status == "pending"


def test_unrelated_manager_cannot_record_evidence(org, as_user):
    response = as_user(org.other_manager.user).post(
        reverse("assessments:evidence_new", kwargs={"pk": org.report.pk}), form_data(org)
    )

    assert response.status_code == 404
    assert not Evidence.objects.exists()


def test_person_page_query_count_does_not_grow_with_evidence(org, as_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = as_user(org.manager.user)
    url = reverse("assessments:person", kwargs={"pk": org.report.pk})
    record(org)
    client.get(url)  # the first visit caches the ladder's structure (levels.structure)

    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for n in range(60):
        record(org, index=n % 6, description=f"Item {n}")
    with CaptureQueriesContext(connection) as many:
        client.get(url)

    assert len(one) == len(many)


def test_team_page_lists_wins_waiting_for_the_manager(org, as_user):
    item = win(org)
    client = as_user(org.boss.user)  # the manager's manager may confirm too

    page = client.get(reverse("assessments:team"))
    response = client.post(
        reverse("assessments:evidence_confirm", args=[item.pk]), {"next": "team"}
    )

    assert b"Wins waiting for you to confirm" in page.content
    assert b"Led the onboarding revamp." in page.content
    assert response.url == reverse("assessments:team")
    item.refresh_from_db()
    assert item.status == "confirmed"


def test_pending_wins_reach_every_manager_above_and_nobody_else(org):
    item = win(org)
    other = services.log_win(
        employee=org.stranger,
        expectation=expectation(org),
        by=org.stranger.user,
        observed_on=TODAY(),
        description="Someone else's win",
    )

    assert list(services.pending_wins_for_manager(org.manager)) == [item]
    assert set(services.pending_wins_for_manager(org.boss)) == {item, other}
    assert list(services.pending_wins_for_manager(org.other_manager)) == [other]
    assert list(services.pending_wins_for_manager(org.report)) == []
    services.confirm_win(evidence=item, by=org.manager.user)
    assert list(services.pending_wins_for_manager(org.manager)) == []


def test_editing_a_confirmed_win_sends_it_back_for_confirmation(
    org, mailoutbox, django_capture_on_commit_callbacks
):
    item = services.confirm_win(evidence=win(org), by=org.manager.user)

    with django_capture_on_commit_callbacks(execute=True):
        edited = services.edit_evidence(
            evidence=item,
            by=org.report.user,
            version=item.version,
            expectation=expectation(org, "senior-pm"),
            observed_on=item.observed_on,
            description="I single-handedly grew revenue 300%",
        )

    assert edited.status == Evidence.Status.PENDING
    assert edited.decided_by is None
    assert [m.to for m in mailoutbox] == [["manager@example.com"]]  # to confirm again


def test_a_date_years_ago_is_refused(org):
    with pytest.raises(ValidationError, match="more than three years ago"):
        record(org, observed_on=datetime.date(1926, 1, 1))


def test_decisions_are_emailed_to_the_person(org, mailoutbox, django_capture_on_commit_callbacks):
    first, second = win(org), win(org, description="Second")

    with django_capture_on_commit_callbacks(execute=True):
        services.confirm_win(evidence=first, by=org.manager.user)
        services.decline_win(evidence=second, by=org.manager.user, reason="That was Tom's work")

    assert [m.subject for m in mailoutbox] == ["Your win was confirmed", "Your win was declined"]
    assert "That was Tom's work" in mailoutbox[1].body


# Growth notes -------------------------------------------------------------------------------


def test_the_evidence_form_asks_whether_it_shows_the_expectation_or_is_a_growth_note(org, as_user):
    manager_form = as_user(org.manager.user).get(
        reverse("assessments:evidence_new", kwargs={"pk": org.report.pk})
    )
    win_form = as_user(org.report.user).get(
        reverse("assessments:evidence_new", kwargs={"pk": org.report.pk})
    )

    content = manager_form.content.decode()
    assert "What it says" in content
    assert "It shows they meet it: counts towards readiness" in content
    assert "Growth note: a concern or a gap to work on; never counts" in content
    assert manager_form.context["form"]["kind"].value() == "shows"  # ticked to begin with
    assert b"What it says" not in win_form.content  # a win always shows the expectation
    assert b"Growth note" not in win_form.content


def test_manager_records_a_growth_note_from_the_form(
    org, as_user, mailoutbox, django_capture_on_commit_callbacks
):
    client = as_user(org.manager.user)
    url = reverse("assessments:evidence_new", kwargs={"pk": org.report.pk})

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            form_data(org, kind="growth", description="Updates reach leadership late."),
            follow=True,
        )

    assert b"Growth note recorded for Remi Report." in response.content
    item = Evidence.objects.get()
    assert (item.kind, item.status, item.visibility) == ("growth", "confirmed", "shared")
    assert mailoutbox[0].subject == "A growth note on your PM Ladder page"
    assert "wrote a growth note for you" in mailoutbox[0].body
    assert "does not change your readiness" in mailoutbox[0].body


def test_a_win_posted_as_a_growth_note_still_shows_the_expectation(org, as_user):
    client = as_user(org.report.user)
    url = reverse("assessments:evidence_new", kwargs={"pk": org.report.pk})

    client.post(url, form_data(org, kind="growth"))

    assert Evidence.objects.get().kind == "shows"


def test_a_self_logged_growth_note_is_refused_by_the_database(org):
    from django.db import IntegrityError, transaction

    item = win(org)
    item.kind = Evidence.Kind.GROWTH

    with pytest.raises(IntegrityError), transaction.atomic():
        item.save()


def test_the_author_turns_evidence_into_a_growth_note_and_back_with_history(org):
    item = record(org)

    growth = services.edit_evidence(
        evidence=item,
        by=org.manager.user,
        version=item.version,
        expectation=item.expectation,
        observed_on=item.observed_on,
        description=item.description,
        kind=Evidence.Kind.GROWTH,
    )
    kept = services.edit_evidence(
        evidence=growth,
        by=org.manager.user,
        version=growth.version,
        expectation=item.expectation,
        observed_on=item.observed_on,
        description="Reworded",
    )

    assert growth.kind == kept.kind == "growth"  # left out, it stays as it was
    assert [c.snapshot["kind"] for c in item.changes.order_by("id")] == [
        "shows",
        "growth",
        "growth",
    ]


def test_editing_a_win_never_makes_it_a_growth_note(org):
    item = win(org)

    edited = services.edit_evidence(
        evidence=item,
        by=org.report.user,
        version=item.version,
        expectation=item.expectation,
        observed_on=item.observed_on,
        description="Led the onboarding revamp, and measured it.",
        kind=Evidence.Kind.GROWTH,
    )

    assert edited.kind == "shows"


def test_the_edit_form_keeps_the_kind(org, as_user):
    item = record(org, kind=Evidence.Kind.GROWTH)

    page = as_user(org.manager.user).get(reverse("assessments:evidence_edit", args=[item.pk]))

    assert page.context["form"].initial["kind"] == "growth"


def test_growth_notes_are_listed_apart_on_the_person_page_and_me(org, as_user):
    record(org, description="Shipped the pricing page.")
    record(org, kind=Evidence.Kind.GROWTH, description="Stakeholder updates arrive late.")

    person = as_user(org.manager.user).get(
        reverse("assessments:person", kwargs={"pk": org.report.pk})
    )
    me = as_user(org.report.user).get(reverse("assessments:me"))

    for page in (person.content.decode(), me.content.decode()):
        evidence, _, to_work_on = page.partition('id="growth-heading"')
        assert "Shipped the pricing page." in evidence
        assert "Stakeholder updates arrive late." not in evidence
        assert "Stakeholder updates arrive late." in to_work_on
        assert ">To work on</h2>" in to_work_on
        assert "Growth note</span>" in to_work_on
        assert "Shipped the pricing page." not in to_work_on


# The expectation picker: what the pages offer, and what that costs -----------------------------


def level_names(response):
    choices = response.context["form"].fields["expectation"].choices[1:]
    return list(dict.fromkeys(label.split(" · ")[0] for label, _ in choices))


def level_name(org, key):
    return org.ladder.levels.get(key=key).name


def test_the_edit_form_offers_the_current_and_next_levels_and_its_own(org, as_user):
    item = record(org, level="apm")  # recorded against a level below Remi's
    client = as_user(org.manager.user)
    url = reverse("assessments:evidence_edit", args=[item.pk])

    page = client.get(url)
    every = client.get(url, {"all": "1"})

    assert level_names(page) == [
        level_name(org, "pm"),
        level_name(org, "senior-pm"),
        level_name(org, "apm"),
    ]
    assert len(level_names(every)) == org.ladder.levels.count()
    content = page.content.decode()
    assert f'<option value="{item.expectation_id}" selected>' in content
    assert 'href="?all=1"' in content


def test_an_expectation_of_any_level_is_chosen_through_every_level(org, as_user):
    item = record(org)
    client = as_user(org.manager.user)
    url = reverse("assessments:evidence_edit", args=[item.pk])
    far = expectation(org, "director")

    refused = client.post(url, form_data(org, expectation=far.pk, version=item.version))
    saved = client.post(f"{url}?all=1", form_data(org, expectation=far.pk, version=item.version))

    assert refused.status_code == 400  # not offered: the page showed nearby levels only
    assert saved.status_code == 302
    item.refresh_from_db()
    assert item.expectation == far


def test_the_picker_escapes_what_the_ladder_says(org, as_user):
    Expectation.objects.filter(pk=expectation(org).pk).update(text='<b>Bold</b> & "quoted"')
    url = reverse("assessments:evidence_new", kwargs={"pk": org.report.pk})

    content = as_user(org.manager.user).get(url).content.decode()

    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; &quot;quoted&quot;" in content
    assert "<b>Bold" not in content


def with_teams(org, count, prefix):
    """`count` more people with a team of one under the boss."""
    leads = bulk_people(
        count, like=org.report, manager=org.boss, name=prefix + " {i:03}", email=prefix + "{i}@x.io"
    )
    bulk_people(
        count,
        like=org.report,
        manager=lambda i: leads[i],
        name=prefix + " member {i:03}",
        email=prefix + "-member{i}@x.io",
    )


def test_the_evidence_pages_cost_the_same_however_big_the_organisation(org, as_user):
    item = record(org)
    client = as_user(org.manager.user)
    urls = [
        reverse("assessments:evidence_edit", args=[item.pk]),
        reverse("assessments:evidence_new", kwargs={"pk": org.report.pk}),
    ]

    def cost():
        counts = []
        for url in urls:
            client.get(url)  # the first visit caches the ladder's structure
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            counts.append(len(queries))
        return counts

    with_teams(org, 5, "lead")
    few = cost()
    with_teams(org, 45, "head")

    assert cost() == few


@pytest.mark.parametrize("bad", ["pending'; DROP TABLE x; --", "Pending", "", 5])
def test_only_a_plain_constant_is_written_into_the_sql(bad):
    queryset = Evidence.objects.filter(status=Literal(bad, output_field=models.CharField()))

    with pytest.raises(ValueError, match="Not a plain constant"):
        str(queryset.query)


def test_the_pending_wins_carry_their_status_in_the_sql(org):
    sql, params = Evidence.objects.pending().query.sql_with_params()

    assert "= 'pending'" in sql
    assert "pending" not in params
