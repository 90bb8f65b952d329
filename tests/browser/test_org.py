"""HR narrows the organisation view to one manager's part of the tree and downloads it as
CSV; the page reads on a desktop and on a phone."""

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from ..conftest import place
from .test_browse_ladder import sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_hr_narrows_the_org_view_to_a_subtree_and_downloads_it(page, org, assert_accessible):
    place(org.ladder, "tariq", "Tariq Quill", "apm", manager=org.other_manager)

    sign_in(page, "hr")
    page.goto("/org/")
    expect(page.get_by_role("heading", name="The whole organisation")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Headcount"))).to_be_visible()
    assert_accessible(page)

    page.get_by_text("Filters:").click()
    page.get_by_label("Below manager").fill(org.manager.email)
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"manager="))
    expect(page.get_by_role("heading", name="Below Mina Manager")).to_be_visible()
    assert_accessible(page)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download everyone in this view as CSV").click()
    download = download_info.value
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    names = {row[next(iter(row))] for row in rows}
    assert names == {"Remi Report", "Tea Mate"}  # Mina's reports; nobody from Otto's team

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(page.get_by_role("heading", name="Below Mina Manager")).to_be_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert_accessible(page)
    assert page.console_errors == []
