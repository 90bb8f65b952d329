"""HR sorts the team table by readiness with a click, narrows it to who is getting close,
and downloads what the table shows, at desktop width."""

import csv
import io
import pathlib

import pytest
from playwright.sync_api import expect

from .test_browse_ladder import sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_hr_sorts_filters_and_downloads_the_table(page, org, assert_accessible):
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, "hr")
    page.goto("/team/")
    name = page.get_by_role("columnheader", name="Name")
    expect(name).to_have_attribute("aria-sort", "ascending")
    assert_accessible(page)

    page.get_by_role("link", name="Next level").click()
    expect(page.get_by_role("columnheader", name="Next level")).to_have_attribute(
        "aria-sort", "descending"
    )
    expect(page.get_by_role("columnheader", name="Name")).not_to_have_attribute(
        "aria-sort", "ascending"
    )
    expect(page.get_by_label("Sort by")).to_have_value("-next")
    page.get_by_label("Level", exact=True).select_option(label="Product Manager")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("2 people match")).to_be_visible()
    assert_accessible(page)

    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    text = pathlib.Path(download.value.path()).read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    assert [row[0] for row in rows[1:]] == ["Remi Report", "Stan Stranger"]
