"""What a person may do to a post, asked of the same rules the API applies: the role a route requires
(api.deps.require_role through services.may), the workspace's unpublish_roles (api.unpublishing), and
the states the workflow's update validators accept (workflows.lifecycle). The pages show what this says;
the routes refuse anyway."""

from __future__ import annotations

from api.deps import Member
from domain.lifecycle import ChannelState, LifecycleState
from domain.status import ChannelStatus, PostStatus
from web.services import may
from workflows.lifecycle import BEFORE_PUBLISHING, OUT, WITHDRAWABLE

# The actions of the post page (beside deciding), each confirmed on its own page before it is done.
ACTIONS = ("reschedule", "publish_now", "withdraw", "unpublish", "retry")


def post_actions(member: Member, state: LifecycleState, unpublish_roles: tuple[str, ...]) -> dict[str, bool]:
    """Which of ACTIONS the member may do to the post in this state (the routes' own conditions)."""
    status = state.status
    submitted = status is not PostStatus.DRAFT
    acting = may(member, "editor", "approver")  # publish-now, withdraw, retry-publish
    return {
        "reschedule": may_reschedule(member, status),
        "publish_now": acting and submitted and status in BEFORE_PUBLISHING,
        "withdraw": acting and submitted and status in WITHDRAWABLE,
        "unpublish": may(member, *unpublish_roles) and any(channel_out(c) for c in state.channels),
        "retry": acting and status is PostStatus.PUBLISH_FAILED,
    }


def may_reschedule(member: Member, status: PostStatus) -> bool:
    """POST /posts/{id}/schedule: an editor, on a draft or a post not yet publishing."""
    return may(member, "editor") and (status is PostStatus.DRAFT or status in BEFORE_PUBLISHING)


def channel_out(channel: ChannelState) -> bool:
    """The post went out on this channel and is still there: it can be taken down."""
    return channel.status in OUT


def channel_actions(actions: dict[str, bool], channel: ChannelState) -> dict[str, bool]:
    """The per-channel actions: retry a failed channel, unpublish one it went out on."""
    return {
        "retry": actions["retry"] and channel.status is ChannelStatus.PUBLISH_FAILED,
        "unpublish": actions["unpublish"] and channel_out(channel),
    }
