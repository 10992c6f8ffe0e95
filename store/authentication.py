"""How a caller proves who they are: passwords (argon2id), API tokens, browser sessions, login throttling.

Secrets are never stored. Passwords are low-entropy, so they get argon2id (slow on purpose). API tokens and
session cookies carry 256 random bits, so a single SHA-256 is enough to make a stolen table useless, and
it keeps checking a token on every request cheap.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, delete, func, select

from store.tables import ApiToken, LoginAttempt, User, WebSession

TOKEN_SCHEME = "pg"
DEFAULT_TOKEN_LIFETIME = timedelta(days=90)
MAX_TOKEN_LIFETIME = timedelta(days=365)
SESSION_LIFETIME = timedelta(hours=12)
# A token's last_used_at is written at most this often, so reads do not each cost a write.
LAST_USED_GRANULARITY = timedelta(minutes=1)
# Login throttling per (account, source address), see `login_retry_after`.
THROTTLE_WINDOW = timedelta(hours=1)
THROTTLE_FREE = 3
SOURCE_FREE = 20
BACKOFF_BASE = timedelta(seconds=1)
BACKOFF_CAP = timedelta(minutes=15)

_hasher = PasswordHasher()  # argon2id with argon2-cffi's defaults (RFC 9106's second recommendation)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@cache
def _decoy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def verify_password(user: User | None, password: str) -> bool:
    """Whether the password is the user's; as slow for an unknown user, so timing tells nothing."""
    stored = user.password_hash if user is not None and user.password_hash else None
    try:
        ok = _hasher.verify(stored or _decoy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return ok and stored is not None


def needs_rehash(user: User) -> bool:
    return user.password_hash is not None and _hasher.check_needs_rehash(user.password_hash)


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# ---- API tokens -----------------------------------------------------------------------------------------


class TokenRefused(Exception):
    """Why a presented token does not authenticate; the message is safe to show the caller."""


def issue_token(
    session: Session, user_id: str, name: str, *, now: datetime, lifetime: timedelta = DEFAULT_TOKEN_LIFETIME
) -> tuple[ApiToken, str]:
    """A new token and its plain form pg_<id>_<secret>, which is shown once and never stored."""
    if not timedelta(0) < lifetime <= MAX_TOKEN_LIFETIME:
        raise ValueError(f"a token lives at most {MAX_TOKEN_LIFETIME.days} days")
    token_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    plain = f"{TOKEN_SCHEME}_{token_id}_{secret}"
    row = ApiToken(
        id=token_id,
        user_id=user_id,
        name=name,
        secret_hash=sha256_hex(secret),
        prefix=plain[: len(TOKEN_SCHEME) + len(token_id) + 6],
        created_at=now,
        expires_at=now + lifetime,
    )
    session.add(row)
    session.flush()
    return row, plain


def _parse(plain: str) -> tuple[str, str]:
    scheme, _, rest = plain.partition("_")
    token_id, _, secret = rest.partition("_")
    if scheme != TOKEN_SCHEME or not token_id or not secret:
        raise TokenRefused("that is not a postgate token; they look like pg_<id>_<secret>")
    return token_id, secret


def authenticate_token(session: Session, plain: str, *, now: datetime) -> tuple[User, ApiToken]:
    token_id, secret = _parse(plain)
    row = session.get(ApiToken, token_id)
    # compare_digest: how much of the hash matched must not show in the time the answer takes.
    if row is None or not hmac.compare_digest(row.secret_hash, sha256_hex(secret)):
        raise TokenRefused("unknown token; check it was copied whole, or create a new one")
    if row.revoked_at is not None:
        raise TokenRefused(f"this token was revoked at {row.revoked_at.isoformat()}; create a new one")
    if row.expires_at <= now:
        raise TokenRefused(f"this token expired at {row.expires_at.isoformat()}; create a new one")
    user = session.get(User, row.user_id)
    if user is None or user.disabled:
        raise TokenRefused("this account is disabled; ask an administrator")
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_GRANULARITY:
        row.last_used_at = now
        session.add(row)
    return user, row


def tokens_of(session: Session, user_id: str) -> list[ApiToken]:
    query = select(ApiToken).where(ApiToken.user_id == user_id).order_by(col(ApiToken.created_at), col(ApiToken.id))
    return list(session.exec(query))


def get_token(session: Session, user_id: str, token_id: str) -> ApiToken | None:
    row = session.get(ApiToken, token_id)
    return row if row is not None and row.user_id == user_id else None


def revoke_token(session: Session, token: ApiToken, *, now: datetime) -> None:
    if token.revoked_at is None:
        token.revoked_at = now
        session.add(token)


# ---- browser sessions -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenedSession:
    user_id: str
    cookie: str
    csrf_token: str
    expires_at: datetime


def open_session(session: Session, user_id: str, *, now: datetime) -> OpenedSession:
    cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    # The user's ended sessions go as a new one starts, so the table holds only live ones (and a few more).
    session.exec(delete(WebSession).where(col(WebSession.user_id) == user_id, col(WebSession.expires_at) <= now))
    row = WebSession(
        id_hash=sha256_hex(cookie), user_id=user_id, csrf_token=csrf, created_at=now, expires_at=now + SESSION_LIFETIME
    )
    session.add(row)
    session.flush()
    return OpenedSession(user_id=user_id, cookie=cookie, csrf_token=csrf, expires_at=row.expires_at)


def find_session(session: Session, cookie: str, *, now: datetime) -> tuple[User, WebSession] | None:
    row = session.get(WebSession, sha256_hex(cookie))
    if row is None or row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None or user.disabled:
        return None
    return user, row


def close_session(session: Session, id_hash: str) -> None:
    session.exec(delete(WebSession).where(col(WebSession.id_hash) == id_hash))


# ---- login throttling -----------------------------------------------------------------------------------


def _backoff(count: int, last: datetime | None, free: int, now: datetime) -> float | None:
    """Seconds still to wait after `count` failures, the newest at `last`: none for the first `free`, then
    BACKOFF_BASE doubling with each further failure, up to BACKOFF_CAP, counted from the newest."""
    if last is None or count < free:
        return None
    delay = min(BACKOFF_BASE * 2 ** min(count - free, 32), BACKOFF_CAP)
    left = (last + delay - now).total_seconds()
    return left if left > 0 else None


def login_retry_after(session: Session, email: str, ip: str, *, now: datetime) -> int | None:
    """Seconds until a login for this e-mail from this address may be tried again, or None if it may now.

    Failures count per (e-mail, source address): the same account from another address is not slowed, so
    nobody can lock a user out by failing on purpose. After THROTTLE_FREE failures of a pair each try waits
    twice as long as the one before (1 s, 2 s, 4 s ... up to 15 minutes). One source failing on many accounts
    is slowed the same way after SOURCE_FREE failures. Failures are forgotten after THROTTLE_WINDOW."""
    session.exec(delete(LoginAttempt).where(col(LoginAttempt.at) < now - THROTTLE_WINDOW))
    waits = []
    for conditions, free in (
        ((col(LoginAttempt.email) == email, col(LoginAttempt.ip) == ip), THROTTLE_FREE),
        ((col(LoginAttempt.ip) == ip,), SOURCE_FREE),
    ):
        count, last = session.exec(select(func.count(), func.max(LoginAttempt.at)).where(*conditions)).one()
        wait = _backoff(count, last, free, now)
        if wait is not None:
            waits.append(wait)
    return math.ceil(max(waits)) if waits else None


def record_login_failure(session: Session, email: str, ip: str, *, now: datetime) -> None:
    session.add(LoginAttempt(email=email, ip=ip, at=now))


def clear_login_failures(session: Session, email: str, ip: str) -> None:
    """A successful login forgets its own source's failures for the account, not another source's."""
    session.exec(delete(LoginAttempt).where(col(LoginAttempt.email) == email, col(LoginAttempt.ip) == ip))
