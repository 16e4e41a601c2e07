"""The local sign-in page (local stack only): what Cognito's managed login is in AWS.

`GET /_local/signin?app=shop&return=/shop/orders` shows a form: customer or staff, a `sub` and
an email. Submitting it mints a local token (infra/local/tokens.py, as `POST /_local/token`
does) and sends the browser back to `return` with the token in the URL fragment
(`#local_token=…`), which never reaches a server. The app keeps it in memory only.

Like Cognito's own session cookie, a cookie on `/_local/` remembers who signed in, so an app
that lost its in-memory token (a reload, the return from the pay page) gets a fresh one
without the form; `prompt=login` shows the form anyway (switching user), and
`GET /_local/signout?return=/shop/` forgets the cookie.
"""

from __future__ import annotations

import base64
import html
import json
import re
from datetime import datetime
from typing import Protocol
from urllib.parse import parse_qs, quote

from infra.local.messages import HttpRequest, HttpResponse, control_error
from infra.local.tokens import issue_token, usable_subject

SIGNIN, SIGNOUT = "/_local/signin", "/_local/signout"
COOKIE = "atelier_local_signin"
APPS = {"shop": "customer", "console": "staff"}  # the role each app signs in as by default
_PATH = re.compile(r"/[\x21-\x7e]*")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}$")


class _Clock(Protocol):
    def now(self) -> datetime: ...


def safe_return(app: str, target: str | None) -> str:
    """Only a path inside the app: never another site (an open redirect)."""
    if (
        not target
        or not _PATH.fullmatch(target)  # printable ASCII only: nothing to split a header with
        or not target.startswith(f"/{app}/")
        or "//" in target
        or "\\" in target
    ):
        return f"/{app}/"
    return target.split("#", 1)[0]


class LocalSignIn:
    def __init__(self, *, secret: str, clock: _Clock) -> None:
        self._secret = secret
        self._clock = clock

    @staticmethod
    def owns(raw_path: str) -> bool:
        return raw_path in (SIGNIN, SIGNOUT)

    def handle(self, request: HttpRequest) -> HttpResponse:
        query = {k: v[0] for k, v in parse_qs(request.raw_query).items()}
        if request.raw_path == SIGNOUT:
            app = query.get("app", "shop") if query.get("app") in APPS else "shop"
            location = safe_return(_app_of(query.get("return")) or app, query.get("return"))
            return _redirect(
                location, f"{COOKIE}=; Path=/_local/; Max-Age=0; HttpOnly; SameSite=Lax"
            )
        app = query.get("app", "")
        if app not in APPS:
            return control_error(400, "BAD_REQUEST", "app must be shop or console")
        method = request.method.upper()
        if method == "GET":
            back = safe_return(app, query.get("return"))
            remembered = _remembered(request.header("cookie"))
            if remembered is not None and query.get("prompt") != "login":
                return self._return(app, back, *remembered)
            role = remembered[2] if remembered else APPS[app]
            sub = remembered[0] if remembered else f"{role}-1"
            email = remembered[1] if remembered else f"{role}-1@example.com"
            return _page(app, back, role, sub, email, error=None)
        if method != "POST":
            return control_error(405, "METHOD_NOT_ALLOWED", "GET shows the form, POST signs in")
        form = {k: v[0] for k, v in parse_qs(request.body.decode("utf-8", "replace")).items()}
        back = safe_return(app, form.get("return"))
        role = form.get("role", APPS[app])
        sub, email = form.get("sub", "").strip(), form.get("email", "").strip()
        problem = None
        if role not in ("customer", "staff"):
            problem = "Choose customer or staff."
        elif usable_subject({"sub": sub}) is not None:
            problem = "The user id must be 1 to 128 printable characters, with no spaces."
        elif not _EMAIL.match(email):
            problem = "Enter an email address such as ada@example.com."
        if problem is not None:
            page = _page(app, back, role, sub, email, error=problem)
            page.status = 422
            return page
        return self._return(app, back, sub, email, role)

    def _return(self, app: str, back: str, sub: str, email: str, role: str) -> HttpResponse:
        groups = ["staff"] if role == "staff" else []
        token = issue_token(
            self._secret, sub=sub, email=email, groups=groups, now=self._clock.now()
        )
        remembered = base64.urlsafe_b64encode(
            json.dumps({"sub": sub, "email": email, "role": role}).encode()
        ).decode()
        cookie = f"{COOKIE}={remembered}; Path=/_local/; HttpOnly; SameSite=Lax"
        return _redirect(f"{back}#local_token={quote(token)}", cookie)


def _app_of(target: str | None) -> str | None:
    if not target:
        return None
    first = target.split("/")[1] if target.startswith("/") and "/" in target[1:] else ""
    return first if first in APPS else None


def _remembered(cookies: str | None) -> tuple[str, str, str] | None:
    for part in (cookies or "").split(";"):
        name, _, value = part.strip().partition("=")
        if name != COOKIE or not value:
            continue
        try:
            data = json.loads(base64.urlsafe_b64decode(value.encode()))
        except ValueError:
            return None
        sub, email, role = data.get("sub"), data.get("email"), data.get("role")
        if (
            isinstance(sub, str)
            and isinstance(email, str)
            and role in ("customer", "staff")
            and usable_subject({"sub": sub}) is None
        ):
            return sub, email, role
    return None


def _redirect(location: str, cookie: str) -> HttpResponse:
    return HttpResponse(
        303,
        [("location", location), ("set-cookie", cookie), ("cache-control", "no-store")],
    )


_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 28em; margin: 3em auto; padding: 0 1em;
       color: #1d1d1f; line-height: 1.5 }
main { border: 1px solid #d2d2d7; border-radius: 12px; padding: 1.5em 2em }
label { display: block; margin: .8em 0 .2em; font-weight: 600 }
input[type=text], input[type=email] { width: 100%; padding: .5em; font-size: 1em;
       box-sizing: border-box; border: 1px solid #8e8e93; border-radius: 6px }
fieldset { border: 0; padding: 0; margin: 0 } legend { font-weight: 600 }
fieldset label { display: inline; font-weight: normal; margin-right: 1.5em }
button { margin-top: 1.2em; width: 100%; font-size: 1em; padding: .7em; border: 0;
         border-radius: 8px; background: #0a66c2; color: white; cursor: pointer }
.error { color: #b3261e } .note { color: #5e5e63; font-size: .9em }
"""


def _page(
    app: str, back: str, role: str, sub: str, email: str, *, error: str | None
) -> HttpResponse:
    e = html.escape
    name = "the storefront" if app == "shop" else "the staff console"
    checked = {r: " checked" if r == role else "" for r in ("customer", "staff")}
    problem = f'<p class="error" role="alert">{e(error)}</p>' if error else ""
    body = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in (local)</title><style>{_STYLE}</style></head>
<body><main>
<h1>Sign in to {e(name)}</h1>
{problem}
<form method="post" action="{SIGNIN}?app={e(app)}">
<input type="hidden" name="return" value="{e(back)}">
<fieldset><legend>Sign in as</legend>
<input type="radio" id="role-customer" name="role" value="customer"{checked["customer"]}>
<label for="role-customer">Customer</label>
<input type="radio" id="role-staff" name="role" value="staff"{checked["staff"]}>
<label for="role-staff">Staff</label></fieldset>
<label for="sub">User id (the token's sub)</label>
<input type="text" id="sub" name="sub" value="{e(sub)}" required>
<label for="email">Email</label>
<input type="email" id="email" name="email" value="{e(email)}" required>
<button type="submit">Sign in</button>
</form></main>
<p class="note">Local stack only: this page stands in for Cognito's managed login and mints a
token signed with <code>ATELIER_LOCAL_JWT_SECRET</code>. It does not exist in AWS.</p>
</body></html>"""
    headers = [
        ("content-type", "text/html; charset=utf-8"),
        ("cache-control", "no-store"),
        ("content-security-policy", _CSP),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
    ]
    return HttpResponse(200, headers, body.encode())
