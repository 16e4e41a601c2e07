"""A bounded load run against the local stack: `make load` (or `python -m infra.load`).

Starts the local stack on free loopback ports, then sends a burst of order creations from
several threads, every Idempotency-Key used more than once, and pays each order with its
webhook delivered twice. Prints requests, errors, p50/p95 latency, and checks that the orders
created equal the distinct keys. Traffic goes to 127.0.0.1 only; the run stops by itself.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from infra.local.launcher import StackFailed, start_stack


@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)

    def record(self, status: int, elapsed_ms: float) -> None:
        self.latencies_ms.append(elapsed_ms)
        self.statuses[status] = self.statuses.get(status, 0) + 1


def _call(
    base: str, method: str, path: str, body: Any, headers: dict[str, str], tally: Tally
) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    sent = {"Content-Type": "application/json", **headers}
    request = urllib.request.Request(base + path, data, sent, method=method)  # noqa: S310
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 - loopback
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    tally.record(status, (time.perf_counter() - started) * 1000)
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw


def run(base: str, keys: int, repeats: int, workers: int) -> dict[str, Any]:
    tally = Tally()
    token = _call(base, "POST", "/_local/token", {"sub": "load-1"}, {}, Tally())[1]["token"]
    auth = {"Authorization": f"Bearer {token}"}
    terms = _call(base, "GET", "/terms", None, {}, tally)[1]["version"]
    body = {
        "product_id": "signet-ring",
        "size": "7",
        "customization": {"style": "oval", "color": "gold"},
        "contact": {"name": "Load Test", "email": "load@example.com"},
        "shipping_address": {
            "line1": "1 Load St",
            "city": "Springfield",
            "postal_code": "62701",
            "country": "US",
        },
        "accept_terms_version": terms,
    }
    jobs = [f"load-key-{n}" for n in range(keys) for _ in range(repeats)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        answers = list(
            pool.map(
                lambda key: _call(
                    base, "POST", "/orders", body, {**auth, "Idempotency-Key": key}, tally
                ),
                jobs,
            )
        )
    created = {a["order_id"] for status, a in answers if status == 201}
    pay_paths = {
        a["order_id"]: a["checkout"]["url"].removeprefix(base)
        for status, a in answers
        if status == 201 and a.get("checkout")
    }
    # Each order paid once; its webhook is the pay page's, and the page is posted twice, so the
    # second is a duplicate payment (a new event id, the same order): refunded, never applied.
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(
            pool.map(
                lambda path: _call(
                    base, "POST", path, {"action": "pay"}, {"Accept": "application/json"}, tally
                ),
                [p for p in pay_paths.values() for _ in range(2)],
            )
        )
    listed: set[str] = set()
    cursor = ""
    while True:
        suffix = f"&cursor={cursor}" if cursor else ""
        page = _call(base, "GET", f"/orders?limit=100{suffix}", None, auth, tally)[1]
        listed |= {o["order_id"] for o in page["items"]}
        cursor = page["next_cursor"] or ""
        if not cursor:
            break
    in_production = sum(
        1
        for order_id in listed
        if _call(base, "GET", f"/orders/{order_id}", None, auth, tally)[1]["status"]
        == "IN_PRODUCTION"
    )
    latencies = sorted(tally.latencies_ms)
    errors = sum(count for status, count in tally.statuses.items() if status >= 500)
    return {
        "requests": len(latencies),
        "statuses": dict(sorted(tally.statuses.items())),
        "errors_5xx": errors,
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1], 1),
        "distinct_keys": keys,
        "orders_created": len(listed),
        "distinct_order_ids_answered": len(created),
        "orders_in_production": in_production,
        "ok": len(listed) == keys == len(created) == in_production and errors == 0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keys", type=int, default=20, help="distinct Idempotency-Keys")
    parser.add_argument("--repeats", type=int, default=3, help="requests per key")
    parser.add_argument("--workers", type=int, default=8, help="client threads")
    args = parser.parse_args()
    try:
        stack = start_stack()
    except StackFailed as failed:
        print(failed, file=sys.stderr)
        return 1
    try:
        started = time.perf_counter()
        result = run(stack.base_url, args.keys, args.repeats, args.workers)
        result["seconds"] = round(time.perf_counter() - started, 1)
        print(json.dumps(result, indent=2))
        return 0 if result["ok"] else 1
    finally:
        stack.stop(timeout_s=30)


if __name__ == "__main__":
    raise SystemExit(main())
