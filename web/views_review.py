"""The review page: what each channel will show, the brand check's findings, what changed since the last
revision (word by word), the revision's comments, how far the approval is, the deadline, and what I may do.

Who may sign is domain.signing (the workflow's validator); when the step is due is domain.signing.step_due;
the words for a decision are given to the template finished; the template decides nothing."""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from api.deps import Actor, AppContext
from api.routes_revisions import COMMENTERS
from domain.brand import FindingLevel
from domain.diff import WordChange, word_diffs
from domain.lifecycle import LifecycleState, RevisionRef
from domain.signing import may_sign_now, step_due, who_may_sign_now
from domain.status import PostStatus
from store.comments import comments_on, revisions_page
from store.engine import transaction
from store.posts import channel_ids, revision_ref
from store.tables import Post
from web import services
from web.i18n import Reader
from web.views import Chrome, chrome_for, name_of, post_url
from web.views_queue import progress_words, signed_of
from web.words import STATUS_TONE, list_words, status_words

# Links, then @mentions (@name, or @name@instance on Mastodon), then #hashtags, as platforms highlight them.
_HIGHLIGHT = re.compile(
    r"(?P<link>https?://[^\s<>\"]+[^\s<>\".,;:!?')\]])"
    r"|(?P<mention>(?<![\w@])@[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?(?:@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)?)"
    r"|(?P<tag>(?<![\w#&])#[^\W\d_][\w]*)"
)


@dataclass(frozen=True)
class Segment:
    kind: str  # text | link | mention | tag
    text: str


@dataclass(frozen=True)
class Preview:
    channel_id: str
    name: str
    segments: list[Segment]
    own_variant: bool  # False: it publishes the base text


@dataclass(frozen=True)
class FindingRow:
    level: str  # error | warning | suggestion (a class; the words say it too)
    level_words: str
    message: str
    match: str
    where: str  # the channel's name, or "" for every channel
    replacement: str | None


@dataclass(frozen=True)
class DiffText:
    label: str  # "Base text" or the channel's name
    changed: bool
    changes: list[WordChange]


@dataclass(frozen=True)
class DiffView:
    from_revision: int
    to_revision: int
    texts: list[DiffText]


@dataclass(frozen=True)
class CommentRow:
    author: str
    at: datetime
    body: str
    quote: str | None
    channel: str | None


@dataclass(frozen=True)
class StepRow:
    name: str
    state: str  # done | current | later
    state_words: str
    progress: str  # "1 of 2 signed"
    signed_by: str  # names, in words
    may_sign: str  # names, in words ("" when nobody more may)


@dataclass(frozen=True)
class ReviewView:
    chrome: Chrome
    id: str
    workspace_id: str
    post_url: str
    url: str
    status: str
    status_words: str
    tone: str
    author: str
    publish_at: datetime
    revision: int
    content_hash: str
    previews: list[Preview]
    findings: list[FindingRow]
    diff: DiffView | None  # against the previous revision (or, after a stale decision, the revision I saw)
    comments: list[CommentRow]
    steps: list[StepRow]
    progress: str  # of the waiting step: "1 of 2 signed"; "" when not awaiting approval
    due: datetime | None
    overdue: bool
    deadline_words: str  # the deadline and what happens at expiry, as sentences
    actions: dict[str, bool]
    idempotency_key: str = field(default_factory=lambda: uuid.uuid4().hex)


def segments(text: str) -> list[Segment]:
    """The text cut into plain runs and the links, mentions and hashtags a platform highlights."""
    out: list[Segment] = []
    last = 0
    for match in _HIGHLIGHT.finditer(text):
        if match.start() > last:
            out.append(Segment("text", text[last : match.start()]))
        out.append(Segment(match.lastgroup or "text", match.group(0)))
        last = match.end()
    if last < len(text):
        out.append(Segment("text", text[last:]))
    return out


def _finding_level_words(tr: Reader, level: FindingLevel) -> str:
    return {
        FindingLevel.ERROR: tr.gettext("Error: blocks approval"),
        FindingLevel.WARNING: tr.gettext("Warning"),
        FindingLevel.SUGGESTION: tr.gettext("Suggestion"),
    }[level]


def _steps(tr: Reader, state: LifecycleState, names: dict[str, str]) -> list[StepRow]:
    rows = []
    awaiting = state.status is PostStatus.AWAITING_APPROVAL
    for index, step in enumerate(state.approval.steps):
        needed = step.required({state.author, state.last_editor})
        signers = [name_of(names, u) for u in signed_of(state, index)]
        if index < state.step or (not awaiting and len(signers) >= needed):
            kind, words = "done", tr.gettext("Signed")
        elif index == state.step and awaiting:
            kind, words = "current", tr.gettext("Waiting for signatures")
        elif index == state.step and state.status is PostStatus.CHANGES_NEEDED:
            kind, words = "later", tr.gettext("Starts again once the post is revised")
        else:
            kind, words = "later", tr.gettext("Not started")
        may = [name_of(names, u) for u in who_may_sign_now(state)] if kind == "current" else []
        rows.append(
            StepRow(
                name=step.name,
                state=kind,
                state_words=words,
                progress=tr.gettext("%(signed)s of %(needed)s signed")
                % {"signed": tr.number(len(signers)), "needed": tr.number(needed)},
                signed_by=list_words(tr, signers),
                may_sign=list_words(tr, may),
            )
        )
    return rows


def deadline_words(tr: Reader, state: LifecycleState, names: dict[str, str], now: datetime) -> tuple[str, bool]:
    """The waiting step's deadline and what happens when it passes, in sentences; and whether it has passed."""
    if state.status is not PostStatus.AWAITING_APPROVAL:
        return "", False
    step = state.approval.steps[state.step]
    due = step_due(state)
    if due is None or step.deadline is None:
        words = tr.gettext("This step has no deadline. It needs its signatures before the publish time, %(when)s.")
        return words % {"when": tr.instant(state.publish_at)}, state.publish_at <= now
    overdue = due <= now
    parts = [
        (tr.gettext("Overdue: it was due %(when)s.") if overdue else tr.gettext("Due %(when)s."))
        % {"when": tr.instant(due)}
    ]
    backup = [name_of(names, u) for u in step.backup]
    if backup:
        parts.append(tr.gettext("At the due time, %(who)s may sign too.") % {"who": list_words(tr, backup)})
    if step.deadline.on_expiry is not None:
        grace = step.deadline.escalation_grace if step.backup else 0
        when = tr.instant(due + timedelta(seconds=grace))
        if step.deadline.on_expiry == "expire":
            parts.append(tr.gettext("If it is not signed by %(when)s, the post expires and is not published."))
        else:
            parts.append(
                tr.gettext(
                    "If it is not signed by %(when)s, the post is put on hold until it is rescheduled or revised."
                )
            )
        parts[-1] = parts[-1] % {"when": when}
    else:
        parts.append(tr.gettext("Nothing happens on its own when it is due: its approvers are reminded."))
    return " ".join(parts), overdue


def _diff(tr: Reader, old: RevisionRef, new: RevisionRef, channel_names: dict[str, str]) -> DiffView:
    texts = [
        DiffText(
            label=tr.gettext("Base text") if d.channel_id is None else channel_names.get(d.channel_id, d.channel_id),
            changed=d.changed,
            changes=d.changes,
        )
        for d in word_diffs(old, new)
    ]
    return DiffView(from_revision=old.number, to_revision=new.number, texts=texts)


def _history(ctx: AppContext, post: Post, number: int) -> tuple[list[RevisionRef], list]:
    with transaction(ctx.engine) as session:
        revisions = [revision_ref(r) for r in revisions_page(session, post.id, limit=10_000, after=None)]
        comments = comments_on(session, post.id, number, limit=500)
    return revisions, comments


async def review_view(
    ctx: AppContext,
    user: Actor,
    tr: Reader,
    *,
    workspace_id: str,
    post_id: str,
    csrf: str = "",
    seen_hash: str | None = None,
    now: datetime | None = None,
) -> ReviewView:
    """The review page of a post. `seen_hash`: the content hash a refused decision was made on; the diff is
    then from that revision to the current one."""
    post, member = await asyncio.to_thread(services.visible_post, ctx, user, workspace_id, post_id)
    facts = await asyncio.to_thread(services.workspace_facts, ctx, workspace_id)
    tr = tr.defaulting_to(facts.workspace.time_zone)
    state = await services.live_state(ctx, post)
    chrome = await asyncio.to_thread(chrome_for, ctx, user, workspace_id, csrf, tr)
    waiting = await services.waiting_for(ctx, user, workspace_id)
    revisions, comments = await asyncio.to_thread(_history, ctx, post, state.revision.number)
    current = state.revision
    names, channel_names = facts.names, facts.channel_names
    seen = next((r for r in revisions if seen_hash and r.content_hash == seen_hash), None)
    previous = next((r for r in revisions if r.number == current.number - 1), None)
    base = seen if seen is not None and seen.number != current.number else previous
    moment = now or datetime.now(UTC)
    words, overdue = deadline_words(tr, state, names, moment)
    may_decide = services.may(member, "approver") and may_sign_now(state, user.id)
    awaiting = state.status is PostStatus.AWAITING_APPROVAL
    return ReviewView(
        chrome=Chrome(**{**chrome.__dict__, "waiting_count": len(waiting)}),
        id=post.id,
        workspace_id=workspace_id,
        post_url=post_url(workspace_id, post.id),
        url=post_url(workspace_id, post.id) + "/review",
        status=state.status.value,
        status_words=status_words(tr, state.status),
        tone=STATUS_TONE[state.status],
        author=name_of(names, post.author),
        publish_at=state.publish_at,
        revision=current.number,
        content_hash=current.content_hash,
        previews=[
            Preview(
                channel_id=c,
                name=channel_names.get(c, c),
                segments=segments(current.text_for(c)),
                own_variant=any(v.channel_id == c and v.text is not None for v in current.variants),
            )
            for c in channel_ids(post)
        ],
        findings=[
            FindingRow(
                level=f.level.value,
                level_words=_finding_level_words(tr, f.level),
                message=f.message,
                match=f.match,
                where=channel_names.get(f.channel_id, f.channel_id) if f.channel_id else "",
                replacement=f.replacement,
            )
            for f in state.findings
        ],
        diff=_diff(tr, base, current, channel_names) if base is not None else None,
        comments=[
            CommentRow(
                author=name_of(names, c.author),
                at=c.created_at,
                body=c.body,
                quote=c.quote,
                channel=channel_names.get(c.channel_id, c.channel_id) if c.channel_id else None,
            )
            for c in comments
        ],
        steps=_steps(tr, state, names),
        progress=progress_words(tr, state) if awaiting else "",
        due=step_due(state) if awaiting else None,
        overdue=overdue,
        deadline_words=words,
        actions={
            "approve": may_decide,
            "request_changes": may_decide,
            "reject": may_decide,
            "comment": services.may(member, *COMMENTERS),
        },
    )
