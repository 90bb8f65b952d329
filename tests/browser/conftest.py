"""
Browser tests: the app served by `live_server`, driven in Debian's Chromium by Playwright.

They need the `chromium` package (`apt-get install chromium`); Playwright never downloads
a browser here. Without Chromium they are skipped, except in CI (CI set), where that fails.
"""

import os
import shutil

import pytest
from playwright.sync_api import Error as PlaywrightError

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests
# make between browser steps are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in item.nodeid:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium():
    executable = shutil.which("chromium")
    if executable is None:
        message = "browser tests need Debian's chromium package (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server):
    context = chromium.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = []

    def on_console(message):
        # A form sent back with its errors answers 400, which Chromium also reports.
        if message.type == "error" and "status of 400" not in message.text:
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.console_errors = errors
    yield page
    context.close()


@pytest.fixture
def assert_accessible():
    """Run axe-core on the page; fail on any serious or critical violation."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def check(page):
        # A click that follows a link returns once the new page is committed, before
        # its document is parsed: axe then finds no document. Wait for the page to
        # load, and try once more if a navigation still swapped it under axe.
        page.wait_for_load_state("load")
        try:
            results = axe.run(page)
        except PlaywrightError:
            page.wait_for_load_state("load")
            results = axe.run(page)
        serious = [
            f"{violation['id']} ({violation['impact']}): {violation['help']} — "
            + ", ".join(str(node["target"]) for node in violation["nodes"][:3])
            for violation in results.response["violations"]
            if violation["impact"] in {"serious", "critical"}
        ]
        assert not serious, f"{page.url}:\n" + "\n".join(serious)

    return check
