"""Who may do what, generated from the route table (docs/reliability.md, part 2).

Every route `template.yaml` declares is called by {anonymous, customer A, customer B, staff}
against {A's objects, B's objects} (and, where a route names both an order and a claim, one
customer's order with the other's claim). The expected answer comes from POLICY below, keyed by
the route; a route without an entry fails the suite, so a new route cannot go unchecked.

Two kinds of finding, both must stay at zero:
- a wrong status: a refusal (401/403/404) answered with anything else, or an allowed call
  answered with a status the policy does not allow;
- a leak: a response to a customer that carries the other customer's data, staff-only data or
  storage internals (keys, index attributes, key prefixes).

The figures are printed (`-s`) and quoted in docs/reliability.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from atelier.adapters.stripe_signature import sign_payload
from infra.local.inprocess import Reply, read_template
from infra.local.template import Route, StackModel
from tests.factories import charm, order_body, ring, stripe_session_event
from tests.integration.conftest import WEBHOOK_SECRET, Api

PUBLIC, CUSTOMER, STAFF, EXCLUDED = "public", "customer", "staff", "excluded"

# Path parameters that name a customer or something a customer owns: each is filled with A's
# and with B's. Any other parameter (product_id) names a catalog entry, the same for everyone.
OWNED_PARAMETERS = ("{order_id}", "{customer_id}", "{claim_id}")
STAFF_SUB = "designer-1"


@dataclass(frozen=True)
class Ctx:
    """What a request body may depend on."""

    today: date


def working_day_after(today: date, days: int) -> str:
    day = today + timedelta(days=days)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day.isoformat()


Body = Any | Callable[[Ctx], Any]


@dataclass(frozen=True)
class Policy:
    kind: str  # PUBLIC, CUSTOMER, STAFF or EXCLUDED
    body: Body = None  # a valid body, so that a refusal is about access, never about input
    query: str = ""
    why: str = ""  # EXCLUDED only: why the matrix leaves the route out
    describes_the_api: bool = False  # the OpenAPI document names every field, by design

    def body_for(self, ctx: Ctx) -> Any:
        return self.body(ctx) if callable(self.body) else self.body


# The policy, one entry per route of template.yaml. Meaning of each kind:
# - PUBLIC: no authorizer; 2xx for everyone.
# - CUSTOMER: 401 anonymous; the owner gets 2xx or a 4xx other than 401/403/404 (a state
#   conflict, say); the other customer gets 404, exactly as for an id that does not exist;
#   a staff token is a customer who owns nothing: 404 on objects, 2xx on the route itself.
# - STAFF: 401 anonymous; 403 for every customer, before the body is read; staff get 2xx, 409
#   (the object's state forbids it) or 422 (the rule refuses it), never 404 on a real object.
POLICY: dict[str, Policy] = {
    "GET /products": Policy(PUBLIC),
    "GET /products/{product_id}": Policy(PUBLIC),
    "GET /terms": Policy(PUBLIC),
    "GET /openapi.json": Policy(PUBLIC, describes_the_api=True),
    "POST /orders": Policy(CUSTOMER, body=order_body()),
    "GET /orders": Policy(CUSTOMER),
    "GET /orders/{order_id}": Policy(CUSTOMER),
    "POST /orders/{order_id}/cancel": Policy(CUSTOMER),
    "POST /orders/{order_id}/checkout": Policy(CUSTOMER),
    "GET /orders/{order_id}/messages": Policy(CUSTOMER),
    "POST /orders/{order_id}/messages": Policy(CUSTOMER, body={"text": "Is it ready yet?"}),
    "POST /orders/{order_id}/surcharge/accept": Policy(CUSTOMER),
    "POST /orders/{order_id}/surcharge/decline": Policy(CUSTOMER),
    "POST /orders/{order_id}/claims": Policy(
        CUSTOMER, body={"reason": "DEFECTIVE", "description": "The clasp is loose."}
    ),
    "GET /orders/{order_id}/claims/{claim_id}": Policy(CUSTOMER),
    "POST /orders/{order_id}/claims/{claim_id}/evidence": Policy(
        CUSTOMER, body={"filename": "clasp.jpg", "content_type": "image/jpeg", "size_bytes": 2048}
    ),
    "POST /orders/{order_id}/claims/{claim_id}/submit": Policy(CUSTOMER),
    "POST /webhooks/payments": Policy(
        EXCLUDED,
        why="no JWT: the payment provider signs each request (Stripe-Signature); its "
        "refusals are tested in test_payment_webhook.py",
    ),
    "GET /staff/orders": Policy(STAFF, query="?status=DELIVERED"),
    "GET /staff/orders/{order_id}": Policy(STAFF),
    "POST /staff/orders/{order_id}/review": Policy(STAFF, body={"decision": "ACCEPT"}),
    "POST /staff/orders/{order_id}/delay": Policy(
        STAFF,
        body=lambda ctx: {
            "reason": "The stone setter is out",
            "expected_ship_date": working_day_after(ctx.today, 14),
        },
    ),
    "POST /staff/orders/{order_id}/ship": Policy(
        STAFF, body={"carrier": "UPS", "tracking_number": "1Z999AA10123456784"}
    ),
    "POST /staff/orders/{order_id}/deliver": Policy(
        STAFF, body={"delivered_at": "2026-12-04T17:00:00Z"}
    ),
    "POST /staff/orders/{order_id}/cancel": Policy(STAFF, body={"reason": "Out of silver"}),
    "POST /staff/orders/{order_id}/messages": Policy(STAFF, body={"text": "How thin?"}),
    "GET /staff/products": Policy(STAFF),
    "POST /staff/products": Policy(STAFF, body=charm().model_dump(mode="json")),
    "PUT /staff/products/{product_id}": Policy(
        STAFF, body=ring().model_dump(mode="json", exclude={"product_id"})
    ),
    "GET /staff/claims": Policy(STAFF, query="?status=AWAITING_EVIDENCE"),
    "POST /staff/claims/{claim_id}/decision": Policy(
        STAFF, body={"decision": "REJECT", "note": "Wear, not a defect."}
    ),
    "GET /staff/designs": Policy(STAFF, query="?status=DELIVERED"),
    "POST /staff/customers/{customer_id}/erase": Policy(STAFF),
}

ROLES = ("anonymous", "cust-a", "cust-b", "staff")
CUSTOMERS = ("cust-a", "cust-b")


def template_routes() -> list[Route]:
    """The HTTP routes exactly as the local stack reads them from template.yaml."""
    return read_template()[0].routes


def test_every_route_in_the_template_has_an_access_policy() -> None:
    routes = {route.route_key: route for route in template_routes()}
    assert len(routes) >= 30, "the route table looks truncated"
    missing = sorted(set(routes) - set(POLICY))
    assert not missing, f"routes without an access policy in {__name__}.POLICY: {missing}"
    stale = sorted(set(POLICY) - set(routes))
    assert not stale, f"policies for routes the template no longer has: {stale}"
    for key, route in routes.items():
        policy = POLICY[key]
        public = route.authorizer is None
        assert public == (policy.kind in (PUBLIC, EXCLUDED)), (
            f"{key}: authorizer {route.authorizer!r} but policy {policy.kind}"
        )
        if policy.kind == EXCLUDED:
            assert policy.why, f"{key} is excluded without a reason"


# ------------------------------------------------------------------------ the objects


def canaries(tag: str) -> dict[str, str]:
    """Values that only this customer's orders hold, so a leak is a plain substring."""
    return {
        "name": f"CANARY-{tag}-NAME-7f3a",
        "email": f"canary-{tag.lower()}-7f3a@example.com",
        "phone": f"+1 202 555 01{ord(tag) - 60:02d}",
        "line1": f"{ord(tag)} CANARY-{tag}-LANE-7f3a",
        "expression": f"CNRY {tag} 7f3a",
        "claim": f"CANARY-{tag}-CLAIM-7f3a: the stone fell out",
        "message": f"CANARY-{tag}-MSG-7f3a",
    }


@dataclass
class Customer:
    sub: str
    values: dict[str, str]
    order_id: str = ""
    claim_id: str = ""
    other_order_ids: list[str] = field(default_factory=list)

    def secrets(self) -> list[str]:
        return [*self.values.values(), self.order_id, self.claim_id, *self.other_order_ids]


STAFF_NOTE = "CANARY-STAFF-NOTE-7f3a: refund agreed by phone"


def signed_payment(api: Api, now: int, order: dict[str, Any]) -> None:
    event = stripe_session_event(order, created=now, event_id=f"evt_{order['order_id']}")
    raw = json.dumps(event).encode()
    reply = api.call(
        "POST",
        "/webhooks/payments",
        raw=raw,
        as_user=None,
        headers={"Stripe-Signature": sign_payload(raw, WEBHOOK_SECRET, now)},
    )
    assert reply.status == 200 and reply.json["outcome"] == "confirmed", reply.raw


def place_and_pay(api: Api, clock: Any, who: Customer) -> dict[str, Any]:
    values = who.values
    body = order_body(
        customization={"style": "oval", "color": "gold", "expression": values["expression"]},
        contact={"name": values["name"], "email": values["email"], "phone": values["phone"]},
        shipping_address={
            "line1": values["line1"],
            "city": "Springfield",
            "postal_code": "62701",
            "country": "US",
        },
    )
    reply = api.call("POST", "/orders", body, as_user=who.sub)
    assert reply.status == 201, reply.raw
    signed_payment(api, int(clock.now().timestamp()), reply.json)
    return reply.json  # type: ignore[no-any-return]


def build_objects(api: Api, clock: Any, container: Any) -> dict[str, Customer]:
    """A and B each with an order paid, shipped, delivered and claimed, a message each way,
    and a second order the staff cancelled with a staff-only note."""
    container.products.save(ring())
    people = {sub: Customer(sub, canaries(sub[-1].upper())) for sub in CUSTOMERS}
    for who in people.values():
        order = place_and_pay(api, clock, who)
        oid = who.order_id = order["order_id"]
        for call in (
            api.call(
                "POST", f"/orders/{oid}/messages", {"text": who.values["message"]}, as_user=who.sub
            ),
            api.staff("POST", f"/staff/orders/{oid}/messages", {"text": "1.5 mm is our minimum."}),
            api.staff(
                "POST", f"/staff/orders/{oid}/ship", {"carrier": "UPS", "tracking_number": "1Z1"}
            ),
            api.staff(
                "POST", f"/staff/orders/{oid}/deliver", {"delivered_at": clock.now().isoformat()}
            ),
        ):
            assert call.status in (200, 201), call.raw
        claim = api.call(
            "POST",
            f"/orders/{oid}/claims",
            {"reason": "DAMAGED", "description": who.values["claim"]},
            as_user=who.sub,
        )
        assert claim.status == 201, claim.raw
        who.claim_id = claim.json["claim_id"]
        cancelled = place_and_pay(api, clock, who)
        who.other_order_ids.append(cancelled["order_id"])
        reply = api.staff(
            "POST", f"/staff/orders/{cancelled['order_id']}/cancel", {"reason": STAFF_NOTE}
        )
        assert reply.status == 200 and reply.json["status"] == "CANCELLED", reply.raw
        assert STAFF_NOTE in reply.raw.decode()  # the note really is in the staff view
    return people


# ------------------------------------------------------------------------ the cells


@dataclass(frozen=True)
class Cell:
    route: Route
    policy: Policy
    role: str
    order_owner: str | None  # whose order (or customer id) the path names; None: it names none
    claim_owner: str | None  # whose claim the path names

    @property
    def objects(self) -> str:
        owners = {o for o in (self.order_owner, self.claim_owner) if o}
        if not owners:
            return "-"
        if self.order_owner and self.claim_owner and self.order_owner != self.claim_owner:
            return f"order of {self.order_owner}, claim of {self.claim_owner}"
        return f"objects of {owners.pop()}"

    def owns_everything(self) -> bool:
        owners = {o for o in (self.order_owner, self.claim_owner) if o}
        return owners <= {self.role}

    def expected(self) -> tuple[str, Callable[[int], bool]]:
        """(what the policy says, a test of the status)."""
        kind, role = self.policy.kind, self.role
        if kind == PUBLIC:
            return "2xx", is_2xx
        if role == "anonymous":
            return "401", lambda s: s == 401
        if kind == STAFF:
            if role == "staff":
                return "2xx/409/422", lambda s: is_2xx(s) or s in (409, 422)
            return "403", lambda s: s == 403
        # a customer route; a staff token is a customer who owns nothing
        if self.owns_everything():
            return "2xx or 4xx other than 401/403/404", owner_may
        return "404", lambda s: s == 404

    @property
    def refused(self) -> bool:
        return self.expected()[0] in ("401", "403", "404")

    def target(self, people: dict[str, Customer]) -> str:
        path = self.route.path
        if self.order_owner:
            path = path.replace("{order_id}", people[self.order_owner].order_id)
            path = path.replace("{customer_id}", people[self.order_owner].sub)
        if self.claim_owner:
            path = path.replace("{claim_id}", people[self.claim_owner].claim_id)
        return path.replace("{product_id}", "signet-ring") + self.policy.query


def is_2xx(status: int) -> bool:
    return 200 <= status < 300


def owner_may(status: int) -> bool:
    return is_2xx(status) or (400 <= status < 500 and status not in (401, 403, 404))


def owner_choices(route: Route) -> Iterator[tuple[str | None, str | None]]:
    assert not set(re.findall(r"{\w+}", route.path)) - {*OWNED_PARAMETERS, "{product_id}"}, (
        f"{route.route_key}: a path parameter the matrix cannot fill"
    )
    names_order = "{order_id}" in route.path or "{customer_id}" in route.path
    names_claim = "{claim_id}" in route.path
    if not (names_order or names_claim):
        yield None, None
        return
    for owner in CUSTOMERS:
        for claim_owner in CUSTOMERS if names_order and names_claim else (owner,):
            yield (owner if names_order else None), (claim_owner if names_claim else None)


def all_cells(routes: list[Route]) -> list[Cell]:
    cells = [
        Cell(route, POLICY[route.route_key], role, order_owner, claim_owner)
        for route in routes
        if POLICY[route.route_key].kind != EXCLUDED
        for role in ROLES
        for order_owner, claim_owner in owner_choices(route)
    ]
    # Refusals first: they must change nothing, which is checked before anything allowed runs.
    return sorted(cells, key=lambda c: (not c.refused, c.policy.kind == STAFF))


# ------------------------------------------------------------------------ leak scanning

# Storage and staff-only names a customer's answer never holds (as JSON keys).
INTERNAL_KEYS = {"customer_id", "contact", "shipping_address", "history", "flags", "actor"}
INTERNAL_KEY = re.compile(r"^(pk|sk|gsi\w*)$")
KEY_PREFIXES = ("ORDER#", "CUSTOMER#", "CLAIM#", "HISTORY#", "STATUS#", "DUE#", "MESSAGE#")


def json_keys(value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key, inner
            yield from json_keys(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from json_keys(inner)


def leaks_in(reply: Reply, sent: str, forbidden: list[str], *, keys: bool = True) -> list[str]:
    """What a customer-facing answer holds that it must not. Values the caller sent (an id in
    the path, echoed by a 404) are the caller's own knowledge, not a leak."""
    text = reply.raw.decode("utf-8", "replace")
    found = [f"value {v!r}" for v in forbidden if v and v not in sent and v in text]
    found += [f"key prefix {p!r}" for p in KEY_PREFIXES if p in text]
    json_body = reply.headers.get("Content-Type", "").startswith("application/json")
    if keys and json_body and reply.raw:
        for key, value in json_keys(reply.json):
            if key in INTERNAL_KEYS or INTERNAL_KEY.match(key):
                found.append(f"field {key!r}")
            if key == "download_url" and value is not None:
                found.append("a staff download link")
    return found


def forbidden_for(role: str, people: dict[str, Customer]) -> list[str]:
    """Everyone else's data, staff notes and (to a customer) which staff member acted."""
    others = [who for sub, who in people.items() if sub != role]
    staff_identity = [STAFF_SUB] if role in CUSTOMERS else []
    return [STAFF_NOTE, *staff_identity, *(s for who in others for s in who.secrets())]


def snapshot(api: Api, people: dict[str, Customer]) -> dict[str, Any]:
    """Everything staff can see of both customers' orders; a refused call changes none of it."""
    state = {}
    for who in people.values():
        for oid in (who.order_id, *who.other_order_ids):
            view = api.staff("GET", f"/staff/orders/{oid}").json
            state[oid] = view
    for status in ("AWAITING_EVIDENCE", "SUBMITTED", "APPROVED", "REJECTED"):
        state[status] = api.staff("GET", f"/staff/claims?status={status}").json["items"]
    return state


# ------------------------------------------------------------------------ the matrix


def test_access_matrix_every_route_by_every_role_on_own_and_others_objects(
    api: Api, clock: Any, container: Any, stack: StackModel
) -> None:
    people = build_objects(api, clock, container)
    clock.set(clock.now() + timedelta(hours=2))
    ctx = Ctx(today=clock.now().date())
    cells = all_cells(stack.routes)

    wrong: list[str] = []
    leaks: list[str] = []
    scanned = 0
    before = snapshot(api, people)
    checked_state = False
    for cell in cells:
        if not cell.refused and not checked_state:
            assert snapshot(api, people) == before, "a refused call changed an order or claim"
            checked_state = True
        target = cell.target(people)
        body = cell.policy.body_for(ctx)
        method = cell.route.method
        if cell.role == "anonymous":
            reply = api.call(method, target, body, as_user=None)
        elif cell.role == "staff":
            reply = api.call(method, target, body, as_user=STAFF_SUB, groups=("staff",))
        else:
            reply = api.call(method, target, body, as_user=cell.role)
        said, allowed = cell.expected()
        where = f"{cell.route.route_key} as {cell.role} on {cell.objects}"
        if not allowed(reply.status):
            kind = "LEAK" if cell.refused and is_2xx(reply.status) else "wrong"
            wrong.append(f"{kind}: {where}: {reply.status} (policy: {said}) {reply.raw[:200]!r}")
        customer_facing = cell.role in CUSTOMERS or (
            cell.role == "staff" and cell.policy.kind != STAFF
        )
        if customer_facing:
            scanned += 1
            forbidden = forbidden_for(cell.role, people)
            keys = not cell.policy.describes_the_api
            for leak in leaks_in(reply, target, forbidden, keys=keys):
                leaks.append(f"{where}: {reply.status} carries {leak}")

    routes = {c.route.route_key for c in cells}
    print(
        f"\naccess matrix: {len(routes)} routes (+{len(POLICY) - len(routes)} excluded), "
        f"{len(ROLES)} roles, {len(cells)} cells checked, "
        f"{sum(c.refused for c in cells)} expected refusals, "
        f"{len(wrong)} wrong answers, {scanned} customer-facing bodies scanned, "
        f"{len(leaks)} leaks"
    )
    assert not wrong, "\n".join(wrong)
    assert not leaks, "\n".join(leaks)


def test_the_leak_scan_finds_what_it_looks_for() -> None:
    """The scan must be able to fail: a staff view handed to the wrong customer is caught."""
    staff_view = {
        "order_id": "ord_B",
        "customer_id": "cust-b",
        "contact": {"name": "CANARY-B-NAME-7f3a"},
        "gsi1pk": "CUSTOMER#cust-b",
        "history": [{"actor": "staff:designer-1", "reason": STAFF_NOTE}],
    }
    reply = Reply(200, {"Content-Type": "application/json"}, json.dumps(staff_view).encode())
    found = leaks_in(reply, "/orders/ord_A", ["CANARY-B-NAME-7f3a", STAFF_NOTE, STAFF_SUB])
    assert len(found) == 9, found
    echoed = leaks_in(
        Reply(404, {"Content-Type": "application/json"}, b'{"error": "no order ord_B"}'),
        "/orders/ord_B",
        ["ord_B"],
    )
    assert echoed == []
