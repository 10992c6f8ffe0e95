"""The approver's queue ("Waiting for me"): posts I can sign now, nearest deadline first, a page at a time.

Which posts I can sign is services.waiting_for (the workflow's own rule on each post's live state); when a
step is due is domain.signing.step_due (what the workflow's reminders and expiry count from)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from api.deps import Actor, AppContext, own_workspace
from domain.lifecycle import LifecycleState
from domain.signing import step_due
from domain.status import Decision
from store.posts import channel_ids
from store.tables import Post
from web import services
from web.i18n import Reader
from web.views import Chrome, chrome_for, excerpt, name_of

QUEUE_PAGE = 20


@dataclass(frozen=True)
class QueueRow:
    id: str
    url: str  # the review page
    excerpt: str
    author: str
    channels: list[str]  # names
    publish_at: datetime
    due: datetime  # the step's due time, else the publish time (it must be signed before it publishes)
    due_is_deadline: bool  # True: the step's own deadline; False: only the publish time
    overdue: bool
    progress: str  # "1 of 2 signed"
    step: str


@dataclass(frozen=True)
class QueueView:
    chrome: Chrome
    workspace_id: str
    rows: list[QueueRow]
    total: int  # every post I can sign now, before the filters
    channel: str
    author: str
    date_from: str
    date_to: str
    channels: list[tuple[str, str]]  # (id, name) to filter by
    authors: list[tuple[str, str]]  # (id, name)
    next_page_url: str | None
    url: str  # this queue, without a cursor


def due_of(state: LifecycleState) -> tuple[datetime, bool]:
    """When the waiting step must be signed: its deadline, else the publish time."""
    due = step_due(state)
    return (due, True) if due is not None else (state.publish_at, False)


def signed_of(state: LifecycleState, step: int) -> list[str]:
    """Who approved that step of the current revision's review."""
    return [d.actor for d in state.decisions if d.step == step and d.decision is Decision.APPROVE]


def progress_words(tr: Reader, state: LifecycleState) -> str:
    step = state.approval.steps[state.step]
    needed = step.required({state.author, state.last_editor})
    signed = len(signed_of(state, state.step))
    return tr.gettext("%(signed)s of %(needed)s signed") % {"signed": tr.number(signed), "needed": tr.number(needed)}


def _cursor_key(row: QueueRow) -> str:
    return f"{row.due.astimezone(UTC).strftime('%Y%m%d%H%M%S%f')}.{row.id}"


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def queue_rows(
    tr: Reader,
    waiting: list[tuple[Post, LifecycleState]],
    names: dict[str, str],
    channel_names: dict[str, str],
    *,
    now: datetime,
) -> list[QueueRow]:
    rows = []
    for post, state in waiting:
        due, is_deadline = due_of(state)
        rows.append(
            QueueRow(
                id=post.id,
                url=f"/w/{post.workspace_id}/posts/{post.id}/review",
                excerpt=excerpt(state.revision.text),
                author=name_of(names, post.author),
                channels=[channel_names.get(c, c) for c in channel_ids(post)],
                publish_at=state.publish_at,
                due=due,
                due_is_deadline=is_deadline,
                overdue=due <= now,
                progress=progress_words(tr, state),
                step=state.approval.steps[state.step].name,
            )
        )
    return sorted(rows, key=_cursor_key)


async def queue_view(
    ctx: AppContext,
    user: Actor,
    tr: Reader,
    *,
    workspace_id: str,
    csrf: str = "",
    channel: str = "",
    author: str = "",
    date_from: str = "",
    date_to: str = "",
    cursor: str = "",
    now: datetime | None = None,
) -> QueueView:
    """The posts `user` can sign now in the workspace, nearest due time first, filtered and paged."""
    own_workspace(user, workspace_id)
    facts = await asyncio.to_thread(services.workspace_facts, ctx, workspace_id)
    tr = tr.defaulting_to(facts.workspace.time_zone)
    chrome = await asyncio.to_thread(chrome_for, ctx, user, workspace_id, csrf, tr)
    waiting = await services.waiting_for(ctx, user, workspace_id)
    moment = now or datetime.now(UTC)
    rows = queue_rows(tr, waiting, facts.names, facts.channel_names, now=moment)
    authors = sorted({(p.author, name_of(facts.names, p.author)) for p, _ in waiting}, key=lambda a: a[1].lower())
    zone = ZoneInfo(tr.zone or "UTC")
    since, until = _day(date_from), _day(date_to)
    by_id = {p.id: p for p, _ in waiting}
    chosen = [
        r
        for r in rows
        if (not channel or channel in channel_ids(by_id[r.id]))
        and (not author or by_id[r.id].author == author)
        and (since is None or r.publish_at.astimezone(zone).date() >= since)
        and (until is None or r.publish_at.astimezone(zone).date() <= until)
    ]
    after = [r for r in chosen if _cursor_key(r) > cursor] if cursor else chosen
    page = after[:QUEUE_PAGE]
    filters = (
        ("channel", channel),
        ("author", author),
        ("from", since.isoformat() if since else ""),
        ("to", until.isoformat() if until else ""),
    )
    query = {k: v for k, v in filters if v}
    base = f"/w/{workspace_id}/queue"
    url = base + ("?" + urlencode(query) if query else "")
    next_url = None
    if len(after) > QUEUE_PAGE:
        next_url = base + "?" + urlencode({**query, "cursor": _cursor_key(page[-1])})
    return QueueView(
        chrome=Chrome(**{**chrome.__dict__, "waiting_count": len(waiting)}),
        workspace_id=workspace_id,
        rows=page,
        total=len(rows),
        channel=channel,
        author=author,
        date_from=since.isoformat() if since else "",
        date_to=until.isoformat() if until else "",
        channels=sorted(facts.channel_names.items(), key=lambda c: c[1].lower()),
        authors=authors,
        next_page_url=next_url,
        url=url,
    )
