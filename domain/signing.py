"""Who may decide on a post now: the one rule, read by the workflow's validator and by the pages.

The workflow refuses a decision with the refusal this returns; a page asks the same function with the
post's live state to know whether to offer the approve and reject buttons (it never works it out itself)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from domain.lifecycle import LifecycleState
from domain.status import Decision, PostStatus


class Refusal(NamedTuple):
    type: str  # the ApplicationError type the API maps to an HTTP status (api/errors.py)
    message: str


def decision_refusal(state: LifecycleState, actor: str, content_hash: str | None = None) -> Refusal | None:
    """Why `actor` may not approve, reject or request changes on this state now; None when they may.

    `content_hash` is the revision they reviewed; None asks only about the person (may they sign now?)."""
    if state.status is not PostStatus.AWAITING_APPROVAL:
        return Refusal("InvalidState", f"post is {state.status.value}, not awaiting approval")
    if actor in (state.author, state.last_editor):
        return Refusal(
            "SeparationOfDuties", f"{actor} wrote this post and cannot approve or reject it; ask another approver"
        )
    if content_hash is not None and content_hash != state.revision.content_hash:
        return Refusal(
            "StaleContent",
            f"the decision is for content {content_hash}, but the current revision "
            f"{state.revision.number} is {state.revision.content_hash}; review it again",
        )
    step = state.approval.steps[state.step]
    escalated = "escalated" in state.deadline_marks and actor in step.backup
    if not step.may_sign(actor) and not escalated:
        return Refusal(
            "NotAnApprover",
            f"{actor} is not an approver of step '{step.name}'; it is for: {', '.join(step.eligible or [])}",
        )
    mine = [d for d in state.decisions if d.actor == actor and d.decision is Decision.APPROVE]
    if any(d.step == state.step for d in mine):
        return Refusal("AlreadyDecided", f"{actor} already approved step '{step.name}'")
    if state.approval.distinct_signers and mine:
        return Refusal(
            "SeparationOfDuties",
            f"{actor} signed an earlier step; this workspace needs a different person for each step",
        )
    return None


def may_sign_now(state: LifecycleState, actor: str) -> bool:
    return decision_refusal(state, actor) is None


def who_may_sign_now(state: LifecycleState) -> list[str]:
    """The people whose signature the waiting step still takes (escalation backups once escalated)."""
    if state.status is not PostStatus.AWAITING_APPROVAL:
        return []
    step = state.approval.steps[state.step]
    candidates = list(step.eligible or [])
    if "escalated" in state.deadline_marks:
        candidates += [u for u in step.backup if u not in candidates]
    return [person for person in candidates if may_sign_now(state, person)]


def step_due(state: LifecycleState) -> datetime | None:
    """When the waiting step is due (its deadline), or None when it has none: the workflow's reminders,
    escalation and expiry count from it, and the pages show it."""
    step = state.approval.steps[state.step]
    deadline, opened = step.deadline, state.step_opened_at
    if deadline is None or opened is None:
        return None
    if deadline.after is not None:
        return opened + timedelta(seconds=deadline.after)
    return state.publish_at - timedelta(seconds=deadline.before_publish or 0)
