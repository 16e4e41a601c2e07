"""What each app makes a browser download: its JavaScript, gzipped, within budget (the
storefront is meant to stay light; the console carries Cloudscape). `make bench` reports the
same figures as BUDGET lines (bench/web.py); this keeps `make test` from letting one slip."""

from __future__ import annotations

import pytest

from bench.web import JS_BUDGET_KB, javascript_kb
from infra.local.launcher import RunningStack

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("app", sorted(JS_BUDGET_KB))
def test_each_apps_javascript_fits_its_budget(app: str, web_stack: RunningStack) -> None:
    size_kb, _files = javascript_kb(app)
    assert size_kb <= JS_BUDGET_KB[app], f"{app}: {size_kb:.0f} KB > {JS_BUDGET_KB[app]} KB"
