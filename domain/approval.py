"""Approval policies: ordered steps, who may sign each, and how many signatures a step needs."""

from __future__ import annotations

from collections.abc import Collection
from typing import Annotated, Literal

from pydantic import BaseModel, Field, model_validator

DEFAULT_APPROVER_ROLES = ["approver", "admin"]


MAX_DEADLINE = 366 * 86400
# A role, user or group named in a policy: ids are at most 64 characters.
Name = Annotated[str, Field(max_length=64)]
MAX_NAMES = 100


class StepDeadline(BaseModel):
    """When a step is due, who is reminded and when, who steps in, and what happens when nobody signs."""

    after: int | None = Field(
        default=None, ge=60, le=MAX_DEADLINE, description="due this many seconds after the step opens"
    )
    before_publish: int | None = Field(
        default=None, ge=0, le=MAX_DEADLINE, description="due this many seconds before the publish time"
    )
    reminders: list[Annotated[int, Field(gt=0, le=MAX_DEADLINE)]] = Field(
        default=[], max_length=10, description="remind the step's approvers this many seconds before it is due"
    )
    escalate_to_roles: list[Name] = Field(
        default=[], max_length=MAX_NAMES, description="at the due time, these roles may sign too"
    )
    escalate_to_users: list[Name] = Field(
        default=[], max_length=MAX_NAMES, description="at the due time, these users may sign too"
    )
    escalation_grace: int = Field(
        default=0, ge=0, le=MAX_DEADLINE, description="seconds the backup approvers get before the expiry action"
    )
    on_expiry: Literal["expire", "hold"] | None = Field(
        default=None,
        description="when the step is still unsigned (after any escalation): expire the post, or hold it "
        "until it is rescheduled or revised; none: only remind and escalate",
    )

    @model_validator(mode="after")
    def _one_anchor(self) -> StepDeadline:
        if (self.after is None) == (self.before_publish is None):
            raise ValueError("a deadline needs exactly one of after (seconds after the step opens) or before_publish")
        if any(r <= 0 for r in self.reminders):
            raise ValueError("reminders are seconds before the due time, each above 0")
        if self.escalates and self.on_expiry is not None and self.escalation_grace == 0:
            raise ValueError(
                "escalating and expiring at the same moment leaves the backup approvers no time: "
                "give escalation_grace (seconds after the due time)"
            )
        return self

    @property
    def escalates(self) -> bool:
        return bool(self.escalate_to_roles or self.escalate_to_users)


class ApprovalStep(BaseModel):
    name: str = Field(min_length=1, max_length=80)
    roles: list[Name] = Field(default=[], max_length=MAX_NAMES, description="members with any of these roles may sign")
    users: list[Name] = Field(default=[], max_length=MAX_NAMES, description="these users may sign")
    groups: list[Name] = Field(
        default=[], max_length=MAX_NAMES, description="members of these groups of the workspace may sign"
    )
    quorum: Literal["any", "all"] | int = Field(default="any", description="any, all, or N signatures")
    deadline: StepDeadline | None = None

    @model_validator(mode="after")
    def _names_someone(self) -> ApprovalStep:
        if not self.roles and not self.users and not self.groups:
            raise ValueError(f"step '{self.name}' names no approvers: give roles, users or groups")
        if isinstance(self.quorum, int) and self.quorum < 1:
            raise ValueError(f"step '{self.name}': a quorum of N needs N >= 1")
        return self


class ApprovalPolicy(BaseModel):
    steps: list[ApprovalStep] = Field(
        default=[ApprovalStep(name="approval", roles=DEFAULT_APPROVER_ROLES)], min_length=1, max_length=10
    )
    distinct_signers: bool = Field(default=False, description="one person may not sign two steps of a post")


def unknown_signers(policy: ApprovalPolicy, members: Collection[str], roles: Collection[str]) -> list[str]:
    """What the policy names that the workspace lacks: users who are not members (as signers or backups) and
    roles nobody can have, each once as `user 'x'` / `role 'y'`. A step naming them could never be signed."""
    users: set[str] = set()
    named_roles: set[str] = set()
    for step in policy.steps:
        users |= set(step.users)
        named_roles |= set(step.roles)
        if step.deadline is not None:
            users |= set(step.deadline.escalate_to_users)
            named_roles |= set(step.deadline.escalate_to_roles)
    return [f"user '{u}'" for u in sorted(users - set(members))] + [
        f"role '{r}'" for r in sorted(named_roles - set(roles))
    ]


class ResolvedStep(BaseModel):
    """A step with its approvers resolved to users when the post was submitted."""

    name: str
    # None only for posts submitted before policies existed: anyone the API let through may sign.
    eligible: list[str] | None = None
    quorum: Literal["any", "all"] | int = "any"
    deadline: StepDeadline | None = None
    # Who may sign once the step is escalated (resolved at submission too).
    backup: list[str] = []

    def required(self, excluded: set[str]) -> int:
        """Signatures this step needs; `excluded` (author, last editor) can never sign."""
        if self.quorum == "any":
            return 1
        if self.quorum == "all":
            return max(1, len(set(self.eligible or []) - excluded))
        return int(self.quorum)

    def may_sign(self, actor: str) -> bool:
        return self.eligible is None or actor in self.eligible


class ResolvedPolicy(BaseModel):
    steps: list[ResolvedStep] = [ResolvedStep(name="approval")]
    distinct_signers: bool = False


def resolve(
    policy: ApprovalPolicy,
    members: dict[str, str],
    *,
    author: str,
    groups: dict[str, list[str]] | None = None,
) -> ResolvedPolicy:
    """Turn roles and groups into users (`members`: user id -> role; `groups`: group name -> user ids).
    Raises ValueError when a step can never be met or names a group that does not exist."""
    steps = []
    for step in policy.steps:
        in_groups: set[str] = set()
        for group in step.groups:
            if groups is None or group not in groups:
                raise ValueError(f"step '{step.name}' names group '{group}', which this workspace does not have")
            in_groups |= set(groups[group])
        eligible = sorted({u for u, role in members.items() if role in step.roles} | set(step.users) | in_groups)
        backup: list[str] = []
        if step.deadline is not None and step.deadline.escalates:
            chosen = set(step.deadline.escalate_to_users)
            backup = sorted({u for u, role in members.items() if role in step.deadline.escalate_to_roles} | chosen)
        step_resolved = ResolvedStep(
            name=step.name, eligible=eligible, quorum=step.quorum, deadline=step.deadline, backup=backup
        )
        available = len(set(eligible) - {author})
        if available < step_resolved.required({author}):
            raise ValueError(
                f"step '{step.name}' needs {step_resolved.required({author})} signature(s) but only {available} "
                f"member(s) other than the author may sign it; change the approval policy or add approvers"
            )
        steps.append(step_resolved)
    return ResolvedPolicy(steps=steps, distinct_signers=policy.distinct_signers)
