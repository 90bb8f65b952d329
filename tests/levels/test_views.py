"""The ladder pages: who may see them, what they show, and what they cost."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ..factories import build_ladder

pytestmark = pytest.mark.django_db

PM = "product-management"
LADDER_PAGES = [
    ("levels:ladders", {}),
    ("levels:ladder", {"slug": PM}),
    ("levels:level", {"slug": PM, "key": "senior-pm"}),
    ("levels:compare", {"slug": PM}),
    ("levels:promotion", {"slug": PM}),
    ("levels:faq", {"slug": PM}),
]


@pytest.mark.parametrize(("name", "kwargs"), LADDER_PAGES)
def test_anonymous_users_are_sent_to_sign_in(client, default_ladder, name, kwargs):
    url = reverse(name, kwargs=kwargs)

    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


@pytest.mark.parametrize(("name", "kwargs"), LADDER_PAGES)
def test_signed_in_users_see_every_ladder_page(client_signed_in, default_ladder, name, kwargs):
    response = client_signed_in.get(reverse(name, kwargs=kwargs))

    assert response.status_code == 200
    assert "Content-Security-Policy" in response.headers


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("levels:ladder", {"slug": "nope"}),
        ("levels:level", {"slug": PM, "key": "nope"}),
        ("levels:level", {"slug": "nope", "key": "pm"}),
        ("levels:compare", {"slug": "nope"}),
        ("levels:promotion", {"slug": "nope"}),
        ("levels:faq", {"slug": "nope"}),
    ],
)
def test_unknown_slug_or_key_is_404(client_signed_in, default_ladder, name, kwargs):
    response = client_signed_in.get(reverse(name, kwargs=kwargs))

    assert response.status_code == 404
    assert b"Page not found" in response.content


def test_home_sends_signed_in_users_to_the_ladders(client_signed_in):
    response = client_signed_in.get("/")

    assert response.status_code == 302
    assert response.url == reverse("levels:ladders")


def test_ladder_list_shows_counts(client_signed_in, default_ladder):
    response = client_signed_in.get(reverse("levels:ladders"))

    assert b"10 levels" in response.content
    assert b"2 tracks" in response.content


def test_ladder_list_without_ladders_says_what_to_do(client_signed_in):
    response = client_signed_in.get(reverse("levels:ladders"))

    assert b"No ladders yet" in response.content
    assert b"load_default_ladder" in response.content


def test_overview_draws_the_career_path_with_a_link_per_level(client_signed_in, default_ladder):
    response = client_signed_in.get(reverse("levels:ladder", kwargs={"slug": PM}))

    content = response.content.decode()
    assert content.count('class="career-path"') == 2  # wide and tall
    for level in default_ladder.levels.all():
        assert reverse("levels:level", kwargs={"slug": PM, "key": level.key}) in content
    assert "You love the craft of product management" in content  # best for you if
    assert "More meetings and overhead" in content  # challenges
    assert "style=" not in content  # the CSP allows no inline styles


def test_level_page_shows_expectations_grid_and_next_levels(client_signed_in, default_ladder):
    response = client_signed_in.get(
        reverse("levels:level", kwargs={"slug": PM, "key": "senior-pm"})
    )

    content = response.content.decode()
    assert "Own critical product lines with P&amp;L impact" in content
    assert "Complex stakeholder management" in content
    assert "Quarters" in content  # the comparison grid's time horizon
    assert "Choose management track (PM Manager) or IC track (Staff PM)." in content
    # The fork: both next levels, each with a link to what changes.
    assert "?levels=senior-pm,staff-pm" in content
    assert "?levels=senior-pm,pm-manager" in content
    assert 'aria-current="page"' in content  # this level highlighted in the picture


def test_top_level_has_no_next_level(client_signed_in, default_ladder):
    response = client_signed_in.get(reverse("levels:level", kwargs={"slug": PM, "key": "cpo"}))

    assert b"what changes" not in response.content
    assert b"Level before:" in response.content


def test_compare_marks_new_and_changed_expectations(client_signed_in, default_ladder):
    url = reverse("levels:compare", kwargs={"slug": PM})

    response = client_signed_in.get(url, {"levels": "pm,senior-pm"})

    columns = response.context["columns"]
    assert [column["level"].key for column in columns] == ["pm", "senior-pm"]
    skills = next(
        row for row in response.context["category_rows"] if row["name"] == "Required Skills"
    )
    senior = {item.text: item for item in skills["cells"][1].items}
    assert senior["Complex stakeholder management"].status == "changed"
    assert senior["Complex stakeholder management"].was == "Stakeholder management"
    assert senior["Executive communication"].status == "new"
    assert "Go-to-market collaboration" in skills["cells"][1].dropped
    focus = next(row for row in response.context["aspect_rows"] if row["name"] == "Primary Focus")
    assert [cell["value"] for cell in focus["values"]] == ["Execution", "Strategy + Execution"]
    assert focus["values"][1]["changed"]


def test_compare_has_a_card_per_level_for_phones(client_signed_in, default_ladder):
    url = reverse("levels:compare", kwargs={"slug": PM})

    response = client_signed_in.get(url, {"levels": "pm,senior-pm"})

    content = response.content.decode()
    assert 'id="stack-pm"' in content
    assert 'id="stack-senior-pm"' in content
    assert "6 from PM not repeated here" in content
    assert response.context["columns"][1]["aspects"][0] == {
        "name": "Primary Focus",
        "value": "Strategy + Execution",
    }


def test_compare_three_levels_from_the_picker_fields(client_signed_in, default_ladder):
    url = reverse("levels:compare", kwargs={"slug": PM})

    response = client_signed_in.get(url, {"a": "senior-pm", "b": "staff-pm", "c": "principal-pm"})

    assert response.status_code == 200
    assert [c["level"].key for c in response.context["columns"]] == [
        "senior-pm",
        "staff-pm",
        "principal-pm",
    ]
    assert b'<option value="staff-pm" selected>' in response.content


def test_compare_without_levels_invites_a_choice(client_signed_in, default_ladder):
    response = client_signed_in.get(reverse("levels:compare", kwargs={"slug": PM}))

    assert response.status_code == 200
    assert b"Pick two or three levels" in response.content


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ({"levels": "pm,ghost"}, 404, "This ladder has no level &#x27;ghost&#x27;."),
        ({"levels": "ghost,spook"}, 404, "no levels &#x27;ghost&#x27;, &#x27;spook&#x27;."),
        ({"levels": "pm"}, 400, "Pick at least two levels"),
        ({"levels": "apm,pm,senior-pm,staff-pm"}, 400, "Compare at most 3 levels"),
        ({"levels": "pm,pm"}, 400, "Pick different levels"),
        ({"a": "pm", "b": ""}, 400, "Pick at least two levels"),
    ],
)
def test_compare_bad_choices_are_explained(
    client_signed_in, default_ladder, query, status, message
):
    response = client_signed_in.get(reverse("levels:compare", kwargs={"slug": PM}), query)

    assert response.status_code == status
    assert message in response.content.decode()


def test_promotion_and_faq_pages(client_signed_in, default_ladder):
    promotion = client_signed_in.get(
        reverse("levels:promotion", kwargs={"slug": PM})
    ).content.decode()
    faq = client_signed_in.get(reverse("levels:faq", kwargs={"slug": PM})).content.decode()

    assert "Consistency" in promotion
    assert "Performing at next level for 6+ months" in promotion
    assert "Not having advocates in leadership" in promotion
    assert "Is CPO a realistic career goal?" in faq


def test_empty_ladder_pages_say_so(client_signed_in):
    ladder = build_ladder(levels=0, tracks=0, aspects=0)

    overview = client_signed_in.get(reverse("levels:ladder", kwargs={"slug": ladder.slug}))
    promotion = client_signed_in.get(reverse("levels:promotion", kwargs={"slug": ladder.slug}))
    faq = client_signed_in.get(reverse("levels:faq", kwargs={"slug": ladder.slug}))

    assert b"This ladder has no levels yet" in overview.content
    assert b"No promotion criteria" in promotion.content
    assert b"No questions have been answered" in faq.content


# Query counts: pages cost the same however large the ladder ---------------------------------


def count_queries(client, url, data=None):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, data)
    assert response.status_code == 200
    return len(queries)


def _urls(ladder):
    levels = list(ladder.levels.all())
    return {
        "overview": (reverse("levels:ladder", kwargs={"slug": ladder.slug}), None),
        "level": (
            reverse("levels:level", kwargs={"slug": ladder.slug, "key": levels[1].key}),
            None,
        ),
        "compare": (
            reverse("levels:compare", kwargs={"slug": ladder.slug}),
            {"levels": f"{levels[0].key},{levels[1].key},{levels[2].key}"},
        ),
        "list": (reverse("levels:ladders"), None),
    }


@pytest.mark.parametrize("page", ["overview", "level", "compare", "list"])
def test_query_count_does_not_grow_with_the_ladder(client_signed_in, page):
    small = _urls(build_ladder(levels=3))[page]
    large = _urls(build_ladder(levels=30, expectations_per_category=6, tracks=3, aspects=6))[page]

    assert count_queries(client_signed_in, *small) == count_queries(client_signed_in, *large)


def test_overview_query_budget(client_signed_in, django_assert_max_num_queries):
    ladder = build_ladder(levels=30)
    # session, user, the user's HR group and employee record (navigation), ladder, levels,
    # tracks, track levels with their levels
    with django_assert_max_num_queries(8):
        client_signed_in.get(reverse("levels:ladder", kwargs={"slug": ladder.slug}))


def test_level_query_budget(client_signed_in, django_assert_max_num_queries):
    ladder = build_ladder(levels=30)
    level = ladder.levels.all()[5]
    # session, user, HR group and employee record (navigation), level with ladder,
    # categories, expectations, aspect values, tracks, track levels with their levels
    with django_assert_max_num_queries(10):
        client_signed_in.get(
            reverse("levels:level", kwargs={"slug": ladder.slug, "key": level.key})
        )


def test_compare_query_budget(client_signed_in, django_assert_max_num_queries):
    ladder = build_ladder(levels=30)
    keys = ",".join(ladder.levels.values_list("key", flat=True)[:3])
    url = reverse("levels:compare", kwargs={"slug": ladder.slug})
    client_signed_in.get(url, {"levels": keys})  # the first visit caches the ladder's structure
    # session, user, HR group and employee record (navigation), ladder, its structure
    # version, the chosen levels' aspect values, aspects
    with django_assert_max_num_queries(8):
        client_signed_in.get(url, {"levels": keys})
