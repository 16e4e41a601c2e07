"""One order from the first click to a resolved claim, in two browsers: the customer in the
storefront, the workshop in the console, nothing through the API but what the pages call."""

from __future__ import annotations

import re
from typing import Any

import pytest

from infra.local.launcher import RunningStack
from tests.browser.conftest import open_page, sign_in
from tests.browser.test_console import find_in_queue, find_on_a_page, staff_read
from tests.browser.test_storefront import PHOTO, fill_contact_and_address

pytestmark = pytest.mark.browser


def pay_on_the_sandbox_page(shop: Any, role: str, name: str) -> None:
    shop.get_by_role(role, name=name).click()
    shop.get_by_role("heading", name="Checkout").wait_for()
    shop.get_by_role("button", name=re.compile(r"^Pay \$")).click()
    shop.get_by_role("heading", name="Payment accepted").wait_for()
    shop.get_by_role("link", name="Return to the shop").click()


def test_an_order_from_the_first_click_to_an_approved_claim(
    browser: Any, web_stack: RunningStack
) -> None:
    base = web_stack.base_url
    with (
        open_page(browser, base, "journey-customer") as shop,
        open_page(browser, base, "journey-staff") as console,
    ):
        # The customer orders a piece outside its range and pays on the sandbox page.
        sign_in(shop, "journey-customer")
        shop.get_by_role("link", name="Lucky Cat Ring").click()
        shop.get_by_label("Size").select_option("7")
        shop.get_by_label("Color", exact=True).select_option(
            label="Something else (a designer reviews it)"
        )
        shop.get_by_label("Color: describe it").fill("midnight blue")
        fill_contact_and_address(shop)
        shop.get_by_role("button", name="Place the order").click()
        shop.wait_for_url(re.compile(r"/shop/orders/ord_"))
        order_id = re.search(r"ord_[0-9A-Z]+", shop.url).group(0)  # type: ignore[union-attr]
        pay_on_the_sandbox_page(shop, "link", "Pay now")
        shop.get_by_text("In review").first.wait_for()

        # The workshop finds it in the review queue and asks for a surcharge.
        sign_in(console, "journey-designer", app="console", role="Staff")
        console.get_by_role("heading", name="Review queue").wait_for()
        find_in_queue(console, order_id).click()
        console.get_by_role("heading", name=order_id).wait_for()
        console.get_by_role("button", name="Accept with a surcharge").click()
        dialog = console.get_by_role("dialog")
        dialog.get_by_label("Surcharge (USD)").fill("18")
        dialog.get_by_label("Note for the customer").fill("Midnight blue needs a custom enamel.")
        dialog.get_by_role("button", name="Ask for the surcharge").click()
        console.get_by_text("The customer is asked to pay the surcharge").wait_for()

        # The customer sees it, accepts and pays it: production starts.
        shop.reload()
        shop.get_by_text("The designer asks for a surcharge of").wait_for()
        pay_on_the_sandbox_page(shop, "button", "Accept and pay the surcharge")
        shop.get_by_text("In production").first.wait_for()

        # The workshop ships and records the delivery.
        console.reload()
        console.get_by_role("button", name="Ship", exact=True).click()
        dialog = console.get_by_role("dialog")
        dialog.get_by_label("Carrier").fill("UPS")
        dialog.get_by_label("Tracking number").fill("1Z999AA10123456784")
        dialog.get_by_role("button", name="Record the shipment").click()
        console.get_by_text("Shipped: the customer is emailed").wait_for()
        console.get_by_role("button", name="Record delivery").click()
        console.get_by_role("dialog").get_by_role("button", name="Delivered").click()
        console.get_by_text("Delivered: the claim window is open.").wait_for()

        # The customer files a claim with a real photo, uploaded straight to S3, and submits it.
        shop.reload()
        shop.get_by_role("heading", name="Report a quality problem").wait_for()
        shop.get_by_role("radio", name=re.compile("Damaged")).check()
        shop.get_by_label("Describe it").fill("The cat's ear arrived bent.")
        shop.get_by_role("button", name="Start the claim").click()
        shop.get_by_label("Add a photo or video").set_input_files(str(PHOTO))
        shop.get_by_text("Verified").wait_for()
        shop.get_by_role("button", name="Submit the claim").click()
        shop.get_by_text("Submitted. The workshop reviews it").wait_for()
        claim_id = staff_read(web_stack, order_id)["claims"][0]["claim_id"]

        # The workshop sees the photo and approves a remake.
        console.get_by_role("link", name="Quality claims").click()
        console.get_by_role("heading", name="Quality claims").wait_for()
        find_on_a_page(
            console, console.get_by_role("radio", name=f"Select claim {claim_id}")
        ).check()
        photo = console.get_by_role("img", name=re.compile("Photo evidence"))
        photo.wait_for()
        console.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=photo.element_handle()
        )
        console.get_by_role("button", name="Approve", exact=True).click()
        dialog = console.get_by_role("dialog")
        dialog.get_by_role("radio", name=re.compile("Remake")).check()
        dialog.get_by_label("Return carrier").fill("USPS")
        dialog.get_by_role("button", name="Approve").click()
        console.get_by_text("Approved: the order is back in production").wait_for()

    order = staff_read(web_stack, order_id)
    assert order["status"] == "IN_PRODUCTION"
    assert order["review"]["surcharge"]["cents"] == 1800
    assert order["claims"][0]["resolution"]["kind"] == "REMAKE"
    # The piece, the fee and the surcharge, each paid once in the browser; nothing refunded.
    assert order["amounts"]["paid_cents"] == 8900 + 1000 + 1800
    assert order["amounts"]["refunded_cents"] == 0
