"""SQLModel tables. These never cross the Temporal boundary: activities convert them to domain models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Dialect,
    ForeignKeyConstraint,
    Index,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores every time as UTC and hands it back timezone-aware, on SQLite as on PostgreSQL.

    SQLite keeps no offset: without this, 09:00+07:00 would be stored as 09:00 and read back as UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"refusing to store a naive datetime ({value}); give it a time zone")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _ts(**kw: object) -> object:
    return Field(sa_column=Column(UTCDateTime(), **kw))  # type: ignore[arg-type]


class Workspace(SQLModel, table=True):
    __tablename__ = "workspaces"
    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    # JSON list of words no post in this workspace may contain (checked as forbidden claims).
    banned_words: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    # JSON of brand.social.SocialRules: the workspace's social rules, which channels may override.
    social_rules: str = Field(default="{}", sa_column=Column(Text, nullable=False, server_default="{}"))
    # The Vale style every check uses (a version in brand_styles), or none.
    style_version: str | None = Field(default=None, max_length=64)
    # What happens to a post approved after its publish time: publish | hold | expire.
    late_policy: str = Field(default="publish", max_length=16)
    # IANA zone the workspace works in; times are stored in UTC and shown in this zone.
    time_zone: str = Field(default="UTC", max_length=64)
    # A crisis pause in force: nothing in this workspace publishes until it is lifted.
    paused_since: datetime | None = _ts(nullable=True)  # type: ignore[assignment]
    pause_reason: str | None = Field(default=None, max_length=2000)
    paused_by: str | None = Field(default=None, max_length=64)
    # JSON of domain.approval.ApprovalPolicy; empty = one step, any approver.
    approval_policy: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    created_at: datetime = _ts(nullable=False, default=utcnow)  # type: ignore[assignment]
    # A post that goes out more than this many seconds after its publish time is a notice to the team.
    late_notice_after_s: int = Field(default=60, sa_column_kwargs={"server_default": "60"})
    # JSON list of the roles that may take a published post down (admins always may).
    unpublish_roles: str = Field(
        default='["editor", "approver", "admin"]',
        sa_column=Column(Text, nullable=False, server_default='["editor", "approver", "admin"]'),
    )


class User(SQLModel, table=True):
    """An account. Accounts are global; Membership says in which workspaces and with which role."""

    __tablename__ = "users"
    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    # Lower-cased; optional (an account may only ever use API tokens), unique when set.
    email: str | None = Field(default=None, max_length=320, sa_column_kwargs={"unique": True})
    # argon2id, in argon2-cffi's encoded form; none = this account cannot log in with a password.
    password_hash: str | None = Field(default=None, max_length=200, repr=False)
    created_at: datetime = _ts(nullable=False, default=utcnow)  # type: ignore[assignment]
    # A disabled account keeps its history but every token and session of it is refused.
    disabled: bool = False
    # The web app's language (en, id) and IANA time zone this person chose; none: from their browser.
    locale: str | None = Field(default=None, max_length=8)
    time_zone: str | None = Field(default=None, max_length=64)


class Channel(SQLModel, table=True):
    """A workspace's channel. Its id is the workspace's own choice: the key is (workspace_id, id)."""

    __tablename__ = "channels"
    id: str = Field(primary_key=True, max_length=64)
    workspace_id: str = Field(foreign_key="workspaces.id", primary_key=True, index=True, max_length=64)
    name: str = Field(max_length=200)
    platform: str = Field(default="sandbox", max_length=32)
    max_length: int = 500
    # Whose length counting the brand check applies (x, bluesky, mastodon, ...); none = plain characters.
    counts_as: str | None = Field(default=None, max_length=32)
    # JSON overrides of the workspace's social rules for this channel.
    social_overrides: str = Field(default="{}", sa_column=Column(Text, nullable=False, server_default="{}"))
    # JSON of an ApprovalPolicy that replaces the workspace's for posts on this channel, if set.
    approval_policy: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # JSON of the platform's non-secret settings (platforms.channel_settings): base URL, handle, page id, ...
    settings: str = Field(default="{}", sa_column=Column(Text, nullable=False, server_default="{}"))
    # Ciphertext of the platform's secrets (store.credentials), under the key named by credentials_key_id.
    credentials: str | None = Field(default=None, sa_column=Column(Text, nullable=True), repr=False)
    credentials_key_id: str | None = Field(default=None, max_length=64)
    # active | disabled | needs_reconnection; only an active channel publishes.
    state: str = Field(default="active", max_length=32, sa_column_kwargs={"server_default": "active"})
    state_reason: str | None = Field(default=None, max_length=2000)
    # When an OAuth2 access token runs out; the worker refreshes it shortly before.
    token_expires_at: datetime | None = _ts(nullable=True)  # type: ignore[assignment]
    # JSON of platforms.base.TextLimits as the platform itself reported them (a Mastodon instance's
    # max_characters, characters_reserved_per_url, media limits), and when; none = not read yet.
    platform_limits: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    platform_limits_at: datetime | None = _ts(nullable=True)  # type: ignore[assignment]


class Post(SQLModel, table=True):
    """A post and its status projection (written with each audit entry, in the same transaction)."""

    __tablename__ = "posts"
    __table_args__ = (
        ForeignKeyConstraint(
            ["workspace_id", "channel_id"], ["channels.workspace_id", "channels.id"], name="fk_posts_workspace_channel"
        ),
    )
    id: str = Field(primary_key=True, max_length=64)
    workspace_id: str = Field(foreign_key="workspaces.id", index=True, max_length=64)
    channel_id: str = Field(max_length=64)  # a channel of the post's workspace (the key above)
    # JSON list of every channel the post targets (channel_id is the first).
    channel_ids: str = Field(default="[]", sa_column=Column(Text, nullable=False, server_default="[]"))
    author: str = Field(max_length=64)
    status: str = Field(index=True, max_length=32)
    current_revision: int = 1
    content_hash: str = Field(max_length=80)
    publish_at: datetime = _ts(nullable=False)  # type: ignore[assignment]
    # The IANA zone the publish time was given in, if any (for display; the instant is publish_at).
    publish_zone: str | None = Field(default=None, max_length=64)
    created_at: datetime = _ts(nullable=False, default=utcnow)  # type: ignore[assignment]
    updated_at: datetime = _ts(nullable=False, default=utcnow)  # type: ignore[assignment]
    last_seq: int = 0


class Revision(SQLModel, table=True):
    __tablename__ = "revisions"
    __table_args__ = (UniqueConstraint("post_id", "number", name="uq_revision_post_number"),)
    id: int | None = Field(default=None, primary_key=True)
    post_id: str = Field(foreign_key="posts.id", index=True, max_length=64)
    number: int
    text: str = Field(sa_column=Column(Text, nullable=False))
    # JSON list of domain.content.Variant: what a channel gets instead of the base text.
    variants: str = Field(default="[]", sa_column=Column(Text, nullable=False, server_default="[]"))
    content_hash: str = Field(max_length=80)
    author: str = Field(max_length=64)
    created_at: datetime = _ts(nullable=False, default=utcnow)  # type: ignore[assignment]


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entries"
    __table_args__ = (
        UniqueConstraint("workflow_id", "seq", name="uq_audit_workflow_seq"),
        UniqueConstraint("workspace_id", "chain_index", name="uq_audit_workspace_chain_index"),
    )
    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(index=True, max_length=64)
    post_id: str = Field(index=True, max_length=64)
    workflow_id: str = Field(max_length=80)
    seq: int
    action: str = Field(max_length=32)
    actor: str = Field(max_length=64)
    revision: int
    content_hash: str = Field(max_length=80)
    status: str = Field(max_length=32)
    detail: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    at: datetime = _ts(nullable=False)  # type: ignore[assignment]
    recorded_at: datetime = _ts(nullable=False, default=utcnow)  # type: ignore[assignment]
    # The workspace's hash chain, set by store.audit_chain.append_entries: position (from 1), the hash of
    # the entry before (a fixed genesis value for the first) and this entry's own hash.
    chain_index: int = 0
    prev_hash: str = Field(default="", max_length=64)
    hash: str = Field(default="", max_length=64)


class PublicationRow(SQLModel, table=True):
    __tablename__ = "publications"
    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(unique=True, max_length=128)
    post_id: str = Field(index=True, max_length=64)
    revision: int
    channel_id: str = Field(max_length=64)
    external_id: str = Field(max_length=200)
    url: str = Field(max_length=500)
    published_at: datetime = _ts(nullable=False)  # type: ignore[assignment]
    # Set when a person took the post down from the platform (unpublish).
    unpublished_at: datetime | None = _ts(nullable=True)  # type: ignore[assignment]
    unpublish_reason: str | None = Field(default=None, max_length=2000)


class MetricSnapshotRow(SQLModel, table=True):
    __tablename__ = "metric_snapshots"
    __table_args__ = (
        UniqueConstraint("post_id", "channel_id", "offset_seconds", name="uq_metric_post_channel_offset"),
    )
    id: int | None = Field(default=None, primary_key=True)
    post_id: str = Field(index=True, max_length=64)
    channel_id: str = Field(max_length=64)
    external_id: str = Field(max_length=200)
    offset_seconds: int
    collected_at: datetime = _ts(nullable=False)  # type: ignore[assignment]
    impressions: int = 0
    likes: int = 0
    shares: int = 0
    replies: int = 0


class BrandStyle(SQLModel, table=True):
    """An uploaded Vale style, kept whole so every check can name (and replay) the exact version it used."""

    __tablename__ = "brand_styles"
    __table_args__ = (UniqueConstraint("workspace_id", "version", name="uq_brand_style_version"),)
    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(foreign_key="workspaces.id", index=True, max_length=64)
    version: str = Field(max_length=64)
    names: str = Field(max_length=500)
    # JSON object of canonical path -> file text, as brand.loading.canonical_files gives them.
    files: str = Field(sa_column=Column(Text, nullable=False))
    rule_count: int
    uploaded_by: str = Field(max_length=64)
    created_at: datetime = _ts(nullable=False, default=utcnow)  # type: ignore[assignment]


class NotificationTarget(SQLModel, table=True):
    """Where a workspace's notifications go: a signed webhook or an e-mail address."""

    __tablename__ = "notification_targets"
    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(foreign_key="workspaces.id", index=True, max_length=64)
    kind: str = Field(max_length=16)  # domain.notify.TargetKind
    url: str | None = Field(default=None, max_length=2000)
    address: str | None = Field(default=None, max_length=320)
    # Signs webhook bodies (HMAC-SHA256): AES-GCM ciphertext under the credential keys (store/target_secrets.py),
    # the id of the key that sealed it, and its last 4 characters, the only part the API shows.
    secret: str | None = Field(default=None, sa_column=Column(Text, nullable=True), repr=False)
    secret_key_id: str | None = Field(default=None, max_length=64)
    secret_hint: str | None = Field(default=None, max_length=8)
    enabled: bool = True
    created_at: datetime = _ts(nullable=False, default=utcnow)  # type: ignore[assignment]


class NotificationSent(SQLModel, table=True):
    """One notification's outcome at one target, so a retried activity never sends to that target again."""

    __tablename__ = "notifications_sent"
    __table_args__ = (UniqueConstraint("dedupe_key", "target_id", name="uq_notification_sent_key_target"),)
    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(max_length=200)
    target_id: int = Field(foreign_key="notification_targets.id", index=True)
    status: str = Field(max_length=16)  # domain.notify.DeliveryStatus: sent or failed
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    sent_at: datetime = _ts(nullable=False, default=utcnow)  # type: ignore[assignment]


class AuditChainHead(SQLModel, table=True):
    """The end of a workspace's audit chain: the row every writer locks before it appends."""

    __tablename__ = "audit_chain_heads"
    workspace_id: str = Field(primary_key=True, max_length=64)
    last_index: int = 0
    last_hash: str = Field(max_length=64)
    # The index the newest signed checkpoint covers; the writer signs again every N entries after it.
    last_checkpoint_index: int = 0


class AuditCheckpoint(SQLModel, table=True):
    """A signature over (workspace, chain index, hash, time) by a key kept outside the database."""

    __tablename__ = "audit_checkpoints"
    __table_args__ = (UniqueConstraint("workspace_id", "chain_index", name="uq_audit_checkpoint_index"),)
    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(index=True, max_length=64)
    chain_index: int
    hash: str = Field(max_length=64)
    signed_at: datetime = _ts(nullable=False)  # type: ignore[assignment]
    key_id: str = Field(max_length=80)
    signature: str = Field(max_length=200)


class Membership(SQLModel, table=True):
    """A user's role in one workspace: admin | editor | approver | auditor | viewer. Authorisation reads this."""

    __tablename__ = "memberships"
    user_id: str = Field(foreign_key="users.id", primary_key=True, max_length=64)
    workspace_id: str = Field(foreign_key="workspaces.id", primary_key=True, index=True, max_length=64)
    role: str = Field(max_length=16)
    created_at: datetime = _ts(nullable=False, default=utcnow)  # type: ignore[assignment]


class Group(SQLModel, table=True):
    """A named set of a workspace's members; approval steps can name it (ApprovalStep.groups)."""

    __tablename__ = "groups"
    __table_args__ = (UniqueConstraint("workspace_id", "name", name="uq_group_workspace_name"),)
    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(foreign_key="workspaces.id", index=True, max_length=64)
    name: str = Field(max_length=80)


class GroupMember(SQLModel, table=True):
    __tablename__ = "group_members"
    group_id: int = Field(foreign_key="groups.id", primary_key=True)
    user_id: str = Field(foreign_key="users.id", primary_key=True, index=True, max_length=64)


class ApiToken(SQLModel, table=True):
    """A personal API token, shown once as pg_<id>_<secret>; only the SHA-256 of the secret is kept."""

    __tablename__ = "api_tokens"
    id: str = Field(primary_key=True, max_length=32)
    user_id: str = Field(foreign_key="users.id", index=True, max_length=64)
    name: str = Field(max_length=100)
    secret_hash: str = Field(max_length=64, repr=False)
    # The token's first characters, to recognise it in a list (never enough to use it).
    prefix: str = Field(max_length=40)
    created_at: datetime = _ts(nullable=False, default=utcnow)  # type: ignore[assignment]
    expires_at: datetime = _ts(nullable=False)  # type: ignore[assignment]
    last_used_at: datetime | None = _ts(nullable=True)  # type: ignore[assignment]
    revoked_at: datetime | None = _ts(nullable=True)  # type: ignore[assignment]


class WebSession(SQLModel, table=True):
    """A browser session after a password login; the cookie holds a secret whose SHA-256 is the key here."""

    __tablename__ = "web_sessions"
    id_hash: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(foreign_key="users.id", index=True, max_length=64)
    # Sent back in X-CSRF-Token by every state-changing request the session makes.
    csrf_token: str = Field(max_length=64, repr=False)
    created_at: datetime = _ts(nullable=False, default=utcnow)  # type: ignore[assignment]
    expires_at: datetime = _ts(nullable=False)  # type: ignore[assignment]


class LoginAttempt(SQLModel, table=True):
    """A failed password login, kept for the throttling window (so every API replica sees it)."""

    __tablename__ = "login_attempts"
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(index=True, max_length=320)
    ip: str = Field(index=True, max_length=64)
    at: datetime = _ts(nullable=False, default=utcnow)  # type: ignore[assignment]


class RevisionComment(SQLModel, table=True):
    """A remark on one revision of a post (review feedback); every comment is in the audit trail too."""

    __tablename__ = "revision_comments"
    id: int | None = Field(default=None, primary_key=True)
    post_id: str = Field(foreign_key="posts.id", index=True, max_length=64)
    revision: int
    author: str = Field(max_length=64)
    body: str = Field(sa_column=Column(Text, nullable=False))
    # Optional anchor: the channel whose variant it is about, and a quoted span of the text.
    channel_id: str | None = Field(default=None, max_length=64)
    quote: str | None = Field(default=None, max_length=500)
    created_at: datetime = _ts(nullable=False, default=utcnow)  # type: ignore[assignment]


class OidcSignIn(SQLModel, table=True):
    """An OIDC sign-in under way: what the callback must check, kept here so any API replica can finish it.

    Keyed by the SHA-256 of its `state`; `binding_hash` is that of a cookie in the browser that started it."""

    __tablename__ = "oidc_sign_ins"
    state_hash: str = Field(primary_key=True, max_length=64)
    binding_hash: str = Field(max_length=64)
    nonce: str = Field(max_length=128, repr=False)
    code_verifier: str = Field(max_length=128, repr=False)
    expires_at: datetime = _ts(nullable=False, index=True)  # type: ignore[assignment]


class Invitation(SQLModel, table=True):
    """An offer of a role in a workspace; a membership exists only once the invitee accepts it.

    Addressed to an account id or to an e-mail address (which need not belong to an account yet): it is stored
    alike either way, so the answer to the admin says nothing about which accounts exist."""

    __tablename__ = "invitations"
    id: str = Field(primary_key=True, max_length=32)  # random: an invitation's id cannot be guessed
    workspace_id: str = Field(foreign_key="workspaces.id", index=True, max_length=64)
    user_id: str | None = Field(default=None, index=True, max_length=64)
    email: str | None = Field(default=None, index=True, max_length=320)  # lower-cased, as users.email
    role: str = Field(max_length=16)
    invited_by: str = Field(max_length=64)
    created_at: datetime = _ts(nullable=False, default=utcnow)  # type: ignore[assignment]
    expires_at: datetime = _ts(nullable=False)  # type: ignore[assignment]
    # pending | accepted | declined | revoked (an expired one stays pending and is refused by its time).
    state: str = Field(default="pending", max_length=16)
    decided_at: datetime | None = _ts(nullable=True)  # type: ignore[assignment]


class IdempotencyKey(SQLModel, table=True):
    """An Idempotency-Key bound to the request that first used it: who sent it, to which route, with which body
    (SHA-256 of its canonical JSON). The first 2xx answer is kept, and a true repeat gets it back."""

    __tablename__ = "idempotency_keys"
    key: str = Field(primary_key=True, max_length=200)
    actor: str = Field(max_length=64)
    route: str = Field(max_length=300)
    body_hash: str = Field(max_length=64)
    status_code: int | None = None
    response: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = _ts(nullable=False, default=utcnow)  # type: ignore[assignment]


class CalendarFeed(SQLModel, table=True):
    """A person's iCal feed of a workspace's schedule: the URL holds a secret whose SHA-256 is kept here."""

    __tablename__ = "calendar_feeds"
    # One live feed per person and workspace, however many "make a new address" requests race.
    __table_args__ = (
        Index(
            "uq_calendar_feeds_live",
            "user_id",
            "workspace_id",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )
    secret_hash: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(foreign_key="users.id", index=True, max_length=64)
    workspace_id: str = Field(foreign_key="workspaces.id", max_length=64)
    created_at: datetime = _ts(nullable=False, default=utcnow)  # type: ignore[assignment]
    revoked_at: datetime | None = _ts(nullable=True)  # type: ignore[assignment]


class PostLiveState(SQLModel, table=True):
    """The last live state a list read from a post's workflow, and the projection (last_seq, status) it was
    read at: right until that projection moves (web.state_cache), so a fresh process need not ask again."""

    __tablename__ = "post_live_states"
    post_id: str = Field(primary_key=True, foreign_key="posts.id", max_length=64)
    last_seq: int
    status: str = Field(max_length=32)
    state: str = Field(sa_column=Column(Text, nullable=False))  # LifecycleState as JSON
