"""The web apps: what each makes a browser download, and how long the staff console takes to
show a usable queue on the local stack with a few hundred orders in it.

The download is each app's JavaScript, gzipped (level 9, as a CDN would serve it): every
chunk, the lazily loaded ones too. The queue time runs from the staff member pressing "Sign
in" on the local sign-in page to the review queue's first order row on screen, in a fresh
browser context each time (no cache): the app's download, its config, the sign-in's return,
and the first `GET /staff/orders` page. Chromium is Debian's (`/usr/bin/chromium`).
"""

from __future__ import annotations

import gzip
import re
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from bench.soak import Client, _token
from infra.local import webapps
from infra.local.launcher import start_stack
from tests.factories import order_body

JS_BUDGET_KB = {"shop": 150, "console": 400}
QUEUE_BUDGET_MS = 3000
ORDERS = 200  # placed and paid; every third goes to a designer's review
RUNS = 3
ORDER_LINK = re.compile(r"^ord_")


@dataclass(frozen=True)
class WebReport:
    js_gzip_kb: dict[str, float]
    chunks: dict[str, int]
    orders: int
    in_review: int
    queue_ms: list[float]

    @property
    def queue_median_ms(self) -> float:
        return statistics.median(self.queue_ms)


def javascript_kb(app: str, root: Path = webapps.WEB_ROOT) -> tuple[float, int]:
    scripts = sorted((root / app / "dist" / "assets").glob("*.js"))
    if not scripts:
        raise RuntimeError(f"web/{app}/dist has no JavaScript: was it built?")
    return sum(len(gzip.compress(p.read_bytes(), 9)) for p in scripts) / 1024, len(scripts)


def _seed(client: Client, orders: int) -> int:
    terms = client.call("GET", "/terms")[1]["version"]
    tokens = [_token(client, f"bench-web-{n}") for n in range(10)]
    in_review = 0
    for i in range(orders):
        customization = {"style": "oval", "color": "gold", "expression": "A & J"}
        if i % 3 == 0:
            customization["remarks"] = "a slightly thinner band, please"
            in_review += 1
        body = order_body(accept_terms_version=terms, customization=customization)
        status, order = client.call("POST", "/orders", body, token=tokens[i % len(tokens)])
        if status != 201:
            raise RuntimeError(f"POST /orders answered {status}: {order}")
        pay = order["checkout"]["url"].removeprefix(client.base)
        client.call("POST", pay, {"action": "pay"}, headers={"Accept": "application/json"})
    return in_review


def _time_to_queue(base_url: str, runs: int) -> list[float]:
    from playwright.sync_api import sync_playwright

    timings: list[float] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=webapps.CHROMIUM, args=list(webapps.CHROMIUM_FLAGS)
        )
        try:
            for run in range(runs):
                context = browser.new_context(
                    base_url=base_url, viewport={"width": 1200, "height": 900}
                )
                page = context.new_page()
                page.goto("/_local/signin?app=console&return=/console/")
                page.get_by_label("Staff", exact=True).check()
                page.get_by_label("User id (the token's sub)").fill(f"bench-staff-{run}")
                page.get_by_label("Email").fill(f"bench-staff-{run}@example.com")
                started = time.perf_counter()
                page.get_by_role("button", name="Sign in").click()
                first_order = page.get_by_role("table").get_by_role("link", name=ORDER_LINK)
                first_order.first.wait_for(timeout=30_000)
                timings.append((time.perf_counter() - started) * 1000)
                context.close()
        finally:
            browser.close()
    return timings


def run(orders: int = ORDERS, runs: int = RUNS) -> WebReport:
    webapps.ensure_built()
    sizes = {app: javascript_kb(app) for app in sorted(JS_BUDGET_KB)}
    stack = start_stack(60)
    try:
        in_review = _seed(Client(stack.base_url), orders)
        queue_ms = _time_to_queue(stack.base_url, runs)
    finally:
        stack.stop()
    return WebReport(
        {app: kb for app, (kb, _) in sizes.items()},
        {app: n for app, (_, n) in sizes.items()},
        orders,
        in_review,
        queue_ms,
    )
