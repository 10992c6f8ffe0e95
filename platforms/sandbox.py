"""The sandbox platform: a small, real HTTP service that behaves like a social network.

It is the default channel in development and the test double for the publish activity, so it keeps the
contracts a real platform would: an `Idempotency-Key` is required on every publish and replays the stored
post, a post can be looked up by that key after an ambiguous failure, and engagement metrics only ever grow.
Posts live in SQLite so a restarted sandbox still knows everything it has published.
"""

import hashlib
import html
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Annotated

from fastapi import FastAPI, Header, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

Clock = Callable[[], datetime]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_MAX_KEY_LENGTH = 255
# Long enough for any lock holder to finish a single-row transaction, even on a slow CI disk.
_BUSY_TIMEOUT_SECONDS = 30.0


def _system_clock() -> datetime:
    return datetime.now(UTC)


def _to_micros(moment: datetime) -> int:
    # Integer microseconds compare and order exactly, and a replayed post returns the very same timestamp.
    return (moment - _EPOCH) // _MICROSECOND


def _from_micros(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


class PostCreate(BaseModel):
    channel: str = Field(min_length=1, max_length=64)
    text: str = Field(min_length=1, max_length=20000)


class PostPublic(BaseModel):
    id: str
    url: str
    channel: str
    text: str
    created_at: datetime


class PostList(BaseModel):
    posts: list[PostPublic]


class MetricsPublic(BaseModel):
    post_id: str
    impressions: int
    likes: int
    shares: int
    replies: int
    measured_at: datetime


@dataclass(frozen=True)
class _StoredPost:
    id: str
    idempotency_key: str
    url: str
    channel: str
    text: str
    created_at_us: int
    measured_at_us: int

    def public(self) -> PostPublic:
        return PostPublic(
            id=self.id,
            url=self.url,
            channel=self.channel,
            text=self.text,
            created_at=_from_micros(self.created_at_us),
        )


_COLUMNS = "id, idempotency_key, url, channel, text, created_at_us, measured_at_us"
_LIVE = "id NOT IN (SELECT post_id FROM deletions)"


class _PostStore:
    """Every query the sandbox runs. One short-lived connection per call, so threads never share one."""

    def __init__(self, db_path: Path) -> None:
        self._db_path = db_path
        db_path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            # WAL lets readers proceed while a publish holds the write lock; the mode is stored in the file.
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(
                """
                CREATE TABLE IF NOT EXISTS posts (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    id TEXT NOT NULL UNIQUE,
                    idempotency_key TEXT NOT NULL UNIQUE,
                    url TEXT NOT NULL,
                    channel TEXT NOT NULL,
                    text TEXT NOT NULL,
                    created_at_us INTEGER NOT NULL,
                    measured_at_us INTEGER NOT NULL
                )
                """
            )
            conn.execute("CREATE INDEX IF NOT EXISTS posts_by_channel ON posts (channel, seq)")
            # A deleted post is gone for every reader, as on a real platform; its key stays used.
            conn.execute(
                "CREATE TABLE IF NOT EXISTS deletions (post_id TEXT PRIMARY KEY, deleted_at_us INTEGER NOT NULL)"
            )

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # Autocommit mode: transactions are opened explicitly where a read-then-write must be atomic.
        conn = sqlite3.connect(self._db_path, timeout=_BUSY_TIMEOUT_SECONDS, isolation_level=None)
        try:
            yield conn
        finally:
            conn.close()

    def publish_once(
        self, idempotency_key: str, channel: str, text: str, base_url: str, now_us: int
    ) -> tuple[_StoredPost, bool, bool]:
        """The post stored under the key, creating it if the key is new; True when it was just created; True
        when the post under the key was deleted (it stays deleted)."""
        with self._connect() as conn:
            # IMMEDIATE takes the write lock before the lookup, so two publishes with one key (from any thread
            # or process) cannot both see "no post yet" and both insert.
            conn.execute("BEGIN IMMEDIATE")
            try:
                row = conn.execute(
                    f"SELECT {_COLUMNS} FROM posts WHERE idempotency_key = ?", (idempotency_key,)
                ).fetchone()
                if row is not None:
                    gone = conn.execute("SELECT 1 FROM deletions WHERE post_id = ?", (row[0],)).fetchone()
                    conn.execute("COMMIT")
                    return _StoredPost(*row), False, gone is not None
                post_id = f"sbx_{secrets.token_hex(8)}"
                post = _StoredPost(
                    id=post_id,
                    idempotency_key=idempotency_key,
                    url=f"{base_url}/p/{post_id}",
                    channel=channel,
                    text=text,
                    created_at_us=now_us,
                    measured_at_us=now_us,
                )
                conn.execute(
                    f"INSERT INTO posts ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        post.id,
                        post.idempotency_key,
                        post.url,
                        post.channel,
                        post.text,
                        post.created_at_us,
                        post.measured_at_us,
                    ),
                )
                conn.execute("COMMIT")
                return post, True, False
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def get(self, post_id: str) -> _StoredPost | None:
        with self._connect() as conn:
            row = conn.execute(f"SELECT {_COLUMNS} FROM posts WHERE id = ? AND {_LIVE}", (post_id,)).fetchone()
        return None if row is None else _StoredPost(*row)

    def get_by_key(self, idempotency_key: str) -> _StoredPost | None:
        with self._connect() as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM posts WHERE idempotency_key = ? AND {_LIVE}", (idempotency_key,)
            ).fetchone()
        return None if row is None else _StoredPost(*row)

    def list(self, channel: str | None) -> list[_StoredPost]:
        with self._connect() as conn:
            if channel is None:
                rows = conn.execute(f"SELECT {_COLUMNS} FROM posts WHERE {_LIVE} ORDER BY seq").fetchall()
            else:
                rows = conn.execute(
                    f"SELECT {_COLUMNS} FROM posts WHERE channel = ? AND {_LIVE} ORDER BY seq", (channel,)
                ).fetchall()
        return [_StoredPost(*row) for row in rows]

    def delete(self, post_id: str, now_us: int) -> bool:
        """Delete a live post; False when there is none (never was, or already deleted)."""
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                live = conn.execute(f"SELECT 1 FROM posts WHERE id = ? AND {_LIVE}", (post_id,)).fetchone()
                if live is not None:
                    conn.execute("INSERT INTO deletions (post_id, deleted_at_us) VALUES (?, ?)", (post_id, now_us))
                conn.execute("COMMIT")
                return live is not None
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def advance_measurement(self, post_id: str, now_us: int) -> _StoredPost | None:
        """Move the post's measurement time forward to now, never back, and return the post."""
        with self._connect() as conn:
            # Persisting the high-water mark keeps metrics from shrinking if the wall clock steps backwards
            # (NTP, a VM resume) or the sandbox restarts on a host whose clock is behind.
            rows = conn.execute(
                f"UPDATE posts SET measured_at_us = max(measured_at_us, ?) WHERE id = ? AND {_LIVE} "
                f"RETURNING {_COLUMNS}",
                (now_us, post_id),
            ).fetchall()
        return _StoredPost(*rows[0]) if rows else None


def _metrics_for(post: _StoredPost) -> MetricsPublic:
    seconds = max(0, post.measured_at_us - post.created_at_us) / 1_000_000
    # A stable per-post offset makes posts differ from each other while staying reproducible across restarts.
    offset = int.from_bytes(hashlib.sha256(post.id.encode()).digest()[:4], "big") % 97
    impressions = offset + int(10 * seconds**0.8)
    return MetricsPublic(
        post_id=post.id,
        impressions=impressions,
        likes=impressions // 20,
        shares=impressions // 90,
        replies=impressions // 45,
        measured_at=_from_micros(post.measured_at_us),
    )


class _RateLimited(Exception):
    def __init__(self, retry_after: float) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


class _SandboxRefusal(Exception):
    """A request the sandbox refuses, with the status and machine-readable code a real platform would send."""

    def __init__(self, status_code: int, error: str, message: str) -> None:
        super().__init__(status_code, error, message)
        self.status_code = status_code
        self.error = error
        self.message = message


def _error_response(status_code: int, error: str, message: str) -> JSONResponse:
    return JSONResponse({"error": error, "message": message}, status_code=status_code)


def _not_found(what: str) -> _SandboxRefusal:
    return _SandboxRefusal(404, "not_found", f"No post {what} exists on this sandbox; check the value.")


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(_RateLimited)
    async def rate_limited(_: Request, exc: _RateLimited) -> JSONResponse:
        response = _error_response(429, "rate_limited", "Injected rate limit: slow down.")
        response.headers["Retry-After"] = f"{exc.retry_after:g}"
        return response

    @app.exception_handler(_SandboxRefusal)
    async def refusal(_: Request, exc: _SandboxRefusal) -> JSONResponse:
        return _error_response(exc.status_code, exc.error, exc.message)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in exc.errors()
        )
        return _error_response(422, "invalid_request", f"Fix the request and send it again: {problems}.")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        error = HTTPStatus(exc.status_code).phrase.lower().replace(" ", "_")
        message = f"{request.method} {request.url.path}: {exc.detail}."
        return _error_response(exc.status_code, error, message)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        return _error_response(500, "internal_error", "The sandbox failed unexpectedly; retry the request.")


class Faults(BaseModel):
    """Failures the sandbox injects into one channel's calls, so tests can prove exactly-once publishing.

    Counts are consumed one per publish request. Faults live in memory: a restart clears them.
    """

    fail_5xx: int = Field(default=0, ge=0, description="the next N publishes answer 503 and store nothing")
    rate_limit: int = Field(default=0, ge=0, description="the next N publishes answer 429 with Retry-After")
    retry_after: float = Field(default=1.0, ge=0)
    ambiguous: int = Field(default=0, ge=0, description="the next N publishes store the post, then answer 504")
    hang: int = Field(
        default=0, ge=0, description="the next N publishes store the post, then answer only after hang_ms"
    )
    hang_ms: int = Field(
        default=10_000, ge=0, le=120_000, description="longer than the client's read timeout: it times out"
    )
    fail_delete: int = Field(default=0, ge=0, description="the next N deletes answer 503 and delete nothing")
    revoked: bool = Field(default=False, description="every call answers 401 until cleared")
    slow_ms: int = Field(default=0, ge=0, le=60_000, description="every call on the channel waits this long first")


class FaultReport(BaseModel):
    channel: str
    remaining: Faults
    injected: dict[str, int]


class _FaultBoard:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: dict[str, Faults] = {}
        self._injected: dict[str, dict[str, int]] = {}

    def set(self, channel: str, faults: Faults) -> None:
        """A new plan for the channel; what it reports as injected counts from here."""
        with self._lock:
            self._faults[channel] = faults.model_copy()
            self._injected.pop(channel, None)

    def clear(self, channel: str) -> None:
        with self._lock:
            self._faults.pop(channel, None)

    def report(self, channel: str) -> FaultReport:
        with self._lock:
            return FaultReport(
                channel=channel,
                remaining=self._faults.get(channel, Faults()).model_copy(),
                injected=dict(self._injected.get(channel, {})),
            )

    def take(self, channel: str) -> tuple[str | None, Faults]:
        """The fault this publish meets (consuming one count), and the channel's standing faults."""
        with self._lock:
            faults = self._faults.get(channel)
            if faults is None:
                return None, Faults()
            kind = None
            if faults.revoked:
                kind = "revoked"
            else:
                for name in ("fail_5xx", "rate_limit", "ambiguous", "hang"):
                    if getattr(faults, name) > 0:
                        setattr(faults, name, getattr(faults, name) - 1)
                        kind = name
                        break
            if kind is not None:
                counts = self._injected.setdefault(channel, {})
                counts[kind] = counts.get(kind, 0) + 1
            return kind, faults.model_copy()

    def take_delete(self, channel: str) -> bool:
        """True when this delete meets an injected 503 (consuming one count)."""
        with self._lock:
            faults = self._faults.get(channel)
            if faults is None or faults.fail_delete <= 0:
                return False
            faults.fail_delete -= 1
            counts = self._injected.setdefault(channel, {})
            counts["fail_delete"] = counts.get("fail_delete", 0) + 1
            return True

    def standing(self, channel: str) -> Faults:
        """The channel's faults, consuming nothing: what every non-publishing call meets."""
        with self._lock:
            return self._faults.get(channel, Faults()).model_copy()

    def revoked(self, channel: str) -> bool:
        return self.standing(channel).revoked


def create_sandbox_app(db_path: Path, clock: Clock | None = None) -> FastAPI:
    """The sandbox platform, storing its posts at `db_path`.

    `clock` must return timezone-aware datetimes; tests inject one to make metrics grow without sleeping.
    """
    now = clock or _system_clock
    store = _PostStore(db_path)
    faults = _FaultBoard()
    app = FastAPI(title="postgate sandbox platform")
    _install_error_handlers(app)

    # Endpoints are plain `def` so FastAPI runs the blocking SQLite calls in its thread pool.

    @app.get("/healthz")
    def healthz() -> dict[str, bool]:
        return {"ok": True}

    @app.post("/api/posts", status_code=201)
    def publish(
        body: PostCreate,
        request: Request,
        response: Response,
        idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
    ) -> PostPublic:
        if not idempotency_key or len(idempotency_key) > _MAX_KEY_LENGTH:
            raise _SandboxRefusal(
                400,
                "idempotency_key_required",
                f"Send an Idempotency-Key header of 1 to {_MAX_KEY_LENGTH} characters, unique per post; "
                "resending the same key returns the post already created instead of a duplicate.",
            )
        fault, standing = faults.take(body.channel)
        if standing.slow_ms:
            time.sleep(standing.slow_ms / 1000)
        if fault == "revoked":
            raise _SandboxRefusal(401, "token_revoked", "The access token was revoked; reconnect the account.")
        if fault == "fail_5xx":
            raise _SandboxRefusal(503, "unavailable", "Injected failure: the platform is unavailable.")
        if fault == "rate_limit":
            raise _RateLimited(standing.retry_after)
        post, created, deleted = store.publish_once(
            idempotency_key,
            body.channel,
            body.text,
            base_url=str(request.base_url).rstrip("/"),
            now_us=_to_micros(now()),
        )
        if deleted:
            raise _SandboxRefusal(
                410,
                "deleted",
                f"The post made with Idempotency-Key {idempotency_key!r} ({post.id}) was deleted; "
                "a deleted post is not published again under its key.",
            )
        if fault == "ambiguous":
            # Stored, but the caller never hears so: it must find the post by its key, not post again.
            raise _SandboxRefusal(504, "gateway_timeout", "Injected failure: no answer from upstream.")
        if fault == "hang":
            # Stored, and the answer comes after the caller has given up waiting: a timeout, not an error.
            time.sleep(standing.hang_ms / 1000)
        if not created:
            if (post.channel, post.text) != (body.channel, body.text):
                raise _SandboxRefusal(
                    422,
                    "idempotency_key_reused",
                    f"Idempotency-Key {idempotency_key!r} was already used for different content "
                    f"(post {post.id}); use a new key for new content.",
                )
            response.status_code = 200
            response.headers["Idempotent-Replayed"] = "true"
        return post.public()

    def meet_standing_faults(channel: str) -> None:
        standing = faults.standing(channel)
        if standing.slow_ms:
            time.sleep(standing.slow_ms / 1000)
        if standing.revoked:
            raise _SandboxRefusal(401, "token_revoked", "The access token was revoked; reconnect the account.")

    @app.get("/api/channels/{channel}/account")
    def account(channel: str) -> dict[str, str]:
        """What a credentials check reads: who this channel posts as (401 while its token is revoked)."""
        meet_standing_faults(channel)
        return {"channel": channel, "name": f"sandbox:{channel}"}

    @app.put("/api/channels/{channel}/faults")
    def set_faults(channel: str, body: Faults) -> FaultReport:
        faults.set(channel, body)
        return faults.report(channel)

    @app.get("/api/channels/{channel}/faults")
    def read_faults(channel: str) -> FaultReport:
        return faults.report(channel)

    @app.delete("/api/channels/{channel}/faults")
    def clear_faults(channel: str) -> FaultReport:
        faults.clear(channel)
        return faults.report(channel)

    @app.get("/api/posts")
    def list_posts(channel: str | None = None) -> PostList:
        return PostList(posts=[post.public() for post in store.list(channel)])

    # Declared before the `{post_id}` routes: a key may contain "/" (or be "metrics"), which would otherwise
    # match `/api/posts/{post_id}/metrics` with post_id "by-key".
    @app.get("/api/posts/by-key/{idempotency_key:path}")
    def get_post_by_key(idempotency_key: str, channel: str | None = None) -> PostPublic:
        if channel is not None:
            meet_standing_faults(channel)
        post = store.get_by_key(idempotency_key)
        if post is None:
            raise _not_found(f"under Idempotency-Key {idempotency_key!r}")
        return post.public()

    @app.get("/api/posts/{post_id}")
    def get_post(post_id: str) -> PostPublic:
        post = store.get(post_id)
        if post is None:
            raise _not_found(f"with id {post_id!r}")
        return post.public()

    @app.delete("/api/posts/{post_id}", status_code=204)
    def delete_post(post_id: str) -> Response:
        """Delete a post, as Mastodon's DELETE /api/v1/statuses/:id does: 404 when there is no such post
        (never was, or deleted already), 401 while the channel's token is revoked, 503 when injected."""
        known = store.get(post_id)
        if known is None:
            raise _not_found(f"with id {post_id!r}")
        meet_standing_faults(known.channel)
        if faults.take_delete(known.channel):
            raise _SandboxRefusal(503, "unavailable", "Injected failure: the platform is unavailable.")
        if not store.delete(post_id, _to_micros(now())):
            raise _not_found(f"with id {post_id!r}")
        return Response(status_code=204)

    @app.get("/api/posts/{post_id}/metrics")
    def get_metrics(post_id: str) -> MetricsPublic:
        known = store.get(post_id)
        if known is not None:
            meet_standing_faults(known.channel)
        post = store.advance_measurement(post_id, _to_micros(now()))
        if post is None:
            raise _not_found(f"with id {post_id!r}")
        return _metrics_for(post)

    @app.get("/p/{post_id}", response_class=HTMLResponse)
    def view_post(post_id: str) -> str:
        post = store.get(post_id)
        if post is None:
            raise _not_found(f"with id {post_id!r}")
        created = _from_micros(post.created_at_us).isoformat()
        return (
            f"<!doctype html><title>{html.escape(post.channel)}</title>"
            f"<p><b>{html.escape(post.channel)}</b> · {created}</p>"
            f"<p style='white-space: pre-wrap'>{html.escape(post.text)}</p>"
        )

    return app
