"""A long short name (they may be up to 100 characters) fits its career-path box: wrapped on
two lines, cut short with "…" beyond them, the whole name on hover (`<title>`) and the
level's full name kept for screen readers (`careerpath.name_lines`)."""

import re

import pytest
from django.urls import reverse

from levels import careerpath

from ..factories import build_ladder

pytestmark = pytest.mark.django_db

SIXTY = "Principal Product Manager for Platform and Developer Tooling"  # 60 characters


def test_a_short_name_that_fits_stays_on_one_line():
    assert careerpath.name_lines("Distinguished PM") == ["Distinguished PM"]


def test_a_long_short_name_is_wrapped_on_two_lines_and_cut_short():
    assert len(SIXTY) == 60
    lines = careerpath.name_lines(SIXTY)

    assert len(lines) == 2
    assert all(len(line) <= careerpath.NAME_LINE_CHARS for line in lines)
    assert SIXTY.startswith(lines[0])
    assert lines[1].endswith("…")


def test_a_long_word_is_broken_rather_than_lost():
    lines = careerpath.name_lines("A" * 60)

    assert lines == ["A" * 17, "A" * 16 + "…"]


def test_the_picture_draws_a_long_short_name_in_its_box(client_signed_in):
    ladder = build_ladder(levels=3, tracks=1)
    level = ladder.levels.order_by("position")[1]
    level.short_name = SIXTY
    level.save()

    html = client_signed_in.get(reverse("levels:ladder", args=[ladder.slug])).content.decode()

    node = re.search(rf'<a href="[^"]*/{level.key}/" class="cp-node.*?</a>', html, re.S).group()
    assert f"<title>{SIXTY}</title>" in node  # the whole short name on hover
    assert f'aria-label="{level.name}' in node  # the level's full name for screen readers
    tspans = re.findall(r"<tspan [^>]*>([^<]*)</tspan>", node)
    assert tspans == careerpath.name_lines(SIXTY)
    assert SIXTY not in re.sub(r"<title>.*?</title>", "", node)
    # Both lines and the code stay inside the 56px box.
    box_y = int(re.search(r'<rect x="\d+" y="(\d+)"', node).group(1))
    name_y = int(re.search(r'class="cp-name[^"]*" x="\d+" y="(\d+)"', node).group(1))
    code = re.search(r'class="cp-code" x="\d+" y="(\d+)"', node)
    last_baseline = name_y + 13
    assert box_y < name_y - 12
    if code:
        assert last_baseline < int(code.group(1)) - 10
        assert int(code.group(1)) <= box_y + careerpath.BOX_HEIGHT - 4
    else:
        assert last_baseline <= box_y + careerpath.BOX_HEIGHT - 4
