"""The career-path picture marks where someone is: "You are here" on the signed-in person's
level (ladder pages, /me/), "Remi is here" on the report's page for their managers and HR,
as words in the picture and in its description, never colour alone."""

import re

import pytest
from django.urls import reverse

from levels import careerpath

pytestmark = pytest.mark.django_db


def marked_boxes(content):
    """The accessible names of the boxes tagged in the page's pictures (wide and tall)."""
    return re.findall(r'class="cp-node[^"]*\bcp-here"\s+aria-label="([^"]*)"', content)


def descriptions(content):
    return re.findall(r'<desc id="career-path-here-(?:wide|tall)">([^<]*)</desc>', content)


def level_name(org, key):
    level = org.ladder.levels.get(key=key)
    return f"{level.name} ({level.code})" if level.code else level.name


def page(as_user, user, url):
    response = as_user(user).get(url)
    assert response.status_code == 200
    return response.content.decode()


LADDER_PAGES = [
    lambda org: reverse("levels:ladder", kwargs={"slug": org.ladder.slug}),
    lambda org: reverse("levels:level", kwargs={"slug": org.ladder.slug, "key": "senior-pm"}),
]


@pytest.mark.parametrize("url", LADDER_PAGES, ids=["overview", "level"])
@pytest.mark.parametrize(
    ("role", "key"), [("report", "pm"), ("teammate", "apm"), ("manager", "pm-manager")]
)
def test_ladder_pages_mark_the_viewers_level(org, as_user, url, role, key):
    content = page(as_user, getattr(org, role).user, url(org))

    name = level_name(org, key)
    assert marked_boxes(content) == [f"{name}: You are here"] * 2  # wide and tall
    assert content.count(">You are here</text>") == 2
    assert descriptions(content) == [f"You are here: {name}."] * 2
    assert 'aria-describedby="career-path-here-wide"' in content


@pytest.mark.parametrize("url", LADDER_PAGES, ids=["overview", "level"])
def test_ladder_pages_mark_nobody_for_someone_off_the_ladder(org, as_user, url):
    for user in (org.hr, org.outsider):
        content = page(as_user, user, url(org))
        assert marked_boxes(content) == []
        assert "is here" not in content
        assert "are here" not in content
        assert "aria-describedby" not in content.split('class="career-path"', 1)[1][:300]


def test_me_marks_the_persons_level(org, as_user):
    content = page(as_user, org.report.user, reverse("assessments:me"))

    assert "On the Product Management ladder</h2>" in content
    assert marked_boxes(content) == [f"{level_name(org, 'pm')}: You are here"] * 2
    assert descriptions(content) == [f"You are here: {level_name(org, 'pm')}."] * 2


@pytest.mark.parametrize("role", ["manager", "boss", "hr"])
def test_a_reports_page_marks_where_they_are(org, as_user, role):
    user = org.hr if role == "hr" else getattr(org, role).user
    content = page(as_user, user, org.report.get_absolute_url())

    assert "On the Product Management ladder</h2>" in content
    assert marked_boxes(content) == [f"{level_name(org, 'pm')}: Remi Report is here"] * 2
    assert content.count(">Remi is here</text>") == 2
    assert "You are here" not in content
    assert descriptions(content) == [f"Remi Report is here: {level_name(org, 'pm')}."] * 2


def test_ones_own_page_by_its_address_says_you(org, as_user):
    content = page(as_user, org.report.user, org.report.get_absolute_url())

    assert marked_boxes(content) == [f"{level_name(org, 'pm')}: You are here"] * 2


@pytest.mark.parametrize("role", ["other_manager", "outsider"])
def test_others_never_see_the_page_let_alone_the_mark(org, as_user, role):
    user = org.outsider if role == "outsider" else getattr(org, role).user
    assert as_user(user).get(org.report.get_absolute_url()).status_code == 404


def test_marked_and_current_box_keeps_both(org, as_user):
    url = reverse("levels:level", kwargs={"slug": org.ladder.slug, "key": "pm"})
    content = page(as_user, org.report.user, url)

    assert content.count('class="cp-node cp-current cp-here"') == 2
    assert content.count('aria-current="page"') >= 2


class _Person:
    def __init__(self, pk, ladder_id, level_id, full_name):
        self.pk, self.ladder_id, self.level_id, self.full_name = pk, ladder_id, level_id, full_name


class _Ladder:
    pk = 1


def test_marker_rules():
    me = _Person(1, 1, 10, "Mina Manager")
    report = _Person(2, 1, 11, "Remi Report")
    elsewhere = _Person(3, 2, 20, "Ella Where")
    long_name = _Person(4, 1, 12, "Bartholomewsonius Long")

    assert careerpath.marker(_Ladder, viewer=me) == careerpath.Marker(
        10, "You are here", "You are here"
    )
    assert careerpath.marker(_Ladder, viewer=me, person=me).tag == "You are here"
    assert careerpath.marker(_Ladder, viewer=me, person=report) == careerpath.Marker(
        11, "Remi is here", "Remi Report is here"
    )
    assert careerpath.marker(_Ladder, viewer=None, person=report).tag == "Remi is here"
    assert careerpath.marker(_Ladder, viewer=elsewhere) is None
    assert careerpath.marker(_Ladder, viewer=me, person=elsewhere) is None
    assert careerpath.marker(None, viewer=me) is None
    tag = careerpath.marker(_Ladder, viewer=me, person=long_name).tag
    assert tag == "Bartholomewso… is here"
