"""Sessions in the browser: a token the API no longer takes sends the app back through the
sign-in, which returns at once with a fresh one (as Cognito's managed-login session does)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from infra.local.launcher import RunningStack, start_stack
from tests.browser.conftest import open_page, sign_in
from tests.e2e.conftest import call

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def own_stack(web_stack: RunningStack) -> Iterator[RunningStack]:
    """Its own stack: moving the clock a month would expire the other tests' orders."""
    running = start_stack(60)
    yield running
    assert running.stop() == 0, running.output


def test_an_expired_session_signs_in_again_without_a_form(
    browser: Any, own_stack: RunningStack
) -> None:
    with open_page(browser, own_stack.base_url, "expired-session") as page:
        sign_in(page, "browser-expiring", to="/shop/orders")
        page.get_by_role("heading", name="My orders").wait_for()
        page.get_by_text("No orders yet.").wait_for()

        moved = call(own_stack, "POST", "/_local/clock", {"advance_seconds": 31 * 24 * 3600})
        assert moved.status == 200
        page.get_by_role("link", name="Catalog", exact=True).click()
        page.get_by_role("link", name="My orders").click()

        page.get_by_text("No orders yet.").wait_for()
        assert "local_token" not in page.url  # taken from the fragment, kept in memory only
        assert page.get_by_role("button", name="Sign out browser-expiring@example.com").is_visible()
    assert any("401 on GET /orders: token expired" in line for line in own_stack.lines)
