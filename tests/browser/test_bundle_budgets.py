"""What each app makes a browser download: its JavaScript, gzipped, within budget (the
storefront is meant to stay light; the console carries Cloudscape)."""

from __future__ import annotations

import gzip

import pytest

from infra.local import webapps
from infra.local.launcher import RunningStack

pytestmark = pytest.mark.browser
BUDGET_KB = {"shop": 150, "console": 400}


@pytest.mark.parametrize("app", sorted(BUDGET_KB))
def test_each_apps_javascript_fits_its_budget(app: str, web_stack: RunningStack) -> None:
    scripts = sorted((webapps.WEB_ROOT / app / "dist" / "assets").glob("*.js"))
    assert scripts, f"web/{app}/dist has no JavaScript: was it built?"
    size_kb = sum(len(gzip.compress(path.read_bytes(), 9)) for path in scripts) / 1024
    verdict = "PASS" if size_kb <= BUDGET_KB[app] else "FAIL"
    print(f"BUDGET web.{app}.js_gzip_kb {size_kb:.0f} {BUDGET_KB[app]} {verdict}")
    assert size_kb <= BUDGET_KB[app]
