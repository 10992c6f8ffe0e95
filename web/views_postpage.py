"""The post page's actions and their confirmation, its channels' publishing progress and its metrics chart.

Built by functions a test calls without a browser. What a person may do comes from web.post_actions (the
API's own rules); the confirmation says exactly what will happen before anything is done."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from fastapi import HTTPException
from markupsafe import Markup
from pydantic import ValidationError

from api.deps import Actor, AppContext, Member
from api.post_channels import publish_retries, with_unpublished
from api.schemas import ScheduleChange
from api.unpublishing import unpublish_roles
from domain.lifecycle import LifecycleState, workflow_id_for
from domain.status import PostStatus
from store.engine import transaction
from store.publications import snapshots_of
from store.tables import MetricSnapshotRow, Post
from web import services
from web.i18n import Reader, valid_zone
from web.post_actions import ACTIONS, channel_actions, post_actions
from web.session import local_path
from web.words import status_words

# Zones offered by the picker, beside the workspace's, the post's and the reader's own.
COMMON_ZONES = (
    "Asia/Jakarta",
    "Asia/Makassar",
    "Asia/Jayapura",
    "Asia/Singapore",
    "Asia/Kuala_Lumpur",
    "Australia/Sydney",
    "Europe/Amsterdam",
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "UTC",
)
LOCAL_INPUT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends and shows


@dataclass(frozen=True)
class ChannelProgress:
    """A channel's publishing progress while its publish is retried (GET /posts/{id} channels[])."""

    attempt: int | None
    last_error: str | None
    next_attempt_at: datetime | None


@dataclass(frozen=True)
class MetricsChart:
    svg: Markup  # a small server-side chart; the table below it is its text alternative
    columns: list[str]  # the snapshots' headings ("after 1 h"), in order
    rows: list[tuple[str, list[str]]]  # per metric: its name and the numbers, in the reader's language


@dataclass(frozen=True)
class PostExtras:
    """What the post page adds for its actions: the zone picker's choices and the default time."""

    zones: list[str]
    zone: str
    local_publish_at: str  # the publish time in `zone`, as the datetime-local field shows it
    workflow_url: str | None
    metrics: MetricsChart | None
    calendar_url: str


def publish_zone_of(state: LifecycleState, workspace_zone: str, reader: Reader) -> str:
    return state.publish_zone or reader.zone or workspace_zone or "UTC"


def zone_choices(*preferred: str | None) -> list[str]:
    seen: list[str] = []
    for zone in (*preferred, *COMMON_ZONES):
        if zone and valid_zone(zone) and zone not in seen:
            seen.append(zone)
    return seen


def local_input(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime(LOCAL_INPUT)


def workflow_url(ctx: AppContext, member: Member, post_id: str) -> str | None:
    """The post's workflow in the Temporal UI, for admins, when its address is configured."""
    base = ctx.settings.temporal_ui_url.rstrip("/")
    if not base or member.role != "admin":
        return None
    return f"{base}/namespaces/{ctx.settings.temporal_namespace}/workflows/{workflow_id_for(post_id)}"


async def channel_progress(ctx: AppContext, state: LifecycleState) -> dict[str, ChannelProgress]:
    found = await publish_retries(ctx.client, state)
    return {
        channel: ChannelProgress(
            attempt=info.get("publish_attempt"),
            last_error=info.get("last_error"),
            next_attempt_at=info.get("next_attempt_at"),
        )
        for channel, info in found.items()
    }


async def with_takedowns(ctx: AppContext, state: LifecycleState) -> LifecycleState:
    """The state as GET /posts/{id} shows it: channels taken down after the lifecycle ended are unpublished."""
    return await asyncio.to_thread(with_unpublished, ctx.engine, state)


def actions_for(ctx: AppContext, member: Member, state: LifecycleState) -> dict[str, bool]:
    return post_actions(member, state, unpublish_roles(ctx.engine, state.workspace_id))


def channels_actions(actions: dict[str, bool], state: LifecycleState) -> dict[str, dict[str, bool]]:
    return {c.channel_id: channel_actions(actions, c) for c in state.channels}


# ---- the metrics chart ---------------------------------------------------------------------------------


def _offset_words(tr: Reader, seconds: int) -> str:
    if seconds % 86400 == 0 and seconds >= 86400:
        return tr.gettext("after %(n)s d") % {"n": tr.number(seconds // 86400)}
    if seconds % 3600 == 0 and seconds >= 3600:
        return tr.gettext("after %(n)s h") % {"n": tr.number(seconds // 3600)}
    if seconds % 60 == 0 and seconds >= 60:
        return tr.gettext("after %(n)s min") % {"n": tr.number(seconds // 60)}
    return tr.gettext("after %(n)s s") % {"n": tr.number(seconds)}


def metrics_chart(tr: Reader, snapshots: list[MetricSnapshotRow]) -> MetricsChart | None:
    """The snapshots summed over channels per collection time: one row of bars per metric, each scaled to its
    own largest value and labelled with its number, so the chart reads in print and without colour."""
    if not snapshots:
        return None
    offsets = sorted({s.offset_seconds for s in snapshots})
    metrics = [
        ("impressions", tr.gettext("Impressions")),
        ("likes", tr.gettext("Likes")),
        ("shares", tr.gettext("Shares")),
        ("replies", tr.gettext("Replies")),
    ]
    totals = {
        key: [sum(getattr(s, key) for s in snapshots if s.offset_seconds == o) for o in offsets] for key, _ in metrics
    }
    columns = [_offset_words(tr, o) for o in offsets]
    label_w, bar_w, gap, row_h = 110, 96, 14, 46
    width = label_w + len(offsets) * (bar_w + gap) + gap
    height = len(metrics) * row_h + 26
    parts = [
        Markup(
            '<svg xmlns="http://www.w3.org/2000/svg" class="metrics-chart" viewBox="0 0 {w} {h}" width="{w}" '
            'height="{h}" role="img" aria-labelledby="metrics-title"><title id="metrics-title">{t}</title>'
        ).format(w=width, h=height, t=tr.gettext("Metrics over time; the numbers are in the table below"))
    ]
    for row, (key, name) in enumerate(metrics):
        top = row * row_h
        largest = max(totals[key]) or 1
        parts.append(Markup('<text x="0" y="{y}" class="label">{n}</text>').format(y=top + 34, n=name))
        for i, value in enumerate(totals[key]):
            x = label_w + gap + i * (bar_w + gap)
            h = max(round(24 * value / largest), 1)
            parts.append(
                Markup('<rect x="{x}" y="{y}" width="{w}" height="{h}" class="bar {k}"></rect>').format(
                    x=x, y=top + 40 - h, w=bar_w, h=h, k=key
                )
            )
            parts.append(
                Markup('<text x="{x}" y="{y}" class="value">{v}</text>').format(
                    x=x + 2, y=top + 40 - h - 3, v=tr.number(value)
                )
            )
    for i, words in enumerate(columns):
        x = label_w + gap + i * (bar_w + gap)
        parts.append(Markup('<text x="{x}" y="{y}" class="axis">{t}</text>').format(x=x, y=height - 6, t=words))
    parts.append(Markup("</svg>"))
    rows = [(name, [tr.number(v) for v in totals[key]]) for key, name in metrics]
    return MetricsChart(svg=Markup("").join(parts), columns=columns, rows=rows)


def snapshots(ctx: AppContext, post_id: str) -> list[MetricSnapshotRow]:
    with transaction(ctx.engine) as session:
        return snapshots_of(session, post_id)


async def post_extras(
    ctx: AppContext, member: Member, tr: Reader, post: Post, state: LifecycleState, workspace_zone: str
) -> PostExtras:
    zone = publish_zone_of(state, workspace_zone, tr)
    rows = await asyncio.to_thread(snapshots, ctx, post.id)
    return PostExtras(
        zones=zone_choices(zone, tr.zone, workspace_zone),
        zone=zone,
        local_publish_at=local_input(state.publish_at, zone),
        workflow_url=workflow_url(ctx, member, post.id) if post.status != PostStatus.DRAFT.value else None,
        metrics=metrics_chart(tr, rows),
        calendar_url=f"/w/{post.workspace_id}/calendar",
    )


# ---- confirming an action ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConfirmView:
    """The confirmation step of one action: what will happen, in words, and the form that does it."""

    chrome: object
    workspace_id: str
    post_id: str
    post_url: str
    action: str
    title: str
    sentence: str  # what will happen
    excerpt: str
    status_words: str
    channel: str  # "" for every channel
    channel_choices: list[tuple[str, str]]  # for unpublish: ("", every channel), (id, name)...
    reason_label: str | None  # None: no reason asked
    reason_required: bool
    publish_at: str  # reschedule: the wall-clock time asked, as datetime-local
    zone: str
    zones: list[str]
    utc_words: str  # reschedule: the UTC instant
    local_words: str  # reschedule: the time in the chosen zone
    reader_words: str  # reschedule: the time in the reader's zone
    back: str
    button: str
    danger: bool
    allowed: bool = True  # False once a refusal shows that the post has moved on
    error: str | None = None
    reason: str = ""


def resolve_time(publish_at: str, zone: str) -> datetime:
    """The instant a wall-clock time in a zone names, by the API's own rule (DST-correct; ValueError if not)."""
    try:
        change = ScheduleChange.model_validate({"publish_at": publish_at, "time_zone": zone or None})
    except ValidationError as err:
        raise ValueError(err.errors()[0].get("msg", "invalid time")) from err
    return change.publish_at.astimezone(UTC)


def action_words(tr: Reader, action: str, *, channels: int, status: PostStatus) -> tuple[str, str, str]:
    """The confirmation's title, what will happen, and the button."""
    if action == "reschedule":
        return (
            tr.gettext("Change the publish time"),
            tr.gettext("The post will publish at the new time below, if it is approved by then."),
            tr.gettext("Confirm the new time"),
        )
    if action == "publish_now":
        sentence = (
            tr.ngettext(
                "The post publishes now on %(n)s channel.", "The post publishes now on %(n)s channels.", channels
            )
            if status in (PostStatus.SCHEDULED, PostStatus.ON_HOLD)
            else tr.gettext("The post publishes as soon as it is approved, instead of at its time.")
        )
        return tr.gettext("Publish now"), sentence % {"n": tr.number(channels)}, tr.gettext("Confirm: publish now")
    if action == "withdraw":
        return (
            tr.gettext("Withdraw the post"),
            tr.gettext("The post will not be published; its review ends and it cannot be resumed."),
            tr.gettext("Confirm: withdraw"),
        )
    if action == "unpublish":
        return (
            tr.gettext("Unpublish the post"),
            tr.gettext("The post is deleted on the platform; its metrics stop. The reason goes into the trail."),
            tr.gettext("Confirm: unpublish"),
        )
    return (
        tr.gettext("Retry publishing"),
        tr.gettext("postgate publishes again where it failed; a channel where it went out is never posted twice."),
        tr.gettext("Confirm: retry"),
    )


async def confirm_view(
    ctx: AppContext,
    user: Actor,
    tr: Reader,
    *,
    workspace_id: str,
    post_id: str,
    action: str,
    channel: str = "",
    publish_at: str = "",
    zone: str = "",
    back: str = "",
    csrf: str = "",
    error: str | None = None,
    reason: str = "",
) -> ConfirmView:
    """The confirmation page of `action` (404 unknown post, 403 when the rules do not allow it)."""
    from web.views import chrome_for, excerpt, post_url  # web.views builds the post page with this module

    if action not in ACTIONS:
        raise HTTPException(404, "no such action")
    post, member = await asyncio.to_thread(services.visible_post, ctx, user, workspace_id, post_id)
    facts = await asyncio.to_thread(services.workspace_facts, ctx, workspace_id)
    tr = tr.defaulting_to(facts.workspace.time_zone)
    state = await with_takedowns(ctx, await services.live_state(ctx, post))
    actions = await asyncio.to_thread(actions_for, ctx, member, state)
    allowed = actions[action]
    if not allowed and error is None:
        raise HTTPException(403, f"{action} is not allowed on this post now")
    per_channel = channels_actions(actions, state)
    names = facts.channel_names
    choices: list[tuple[str, str]] = []
    if action in ("unpublish", "retry"):
        eligible = [c for c, a in per_channel.items() if a[action]]
        if channel and channel not in eligible:
            if error is None:
                raise HTTPException(403, f"{action} is not allowed on channel {channel} now")
            allowed = False
        choices = [("", tr.gettext("Every channel"))] if len(eligible) > 1 else []
        choices += [(c, names.get(c, c)) for c in eligible]
        if not channel and len(eligible) == 1:
            channel = eligible[0]
    else:
        channel = ""
    title, sentence, button = action_words(tr, action, channels=len(state.channels), status=state.status)
    chosen_zone = valid_zone(zone) or publish_zone_of(state, facts.workspace.time_zone, tr)
    utc_words = local_words = reader_words = ""
    if action == "reschedule" and zone and not valid_zone(zone):
        error = error or tr.gettext("Choose a time zone from the list.")
    elif action == "reschedule":
        publish_at = publish_at or local_input(state.publish_at, chosen_zone)
        try:
            instant = resolve_time(publish_at, chosen_zone)
        except ValueError:
            error = error or tr.gettext("That is not a time postgate can publish at. Choose another.")
        else:
            utc_words = Reader(tr.locale, "UTC").instant(instant)
            local_words = Reader(tr.locale, chosen_zone).instant(instant)
            reader_words = tr.instant(instant)
    chrome = await asyncio.to_thread(chrome_for, ctx, user, workspace_id, csrf, tr)
    return ConfirmView(
        chrome=chrome,
        workspace_id=workspace_id,
        post_id=post.id,
        post_url=post_url(workspace_id, post.id),
        action=action,
        title=title,
        sentence=sentence,
        excerpt=excerpt(state.revision.text),
        status_words=status_words(tr, state.status),
        channel=channel,
        channel_choices=choices,
        reason_label={
            "withdraw": tr.gettext("Reason (optional, kept in the trail)"),
            "unpublish": tr.gettext("Reason (required, kept in the trail)"),
        }.get(action),
        reason_required=action == "unpublish",
        publish_at=publish_at,
        zone=chosen_zone,
        zones=zone_choices(chosen_zone, tr.zone, facts.workspace.time_zone),
        utc_words=utc_words,
        local_words=local_words,
        reader_words=reader_words,
        back=local_path(back, post_url(workspace_id, post.id)),
        button=button,
        danger=action in ("withdraw", "unpublish"),
        allowed=allowed,
        error=error,
        reason=reason,
    )


def done_words(tr: Reader, action: str) -> str | None:
    """The notice on the post page after an action was done."""
    return {
        "reschedule": tr.gettext("The new publish time is saved."),
        "publish_now": tr.gettext("Publishing has started."),
        "withdraw": tr.gettext("The post is withdrawn."),
        "unpublish": tr.gettext("The post is unpublished."),
        "retry": tr.gettext("Publishing is retried."),
    }.get(action)
