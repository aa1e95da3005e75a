"""Headless Chromium (Debian's package) driven by Playwright; launch options and the virtual authenticator are in
tests/support/browser.py."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from tests.support.browser import ARGS, CHROMIUM

# Playwright's sync API keeps an event loop running on the test thread, which trips Django's guard against
# ORM calls from async code. The test's ORM calls are synchronous; this is Playwright's documented setup.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not shutil.which("chromium"):
        pytest.exit("Chromium is missing: apt-get install -y chromium (make test installs it when run as root)", 3)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()
