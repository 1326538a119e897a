"""CSRF protection for every state-changing request made with cookies (ASVS V3.5).

The token is an HMAC (keyed by SECRET_KEY) of the session cookie, or — before sign-in —
of a random anonymous cookie set the first time a form is shown. Forms carry it in the
field `csrf_token`, scripts in the header `X-CSRF-Token`. A request the browser marks as
cross-site (`Sec-Fetch-Site`), or whose `Origin` is not APP_BASE_URL, is refused too.
Requests authenticated by `Authorization: Bearer` carry no ambient credentials and need
no token. SameSite=Lax cookies are a further layer.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request

from api.cookies import names_for
from core.errors import PermissionDenied
from core.security import keyed_hmac, new_token, same
from core.settings import Settings

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FIELD = "csrf_token"
HEADER = "x-csrf-token"


def _expected(request: Request, *, create: bool) -> str | None:
    settings: Settings = request.app.state.settings
    secret = settings.SECRET_KEY.get_secret_value()
    names = names_for(request)
    session = request.cookies.get(names.session)
    if session:
        return keyed_hmac(secret, "csrf-session", session)
    seed = request.cookies.get(names.csrf) or getattr(request.state, "new_csrf_seed", None)
    if seed is None and create:
        seed = new_token(16)
        request.state.new_csrf_seed = seed  # set as a cookie by the middleware
    return keyed_hmac(secret, "csrf-anon", seed) if seed else None


def csrf_token(request: Request) -> str:
    """For templates: the token this request's forms must carry."""
    token = _expected(request, create=True)
    assert token is not None
    return token


def _origin_ok(request: Request) -> bool:
    """Fetch Metadata first: browsers say whether a request is same-origin. (With our
    `Referrer-Policy: no-referrer` Chromium sends `Origin: null` on same-origin form
    posts, so the Origin header alone cannot decide.)"""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None or origin == "null":  # non-browser clients; older browsers
        return True
    settings: Settings = request.app.state.settings
    expected = urlsplit(settings.APP_BASE_URL)
    given = urlsplit(origin)
    return (given.scheme, given.netloc) == (expected.scheme, expected.netloc)


async def check_csrf(request: Request) -> None:
    if request.method not in UNSAFE:
        return
    if request.url.path.startswith("/api/") and request.headers.get(
        "authorization", ""
    ).lower().startswith("bearer "):
        return  # token auth on the JSON API: no cookies are consulted there (api.auth)
    if not _origin_ok(request):
        raise PermissionDenied("This request came from another site and was refused.")
    expected = _expected(request, create=False)
    given = request.headers.get(HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(FIELD)
        given = value if isinstance(value, str) else None
    if expected is None or given is None or not same(given, expected):
        raise PermissionDenied(
            "This form has expired or did not come from this site. Reload the page and try again."
        )
