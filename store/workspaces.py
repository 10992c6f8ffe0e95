"""Workspaces and their channels (members: store.accounts)."""

from __future__ import annotations

from sqlmodel import Session, select

from domain.approval import ApprovalPolicy
from store.tables import Channel, Workspace


def add_workspace(session: Session, workspace: Workspace) -> Workspace:
    session.add(workspace)
    session.flush()
    return workspace


def get_workspace(session: Session, workspace_id: str) -> Workspace | None:
    return session.get(Workspace, workspace_id)


def add_channel(session: Session, channel: Channel) -> Channel:
    session.add(channel)
    session.flush()
    return channel


def get_channel(session: Session, workspace_id: str, channel_id: str) -> Channel | None:
    """The workspace's channel with this id: channel ids are the workspace's own (another may use the same)."""
    return session.get(Channel, {"workspace_id": workspace_id, "id": channel_id})


def channels(session: Session, workspace_id: str) -> list[Channel]:
    return list(session.exec(select(Channel).where(Channel.workspace_id == workspace_id)))


def approval_policy(session: Session, workspace_id: str, channel_ids: list[str]) -> ApprovalPolicy:
    """The policy a post on these channels must meet: each channel's own policy if it has one, else the
    workspace's, else one step for any approver. A post on channels with different policies meets all of
    them: their steps in channel order (a step two policies share is signed once)."""
    workspace = session.get(Workspace, workspace_id)
    default = (
        ApprovalPolicy.model_validate_json(workspace.approval_policy)
        if workspace is not None and workspace.approval_policy
        else ApprovalPolicy()
    )
    policies: list[ApprovalPolicy] = []
    for channel_id in channel_ids:
        channel = get_channel(session, workspace_id, channel_id)
        policy = (
            ApprovalPolicy.model_validate_json(channel.approval_policy)
            if channel is not None and channel.approval_policy
            else default
        )
        if policy not in policies:
            policies.append(policy)
    if len(policies) <= 1:
        return policies[0] if policies else default
    steps = []
    for policy in policies:
        steps += [step for step in policy.steps if step not in steps]
    return ApprovalPolicy(steps=steps, distinct_signers=any(p.distinct_signers for p in policies))
