"""The ladder admin's actions: duplicate a ladder, export it as a ladder file; who may."""

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse

from assessments.selectors import HR_GROUP
from levels import ladderfile, services
from levels.models import (
    Aspect,
    AspectValue,
    Category,
    Expectation,
    FAQEntry,
    Ladder,
    Level,
    PromotionBlocker,
    PromotionCriterion,
    Track,
    TrackLevel,
)
from levels.selectors import ladder_spec

from ..factories import LadderFactory, UserFactory, build_ladder, make_hr_user

pytestmark = pytest.mark.django_db

CHANGELIST_URL = "/admin/levels/ladder/"
TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "admin" / "levels"
PARTS = [
    Category,
    Level,
    Expectation,
    Track,
    TrackLevel,
    Aspect,
    AspectValue,
    PromotionCriterion,
    PromotionBlocker,
    FAQEntry,
]
LADDER_OF = {
    Category: "ladder",
    Level: "ladder",
    Expectation: "level__ladder",
    Track: "ladder",
    TrackLevel: "track__ladder",
    Aspect: "ladder",
    AspectValue: "aspect__ladder",
    PromotionCriterion: "ladder",
    PromotionBlocker: "ladder",
    FAQEntry: "ladder",
}


def counts(ladder):
    return {
        model.__name__: model.objects.filter(**{LADDER_OF[model]: ladder}).count()
        for model in PARTS
    }


@pytest.fixture
def hr_user(default_ladder):
    """A staff member in the HR group, not a superuser."""
    user = UserFactory(username="hana", is_staff=True)
    user.groups.add(Group.objects.get(name=HR_GROUP))
    return user


@pytest.fixture
def hr_client(client, hr_user):
    client.force_login(hr_user)
    return client


def staff_with(*codenames):
    """HR staff whose group holds only these permissions."""
    return make_hr_user(*codenames)


def duplicate_url(ladder):
    return reverse("admin:levels_ladder_duplicate", args=[ladder.pk])


def export_url(ladder, fmt=None):
    url = reverse("admin:levels_ladder_export", args=[ladder.pk])
    return f"{url}?format={fmt}" if fmt else url


def change_url(ladder):
    return reverse("admin:levels_ladder_change", args=[ladder.pk])


def run_action(client, action, *ladders):
    return client.post(
        CHANGELIST_URL,
        {"action": action, "_selected_action": [ladder.pk for ladder in ladders], "index": 0},
    )


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


# The duplicate service -----------------------------------------------------------------


@pytest.fixture
def worn_ladder(default_ladder):
    """The default ladder with a retired level and a retired expectation, as after use."""
    Level.objects.filter(ladder=default_ladder, key="distinguished-pm").update(is_active=False)
    Expectation.objects.filter(level__ladder=default_ladder, level__key="pm").filter(
        pk=Expectation.objects.filter(level__ladder=default_ladder, level__key="pm").first().pk
    ).update(is_active=False)
    return default_ladder


def test_duplicate_copies_every_part_of_the_ladder(worn_ladder):
    copy = services.duplicate_ladder(ladder=worn_ladder, slug="pm-2027", name="PM 2027")

    assert (copy.slug, copy.name, copy.description) == (
        "pm-2027",
        "PM 2027",
        worn_ladder.description,
    )
    assert counts(copy) == counts(worn_ladder)
    assert all(counts(copy).values())
    expected = ladder_spec(worn_ladder)
    expected["ladder"] = {**expected["ladder"], "slug": "pm-2027", "name": "PM 2027"}
    assert ladder_spec(copy) == expected


def test_duplicate_keeps_retired_levels_and_expectations_retired(worn_ladder):
    copy = services.duplicate_ladder(ladder=worn_ladder, slug="pm-2027", name="PM 2027")

    assert not copy.levels.get(key="distinguished-pm").is_active
    retired = Expectation.objects.filter(level__ladder=copy, is_active=False)
    assert [(e.level.key, e.text) for e in retired] == [
        (e.level.key, e.text)
        for e in Expectation.objects.filter(level__ladder=worn_ladder, is_active=False)
    ]
    assert retired.count() == 1


def test_the_copy_shares_no_rows_with_the_original(default_ladder):
    copy = services.duplicate_ladder(ladder=default_ladder, slug="pm-2027", name="PM 2027")

    assert not set(
        Expectation.objects.filter(level__ladder=copy).values_list("category__ladder", flat=True)
    ) - {copy.pk}
    assert set(
        TrackLevel.objects.filter(track__ladder=copy).values_list("level__ladder", flat=True)
    ) == {copy.pk}
    assert set(
        AspectValue.objects.filter(aspect__ladder=copy).values_list("level__ladder", flat=True)
    ) == {copy.pk}


def test_editing_the_copy_leaves_the_original_as_it_was(default_ladder):
    before = ladder_spec(default_ladder)
    copy = services.duplicate_ladder(ladder=default_ladder, slug="pm-2027", name="PM 2027")

    level = copy.levels.get(key="pm")
    level.name = "Product Manager II"
    level.save()
    expectation = level.expectations.first()
    expectation.text = "Reworded in the copy"
    expectation.save()
    level.expectations.last().delete()
    ic = copy.tracks.get(key="ic")
    first, second = ic.track_levels.all()[:2]
    first.position, second.position = 1000, first.position
    first.save()
    second.save()
    first.position = 1
    first.save()
    copy.aspects.first().values.update(value="Changed")
    copy.faq_entries.all().delete()
    copy.categories.filter(key="skills").update(name="Skills (copy)")

    assert ladder_spec(default_ladder) == before
    after = ladder_spec(copy)
    assert after["levels"][1]["name"] == "Product Manager II"
    assert after["tracks"][0]["levels"][:2] == list(reversed(before["tracks"][0]["levels"][:2]))
    assert after["faq"] == []


def test_deleting_the_copy_leaves_the_original(default_ladder):
    before = counts(default_ladder)
    copy = services.duplicate_ladder(ladder=default_ladder, slug="pm-2027", name="PM 2027")

    copy.delete()

    assert counts(default_ladder) == before


def test_duplicate_costs_the_same_queries_for_a_small_and_a_large_ladder():
    def queries(ladder, slug):
        with CaptureQueriesContext(connection) as captured:
            services.duplicate_ladder(ladder=ladder, slug=slug, name=slug)
        return len(captured)

    small = build_ladder(levels=2, categories=1, expectations_per_category=1, tracks=1, aspects=1)
    large = build_ladder(levels=12, categories=4, expectations_per_category=8, tracks=3, aspects=5)

    assert queries(small, "small-copy") == queries(large, "large-copy")
    assert counts(Ladder.objects.get(slug="large-copy")) == counts(large)


def test_duplicate_refuses_a_slug_that_is_taken(default_ladder):
    LadderFactory(slug="taken")

    with pytest.raises(ValidationError) as error:
        services.duplicate_ladder(ladder=default_ladder, slug="taken", name="Copy")
    with pytest.raises(ValidationError):
        services.duplicate_ladder(ladder=default_ladder, slug="product-management", name="Copy")

    assert error.value.message_dict == {
        "slug": ["A ladder 'taken' already exists; pick another slug."]
    }
    assert Ladder.objects.count() == 2


@pytest.mark.parametrize("slug", ["", "Has Spaces", "UPPER", "-leading-dash", "x" * 51, "ünï"])
def test_duplicate_refuses_an_invalid_slug(default_ladder, slug):
    with pytest.raises(ValidationError) as error:
        services.duplicate_ladder(ladder=default_ladder, slug=slug, name="Copy")

    assert "slug" in error.value.message_dict
    assert Ladder.objects.count() == 1


def test_duplicate_refuses_an_empty_name(default_ladder):
    with pytest.raises(ValidationError) as error:
        services.duplicate_ladder(ladder=default_ladder, slug="copy", name="  ")

    assert "name" in error.value.message_dict
    assert Ladder.objects.count() == 1


# Duplicate in the admin ----------------------------------------------------------------


def test_the_duplicate_action_leads_to_a_prefilled_form(hr_client, default_ladder):
    response = run_action(hr_client, "duplicate_selected", default_ladder)

    assert response.status_code == 302
    assert response.url == duplicate_url(default_ladder)
    page = hr_client.get(response.url)
    assert page.status_code == 200
    assert re.search(r'name="slug" value="product-management-copy"', page.text)
    assert re.search(r'name="name" value="Product Management \(copy\)"', page.text)
    assert Ladder.objects.count() == 1


def test_duplicating_in_the_admin_makes_the_copy_and_opens_it(hr_client, default_ladder):
    response = hr_client.post(
        duplicate_url(default_ladder), {"slug": "pm-2027", "name": "Product Management 2027"}
    )

    copy = Ladder.objects.get(slug="pm-2027")
    assert response.status_code == 302
    assert response.url == change_url(copy)
    assert messages_of(response) == [
        "Duplicated Product Management as Product Management 2027 (pm-2027). The copy is an "
        "independent draft that only HR sees. Edit it, then publish it or replace Product "
        "Management with it."
    ]
    assert counts(copy) == counts(default_ladder)
    assert copy.name == "Product Management 2027"


def test_duplicating_onto_a_taken_slug_is_a_form_error(hr_client, default_ladder):
    LadderFactory(slug="taken")

    response = hr_client.post(duplicate_url(default_ladder), {"slug": "taken", "name": "Copy"})

    assert response.status_code == 400
    assert "A ladder &#x27;taken&#x27; already exists; pick another slug." in response.text
    assert Ladder.objects.count() == 2


def test_duplicating_without_a_slug_or_name_is_a_form_error(hr_client, default_ladder):
    response = hr_client.post(duplicate_url(default_ladder), {})

    assert response.status_code == 400
    assert response.text.count("This field is required.") == 2
    assert Ladder.objects.count() == 1


def test_duplicating_several_ladders_at_once_is_refused(hr_client, default_ladder):
    other = LadderFactory()

    response = run_action(hr_client, "duplicate_selected", default_ladder, other)

    assert response.status_code == 302
    assert response.url == CHANGELIST_URL
    assert messages_of(response) == ["Select just one ladder to duplicate at a time."]
    assert Ladder.objects.count() == 2


def test_duplicating_an_unknown_ladder_redirects_with_a_message(hr_client, default_ladder):
    response = hr_client.get(reverse("admin:levels_ladder_duplicate", args=[999999]))

    assert response.status_code == 302
    assert Ladder.objects.count() == 1


# Export --------------------------------------------------------------------------------


def test_export_downloads_a_yaml_file_that_reads_back_as_the_ladder(hr_client, default_ladder):
    response = hr_client.get(export_url(default_ladder))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-yaml; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="product-management.yaml"'
    spec = ladderfile.read(response.content, name="product-management.yaml")
    assert spec == ladder_spec(default_ladder)


def test_export_as_json(hr_client, default_ladder):
    response = hr_client.get(export_url(default_ladder, "json"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="product-management.json"'
    assert response.content.startswith(b'{\n  "format": "ladder/v2"')
    assert ladderfile.read(response.content, name="x.json") == ladder_spec(default_ladder)


def test_export_of_an_unknown_format_is_a_bad_request(hr_client, default_ladder):
    assert hr_client.get(export_url(default_ladder, "xml")).status_code == 400


def test_export_keeps_retired_levels(hr_client, worn_ladder):
    spec = ladderfile.read(hr_client.get(export_url(worn_ladder)).content)

    assert spec == ladder_spec(worn_ladder)
    assert [level["key"] for level in spec["levels"] if not level["active"]] == ["distinguished-pm"]


def test_the_export_actions_download_the_selected_ladder(hr_client, default_ladder):
    yaml_response = run_action(hr_client, "export_yaml", default_ladder)
    json_response = run_action(hr_client, "export_json", default_ladder)

    assert yaml_response["Content-Disposition"] == (
        'attachment; filename="product-management.yaml"'
    )
    assert ladderfile.read(yaml_response.content) == ladder_spec(default_ladder)
    assert json_response["Content-Disposition"] == (
        'attachment; filename="product-management.json"'
    )
    assert ladderfile.read(json_response.content, name="x.json") == ladder_spec(default_ladder)


def test_exporting_several_ladders_at_once_is_refused(hr_client, default_ladder):
    response = run_action(hr_client, "export_yaml", default_ladder, LadderFactory())

    assert response.status_code == 302
    assert messages_of(response) == ["Select just one ladder to export at a time."]


def test_the_change_page_offers_export_and_duplicate(hr_client, default_ladder):
    response = hr_client.get(change_url(default_ladder))

    assert response.status_code == 200
    assert f'href="{export_url(default_ladder)}"' in response.text
    assert f'href="{export_url(default_ladder, "json")}"' in response.text
    assert f'href="{duplicate_url(default_ladder)}"' in response.text


# Permissions ---------------------------------------------------------------------------


def test_staff_who_may_only_view_ladders_can_export_but_not_duplicate(client, default_ladder):
    client.force_login(staff_with("view_ladder"))

    assert client.get(export_url(default_ladder)).status_code == 200
    assert client.get(duplicate_url(default_ladder)).status_code == 403
    response = client.post(duplicate_url(default_ladder), {"slug": "copy", "name": "Copy"})
    assert response.status_code == 403
    changelist = client.get(CHANGELIST_URL)
    assert "export_yaml" in changelist.text
    assert "duplicate_selected" not in changelist.text
    page = client.get(change_url(default_ladder))
    assert f'href="{export_url(default_ladder)}"' in page.text
    assert f'href="{duplicate_url(default_ladder)}"' not in page.text
    assert Ladder.objects.count() == 1


def test_staff_outside_the_hr_group_are_sent_to_the_admin_login(client, default_ladder):
    client.force_login(UserFactory(is_staff=True))

    for response in (
        client.get(export_url(default_ladder)),
        client.get(duplicate_url(default_ladder)),
        client.post(duplicate_url(default_ladder), {"slug": "copy", "name": "Copy"}),
    ):
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))
    assert Ladder.objects.count() == 1


@pytest.mark.parametrize("url_of", [duplicate_url, export_url])
def test_signed_in_non_staff_are_sent_to_the_admin_login(client, default_ladder, url_of):
    client.force_login(UserFactory())

    response = client.get(url_of(default_ladder))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


@pytest.mark.parametrize("url_of", [duplicate_url, export_url])
def test_anonymous_visitors_are_sent_to_sign_in(client, default_ladder, url_of):
    url = url_of(default_ladder)

    response = client.post(url, {"slug": "copy", "name": "Copy"})

    assert response.status_code == 302
    target = urlsplit(response.url)
    assert resolve(target.path).url_name == "login"
    assert parse_qs(target.query)["next"] == [url]
    assert Ladder.objects.count() == 1


# The list ------------------------------------------------------------------------------


def test_the_list_shows_each_ladders_active_levels_and_tracks(hr_client, worn_ladder):
    response = hr_client.get(CHANGELIST_URL)

    assert response.status_code == 200
    row = re.search(r"<tr>.*?Product Management.*?</tr>", response.text, re.DOTALL).group(0)
    cells = re.findall(r'<td class="field-(\w+)">(.*?)</td>', row)
    active = worn_ladder.levels.active().count()
    assert active == worn_ladder.levels.count() - 1
    assert cells == [
        ("slug", "product-management"),
        ("status", "Published"),
        ("level_count", str(active)),
        ("track_count", "2"),
    ]


def test_the_list_costs_a_bounded_number_of_queries(
    hr_client, default_ladder, django_assert_max_num_queries
):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert hr_client.get(CHANGELIST_URL).status_code == 200
        return len(captured)

    few = queries()
    for _ in range(15):
        build_ladder(levels=4, tracks=2)

    # The session, the user, the user's permissions (own and through groups): 4; ladders
    # counted (filtered and in all): 2; one page of ladders, each with its counts of active
    # levels and tracks as subqueries: 1; the navigation's employee and HR check: 2.
    with django_assert_max_num_queries(9):
        response = hr_client.get(CHANGELIST_URL)

    assert response.text.count('name="_selected_action"') == 16
    assert queries() == few


def test_deleting_ladders_from_the_list_still_works(hr_client, default_ladder):
    extra = LadderFactory()

    response = hr_client.post(
        CHANGELIST_URL,
        {"action": "delete_selected", "_selected_action": [extra.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert list(Ladder.objects.values_list("slug", flat=True)) == ["product-management"]


def test_the_templates_have_no_inline_styles_or_scripts():
    """The site's Content-Security-Policy allows neither."""
    templates = sorted(TEMPLATES.rglob("*.html"))
    assert len(templates) >= 5
    for template in templates:
        text = template.read_text()
        assert not re.search(r"style=|<style|<script|\son[a-z]+=", text, re.IGNORECASE), template


def test_duplicate_keeps_the_readiness_rule(default_ladder):
    default_ladder.ready_coverage, default_ladder.ready_span_months = 60, 3
    default_ladder.save()

    copy = services.duplicate_ladder(ladder=default_ladder, slug="pm-2027", name="PM 2027")

    assert (copy.ready_coverage, copy.ready_span_months) == (60, 3)
