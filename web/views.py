"""One view model per page, built by a function a test can call without a browser.

A view model holds finished words (in the reader's language) and the data a template shows; what a
person may do arrives as `actions`, decided by the services' rules, never by a template."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from api.deps import Actor, AppContext, own_workspace
from api.routes_audit import READERS as AUDIT_READERS
from domain.lifecycle import LifecycleState
from domain.signing import may_sign_now, who_may_sign_now
from domain.status import ChannelStatus, Decision, PostStatus
from store.accounts import get_user
from store.engine import transaction
from store.posts import channel_ids
from store.tables import Post
from store.workspaces import get_workspace
from web import services
from web.i18n import Reader
from web.views_postpage import PostExtras, actions_for, channel_progress, channels_actions, post_extras, with_takedowns
from web.words import (
    STATUS_TONE,
    SYSTEM_ACTOR,
    channel_status_words,
    event_words,
    list_words,
    role_words,
    status_words,
)
from workflows.lifecycle import REVISABLE

PAGE_SIZE = 25
HOME_WAITING = 5  # the home page shows the first few; the queue (/w/{id}/queue) shows them all
EXCERPT = 90


@dataclass(frozen=True)
class WorkspaceChoice:
    id: str
    name: str
    role: str  # in words
    admin: bool = False  # the settings pages' link (web/pages_admin.py); the server refuses others anyway


@dataclass(frozen=True)
class Chrome:
    """What the header of every signed-in page shows."""

    user_name: str
    csrf: str
    workspaces: list[WorkspaceChoice]
    current: WorkspaceChoice | None
    waiting_count: int = 0
    paused: str | None = None  # the workspace is paused: why and by whom, in words
    audit: bool = False  # the reader may read the workspace's audit trail (api.routes_audit.READERS)


@dataclass(frozen=True)
class PostRow:
    id: str
    url: str
    excerpt: str
    status: str
    status_words: str
    tone: str
    channels: list[str]
    publish_at: datetime
    next_actor: str  # who must act next, in words; "" when nobody must


@dataclass(frozen=True)
class HomeView:
    chrome: Chrome
    workspace_id: str | None
    waiting: list[PostRow]
    posts: list[PostRow]
    status_filter: str
    only_mine: bool
    statuses: list[tuple[str, str]]
    next_page_url: str | None
    may_compose: bool = False  # the compose page's link (web/pages_compose.py)
    channels: list[tuple[str, str]] = field(default_factory=list)  # the workspace's: (id, name)
    authors: list[tuple[str, str]] = field(default_factory=list)  # the workspace's members: (id, name)
    channel_filter: str = ""
    author_filter: str = ""
    date_from: str = ""  # YYYY-MM-DD, a day in the reader's zone
    date_to: str = ""


def day_of(text: str) -> date | None:
    """A YYYY-MM-DD day from a form field; None when it is empty or not a day."""
    try:
        return date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None


def day_start(day: date, zone: str) -> datetime:
    """The UTC instant at which `day` begins in `zone` (zoneinfo keeps it right across DST changes)."""
    return datetime.combine(day, time(), ZoneInfo(zone or "UTC")).astimezone(UTC)


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    text: str
    note: str  # a comment or reason given with it
    revision: int


@dataclass(frozen=True)
class ChannelRow:
    id: str
    name: str
    status_words: str
    link: str | None
    failure: str | None
    # While its publish is retried: the attempt, the last error, when the next starts; what I may do here.
    attempt: int | None = None
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    actions: dict[str, bool] = field(default_factory=dict)


@dataclass(frozen=True)
class PostView:
    chrome: Chrome
    id: str
    workspace_id: str
    text: str
    status: str
    status_words: str
    tone: str
    next_words: str
    author: str
    publish_at: datetime
    revision: int
    content_hash: str
    channels: list[ChannelRow]
    timeline: list[TimelineEntry]
    actions: dict[str, bool]
    idempotency_key: str = field(default_factory=lambda: uuid.uuid4().hex)
    extras: PostExtras | None = None  # the post page's actions, metrics and links (web.views_postpage)


def name_of(names: dict[str, str], user_id: str) -> str:
    return "postgate" if user_id == SYSTEM_ACTOR else names.get(user_id, user_id)


def post_url(workspace_id: str, post_id: str) -> str:
    return f"/w/{workspace_id}/posts/{post_id}"


def excerpt(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= EXCERPT else line[: EXCERPT - 1].rstrip() + "…"


def next_step(tr: Reader, post: Post, state: LifecycleState | None, names: dict[str, str]) -> tuple[str, str]:
    """Who must act next (in words, "" for nobody) and what happens next, as a sentence."""
    status = PostStatus(state.status if state else post.status)
    author = name_of(names, post.author)
    count = len(channel_ids(post))
    if status is PostStatus.DRAFT:
        return author, tr.gettext("%(who)s can submit it for review.") % {"who": author}
    if status is PostStatus.BRAND_CHECK:
        return "", tr.gettext("The brand check is running; then it goes to the approvers.")
    if status is PostStatus.CHANGES_NEEDED:
        return author, tr.gettext("%(who)s must revise it; then it is checked and reviewed again.") % {"who": author}
    if status is PostStatus.AWAITING_APPROVAL:
        if state is None:
            return tr.gettext("approvers"), tr.gettext("Waiting for the approvers.")
        step = state.approval.steps[state.step]
        signers = list_words(tr, [name_of(names, u) for u in who_may_sign_now(state)])
        signed = sum(1 for d in state.decisions if d.step == state.step and d.decision is Decision.APPROVE)
        needed = step.required({state.author, state.last_editor})
        sentence = tr.gettext("Waiting for %(who)s to sign step “%(step)s”: %(signed)s of %(needed)s signed.") % {
            "who": signers or tr.gettext("an approver"),
            "step": step.name,
            "signed": tr.number(signed),
            "needed": tr.number(needed),
        }
        return signers, sentence
    if status is PostStatus.SCHEDULED:
        when = tr.instant(state.publish_at if state else post.publish_at)
        sentence = tr.ngettext("Publishes %(when)s on %(n)s channel.", "Publishes %(when)s on %(n)s channels.", count)
        return "", sentence % {"when": when, "n": tr.number(count)}
    if status is PostStatus.ON_HOLD:
        return author, tr.gettext("On hold: %(who)s must choose a new publish time.") % {"who": author}
    if status is PostStatus.PUBLISHING:
        return "", tr.gettext("Publishing now.")
    if status is PostStatus.PUBLISHED:
        return "", tr.gettext("Published; its metrics are collected over the next days.")
    if status is PostStatus.PUBLISH_FAILED:
        return tr.gettext("an editor"), tr.gettext("Publishing failed; an editor or approver can retry it.")
    return "", tr.gettext("Nothing more happens to this post.")


def post_row(tr: Reader, post: Post, state: LifecycleState | None, names: dict[str, str]) -> PostRow:
    status = PostStatus(state.status if state else post.status)
    with_text = state.revision.text if state else ""
    who, _ = next_step(tr, post, state, names)
    return PostRow(
        id=post.id,
        url=post_url(post.workspace_id, post.id),
        excerpt=excerpt(with_text) if with_text else "",
        status=status.value,
        status_words=status_words(tr, status),
        tone=STATUS_TONE[status],
        channels=channel_ids(post),
        publish_at=state.publish_at if state else post.publish_at,
        next_actor=who,
    )


def chrome_for(ctx: AppContext, user: Actor, workspace_id: str | None, csrf: str, tr: Reader) -> Chrome:
    with transaction(ctx.engine) as session:
        found = {w: get_workspace(session, w) for w in sorted(user.memberships)}
        shown = found.get(workspace_id or "")
        pauser = get_user(session, shown.paused_by) if shown is not None and shown.paused_by else None
    choices = [
        WorkspaceChoice(
            id=w,
            name=row.name if row else w,
            role=role_words(tr, user.memberships[w]),
            admin=user.memberships[w] == "admin",
        )
        for w, row in found.items()
    ]
    current = next((c for c in choices if c.id == workspace_id), None)
    paused = None
    workspace = found.get(workspace_id or "")
    if workspace is not None and workspace.paused_since is not None:
        paused = tr.gettext("Publishing is paused in this workspace since %(when)s by %(who)s: %(reason)s") % {
            "when": tr.instant(workspace.paused_since),
            "who": pauser.name if pauser else workspace.paused_by or "",  # the person's name, not their id
            "reason": workspace.pause_reason or "",
        }
    role = user.memberships.get(workspace_id or "")
    audit = role is not None and role in (*AUDIT_READERS, "admin")
    return Chrome(user_name=user.name, csrf=csrf, workspaces=choices, current=current, paused=paused, audit=audit)


def chosen_workspace(user: Actor, asked: str | None, remembered: str | None) -> str | None:
    """The workspace a page shows: the one asked for, else the one last chosen, else the first of the user's."""
    for candidate in (asked, remembered):
        if candidate and candidate in user.memberships:
            return candidate
    return min(user.memberships) if user.memberships else None


async def home_view(
    ctx: AppContext,
    user: Actor,
    tr: Reader,
    *,
    workspace_id: str | None,
    csrf: str = "",
    status: str = "",
    only_mine: bool = False,
    cursor: str | None = None,
    channel: str = "",
    author: str = "",
    date_from: str = "",
    date_to: str = "",
) -> HomeView:
    """The home page: what waits for my signature, and the workspace's posts (or mine), a page at a time,
    filtered by status, channel, author and publish day (days in the reader's zone); unknown values are
    ignored, as a filter left empty."""
    chrome = await asyncio.to_thread(chrome_for, ctx, user, workspace_id, csrf, tr)
    statuses = [(s.value, status_words(tr, s)) for s in PostStatus]
    chosen = PostStatus(status) if status in PostStatus.__members__.values() else None
    if workspace_id is None:
        return HomeView(chrome, None, [], [], "", only_mine, statuses, None)
    member = own_workspace(user, workspace_id)
    facts = await asyncio.to_thread(services.workspace_facts, ctx, workspace_id)
    tr = tr.defaulting_to(facts.workspace.time_zone)
    channel = channel if channel in facts.channel_names else ""
    author = author if author in facts.names else ""
    first_day, last_day = day_of(date_from), day_of(date_to)
    waiting = await services.waiting_for(ctx, user, workspace_id)
    posts, next_cursor = await asyncio.to_thread(
        services.posts_page,
        ctx,
        workspace_id,
        status=chosen,
        author=user.id if only_mine else (author or None),
        limit=PAGE_SIZE,
        after=cursor,
        channel=channel or None,
        publish_from=day_start(first_day, tr.zone) if first_day else None,
        publish_before=day_start(last_day + timedelta(days=1), tr.zone) if last_day else None,
    )
    states = await services.live_states(ctx, posts)
    next_url = None
    if next_cursor:
        filters = {
            "status": chosen.value if chosen else "",
            "mine": "1" if only_mine else "",
            "channel": channel,
            "author": author,
            "from": first_day.isoformat() if first_day else "",
            "to": last_day.isoformat() if last_day else "",
        }
        query = {"workspace": workspace_id, **{k: v for k, v in filters.items() if v}, "cursor": next_cursor}
        next_url = "/?" + urlencode(query)
    return HomeView(
        chrome=Chrome(**{**chrome.__dict__, "waiting_count": len(waiting)}),
        workspace_id=workspace_id,
        waiting=[post_row(tr, p, s, facts.names) for p, s in waiting[:HOME_WAITING]],
        posts=[post_row(tr, p, states[p.id], facts.names) for p in posts],
        status_filter=chosen.value if chosen else "",
        only_mine=only_mine,
        statuses=statuses,
        next_page_url=next_url,
        may_compose=services.may(member, "editor"),
        channels=sorted(facts.channel_names.items(), key=lambda pair: pair[1].casefold()),
        authors=sorted(facts.names.items(), key=lambda pair: pair[1].casefold()),
        channel_filter=channel,
        author_filter=author,
        date_from=first_day.isoformat() if first_day else "",
        date_to=last_day.isoformat() if last_day else "",
    )


def _timeline(tr: Reader, ctx: AppContext, post_id: str, names: dict[str, str]) -> list[TimelineEntry]:
    entries = []
    for row in services.trail(ctx, post_id):
        detail = json.loads(row.detail or "{}")
        note = detail.get("comment") or detail.get("reason") or ""
        entries.append(
            TimelineEntry(
                at=row.at,
                text=event_words(tr, row.action, name_of(names, row.actor)),
                note=note if isinstance(note, str) else "",
                revision=row.revision,
            )
        )
    return entries


async def post_view(
    ctx: AppContext, user: Actor, tr: Reader, *, workspace_id: str, post_id: str, csrf: str = ""
) -> PostView:
    """The post page: status and what happens next, per channel state, its timeline, and what I may do."""
    post, member = await asyncio.to_thread(services.visible_post, ctx, user, workspace_id, post_id)
    facts = await asyncio.to_thread(services.workspace_facts, ctx, workspace_id)
    tr = tr.defaulting_to(facts.workspace.time_zone)
    state = await with_takedowns(ctx, await services.live_state(ctx, post))
    actions = await asyncio.to_thread(actions_for, ctx, member, state)
    per_channel = channels_actions(actions, state)
    progress = await channel_progress(ctx, state)
    extras = await post_extras(ctx, member, tr, post, state, facts.workspace.time_zone)
    chrome = await asyncio.to_thread(chrome_for, ctx, user, workspace_id, csrf, tr)
    waiting = await services.waiting_for(ctx, user, workspace_id)
    channel_names = facts.channel_names
    timeline = await asyncio.to_thread(_timeline, tr, ctx, post.id, facts.names)
    may_decide = services.may(member, "approver") and may_sign_now(state, user.id)
    _, sentence = next_step(tr, post, state, facts.names)
    return PostView(
        chrome=Chrome(**{**chrome.__dict__, "waiting_count": len(waiting)}),
        id=post.id,
        workspace_id=workspace_id,
        text=state.revision.text,
        status=state.status.value,
        status_words=status_words(tr, state.status),
        tone=STATUS_TONE[state.status],
        next_words=sentence,
        author=name_of(facts.names, post.author),
        publish_at=state.publish_at,
        revision=state.revision.number,
        content_hash=state.revision.content_hash,
        channels=[
            ChannelRow(
                id=c.channel_id,
                name=channel_names.get(c.channel_id, c.channel_id),
                status_words=channel_status_words(tr, c.status),
                # A channel it was taken down from has no live link any more.
                link=c.publication.url if c.publication and c.status is not ChannelStatus.UNPUBLISHED else None,
                failure=c.failure,
                attempt=progress[c.channel_id].attempt if c.channel_id in progress else None,
                last_error=progress[c.channel_id].last_error if c.channel_id in progress else None,
                next_attempt_at=progress[c.channel_id].next_attempt_at if c.channel_id in progress else None,
                actions=per_channel[c.channel_id],
            )
            for c in state.channels
        ],
        timeline=timeline,
        actions={
            "approve": may_decide,
            "request_changes": may_decide,
            "reject": may_decide,
            "revise": services.may(member, "editor")
            and (state.status is PostStatus.DRAFT or state.status in REVISABLE),
            **actions,
        },
        extras=extras,
    )
