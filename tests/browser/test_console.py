"""The staff console in Chromium: the queues, an order and its actions, claims, the catalog,
design export and erasure, each journey setting up its own data through the API."""

from __future__ import annotations

import re
import time
from datetime import date, timedelta
from typing import Any

import pytest

from infra.local.launcher import RunningStack
from tests.browser.conftest import shoot, sign_in
from tests.browser.test_storefront import PHOTO, delivered_order
from tests.e2e.conftest import call, pay_in_sandbox, place_ring, token_for
from tests.e2e.test_claims_flow import post_form

pytestmark = pytest.mark.browser


def paid_order(stack: RunningStack, customer: str, **customization: str) -> str:
    """An order placed and paid through the API: out of range lands IN_REVIEW, in range
    IN_PRODUCTION."""
    order = place_ring(stack, token_for(stack, customer), customization=customization).json
    pay_in_sandbox(stack, order)
    return str(order["order_id"])


def staff_read(stack: RunningStack, order_id: str) -> dict[str, Any]:
    staff = token_for(stack, "browser-console-check", "staff")
    reply = call(stack, "GET", f"/staff/orders/{order_id}", token=staff)
    assert reply.status == 200, reply.raw
    return dict(reply.json)


def loaded(page: Any) -> None:
    """The table shows its rows: its "Loading …" row (a row too) is gone."""
    page.get_by_role("table").get_by_role("row").nth(1).wait_for()
    page.get_by_text(re.compile(r"^Loading the ")).wait_for(state="hidden")


def find_on_a_page(page: Any, target: Any) -> Any:
    """The target in the table shown, paging on with the API's cursors until it is found."""
    for _ in range(20):
        loaded(page)
        if target.count():
            return target
        page.get_by_role("button", name="Next page").click()
    raise AssertionError(f"not found on any page: {target}")


def find_in_queue(page: Any, order_id: str) -> Any:
    return find_on_a_page(page, page.get_by_role("link", name=order_id, exact=True))


def described(control: Any) -> str:
    """The text of what describes a form control (a FormField's description, error, ...)."""
    ids = (control.get_attribute("aria-describedby") or "").split()
    return " ".join(control.page.locator(f"[id='{i}']").inner_text() for i in ids)


def test_staff_sign_in_to_the_console_and_see_the_review_queue(
    page: Any, web_stack: RunningStack
) -> None:
    order_id = paid_order(web_stack, "browser-queue-customer", color="platinum")

    page.goto("/console/")  # no token in memory: straight to the sign-in page
    page.get_by_role("heading", name="Sign in to the staff console").wait_for()
    assert page.get_by_label("Staff", exact=True).is_checked()
    sign_in(page, "browser-staff-1", app="console", role="Staff")
    page.get_by_role("heading", name="Review queue").wait_for()
    find_in_queue(page, order_id).wait_for()
    shoot(page, "console-review-queue")


def test_a_customer_cannot_reach_the_consoles_data(page: Any, web_stack: RunningStack) -> None:
    sign_in(page, "browser-nosy-customer", app="console", role="Customer")
    page.get_by_text("This account is not staff").wait_for()
    page.get_by_text("This route is for the shop's staff.").wait_for()  # the API's own 403
    assert page.get_by_text("ord_").count() == 0
    shoot(page, "console-customer-refused")


def test_staff_find_an_out_of_range_order_and_accept_it_with_a_surcharge(
    page: Any, web_stack: RunningStack
) -> None:
    order_id = paid_order(web_stack, "browser-console-surcharge", color="emerald green")
    sign_in(page, "browser-designer-2", app="console", role="Staff")
    page.get_by_role("heading", name="Review queue").wait_for()
    find_in_queue(page, order_id).click()

    page.get_by_role("heading", name=order_id).wait_for()
    assert page.get_by_text("Outside the piece's range").is_visible()
    assert page.get_by_text("emerald green").first.is_visible()
    shoot(page, "console-order-in-review")
    page.get_by_role("button", name="Accept with a surcharge").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Surcharge (USD)").fill("25.50")
    dialog.get_by_label("Note for the customer").fill("Emerald green needs a special enamel.")
    shoot(page, "console-surcharge-modal")
    dialog.get_by_role("button", name="Ask for the surcharge").click()
    page.get_by_text("The customer is asked to pay the surcharge").wait_for()
    assert page.get_by_text(re.compile(r"\$25\.50 asked, due")).is_visible()
    # The dollars typed went to the API as integer cents.
    surcharge = staff_read(web_stack, order_id)["review"]["surcharge"]
    assert surcharge["cents"] == 2550
    assert surcharge["note"] == "Emerald green needs a special enamel."


def test_staff_ship_an_order_and_record_its_delivery(page: Any, web_stack: RunningStack) -> None:
    order_id = paid_order(web_stack, "browser-console-ship", style="round", color="silver")
    sign_in(
        page, "browser-workshop", app="console", role="Staff", to="/console/?status=IN_PRODUCTION"
    )
    page.get_by_role("heading", name="In production").wait_for()
    row = page.get_by_role("row").filter(has=find_in_queue(page, order_id))
    assert "working days" in row.inner_text()
    shoot(page, "console-production-queue")
    row.get_by_role("link", name=order_id).click()

    page.get_by_role("button", name="Ship", exact=True).click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Carrier").fill("UPS")
    dialog.get_by_label("Tracking number").fill("1Z999AA10123456784")
    dialog.get_by_role("button", name="Record the shipment").click()
    page.get_by_text("Shipped: the customer is emailed").wait_for()
    assert page.get_by_text("UPS 1Z999AA10123456784").is_visible()

    page.get_by_role("button", name="Record delivery").click()
    page.get_by_role("dialog").get_by_role("button", name="Delivered").click()
    page.get_by_text("Delivered: the claim window is open.").wait_for()
    assert staff_read(web_stack, order_id)["status"] == "DELIVERED"
    shoot(page, "console-order-delivered")


def test_a_delay_date_in_the_past_is_refused_on_its_field(
    page: Any, web_stack: RunningStack
) -> None:
    order_id = paid_order(web_stack, "browser-console-delay", style="round", color="gold")
    sign_in(page, "browser-workshop", app="console", role="Staff", to=f"/console/orders/{order_id}")
    page.get_by_role("button", name="Record a delay").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Reason").fill("The stone setter is out this week.")
    dialog.get_by_label("Expected ship date").fill("2020/01/06")
    dialog.get_by_role("button", name="Record the delay").click()
    problem = dialog.get_by_text("The expected ship date must be a working day after today")
    problem.wait_for()
    shoot(page, "console-delay-422")
    # On the date's field: the FormField's error describes its input (aria-describedby).
    assert "must be a working day after today" in described(
        dialog.get_by_label("Expected ship date")
    )
    assert staff_read(web_stack, order_id)["delay"] is None

    # A working day two weeks ahead on the stack's clock is taken, and the queue says so.
    now = date.fromisoformat(call(web_stack, "GET", "/_local/clock").json["now"][:10])
    expected = now + timedelta(days=14)
    while expected.weekday() >= 5 or (expected.month, expected.day) in {(12, 25), (1, 1)}:
        expected += timedelta(days=1)
    dialog.get_by_label("Expected ship date").fill(expected.strftime("%Y/%m/%d"))
    dialog.get_by_role("button", name="Record the delay").click()
    dialog.wait_for(state="hidden")
    assert staff_read(web_stack, order_id)["delay"]["expected_ship_date"] == expected.isoformat()
    page.goto("/console/?status=IN_PRODUCTION")
    row = page.get_by_role("row").filter(has=find_in_queue(page, order_id))
    assert "Delayed" in row.inner_text()


def submitted_claim_with_a_photo(stack: RunningStack, customer: str) -> tuple[str, str]:
    """A delivered order whose customer filed a claim with a verified photo, and submitted it
    (the storefront's own test drives that part in the browser)."""
    order_id = delivered_order(stack, customer)["order_id"]
    token = token_for(stack, customer)
    claim = call(
        stack,
        "POST",
        f"/orders/{order_id}/claims",
        {"reason": "DAMAGED", "description": "The face arrived scratched."},
        token=token,
    ).json
    base = f"/orders/{order_id}/claims/{claim['claim_id']}"
    photo = PHOTO.read_bytes()
    ticket = call(
        stack,
        "POST",
        f"{base}/evidence",
        {"filename": "scratch.jpg", "content_type": "image/jpeg", "size_bytes": len(photo)},
        token=token,
    ).json
    assert post_form(ticket["url"], ticket["fields"], photo, "image/jpeg") in (200, 204)
    deadline = time.monotonic() + 10
    while call(stack, "GET", base, token=token).json["evidence"][0]["status"] == "PENDING":
        assert time.monotonic() < deadline, "the photo was never verified"
        time.sleep(0.2)
    submitted = call(stack, "POST", f"{base}/submit", token=token)
    assert submitted.json["status"] == "SUBMITTED", submitted.raw
    return str(order_id), str(claim["claim_id"])


def test_staff_see_a_claims_photo_and_approve_a_replacement(
    page: Any, web_stack: RunningStack
) -> None:
    order_id, claim_id = submitted_claim_with_a_photo(web_stack, "browser-console-claimant")
    sign_in(page, "browser-claims-desk", app="console", role="Staff")
    page.get_by_role("link", name="Quality claims").click()
    page.get_by_role("heading", name="Quality claims").wait_for()
    select = find_on_a_page(page, page.get_by_role("radio", name=f"Select claim {claim_id}"))
    select.check()

    photo = page.get_by_role("img", name=re.compile("Photo evidence"))
    photo.wait_for()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=photo.element_handle()
    )
    shoot(page, "console-claim-evidence")
    page.get_by_role("button", name="Approve", exact=True).click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("radio", name=re.compile("Replace")).check()
    dialog.get_by_label("Return carrier").fill("UPS")
    dialog.get_by_label("Shipping cost (USD)").fill("16.00")
    dialog.get_by_role("button", name="Approve").click()
    page.get_by_text("Approved: the order is back in production").wait_for()
    assert page.get_by_text(re.compile(r"UPS RL-.*\$16\.00")).is_visible()
    assert page.get_by_role("img", name=re.compile("Photo evidence")).is_visible()
    shoot(page, "console-claim-approved")

    order = staff_read(web_stack, order_id)
    assert order["status"] == "IN_PRODUCTION"
    resolution = order["claims"][0]["resolution"]
    assert resolution["kind"] == "REPLACE"
    assert resolution["return_label"]["cost_cents"] == 1600


def test_staff_edit_a_products_range_with_the_apis_errors_on_their_fields(
    page: Any, web_stack: RunningStack
) -> None:
    # A product of the test's own: the seeded ones are what the other journeys order.
    staff = token_for(web_stack, "browser-catalog-setup", "staff")
    product = {
        "product_id": "browser-bar-necklace",
        "name": "Bar Necklace",
        "price_cents": 6900,
        "customization": {
            "style": {"options": ["slim", "wide"]},
            "color": {"options": ["silver"]},
            "expression": {"kind": "text", "max_length": 10, "allowed_pattern": "^[A-Za-z ]*$"},
            "fixed": {"structure": "a bar on a chain", "material": "silver", "size": "30 mm"},
        },
    }
    created = call(web_stack, "POST", "/staff/products", product, token=staff)
    assert created.status == 201, created.raw

    sign_in(page, "browser-catalog", app="console", role="Staff")
    page.get_by_role("link", name="Catalog").click()
    page.get_by_role("heading", name="Catalog").wait_for()
    shoot(page, "console-catalog")
    page.get_by_role("link", name="Bar Necklace").click()
    page.get_by_label("Name").wait_for()
    assert page.get_by_label("Price (USD)").input_value() == "69.00"

    page.get_by_label("Price (USD)").fill("74.50")
    page.get_by_label("Color options").fill("silver\nyellow gold")
    page.get_by_label("Engraving max length").fill("14")
    page.get_by_label("Allowed pattern").fill("^[A-Za-z ")  # not a regular expression
    page.get_by_role("button", name="Save changes").click()
    pattern = page.get_by_label("Allowed pattern")
    page.wait_for_function(
        "el => el.getAttribute('aria-invalid') === 'true'", arg=pattern.element_handle()
    )
    assert "not a valid regular expression" in described(pattern)
    shoot(page, "console-product-422")

    pattern.fill("^[A-Za-z &]*$")
    page.get_by_role("button", name="Save changes").click()
    page.get_by_text("Saved Bar Necklace.").wait_for()
    listed = call(web_stack, "GET", "/staff/products?limit=100", token=staff).json["items"]
    saved = next(p for p in listed if p["product_id"] == "browser-bar-necklace")
    assert saved["price_cents"] == 7450
    assert saved["customization"]["color"]["options"] == ["silver", "yellow gold"]
    assert saved["customization"]["expression"] == {
        "kind": "text",
        "max_length": 14,
        "allowed_pattern": "^[A-Za-z &]*$",
    }


def test_the_design_export_lists_agreed_designs_without_personal_data(
    page: Any, web_stack: RunningStack
) -> None:
    delivered_order(web_stack, "browser-console-designs")  # round, silver, engraved "A & J"
    sign_in(page, "browser-designs", app="console", role="Staff")
    page.get_by_role("link", name="Design export").click()
    page.get_by_role("heading", name="Design export").wait_for()
    page.get_by_label("Product id").fill("signet-ring")
    row = page.get_by_role("row").filter(has_text="round").filter(has_text="silver").first
    row.wait_for()
    assert "A & J" not in page.get_by_role("table").inner_text()
    assert page.get_by_text("Ada Lovelace").count() == 0
    shoot(page, "console-design-export")


def test_erasure_asks_for_the_customer_id_before_erasing(
    page: Any, web_stack: RunningStack
) -> None:
    customer = "browser-console-forget-me"
    token = token_for(web_stack, customer)
    order_id = place_ring(web_stack, token).json["order_id"]
    cancelled = call(web_stack, "POST", f"/orders/{order_id}/cancel", token=token)
    assert cancelled.json["status"] == "CANCELLED", cancelled.raw

    sign_in(page, "browser-privacy", app="console", role="Staff")
    page.get_by_role("link", name="Customer erasure").click()
    page.get_by_label("Customer id", exact=True).fill(customer)
    page.get_by_role("button", name="Erase personal data…").click()
    dialog = page.get_by_role("dialog")
    confirm = dialog.get_by_label("Type the customer id to confirm")
    confirm.fill("browser-console-forget")  # not quite it
    dialog.get_by_role("button", name="Erase").click()
    dialog.get_by_text("Type the customer id exactly as above to confirm.").wait_for()
    shoot(page, "console-erasure-confirm")
    assert staff_read(web_stack, order_id)["contact"]["name"] == "Ada Lovelace"

    confirm.fill(customer)
    dialog.get_by_role("button", name="Erase").click()
    page.get_by_role("heading", name=f"Erasure of {customer}").wait_for()
    assert page.get_by_role("link", name=order_id).is_visible()
    assert staff_read(web_stack, order_id)["contact"]["name"] != "Ada Lovelace"
    shoot(page, "console-erasure-done")
