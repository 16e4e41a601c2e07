"""The web apps on the local stack: `/shop/` (the reference storefront) and `/console/` (the staff
console), built from `web/` on first use and served as CloudFront serves them in AWS (SPA
fallback, security headers), plus each app's run-time `config.json`, which here points the
sign-in at the local sign-in page (infra/local/signin.py).

Building: `npm ci` when `web/node_modules` is missing or older than `web/package-lock.json`,
then `vite build` for an app whose `dist/` is missing or older than its sources (or the shared
`web/api`). It runs in the background on the first request for an app; meanwhile the app's
pages answer 503 with a page that reloads itself. Nothing is installed globally: npm and Node
come from the machine, the packages from the committed lock file.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import mimetypes
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

from infra.local.messages import HttpRequest, HttpResponse

log = logging.getLogger("local_stack")

WEB_ROOT = Path(__file__).resolve().parents[2] / "web"
# The browser the tests and the bench drive: Debian's Chromium (none can be downloaded here),
# as root, headless, and quiet on a closed network (without the background-networking flags
# it floods it with refused connections).
CHROMIUM = os.environ.get("ATELIER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
APPS = ("shop", "console")
SHARED_SOURCES = ("api/src", "package.json", "package-lock.json", "tsconfig.base.json")
APP_SOURCES = ("src", "public", "index.html", "vite.config.ts", "package.json", "tsconfig.json")
BUILD_TIMEOUT_S = 600


class WebBuildError(RuntimeError):
    """npm or vite failed; the message carries the end of their output."""


def _newest_mtime(paths: Iterator[Path]) -> float:
    newest = 0.0
    for path in paths:
        if path.is_dir():
            for child in path.rglob("*"):
                if child.is_file():
                    newest = max(newest, child.stat().st_mtime)
        elif path.is_file():
            newest = max(newest, path.stat().st_mtime)
    return newest


def needs_install(root: Path = WEB_ROOT) -> bool:
    marker = root / "node_modules" / ".package-lock.json"  # written by npm ci / npm install
    lock = root / "package-lock.json"
    return not marker.is_file() or marker.stat().st_mtime < lock.stat().st_mtime


def needs_build(app: str, root: Path = WEB_ROOT) -> bool:
    built = root / app / "dist" / "index.html"
    if not built.is_file():
        return True
    sources = [root / name for name in SHARED_SOURCES] + [root / app / n for n in APP_SOURCES]
    return built.stat().st_mtime < _newest_mtime(iter(sources))


@contextlib.contextmanager
def _build_lock(root: Path) -> Iterator[None]:
    """One build at a time on this machine: several stacks (tests start many) share web/."""
    with open(root / ".build.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run(command: list[str], cwd: Path) -> None:
    npm = shutil.which(command[0])
    if npm is None:
        raise WebBuildError(
            f"{command[0]} is not on PATH: the web apps need Node.js 20 and npm (the API works "
            "without them)"
        )
    log.info("web: %s (in %s)", " ".join(command), cwd.relative_to(WEB_ROOT.parent))
    environment = {**os.environ, "NO_UPDATE_NOTIFIER": "1", "npm_config_fund": "false"}
    completed = subprocess.run(  # noqa: S603 - a fixed command, no shell
        [npm, *command[1:]],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
        check=False,
    )
    if completed.returncode != 0:
        tail = (completed.stdout + completed.stderr).strip().splitlines()[-30:]
        raise WebBuildError(f"{' '.join(command)} failed:\n" + "\n".join(tail))


def ensure_built(apps: tuple[str, ...] = APPS, root: Path = WEB_ROOT) -> list[str]:
    """Install and build what is stale; answers the apps it built."""
    built: list[str] = []
    with _build_lock(root):
        if needs_install(root):
            _run(["npm", "ci", "--no-audit", "--no-fund"], root)
        for app in apps:
            if needs_build(app, root):
                _run(["npm", "run", "build", "-w", f"@atelier/{app}"], root)
                built.append(app)
    return built


# ---------------------------------------------------------------------------- serving


def content_security_policy(moto_url: str) -> str:
    """Strict: only this origin's scripts and styles. The emulated S3 is named for the
    browser's presigned POST (connect) and the console's presigned GETs (images, video)."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src 'self' data: blob: {moto_url}",
            f"media-src 'self' blob: {moto_url}",
            f"connect-src 'self' {moto_url}",
            "font-src 'self' data:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def security_headers(csp: str) -> list[tuple[str, str]]:
    return [
        ("content-security-policy", csp),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "strict-origin-when-cross-origin"),
        ("cross-origin-opener-policy", "same-origin"),
    ]


_WAIT_PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="2"><title>Building the web apps</title></head>
<body style="font-family: system-ui, sans-serif; margin: 3em">
<h1>Building the web apps…</h1>
<p>The local stack is running <code>npm ci</code> and <code>vite build</code> for
<code>/{app}/</code> (the first time takes about a minute). This page reloads itself.</p>
</body></html>"""

_FAILED_PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>The web app did not build</title></head>
<body style="font-family: system-ui, sans-serif; margin: 3em">
<h1>/{app}/ did not build</h1><pre>{error}</pre>
<p>Fix it, then restart the stack (or run <code>make web-build</code>).</p></body></html>"""


class WebApps:
    """Serves `web/<app>/dist` at `/<app>/`, building it first when it is missing or stale."""

    def __init__(self, *, moto_url: str, root: Path = WEB_ROOT) -> None:
        self._root = root
        self._csp = content_security_policy(moto_url)
        self._lock = threading.Lock()
        self._building: threading.Thread | None = None
        self._ready: set[str] = set()
        self._error: str | None = None

    @staticmethod
    def owns(raw_path: str) -> bool:
        return any(raw_path == f"/{app}" or raw_path.startswith(f"/{app}/") for app in APPS)

    def handle(self, request: HttpRequest) -> HttpResponse:
        path = request.raw_path
        app = path.split("/")[1]
        if path == f"/{app}":
            return HttpResponse(301, [("location", f"/{app}/")])
        if request.method.upper() not in ("GET", "HEAD"):
            return HttpResponse(405, [("allow", "GET, HEAD")])
        if path == f"/{app}/config.json":
            return self._config(app)
        waiting = self._wait_for(app)
        if waiting is not None:
            return waiting
        return self._file(app, path[len(f"/{app}/") :])

    def _config(self, app: str) -> HttpResponse:
        """What deploy-web writes in AWS (Cognito's domain and this app's client); here, the
        page's own origin for the API and the local sign-in page."""
        config = {
            "apiBaseUrl": "",
            "auth": {
                "kind": "local",
                "signInUrl": "/_local/signin",
                "signOutUrl": "/_local/signout",
            },
        }
        response = HttpResponse.json(200, config, [("cache-control", "no-store")])
        response.headers += security_headers(self._csp)
        return response

    def _wait_for(self, app: str) -> HttpResponse | None:
        """None when the app is built; else the page to show while it builds (or why not)."""
        if app in self._ready:
            return None
        with self._lock:
            if self._error is not None:
                body = _FAILED_PAGE.format(app=app, error=_escape(self._error))
                return _html(500, body, self._csp)
            if self._building is None or not self._building.is_alive():
                if not needs_install(self._root) and not needs_build(app, self._root):
                    self._ready.add(app)
                    return None
                self._building = threading.Thread(target=self._build, name="web-build", daemon=True)
                self._building.start()
        response = _html(503, _WAIT_PAGE.format(app=app), self._csp)
        response.headers.append(("retry-after", "2"))
        return response

    def _build(self) -> None:
        try:
            built = ensure_built(APPS, self._root)
            log.info("web: built %s", ", ".join(built) if built else "nothing (all fresh)")
            self._ready.update(APPS)
        except (WebBuildError, OSError, subprocess.TimeoutExpired) as exc:
            log.error("web: the build failed: %s", exc)
            self._error = str(exc)

    def _file(self, app: str, relative: str) -> HttpResponse:
        dist = (self._root / app / "dist").resolve()
        candidate = (dist / relative).resolve() if relative else dist / "index.html"
        inside = candidate == dist or dist in candidate.parents
        if inside and candidate.is_file():
            return self._asset(candidate, immutable=relative.startswith("assets/"))
        if relative.startswith("assets/"):
            return HttpResponse(404, [("content-type", "text/plain"), *security_headers(self._csp)])
        # SPA fallback, as CloudFront's custom error response: the app's router reads the path.
        return self._asset(dist / "index.html", immutable=False)

    def _asset(self, path: Path, *, immutable: bool) -> HttpResponse:
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type.endswith(("javascript", "json")):
            content_type += "; charset=utf-8"
        cache = "public, max-age=31536000, immutable" if immutable else "no-cache"
        headers = [("content-type", content_type), ("cache-control", cache)]
        return HttpResponse(200, headers + security_headers(self._csp), path.read_bytes())


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _html(status: int, body: str, csp: str) -> HttpResponse:
    headers = [("content-type", "text/html; charset=utf-8"), ("cache-control", "no-store")]
    # The wait and failure pages style themselves inline; they run no script.
    page_csp = csp.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
    return HttpResponse(status, headers + security_headers(page_csp), body.encode())


def main() -> int:
    """`python -m infra.local.webapps`: build what is stale now (make web-build, the browser
    tests' fixture)."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        built = ensure_built()
    except WebBuildError as exc:
        log.error("%s", exc)
        return 1
    print(json.dumps({"built": built}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
