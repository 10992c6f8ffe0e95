"""An approval policy is refused when it names someone the workspace lacks: a post under it could never be
approved. Checked when a workspace's or a channel's policy is set (membership may still change later; a post
that cannot be approved is refused at submission by domain.approval.resolve)."""

from __future__ import annotations

from sqlmodel import Session

from api.service import ServiceError
from domain.approval import ApprovalPolicy, unknown_signers
from store.accounts import ROLES, member_roles


def refuse_unknown_signers(session: Session, workspace_id: str, policy: ApprovalPolicy | None) -> None:
    """422 `unknown_approvers` naming each user who is not a member and each role that does not exist."""
    if policy is None:
        return
    unknown = unknown_signers(policy, member_roles(session, workspace_id), ROLES)
    if unknown:
        raise ServiceError(
            422,
            "unknown_approvers",
            f"the policy names {', '.join(unknown)}, not in workspace '{workspace_id}': no post could be approved; "
            f"add them as members first or name others (roles: {', '.join(ROLES)})",
            [{"field": "steps", "problem": f"{name} is unknown"} for name in unknown],
        )
