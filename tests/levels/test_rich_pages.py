"""Every page that shows ladder text shows it as the Markdown subset of `pmladder.richtext`
and never lets what the text holds run: each ladder text below holds markup and hostile
HTML, and each page must show the markup rendered and the HTML as text. The level page and
the packet also show a level's new parts: category groups and descriptions, and each
expectation's proficiency, examples and links."""

import re
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import reviews
from levels import grouping
from levels.models import Category, Expectation, FAQEntry, PromotionBlocker, Track
from levels.selectors import CategoryGroup
from rounds import selectors as round_selectors
from rounds import services as round_services

from ..factories import make_round

pytestmark = pytest.mark.django_db

PM = "product-management"

# Markdown that must render, and HTML that must only ever show as text.
HOSTILE = (
    "Own **{name}** "
    "<script>alert('{name}')</script> "
    "<img src=x onerror=alert(1)> "
    "<svg onload=alert(1)> "
    "[click](javascript:alert(1)) "
    "[data](data:text/html,<script>alert(1)</script>) "
    '<a href="javascript:alert(2)" onclick="alert(3)">link</a> '
    "&lt;script&gt;"
)


def hostile(name):
    return HOSTILE.format(name=name)


def rendered(name):
    """What `hostile(name)` must look like on a page, in part."""
    return f"Own <strong>{name}</strong> &lt;script&gt;alert('{name}')&lt;/script&gt;"


def assert_safe(html):
    """No script, event attribute or script address in the page's markup (typed HTML shown
    as text, `&lt;a href="javascript:..."&gt;`, is text, not markup)."""
    tags = re.findall(r"<[^<>]*>", html)
    scripts = [tag for tag in tags if re.match(r"<script\b", tag, re.I)]
    assert all(re.search(r'\ssrc="/static/', tag) for tag in scripts), scripts
    assert not [tag for tag in tags if re.search(r"\son\w+\s*=", tag, re.I)]
    assert not [tag for tag in tags if re.search(r"(javascript|data):", tag, re.I)]
    assert not [tag for tag in tags if re.match(r"<(svg onload|img src=x)", tag)]


@pytest.fixture
def texts(org):
    """Hostile ladder texts in every field that accepts the Markdown subset, and the new
    parts of a level on the Senior PM level (the Product Manager's next)."""
    ladder = org.ladder
    ladder.description = hostile("ladder description")
    ladder.proficiency_scale = "Foundation\nPractitioner\nExpert"
    ladder.save()
    Track.objects.filter(ladder=ladder).update(description=hostile("track description"))
    categories = list(Category.objects.filter(ladder=ladder).order_by("position"))
    for category in categories[:2]:
        category.group = "Craft <b>&</b> delivery"
        category.description = hostile(f"about {category.key}")
        category.save()
    for key in ("pm", "senior-pm"):
        level = ladder.levels.get(key=key)
        level.summary = hostile(f"{key} summary")
        level.next_step = hostile(f"{key} next step")
        level.save()
    firsts = {}
    for key in ("pm", "senior-pm"):
        for category in categories:
            expectation = (
                Expectation.objects.filter(level__ladder=ladder, level__key=key, category=category)
                .order_by("position")
                .first()
            )
            if expectation is not None:
                expectation.text = hostile(f"{key} {category.key}")
                expectation.save()
                firsts.setdefault(key, expectation)
    special = firsts["senior-pm"]
    special.proficiency = "Practitioner"
    special.examples = [hostile("example one"), "Example *two*", "Example three"]
    special.links = [
        {"title": "Writing guide", "url": "https://example.com/guide"},
        {"title": "Sneaky", "url": "javascript:alert(1)"},
        {"title": "Data", "url": "data:text/html,<script>alert(1)</script>"},
    ]
    special.save()
    ladder.promotion_criteria.update(description=hostile("criterion"))
    PromotionBlocker.objects.create(ladder=ladder, text=hostile("blocker"), position=99)
    FAQEntry.objects.create(
        ladder=ladder, question="Is this safe?", answer=hostile("answer"), position=99
    )
    cache.clear()  # the ladder's cached structure
    return {"categories": categories, "special": special, "pm_first": firsts["pm"]}


def get(client, user, url):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert_safe(html)
    return html


def test_level_page(client, org, texts):
    html = get(client, org.report.user, reverse("levels:level", args=[PM, "senior-pm"]))

    for name in ("senior-pm summary", "senior-pm next step", f"about {texts['categories'][0].key}"):
        assert rendered(name) in html
    for category in texts["categories"]:
        assert rendered(f"senior-pm {category.key}") in html
    # The new parts of a level.
    assert 'class="h4 category-group-name">Craft &lt;b&gt;&amp;&lt;/b&gt; delivery</h2>' in html
    assert html.count("category-group-name") == 1  # the two categories under one heading
    assert '<span class="badge proficiency-badge">Proficiency: Practitioner</span>' in html
    assert "<summary>Examples (3)</summary>" in html
    assert rendered("example one") in html
    assert "Example <em>two</em>" in html
    assert '<a href="https://example.com/guide" rel="noopener noreferrer">Writing guide</a>' in html
    assert "Sneaky" not in html  # links that are not http(s) are left out
    assert ">Data<" not in html


def test_two_examples_are_listed_open(client, org, texts):
    Expectation.objects.filter(pk=texts["special"].pk).update(examples=["One", "Two"])
    cache.clear()

    html = get(client, org.report.user, reverse("levels:level", args=[PM, "senior-pm"]))

    assert '<span class="expectation-extra-label">Examples</span>' in html
    assert "<summary>Examples" not in html


def test_ladder_pages(client, org, texts):
    ladder_page = get(client, org.report.user, reverse("levels:ladder", args=[PM]))
    assert rendered("ladder description") in ladder_page
    assert rendered("track description") in ladder_page
    assert rendered("pm summary") in ladder_page  # the table of levels

    listing = get(client, org.report.user, reverse("levels:ladders"))
    assert "Own ladder description" in listing  # a plain excerpt
    assert "&lt;script&gt;alert" in listing

    promotion = get(client, org.report.user, reverse("levels:promotion", args=[PM]))
    assert rendered("criterion") in promotion
    assert rendered("blocker") in promotion

    faq = get(client, org.report.user, reverse("levels:faq", args=[PM]))
    assert rendered("answer") in faq


def test_compare_page(client, org, texts):
    url = reverse("levels:compare", args=[PM]) + "?levels=pm,senior-pm"

    html = get(client, org.report.user, url)

    assert rendered("senior-pm summary") in html
    for category in texts["categories"]:
        assert rendered(f"senior-pm {category.key}") in html


@pytest.mark.parametrize("whose", ["me", "person"])
def test_person_pages(client, org, texts, whose):
    if whose == "me":
        user, url = org.report.user, reverse("assessments:me")
    else:
        user, url = org.manager.user, reverse("assessments:person", args=[org.report.pk])

    html = get(client, user, url)

    assert rendered("pm summary") in html
    assert rendered("pm next step") in html
    assert rendered("senior-pm summary") in html  # the next level
    assert rendered(f"pm {texts['pm_first'].category.key}") in html
    assert rendered(f"senior-pm {texts['special'].category.key}") in html  # what is new


def test_packet(client, org, texts):
    url = reverse("assessments:packet", args=[org.report.pk]) + "?level=senior-pm"

    html = get(client, org.manager.user, url)

    assert rendered(f"senior-pm {texts['special'].category.key}") in html
    assert rendered("criterion") in html
    assert rendered("blocker") in html
    assert "Craft &lt;b&gt;&amp;&lt;/b&gt; delivery</h3>" in html
    assert rendered(f"about {texts['categories'][0].key}") in html
    assert "Proficiency: Practitioner" in html
    assert "<summary>Examples (3)</summary>" in html
    assert "https://example.com/guide" in html


def test_review_page(client, org, texts):
    review = reviews.start_review(
        employee=org.report, target_level=texts["special"].level, by=org.manager.user
    )

    html = get(client, org.manager.user, reverse("assessments:review", args=[review.pk]))

    assert rendered(f"senior-pm {texts['special'].category.key}") in html
    # A label's words for screen readers are the plain text.
    assert '<span class="visually-hidden"> for “Own senior-pm' in html


def test_nomination_page(client, org, texts):
    target = round_selectors.targets_for(org.report)[0]
    nomination = round_services.nominate(
        round=make_round(by=org.hr),
        employee=org.report,
        target_level=target.level,
        target_track=target.track,
        cases={c.pk: "A clear case." for c in org.ladder.promotion_criteria.all()},
        by=org.manager.user,
    )

    html = get(client, org.manager.user, reverse("rounds:nomination", args=[nomination.pk]))

    assert rendered(f"senior-pm {texts['special'].category.key}") in html


def test_level_page_queries_do_not_grow_with_examples_and_links(
    client, org, django_assert_max_num_queries
):
    url = reverse("levels:level", args=[PM, "senior-pm"])
    client.force_login(org.report.user)
    cache.clear()
    with CaptureQueriesContext(connection) as plain_level:  # no examples, links, proficiency
        assert client.get(url).status_code == 200
    Expectation.objects.filter(level__key="senior-pm").update(
        examples=["One", "Two", "Three"],
        links=[{"title": "Guide", "url": "https://example.com/"}] * 3,
        proficiency="Expert",
    )
    cache.clear()

    with django_assert_max_num_queries(len(plain_level.captured_queries)):
        html = client.get(url).content.decode()

    count = Expectation.objects.active().filter(level__key="senior-pm").count()
    assert html.count("Proficiency: Expert") == count > 3


def test_categories_of_a_group_are_gathered_at_its_first_category():
    def group(key, name):
        return CategoryGroup(SimpleNamespace(key=key, group=name), [])

    groups = [
        group("a", ""),
        group("b", "Craft"),
        group("c", ""),
        group("d", "People"),
        group("e", "Craft"),
        group("f", " "),
    ]

    sections = grouping.by_group(groups)

    assert [(name, [g.category.key for g in members]) for name, members in sections] == [
        ("", ["a"]),
        ("Craft", ["b", "e"]),
        ("", ["c"]),
        ("People", ["d"]),
        ("", ["f"]),
    ]
