"""The reference storefront in Chromium: a customer's journeys through /shop, each setting up
its own data (through the API where the journey is not the point), found by role and label."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from infra.local.launcher import RunningStack
from tests.browser.conftest import shoot, sign_in
from tests.e2e.conftest import call, pay_in_sandbox, place_ring, token_for

pytestmark = pytest.mark.browser
PHOTO = Path(__file__).resolve().parents[1] / "fixtures" / "evidence" / "photo.jpg"


def fill_contact_and_address(page: Any) -> None:
    page.get_by_label("Name").fill("Grace Hopper")
    page.get_by_label("Email").fill("grace@example.com")
    page.get_by_label("Address line 1").fill("1 Harbor Way")
    page.get_by_label("City").fill("Arlington")
    page.get_by_label("State or region").fill("VA")
    page.get_by_label("Postal code").fill("22201")
    page.get_by_label(re.compile("I accept the terms")).check()


def test_an_out_of_range_order_goes_to_a_designer_and_is_paid_on_the_pay_page(page: Any) -> None:
    sign_in(page, "browser-reviewed")
    page.get_by_role("link", name="Lucky Cat Ring").click()
    page.get_by_label("Size").select_option("7")
    page.get_by_label("Color", exact=True).select_option(
        label="Something else (a designer reviews it)"
    )
    page.get_by_label("Color: describe it").fill("emerald green")
    notice = page.get_by_role("status").filter(has_text="A designer will review")
    assert "This color is not in the piece's range." in notice.inner_text()
    fill_contact_and_address(page)
    shoot(page, "shop-product-out-of-range")
    page.get_by_role("button", name="Place the order").click()

    page.wait_for_url(re.compile(r"/shop/orders/ord_"))
    page.get_by_role("heading", name="Payment", exact=True).wait_for()
    assert page.get_by_text("Pending payment").first.is_visible()
    due = page.locator("section.order time").first.inner_text()
    assert "GMT+1" in due or "CET" in due, f"the deadline is not in the customer's time: {due}"
    shoot(page, "shop-order-pending-payment")

    page.get_by_role("link", name="Pay now").click()
    page.get_by_role("heading", name="Checkout").wait_for()
    shoot(page, "pay-page")
    page.get_by_role("button", name=re.compile(r"^Pay \$")).click()
    page.get_by_role("heading", name="Payment accepted").wait_for()
    page.get_by_role("link", name="Return to the shop").click()

    # Back in the shop with no token in memory: the sign-in round trip is silent.
    page.get_by_text("In review").first.wait_for()
    assert page.get_by_role("heading", name="Designer review").is_visible()
    assert page.get_by_text("This color is not in the piece's range").is_visible()
    shoot(page, "shop-order-in-review")


def test_an_in_range_order_appears_in_my_orders(page: Any) -> None:
    sign_in(page, "browser-in-range")
    page.get_by_role("link", name="Signet Ring").click()
    page.get_by_label("Size").select_option("6")
    page.get_by_label("Style").select_option("round")
    page.get_by_label("Engraving").fill("A & J")
    assert page.get_by_text("Inside this piece's range").is_visible()
    fill_contact_and_address(page)
    page.get_by_role("button", name="Place the order").click()
    page.wait_for_url(re.compile(r"/shop/orders/ord_"))
    page.get_by_role("heading", name="Payment", exact=True).wait_for()
    total = page.get_by_text("$139.00").first  # $129.00 + the $10.00 fee, as the API computed
    assert total.is_visible()

    page.get_by_role("link", name="My orders").click()
    row = page.get_by_role("listitem").filter(has_text="Signet Ring")
    row.wait_for()
    assert "Pending payment" in row.inner_text()
    assert "$139.00" in row.inner_text()
    shoot(page, "shop-my-orders")


def test_an_engraving_that_breaks_the_pattern_is_flagged_while_typing(page: Any) -> None:
    page.goto("/shop/products/signet-ring")
    engraving = page.get_by_label("Engraving")
    engraving.fill("A & J")
    assert engraving.get_attribute("aria-invalid") == "false"
    engraving.fill("A ♥ J")
    assert engraving.get_attribute("aria-invalid") == "true"
    assert page.get_by_text("It uses characters this piece cannot take.").first.is_visible()
    engraving.fill("THIRTEEN CHARS")
    assert page.get_by_text("14 characters; this piece takes 12.").first.is_visible()
    shoot(page, "shop-engraving-flagged")


def delivered_order(stack: RunningStack, customer: str) -> dict[str, Any]:
    """An order already paid, shipped and delivered, through the API (not this test's point)."""
    token = token_for(stack, customer)
    staff = token_for(stack, "browser-staff", "staff")
    order = place_ring(stack, token, customization={"style": "round", "color": "silver"}).json
    pay_in_sandbox(stack, order)
    oid = order["order_id"]
    shipped = call(
        stack,
        "POST",
        f"/staff/orders/{oid}/ship",
        {"carrier": "UPS", "tracking_number": "1ZW"},
        token=staff,
    )
    assert shipped.status == 200, shipped.raw
    now = call(stack, "GET", "/_local/clock").json["now"]
    delivered = call(
        stack, "POST", f"/staff/orders/{oid}/deliver", {"delivered_at": now}, token=staff
    )
    assert delivered.json["status"] == "DELIVERED", delivered.raw
    return dict(order)


def test_a_claim_with_a_photo_uploaded_straight_to_the_presigned_post(
    page: Any, web_stack: RunningStack
) -> None:
    order = delivered_order(web_stack, "browser-claimant")
    sign_in(page, "browser-claimant", to=f"/shop/orders/{order['order_id']}")
    page.get_by_role("heading", name="Report a quality problem").wait_for()
    page.get_by_role("radio", name=re.compile("Damaged")).check()
    page.get_by_label("Describe it").fill("The face arrived scratched.")
    page.get_by_role("button", name="Start the claim").click()

    page.get_by_role("heading", name=re.compile("Quality claim")).wait_for()
    page.get_by_label("Add a photo or video").set_input_files(str(PHOTO))
    page.get_by_text("Verified").wait_for()
    shoot(page, "shop-claim-evidence-verified")
    page.get_by_role("button", name="Submit the claim").click()
    page.get_by_text("Submitted. The workshop reviews it").wait_for()

    claim_id = page.url.rsplit("/", 1)[-1]
    token = token_for(web_stack, "browser-claimant")
    claim = call(web_stack, "GET", f"/orders/{order['order_id']}/claims/{claim_id}", token=token)
    assert claim.json["status"] == "SUBMITTED"
    assert claim.json["evidence"][0]["content_type"] == "image/jpeg"


def test_a_customer_talks_with_the_designer_then_accepts_and_pays_the_surcharge(
    page: Any, web_stack: RunningStack
) -> None:
    customer = token_for(web_stack, "browser-surcharge")
    staff = token_for(web_stack, "browser-designer", "staff")
    order = place_ring(
        web_stack, customer, customization={"style": "oval", "remarks": "A thinner band, please."}
    ).json
    pay_in_sandbox(web_stack, order)
    oid = order["order_id"]
    asked = call(
        web_stack,
        "POST",
        f"/staff/orders/{oid}/review",
        {
            "decision": "SURCHARGE",
            "surcharge_cents": 2500,
            "note": "A thinner band needs a new mold.",
        },
        token=staff,
    )
    assert asked.status == 200, asked.raw

    sign_in(page, "browser-surcharge", to=f"/shop/orders/{oid}")
    page.get_by_text("The designer asks for a surcharge of").wait_for()
    assert "$25.00" in page.get_by_text("The designer asks for a surcharge of").inner_text()
    page.get_by_label("Write a message").fill("Will it still fit a size 7?")
    page.get_by_role("button", name="Send").click()
    page.get_by_role("listitem").filter(has_text="Will it still fit a size 7?").wait_for()
    shoot(page, "shop-order-surcharge")

    page.get_by_role("button", name="Accept and pay the surcharge").click()
    page.get_by_role("heading", name="Checkout").wait_for()
    assert page.get_by_text("$25.00").first.is_visible()
    page.get_by_role("button", name=re.compile(r"^Pay \$")).click()
    page.get_by_role("heading", name="Payment accepted").wait_for()
    page.get_by_role("link", name="Return to the shop").click()
    page.get_by_text("In production").first.wait_for()
    messages = call(web_stack, "GET", f"/orders/{oid}/messages", token=customer).json["items"]
    assert [m["text"] for m in messages] == ["Will it still fit a size 7?"]


def test_a_customer_declines_the_surcharge_and_the_order_is_cancelled_and_refunded(
    page: Any, web_stack: RunningStack
) -> None:
    customer = token_for(web_stack, "browser-declines")
    staff = token_for(web_stack, "browser-designer", "staff")
    order = place_ring(web_stack, customer, customization={"style": "heart"}).json
    pay_in_sandbox(web_stack, order)
    oid = order["order_id"]
    call(
        web_stack,
        "POST",
        f"/staff/orders/{oid}/review",
        {"decision": "SURCHARGE", "surcharge_cents": 4000, "note": "A heart face needs a new die."},
        token=staff,
    )
    sign_in(page, "browser-declines", to=f"/shop/orders/{oid}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Decline (cancel and refund)").click()
    page.get_by_text("refunded $139.00").wait_for()
    assert page.get_by_text("Cancelled").first.is_visible()


def test_a_customer_cancels_an_unpaid_order(page: Any, web_stack: RunningStack) -> None:
    order = place_ring(web_stack, token_for(web_stack, "browser-cancels")).json
    sign_in(page, "browser-cancels", to=f"/shop/orders/{order['order_id']}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Cancel the order").click()
    page.get_by_text("Cancelled").first.wait_for()
    assert page.get_by_role("link", name="Pay now").count() == 0
