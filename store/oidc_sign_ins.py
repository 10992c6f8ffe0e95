"""OIDC sign-ins: the attempt a browser starts, kept server-side until its callback, and the account it leads to.

The state, nonce and PKCE verifier of an attempt live in the database (one row, keyed by the state's hash),
so any API replica can finish it and it can be finished once only. The browser that started it holds a
random binding in a cookie; the callback must come with it, so a sign-in started by someone else cannot be
completed in your browser (login CSRF).
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, delete

from store.accounts import create_user, get_user, normalise_email, user_by_email
from store.authentication import sha256_hex
from store.tables import OidcSignIn, User

SIGN_IN_LIFETIME = timedelta(minutes=10)


class SignInRefused(Exception):
    """Why a callback does not continue a sign-in; the message is safe to show."""


@dataclass(frozen=True)
class StartedSignIn:
    state: str
    nonce: str
    code_verifier: str
    binding: str  # for the browser's cookie
    expires_at: datetime


def start_sign_in(session: Session, *, now: datetime) -> StartedSignIn:
    # Abandoned attempts go as new ones start, so the table holds only live ones.
    session.exec(delete(OidcSignIn).where(col(OidcSignIn.expires_at) <= now))
    started = StartedSignIn(
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        code_verifier=secrets.token_urlsafe(48),  # 64 characters, within RFC 7636's 43 to 128
        binding=secrets.token_urlsafe(32),
        expires_at=now + SIGN_IN_LIFETIME,
    )
    session.add(
        OidcSignIn(
            state_hash=sha256_hex(started.state),
            binding_hash=sha256_hex(started.binding),
            nonce=started.nonce,
            code_verifier=started.code_verifier,
            expires_at=started.expires_at,
        )
    )
    session.flush()
    return started


def take_sign_in(session: Session, state: str) -> OidcSignIn | None:
    """The attempt this state started, removed so that nobody can finish it a second time."""
    row = session.get(OidcSignIn, sha256_hex(state))
    if row is not None:
        session.delete(row)
        session.flush()
    return row


def check_sign_in(taken: OidcSignIn | None, binding: str | None, *, now: datetime) -> OidcSignIn:
    """The attempt, if this browser may finish it now."""
    if taken is None:
        raise SignInRefused("this sign-in is unknown or was already used; start again at /auth/oidc/login")
    if taken.expires_at <= now:
        raise SignInRefused("this sign-in took too long and has expired; start again at /auth/oidc/login")
    if not binding or not hmac.compare_digest(sha256_hex(binding), taken.binding_hash):
        raise SignInRefused(
            "this sign-in was started in another browser (or its cookie is gone); start again at /auth/oidc/login"
        )
    return taken


def account_for_email(session: Session, email: str, name: str | None, *, allow_signup: bool) -> User | None:
    """The account with this (verified) e-mail; a new one, in no workspace yet, if there is none and sign-up is on."""
    user = user_by_email(session, email)
    if user is None and allow_signup:
        user = create_user(session, _free_user_id(session, email), (name or email)[:200], email=email)
    return user


def _free_user_id(session: Session, email: str) -> str:
    """An unused account id made from the e-mail's local part, as the API's ids look: [a-z0-9][a-z0-9_-]*."""
    local = normalise_email(email).split("@", 1)[0]
    base = re.sub(r"[^a-z0-9_-]+", "-", local).strip("-_")[:56] or "user"
    candidate, n = base, 1
    while get_user(session, candidate) is not None:
        n += 1
        candidate = f"{base}-{n}"
    return candidate
