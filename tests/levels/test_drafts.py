"""Ladder drafts: a ladder is a draft, published or retired. Drafts and retired ladders are
HR's alone on every ladder page and picker, nobody is placed on them, HR publishes and
retires them in the admin, and a revised draft replaces its published ladder in one step
that moves nobody's level without HR choosing where."""

import re
from importlib import import_module
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments import access, peoplefile
from assessments import services as people
from assessments.models import LevelAssignment
from levels import importplan, ladderfile, services
from levels.models import Ladder, Level
from rounds.forms import RoundForm

from ..adminforms import change_form_data
from ..factories import LadderFactory, make_round
from ..threads import at_once, needs_postgresql

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parents[1] / "data"
DRAFT_BANNER = "Draft — only HR can see this ladder."
RETIRED_BANNER = "Retired — only HR can see this ladder."
PAGES = [
    ("levels:ladder", {}),
    ("levels:level", {"key": "pm"}),
    ("levels:compare", {}),
    ("levels:promotion", {}),
    ("levels:faq", {}),
]


@pytest.fixture
def draft(org):
    """A revised draft of the organisation's ladder, as Duplicate makes it."""
    return services.duplicate_ladder(ladder=org.ladder, slug="pm-2027", name="PM 2027")


@pytest.fixture
def retired(org):
    copy = services.duplicate_ladder(ladder=org.ladder, slug="pm-old", name="PM old")
    return services.retire_ladder(ladder=copy)


def page_url(name, kwargs, ladder):
    return reverse(name, kwargs={"slug": ladder.slug, **kwargs})


def admin_url(name, ladder):
    return reverse(f"admin:levels_ladder_{name}", args=[ladder.pk])


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def who(org, role):
    return {
        "person": org.report.user,
        "manager": org.manager.user,
        "unrelated_manager": org.other_manager.user,
        "outsider": org.outsider,
        "hr": org.hr,
    }[role]


# The model ---------------------------------------------------------------------------------


def test_a_new_ladder_starts_as_a_draft():
    ladder = Ladder.objects.create(slug="new", name="New")

    assert ladder.status == Ladder.Status.DRAFT
    assert ladder.is_draft
    assert not ladder.is_published
    assert not ladder.is_retired


def test_published_narrows_to_published_ladders():
    shown = LadderFactory()
    LadderFactory(status=Ladder.Status.DRAFT)
    LadderFactory(status=Ladder.Status.RETIRED)

    assert list(Ladder.objects.published()) == [shown]


def test_the_database_refuses_an_unknown_status():
    with pytest.raises(IntegrityError):
        LadderFactory(status="archived")


def test_the_migration_publishes_every_existing_ladder():
    """Ladders already there are in use: the column is added as published for every row,
    and only then does its default become draft, what a new ladder starts as. (Read from
    the migration itself: running migrations backwards inside the suite would leave the
    database of the tests after it in another state.)"""
    migration = import_module("levels.migrations.0008_ladder_status").Migration
    steps = [
        (type(operation).__name__, operation.field.default)
        for operation in migration.operations
        if getattr(operation, "model_name", "") == "ladder"
        and getattr(operation, "name", "") == "status"
    ]

    assert steps == [("AddField", "published"), ("AlterField", "draft")]


# New ladders: what they start as ------------------------------------------------------------


def test_the_shipped_ladder_is_loaded_published(default_ladder):
    assert default_ladder.status == Ladder.Status.PUBLISHED


def spec_of(name="engineering.yaml"):
    return ladderfile.read((DATA / name).read_bytes(), name=name)


def test_an_imported_ladder_is_a_draft_unless_published():
    assert services.import_ladder(spec=spec_of()).ladder.status == Ladder.Status.DRAFT
    Ladder.objects.all().delete()
    assert services.import_ladder(spec=spec_of(), publish=True).ladder.is_published


@pytest.mark.parametrize("status", [Ladder.Status.DRAFT, Ladder.Status.PUBLISHED])
def test_updating_a_ladder_by_import_keeps_its_status(status):
    ladder = services.import_ladder(spec=spec_of()).ladder
    Ladder.objects.filter(pk=ladder.pk).update(status=status)

    services.import_ladder(spec=spec_of(), replace=True, publish=True)

    ladder.refresh_from_db()
    assert ladder.status == status


def test_the_import_command_makes_a_draft_and_says_so():
    out = StringIO()
    call_command("import_ladder", str(DATA / "engineering.yaml"), stdout=out)

    assert Ladder.objects.get(slug="engineering").is_draft
    assert "a draft: only HR sees it" in out.getvalue()
    assert "--publish" in out.getvalue()


def test_the_import_command_publishes_with_publish():
    out = StringIO()
    call_command("import_ladder", str(DATA / "engineering.yaml"), stdout=out)

    call_command(
        "import_ladder", str(DATA / "engineering.yaml"), "--replace", "--publish", stdout=out
    )

    ladder = Ladder.objects.get(slug="engineering")
    assert ladder.is_published
    assert ladder.history.first().history_change_reason.startswith("Published: Imported from")


def test_a_duplicate_is_a_draft_of_the_published_ladder(org, draft):
    assert draft.status == Ladder.Status.DRAFT
    assert draft.draft_of == org.ladder
    copy_of_draft = services.duplicate_ladder(ladder=draft, slug="pm-2028", name="PM 2028")
    assert copy_of_draft.is_draft
    assert copy_of_draft.draft_of == org.ladder


def test_a_duplicate_of_a_retired_ladder_revises_nothing(retired):
    copy = services.duplicate_ladder(ladder=retired, slug="pm-back", name="PM back")

    assert copy.is_draft
    assert copy.draft_of is None


# Publishing and retiring --------------------------------------------------------------------


def test_publishing_records_why(draft):
    services.publish_ladder(ladder=draft, reason="Reviewed  by the PM leads")

    draft.refresh_from_db()
    assert draft.is_published
    assert draft.history.first().history_change_reason == "Published: Reviewed by the PM leads"


def test_publishing_a_published_ladder_is_refused(org):
    with pytest.raises(ValidationError, match="published already"):
        services.publish_ladder(ladder=org.ladder)


def test_retiring_a_ladder_people_are_on_is_refused_with_how_many(org):
    with pytest.raises(ValidationError) as error:
        services.retire_ladder(ladder=org.ladder)

    assert "6 people are still on Product Management" in error.value.messages[0]
    org.ladder.refresh_from_db()
    assert org.ladder.is_published


def test_people_who_left_do_not_hold_a_ladder_back(draft):
    draft = services.publish_ladder(ladder=draft)
    leaver = place_on(draft, "leaver")
    people.deactivate_employee(employee=leaver)

    services.retire_ladder(ladder=draft, reason="Never used")

    draft.refresh_from_db()
    assert draft.is_retired
    assert draft.history.first().history_change_reason == "Retired: Never used"
    assert draft.employees.get() == leaver  # every record is kept


def place_on(ladder, username):
    return people.place_employee(
        full_name=username.title(),
        email=f"{username}@example.com",
        ladder=ladder,
        track=ladder.tracks.get(key="ic"),
        level=ladder.levels.get(key="pm"),
        effective_on=timezone.localdate(),
    )


# Access: every ladder page ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ["person", "manager", "unrelated_manager", "outsider"])
@pytest.mark.parametrize(("name", "kwargs"), PAGES)
@pytest.mark.parametrize("hidden", ["draft", "retired"])
def test_a_draft_or_retired_ladder_is_404_for_everyone_but_hr(
    org, as_user, role, name, kwargs, hidden, request
):
    ladder = request.getfixturevalue(hidden)

    response = as_user(who(org, role)).get(page_url(name, kwargs, ladder))

    assert response.status_code == 404


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_anonymous_users_are_sent_to_sign_in_for_a_draft(draft, client, name, kwargs):
    response = client.get(page_url(name, kwargs, draft))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_hr_sees_a_draft_with_its_banner_and_a_way_to_publish_it(org, draft, as_user, name, kwargs):
    response = as_user(org.hr).get(page_url(name, kwargs, draft))

    assert response.status_code == 200
    assert DRAFT_BANNER in response.text
    assert admin_url("publish", draft) in response.text
    assert admin_url("replace", draft) in response.text


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_hr_sees_a_retired_ladder_with_its_banner(org, retired, as_user, name, kwargs):
    response = as_user(org.hr).get(page_url(name, kwargs, retired))

    assert response.status_code == 200
    assert RETIRED_BANNER in response.text


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_a_published_ladder_has_no_banner(org, as_user, name, kwargs):
    response = as_user(org.hr).get(page_url(name, kwargs, org.ladder))

    assert response.status_code == 200
    assert "only HR can see this ladder" not in response.text


@pytest.mark.parametrize("role", ["person", "manager", "outsider"])
def test_the_ladder_list_leaves_out_drafts_and_retired_ladders(org, draft, retired, as_user, role):
    response = as_user(who(org, role)).get(reverse("levels:ladders"))

    assert response.status_code == 200
    assert "Product Management" in response.text
    assert draft.name not in response.text
    assert retired.name not in response.text
    assert "Only HR sees these" not in response.text


def test_hr_sees_drafts_then_retired_ladders_apart_in_the_list(org, draft, retired, as_user):
    response = as_user(org.hr).get(reverse("levels:ladders"))

    hidden = response.text.split("Only HR sees these", 1)[1]
    assert "Product Management</a>" not in hidden
    assert hidden.index(draft.name) < hidden.index(retired.name)
    assert re.search(rf"{draft.name}</a>\s*<span class=\"badge[^\"]*\">Draft</span>", hidden)


def test_the_ladder_list_costs_the_same_with_many_drafts(
    org, as_user, django_assert_max_num_queries
):
    for index in range(15):
        LadderFactory(status=Ladder.Status.DRAFT if index % 2 else Ladder.Status.RETIRED)
    client = as_user(org.hr)
    # session, user, the user's HR group and employee record (navigation), ladders with
    # their counts, the navigation's counts
    with django_assert_max_num_queries(6):
        response = client.get(reverse("levels:ladders"))
    assert response.text.count("text-bg-warning") == 7


@pytest.mark.parametrize(
    ("role", "sees"),
    [("anonymous", False), ("person", False), ("manager", False), ("hr", True)],
)
def test_the_access_rule_for_ladders(org, draft, role, sees):
    from django.contrib.auth.models import AnonymousUser

    user = AnonymousUser() if role == "anonymous" else who(org, role)

    assert access.can(user, access.VIEW, draft) is sees
    assert access.can(user, access.VIEW, org.ladder) is (role != "anonymous")
    assert (draft in access.visible_ladders(user)) is sees


# Pickers and placement ----------------------------------------------------------------------


def test_the_employee_add_form_offers_published_ladders_only(org, draft, retired, as_user):
    response = as_user(org.hr).get(reverse("admin:assessments_employee_add"))

    form = response.context["adminform"].form
    assert list(form.fields["ladder"].queryset) == [org.ladder]
    assert not form.fields["track"].queryset.exclude(ladder=org.ladder).exists()
    assert not form.fields["level"].queryset.exclude(ladder=org.ladder).exists()
    assert draft.name not in response.text


def test_the_round_form_offers_published_ladders_only(org, draft, retired):
    assert list(RoundForm().fields["ladders"].queryset) == [org.ladder]


def test_a_round_keeps_offering_a_ladder_it_covers_that_was_retired(org, retired):
    round = make_round(by=org.hr, state="draft")
    round.ladders.set([retired])

    offered = RoundForm(round=round).fields["ladders"].queryset

    assert set(offered) == {org.ladder, retired}


def test_nobody_is_placed_on_a_draft(draft):
    with pytest.raises(ValidationError) as error:
        place_on(draft, "early")

    assert error.value.message_dict == {
        "ladder": ["The PM 2027 ladder is a draft: HR publishes it before people join it."]
    }
    assert not draft.employees.exists()


def test_nobody_is_placed_on_a_retired_ladder(retired):
    with pytest.raises(ValidationError, match="retired: place people on a published ladder"):
        people.check_placement(
            ladder=retired,
            track=retired.tracks.get(key="ic"),
            level=retired.levels.get(key="pm"),
        )


def test_a_people_file_naming_a_draft_is_refused(draft):
    content = (
        "email,full_name,job_title,manager_email,ladder,track,level,effective_date\n"
        f"new@example.com,New Person,PM,,{draft.slug},ic,pm,{timezone.localdate().isoformat()}\n"
    ).encode()

    with pytest.raises(peoplefile.PeopleFileError) as error:
        peoplefile.import_people(content=content)

    assert any("PM 2027 ladder is a draft" in problem for problem in error.value.problems)
    assert not draft.employees.exists()


# The admin --------------------------------------------------------------------------------------


def test_the_admin_list_shows_the_status_and_filters_by_it(org, draft, as_user):
    client = as_user(org.hr)

    everything = client.get(reverse("admin:levels_ladder_changelist"))
    drafts = client.get(reverse("admin:levels_ladder_changelist"), {"status__exact": "draft"})

    assert '<td class="field-status">Draft</td>' in everything.text
    assert '<td class="field-status">Published</td>' in everything.text
    assert [ladder.pk for ladder in drafts.context["cl"].result_list] == [draft.pk]


def test_a_ladder_added_in_the_admin_is_a_draft_and_hr_is_told(org, as_user):
    client = as_user(org.hr)
    page = client.get(reverse("admin:levels_ladder_add"))
    data = {**change_form_data(page), "slug": "design", "name": "Design"}

    response = client.post(reverse("admin:levels_ladder_add"), data)

    assert response.status_code == 302
    assert Ladder.objects.get(slug="design").is_draft
    assert any("The ladder is a draft: only HR sees it" in m for m in messages_of(response))


def test_the_status_cannot_be_typed_on_the_change_page(org, draft, as_user):
    client = as_user(org.hr)
    page = client.get(admin_url("change", draft))
    data = {**change_form_data(page), "status": "published"}

    client.post(admin_url("change", draft), data)

    draft.refresh_from_db()
    assert draft.is_draft


def test_a_drafts_page_offers_publish_retire_and_replace(org, draft, as_user):
    response = as_user(org.hr).get(admin_url("change", draft))

    assert admin_url("publish", draft) in response.text
    assert admin_url("retire", draft) in response.text
    assert "Replace Product Management with this draft" in response.text


def test_publishing_in_the_admin_asks_first_then_records_why(org, draft, as_user):
    client = as_user(org.hr)

    page = client.get(admin_url("publish", draft))
    draft.refresh_from_db()
    assert page.status_code == 200
    assert draft.is_draft
    assert "publishing makes it a ladder of its own beside it" in page.text
    response = client.post(admin_url("publish", draft), {"why": "Signed off"})

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.is_published
    assert draft.history.first().history_change_reason == "Published: Signed off"
    assert draft.history.first().history_user == org.hr
    assert messages_of(response)[0].startswith("Published PM 2027: everyone signed in sees it")


def test_the_publish_action_opens_the_publish_page(org, draft, as_user):
    response = as_user(org.hr).post(
        reverse("admin:levels_ladder_changelist"),
        {"action": "publish_selected", "_selected_action": [draft.pk]},
    )

    assert response.status_code == 302
    assert response.url == admin_url("publish", draft)


def test_retiring_in_the_admin_a_ladder_people_are_on_is_refused(org, as_user):
    client = as_user(org.hr)

    page = client.get(admin_url("retire", org.ladder))
    response = client.post(admin_url("retire", org.ladder), {"why": "Old"})

    assert "6 people are still on it" in page.text
    assert 'value="Retire Product Management"' not in page.text
    assert response.status_code == 409
    assert "6 people are still on Product Management" in response.text
    org.ladder.refresh_from_db()
    assert org.ladder.is_published


def test_retiring_a_draft_in_the_admin(org, draft, as_user):
    response = as_user(org.hr).post(admin_url("retire", draft), {"why": "Abandoned"})

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.is_retired
    assert draft.history.first().history_change_reason == "Retired: Abandoned"


# Replacing a published ladder by its revised draft ---------------------------------------------


@pytest.fixture
def revised(org, draft):
    """The draft drops APM (where the teammate is) and renames PM (where the person is)."""
    draft.levels.get(key="apm").delete()
    pm = draft.levels.get(key="pm")
    pm.name = "Product Manager II"
    pm.save()
    return draft


def preview_token(response):
    return re.search(r'name="preview" value="([^"]+)"', response.text).group(1)


def test_the_replace_preview_shows_who_must_move_and_who_is_renamed(org, revised, as_user):
    response = as_user(org.hr).get(admin_url("replace", revised))

    assert response.status_code == 200
    plan = response.context["plan"]
    assert [(p.key, [e.full_name for e in p.people]) for p in plan.moves] == [
        ("ic:apm", ["Tea Mate"])
    ]
    assert plan.moves[0].reason == "drops the level Associate Product Manager"
    assert [(p.key, len(p.people)) for p in plan.renames] == [("ic:pm", 2)]
    assert "Move the 1 person on Associate Product Manager (Individual Contributor) to" in (
        response.text
    )
    assert '<option value="ic:pm">Individual Contributor: Product Manager II</option>' in (
        response.text
    )
    assert "“Product Manager” → “Product Manager II”" in response.text
    assert "retired (in use)" in response.text  # the import plan, as an import shows it
    assert "A level missing from the draft is deleted" in response.text
    assert "the file" not in response.text
    assert org.ladder.levels.get(key="apm").is_active  # nothing written yet


def test_replacing_moves_the_mapped_people_and_retires_the_draft(org, revised, as_user):
    client = as_user(org.hr)
    preview = client.get(admin_url("replace", revised))
    report_level = org.report.level_id

    response = client.post(
        admin_url("replace", revised),
        {"preview": preview_token(preview), "map:ic:apm": "ic:senior-pm"},
    )

    assert response.status_code == 302
    assert response.url == admin_url("change", org.ladder)
    org.teammate.refresh_from_db()
    org.report.refresh_from_db()
    assert (org.teammate.level.key, org.teammate.track.key) == ("senior-pm", "ic")
    assert org.teammate.ladder == org.ladder
    moved = LevelAssignment.objects.filter(employee=org.teammate).latest("id")
    assert moved.assigned_by == org.hr
    assert moved.effective_on == timezone.localdate()
    assert moved.rationale == (
        "The Product Management ladder was revised, and its new version drops the level "
        "Associate Product Manager: moved to Senior Product Manager on the Individual "
        "Contributor track."
    )
    assert "PM 2027" not in moved.rationale  # a draft the person never saw
    assert org.report.level_id == report_level  # renamed, not moved
    assert org.report.level.name == "Product Manager II"
    assert not org.ladder.levels.get(key="apm").is_active  # kept for the history
    ladder = Ladder.objects.get(pk=org.ladder.pk)
    assert (ladder.slug, ladder.name, ladder.status) == (
        "product-management",
        "Product Management",
        Ladder.Status.PUBLISHED,
    )
    revised.refresh_from_db()
    assert revised.is_retired
    renamed = Level.history.filter(id=org.report.level_id).first()
    assert renamed.history_change_reason == "Replaced by draft PM 2027"
    assert "1 person was moved as you chose" in messages_of(response)[0]
    assert services.has_replaced(revised)


def test_replacing_without_choosing_for_everyone_changes_nothing(org, revised, as_user):
    client = as_user(org.hr)
    preview = client.get(admin_url("replace", revised))

    response = client.post(admin_url("replace", revised), {"preview": preview_token(preview)})

    assert response.status_code == 400
    assert "Choose where they go." in response.text
    assert org.ladder.levels.get(key="apm").is_active
    revised.refresh_from_db()
    assert revised.is_draft


def test_a_draft_edited_after_the_preview_is_shown_again_with_409(org, revised, as_user):
    client = as_user(org.hr)
    preview = client.get(admin_url("replace", revised))
    level = revised.levels.get(key="senior-pm")
    level.summary = "Edited meanwhile."
    level.save()

    response = client.post(
        admin_url("replace", revised),
        {"preview": preview_token(preview), "map:ic:apm": "ic:senior-pm"},
    )

    assert response.status_code == 409
    assert "changed after your" in response.text
    assert "selected>Individual Contributor: Senior Product Manager</option>" in response.text
    org.teammate.refresh_from_db()
    assert org.teammate.level.key == "apm"
    assert org.ladder.levels.get(key="apm").is_active
    # The preview shown again confirms.
    again = client.post(
        admin_url("replace", revised),
        {"preview": preview_token(response), "map:ic:apm": "ic:senior-pm"},
    )
    assert again.status_code == 302


def test_a_level_assigned_after_the_preview_makes_it_stale(org, revised, as_user):
    client = as_user(org.hr)
    preview = client.get(admin_url("replace", revised))
    people.assign_level(
        employee=org.report,
        level=org.ladder.levels.get(key="senior-pm"),
        track=org.report.track,
        effective_on=timezone.localdate(),
        by=org.manager.user,
    )

    response = client.post(
        admin_url("replace", revised),
        {"preview": preview_token(preview), "map:ic:apm": "ic:pm"},
    )

    assert response.status_code == 409
    revised.refresh_from_db()
    assert revised.is_draft


def test_a_refused_move_undoes_the_whole_replacement(org, draft, hr_on_ladder, as_user):
    # The draft drops PM, where HR themselves sit among others: nobody moves their own level.
    draft.levels.get(key="pm").delete()
    client = as_user(hr_on_ladder.user)
    preview = client.get(admin_url("replace", draft))
    assert [len(p.people) for p in preview.context["plan"].moves] == [3]
    versions = Level.history.count()

    response = client.post(
        admin_url("replace", draft),
        {"preview": preview_token(preview), "map:ic:pm": "ic:senior-pm"},
    )

    assert response.status_code == 400
    assert (
        "Harriet People: Only their managers and HR assign a level, never their own."
        in response.text
    )
    assert org.ladder.levels.get(key="pm").is_active
    assert Level.history.count() == versions
    for person in (org.report, org.stranger, hr_on_ladder):
        person.refresh_from_db()
        assert person.level.key == "pm"
    draft.refresh_from_db()
    assert draft.is_draft


def test_an_altered_preview_is_refused(org, revised, as_user):
    response = as_user(org.hr).post(
        admin_url("replace", revised), {"preview": "forged", "map:ic:apm": "ic:pm"}
    )

    assert response.status_code == 400
    assert "expired or was altered" in response.text
    revised.refresh_from_db()
    assert revised.is_draft


def test_a_ladder_that_is_no_draft_of_another_cannot_replace_anything(org, as_user):
    standalone = LadderFactory(status=Ladder.Status.DRAFT)

    response = as_user(org.hr).get(admin_url("replace", standalone))

    assert response.status_code == 302
    assert "not a revision of a published ladder" in messages_of(response)[0]


def test_the_service_refuses_a_mapping_to_a_place_the_draft_lacks(org, revised):
    plan = importplan.plan_replacement(revised)

    with pytest.raises(services.ReplacementRefused) as refused:
        services.replace_ladder(
            draft=revised, mapping={"ic:apm": "ic:apm"}, by=None, fingerprint=plan.fingerprint
        )

    assert refused.value.problems == [
        "Choose where the people on Associate Product Manager (Individual Contributor) go."
    ]


def test_the_service_replaces_with_nobody_to_move(org, draft):
    level = draft.levels.get(key="senior-pm")
    level.summary = "Sharper."
    level.save()
    plan = importplan.plan_replacement(draft)
    assert plan.moves == []
    assert plan.renames == []

    services.replace_ladder(draft=draft, mapping={}, by=None, fingerprint=plan.fingerprint)

    assert org.ladder.levels.get(key="senior-pm").summary == "Sharper."
    assert LevelAssignment.objects.filter(effective_on=timezone.localdate()).count() == 0


def test_retiring_the_published_ladder_stops_its_draft_replacing_it(org, draft):
    Ladder.objects.filter(pk=org.ladder.pk).update(status=Ladder.Status.RETIRED)

    plan = importplan.plan_replacement(Ladder.objects.get(pk=draft.pk))

    assert "Product Management is retired: only a published ladder can be replaced." in (
        plan.problems
    )


@needs_postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_replacements_at_once_apply_once_and_refuse_the_other_as_stale(org, revised):
    plan = importplan.plan_replacement(revised)

    def replace():
        return services.replace_ladder(
            draft=revised,
            mapping={"ic:apm": "ic:pm"},
            by=org.hr,
            fingerprint=plan.fingerprint,
        )

    results = at_once(replace, replace)

    refused = [result for result in results if isinstance(result, Exception)]
    assert len(refused) == 1, results
    assert isinstance(refused[0], services.ReplacementRefused)
    assert refused[0].stale
    assert LevelAssignment.objects.filter(employee=org.teammate).count() == 2


# Replacing with care: later edits of the ladder, step-downs, why and emails ------------------


LIVE_FIX = "Show consistent delivery, and a product area you own end to end, to reach Senior PM."


def fix_the_live_ladder(org, by):
    """HR edits the published ladder's Product Manager after the draft was made."""
    level = org.ladder.levels.get(key="pm")
    old = level.next_step
    level.next_step = LIVE_FIX
    level._history_user = by
    level.save()
    return old


def confirm(client, draft, **data):
    preview = client.get(admin_url("replace", draft))
    return client.post(admin_url("replace", draft), {"preview": preview_token(preview), **data})


def test_a_draft_made_after_the_last_edit_of_its_ladder_is_not_outdated(org, draft):
    plan = importplan.plan_replacement(draft)

    assert plan.taken_at == draft.history.earliest("history_id").history_date
    assert not plan.outdated


def test_the_preview_warns_that_the_ladder_changed_after_the_draft_was_made(org, draft, as_user):
    old = fix_the_live_ladder(org, org.hr)

    response = as_user(org.hr).get(admin_url("replace", draft))

    assert response.status_code == 200
    plan = response.context["plan"]
    assert plan.outdated
    (row,) = plan.later.rows
    assert (row.kind, row.name, row.who) == ("level", "Product Manager", "Hana HR")
    assert [(f.label, f.old, f.new) for f in row.fields] == [("next step", old, LIVE_FIX)]
    warning = " ".join(
        re.search(r'id="replace-outdated"(.*?)</div>', response.text, re.S)[1].split()
    )
    assert "Product Management changed after this draft was made" in warning
    assert "Replacing brings back the draft's version of these" in warning
    for shown in ("Hana HR", "Next step:", LIVE_FIX, old):
        assert shown in warning
    # The plan below says what the draft brings back, before and after.
    assert f"<dt>Before</dt><dd>{LIVE_FIX}</dd>" in response.text
    assert f"<dt>After</dt><dd>{old}</dd>" in response.text
    assert 'name="undo_later_changes"' in response.text


def test_replacing_with_an_outdated_draft_needs_the_box_ticked(org, draft, as_user):
    fix_the_live_ladder(org, org.hr)
    client = as_user(org.hr)

    refused = confirm(client, draft)

    assert refused.status_code == 400
    assert "changed after the draft was made: tick this" in refused.text
    assert org.ladder.levels.get(key="pm").next_step == LIVE_FIX
    draft.refresh_from_db()
    assert draft.is_draft

    response = confirm(client, draft, undo_later_changes="on")

    assert response.status_code == 302
    assert org.ladder.levels.get(key="pm").next_step == draft.levels.get(key="pm").next_step


def test_the_service_refuses_to_undo_later_changes_unless_told(org, draft):
    fix_the_live_ladder(org, None)
    plan = importplan.plan_replacement(draft)

    with pytest.raises(services.ReplacementRefused) as refused:
        services.replace_ladder(draft=draft, mapping={}, by=None, fingerprint=plan.fingerprint)

    assert refused.value.problems == [
        "Product Management changed after PM 2027 was made: confirm that replacing brings "
        "back the draft's version of those changes."
    ]
    assert org.ladder.levels.get(key="pm").next_step == LIVE_FIX


def test_a_ladder_change_after_the_preview_makes_it_stale(org, draft, as_user):
    client = as_user(org.hr)
    preview = client.get(admin_url("replace", draft))
    fix_the_live_ladder(org, org.hr)

    response = client.post(
        admin_url("replace", draft),
        {"preview": preview_token(preview), "undo_later_changes": "on"},
    )

    assert response.status_code == 409
    assert response.context["plan"].outdated
    assert org.ladder.levels.get(key="pm").next_step == LIVE_FIX


def test_a_copy_of_a_draft_counts_from_when_the_first_draft_was_made(org, draft):
    fix_the_live_ladder(org, None)
    copy = services.duplicate_ladder(ladder=draft, slug="pm-2027-b", name="PM 2027 b")

    plan = importplan.plan_replacement(copy)

    assert copy.draft_of == org.ladder
    assert plan.taken_at == draft.history.earliest("history_id").history_date
    assert [row.name for row in plan.later.rows] == ["Product Manager"]


@pytest.fixture
def drops_pm(draft):
    """The draft drops Product Manager, where the report and the stranger are."""
    draft.levels.get(key="pm").delete()
    return draft


def test_the_preview_marks_the_places_below_their_level(org, drops_pm, as_user):
    response = as_user(org.hr).get(admin_url("replace", drops_pm))

    assert (
        '<option value="ic:apm">Individual Contributor: Associate Product Manager (a step down)'
        in (response.text)
    )
    assert (
        '<option value="ic:senior-pm">Individual Contributor: Senior Product Manager</option>'
        in (response.text)
    )
    assert "Yes, move these people to a lower level" in response.text


def test_a_step_down_is_flagged_and_needs_the_box_ticked(org, drops_pm, as_user):
    client = as_user(org.hr)

    response = confirm(client, drops_pm, **{"map:ic:pm": "ic:apm"})

    assert response.status_code == 400
    assert re.search(r'class="form-row field-move replace-step-down" id="move-icpm"', response.text)
    assert "Step-down</span>" in response.text
    assert (
        "Tick this to move the people on Product Manager (Individual Contributor) to a lower"
        in (response.text)
    )
    for person in (org.report, org.stranger):
        person.refresh_from_db()
        assert person.level.key == "pm"
    drops_pm.refresh_from_db()
    assert drops_pm.is_draft


def test_a_confirmed_step_down_moves_them_with_why_and_emails_them_and_their_managers(
    org, drops_pm, as_user, mailoutbox, django_capture_on_commit_callbacks
):
    client = as_user(org.hr)

    with django_capture_on_commit_callbacks(execute=True):
        response = confirm(
            client,
            drops_pm,
            **{"map:ic:pm": "ic:apm", "allow_step_down": "on", "why": "PM  merged into APM"},
        )

    assert response.status_code == 302
    rationale = (
        "PM merged into APM. The Product Management ladder was revised, and its new version "
        "drops the level Product Manager: moved to Associate Product Manager on the "
        "Individual Contributor track."
    )
    for person in (org.report, org.stranger):
        person.refresh_from_db()
        assert person.level.key == "apm"
        assert LevelAssignment.objects.filter(employee=person).latest("id").rationale == rationale
    assert sorted((m.to[0], m.subject) for m in mailoutbox) == [
        ("manager@example.com", "Remi Report is now Associate Product Manager"),
        ("other@example.com", "Stan Stranger is now Associate Product Manager"),
        ("report@example.com", "Your level is now Associate Product Manager"),
        ("stranger@example.com", "Your level is now Associate Product Manager"),
    ]
    assert rationale in mailoutbox[0].body
    retired = Level.history.filter(id=org.ladder.levels.get(key="pm").pk).first()
    assert retired.history_change_reason == "Replaced by draft PM 2027: PM merged into APM"
    assert "2 people were moved as you chose" in messages_of(response)[0]


def test_the_service_refuses_a_step_down_unless_told(org, drops_pm, mailoutbox):
    plan = importplan.plan_replacement(drops_pm)

    with pytest.raises(services.ReplacementRefused) as refused:
        services.replace_ladder(
            draft=drops_pm, mapping={"ic:pm": "ic:apm"}, by=None, fingerprint=plan.fingerprint
        )

    assert refused.value.problems == [
        "Moving the people on Product Manager (Individual Contributor) to Individual "
        "Contributor: Associate Product Manager is a step down: confirm it."
    ]
    org.report.refresh_from_db()
    assert org.report.level.key == "pm"


def test_a_refused_replacement_sends_no_email(
    org, drops_pm, hr_on_ladder, as_user, mailoutbox, django_capture_on_commit_callbacks
):
    # HR sits on Product Manager themselves: their own move is refused, so nobody moves.
    with django_capture_on_commit_callbacks(execute=True):
        response = confirm(as_user(hr_on_ladder.user), drops_pm, **{"map:ic:pm": "ic:senior-pm"})

    assert response.status_code == 400
    assert mailoutbox == []


def test_a_replacement_with_nobody_to_move_says_nothing_of_moves(org, draft, as_user):
    level = draft.levels.get(key="senior-pm")
    level.summary = "Sharper."
    level.save()

    response = confirm(as_user(org.hr), draft)

    assert response.status_code == 302
    (message,) = messages_of(response)
    assert "moved" not in message
    assert message == (
        "Replaced Product Management by the draft PM 2027 (levels: 1 changed). The draft "
        "PM 2027 is now retired."
    )


# A draft that replaced its ladder ---------------------------------------------------------------


@pytest.fixture
def spent(org, draft):
    plan = importplan.plan_replacement(draft)
    services.replace_ladder(draft=draft, mapping={}, by=None, fingerprint=plan.fingerprint)
    draft.refresh_from_db()
    return draft


def test_a_draft_that_replaced_its_ladder_is_never_published(spent):
    with pytest.raises(ValidationError) as refused:
        services.publish_ladder(ladder=spent)

    assert refused.value.messages == [
        "PM 2027 already replaced Product Management: its content is live there, and "
        "publishing it would show everyone a second copy. To revise Product Management "
        "again, duplicate it and edit the new draft."
    ]
    spent.refresh_from_db()
    assert spent.is_retired


def test_a_spent_drafts_page_offers_no_publish(org, spent, as_user):
    client = as_user(org.hr)

    page = client.get(admin_url("change", spent))
    response = client.post(admin_url("publish", spent), {"why": "Again"})

    assert admin_url("publish", spent) not in page.text
    assert response.status_code == 302
    assert response.url == admin_url("change", spent)
    assert "duplicate it and edit the new draft" in messages_of(response)[0]
    spent.refresh_from_db()
    assert spent.is_retired


@pytest.mark.parametrize("published_first", [False, True])
def test_a_retired_ladder_that_replaced_nothing_can_be_published(org, draft, published_first):
    if published_first:
        services.publish_ladder(ladder=draft)
    services.retire_ladder(ladder=draft)

    assert not services.has_replaced(draft)
    assert services.publish_ladder(ladder=draft).is_published


def test_the_status_page_says_a_draft_is_a_draft(org, draft, as_user):
    response = as_user(org.hr).get(admin_url("publish", draft))

    assert "<strong>PM 2027</strong> (pm-2027) is a draft: only HR sees it." in response.text


def test_the_preview_costs_the_same_however_many_later_changes(org, draft, as_user):
    client = as_user(org.hr)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(admin_url("replace", draft)).status_code == 200
        return len(captured)

    fix_the_live_ladder(org, org.hr)
    one = queries()
    for level in org.ladder.levels.exclude(key="pm"):
        level.summary += " Revised."
        level.save()

    assert queries() == one
    assert len(importplan.plan_replacement(draft).later.rows) == org.ladder.levels.count()
