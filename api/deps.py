"""Request dependencies: the engine, the Temporal client, who is calling, and what they may do where.

A caller authenticates with `Authorization: Bearer pg_...` (an API token) or with the session cookie a
password login sets; a cookie-authenticated request that changes anything must also send the session's
CSRF token in X-CSRF-Token. Authorisation is denied by default: every route that touches a workspace's
objects calls `own_workspace` (no membership: 404, the object does not exist for the caller) and, unless
any member may do it, `require_role` with the membership it returned (403).
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyCookie, HTTPBearer
from sqlalchemy.engine import Engine
from temporalio.client import Client

from settings import Settings
from store.accounts import memberships_of
from store.authentication import TokenRefused, authenticate_token, find_session
from store.engine import transaction

SESSION_COOKIE = "postgate_session"
CSRF_COOKIE = "postgate_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
HOW_TO_AUTHENTICATE = (
    "send Authorization: Bearer pg_... (`postgate admin create-user` prints one; POST /me/tokens makes more) "
    "or log in with POST /auth/login"
)


@dataclass
class AppContext:
    settings: Settings
    engine: Engine
    client: Client


def context(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


ContextDep = Annotated[AppContext, Depends(context)]


@dataclass(frozen=True)
class Actor:
    """The authenticated caller. `id` is what the workflow and the audit trail record as the actor."""

    id: str
    name: str
    email: str | None
    memberships: Mapping[str, str]  # workspace id -> role
    session_id_hash: str | None = None  # set when the caller came with the session cookie
    token_id: str | None = None  # set when the caller came with an API token
    locale: str | None = None  # the language and time zone they chose for the web app (None: their browser's)
    time_zone: str | None = None


@dataclass(frozen=True)
class Member:
    """The caller's membership in the workspace of the object a route touches."""

    user_id: str
    workspace_id: str
    role: str


def _refuse(message: str) -> HTTPException:
    return HTTPException(401, message, headers={"WWW-Authenticate": 'Bearer realm="postgate"'})


# Declared for the OpenAPI document (the "Authorize" button in /docs); the checks below read the request.
_bearer_scheme = HTTPBearer(auto_error=False, description="an API token, pg_<id>_<secret>")
_cookie_scheme = APIKeyCookie(name=SESSION_COOKIE, auto_error=False, description="set by POST /auth/login")


def current_user(
    request: Request,
    ctx: ContextDep,
    _bearer: Annotated[object, Depends(_bearer_scheme)] = None,
    _cookie: Annotated[object, Depends(_cookie_scheme)] = None,
) -> Actor:
    now = datetime.now(UTC)
    authorization = request.headers.get("authorization")
    if authorization is not None:
        scheme, _, credentials = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            raise _refuse("the Authorization header must be 'Bearer pg_<id>_<secret>'")
        try:
            with transaction(ctx.engine) as session:
                user, token = authenticate_token(session, credentials.strip(), now=now)
                roles = memberships_of(session, user.id)
        except TokenRefused as err:
            raise _refuse(str(err)) from err
        return Actor(
            id=user.id,
            name=user.name,
            email=user.email,
            memberships=roles,
            token_id=token.id,
            locale=user.locale,
            time_zone=user.time_zone,
        )

    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        with transaction(ctx.engine) as session:
            found = find_session(session, cookie, now=now)
            roles = memberships_of(session, found[0].id) if found else {}
        if found is None:
            raise _refuse("your session has ended; log in again with POST /auth/login")
        user, web_session = found
        if request.method not in SAFE_METHODS:
            # SameSite=Lax already keeps the cookie off most cross-site requests; the token covers the rest.
            sent = request.headers.get(CSRF_HEADER, "")
            if not hmac.compare_digest(sent.encode(), web_session.csrf_token.encode()):
                raise HTTPException(
                    403,
                    f"a request made with the session cookie must send the {CSRF_HEADER} header "
                    "(the csrf_token from POST /auth/login, also in the postgate_csrf cookie)",
                )
        return Actor(
            id=user.id,
            name=user.name,
            email=user.email,
            memberships=roles,
            session_id_hash=web_session.id_hash,
            locale=user.locale,
            time_zone=user.time_zone,
        )
    raise _refuse(f"who are you? {HOW_TO_AUTHENTICATE}")


CurrentUser = Annotated[Actor, Depends(current_user)]


def own_workspace(user: Actor, workspace_id: str, *, not_found: str | None = None) -> Member:
    """The caller's membership in the workspace; without one the workspace's objects do not exist (404)."""
    role = user.memberships.get(workspace_id)
    if role is None:
        raise HTTPException(404, not_found or f"workspace '{workspace_id}' not found")
    return Member(user_id=user.id, workspace_id=workspace_id, role=role)


def require_role(member: Member, *roles: str) -> None:
    """403 unless the membership has one of the roles; admins may do everything."""
    if not isinstance(member, Member):
        # Deny by default: a role only means something in a workspace, so ask own_workspace first.
        raise TypeError("require_role takes the Member that own_workspace(user, workspace_id) returns")
    if member.role not in roles and member.role != "admin":
        raise HTTPException(
            403,
            f"this needs the {' or '.join(roles)} role in workspace '{member.workspace_id}'; "
            f"{member.user_id} is {member.role} there",
        )
