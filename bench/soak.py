"""`make soak`: a real day of work against a fresh local stack, over HTTP, as a storefront and a
workshop would send it; a benchmark, not a test.

Starts `python -m infra.local` on free loopback ports and places `--orders` orders (default
2,000) from 50 customers, in windows of 500: most paid on the sandbox pay page; every tenth with
remarks, reviewed and accepted by staff; every twentieth left unpaid to expire through the sweep
(the clock moves 25 hours at each window's end); most paid ones shipped and delivered; one in 250
delivered orders claimed with a real photo through the presigned POST and approved. Once per
window a transaction is made to fail inside DynamoDB (straight to the emulator: a write, then a
condition that fails), and a token with a 5,000-character `sub` is sent, the two ways a request
once stopped the stack's events for good.

Per window it prints p50/p99 of `POST /orders`, `GET /orders/{id}`, the webhook (through the
sandbox pay page, which signs and sends it) and a staff transition (ship), the stack's resident
memory, events published against the history entries and messages the orders hold, emails sent
against those P11 promises for what was done, and 409/5xx counts. Then it stops the stack as
`make`'s Ctrl-C does (two SIGTERMs) and times the stop. BUDGET lines close the run.
Traffic goes to 127.0.0.1 only; the run is bounded by its order count and stops by itself.
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import statistics
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from urllib3 import encode_multipart_formdata

from atelier.adapters.dynamodb import keys
from bench.report import Budget, Table
from infra.local.launcher import RunningStack, StackFailed, start_stack
from tests.factories import order_body

ROOT = Path(__file__).resolve().parents[1]
PHOTO = ROOT / "tests" / "fixtures" / "evidence" / "photo.jpg"
WINDOW = 500
CUSTOMERS = 50

BUDGET_GROWTH = 1.3
BUDGET_RSS_MB = 1024
BUDGET_STOP_S = 5.0


@dataclass
class Window:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: Counter[int] = field(default_factory=Counter)
    false_conflicts: int = 0
    server_errors: int = 0
    orders: list[str] = field(default_factory=list)
    emails_expected: int = 0

    def timed(self, name: str, elapsed_ms: float) -> None:
        self.latencies.setdefault(name, []).append(elapsed_ms)


class Client:
    def __init__(self, base: str) -> None:
        self.base = base
        self.window = Window()

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        timed: str | None = None,
        expect_conflict: bool = False,
    ) -> tuple[int, Any]:
        sent = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        if token:
            sent["Authorization"] = f"Bearer {token}"
        url = path if path.startswith("http") else self.base + path
        request = urllib.request.Request(url, data, sent, method=method)  # noqa: S310
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 - loopback
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        elapsed = (time.perf_counter() - started) * 1000
        if timed:
            self.window.timed(timed, elapsed)
        self.window.statuses[status] += 1
        if status == 409 and not expect_conflict:
            self.window.false_conflicts += 1
        if status >= 500:
            self.window.server_errors += 1
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw


def _token(client: Client, sub: str, *groups: str) -> str:
    status, answer = client.call(
        "POST", "/_local/token", {"sub": sub, "email": f"{sub}@example.com", "groups": list(groups)}
    )
    assert status == 200, answer
    return str(answer["token"])


def _upload(ticket: dict[str, Any]) -> int:
    """The presigned POST as a browser sends it: the fields, then the file."""
    body, form_type = encode_multipart_formdata(
        [*ticket["fields"].items(), ("file", ("photo.jpg", PHOTO.read_bytes(), "image/jpeg"))]
    )
    request = urllib.request.Request(  # noqa: S310 - the emulator on loopback
        ticket["url"], body, {"Content-Type": form_type}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        return int(response.status)


def _fail_a_transaction(stack: RunningStack, order_id: str) -> None:
    """A transaction that writes an order item, then fails a condition: moto must roll the
    write back and the stack must go on delivering events."""
    import boto3
    from botocore.exceptions import ClientError

    moto = re.search(r"AWS \(moto\)\s+(\S+)", stack.output)
    table = re.search(r"Table\s+AtelierTable: (\S+)", stack.output)
    assert moto and table, "the stack's banner names the emulator and the table"
    client = boto3.client(
        "dynamodb",
        endpoint_url=moto.group(1),
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - the emulator's
    )
    key = keys.order_key(order_id)
    try:
        client.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": table.group(1),
                        "Key": key,
                        "UpdateExpression": "SET soak_probe = :x",
                        "ExpressionAttributeValues": {":x": {"S": "must be rolled back"}},
                    }
                },
                {
                    "ConditionCheck": {
                        "TableName": table.group(1),
                        "Key": keys.order_key("none"),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "TransactionCanceledException"
    else:
        raise AssertionError("the provoked transaction committed")


def run_window(
    client: Client, stack: RunningStack, start: int, count: int, tokens: list[str], staff: str
) -> Window:
    client.window = window = Window()
    terms = client.call("GET", "/terms")[1]["version"]
    unpaid: list[str] = []
    for i in range(start, start + count):
        token = tokens[i % CUSTOMERS]
        reviewed = i % 10 == 3
        customization = {"style": "oval", "color": "gold", "expression": "A & J"}
        if reviewed:
            customization["remarks"] = "a slightly thinner band, please"
        status, order = client.call(
            "POST",
            "/orders",
            order_body(accept_terms_version=terms, customization=customization),
            token=token,
            headers={"Idempotency-Key": f"soak-{i}"},
            timed="POST /orders",
        )
        if status != 201:
            continue
        order_id = order["order_id"]
        window.orders.append(order_id)
        window.emails_expected += 1  # placed
        client.call("GET", f"/orders/{order_id}", token=token, timed="GET /orders/{id}")
        if i % 20 == 7:
            unpaid.append(order_id)
            continue
        pay = order["checkout"]["url"].removeprefix(client.base)
        status, _ = client.call(
            "POST",
            pay,
            {"action": "pay"},
            headers={"Accept": "application/json"},
            timed="webhook (pay page)",
        )
        window.emails_expected += 1  # payment confirmed
        if reviewed:
            client.call(
                "POST",
                f"/staff/orders/{order_id}/review",
                {"decision": "ACCEPT"},
                token=staff,
            )
            window.emails_expected += 1  # review accepted
        if i % 10 in (1, 5):
            continue  # stays in production
        status, _ = client.call(
            "POST",
            f"/staff/orders/{order_id}/ship",
            {"carrier": "UPS", "tracking_number": f"1Z{i:016d}"},
            token=staff,
            timed="staff ship",
        )
        window.emails_expected += 1  # shipped
        if i % 10 == 9:
            continue  # still with the carrier
        client.call("POST", f"/staff/orders/{order_id}/deliver", {}, token=staff)
        if i % 250 == 0:
            _claim(client, order_id, token, staff)
            window.emails_expected += 1  # claim approved
    _fail_a_transaction(stack, window.orders[0])
    client.call(
        "POST", "/orders", order_body(accept_terms_version=terms), token=_long_sub_token(client)
    )
    # The unpaid ones expire: a day passes, the sweep runs.
    client.call("POST", "/_local/clock", {"advance_seconds": 25 * 3600})
    client.call("POST", "/_local/schedules/expiry_sweep/run")
    window.emails_expected += len(unpaid)  # expired
    return window


def _long_sub_token(client: Client) -> str:
    status, answer = client.call("POST", "/_local/token", {"sub": "c" * 5000})
    return str(answer["token"]) if status == 200 else "not-a-token"


def _claim(client: Client, order_id: str, token: str, staff: str) -> None:
    status, claim = client.call(
        "POST",
        f"/orders/{order_id}/claims",
        {"reason": "DAMAGED", "description": "The band arrived bent."},
        token=token,
    )
    if status != 201:
        return
    claim_id = claim["claim_id"]
    status, ticket = client.call(
        "POST",
        f"/orders/{order_id}/claims/{claim_id}/evidence",
        {"filename": "bent.jpg", "content_type": "image/jpeg", "size_bytes": PHOTO.stat().st_size},
        token=token,
    )
    if status != 201:
        return
    _upload(ticket)
    for _ in range(50):  # the upload's S3 event reaches evidence_upload within a few pumps
        state = client.call("GET", f"/orders/{order_id}/claims/{claim_id}", token=token)[1]
        if any(e["status"] == "VERIFIED" for e in state.get("evidence", [])):
            break
        time.sleep(0.1)
    client.call("POST", f"/orders/{order_id}/claims/{claim_id}/submit", token=token)
    client.call(
        "POST",
        f"/staff/claims/{claim_id}/decision",
        {"decision": "APPROVE", "resolution": "REMAKE", "shipping_cost_cents": 1600},
        token=staff,
    )


def events_expected(client: Client, orders: list[str], staff: str) -> int:
    """What the orders of the window hold: one event per history entry and message."""
    total = 0
    for order_id in orders:
        status, view = client.call("GET", f"/staff/orders/{order_id}", token=staff)
        if status == 200:
            total += len(view.get("history", [])) + len(view.get("messages", []))
    return total


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def stop_twice(stack: RunningStack) -> float:
    """SIGTERM twice, as `make` forwards Ctrl-C to its child: seconds until the stack exits."""
    started = time.monotonic()
    stack.process.send_signal(signal.SIGTERM)
    time.sleep(0.05)
    stack.process.send_signal(signal.SIGTERM)
    try:
        stack.process.wait(timeout=30)
    except Exception:
        stack.process.kill()
        stack.process.wait()
        return 30.0
    return time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=2000)
    args = parser.parse_args(argv)
    began = time.monotonic()
    try:
        stack = start_stack(60)
    except StackFailed as failed:
        print(failed, file=sys.stderr)
        return 1
    client = Client(stack.base_url)
    tokens = [_token(client, f"soak-customer-{n:02d}") for n in range(CUSTOMERS)]
    staff = _token(client, "soak-designer", "staff")
    table = Table(
        "orders",
        "POST /orders p50/p99 ms",
        "GET /orders/{id} p50/p99",
        "webhook p50/p99",
        "staff ship p50/p99",
        "RSS MB",
        "events published/expected",
        "emails sent/expected",
        "409 / 5xx",
        "seconds",
    )
    windows: list[Window] = []
    published_before = 0
    emails_before = 0
    lost = 0
    rss = 0.0
    try:
        for start in range(0, args.orders, WINDOW):
            window_began = time.monotonic()
            count = min(WINDOW, args.orders - start)
            window = run_window(client, stack, start, count, tokens, staff)
            expected = events_expected(client, window.orders, staff)
            stats = client.call("GET", "/_local/stats")[1]
            published = stats["events_published_total"] - published_before
            emails = stats["emails_sent_total"] - emails_before
            published_before += published
            emails_before += emails
            lost += max(0, expected - published)
            rss = max(rss, float(stats["rss_mb"]))
            windows.append(window)

            def pair(name: str, window: Window = window) -> str:
                values = window.latencies.get(name, [])
                if not values:
                    return "-"
                return f"{statistics.median(values):.0f} / {percentile(values, 0.99):.0f}"

            table.add(
                f"{start + 1}-{start + count}",
                pair("POST /orders"),
                pair("GET /orders/{id}"),
                pair("webhook (pay page)"),
                pair("staff ship"),
                f"{stats['rss_mb']:.0f}",
                f"{published}/{expected}",
                f"{emails}/{window.emails_expected}",
                f"{window.false_conflicts} / {window.server_errors}",
                f"{time.monotonic() - window_began:.0f}",
            )
            print(table.rows[-1], flush=True)
    finally:
        stop_seconds = stop_twice(stack)
    print()
    print(table.render())
    first = statistics.median(windows[0].latencies["POST /orders"])
    last = statistics.median(windows[-1].latencies["POST /orders"])
    growth = last / first
    false_conflicts = sum(w.false_conflicts for w in windows)
    print(f"\n{args.orders} orders in {time.monotonic() - began:.0f} s")
    budgets = [
        Budget("soak.create_p50_growth", f"{growth:.2f}", f"{BUDGET_GROWTH}", growth <= 1.3),
        Budget("soak.rss_mb", f"{rss:.0f}", f"{BUDGET_RSS_MB}", rss <= BUDGET_RSS_MB),
        Budget("soak.false_conflicts", str(false_conflicts), "0", false_conflicts == 0),
        Budget("soak.events_lost", str(lost), "0", lost == 0),
        Budget("soak.stop_seconds", f"{stop_seconds:.1f}", f"{BUDGET_STOP_S:g}", stop_seconds <= 5),
    ]
    for budget in budgets:
        print(budget.line())
    return 0 if all(b.passed for b in budgets) else 1


if __name__ == "__main__":
    raise SystemExit(main())
