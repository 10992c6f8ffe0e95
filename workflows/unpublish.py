"""PostUnpublish: takes down a post whose lifecycle has ended (id "unpublish-<post_id>").

While a post's PostLifecycle runs (until its last follow-up), an unpublish is an update on it. Once the
lifecycle has ended nothing listens there, so the API starts this short workflow instead: the same activity
deletes on each platform, and one `unpublished` entry records the reason and each channel's result, in a
sequence of its own (workflow id `unpublish-<post>-<run>`), as comments have theirs (docs/decisions.md).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities import names
    from domain.lifecycle import (
        PostUnpublishInput,
        TransitionRecord,
        UnpublishChannelRequest,
        UnpublishChannelResult,
    )
    from domain.status import AuditAction, PostStatus
    from workflows.lifecycle import ALREADY_UNPUBLISHED, DB_RETRY, DB_TIMEOUT, UNPUBLISH_RETRY


def unpublish_workflow_id(post_id: str) -> str:
    return f"unpublish-{post_id}"


@workflow.defn
class PostUnpublish:
    @workflow.run
    async def run(self, inp: PostUnpublishInput) -> dict[str, str]:
        targets = [p for p in inp.publications if inp.channel_id in (None, p[0])]
        results = dict(await asyncio.gather(*(self._take_down(inp, *p) for p in targets)))
        everything_down = all(
            done or results.get(channel_id, "") in ("deleted", ALREADY_UNPUBLISHED)
            for channel_id, _, done in inp.publications
        )
        info = workflow.info()
        record = TransitionRecord(
            workflow_id=f"unpublish-{inp.post_id}-{info.run_id}",
            post_id=inp.post_id,
            workspace_id=inp.workspace_id,
            seq=1,
            action=AuditAction.UNPUBLISHED,
            actor=inp.actor,
            revision=inp.revision,
            content_hash=inp.content_hash,
            status=PostStatus.UNPUBLISHED if everything_down else PostStatus.DONE,
            at=workflow.now(),
            detail={"reason": inp.reason, "channels": results, "after_lifecycle": True},
        )
        await workflow.execute_local_activity(
            names.RECORD_UNPUBLISHED, record, start_to_close_timeout=DB_TIMEOUT, retry_policy=DB_RETRY
        )
        return results

    async def _take_down(
        self, inp: PostUnpublishInput, channel_id: str, external_id: str, done: bool
    ) -> tuple[str, str]:
        if done:
            return channel_id, ALREADY_UNPUBLISHED
        try:
            result: UnpublishChannelResult = await workflow.execute_activity(
                names.UNPUBLISH,
                UnpublishChannelRequest(
                    post_id=inp.post_id, channel_id=channel_id, external_id=external_id, reason=inp.reason
                ),
                result_type=UnpublishChannelResult,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=UNPUBLISH_RETRY,
            )
        except ActivityError as err:
            return channel_id, f"failed: {err.cause or err}"
        return channel_id, result.outcome
