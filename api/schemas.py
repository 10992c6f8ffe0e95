"""Request and response bodies of the API."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias, Union
from zoneinfo import ZoneInfo, available_timezones

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, PlainValidator, field_validator, model_validator

from brand.engine import SocialRules
from brand.starters import StarterName
from domain.approval import ApprovalPolicy
from domain.brand import Finding
from domain.content import PostText, Variant
from domain.lifecycle import ChannelState, DecisionOutcome, LifecycleState, MetricsSnapshot, Publication
from domain.status import Decision, LatePolicy, PostStatus
from platforms.channel_settings import SPECS, PlatformName
from store.accounts import Role
from store.posts import channel_ids
from store.tables import AuditEntry, Channel, Post

Id = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")

# Names zoneinfo finds that are not places: the machine's own zone, a placeholder, a file of rules.
NOT_ZONES = {"localtime", "Factory", "posixrules"}


@cache
def zone_names() -> frozenset[str]:
    return frozenset(available_timezones() - NOT_ZONES)


def _canonical_zone(name: str) -> str:
    if name not in zone_names():
        raise ValueError(f"'{name}' is not an IANA time zone (e.g. Asia/Jakarta, Europe/Berlin, UTC)")
    return name


ZoneName = Annotated[
    str, Field(max_length=64, description="IANA zone, e.g. Asia/Jakarta"), AfterValidator(_canonical_zone)
]

# What `datetime.fromisoformat` reads, no more: a number (or a string of digits) is not a time.
_ISO_8601 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}([.,]\d{1,9})?)?([Zz]|[+-]\d{2}(:?\d{2})?)?$")


def _iso_string(value: object) -> object:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_8601.match(value):
        raise ValueError("give an ISO 8601 date and time as a string, e.g. 2026-12-01T09:00:00+07:00")
    return value


def _in_utc(value: datetime) -> datetime:
    """The instant must exist in UTC: 9999-12-31T23:00-14:00 or 0001-01-01T00:00+14:00 do not."""
    if value.tzinfo is not None:
        try:
            value.astimezone(UTC)
        except OverflowError:
            raise ValueError("this time is outside the calendar once converted to UTC; give a real date") from None
    return value


# An ISO 8601 date and time whose UTC instant exists (with an offset it is aware; without, naive).
IsoInstant = Annotated[datetime, BeforeValidator(_iso_string), AfterValidator(_in_utc)]
EARLIEST_PUBLISH = datetime(2000, 1, 1, tzinfo=UTC)
PUBLISH_HORIZON = timedelta(days=3653)  # ten years


def within_publish_range(value: datetime) -> datetime:
    """A publish time a person could mean: not before 2000, not more than ten years ahead."""
    if value.tzinfo is not None:
        instant = _in_utc(value).astimezone(UTC)
        latest = datetime.now(UTC) + PUBLISH_HORIZON
        if not EARLIEST_PUBLISH <= instant <= latest:
            raise ValueError(
                f"publish_at must be between {EARLIEST_PUBLISH.date()} and {latest.date()} (ten years ahead)"
            )
    return value


# A publish time: checked again once a wall-clock time has its zone (PublishTime).
PublishInstant = Annotated[IsoInstant, AfterValidator(within_publish_range)]


class MemberCreate(BaseModel):
    id: str = Id
    name: str = Field(min_length=1, max_length=200)


class UserCreate(MemberCreate):
    role: Role
    email: str | None = Field(default=None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$", description="to log in")
    password: str | None = Field(default=None, min_length=8, max_length=1000, description="to log in (argon2id)")


class RoleChange(BaseModel):
    role: Role


class WorkspaceCreate(BaseModel):
    id: str = Id
    name: str = Field(min_length=1, max_length=200)
    banned_words: list[Annotated[str, Field(max_length=200)]] = Field(default=[], max_length=1000)
    late_policy: LatePolicy = Field(default=LatePolicy.PUBLISH, description="for posts approved after their time")
    time_zone: ZoneName = Field(default="UTC", description="IANA zone posts are shown in")
    late_notice_after_s: int = Field(
        default=60, ge=0, le=31 * 86400, description="a post out later than this after its time notifies its people"
    )
    unpublish_roles: list[Role] = Field(
        default=["editor", "approver", "admin"], max_length=5, description="who may take a published post down"
    )
    starter_style: StarterName | None = Field(
        default=None, description="start with a style shipped with postgate for social copy (English or Indonesian)"
    )


class WorkspacePublic(BaseModel):
    id: str
    name: str
    banned_words: list[str]
    late_policy: LatePolicy
    time_zone: str
    late_notice_after_s: int = 60
    unpublish_roles: list[str] = ["editor", "approver", "admin"]


class WorkspaceSettingsChange(BaseModel):
    """What PATCH /workspaces/{id}/settings changes: only the fields given."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    time_zone: ZoneName | None = Field(default=None, description="IANA zone posts are shown in")
    late_policy: LatePolicy | None = None
    late_notice_after_s: int | None = Field(default=None, ge=0, le=31 * 86400)
    unpublish_roles: list[Role] | None = Field(default=None, max_length=5)


class UserPublic(BaseModel):
    id: str
    workspace_id: str
    name: str
    role: str


class UserCreated(UserPublic):
    token: str = Field(description="the new user's first API token, shown this once; hand it over securely")
    token_expires_at: datetime


def _an_object(value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError("must be a JSON object")
    return value


def object_shaped_as(*shapes: Any) -> Any:
    """A JSON object kept as a dict (checked later against the right shape, e.g. the channel's platform),
    documented as any of `shapes`, so the OpenAPI says which keys there are and that no others are taken."""
    shape = shapes[0] if len(shapes) == 1 else Union[shapes]  # noqa: UP007 (built from a tuple)
    return Annotated[dict[str, Any], PlainValidator(_an_object, json_schema_input_type=shape)]


if TYPE_CHECKING:  # what the code handles; the OpenAPI shows the shapes below
    SocialOverrides: TypeAlias = dict[str, Any]
    PlatformSettings: TypeAlias = dict[str, Any]
    PlatformCredentials: TypeAlias = dict[str, Any]
else:
    # A channel's partial social rules: SocialRules' shape, where every key may be left out.
    SocialOverrides = object_shaped_as(SocialRules)
    PlatformSettings = object_shaped_as(*dict.fromkeys(spec.settings for spec in SPECS.values()))
    PlatformCredentials = object_shaped_as(*dict.fromkeys(s.credentials for s in SPECS.values() if s.credentials))


class ChannelSettings(BaseModel):
    """What PUT replaces: the brand options always; platform settings and credentials only when given."""

    name: str = Field(min_length=1, max_length=200)
    max_length: int = Field(default=500, ge=1, le=100_000, description="limit when it counts as no platform")
    counts_as: Literal["x", "bluesky", "mastodon", "threads", "linkedin", "instagram"] | None = Field(
        default=None, description="apply this platform's length counting and limits in the brand check"
    )
    social_overrides: SocialOverrides = Field(default={}, description="the workspace's social rules, changed here")
    approval_policy: ApprovalPolicy | None = Field(default=None, description="replaces the workspace's policy")
    platform: PlatformName | None = Field(default=None, description="fixed at creation; none = unchanged")
    settings: PlatformSettings | None = Field(
        default=None, description="the platform's settings (base URL, handle, page id, ...); none = unchanged"
    )
    credentials: PlatformCredentials | None = Field(
        default=None, repr=False, description="the platform's secrets, write-only; none = unchanged"
    )

    @field_validator("social_overrides")
    @classmethod
    def _valid_overrides(cls, value: dict[str, Any]) -> dict[str, Any]:
        SocialRules().with_overrides(value)  # raises a ValidationError naming the bad field
        return value


class ChannelCreate(ChannelSettings):
    id: str = Id
    platform: PlatformName = Field(default="sandbox", description="where the channel publishes")


class ChannelReconnect(BaseModel):
    credentials: PlatformCredentials | None = Field(default=None, repr=False, description="the platform's new secrets")


class ChannelPublic(BaseModel):
    """A channel as the API shows it: never its credentials, only whether it has some."""

    id: str
    workspace_id: str
    name: str
    platform: str
    max_length: int
    counts_as: str | None
    social_overrides: dict[str, Any]
    approval_policy: ApprovalPolicy | None
    settings: dict[str, Any]
    state: Literal["active", "disabled", "needs_reconnection"]
    state_reason: str | None
    has_credentials: bool
    token_expires_at: datetime | None
    platform_limits: dict[str, Any] | None = Field(
        default=None, description="the limits the platform reported for this channel (a Mastodon instance's)"
    )

    @classmethod
    def from_row(cls, channel: Channel) -> ChannelPublic:
        return cls(
            id=channel.id,
            workspace_id=channel.workspace_id,
            name=channel.name,
            platform=channel.platform,
            max_length=channel.max_length,
            counts_as=channel.counts_as,
            social_overrides=json.loads(channel.social_overrides),
            approval_policy=ApprovalPolicy.model_validate_json(channel.approval_policy)
            if channel.approval_policy
            else None,
            settings=json.loads(channel.settings or "{}"),
            state=channel.state,
            state_reason=channel.state_reason,
            has_credentials=channel.credentials is not None,
            token_expires_at=channel.token_expires_at,
            platform_limits=json.loads(channel.platform_limits) if channel.platform_limits else None,
        )

    @staticmethod
    def columns(settings: ChannelSettings) -> dict[str, Any]:
        """The brand columns a create or a PUT writes (platform settings and credentials go separately)."""
        return {
            "name": settings.name,
            "max_length": settings.max_length,
            "counts_as": settings.counts_as,
            "social_overrides": json.dumps(settings.social_overrides),
            "approval_policy": settings.approval_policy.model_dump_json() if settings.approval_policy else None,
        }


class ChannelList(BaseModel):
    channels: list[ChannelPublic]
    next_cursor: str | None


class ChannelCheck(BaseModel):
    ok: bool
    account: str | None = Field(default=None, description="who the credentials act as, when they work")
    error: str | None = Field(default=None, description="the kind of failure: AuthExpired, RateLimited, ...")
    message: str | None = None


class PublishTime(BaseModel):
    """A publish time: an instant with a UTC offset, or a wall-clock time in an IANA zone (DST-correct)."""

    publish_at: PublishInstant | None = Field(
        default=None,
        description="2026-12-01T09:00:00+07:00, or 2026-12-01T09:00:00 with time_zone; default now",
    )
    time_zone: ZoneName | None = None

    @model_validator(mode="after")
    def _resolvable(self) -> PublishTime:
        if self.publish_at is not None and self.publish_at.tzinfo is None:
            if self.time_zone is None:
                raise ValueError("publish_at has no UTC offset: add one (+07:00, Z) or give time_zone")
            self.publish_at = within_publish_range(self.publish_at.replace(tzinfo=ZoneInfo(self.time_zone)))
        return self

    def utc(self) -> datetime | None:
        return self.publish_at.astimezone(UTC) if self.publish_at is not None else None


MAX_CHANNELS = 20


def _variants_within(variants: list[Variant], channel_ids: list[str]) -> list[Variant]:
    seen: set[str] = set()
    for variant in variants:
        if variant.channel_id not in channel_ids:
            raise ValueError(f"a variant is for channel '{variant.channel_id}', which the post does not target")
        if variant.channel_id in seen:
            raise ValueError(f"two variants for channel '{variant.channel_id}'; give one per channel")
        seen.add(variant.channel_id)
    return variants


class PostCreate(PublishTime):
    workspace_id: str | None = Field(default=None, max_length=64, description="default: the channels' workspace")
    channel_id: str | None = Field(default=None, min_length=1, max_length=64, description="one channel")
    channel_ids: list[str] = Field(
        default=[], max_length=MAX_CHANNELS, description="several channels (each publishes on its own)"
    )
    text: PostText = Field(description="the base text every channel gets unless its variant says otherwise")
    variants: list[Variant] = Field(default=[], max_length=MAX_CHANNELS, description="per-channel text and media")
    submit: bool = Field(default=False, description="submit for review straight away")

    @model_validator(mode="after")
    def _channels(self) -> PostCreate:
        targets = ([self.channel_id] if self.channel_id else []) + self.channel_ids
        if not targets:
            raise ValueError("name the channel to publish on: channel_id, or channel_ids for several")
        self.channel_ids = list(dict.fromkeys(targets))
        self.channel_id = self.channel_ids[0]
        _variants_within(self.variants, self.channel_ids)
        return self


class ScheduleChange(PublishTime):
    publish_at: PublishInstant = Field(description="2026-12-01T09:00:00+07:00, or a wall-clock time with time_zone")


class Withdrawal(BaseModel):
    reason: str = Field(default="", max_length=2000)


class RevisionCreate(BaseModel):
    text: PostText
    variants: list[Variant] = Field(default=[], max_length=MAX_CHANNELS, description="per-channel text and media")

    @field_validator("variants")
    @classmethod
    def _one_per_channel(cls, variants: list[Variant]) -> list[Variant]:
        named = [v.channel_id for v in variants]
        if len(named) != len(set(named)):
            raise ValueError("two variants for one channel; give one per channel")
        return variants

    comment: str = Field(default="", max_length=2000)


class Unpublishing(BaseModel):
    channel_id: str | None = Field(default=None, max_length=64, description="this channel only; none: every one")
    reason: str = Field(min_length=1, max_length=2000, description="why it is taken down (in the audit trail)")

    @field_validator("reason")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("give the reason the post is taken down")
        return value


class ChannelView(ChannelState):
    """A channel of a post as the API shows it: its state, and while its publish is retried, how it goes."""

    publish_attempt: int | None = Field(default=None, description="the publish attempt running or due next")
    last_error: str | None = Field(default=None, description="why the last attempt failed (while retrying)")
    next_attempt_at: datetime | None = Field(default=None, description="when the next attempt starts")


class RetryChoice(BaseModel):
    channel_id: str | None = Field(default=None, max_length=64, description="retry this channel only")


class DecisionCreate(BaseModel):
    decision: Decision
    content_hash: str = Field(min_length=1, max_length=80, description="hash of the revision you reviewed")
    comment: str = Field(default="", max_length=2000)


class RevisionPublic(BaseModel):
    number: int
    text: str
    content_hash: str
    author: str
    variants: list[Variant] = []


class PostPublic(BaseModel):
    id: str
    workspace_id: str
    channel_id: str
    channel_ids: list[str]
    author: str
    status: PostStatus
    revision: RevisionPublic
    publish_at: datetime
    publish_zone: str | None = Field(default=None, description="the zone the time was given in")
    publish_at_local: str = Field(description="publish_at in that zone, or the workspace's")
    findings: list[Finding] = []
    decisions: list[DecisionOutcome] = []
    channels: list[ChannelView] = Field(default=[], description="each channel's publication, failure, metrics")
    publication: Publication | None = None
    metrics: list[MetricsSnapshot] = []
    failure: str | None = None

    @classmethod
    def from_state(
        cls,
        post: Post,
        state: LifecycleState,
        workspace_zone: str = "UTC",
        retrying: dict[str, dict[str, Any]] | None = None,
    ) -> PostPublic:
        shown_in = state.publish_zone or workspace_zone
        return cls(
            id=post.id,
            workspace_id=post.workspace_id,
            channel_id=post.channel_id,
            channel_ids=channel_ids(post),
            author=post.author,
            status=state.status,
            revision=RevisionPublic(**state.revision.model_dump()),
            publish_at=state.publish_at,
            publish_zone=state.publish_zone,
            publish_at_local=state.publish_at.astimezone(ZoneInfo(shown_in)).isoformat() + f" {shown_in}",
            findings=state.findings,
            decisions=state.decisions,
            publication=state.publication,
            channels=[ChannelView(**c.model_dump(), **(retrying or {}).get(c.channel_id, {})) for c in state.channels],
            metrics=state.metrics,
            failure=state.failure,
        )


class PostSummary(BaseModel):
    id: str
    channel_id: str
    author: str
    status: PostStatus
    current_revision: int
    content_hash: str
    publish_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, post: Post) -> PostSummary:
        return cls(
            id=post.id,
            channel_id=post.channel_id,
            author=post.author,
            status=PostStatus(post.status),
            current_revision=post.current_revision,
            content_hash=post.content_hash,
            publish_at=post.publish_at,
            updated_at=post.updated_at,
        )


class PostList(BaseModel):
    posts: list[PostSummary]
    next_cursor: str | None


class AuditEntryPublic(BaseModel):
    seq: int
    at: datetime
    action: str
    actor: str
    revision: int
    content_hash: str
    status: str
    workflow_id: str
    detail: dict[str, Any]

    @classmethod
    def from_row(cls, row: AuditEntry) -> AuditEntryPublic:
        return cls(
            seq=row.seq,
            at=row.at,
            action=row.action,
            actor=row.actor,
            revision=row.revision,
            content_hash=row.content_hash,
            status=row.status,
            workflow_id=row.workflow_id,
            detail=json.loads(row.detail),
        )


class AuditTrail(BaseModel):
    post_id: str
    entries: list[AuditEntryPublic]
    next_cursor: str | None = Field(default=None, description="more entries follow: pass it as cursor")
