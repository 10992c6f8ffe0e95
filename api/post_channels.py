"""What GET /posts/{id} adds to the workflow's state, per channel: a publish being retried (from Temporal's
own record of the pending activity, so nothing grows the history) and an unpublish made after the
lifecycle ended (from our publication records)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from temporalio.client import Client
from temporalio.service import RPCError

from activities import names
from domain.lifecycle import LifecycleState, workflow_id_for
from domain.status import ChannelStatus
from store.publications import idempotency_key, with_unpublished

logger = logging.getLogger("postgate.api")
__all__ = ["publish_retries", "with_unpublished"]


async def publish_retries(client: Client, state: LifecycleState) -> dict[str, dict[str, Any]]:
    """Per channel whose publish is in flight: the attempt running (or due next), the last attempt's error and
    when the next starts. Read from the workflow's pending activities, which Temporal keeps anyway."""
    publishing = [c.channel_id for c in state.channels if c.status is ChannelStatus.PUBLISHING]
    if not publishing:
        return {}
    try:
        description = await client.get_workflow_handle(workflow_id_for(state.post_id)).describe()
    except RPCError as err:
        logger.warning("could not describe %s for its publish attempts: %s", state.post_id, err.message)
        return {}
    keys = {idempotency_key(state.post_id, state.revision.number, c): c for c in publishing}
    found: dict[str, dict[str, Any]] = {}
    for pending in description.raw_description.pending_activities:
        if pending.activity_type.name != names.PUBLISH:
            continue
        channel_id = _channel_of(pending, keys, publishing, client)
        if channel_id is None:
            continue
        found[channel_id] = {
            "publish_attempt": pending.attempt,
            "last_error": pending.last_failure.message if pending.HasField("last_failure") else None,
            "next_attempt_at": _time(pending.next_attempt_schedule_time)
            if pending.HasField("next_attempt_schedule_time")
            else None,
        }
    return found


def _channel_of(pending: Any, keys: dict[str, str], publishing: list[str], client: Client) -> str | None:
    # Workflows since PATCH_PUBLISH_ACTIVITY_ID name the channel in the activity id: publish/<channel>/<seq>.
    parts = pending.activity_id.split("/")
    if len(parts) == 3 and parts[0] == "publish" and parts[1] in publishing:
        return parts[1]
    # Older ones: the key an attempt heartbeated, or the only channel publishing.
    if pending.HasField("heartbeat_details") and pending.heartbeat_details.payloads:
        try:
            details = client.data_converter.payload_converter.from_payloads(pending.heartbeat_details.payloads)[-1]
        except Exception:  # details of another shape say nothing about the channel
            details = None
        if isinstance(details, dict) and details.get("key") in keys:
            return keys[details["key"]]
    return publishing[0] if len(publishing) == 1 else None


def _time(stamp: Any) -> datetime:
    moment: datetime = stamp.ToDatetime(tzinfo=UTC)
    return moment
