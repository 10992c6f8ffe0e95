"""Sign in with your organisation's identity provider (OpenID Connect, authorization code flow with PKCE).

`GET /auth/oidc/login` sends the browser to the provider; the provider sends it back to
`GET /auth/oidc/callback`, which checks everything (see api/oidc_client.py), finds the account with the
provider's verified e-mail address, and opens the same browser session as a password login: the session
cookie plus a CSRF token. Off (404) unless POSTGATE_OIDC_ISSUER and POSTGATE_OIDC_CLIENT_ID are set.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from api.deps import CSRF_COOKIE, ContextDep
from api.errors import ErrorBody
from api.oidc_client import OidcConfig, ProviderUnavailable, SignInRejected, provider_for
from api.routes_auth import Me, MembershipPublic
from api.service import ServiceError
from api.session_cookies import set_session_cookies
from store.accounts import memberships_of, normalise_email
from store.authentication import open_session
from store.engine import transaction
from store.oidc_sign_ins import (
    SIGN_IN_LIFETIME,
    SignInRefused,
    account_for_email,
    check_sign_in,
    start_sign_in,
    take_sign_in,
)

router = APIRouter(tags=["auth"])

# Binds a sign-in to the browser that started it; sent only to these routes.
BINDING_COOKIE = "postgate_oidc"
BINDING_PATH = "/auth/oidc"
START_AGAIN = "start again at /auth/oidc/login"

MEANINGS = {
    400: "the callback is not for a sign-in this browser started, or it came too late or twice: start again",
    401: "the identity provider's answer does not prove who you are (the code or the id_token was refused)",
    403: "the provider did not sign you in, its e-mail address is not verified, or no enabled account has it",
    404: "OIDC sign-in is not configured on this server",
    422: "a query parameter is malformed",
    502: "the identity provider could not be reached or answered nonsense",
}


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorBody, "description": MEANINGS[status]} for status in statuses}


class OidcSignedIn(BaseModel):
    user: Me
    csrf_token: str = Field(description=f"send it as X-CSRF-Token with every POST/PUT/PATCH/DELETE; {CSRF_COOKIE}")
    expires_at: datetime


def _config(request: Request, ctx: ContextDep) -> OidcConfig:
    config = OidcConfig.of(ctx.settings)
    if config is None:
        raise ServiceError(
            404,
            "oidc_not_configured",
            "sign-in with an identity provider (OIDC) is not configured on this server; log in with POST "
            "/auth/login, or have an operator set POSTGATE_OIDC_ISSUER and POSTGATE_OIDC_CLIENT_ID",
        )
    if not config.redirect_url:
        config = dataclasses.replace(config, redirect_url=str(request.url_for("oidc_callback")))
    return config


def _secure(request: Request, config: OidcConfig) -> bool:
    # Behind a proxy that ends TLS the request looks like http; the public callback URL says what the browser sees.
    return request.url.scheme == "https" or config.redirect_url.startswith("https://")


def _unavailable(err: ProviderUnavailable) -> ServiceError:
    return ServiceError(502, "oidc_provider_unavailable", f"{err}; try again later, or ask an operator")


@router.get(
    "/auth/oidc/login",
    status_code=302,
    response_class=RedirectResponse,
    responses={302: {"description": "to the identity provider's sign-in page"}, **_errors(404, 502)},
)
async def oidc_login(request: Request, ctx: ContextDep) -> RedirectResponse:
    """Sign in with your organisation's identity provider: redirects to it, and it sends you back to the callback."""
    config = _config(request, ctx)
    provider = provider_for(config.issuer)
    try:
        await provider.metadata()  # an unreachable provider stores nothing
        with transaction(ctx.engine) as session:
            started = start_sign_in(session, now=datetime.now(UTC))
        url = await provider.authorization_url(
            config, state=started.state, nonce=started.nonce, code_verifier=started.code_verifier
        )
    except ProviderUnavailable as err:
        raise _unavailable(err) from err
    response = RedirectResponse(url, status_code=302)
    response.set_cookie(
        BINDING_COOKIE,
        started.binding,
        max_age=int(SIGN_IN_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",  # sent on the provider's top-level redirect back to us, not on other sites' requests
        secure=_secure(request, config),
        path=BINDING_PATH,
    )
    return response


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


@router.get(
    "/auth/oidc/callback",
    response_model=OidcSignedIn,
    responses={
        200: {"description": "signed in, for a client that asked for JSON (Accept: application/json)"},
        303: {"description": "signed in: the session cookies are set, on to /"},
        **_errors(400, 401, 403, 404, 422, 502),
    },
)
async def oidc_callback(
    request: Request,
    ctx: ContextDep,
    state: Annotated[str | None, Query(max_length=512)] = None,
    code: Annotated[str | None, Query(max_length=4096)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
    error_description: Annotated[str | None, Query(max_length=2000)] = None,
) -> Response:
    """Where the identity provider sends you back. Opens a session (cookie plus CSRF token) for the account with
    the provider's verified e-mail, then redirects to `/`, or answers JSON when asked (Accept: application/json)."""
    config = _config(request, ctx)
    now = datetime.now(UTC)
    if not state:
        raise ServiceError(400, "oidc_callback_invalid", f"the callback came without a sign-in state; {START_AGAIN}")
    with transaction(ctx.engine) as session:
        taken = take_sign_in(session, state)  # gone for good, whatever happens next
    try:
        pending = check_sign_in(taken, request.cookies.get(BINDING_COOKIE), now=now)
    except SignInRefused as err:
        raise ServiceError(400, "oidc_callback_invalid", str(err)) from err
    if error:
        said = f"{error}: {error_description}" if error_description else error
        raise ServiceError(403, "oidc_denied", f"the identity provider did not sign you in ({said}); {START_AGAIN}")
    if not code:
        raise ServiceError(400, "oidc_callback_invalid", f"the callback came without a code; {START_AGAIN}")

    provider = provider_for(config.issuer)
    try:
        tokens = await provider.exchange_code(config, code=code, code_verifier=pending.code_verifier)
        claims = await provider.verified_claims(
            config, tokens["id_token"], nonce=pending.nonce, access_token=tokens.get("access_token")
        )
    except SignInRejected as err:
        raise ServiceError(401, "oidc_rejected", f"{err}; {START_AGAIN}") from err
    except ProviderUnavailable as err:
        raise _unavailable(err) from err

    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        message = "the identity provider did not say your e-mail address; postgate needs the 'email' scope"
        raise ServiceError(403, "email_not_verified", message)
    # Some providers send the boolean as a string.
    if claims.get("email_verified") not in (True, "true"):
        message = f"the identity provider has not verified your e-mail address {email}; verify it there first"
        raise ServiceError(403, "email_not_verified", message)
    email = normalise_email(email)
    name = claims.get("name") if isinstance(claims.get("name"), str) else None

    opened, roles = None, {}
    with transaction(ctx.engine) as session:
        user = account_for_email(session, email, name, allow_signup=config.allow_signup)
        if user is not None and not user.disabled:
            opened = open_session(session, user.id, now=now)
            roles = memberships_of(session, user.id)
    if user is None:
        message = f"no postgate account has the e-mail address {email}; ask an administrator to add you with it"
        raise ServiceError(403, "no_account", message)
    if opened is None:
        raise ServiceError(403, "account_disabled", "this account is disabled; ask an administrator")

    response: Response
    if _wants_json(request):
        me = Me(
            id=user.id,
            name=user.name,
            email=user.email,
            memberships=[MembershipPublic(workspace_id=w, role=r) for w, r in sorted(roles.items())],
            authenticated_with="session",
        )
        answer = OidcSignedIn(user=me, csrf_token=opened.csrf_token, expires_at=opened.expires_at)
        response = JSONResponse(answer.model_dump(mode="json"))
    else:
        response = RedirectResponse("/", status_code=303)
    secure = _secure(request, config)
    set_session_cookies(response, opened, now=now, secure=secure)
    response.delete_cookie(BINDING_COOKIE, path=BINDING_PATH, secure=secure, httponly=True, samesite="lax")
    return response
