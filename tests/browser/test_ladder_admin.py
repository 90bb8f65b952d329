"""HR reshapes the ladder in the admin: renames a level, adds an expectation, reorders two
levels and duplicates the ladder. A PM then finds the change on their own pages.
axe checks the admin pages HR works on as well as the PM's pages.
"""

import re

import pytest
from playwright.sync_api import expect

from levels.models import Expectation, Ladder

from .test_browse_ladder import sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

NEW_EXPECTATION = "Runs a monthly metrics review with engineering and design."


def admin_sign_in(page, username, password="a-long-test-password"):
    page.goto("/admin/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()


def save_and_continue(page, name):
    page.locator("input[name=_continue]").first.click()
    expect(page.locator(".messagelist .success")).to_contain_text(
        f"“{name}” was changed successfully"
    )


def inline_row(group, value):
    """The saved row of an admin inline whose name box was rendered with `value`."""
    return group.locator("tr.form-row:not(.empty-form)").filter(
        has=group.page.locator(f"input[name$='-name'][value='{value}']")
    )


def level_keys(ladder):
    return list(ladder.levels.values_list("key", flat=True))


def level_names(page):
    """The names in the Levels table of a ladder's public page, top to bottom."""
    return page.locator("section[aria-labelledby=levels-heading] tbody th").all_inner_texts()


def expectation_count(ladder):
    return Expectation.objects.filter(level__ladder=ladder).count()


def test_hr_reshapes_the_ladder_and_a_pm_sees_it(page, org, assert_accessible):
    ladder = org.ladder
    pm = ladder.levels.get(key="pm")
    assert org.report.level == pm
    keys = level_keys(ladder)
    assert keys.index("distinguished-pm") + 1 == keys.index("pm-manager")

    admin_sign_in(page, "hr")
    page.goto(f"/admin/levels/ladder/{ladder.pk}/change/")
    levels = page.locator("#levels-group")
    assert_accessible(page)

    # Move PM Manager up, above Distinguished PM: the two position boxes swap.
    manager_position = inline_row(levels, "Product Manager Manager").locator(
        "input[name$='-position']"
    )
    distinguished_position = inline_row(levels, "Distinguished Product Manager").locator(
        "input[name$='-position']"
    )
    expect(manager_position.first).to_have_value("6")
    expect(distinguished_position.first).to_have_value("5")
    levels.get_by_role("button", name="Move Product Manager Manager up").click()
    expect(manager_position.first).to_have_value("5")
    expect(distinguished_position.first).to_have_value("6")
    expect(levels.get_by_role("status")).to_have_text(
        "Product Manager Manager is now 6 of 10. Save to keep the new order."
    )
    expect(levels.get_by_role("button", name="Move Product Manager Manager up")).to_be_focused()

    # Rename the level the PM is at, in the same save.
    inline_row(levels, "Product Manager").locator("input[name$='-name']").first.fill(
        "Product Manager I"
    )
    save_and_continue(page, "Product Management")
    pm.refresh_from_db()
    assert pm.name == "Product Manager I"
    keys = level_keys(ladder)
    assert keys.index("pm-manager") + 1 == keys.index("distinguished-pm")
    expect(inline_row(page.locator("#levels-group"), "Product Manager I")).to_have_count(1)

    # Open the level from its row and add an expectation to it.
    inline_row(page.locator("#levels-group"), "Product Manager I").get_by_role(
        "link", name="Change"
    ).click()
    expect(page).to_have_url(re.compile(rf"/admin/levels/level/{pm.pk}/change/$"))
    assert_accessible(page)
    # Expectations move within their category only: the first of each cannot go up.
    first_of_category = page.evaluate(
        """() => Array.from(document.querySelectorAll(
            "#expectations-group tr.form-row:not(.empty-form)"
        )).map((row, index, rows) => {
            const category = row.querySelector("select[name$='-category']").value;
            const previous = index && rows[index - 1].querySelector("select[name$='-category']");
            return [previous === 0 || !previous || previous.value !== category,
                    row.querySelector(".reorder-buttons button").disabled];
        })"""
    )
    assert len(first_of_category) == 16
    assert all(first == disabled for first, disabled in first_of_category)
    assert sum(first for first, _ in first_of_category) == 3
    positions = dict(pm.expectations.values_list("pk", "position"))
    expectations = page.locator("#expectations-group")
    expectations.get_by_role("button", name="Add another Expectation").click()
    new_row = expectations.locator("tr.form-row.dynamic-expectations:not(.empty-form)").last
    new_row.locator("select[name$='-category']").select_option(label="What's Expected")
    new_row.locator("textarea[name$='-text']").fill(NEW_EXPECTATION)
    save_and_continue(page, "Product Manager I")
    added = Expectation.objects.get(text=NEW_EXPECTATION)
    assert (added.level, added.category.key, added.is_active) == (pm, "expected", True)
    # The new row goes last in its category and no other expectation is touched.
    in_category = pm.expectations.filter(category=added.category).exclude(pk=added.pk)
    assert added.position == max(e.position for e in in_category) + 1
    assert dict(pm.expectations.exclude(pk=added.pk).values_list("pk", "position")) == positions
    saved_texts = expectations.locator("textarea[name$='-text']", has_text=NEW_EXPECTATION)
    expect(saved_texts).to_have_count(1)

    # Duplicate the ladder from its change page.
    counts = (ladder.levels.count(), expectation_count(ladder))
    page.goto(f"/admin/levels/ladder/{ladder.pk}/change/")
    page.get_by_role("link", name="Duplicate").click()
    expect(page.get_by_role("heading", name="Duplicate Product Management")).to_be_visible()
    expect(page.get_by_label("Slug")).to_have_value("product-management-copy")
    expect(page.get_by_label("Name")).to_have_value("Product Management (copy)")
    assert_accessible(page)
    page.get_by_label("Slug").fill("product-management-2026")
    page.get_by_label("Name").fill("Product Management 2026")
    page.get_by_role("button", name="Duplicate").click()
    expect(page.locator(".messagelist .success")).to_have_text(
        "Duplicated Product Management as Product Management 2026 (product-management-2026). "
        "The copy is an independent draft that only HR sees. Edit it, then publish it or "
        "replace Product Management with it."
    )
    copy = Ladder.objects.get(slug="product-management-2026")
    expect(page).to_have_url(re.compile(rf"/admin/levels/ladder/{copy.pk}/change/$"))
    expect(page.locator("#id_name")).to_have_value("Product Management 2026")
    # The copy carries the edits made so far, in rows of its own.
    copy_pm = copy.levels.get(key="pm")
    assert copy_pm.pk != pm.pk
    assert copy_pm.name == "Product Manager I"
    assert copy_pm.expectations.filter(text=NEW_EXPECTATION).count() == 1
    assert level_keys(copy) == level_keys(ladder)
    assert (copy.levels.count(), expectation_count(copy)) == counts
    # The original is as it was.
    ladder.refresh_from_db()
    assert (ladder.slug, ladder.name) == ("product-management", "Product Management")
    assert (ladder.levels.count(), expectation_count(ladder)) == counts
    pm.refresh_from_db()
    assert pm.name == "Product Manager I"
    org.report.refresh_from_db()
    assert org.report.ladder == ladder

    # Renaming the level in the copy leaves the original's level alone.
    inline_row(page.locator("#levels-group"), "Product Manager I").locator(
        "input[name$='-name']"
    ).first.fill("Product Manager (2026)")
    save_and_continue(page, "Product Management 2026")
    copy_pm.refresh_from_db()
    pm.refresh_from_db()
    assert (copy_pm.name, pm.name) == ("Product Manager (2026)", "Product Manager I")
    page.get_by_role("button", name="Log out").click()

    # The PM finds the new name and the new expectation on their own page...
    sign_in(page, "report")
    expect(page).to_have_url(re.compile(r"/me/$"))
    expect(page.get_by_role("link", name="Product Manager I · L4")).to_be_visible()
    expected_now = page.locator("section[aria-labelledby=expected-now]")
    expected_card = expected_now.locator(".card", has_text="What's Expected")
    expect(expected_card.locator("li", has_text=NEW_EXPECTATION)).to_contain_text("No evidence yet")
    expect(expected_now).to_contain_text("Evidence for 0 of 17 expectations")
    assert_accessible(page)

    # ...on their level's page...
    page.get_by_role("link", name="Product Manager I · L4").click()
    expect(page).to_have_url(re.compile(rf"/ladders/{ladder.slug}/levels/pm/$"))
    expect(page.get_by_role("heading", name="Product Manager I", level=1)).to_be_visible()
    expect(page.locator("section[aria-labelledby=cat-expected] li").last).to_have_text(
        NEW_EXPECTATION
    )
    assert_accessible(page)

    # ...and on the ladder's page, with PM Manager now listed before Distinguished PM.
    page.get_by_role("link", name="Product Management").first.click()
    expect(page.get_by_role("heading", name="Product Management", level=1)).to_be_visible()
    names = level_names(page)
    assert names[:3] == [
        "Associate Product Manager",
        "Product Manager I",
        "Senior Product Manager",
    ]
    assert names.index("Product Manager Manager") + 1 == names.index(
        "Distinguished Product Manager"
    )
    assert "Product Manager (2026)" not in names
    assert_accessible(page)

    # The copy is a draft: the PM's list leaves it out until HR publishes it.
    page.get_by_role("link", name="Ladders", exact=True).first.click()
    expect(page.get_by_role("link", name="Product Management", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Product Management 2026")).to_have_count(0)
    assert page.console_errors == []


def test_hr_on_a_phone_edits_the_ladder_without_scrolling_sideways(page, org):
    page.set_viewport_size({"width": 390, "height": 844})
    admin_sign_in(page, "hr")

    page.goto(f"/admin/levels/ladder/{org.ladder.pk}/change/")

    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390
    levels = page.locator("#levels-group")
    # Every box of a row, the last columns too, is within the screen.
    for name in ("name", "position", "is_active"):
        box = levels.locator(f"input[name$='-{name}']:not([type=hidden])").first
        expect(box).to_be_visible()
        bounds = box.bounding_box()
        assert bounds["x"] >= 0, name
        assert bounds["x"] + bounds["width"] <= 390, name
    assert page.console_errors == []


def test_added_rows_can_be_moved_and_removed_before_saving(page, org):
    ladder = org.ladder
    admin_sign_in(page, "hr")
    page.goto(f"/admin/levels/ladder/{ladder.pk}/change/")
    categories = page.locator("#categories-group")
    add = categories.get_by_role("button", name="Add another Category")
    add.click()
    add.click()
    added = categories.locator("tr.form-row.dynamic-categories:not(.has_original)")
    expect(added).to_have_count(2)
    for index, (name, key) in enumerate([("Draft", "draft"), ("Craft", "craft")]):
        added.nth(index).locator("input[name$='-name']").fill(name)
        added.nth(index).locator("input[name$='-key']").fill(key)
    # Craft goes up above Draft and above the last saved category...
    categories.get_by_role("button", name="Move Craft up").click()
    categories.get_by_role("button", name="Move Craft up").click()
    # ...then Draft is dropped before saving.
    draft = added.nth(1)
    expect(draft.locator("input[name$='-name']")).to_have_value("Draft")
    draft.locator(".inline-deletelink").click()
    expect(added).to_have_count(1)

    page.locator("input[name=_continue]").first.click()

    page.wait_for_load_state()
    errors = page.locator(".errorlist, .errornote").all_inner_texts()
    assert errors == []
    expect(page.locator(".messagelist .success")).to_be_visible()
    keys = list(ladder.categories.order_by("position", "id").values_list("key", flat=True))
    assert keys == ["responsibilities", "skills", "craft", "expected"]
    assert not ladder.categories.filter(key="draft").exists()
    assert page.console_errors == []
