"""The ladder pages draw what they repeat per level or per expectation in Python
(`levels/templatetags/ladder_pages.py`), link levels through one reversed address
(`views.level_urls`) and compare levels through the ladder's cached structure. These tests
hold them to the markup of the template loops they replaced, kept here as they were, byte
for byte, on a ladder whose names need escaping; and pin each page's queries, the same for
a small and a larger ladder."""

import pytest
from django.core.cache import cache
from django.template import Context, Template
from django.template.loader import get_template
from django.urls import reverse
from django.utils.html import escape

from levels import compare, selectors, views
from levels.models import Category, Expectation, Level, Track
from levels.structure import ladder_structure

from ..factories import build_ladder

pytestmark = pytest.mark.django_db

# The template code the tags replaced --------------------------------------------------------

OLD_CAREER_PATH = """
{% for picture, variant in career_paths %}
<div class="career-path-scroll career-path-{{ variant }}">
  <svg class="career-path" viewBox="0 0 {{ picture.width }} {{ picture.height }}" width="{{ picture.width }}" height="{{ picture.height }}"
       role="group" aria-labelledby="career-path-title-{{ variant }}" xmlns="http://www.w3.org/2000/svg">
    <title id="career-path-title-{{ variant }}">Career paths of the {{ ladder.name }} ladder</title>
    {% for edge in picture.edges %}<path class="cp-edge" d="{{ edge }}" fill="none"/>{% endfor %}
    {% for label in picture.labels %}<text class="cp-track" x="{{ label.x }}" y="{{ label.y }}">{{ label.text }}</text>{% endfor %}
    {% for node in picture.nodes %}
    <a href="{% url 'levels:level' ladder.slug node.level.key %}" class="cp-node{% if node.current %} cp-current{% endif %}"
       {% if node.current %}aria-current="page"{% endif %} aria-label="{{ node.level.name }}{% if node.level.code %} ({{ node.level.code }}){% endif %}">
      <rect x="{{ node.x }}" y="{{ node.y }}" width="{{ picture.box_width }}" height="{{ picture.box_height }}" rx="8"/>
      <text class="cp-name" x="{{ node.cx }}" y="{{ node.text_y }}" text-anchor="middle">{{ node.level.short_name }}</text>
      {% if node.level.code %}<text class="cp-code" x="{{ node.cx }}" y="{{ node.code_y }}" text-anchor="middle">{{ node.level.code }}</text>{% endif %}
    </a>
    {% endfor %}
  </svg>
</div>
{% endfor %}
"""  # noqa: E501

OLD_TRACK_LEVELS = """{% for level in levels %}<li><a href="{% url 'levels:level' ladder.slug level.key %}">{{ level.short_name }}</a></li>{% endfor %}"""  # noqa: E501

OLD_LEVEL_ROWS = """
        {% for level in levels %}
        <tr>
          <td class="text-nowrap">{{ level.code|default:"—" }}</td>
          <th scope="row"><a href="{% url 'levels:level' ladder.slug level.key %}">{{ level.name }}</a></th>
          <td>{% for track in level.on_tracks %}<span class="badge text-bg-light border me-1">{{ track.name }}</span>{% empty %}—{% endfor %}</td>
          <td class="d-none d-md-table-cell small">{{ level.summary }}</td>
        </tr>
        {% endfor %}
"""  # noqa: E501

OLD_OPTIONS = """
      {% for level in all_levels %}
      <option value="{{ level.key }}"{% if level.key == picker.value %} selected{% endif %}>{{ level.name }}{% if level.code %} ({{ level.code }}){% endif %}</option>
      {% endfor %}
"""  # noqa: E501

OLD_DROPPED = """{% if change.dropped %}
<details class="dropped mt-2">
  <summary class="small">{{ change.dropped|length }} from {{ change.previous.short_name }} not repeated here</summary>
  <ul class="compare-list small mt-1">{% for text in change.dropped %}<li class="item-dropped">{{ text }}</li>{% endfor %}</ul>
</details>
{% endif %}
"""  # noqa: E501

OLD_TABLE_CELL = (
    """
        <ul class="compare-list">
          {% for item in change.items %}
          <li class="item-{{ item.status }}">
            {% if item.status == "new" %}<span class="badge badge-new">New</span>{% elif item.status == "changed" %}<span class="badge badge-changed">Changed</span>{% endif %}
            {{ item.text }}
            {% if item.was %}<div class="small text-body-secondary">was: {{ item.was }}</div>{% endif %}
          </li>
          {% empty %}
          <li class="text-body-secondary">Nothing listed</li>
          {% endfor %}
        </ul>
        """  # noqa: E501
    + OLD_DROPPED
    + """
      """
)

OLD_CARD = (
    """
      <ul class="compare-list small">
        {% for item in change.items %}
        <li>{% if item.status == "new" %}<span class="badge badge-new">New</span>{% elif item.status == "changed" %}<span class="badge badge-changed">Changed</span>{% endif %}
          {{ item.text }}{% if item.was %}<div class="text-body-secondary">was: {{ item.was }}</div>{% endif %}</li>
        {% empty %}<li class="text-body-secondary">Nothing listed</li>
        {% endfor %}
      </ul>
      """  # noqa: E501
    + OLD_DROPPED
    + """
      """
)

# What replaced them.
NEW_TRACK_LEVELS = "{% load ladder_pages %}{% level_links levels %}"
NEW_LEVEL_ROWS = "{% load ladder_pages %}\n        {% level_rows levels %}\n"
NEW_OPTIONS = "{% load ladder_pages %}\n      {% level_options all_levels picker.value %}\n"
NEW_TABLE_CELL = """{% load ladder_pages %}
        <ul class="compare-list">
          {% compared_items change.items "table" %}
        </ul>
        {% dropped_items change %}

      """
NEW_CARD = """{% load ladder_pages %}
      <ul class="compare-list small">
        {% compared_items change.items "cards" %}
      </ul>
      {% dropped_items change %}

      """


def render(source, **context):
    return Template(source).render(Context(context))


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def ladder():
    """Four levels on two tracks and one on none; names that need escaping, a level with
    no code."""
    ladder = build_ladder(levels=4, tracks=2)
    ladder.name = 'R&D <"Product">'
    ladder.save()
    levels = list(ladder.levels.all())
    levels[1].name, levels[1].short_name, levels[1].code = "Lead <PM> & co", "Lead's", ""
    levels[1].save()
    levels[2].code = "L<3>"
    levels[2].save()
    Level.objects.create(ladder=ladder, key="apart", name="Apart", short_name="Apart", position=9)
    Track.objects.filter(ladder=ladder).update(name="Track & <field>")
    return ladder


# Markup: byte for byte as the loops wrote it ------------------------------------------------


@pytest.mark.parametrize("current", [None, 0, 1, 3])
def test_career_path_is_drawn_as_the_template_loop_drew_it(ladder, current):
    paths = selectors.track_paths(ladder)
    views._link(ladder, *(path.levels for path in paths))
    level = None if current is None else ladder.levels.all()[current]
    context = {"ladder": ladder, "career_paths": views._career_paths(paths, current=level)}

    drawn = get_template("levels/_career_path.html").render(context)

    assert drawn.count('class="cp-node') == 2 * 4  # wide and tall, a box per level on a track
    assert drawn.count("cp-current") == (0 if current is None else 2)
    assert "Lead &lt;PM&gt; &amp; co" in drawn
    assert drawn == render(OLD_CAREER_PATH, **context)


def test_overview_track_lists_and_table_are_written_as_before(ladder):
    overview = selectors.ladder_overview(ladder.slug)
    views._link(ladder, overview.levels, *(path.levels for path in overview.paths))

    for path in overview.paths:
        links = render(NEW_TRACK_LEVELS, levels=path.levels)
        assert links.count("<li>") == len(path.levels) > 0
        assert links == render(OLD_TRACK_LEVELS, ladder=ladder, levels=path.levels)
    rows = render(NEW_LEVEL_ROWS, levels=overview.levels)
    assert rows.count("<tr>") == 5
    assert "<td>—</td>" in rows  # the level on no track
    assert '<td class="text-nowrap">—</td>' in rows  # the level with no code
    assert rows == render(OLD_LEVEL_ROWS, ladder=ladder, levels=overview.levels)


@pytest.mark.parametrize("value", ["", "apart", "nope"])
def test_level_options_are_written_as_before(ladder, value):
    all_levels = list(ladder.levels.active())
    picker = {"value": value}

    options = render(NEW_OPTIONS, all_levels=all_levels, picker=picker)

    assert options.count("<option") == 5
    assert options.count(" selected") == (1 if value == "apart" else 0)
    assert options == render(OLD_OPTIONS, all_levels=all_levels, picker=picker)


def test_compared_items_are_written_as_before(ladder):
    first, second = ladder.levels.all()[:2]
    category = Category.objects.create(ladder=ladder, key="craft", name="Craft", position=9)
    texts = {
        first: ["Writes <specs> & plans", "Runs reviews", "Reads the room"],
        second: ["Writes <specs> & plans", "Runs the reviews well", "Sets the strategy"],
    }
    Expectation.objects.bulk_create(
        Expectation(level=level, category=category, text=text, position=n)
        for level, level_texts in texts.items()
        for n, text in enumerate(level_texts)
    )
    Category.objects.create(ladder=ladder, key="none", name="Nothing", position=10)
    structure = ladder_structure(ladder)
    before, after = structure.with_expectations([first, second])
    changes = compare.compare_levels(structure.categories, None, before) + (
        compare.compare_levels(structure.categories, before, after)
    )
    statuses = {item.status for change in changes for item in change.items}
    assert statuses == {"same", "changed", "new"}
    assert any(change.dropped for change in changes)
    assert any(not change.items for change in changes)

    for change in changes:
        assert render(NEW_TABLE_CELL, change=change) == render(OLD_TABLE_CELL, change=change)
        assert render(NEW_CARD, change=change) == render(OLD_CARD, change=change)


# The pages: rows, links and numbers ---------------------------------------------------------


def test_overview_links_every_level_and_draws_plain_numbers(client_signed_in, ladder):
    response = client_signed_in.get(reverse("levels:ladder", kwargs={"slug": ladder.slug}))

    content = response.content.decode()
    for level in ladder.levels.all():
        url = reverse("levels:level", kwargs={"slug": ladder.slug, "key": level.key})
        assert f'<th scope="row"><a href="{url}">{escape(level.name)}</a></th>' in content
    wide = response.context["career_paths"][0][0]
    assert f'viewBox="0 0 {wide.width} {wide.height}"' in content
    first = wide.nodes[0]
    assert f'<rect x="{first.x}" y="{first.y}" width="150" height="56" rx="8"/>' in content


def test_level_page_links_its_neighbours(client_signed_in, ladder):
    levels = list(ladder.levels.all())
    url = reverse("levels:level", kwargs={"slug": ladder.slug, "key": levels[1].key})

    content = client_signed_in.get(url).content.decode()

    after = reverse("levels:level", kwargs={"slug": ladder.slug, "key": levels[2].key})
    before = reverse("levels:level", kwargs={"slug": ladder.slug, "key": levels[0].key})
    assert f'<a href="{after}">{levels[2].name}</a>' in content
    assert f'Level before: <a href="{before}">{levels[0].name}</a>' in content
    assert f'<a href="{url}" class="cp-node cp-current"' in content


def test_level_urls_are_the_reversed_addresses(ladder):
    url = views.level_urls(ladder)

    for level in ladder.levels.all():
        assert url(level.key) == level.get_absolute_url()


def test_compare_page_shows_a_change_to_the_ladder_at_once(client_signed_in, ladder):
    first, second = ladder.levels.all()[:2]
    url = reverse("levels:compare", kwargs={"slug": ladder.slug})
    query = {"levels": f"{first.key},{second.key}"}
    client_signed_in.get(url, query)  # kept in the cache
    Expectation.objects.filter(level=second).update(text="Something else entirely")

    response = client_signed_in.get(url, query)

    items = [item for change in response.context["columns"][1]["changes"] for item in change.items]
    assert items
    assert {item.text for item in items} == {"Something else entirely"}
    assert {item.status for item in items} == {"new"}
    assert f'<option value="{second.key}" selected>' in response.content.decode()


# Comparing large categories (the measure itself: test_compare_scale.py) ----------------------


def test_diff_of_large_categories_pairs_each_text_with_its_twin():
    before = [f"Big {n} of level ten" for n in range(200)]
    after = [f"Big {n} of level eleven" for n in range(200)]

    items, dropped = compare.diff_texts(before, after)

    assert [item.was for item in items] == before
    assert dropped == []


# Queries: the same for a small and a larger ladder ------------------------------------------

# Every page: session, user, the user's HR group and employee record (navigation).
NAVIGATION = 4
QUERIES = {
    # ladders with their counts of levels and tracks
    "ladders": NAVIGATION + 1,
    # ladder, levels, tracks, track levels with their levels
    "overview": NAVIGATION + 4,
    # level with its ladder, categories, expectations, aspect values, tracks, track levels
    "level": NAVIGATION + 6,
    # ladder, its structure version (the structure itself from the cache)
    "compare, nothing chosen": NAVIGATION + 2,
    # ladder, its structure version, the chosen levels' aspect values, aspects
    "compare, three levels": NAVIGATION + 4,
    # ladder, criteria, blockers
    "promotion": NAVIGATION + 3,
    # ladder, questions
    "faq": NAVIGATION + 2,
}


def _pages(ladder):
    slug = {"slug": ladder.slug}
    keys = list(ladder.levels.values_list("key", flat=True))
    return {
        "ladders": (reverse("levels:ladders"), None),
        "overview": (reverse("levels:ladder", kwargs=slug), None),
        "level": (reverse("levels:level", kwargs={**slug, "key": keys[1]}), None),
        "compare, nothing chosen": (reverse("levels:compare", kwargs=slug), None),
        "compare, three levels": (
            reverse("levels:compare", kwargs=slug),
            {"levels": ",".join(keys[:3])},
        ),
        "promotion": (reverse("levels:promotion", kwargs=slug), None),
        "faq": (reverse("levels:faq", kwargs=slug), None),
    }


@pytest.mark.parametrize("page", QUERIES)
def test_queries_are_the_same_for_a_small_and_a_larger_ladder(
    client_signed_in, django_assert_num_queries, page
):
    small = build_ladder(levels=3)
    larger = build_ladder(levels=40, expectations_per_category=8, tracks=4, aspects=6)

    for ladder in (small, larger):
        url, query = _pages(ladder)[page]
        assert client_signed_in.get(url, query).status_code == 200  # fills the cache
        with django_assert_num_queries(QUERIES[page]):
            client_signed_in.get(url, query)
