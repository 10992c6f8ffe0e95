"""Reconcile a post's audit trail with its workflow history: every act of a person must be in both.

History side: the start (submitted), each update accepted and completed successfully (a refused or failed
update wrote nothing), and the pause/resume signals. Audit side: the post's entries from the workflow's
first sequence number on (drafts have no history) whose action a person's act causes, and the workspace's
pause/resume entries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from temporalio.api.common.v1 import Payload
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from domain.lifecycle import (
    DecideRequest,
    DecisionOutcome,
    LifecycleInput,
    LifecycleState,
    Pause,
    RescheduleRequest,
    Resume,
    RetryRequest,
    ReviseRequest,
    RevisionRef,
    UnpublishRequest,
    WithdrawRequest,
    workflow_id_for,
)
from domain.status import AuditAction, Decision, PostStatus
from store.engine import transaction
from store.tables import AuditEntry, Post

# What each update's request and result decode to, and the audit action it writes.
UPDATES: dict[str, tuple[type[BaseModel], type[BaseModel]]] = {
    "decide": (DecideRequest, DecisionOutcome),
    "revise": (ReviseRequest, RevisionRef),
    "reschedule": (RescheduleRequest, LifecycleState),
    "withdraw": (WithdrawRequest, LifecycleState),
    "retry_publish": (RetryRequest, LifecycleState),
    "unpublish": (UnpublishRequest, LifecycleState),
}
UPDATE_ACTIONS = {
    "revise": AuditAction.REVISED,
    "reschedule": AuditAction.RESCHEDULED,
    "withdraw": AuditAction.WITHDRAWN,
    "retry_publish": AuditAction.PUBLISH_RETRIED,
    "unpublish": AuditAction.UNPUBLISHED,
}
DECISION_ACTIONS = {
    Decision.APPROVE: AuditAction.APPROVED,
    Decision.REJECT: AuditAction.REJECTED,
    Decision.REQUEST_CHANGES: AuditAction.CHANGES_REQUESTED,
}
# Audit actions that only a person's act (an update, or the submission) writes.
ACTS_OF_PEOPLE = {AuditAction.SUBMITTED, *DECISION_ACTIONS.values(), *UPDATE_ACTIONS.values()}
SIGNALS = {"pause": (Pause, AuditAction.WORKSPACE_PAUSED), "resume": (Resume, AuditAction.WORKSPACE_RESUMED)}


@dataclass
class Act:
    action: str
    actor: str
    revision: int | None  # None for a workspace-wide act (pause, resume)
    source: str

    @property
    def key(self) -> tuple[str, str, int | None]:
        return self.action, self.actor, self.revision


class Difference(BaseModel):
    missing_from: str  # "audit" (in history only) or "history" (in the audit trail only)
    action: str
    actor: str
    revision: int | None
    source: str

    def describe(self) -> str:
        rev = f" revision {self.revision}" if self.revision is not None else ""
        seen = "history" if self.missing_from == "audit" else "audit trail"
        return f"{self.action} by {self.actor}{rev}: in the {seen} ({self.source}) but not in the {self.missing_from}"


class ActSeen(BaseModel):
    """One act as one side records it (for showing both sides next to each other)."""

    action: str
    actor: str
    revision: int | None
    source: str


class Reconciliation(BaseModel):
    post_id: str
    workflow_id: str
    history_acts: int
    audit_acts: int
    differences: list[Difference]
    note: str | None = None
    history: list[ActSeen] = []  # every act the history holds (starts, updates, then pause/resume signals)
    audit: list[ActSeen] = []  # every act of a person the trail holds

    @property
    def ok(self) -> bool:
        return not self.differences


@dataclass
class _History:
    workspace_id: str
    first_seq: int
    acts: list[Act]  # matched one for one with audit entries
    signals: list[Act]  # matched against the workspace's pause/resume entries


async def _decode(client: Client, payloads: Sequence[Payload], kind: type[BaseModel]) -> Any:
    return (await client.data_converter.decode(payloads, [kind]))[0]


async def _read_history(client: Client, workflow_id: str) -> _History:
    """Every run of the workflow, oldest first (following continue-as-new back to the first run)."""
    runs: list[list[HistoryEvent]] = []
    run_id: str | None = None
    while True:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        runs.insert(0, list(history.events))
        run_id = runs[0][0].workflow_execution_started_event_attributes.continued_execution_run_id or None
        if run_id is None:
            break
    started = runs[0][0].workflow_execution_started_event_attributes
    first: LifecycleInput = await _decode(client, started.input.payloads, LifecycleInput)
    submitter = first.submitted_by or first.author
    acts = [Act(AuditAction.SUBMITTED.value, submitter, first.revision.number, "workflow start")]
    signals: list[Act] = []
    # A decision repeated with its idempotency key in a later run is answered from the state, writing nothing:
    # one update id is one act, whichever runs it appears in.
    seen_updates: set[str] = set()
    for events in runs:
        accepted: dict[int | str, HistoryEvent] = {}
        for event in events:
            if event.HasField("workflow_execution_update_accepted_event_attributes"):
                update = event.workflow_execution_update_accepted_event_attributes
                accepted[event.event_id] = accepted[update.accepted_request.meta.update_id] = event
            elif event.HasField("workflow_execution_update_completed_event_attributes"):
                done = event.workflow_execution_update_completed_event_attributes
                # Found by event id, or by update id where a server leaves accepted_event_id unset (the test server).
                match = accepted.get(done.accepted_event_id) or accepted[done.meta.update_id]
                request = match.workflow_execution_update_accepted_event_attributes
                update_id = request.accepted_request.meta.update_id
                if done.outcome.HasField("success") and update_id not in seen_updates:
                    seen_updates.add(update_id)
                    acts.append(await _update_act(client, request.accepted_request, done.outcome.success.payloads))
            elif event.HasField("workflow_execution_signaled_event_attributes"):
                signal = event.workflow_execution_signaled_event_attributes
                if signal.signal_name in SIGNALS:
                    kind, action = SIGNALS[signal.signal_name]
                    arg = await _decode(client, signal.input.payloads, kind)
                    signals.append(
                        Act(action.value, arg.actor, None, f"signal {signal.signal_name}, event {event.event_id}")
                    )
    return _History(first.workspace_id, first.first_seq, acts, signals)


async def _update_act(client: Client, request: Any, result: Sequence[Payload]) -> Act:
    name, update_id = request.input.name, request.meta.update_id
    source = f"update {name} {update_id}"
    if name not in UPDATES:
        return Act(f"update:{name}", request.meta.identity or "?", None, source)
    request_type, result_type = UPDATES[name]
    req = await _decode(client, request.input.args.payloads, request_type)
    out = await _decode(client, result, result_type)
    if isinstance(out, DecisionOutcome):
        return Act(DECISION_ACTIONS[req.decision].value, req.actor, out.revision, source)
    revision = out.number if isinstance(out, RevisionRef) else out.revision.number
    return Act(UPDATE_ACTIONS[name].value, req.actor, revision, source)


def _audit_acts(session: Session, workflow_id: str, first_seq: int) -> list[Act]:
    query = select(AuditEntry).where(
        AuditEntry.workflow_id == workflow_id,
        col(AuditEntry.seq) >= first_seq,
        col(AuditEntry.action).in_([a.value for a in ACTS_OF_PEOPLE]),
    )
    return [
        Act(e.action, e.actor, e.revision, f"audit entry {e.chain_index}, seq {e.seq}")
        for e in session.exec(query.order_by(col(AuditEntry.seq)))
    ]


def _workspace_acts(session: Session, workspace_id: str) -> set[tuple[str, str]]:
    actions = [AuditAction.WORKSPACE_PAUSED.value, AuditAction.WORKSPACE_RESUMED.value]
    query = select(AuditEntry.action, AuditEntry.actor).where(
        AuditEntry.workflow_id == f"workspace-{workspace_id}", col(AuditEntry.action).in_(actions)
    )
    return {(action, actor) for action, actor in session.exec(query)}


def compare(history: Sequence[Act], audit: Sequence[Act]) -> list[Difference]:
    """One for one on (action, actor, revision): what is left on either side is a difference."""
    unmatched = list(audit)
    differences: list[Difference] = []
    for act in history:
        match = next((i for i, a in enumerate(unmatched) if a.key == act.key), None)
        if match is None:
            differences.append(Difference(missing_from="audit", **_fields(act)))
        else:
            unmatched.pop(match)
    differences += [Difference(missing_from="history", **_fields(act)) for act in unmatched]
    return differences


def _fields(act: Act) -> dict[str, Any]:
    return {"action": act.action, "actor": act.actor, "revision": act.revision, "source": act.source}


async def reconcile_post(client: Client, engine: Engine, post_id: str) -> Reconciliation:
    """Raises LookupError when the post does not exist."""
    workflow_id = workflow_id_for(post_id)
    with transaction(engine) as session:
        post = session.get(Post, post_id)
    if post is None:
        raise LookupError(f"no post '{post_id}'")
    try:
        history = await _read_history(client, workflow_id)
    except RPCError as err:
        if err.status is not RPCStatusCode.NOT_FOUND:
            raise
        if post.status == PostStatus.DRAFT.value:
            return Reconciliation(
                post_id=post_id,
                workflow_id=workflow_id,
                history_acts=0,
                audit_acts=0,
                differences=[],
                note="a draft: it has no workflow yet, so nothing to reconcile",
            )
        missing = Difference(missing_from="history", action="(workflow)", actor="-", revision=None, source=str(err))
        return Reconciliation(
            post_id=post_id, workflow_id=workflow_id, history_acts=0, audit_acts=0, differences=[missing],
            note=f"the post is {post.status} but Temporal has no history for {workflow_id}",
        )  # fmt: skip
    with transaction(engine) as session:
        audit = _audit_acts(session, workflow_id, history.first_seq)
        workspace = _workspace_acts(session, history.workspace_id)
    differences = compare(history.acts, audit)
    differences += [
        Difference(missing_from="audit", **_fields(signal))
        for signal in history.signals
        if (signal.action, signal.actor) not in workspace
    ]
    return Reconciliation(
        post_id=post_id,
        workflow_id=workflow_id,
        history_acts=len(history.acts) + len(history.signals),
        audit_acts=len(audit),
        differences=differences,
        history=[ActSeen(**_fields(act)) for act in [*history.acts, *history.signals]],
        audit=[ActSeen(**_fields(act)) for act in audit],
    )
