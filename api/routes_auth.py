"""Who am I, my API tokens, and password login for the browser (a session cookie plus a CSRF token)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, Field

from api.client_address import client_address
from api.deps import CSRF_COOKIE, SESSION_COOKIE, ContextDep, CurrentUser
from api.errors import error_responses
from api.pagination import Cursor, Limit, page
from api.schemas import ZoneName
from api.service import ServiceError
from store.accounts import normalise_email, set_password, set_preferences, user_by_email
from store.authentication import (
    DEFAULT_TOKEN_LIFETIME,
    MAX_TOKEN_LIFETIME,
    clear_login_failures,
    close_session,
    get_token,
    issue_token,
    login_retry_after,
    needs_rehash,
    open_session,
    record_login_failure,
    revoke_token,
    tokens_of,
    verify_password,
)
from store.engine import transaction
from store.tables import ApiToken

router = APIRouter(tags=["auth"])


class MembershipPublic(BaseModel):
    workspace_id: str
    role: str


class Me(BaseModel):
    id: str
    name: str
    email: str | None
    memberships: list[MembershipPublic]
    authenticated_with: Literal["token", "session"]
    locale: str | None = Field(None, description="the web app's language you chose (en, id); null: your browser's")
    time_zone: str | None = Field(None, description="the IANA time zone you chose; null: your browser's")


class Preferences(BaseModel):
    locale: Literal["en", "id"] | None = Field(None, description="the web app's language; null: your browser's")
    time_zone: ZoneName | None = Field(None, description="where you read times; null: your browser's")


class TokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100, description="what the token is for, e.g. 'CI publisher'")
    expires_in_days: int = Field(
        default=DEFAULT_TOKEN_LIFETIME.days, ge=1, le=MAX_TOKEN_LIFETIME.days, description="at most a year"
    )


class TokenPublic(BaseModel):
    id: str
    name: str
    prefix: str = Field(description="the token's first characters, to recognise it")
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def from_row(cls, row: ApiToken) -> TokenPublic:
        return cls.model_validate(row, from_attributes=True)


class TokenCreated(TokenPublic):
    token: str = Field(description="shown this once; postgate keeps only a hash of it")


class LoginBody(BaseModel):
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=1000)


class LoginAnswer(BaseModel):
    user_id: str
    csrf_token: str = Field(description=f"send it as X-CSRF-Token with every POST/PUT/PATCH/DELETE; {CSRF_COOKIE}")
    expires_at: datetime


@router.get("/me", response_model=Me, responses=error_responses(401))
def me(user: CurrentUser) -> Me:
    """Who you are authenticated as, and your role in each of your workspaces."""
    return Me(
        id=user.id,
        name=user.name,
        email=user.email,
        memberships=[MembershipPublic(workspace_id=w, role=r) for w, r in sorted(user.memberships.items())],
        authenticated_with="token" if user.token_id else "session",
        locale=user.locale,
        time_zone=user.time_zone,
    )


@router.put("/me/preferences", response_model=Preferences, responses=error_responses(401, 422))
def put_preferences(body: Preferences, ctx: ContextDep, user: CurrentUser) -> Preferences:
    """Your language and time zone in the web app, on your account (every browser you sign in with)."""
    with transaction(ctx.engine) as session:
        set_preferences(session, user.id, locale=body.locale, time_zone=body.time_zone)
    return body


@router.post("/me/tokens", status_code=201, response_model=TokenCreated, responses=error_responses(401, 403, 413, 422))
def create_token(body: TokenCreate, ctx: ContextDep, user: CurrentUser) -> TokenCreated:
    """A new API token for you. Copy it now: it is shown only in this answer."""
    with transaction(ctx.engine) as session:
        row, plain = issue_token(
            session, user.id, body.name, now=datetime.now(UTC), lifetime=timedelta(days=body.expires_in_days)
        )
        return TokenCreated(**TokenPublic.from_row(row).model_dump(), token=plain)


class TokenList(BaseModel):
    tokens: list[TokenPublic]
    next_cursor: str | None


@router.get("/me/tokens", response_model=TokenList, responses=error_responses(401))
def list_tokens(ctx: ContextDep, user: CurrentUser, limit: Limit = 100, cursor: Cursor = None) -> TokenList:
    """Your tokens, oldest first, revoked and expired ones included (never the tokens themselves)."""
    with transaction(ctx.engine) as session:
        rows = [TokenPublic.from_row(t) for t in tokens_of(session, user.id)]
    tokens, next_cursor = page(rows, lambda t: f"{t.created_at.isoformat()}|{t.id}", limit, cursor)
    return TokenList(tokens=tokens, next_cursor=next_cursor)


@router.delete("/me/tokens/{token_id}", status_code=204, responses=error_responses(401, 403, 404, 422))
def delete_token(token_id: str, ctx: ContextDep, user: CurrentUser) -> None:
    """Revoke one of your tokens at once (it stays listed, with revoked_at)."""
    with transaction(ctx.engine) as session:
        token = get_token(session, user.id, token_id)
        if token is None:
            raise HTTPException(404, f"you have no token '{token_id}'")
        revoke_token(session, token, now=datetime.now(UTC))


@router.post("/auth/login", response_model=LoginAnswer, responses=error_responses(401, 413, 422, 429))
def login(body: LoginBody, request: Request, response: Response, ctx: ContextDep) -> LoginAnswer:
    """Log in with e-mail and password: sets an HttpOnly session cookie and answers the CSRF token.

    Failures slow down the same e-mail from the same address only (the real user elsewhere is not locked
    out): after 3, each try waits twice as long as the last (1 s, 2 s, 4 s ... up to 15 minutes), answered
    429 with Retry-After. The address is the caller's, or what POSTGATE_TRUSTED_PROXIES say it is."""
    ip = client_address(request, ctx.settings.trusted_proxy_networks)
    email, now = normalise_email(body.email), datetime.now(UTC)
    opened = None
    with transaction(ctx.engine) as session:
        wait = login_retry_after(session, email, ip, now=now)
        if wait is None:
            user = user_by_email(session, email)
            if verify_password(user, body.password) and user is not None and not user.disabled:
                if needs_rehash(user):
                    set_password(session, user, body.password)
                clear_login_failures(session, email, ip)
                opened = open_session(session, user.id, now=now)
            else:
                # Committed with the transaction, unlike anything raised inside it.
                record_login_failure(session, email, ip, now=now)
    if wait is not None:
        raise HTTPException(
            429, f"too many failed logins; try again in {wait} seconds", headers={"Retry-After": str(wait)}
        )
    if opened is None:
        raise ServiceError(401, "unauthenticated", "wrong e-mail or password")
    secure = request.url.scheme == "https"
    max_age = int((opened.expires_at - now).total_seconds())
    response.set_cookie(
        SESSION_COOKIE, opened.cookie, max_age=max_age, httponly=True, samesite="lax", secure=secure, path="/"
    )
    # Readable by the pages' scripts, which echo it in X-CSRF-Token; useless to another site, which cannot read it.
    response.set_cookie(
        CSRF_COOKIE, opened.csrf_token, max_age=max_age, httponly=False, samesite="lax", secure=secure, path="/"
    )
    return LoginAnswer(user_id=opened.user_id, csrf_token=opened.csrf_token, expires_at=opened.expires_at)


@router.post("/auth/logout", status_code=204, responses=error_responses(401, 403))
def logout(response: Response, ctx: ContextDep, user: CurrentUser) -> None:
    """End this browser session (an API token is revoked with DELETE /me/tokens/{id} instead)."""
    if user.session_id_hash is not None:
        with transaction(ctx.engine) as session:
            close_session(session, user.session_id_hash)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
