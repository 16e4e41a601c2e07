"""The web apps in a real browser: Playwright driving Debian's Chromium (browsers cannot be
downloaded here; `.ci/run` installs the `chromium` package) against a fresh local stack whose
apps are built first (`npm ci` + `vite build` when stale, as `make run` builds them)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.local import webapps
from infra.local.launcher import RunningStack, StackFailed, start_stack

CHROMIUM, CHROMIUM_FLAGS = webapps.CHROMIUM, list(webapps.CHROMIUM_FLAGS)
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"


@pytest.fixture(scope="session")
def web_stack() -> Iterator[RunningStack]:
    try:
        webapps.ensure_built()
    except webapps.WebBuildError as failed:
        pytest.fail(f"the web apps did not build:\n{failed}")
    try:
        running = start_stack(60)
    except StackFailed as failed:
        pytest.fail(str(failed))
    yield running
    try:
        exit_code = running.stop()
    except StackFailed as failed:
        pytest.fail(str(failed))
    assert exit_code == 0, f"the local stack exited with {exit_code}:\n{running.output}"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).is_file():
        pytest.fail(
            f"no Chromium at {CHROMIUM}: apt-get install -y chromium (or set ATELIER_CHROMIUM)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # Playwright gives each launch a fresh, temporary profile (--user-data-dir).
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True
        )
        yield launched
        launched.close()


@contextlib.contextmanager
def open_page(browser: Any, base_url: str, name: str, **options: Any) -> Iterator[Any]:
    """A fresh browser context (no cookie, no token) and its page; a screenshot at the end,
    and a failure if the page threw or broke its Content-Security-Policy."""
    context = browser.new_context(
        base_url=base_url,
        viewport={"width": 1200, "height": 900},
        timezone_id="Europe/Paris",  # the customer's time is not the shop's
        locale="en-US",
        **options,
    )
    context.set_default_timeout(15_000)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.on(
        "console",
        lambda message: (
            errors.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    try:
        yield opened
    finally:
        shoot(opened, re.sub(r"[^A-Za-z0-9_-]+", "-", name) + "-end")
        context.close()
    assert not errors, f"the page reported errors: {errors}"


@pytest.fixture
def page(browser: Any, web_stack: RunningStack, request: pytest.FixtureRequest) -> Iterator[Any]:
    with open_page(browser, web_stack.base_url, request.node.name) as opened:
        yield opened


def shoot(page: Any, name: str) -> None:
    """A named screenshot for a person to look at (tests/browser/screenshots, not committed)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in(
    page: Any, sub: str, *, app: str = "shop", role: str = "Customer", to: str = ""
) -> None:
    """Through the local sign-in page, as a person would: it returns to the app."""
    target = to or f"/{app}/"
    page.goto(f"/_local/signin?app={app}&return={target}")
    page.get_by_label(role, exact=True).check()
    page.get_by_label("User id (the token's sub)").fill(sub)
    page.get_by_label("Email").fill(f"{sub}@example.com")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(rf"/{app}/"))
