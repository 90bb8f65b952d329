"""The organisation view's tables are drawn by a template tag (`table_rows`): the same
markup as the template loop it replaced, cell for cell."""

import datetime

from django.template import Context, Template

from insights.figures import Link, Table

# The loop the tag replaced, as `_table.html` had it.
TEMPLATE_LOOP = Template(
    "{% load insights %}{% for row in labelled %}"
    '<tr>{% for column, cell in row %}{% if forloop.first %}<th scope="row" class="fw-normal">'
    '{% if cell.url %}<a href="{{ cell.url }}">{{ cell.text }}</a>{% else %}{{ cell }}{% endif %}'
    '</th>{% else %}<td data-label="{{ column }}">{% if cell.url %}<a href="{{ cell.url }}">'
    '{{ cell.text }}</a>{% elif cell.year %}<span class="text-nowrap">{{ cell|date:"j M Y" }}'
    "</span>{% else %}{{ cell|thousands }}{% endif %}</td>{% endif %}{% endfor %}</tr>\n"
    "{% endfor %}"
)
TAG = Template("{% load insights %}{% table_rows table %}")


def drawn_both_ways(table):
    labelled = [list(zip(table.columns, row, strict=True)) for row in table.rows]
    loop = TEMPLATE_LOOP.render(Context({"labelled": labelled})).strip()
    tag = TAG.render(Context({"table": table})).strip()
    return loop, tag


def test_people_links_dates_numbers_and_text_are_drawn_as_the_template_drew_them():
    table = Table(
        caption="People",
        columns=["Name", "Level <b>", "Since", "Count", "Note", "Manager"],
        rows=[
            [
                Link("Ana <Lovelace> & co", "/people/7/?a=1&b=2"),
                "PM (P2)",
                datetime.date(2024, 3, 5),
                1234,
                'Says "hi" & <waves>',
                Link("O'Brien", "/people/3/"),
            ],
            ["Plain first cell", "", datetime.date(2026, 12, 31), 0, None, ""],
        ],
    )

    loop, tag = drawn_both_ways(table)

    assert tag == loop
    assert "&lt;Lovelace&gt; &amp; co" in tag
    assert '<span class="text-nowrap">5 Mar 2024</span>' in tag
    assert 'data-label="Level &lt;b&gt;"' in tag
    assert '<td data-label="Count">1,234</td>' in tag


def test_a_grouped_figure_and_no_rows():
    grouped = Table(caption="Levels", columns=["Level", "Ready", "Close"], rows=[["PM", 3, 4]])
    loop, tag = drawn_both_ways(grouped)
    assert (
        tag
        == loop
        == (
            '<tr><th scope="row" class="fw-normal">PM</th><td data-label="Ready">3</td>'
            '<td data-label="Close">4</td></tr>'
        )
    )
    assert drawn_both_ways(Table(caption="None", columns=["A"], rows=[])) == ("", "")
