"""The staff console's signed-in shell in Chromium: the plumbing its screens will build on."""

from __future__ import annotations

from typing import Any

import pytest

from infra.local.launcher import RunningStack
from tests.browser.conftest import shoot, sign_in
from tests.e2e.conftest import pay_in_sandbox, place_ring, token_for

pytestmark = pytest.mark.browser


def test_staff_sign_in_to_the_console_and_see_the_review_queue(
    page: Any, web_stack: RunningStack
) -> None:
    customer = token_for(web_stack, "browser-queue-customer")
    order = place_ring(web_stack, customer, customization={"color": "platinum"}).json
    pay_in_sandbox(web_stack, order)

    page.goto("/console/")  # no token in memory: straight to the sign-in page
    page.get_by_role("heading", name="Sign in to the staff console").wait_for()
    assert page.get_by_label("Staff", exact=True).is_checked()
    sign_in(page, "browser-staff-1", app="console", role="Staff")
    page.get_by_role("heading", name="Review queue").wait_for()
    page.get_by_role("cell", name=order["order_id"]).wait_for()
    shoot(page, "console-review-queue")


def test_a_customer_cannot_reach_the_consoles_data(page: Any, web_stack: RunningStack) -> None:
    sign_in(page, "browser-nosy-customer", app="console", role="Customer")
    page.get_by_text("This account is not staff").wait_for()
    page.get_by_text("This route is for the shop's staff.").wait_for()  # the API's own 403
    assert page.get_by_text("ord_").count() == 0
    shoot(page, "console-customer-refused")
