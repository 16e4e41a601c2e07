"""axe-core on every screen of the storefront, the console's screens, and the local sign-in and
pay pages: no serious or critical violation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from infra.local.launcher import RunningStack
from infra.local.webapps import WEB_ROOT
from tests.browser.conftest import open_page, sign_in
from tests.browser.test_storefront import delivered_order
from tests.e2e.conftest import call, place_ring, token_for

pytestmark = pytest.mark.browser
AXE = WEB_ROOT / "node_modules" / "axe-core" / "axe.min.js"
# In-app navigation, as a Link click makes it (a full load would sign in again).
GO = "path => { history.pushState(null, '', path); dispatchEvent(new PopStateEvent('popstate')) }"


def serious_violations(page: Any) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result
        if v["impact"] in ("serious", "critical")
    ]


@pytest.fixture
def audited(browser: Any, web_stack: RunningStack, request: pytest.FixtureRequest) -> Iterator[Any]:
    # axe is injected as a script: the test's context bypasses the pages' CSP to do so.
    with open_page(browser, web_stack.base_url, request.node.name, bypass_csp=True) as page:
        yield page


def test_the_storefront_screens_have_no_serious_accessibility_violation(
    audited: Any, web_stack: RunningStack
) -> None:
    page = audited
    order = delivered_order(web_stack, "browser-a11y")
    token = token_for(web_stack, "browser-a11y")
    claim = call(
        web_stack,
        "POST",
        f"/orders/{order['order_id']}/claims",
        {"reason": "DAMAGED", "description": "Scratched."},
        token=token,
    ).json
    pending = place_ring(web_stack, token).json
    found: dict[str, list[str]] = {}

    page.goto("/_local/signin?app=shop&return=/shop/")
    found["sign-in page"] = serious_violations(page)
    sign_in(page, "browser-a11y")
    screens = {
        "catalog": ("/shop/", "Make it yours"),
        "engraving product": ("/shop/products/signet-ring", "Signet Ring"),
        "options product": ("/shop/products/lucky-cat-ring", "Lucky Cat Ring"),
        "my orders": ("/shop/orders", "My orders"),
        "delivered order": (f"/shop/orders/{order['order_id']}", "Report a quality problem"),
        "order to pay": (f"/shop/orders/{pending['order_id']}", "Payment"),
        "claim": (f"/shop/orders/{order['order_id']}/claims/{claim['claim_id']}", "Evidence"),
    }
    for name, (path, heading) in screens.items():
        page.evaluate(GO, path)
        page.get_by_role("heading", name=heading, exact=True).first.wait_for()
        found[name] = serious_violations(page)
    page.goto(pending["checkout"]["url"])
    found["pay page"] = serious_violations(page)

    assert {name: v for name, v in found.items() if v} == {}


def test_the_console_shell_has_no_serious_accessibility_violation(audited: Any) -> None:
    sign_in(audited, "browser-a11y-staff", app="console", role="Staff")
    audited.get_by_role("heading", name="Review queue").wait_for()
    assert serious_violations(audited) == []


def test_the_console_screens_have_no_serious_accessibility_violation(
    audited: Any, web_stack: RunningStack
) -> None:
    page = audited
    order = delivered_order(web_stack, "browser-a11y-console")
    token = token_for(web_stack, "browser-a11y-console")
    call(
        web_stack,
        "POST",
        f"/orders/{order['order_id']}/claims",
        {"reason": "DAMAGED", "description": "Scratched."},
        token=token,
    )
    sign_in(page, "browser-a11y-staff-2", app="console", role="Staff")
    page.get_by_role("heading", name="Review queue").wait_for()
    found: dict[str, list[str]] = {}
    screens = {
        "production queue": ("/console/?status=IN_PRODUCTION", "In production"),
        "delivered order": (f"/console/orders/{order['order_id']}", order["order_id"]),
        "claims": ("/console/claims?status=AWAITING_EVIDENCE", "Quality claims"),
        "catalog": ("/console/catalog", "Catalog"),
        "product": ("/console/catalog/signet-ring", "Signet Ring"),
        "new product": ("/console/catalog/new", "New product"),
        "design export": ("/console/designs", "Design export"),
        "erasure": ("/console/erasure", "Customer erasure"),
    }
    for name, (path, heading) in screens.items():
        page.evaluate(GO, path)
        page.get_by_role("heading", name=heading, exact=True).first.wait_for()
        page.wait_for_load_state("networkidle")
        found[name] = serious_violations(page)
    assert {name: v for name, v in found.items() if v} == {}
