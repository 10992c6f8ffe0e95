"""PostLifecycle: one durable workflow per post, id "post-<post_id>".

submit -> brand check -> (changes needed -> revise)* -> approval -> timer to publish_at -> publish
-> metrics at each follow-up offset -> done.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributePair, TypedSearchAttributes
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities import names
    from domain.content import content_hash
    from domain.lifecycle import (
        BrandCheckRequest,
        BrandCheckResult,
        ChannelState,
        DecideRequest,
        DecisionOutcome,
        LifecycleInput,
        LifecycleState,
        MetricsRequest,
        MetricsSnapshot,
        Pause,
        Publication,
        PublishRequest,
        RescheduleRequest,
        Resume,
        RetryRequest,
        ReviseRequest,
        RevisionRef,
        StoreRevisionRequest,
        TransitionRecord,
        UnpublishChannelRequest,
        UnpublishChannelResult,
        UnpublishRequest,
        WithdrawRequest,
    )
    from domain.notify import Notification, NotificationKind
    from domain.signing import decision_refusal, step_due
    from domain.status import AuditAction, ChannelStatus, Decision, LatePolicy, PostStatus, ResumePolicy
    from workflows.search_attributes import POST_STATUS, PUBLISH_AT, WORKSPACE_ID

T = TypeVar("T")
DB_TIMEOUT = timedelta(seconds=30)
DB_RETRY = RetryPolicy(initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=10))
PUBLISH_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
    maximum_attempts=10,
    non_retryable_error_types=["RejectedByPlatform", "AuthExpired"],
)
# A takedown is awaited by the person asking for it: a few quick tries, then the failure is theirs to see.
UNPUBLISH_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=10),
    maximum_attempts=5,
    non_retryable_error_types=["RejectedByPlatform", "AuthExpired"],
)
NOTIFY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5), maximum_interval=timedelta(minutes=5), maximum_attempts=8
)
METRICS_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5), maximum_interval=timedelta(minutes=10), maximum_attempts=6
)
REVISABLE = (PostStatus.CHANGES_NEEDED, PostStatus.AWAITING_APPROVAL, PostStatus.SCHEDULED, PostStatus.ON_HOLD)
# Until publishing starts, the time can move and the post can be withdrawn.
BEFORE_PUBLISHING = (PostStatus.BRAND_CHECK, *REVISABLE)
WITHDRAWABLE = (*BEFORE_PUBLISHING, PostStatus.PUBLISH_FAILED)
PATCH_RETRY_AFTER_FAILURE = "publish-failed-awaits-retry"
# The brand check is short DB + CPU work: a local activity saves a server round trip and two events.
PATCH_BRAND_CHECK_LOCAL = "brand-check-local-activity"
# The PostStatus search attribute follows the status where the post rests (waits for people or time) and
# at the end, not through every transient step: each update is a visibility write on the server.
PATCH_STATUS_INDEX_AT_REST = "status-index-at-rest"
# Long lives: at a rest point, continue as new (carrying the whole state) when the history grows long.
PATCH_CONTINUE_AS_NEW = "continue-as-new-at-rest"
# The PublishAt search attribute follows every move of the publish time.
PATCH_PUBLISH_AT_INDEX = "publish-at-index"
# People hear of a permanent publish failure (and a channel needing reconnection) at once.
PATCH_NOTIFY_PUBLISH_FAILURE = "notify-publish-failure"
# A post that went out later than the workspace's threshold after its time is a notice to its people.
PATCH_LATE_NOTICE = "notify-published-late"
# Publish activities get an id naming their channel, so a retrying publish can be shown per channel.
PATCH_PUBLISH_ACTIVITY_ID = "publish-activity-id-per-channel"
# Where a channel's publication may be taken down (unpublish) and where it stands afterwards.
OUT = (ChannelStatus.PUBLISHED, ChannelStatus.DONE)
ALREADY_UNPUBLISHED = "already_unpublished"
# A snapshot missed because its channel was taken down meanwhile records the status the unpublish left.
PATCH_MISSED_AFTER_UNPUBLISH = "metrics-missed-after-unpublish"
HOLD_LATE = "approved after its publish time"
HOLD_OVERDUE = "approval overdue"
KEPT_DECISION_IDS = 200


@workflow.defn
class PostLifecycle:
    @workflow.init
    def __init__(self, inp: LifecycleInput) -> None:
        self.state = (
            self._carried(inp)
            if inp.carried is not None
            else LifecycleState(
                post_id=inp.post_id,
                workspace_id=inp.workspace_id,
                channel_id=inp.channel_id,
                author=inp.author,
                revision=inp.revision,
                last_editor=inp.revision.author,
                publish_at=inp.publish_at,
                publish_zone=inp.publish_zone,
                late_policy=inp.late_policy,
                approval=inp.approval,
                paused=inp.paused,
                followup_offsets=sorted(inp.followup_offsets),
                next_seq=inp.first_seq,
                channels=[ChannelState(channel_id=c) for c in (inp.channel_ids or [inp.channel_id])],
                history_limit=inp.history_limit,
            )
        )
        # One channel keeps the entries and statuses of the single-channel lifecycle, so histories replay.
        self._many = len(self.state.channels) > 1
        self._retry_channels: set[str] = set()
        self._projected = self.state.status  # the status the last entry of the publish phase wrote
        self._revised_by: str | None = None
        self._withdrawn_by: str | None = None
        self._retry_by: str | None = None
        self._resumed: Resume | None = None
        self._sitting_out = False
        self._index_at_rest = False
        # What the start (or continue-as-new) gave the PostStatus search attribute.
        self._indexed_status = self.state.status if inp.carried is not None else PostStatus.BRAND_CHECK
        self._may_continue = False
        self._busy = 0  # activities in flight: the lifecycle continues as new only when none is
        self._schedule_changed = False
        self._decision: DecisionOutcome | None = None

    # ---- queries ---------------------------------------------------------------------------------

    @workflow.query
    def current(self) -> LifecycleState:
        return self.state

    @staticmethod
    def _carried(inp: LifecycleInput) -> LifecycleState:
        assert inp.carried is not None
        return inp.carried.model_copy(update={"run_number": inp.carried.run_number + 1})

    # ---- signals: a workspace pause reaches every post at once ------------------------------------

    @workflow.signal
    def pause(self, pause: Pause) -> None:
        if self.state.paused is None:
            self.state.paused = pause.model_copy(update={"since": workflow.now()})
            self._resumed = None

    @workflow.signal
    def resume(self, resume: Resume) -> None:
        if self.state.paused is None:
            return
        if self._sitting_out:
            self._resumed = resume  # the waiting post applies the resume policy
        else:
            self.state.paused = None  # its time did not come during the pause: nothing was missed

    # ---- updates ---------------------------------------------------------------------------------

    @workflow.update
    async def revise(self, req: ReviseRequest) -> RevisionRef:
        self._check_revise(req)
        revision = RevisionRef(
            number=self.state.revision.number + 1,
            text=req.text,
            content_hash=content_hash(req.text, req.variants),
            author=req.actor,
            variants=req.variants,
        )
        # Everything the main loop looks at changes before the first await, so a timer firing while the
        # revision is being stored can never publish the old text or keep an approval of it.
        voided = [d.actor for d in self.state.decisions if d.decision is Decision.APPROVE]
        self.state.revision = revision
        self.state.last_editor = req.actor
        self.state.hold_reason = None
        self.state.decisions = []
        self.state.step = 0
        self._decision = None
        self._revised_by = req.actor
        self._set_status(PostStatus.BRAND_CHECK)
        record = self._record(
            AuditAction.REVISED,
            req.actor,
            detail={"comment": req.comment, "voided_approvals": voided} if voided else {"comment": req.comment},
        )
        await self._tracked(
            workflow.execute_local_activity(
                names.STORE_REVISION,
                StoreRevisionRequest(post_id=self.state.post_id, revision=revision, record=record),
                start_to_close_timeout=DB_TIMEOUT,
                retry_policy=DB_RETRY,
            )
        )
        return revision

    @revise.validator
    def _check_revise(self, req: ReviseRequest) -> None:
        if self.state.status not in REVISABLE:
            raise ApplicationError(
                f"post is {self.state.status.value}; it can be revised only while "
                + ", ".join(s.value for s in REVISABLE),
                type="InvalidState",
            )
        if not req.text.strip():
            raise ApplicationError("the revised text is empty", type="InvalidInput")
        targets = {c.channel_id for c in self.state.channels}
        strangers = sorted({v.channel_id for v in req.variants} - targets)
        if strangers:
            raise ApplicationError(
                f"variants for {', '.join(strangers)}, which this post does not target ({', '.join(sorted(targets))})",
                type="InvalidInput",
            )
        named = [v.channel_id for v in req.variants]
        if len(named) != len(set(named)):
            raise ApplicationError("two variants for one channel; give one per channel", type="InvalidInput")
        if content_hash(req.text, req.variants) == self.state.revision.content_hash:
            raise ApplicationError("the revision changes nothing", type="InvalidInput")

    @workflow.update
    async def reschedule(self, req: RescheduleRequest) -> LifecycleState:
        """Move the publish time (None: publish now). A post on hold is scheduled again."""
        self._check_reschedule(req)
        before = self.state.publish_at
        self.state.publish_at = req.publish_at or workflow.now()
        self.state.publish_zone = req.zone
        self._schedule_changed = True
        if self.state.status is PostStatus.ON_HOLD and self.state.hold_reason == HOLD_OVERDUE:
            # Held because nobody signed in time: with a new time, the step waits for signatures again.
            self.state.hold_reason = None
            self._set_status(PostStatus.AWAITING_APPROVAL)
            self._open_step()
        elif self.state.status is PostStatus.ON_HOLD:
            self.state.hold_reason = None
            self._set_status(PostStatus.SCHEDULED)
        self._index_publish_at()
        record = self._record(
            AuditAction.RESCHEDULED,
            req.actor,
            detail={"from": before.isoformat(), "to": self.state.publish_at.isoformat(), "zone": req.zone},
        )
        await self._write([record.model_copy(update={"publish_at": self.state.publish_at})])
        return self.state

    @reschedule.validator
    def _validate_reschedule(self, req: RescheduleRequest) -> None:
        if self.state.status is PostStatus.BRAND_CHECK:
            # The check's entry took its seq before this one would, so this entry would say `brand_check`
            # after the check's result and the projection would keep it. (Waiting in the handler instead is
            # not replay-safe: the local activity's result and the update land in one activation on replay.)
            # Only the validator refuses: it does not run on replay, so older histories still replay.
            raise ApplicationError(
                "post is brand_check; its time can change once the brand check is done, in a moment",
                type="InvalidState",
            )
        self._check_reschedule(req)

    def _check_reschedule(self, req: RescheduleRequest) -> None:
        if self.state.status not in BEFORE_PUBLISHING:
            raise ApplicationError(
                f"post is {self.state.status.value}; its time can change only before publishing starts",
                type="InvalidState",
            )
        if req.publish_at is not None and req.publish_at.tzinfo is None:
            raise ApplicationError("publish_at needs a time zone", type="InvalidInput")

    @workflow.update
    async def withdraw(self, req: WithdrawRequest) -> LifecycleState:
        """Take the post back before it is published; the lifecycle ends here."""
        self._check_withdraw(req)
        detail: dict[str, Any] = {"reason": req.reason}
        if self.state.status is PostStatus.PUBLISH_FAILED:
            # The channels that failed are given up; any that went out stay out and are followed up.
            given_up = [c for c in self.state.channels if c.status is ChannelStatus.PUBLISH_FAILED]
            for channel in given_up:
                channel.status = ChannelStatus.WITHDRAWN
            if self._many:
                detail["channels"] = [c.channel_id for c in given_up]
            self._set_status(self._aggregate())
            if self.state.status is PostStatus.WITHDRAWN:
                self._withdrawn_by = req.actor
        else:
            self._withdrawn_by = req.actor
            self._set_status(PostStatus.WITHDRAWN)
        self._projected = self.state.status
        await self._write([self._record(AuditAction.WITHDRAWN, req.actor, detail=detail)])
        return self.state

    @withdraw.validator
    def _check_withdraw(self, req: WithdrawRequest) -> None:
        if self.state.status not in WITHDRAWABLE:
            raise ApplicationError(
                f"post is {self.state.status.value}; only a post not yet publishing can be withdrawn",
                type="InvalidState",
            )

    @workflow.update
    async def retry_publish(self, req: RetryRequest) -> LifecycleState:
        """Publish again after a permanent failure whose cause is fixed (same key: never a duplicate)."""
        self._check_retry(req)
        retried = [
            c
            for c in self.state.channels
            if c.status is ChannelStatus.PUBLISH_FAILED and req.channel_id in (None, c.channel_id)
        ]
        detail: dict[str, Any] = {"after": "; ".join(c.failure or "" for c in retried)}
        for channel in retried:
            channel.status = ChannelStatus.PUBLISHING
            self._retry_channels.add(channel.channel_id)
        if self._many:
            detail["channels"] = [c.channel_id for c in retried]
        self._retry_by = req.actor
        self._set_status(self._aggregate())
        self._projected = self.state.status
        await self._write([self._record(AuditAction.PUBLISH_RETRIED, req.actor, detail=detail)])
        return self.state

    @retry_publish.validator
    def _check_retry(self, req: RetryRequest) -> None:
        if self.state.status is not PostStatus.PUBLISH_FAILED:
            raise ApplicationError(
                f"post is {self.state.status.value}; only a post whose publishing failed can be retried",
                type="InvalidState",
            )
        if req.channel_id is not None:
            channel = self.state.channel(req.channel_id)
            failed = [c.channel_id for c in self.state.channels if c.status is ChannelStatus.PUBLISH_FAILED]
            if channel is None or channel.status is not ChannelStatus.PUBLISH_FAILED:
                raise ApplicationError(
                    f"channel {req.channel_id} has no failed publication to retry; failed: {', '.join(failed)}",
                    type="InvalidState",
                )

    @workflow.update
    async def unpublish(self, req: UnpublishRequest) -> LifecycleState:
        """Take the post down from a channel it went out on, or from every one; follow-ups there stop.

        Every accepted request is an entry (with each channel's result), also a repeat: its channels answer
        `already_unpublished`. A platform that fails to delete leaves its channel out, with the reason."""
        self._check_unpublish(req)
        targets = [
            c
            for c in self.state.channels
            if req.channel_id in (None, c.channel_id) and c.status in (*OUT, ChannelStatus.UNPUBLISHED)
        ]
        results = await asyncio.gather(*(self._take_down(c, req.reason) for c in targets))
        self._set_status(self._aggregate())
        self._projected = self.state.status
        detail: dict[str, Any] = {"reason": req.reason, "channels": dict(results)}
        await self._write([self._record(AuditAction.UNPUBLISHED, req.actor, detail=detail)])
        return self.state

    @unpublish.validator
    def _check_unpublish(self, req: UnpublishRequest) -> None:
        if not req.reason.strip():
            raise ApplicationError("give the reason the post is taken down", type="InvalidInput")
        gone = (*OUT, ChannelStatus.UNPUBLISHED)
        if req.channel_id is not None:
            channel = self.state.channel(req.channel_id)
            if channel is None:
                targets = ", ".join(c.channel_id for c in self.state.channels)
                raise ApplicationError(
                    f"the post is not on channel {req.channel_id}; it targets {targets}", type="InvalidInput"
                )
            if channel.status not in gone:
                raise ApplicationError(
                    f"channel {req.channel_id} is {channel.status.value}; only a channel the post went out on can "
                    "be unpublished",
                    type="InvalidState",
                )
        elif not any(c.status in gone for c in self.state.channels):
            raise ApplicationError(
                f"post is {self.state.status.value}; it has not gone out on any channel, so there is nothing to "
                "unpublish (a post not yet published is withdrawn instead)",
                type="InvalidState",
            )

    async def _take_down(self, channel: ChannelState, reason: str) -> tuple[str, str]:
        if channel.status is ChannelStatus.UNPUBLISHED:
            return channel.channel_id, ALREADY_UNPUBLISHED
        assert channel.publication is not None
        try:
            result: UnpublishChannelResult = await self._tracked(
                workflow.execute_activity(
                    names.UNPUBLISH,
                    UnpublishChannelRequest(
                        post_id=self.state.post_id,
                        channel_id=channel.channel_id,
                        external_id=channel.publication.external_id,
                        reason=reason,
                    ),
                    result_type=UnpublishChannelResult,
                    start_to_close_timeout=timedelta(seconds=30),
                    retry_policy=UNPUBLISH_RETRY,
                )
            )
        except ActivityError as err:
            channel.unpublish_error = str(err.cause or err)
            return channel.channel_id, f"failed: {channel.unpublish_error}"
        channel.status = ChannelStatus.UNPUBLISHED
        channel.unpublished_at = workflow.now()
        channel.unpublish_error = None
        return channel.channel_id, result.outcome

    @workflow.update
    async def decide(self, req: DecideRequest) -> DecisionOutcome:
        earlier = self._earlier_decision()
        if earlier is not None:
            return earlier  # the same decision again (retried request): the first answer, nothing new
        self._check_decision(req)
        step = self.state.step
        outcome = DecisionOutcome(
            decision=req.decision,
            actor=req.actor,
            step=step,
            revision=self.state.revision.number,
            content_hash=self.state.revision.content_hash,
            status=self.state.status,
            at=workflow.now(),
        )
        self.state.decisions.append(outcome)
        detail: dict[str, Any] = {"comment": req.comment}
        if req.decision is Decision.APPROVE:
            action = AuditAction.APPROVED
            resolved = self.state.approval.steps[step]
            signed = sum(1 for d in self.state.decisions if d.step == step and d.decision is Decision.APPROVE)
            needed = resolved.required({self.state.author, self.state.last_editor})
            detail |= {"step": resolved.name, "signatures": signed, "needed": needed}
            if signed >= needed:
                if step + 1 < len(self.state.approval.steps):
                    self.state.step = step + 1
                    self._open_step()
                else:
                    self._decision = outcome
                    self._set_status(PostStatus.SCHEDULED)
        elif req.decision is Decision.REJECT:
            action = AuditAction.REJECTED
            self._decision = outcome
            self._set_status(PostStatus.REJECTED)
        else:
            # Back to the editor: the approvals so far no longer stand, a revision starts review again.
            action = AuditAction.CHANGES_REQUESTED
            self.state.step = 0
            self._set_status(PostStatus.CHANGES_NEEDED)
        outcome.status = self.state.status
        self._remember_decision(outcome)
        # The update returns only once the decision is in the audit trail too.
        await self._write([self._record(action, req.actor, detail=detail)])
        return outcome

    def _earlier_decision(self) -> DecisionOutcome | None:
        info = workflow.current_update_info()
        return self.state.decided_updates.get(info.id) if info is not None else None

    def _remember_decision(self, outcome: DecisionOutcome) -> None:
        info = workflow.current_update_info()
        if info is None or not self._may_continue:
            return  # before continue-as-new existed, the server's own update-id check was the only one
        self.state.decided_updates[info.id] = outcome
        while len(self.state.decided_updates) > KEPT_DECISION_IDS:
            del self.state.decided_updates[next(iter(self.state.decided_updates))]

    @decide.validator
    def _check_decision(self, req: DecideRequest) -> None:
        if self._earlier_decision() is not None:
            return
        refusal = decision_refusal(self.state, req.actor, req.content_hash)
        if refusal is not None:
            raise ApplicationError(refusal.message, type=refusal.type)

    # ---- the run ---------------------------------------------------------------------------------

    @workflow.run
    async def run(self, inp: LifecycleInput) -> LifecycleState:
        self._index_at_rest = workflow.patched(PATCH_STATUS_INDEX_AT_REST)
        self._may_continue = workflow.patched(PATCH_CONTINUE_AS_NEW)
        resumed = self.state.status if inp.carried is not None else None
        if resumed in (
            PostStatus.REJECTED,
            PostStatus.WITHDRAWN,
            PostStatus.EXPIRED,
            PostStatus.DONE,
            PostStatus.UNPUBLISHED,
        ):
            return await self._finish()
        if resumed not in (PostStatus.PUBLISHING, PostStatus.PUBLISHED, PostStatus.PUBLISH_FAILED):
            if not await self._until_due((inp.submitted_by or inp.author) if resumed is None else None, resumed):
                return await self._finish()
            self._set_status(PostStatus.PUBLISHING)
            self._projected = PostStatus.PUBLISHING
            for channel in self.state.channels:
                channel.status = ChannelStatus.PUBLISHING
        # Each channel publishes, fails, is retried and is followed up on its own.
        await asyncio.gather(*(self._channel_life(c) for c in self.state.channels))
        return await self._finish()

    async def _until_due(self, submitted_by: str | None, resumed: PostStatus | None) -> bool:
        """Review until approved and the publish time has come: True, or False when the post ended first.

        A continued run (`resumed`) starts where the previous run rested: awaiting a decision, or the time.
        """
        check = resumed in (None, PostStatus.BRAND_CHECK)
        # On hold because approval is overdue, the post still waits for a decision, not for its time.
        to_time = resumed is PostStatus.SCHEDULED or (
            resumed is PostStatus.ON_HOLD and self.state.hold_reason != HOLD_OVERDUE
        )
        while True:
            if not to_time:
                if check:
                    await self._brand_check(submitted_by)
                check = True
                submitted_by = None  # later rounds start from a revision, which has its own audit entry
                decided = await self._await_decision()
                if self._withdrawn_by is not None or self.state.status is PostStatus.EXPIRED:
                    return False
                if not decided:
                    self._revised_by = None
                    continue
                assert self._decision is not None
                if self._decision.decision is Decision.REJECT:
                    return False
                if await self._apply_late_policy(self._decision):
                    return False
            to_time = False
            due = await self._await_publish_time()
            if self._withdrawn_by is not None:
                return False
            if due:
                return True
            self._revised_by = None

    async def _brand_check(self, submitted_by: str | None) -> None:
        self._set_status(PostStatus.BRAND_CHECK)
        # The "submitted" entry of a first submission goes in the same transaction as the check's result.
        before = [self._record(AuditAction.SUBMITTED, submitted_by)] if submitted_by else []
        checked = self._record(AuditAction.BRAND_CHECKED, "system")
        request = BrandCheckRequest(
            workspace_id=self.state.workspace_id,
            channel_id=self.state.channel_id,
            channel_ids=[c.channel_id for c in self.state.channels] if self._many else [],
            revision=self.state.revision,
            before=before,
            checked=checked,
        )
        result: BrandCheckResult
        if workflow.patched(PATCH_BRAND_CHECK_LOCAL):
            result = await self._tracked(
                workflow.execute_local_activity(
                    names.CHECK_BRAND,
                    request,
                    result_type=BrandCheckResult,
                    start_to_close_timeout=DB_TIMEOUT,
                    retry_policy=DB_RETRY,
                )
            )
        else:
            result = await self._tracked(
                workflow.execute_activity(
                    names.CHECK_BRAND,
                    request,
                    result_type=BrandCheckResult,
                    start_to_close_timeout=DB_TIMEOUT,
                    retry_policy=DB_RETRY,
                )
            )
        self.state.findings = result.findings
        # A revision (checked again by the loop) or a withdrawal during the check makes this result moot.
        if not self._interrupted():
            self._set_status(result.status)
            if result.status is PostStatus.AWAITING_APPROVAL:
                self._open_step()

    def _interrupted(self) -> bool:
        return self._revised_by is not None or self._withdrawn_by is not None

    async def _await_decision(self) -> bool:
        """True once someone decided; False when a revision or a withdrawal came first, or the review expired.

        While a step with a deadline waits, its reminders, escalation and expiry happen on time.
        """
        if not any(step.deadline for step in self.state.approval.steps):
            await self._rest_until(lambda: self._interrupted() or self._decision is not None)
            return not self._interrupted()
        while True:
            settled = self._interrupted() or self._decision is not None or self.state.status is PostStatus.EXPIRED
            if settled:
                return not self._interrupted() and self.state.status is not PostStatus.EXPIRED
            changed = partial(self._moved_since, self._review_position())
            event = self._next_deadline_event()
            if event is None:
                await self._rest_until(changed)
                continue
            at, mark = event
            if at > workflow.now():
                try:
                    await self._rest_until(changed, at_most=at - workflow.now())
                except TimeoutError:
                    pass
                else:
                    continue  # something moved: look again
            await self._deadline_reached(mark)

    def _review_position(self) -> tuple[object, ...]:
        return (self.state.status, self.state.step, self.state.step_opened_at, self.state.publish_at)

    def _moved_since(self, position: tuple[object, ...]) -> bool:
        """Decided, revised, withdrawn, or the step, its status or the publish time moved: look again."""
        return self._interrupted() or self._decision is not None or position != self._review_position()

    def _step_due(self) -> datetime | None:
        return step_due(self.state)

    def _next_deadline_event(self) -> tuple[datetime, str] | None:
        """The next reminder, escalation or expiry of the waiting step, as (when, mark)."""
        if self.state.status is not PostStatus.AWAITING_APPROVAL:
            return None
        due = self._step_due()
        step = self.state.approval.steps[self.state.step]
        if due is None or step.deadline is None:
            return None
        deadline = step.deadline
        events = [(due - timedelta(seconds=r), f"reminder-{r}") for r in sorted(deadline.reminders, reverse=True)]
        if step.backup:
            events.append((due, "escalated"))
        if deadline.on_expiry is not None:
            events.append((due + timedelta(seconds=deadline.escalation_grace if step.backup else 0), "expired"))
        pending = [e for e in events if e[1] not in self.state.deadline_marks]
        return min(pending) if pending else None

    async def _deadline_reached(self, mark: str) -> None:
        self.state.deadline_marks.append(mark)
        index, step = self.state.step, self.state.approval.steps[self.state.step]
        due = self._step_due()
        assert due is not None and step.deadline is not None
        signed = {d.actor for d in self.state.decisions if d.step == index and d.decision is Decision.APPROVE}
        excluded = {self.state.author, self.state.last_editor} | signed
        waiting_on = sorted(set(step.eligible or []) - excluded)
        detail: dict[str, Any] = {"step": step.name, "due": due.isoformat()}
        subject = f"post {self.state.post_id}: step '{step.name}'"
        if mark.startswith("reminder-"):
            kind, action = NotificationKind.REMINDER, AuditAction.REMINDED
            recipients = waiting_on
            subject = f"Reminder: {subject} is due {due.isoformat()}"
        elif mark == "escalated":
            kind, action = NotificationKind.ESCALATION, AuditAction.ESCALATED
            recipients = sorted(set(step.backup) - excluded)
            detail["backup"] = recipients
            subject = f"Escalated to you: {subject} was due {due.isoformat()}"
        else:
            kind, recipients = NotificationKind.EXPIRED, waiting_on
            detail["reason"] = HOLD_OVERDUE
            if step.deadline.on_expiry == "expire":
                action = AuditAction.EXPIRED
                self._set_status(PostStatus.EXPIRED)
                subject = f"Expired: {subject} was not signed in time"
            else:
                action = AuditAction.HELD
                self._set_status(PostStatus.ON_HOLD)
                self.state.hold_reason = HOLD_OVERDUE
                subject = f"On hold: {subject} was not signed in time; reschedule or revise it"
        detail["recipients"] = recipients
        record = self._record(action, "system", detail=detail)
        notification = Notification(
            workspace_id=self.state.workspace_id,
            post_id=self.state.post_id,
            kind=kind,
            subject=subject,
            body=f"{subject}.\nWaiting on: {', '.join(recipients) or 'nobody'}.\nRevision {self.state.revision.number} "
            f"({self.state.revision.content_hash}), to publish at {self.state.publish_at.isoformat()}.",
            recipients=recipients,
            detail={"step": step.name, "due": due.isoformat(), "mark": mark},
            dedupe_key=f"{workflow.info().workflow_id}/{index}/{self.state.step_opened_at}/{mark}",
        )
        await self._write([record])
        await self._notify(notification)

    async def _notify(self, notification: Notification) -> None:
        """Tell people; a notice that cannot be delivered is worth a log line, never a stuck post."""
        try:
            await self._tracked(
                workflow.execute_activity(
                    names.NOTIFY,
                    notification,
                    start_to_close_timeout=timedelta(minutes=1),
                    retry_policy=NOTIFY_RETRY,
                )
            )
        except ActivityError as err:
            workflow.logger.warning("notification %s not delivered: %s", notification.dedupe_key, err.cause or err)

    def _failure_notice(self, channel: ChannelState, err: ActivityError, seq: int) -> Notification:
        """Tell the team a channel refused the post, why, and what to do (retry once the cause is fixed)."""
        kind = NotificationKind.PUBLISH_FAILED
        if isinstance(err.cause, ApplicationError) and err.cause.type == "ChannelNeedsReconnection":
            kind = NotificationKind.NEEDS_RECONNECTION
        subject = f"Not published: post {self.state.post_id} on {channel.channel_id}"
        return Notification(
            workspace_id=self.state.workspace_id,
            post_id=self.state.post_id,
            kind=kind,
            subject=subject,
            body=f"{subject}.\nReason: {channel.failure}\nFix the cause (reconnect the account, enable the "
            f"channel), then retry publishing: the same idempotency key is used, so it never goes out twice.",
            recipients=sorted({self.state.author, self.state.last_editor}),
            detail={"channel_id": channel.channel_id, "reason": channel.failure},
            dedupe_key=f"{workflow.info().workflow_id}/publish-failed/{channel.channel_id}/{seq}",
        )

    def _late_notice(self, channel: ChannelState, publication: Publication, seq: int) -> Notification:
        """Tell the post's people it went out later than the workspace accepts (downtime, a late approval)."""
        late = publication.late_by_s or 0.0
        intended = publication.intended_at.isoformat() if publication.intended_at else "?"
        subject = f"Published late: post {self.state.post_id} on {channel.channel_id}, {late:.0f} s after its time"
        return Notification(
            workspace_id=self.state.workspace_id,
            post_id=self.state.post_id,
            kind=NotificationKind.PUBLISHED_LATE,
            subject=subject,
            body=f"{subject}.\nDue at {intended}, out at {publication.published_at.isoformat()}: {publication.url}",
            recipients=sorted({self.state.author, self.state.last_editor}),
            detail={
                "channel_id": channel.channel_id,
                "intended_at": intended,
                "published_at": publication.published_at.isoformat(),
                "late_by_s": late,
            },
            dedupe_key=f"{workflow.info().workflow_id}/published-late/{channel.channel_id}/{seq}",
        )

    def _open_step(self) -> None:
        """The current step starts waiting: its deadline counts from now, its reminders are all to come."""
        self.state.step_opened_at = workflow.now()
        self.state.deadline_marks = []

    async def _apply_late_policy(self, approval: DecisionOutcome) -> bool:
        """For a post approved after its time: True when the policy ends it (expire)."""
        if self.state.publish_at >= approval.at or self.state.late_policy is LatePolicy.PUBLISH:
            return False
        late = {"publish_at": self.state.publish_at.isoformat(), "approved_at": approval.at.isoformat()}
        if self.state.late_policy is LatePolicy.EXPIRE:
            self._set_status(PostStatus.EXPIRED)
            await self._write([self._record(AuditAction.EXPIRED, "system", detail=late)])
            return True
        self._set_status(PostStatus.ON_HOLD)
        self.state.hold_reason = HOLD_LATE
        await self._write([self._record(AuditAction.HELD, "system", detail=late)])
        return False

    async def _await_publish_time(self) -> bool:
        """True when publish time came; False when a revision or a withdrawal came first.

        A reschedule wakes the wait and starts it again with the new time; on hold, only a reschedule
        (or a revision or a withdrawal) ends the wait. While the workspace is paused nothing is due: the
        post waits for the resume, whose policy says what happens to a time that passed meanwhile.
        """
        while True:
            self._schedule_changed = False
            if self.state.status is PostStatus.ON_HOLD:
                await self._rest_until(lambda: self._interrupted() or self._schedule_changed)
                if self._interrupted():
                    break
                continue
            delay = self.state.publish_at - workflow.now()
            if delay > timedelta(0):
                try:
                    await self._rest_until(lambda: self._interrupted() or self._schedule_changed, at_most=delay)
                except TimeoutError:
                    pass
                else:
                    if self._interrupted():
                        break
                    continue
            if self.state.paused is None:
                break
            await self._sit_out_pause()
            if self._interrupted():
                break
        return not self._interrupted()

    async def _sit_out_pause(self) -> None:
        """Wait for the resume and apply its policy to this post, whose time came during the pause."""
        self._sitting_out = True
        await self._rest_until(lambda: self._interrupted() or self._schedule_changed or self._resumed is not None)
        self._sitting_out = False
        paused, resumed = self.state.paused, self._resumed
        if resumed is None or paused is None:
            return
        self.state.paused, self._resumed = None, None
        length = workflow.now() - (paused.since or workflow.now())
        if resumed.policy is ResumePolicy.HOLD:
            self._set_status(PostStatus.ON_HOLD)
            await self._write([self._record(AuditAction.RESUME_HELD, resumed.actor, detail={"reason": resumed.reason})])
        elif resumed.policy is ResumePolicy.SHIFT:
            before = self.state.publish_at
            self.state.publish_at = before + length
            self._index_publish_at()
            record = self._record(
                AuditAction.RESUME_SHIFTED,
                resumed.actor,
                detail={"from": before.isoformat(), "to": self.state.publish_at.isoformat()},
            )
            await self._write([record.model_copy(update={"publish_at": self.state.publish_at})])
        # ResumePolicy.PUBLISH: the time has come; the caller's loop publishes now.

    async def _channel_life(self, channel: ChannelState) -> None:
        """Publish on one channel; after a permanent failure wait for a retry (once the cause is fixed) or
        a withdrawal; once out, collect its metrics at each follow-up offset. A continued run picks each
        channel up where it rested."""
        if channel.status in (ChannelStatus.DONE, ChannelStatus.WITHDRAWN, ChannelStatus.UNPUBLISHED):
            return
        if channel.status is ChannelStatus.PUBLISHED:
            await self._follow_up(channel)
            return
        while channel.status is ChannelStatus.PUBLISH_FAILED or not await self._publish_once(channel):
            # Histories from before the retry existed ended the workflow here.
            if not workflow.patched(PATCH_RETRY_AFTER_FAILURE):
                return
            await self._rest_until(
                lambda: channel.channel_id in self._retry_channels or channel.status is ChannelStatus.WITHDRAWN
            )
            if channel.status is ChannelStatus.WITHDRAWN:
                return
            self._retry_channels.discard(channel.channel_id)
            self._retry_by = None
        await self._follow_up(channel)

    async def _publish_once(self, channel: ChannelState) -> bool:
        channel.status = ChannelStatus.PUBLISHING
        self._set_status(self._aggregate())
        if self._many:
            record = self._record(
                AuditAction.CHANNEL_PUBLISHED,
                "system",
                status=self._aggregate(assuming={channel.channel_id: ChannelStatus.PUBLISHED}),
            )
        else:
            record = self._record(AuditAction.PUBLISHED, "system", status=PostStatus.PUBLISHED)
        # The id names the channel: GET /posts/{id} shows a retrying publish's attempts per channel.
        activity_id = (
            f"publish/{channel.channel_id}/{record.seq}" if workflow.patched(PATCH_PUBLISH_ACTIVITY_ID) else None
        )
        try:
            publication: Publication = await self._tracked(
                workflow.execute_activity(
                    names.PUBLISH,
                    PublishRequest(
                        post_id=self.state.post_id,
                        workspace_id=self.state.workspace_id,
                        channel_id=channel.channel_id,
                        revision=self.state.revision,
                        record=record,
                        intended_at=self.state.publish_at,
                    ),
                    activity_id=activity_id,
                    result_type=Publication,
                    start_to_close_timeout=timedelta(minutes=2),
                    # The activity heartbeats every few seconds while a post (or its media) is on its way:
                    # a worker that died mid-publish is noticed in half a minute, not at the two-minute mark.
                    heartbeat_timeout=timedelta(seconds=30),
                    retry_policy=PUBLISH_RETRY,
                )
            )
        except ActivityError as err:
            reason = str(err.cause) if err.cause else str(err)
            channel.status = ChannelStatus.PUBLISH_FAILED
            channel.failure = reason
            self._sum_up_channels()
            self._set_status(self._aggregate())
            if self._many:
                failed = self._record(
                    AuditAction.CHANNEL_PUBLISH_FAILED,
                    "system",
                    detail={"channel_id": channel.channel_id, "reason": reason},
                )
            else:
                failed = self._record(AuditAction.PUBLISH_FAILED, "system", detail={"reason": reason})
            # The seq reserved for the published entry stays unused: this entry says so (no silent gap).
            failed.detail["in_place_of_seq"] = record.seq
            if not self._many:
                self._projected = failed.status
            await self._write([failed])
            await self._settle()
            if workflow.patched(PATCH_NOTIFY_PUBLISH_FAILURE):
                await self._notify(self._failure_notice(channel, err, failed.seq))
            return False
        channel.status = ChannelStatus.PUBLISHED
        channel.publication = publication
        # Follow-up times count from our own clock at publishing, not the platform's.
        channel.published_at = workflow.now()
        channel.failure = None
        self._sum_up_channels()
        self._set_status(self._aggregate())
        self._projected = record.status
        await self._settle()
        if publication.late_notice and workflow.patched(PATCH_LATE_NOTICE):
            await self._notify(self._late_notice(channel, publication, record.seq))
        return True

    async def _follow_up(self, channel: ChannelState) -> None:
        publication, published_at = channel.publication, channel.published_at
        assert publication is not None and published_at is not None
        offsets = self.state.followup_offsets
        for i, offset in enumerate(offsets):
            if i < channel.followups_done:
                continue  # collected before this run continued as new
            last = i == len(offsets) - 1
            wait = published_at + timedelta(seconds=offset) - workflow.now()
            if wait > timedelta(0):
                if self._may_continue:
                    try:
                        # An unpublish ends the follow-up of its channel at once.
                        await self._rest_until(lambda: channel.status is ChannelStatus.UNPUBLISHED, at_most=wait)
                    except TimeoutError:
                        pass
                else:
                    self._index_status()
                    await workflow.sleep(wait)
            if channel.status is ChannelStatus.UNPUBLISHED:
                return  # taken down: nothing more to measure, and the unpublished entry said where it stands
            channel.followups_done = i + 1
            status = self._aggregate(assuming={channel.channel_id: ChannelStatus.DONE if last else channel.status})
            record = self._record(AuditAction.METRICS_COLLECTED, "system", status=status)
            self._projected = status  # what the entry written next says (collected, or missed)
            try:
                snapshot: MetricsSnapshot = await self._tracked(
                    workflow.execute_activity(
                        names.COLLECT_METRICS,
                        MetricsRequest(
                            post_id=self.state.post_id,
                            channel_id=publication.channel_id,
                            external_id=publication.external_id,
                            offset_seconds=offset,
                            record=record,
                        ),
                        result_type=MetricsSnapshot,
                        # One GET and one write: an attempt held by a dead worker is retried after 20 s.
                        start_to_close_timeout=timedelta(seconds=20),
                        retry_policy=METRICS_RETRY,
                    )
                )
            except ActivityError as err:
                # A missed snapshot is worth an audit line, not a failed post: the post went out.
                if channel.status is ChannelStatus.UNPUBLISHED and workflow.patched(PATCH_MISSED_AFTER_UNPUBLISH):
                    # Taken down while the snapshot was being fetched (which is why it failed): the entry
                    # written now must not say the post is done, after the unpublished entry said otherwise.
                    status = self._aggregate()
                missed = self._record(
                    AuditAction.METRICS_MISSED,
                    "system",
                    status=status,
                    detail={
                        "channel_id": channel.channel_id,
                        "offset_seconds": offset,
                        "reason": str(err.cause or err),
                        "in_place_of_seq": record.seq,  # the collected entry's seq, never used: no silent gap
                    },
                )
                await self._write([missed])
                continue
            channel.metrics.append(snapshot)
            self.state.metrics.append(snapshot)
        if channel.status is ChannelStatus.UNPUBLISHED:
            return
        channel.status = ChannelStatus.DONE
        self._set_status(self._aggregate())
        await self._settle()

    def _aggregate(self, assuming: dict[str, ChannelStatus] | None = None) -> PostStatus:
        """The post's status from its channels' (with some channels' statuses supposed)."""
        statuses = {(assuming or {}).get(c.channel_id, c.status) for c in self.state.channels}
        statuses.discard(ChannelStatus.WITHDRAWN)
        unpublished = ChannelStatus.UNPUBLISHED in statuses
        statuses.discard(ChannelStatus.UNPUBLISHED)
        if statuses & {ChannelStatus.WAITING, ChannelStatus.PUBLISHING}:
            return PostStatus.PUBLISHING
        if ChannelStatus.PUBLISH_FAILED in statuses:
            return PostStatus.PUBLISH_FAILED
        if not statuses:
            return PostStatus.UNPUBLISHED if unpublished else PostStatus.WITHDRAWN
        if ChannelStatus.PUBLISHED in statuses:
            return PostStatus.PUBLISHED
        return PostStatus.DONE

    def _sum_up_channels(self) -> None:
        published = [c.publication for c in self.state.channels if c.publication is not None]
        self.state.publication = published[0] if published else None
        failures = [
            f"{c.channel_id}: {c.failure}" if self._many else c.failure for c in self.state.channels if c.failure
        ]
        self.state.failure = "; ".join(failures) if failures else None

    async def _settle(self) -> None:
        """A post on several channels: when the channels together moved the post's status (all out, out but
        for failures, all followed up), say so in one post-level entry."""
        status = self._aggregate()
        if not self._many or status is self._projected or status is PostStatus.PUBLISHING:
            return
        self._projected = status
        outcome = {c.channel_id: c.status.value for c in self.state.channels}
        if status is PostStatus.PUBLISH_FAILED:
            await self._write([self._record(AuditAction.PUBLISH_FAILED, "system", detail={"channels": outcome})])
        elif status is PostStatus.PUBLISHED:
            await self._write([self._record(AuditAction.PUBLISHED, "system", detail={"channels": outcome})])
        elif status is PostStatus.DONE:
            await self._write([self._record(AuditAction.COMPLETED, "system", detail={"channels": outcome})])

    async def _finish(self) -> LifecycleState:
        await workflow.wait_condition(workflow.all_handlers_finished)
        self._index_status()
        return self.state

    # ---- bookkeeping -----------------------------------------------------------------------------

    def _set_status(self, status: PostStatus) -> None:
        if status is self.state.status:
            return
        self.state.status = status
        if not self._index_at_rest:
            self._index_status()

    def _index_status(self) -> None:
        """Bring the PostStatus search attribute up to date (called where the post rests, and at the end)."""
        if self.state.status is not self._indexed_status:
            self._indexed_status = self.state.status
            workflow.upsert_search_attributes([POST_STATUS.value_set(self.state.status.value)])

    async def _rest_until(self, condition: Callable[[], bool], at_most: timedelta | None = None) -> None:
        """Wait for people or time; the status index shows where the post rests meanwhile.

        Resting is where a long life continues as new: when the history has grown long and no activity is
        in flight, the whole state goes to a new run, which rests again where this one did (every wait
        counts from times kept in the state, so nothing is waited twice)."""
        self._index_status()
        if not self._may_continue:
            await workflow.wait_condition(condition, timeout=at_most)
            return
        until = workflow.now() + at_most if at_most is not None else None
        while True:
            left = until - workflow.now() if until is not None else None
            if left is not None and left <= timedelta(0):
                raise TimeoutError  # the time came while a continue-as-new was declined
            await workflow.wait_condition(lambda: condition() or self._time_to_continue(), timeout=left)
            if condition():
                return
            await workflow.wait_condition(workflow.all_handlers_finished)
            if condition():
                return
            if self._time_to_continue():
                self._continue_as_new()
            # An activity started meanwhile: keep resting until the condition or the time.

    async def _tracked(self, call: Awaitable[T]) -> T:
        """An activity call; while any is in flight the lifecycle does not continue as new."""
        self._busy += 1
        try:
            return await call
        finally:
            self._busy -= 1

    def _time_to_continue(self) -> bool:
        if self._busy:
            return False
        info = workflow.info()
        limit = self.state.history_limit
        return info.is_continue_as_new_suggested() or (limit is not None and info.get_current_history_length() >= limit)

    def _continue_as_new(self) -> None:
        self._index_status()
        attributes: list[SearchAttributePair[Any]] = [
            SearchAttributePair(POST_STATUS, self.state.status.value),
            SearchAttributePair(WORKSPACE_ID, self.state.workspace_id),
            SearchAttributePair(PUBLISH_AT, self.state.publish_at),
        ]
        workflow.continue_as_new(
            LifecycleInput(
                post_id=self.state.post_id,
                workspace_id=self.state.workspace_id,
                channel_id=self.state.channel_id,
                author=self.state.author,
                revision=self.state.revision,
                publish_at=self.state.publish_at,
                carried=self.state,
            ),
            search_attributes=TypedSearchAttributes(attributes),
        )

    def _index_publish_at(self) -> None:
        if workflow.patched(PATCH_PUBLISH_AT_INDEX):
            workflow.upsert_search_attributes([PUBLISH_AT.value_set(self.state.publish_at)])

    def _take_seq(self) -> int:
        seq = self.state.next_seq
        self.state.next_seq += 1
        return seq

    def _record(
        self,
        action: AuditAction,
        actor: str,
        *,
        status: PostStatus | None = None,
        detail: dict[str, Any] | None = None,
    ) -> TransitionRecord:
        return TransitionRecord(
            workflow_id=workflow.info().workflow_id,
            post_id=self.state.post_id,
            workspace_id=self.state.workspace_id,
            seq=self._take_seq(),
            action=action,
            actor=actor,
            revision=self.state.revision.number,
            content_hash=self.state.revision.content_hash,
            status=status or self.state.status,
            at=workflow.now(),
            detail=detail or {},
        )

    async def _write(self, records: list[TransitionRecord]) -> None:
        await self._tracked(
            workflow.execute_local_activity(
                names.RECORD_TRANSITIONS, records, start_to_close_timeout=DB_TIMEOUT, retry_policy=DB_RETRY
            )
        )
