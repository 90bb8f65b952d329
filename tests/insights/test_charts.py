"""The server-drawn charts: well-formed SVG, every text escaped, ids of their own, every
figure written as text, round scales, and an empty state instead of an empty picture."""

import re
import xml.etree.ElementTree as ET

import pytest
from django.utils.safestring import SafeString

from insights.charts import NOTHING_TO_DRAW, bars, columns

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = "<script>alert(\"x\")</script> & 'Ops'"
QUARTERS = [f"{2019 + n // 4} Q{n % 4 + 1}" for n in range(30)]


def draw(kind, **kwargs):
    kwargs.setdefault("title", "Headcount")
    kwargs.setdefault("description", "People by level.")
    return kind(**kwargs)


def parse(svg):
    return ET.fromstring(str(svg))


def shown(element):
    """The text a reader sees in a <text>: its own and its spans', not its tooltip."""
    parts = [element.text or ""]
    for child in element:
        if child.tag == f"{SVG}tspan":
            parts.append(child.text or "")
        parts.append(child.tail or "")
    return "".join(parts)


def texts(root, css_class=None):
    return [
        shown(text)
        for text in root.iter(f"{SVG}text")
        if css_class is None or css_class in (text.get("class") or "").split()
    ]


def figures(root):
    return texts(root, "chart-value") + texts(root, "chart-total")


def number(text):
    return int(text.replace(",", ""))


CASES = {
    "grouped": {"categories": ["G1", "G2"], "series": [("IC", [3, 0]), ("Mgmt", [0, 2])]},
    "stacked": {
        "categories": ["G1", "G2"],
        "series": [("IC", [3, 0]), ("Mgmt", [1, 2])],
        "stacked": True,
    },
    "zeros": {"categories": ["G1", "G2"], "series": [("IC", [0, 0]), ("Mgmt", [0, 0])]},
    "one category": {"categories": ["Only"], "series": [("People", [5])]},
    "large": {"categories": ["A", "B"], "series": [("People", [100_000, 3])]},
    "thirty": {"categories": QUARTERS, "series": [("A", list(range(30))), ("B", [7] * 30)]},
    "fractions": {"categories": ["A", "B"], "series": [("Years", [1.5, 0.25])]},
    "empty": {"categories": [], "series": []},
    "hostile": {"categories": [HOSTILE], "series": [(HOSTILE, [1]), ("B", [2])]},
}


@pytest.mark.parametrize("kind", [bars, columns])
@pytest.mark.parametrize("case", CASES)
def test_every_chart_is_well_formed_svg_that_scales_with_the_page(kind, case):
    svg = draw(kind, **CASES[case])
    assert isinstance(svg, SafeString)
    root = parse(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("width") == "100%"
    assert root.get("height") is None  # no fixed height: the viewBox keeps the proportions
    assert re.fullmatch(r"0 0 \d+(\.\d+)? \d+(\.\d+)?", root.get("viewBox"))
    assert root.get("role") == "img"


@pytest.mark.parametrize("kind", [bars, columns])
def test_the_label_points_at_the_charts_own_title_and_description(kind):
    root = parse(draw(kind, title="Headcount", description="By level.", **CASES["grouped"]))
    title_id, desc_id = root.get("aria-labelledby").split()
    assert root.find(f"{SVG}title").get("id") == title_id
    assert root.find(f"{SVG}title").text == "Headcount"
    assert root.find(f"{SVG}desc").get("id") == desc_id
    assert root.find(f"{SVG}desc").text == "By level."


def ids(root):
    return [element.get("id") for element in root.iter() if element.get("id")]


@pytest.mark.parametrize("kind", [bars, columns])
def test_two_charts_on_a_page_share_no_id(kind):
    first = parse(draw(kind, **CASES["grouped"]))
    second = parse(draw(kind, **CASES["grouped"]))
    assert ids(first)  # title, description and the patterns
    assert not set(ids(first)) & set(ids(second))
    assert len(set(ids(first))) == len(ids(first))


@pytest.mark.parametrize("kind", [bars, columns])
def test_every_text_from_the_data_is_escaped(kind):
    svg = draw(kind, title=HOSTILE, description=HOSTILE, unit=HOSTILE, **CASES["hostile"])
    assert "<script" not in svg
    assert "&lt;script&gt;" in svg
    root = parse(svg)  # quotes and ampersands escaped, or this would not parse
    assert root.find(f"{SVG}title").text == HOSTILE
    assert root.find(f"{SVG}desc").text == HOSTILE
    assert HOSTILE in {title.text for title in root.iter(f"{SVG}title")} - {None}
    assert not list(root.iter(f"{SVG}script"))


def test_characters_xml_refuses_are_dropped():
    root = parse(draw(bars, categories=["Ops\x00\x1f team"], series=[("Bell\x07", [1])]))
    assert "Ops team" in texts(root)


@pytest.mark.parametrize("kind", [bars, columns])
def test_every_value_is_written_as_text(kind):
    series = [("IC", [3, 0, 12]), ("Management", [7, 1, 0])]
    root = parse(draw(kind, categories=["G1", "G2", "G3"], series=series))
    assert sorted(figures(root)) == sorted(["3", "0", "12", "7", "1", "0"])


@pytest.mark.parametrize("kind", [bars, columns])
def test_a_stack_writes_its_total_and_the_parts_that_have_room(kind):
    series = [("IC", [40, 0]), ("Management", [30, 5]), ("Other", [20, 0])]
    root = parse(draw(kind, categories=["G1", "G2"], series=series, stacked=True))
    assert texts(root, "chart-total") == ["90", "5"]
    assert {"40", "30", "20"} <= set(texts(root, "chart-value"))
    # A zero part draws no segment and no figure.
    assert len(segments(root)) == 4
    assert "0" not in figures(root)


def test_a_stacked_bar_lists_its_parts_when_a_segment_is_too_narrow_for_its_figure():
    series = [("IC", [100, 50]), ("Management", [1, 40]), ("Acting", [0, 30])]
    root = parse(draw(bars, categories=["G1", "G2"], series=series, stacked=True))
    assert texts(root, "chart-total") == ["101 (100 + 1 + 0)", "120"]
    assert {"50", "40", "30"} <= set(texts(root, "chart-value"))


def segments(root):
    """The bars and their parts: the rectangles that carry a tooltip."""
    return [rect for rect in root.iter(f"{SVG}rect") if rect.find(f"{SVG}title") is not None]


@pytest.mark.parametrize("kind", [bars, columns])
def test_a_stacks_scale_reaches_its_largest_total(kind):
    series = [("IC", [60, 10]), ("Management", [55, 10])]
    root = parse(draw(kind, categories=["G1", "G2"], series=series, stacked=True))
    assert max(number(tick) for tick in texts(root, "chart-scale")) >= 115


def is_round(value):
    """1, 2 or 5 times a power of ten."""
    return value == 0 or re.fullmatch(r"[125]0*", str(value)) is not None


@pytest.mark.parametrize("kind", [bars, columns])
@pytest.mark.parametrize("largest", [1, 7, 13, 99, 100_000, 123_457])
def test_scales_tick_at_round_numbers_up_to_the_largest_value(kind, largest):
    root = parse(draw(kind, categories=["A", "B"], series=[("People", [largest, 1])]))
    ticks = [number(tick) for tick in texts(root, "chart-scale")]
    step = ticks[1] - ticks[0]
    assert ticks[0] == 0
    assert is_round(step)
    assert ticks == [step * n for n in range(len(ticks))]
    assert ticks[-1] >= largest > ticks[-2]
    assert 2 <= len(ticks) <= 8


def test_large_values_are_written_with_thousands_separated():
    root = parse(draw(bars, categories=["A"], series=[("People", [100_000])]))
    assert figures(root) == ["100,000"]
    assert "100,000" in texts(root, "chart-scale")


@pytest.mark.parametrize("kind", [bars, columns])
def test_all_zero_values_draw_a_scale_and_zeros(kind):
    root = parse(draw(kind, **CASES["zeros"]))
    assert figures(root) == ["0"] * 4
    assert [number(tick) for tick in texts(root, "chart-scale")] == [0, 1]


@pytest.mark.parametrize("kind", [bars, columns])
@pytest.mark.parametrize(
    "case", [{"categories": [], "series": []}, {"categories": ["A"], "series": []}]
)
def test_nothing_to_draw_says_so(kind, case):
    root = parse(draw(kind, **case))
    assert texts(root) == [NOTHING_TO_DRAW]
    assert root.get("aria-labelledby")
    assert not list(root.iter(f"{SVG}line"))


@pytest.mark.parametrize("kind", [bars, columns])
def test_series_are_told_apart_by_name_and_pattern_not_colour_alone(kind):
    series = [("IC", [1]), ("Management", [2]), ("Acting", [3])]
    root = parse(draw(kind, categories=["G1"], series=series))
    keys = root.findall(f".//{SVG}g[@class='chart-key']")
    assert [shown(key.find(f"{SVG}text")) for key in keys] == ["IC", "Management", "Acting"]
    fills = [key.find(f"{SVG}rect").get("fill") for key in keys]
    assert len(set(fills)) == 3
    patterns = {pattern.get("id") for pattern in root.iter(f"{SVG}pattern")}
    assert {fill[len("url(#") : -1] for fill in fills[1:]} == patterns
    for pattern in root.iter(f"{SVG}pattern"):
        assert len(pattern) == 2  # a colour and a shape drawn over it


def test_a_single_series_needs_no_legend():
    root = parse(draw(bars, **CASES["one category"]))
    assert not root.findall(f".//{SVG}g[@class='chart-key']")


@pytest.mark.parametrize("kind", [bars, columns])
def test_a_long_label_is_cut_with_an_ellipsis_and_keeps_its_full_text(kind):
    name = "Director of Product Management, Platform and Developer Experience"
    root = parse(draw(kind, categories=[name, "B"], series=[("People", [3, 4])]))
    label = next(text for text in root.iter(f"{SVG}text") if shown(text).endswith("…"))
    assert name.startswith(shown(label)[:-1].rstrip())
    assert label.find(f"{SVG}title").text == name


def test_columns_hold_two_word_labels_on_two_lines():
    quarters = QUARTERS[:8]
    root = parse(draw(columns, categories=quarters, series=[("Promotions", [1] * 8)]))
    labels = [text for text in root.iter(f"{SVG}text") if text.find(f"{SVG}tspan") is not None]
    assert [[span.text for span in label] for label in labels[:2]] == [
        ["2019", "Q1"],
        ["2019", "Q2"],
    ]


@pytest.mark.parametrize("stacked", [False, True])
def test_thirty_categories_of_columns_are_each_wide_enough_for_a_figure(stacked):
    series = [("A", list(range(30))), ("B", [100_000] * 30)]
    root = parse(draw(columns, categories=QUARTERS, series=series, stacked=stacked))
    assert min(float(rect.get("width")) for rect in segments(root)) >= 12
    assert len(figures(root)) >= 30


def test_thirty_categories_of_bars_each_get_a_row_and_a_figure():
    root = parse(draw(bars, **CASES["thirty"]))
    assert len(figures(root)) == 60
    assert len(set(texts(root)) & set(QUARTERS)) == 30


def test_a_tooltip_names_category_series_and_unit():
    root = parse(draw(bars, categories=["G1"], series=[("IC", [1]), ("Mgmt", [2])]))
    tips = [rect.find(f"{SVG}title").text for rect in segments(root)]
    assert tips == ["G1 · IC: 1 person", "G1 · Mgmt: 2 people"]


@pytest.mark.parametrize("kind", [bars, columns])
def test_the_chart_fetches_nothing_and_runs_nothing(kind):
    svg = str(draw(kind, **CASES["stacked"]))
    assert "href" not in svg
    assert "<script" not in svg
    assert "style=" not in svg  # the content security policy refuses inline styles
    assert re.findall(r"https?://[^\"]+", svg) == ["http://www.w3.org/2000/svg"]


@pytest.mark.parametrize("kind", [bars, columns])
def test_a_series_must_have_a_value_per_category(kind):
    with pytest.raises(ValueError, match="2 values for 3 categories"):
        draw(kind, categories=["A", "B", "C"], series=[("IC", [1, 2])])


@pytest.mark.parametrize("kind", [bars, columns])
def test_negative_counts_are_refused(kind):
    with pytest.raises(ValueError, match="negative"):
        draw(kind, categories=["A"], series=[("IC", [-1])])
