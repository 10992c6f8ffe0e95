"""The admin's settings pages: what they show and how their forms become the JSON API's bodies.

Built by functions a test calls without a browser. Nothing here changes anything: web.pages_admin hands the
bodies built here to the JSON routes' own functions, which check the role, apply every rule and write the
audit entry. The approval policy's plain-language summary (policy_summary) is here, in both languages."""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, SecretStr, ValidationError
from sqlmodel import col, func, select

from api.deps import Actor, AppContext, own_workspace, require_role
from domain.approval import ApprovalPolicy, ApprovalStep
from domain.status import PostStatus
from platforms.channel_settings import PLATFORMS, SPECS
from store.accounts import ROLES, members
from store.engine import transaction
from store.tables import BrandStyle, NotificationSent, NotificationTarget, Post
from store.workspaces import get_workspace
from web.i18n import Reader
from web.words import list_words, role_words

HOUR = 3600
MAX_STEPS = 10
RECENT_DELIVERIES = 10
# What a crisis pause holds: every post with a running lifecycle that has not started publishing.
HELD_BY_PAUSE = (
    PostStatus.SUBMITTING,
    PostStatus.BRAND_CHECK,
    PostStatus.CHANGES_NEEDED,
    PostStatus.AWAITING_APPROVAL,
    PostStatus.SCHEDULED,
    PostStatus.ON_HOLD,
)
SECTIONS = ("workspace", "members", "channels", "policy", "brand", "notifications")


def require_admin(user: Actor, workspace_id: str) -> None:
    """The API's own rule: 404 outside the workspace, 403 for a member who is not its admin."""
    require_role(own_workspace(user, workspace_id), "admin")


def section_links(tr: Reader, workspace_id: str) -> list[tuple[str, str, str]]:
    """(section, words, url) of the settings' sub-navigation."""
    words = {
        "workspace": tr.gettext("Workspace"),
        "members": tr.gettext("Members"),
        "channels": tr.gettext("Channels"),
        "policy": tr.gettext("Approval policy"),
        "brand": tr.gettext("Brand"),
        "notifications": tr.gettext("Notifications"),
    }
    base = f"/w/{workspace_id}/settings"
    return [(s, words[s], base if s == "workspace" else f"{base}/{s}") for s in SECTIONS]


# ---- durations and the policy's summary ---------------------------------------------------------------------


def duration_words(tr: Reader, seconds: int) -> str:
    """90 min -> "1.5 h"; 2 days -> "2 d"; 30 min -> "30 min" (in the reader's language)."""
    if seconds % 86400 == 0 and seconds >= 86400:
        return tr.gettext("%(n)s d") % {"n": tr.number(seconds // 86400)}
    if seconds >= HOUR:
        return tr.gettext("%(n)s h") % {"n": tr.number(round(seconds / HOUR, 2))}
    return tr.gettext("%(n)s min") % {"n": tr.number(round(seconds / 60, 1))}


def _pool(
    tr: Reader,
    roles: list[str],
    users: list[str],
    groups: list[str],
    people: Mapping[str, str],
    names: Mapping[str, str],
) -> tuple[str, int]:
    """Who may sign, in words ("the 4 approvers and Lee"), and how many people that is today."""
    parts: list[str] = []
    eligible: set[str] = set(users)
    for role in roles:
        holders = {u for u, r in people.items() if r == role}
        eligible |= holders
        parts.append(
            tr.ngettext("the %(n)s %(role)s", "the %(n)s %(role)ss", len(holders))
            % {"n": tr.number(len(holders)), "role": role_words(tr, role)}
        )
    parts += [names.get(u, u) for u in users]
    parts += [tr.gettext("group %(name)s") % {"name": g} for g in groups]
    return list_words(tr, parts), len(eligible)


def _step_words(tr: Reader, step: ApprovalStep, people: Mapping[str, str], names: Mapping[str, str]) -> str:
    pool, _ = _pool(tr, step.roles, step.users, step.groups, people, names)
    alone = not step.roles and not step.groups and len(step.users) == 1
    if alone:
        who = pool
    elif step.quorum == "any":
        who = tr.gettext("one of %(pool)s") % {"pool": pool}
    elif step.quorum == "all":
        who = tr.gettext("all of %(pool)s") % {"pool": pool}
    else:
        who = tr.gettext("%(n)s of %(pool)s") % {"n": tr.number(int(step.quorum)), "pool": pool}
    deadline = step.deadline
    if deadline is None:
        return who
    extras: list[str] = []
    if deadline.after is not None:
        extras.append(tr.gettext("due %(time)s after the step opens") % {"time": duration_words(tr, deadline.after)})
    elif deadline.before_publish is not None:
        extras.append(
            tr.gettext("due %(time)s before the publish time") % {"time": duration_words(tr, deadline.before_publish)}
        )
    if deadline.reminders:
        times = list_words(tr, [duration_words(tr, r) for r in sorted(deadline.reminders, reverse=True)])
        extras.append(
            tr.ngettext(
                "a reminder %(times)s before it is due", "reminders %(times)s before it is due", len(deadline.reminders)
            )
            % {"times": times}
        )
    if deadline.escalates:
        backup, _ = _pool(tr, deadline.escalate_to_roles, deadline.escalate_to_users, [], people, names)
        extras.append(tr.gettext("when it is due, %(who)s may sign too") % {"who": backup})
    if deadline.on_expiry is not None:
        grace = (
            tr.gettext("%(time)s later") % {"time": duration_words(tr, deadline.escalation_grace)}
            if deadline.escalation_grace
            else tr.gettext("at the due time")
        )
        outcome = (
            tr.gettext("still unsigned %(when)s, the post expires")
            if deadline.on_expiry == "expire"
            else tr.gettext("still unsigned %(when)s, the post is put on hold")
        )
        extras.append(outcome % {"when": grace})
    return f"{who} ({'; '.join(extras)})"


def policy_summary(
    tr: Reader, policy: ApprovalPolicy, people: Mapping[str, str], names: Mapping[str, str] | None = None
) -> str:
    """The policy as a sentence: "2 of the 4 approvers (due 4 h after the step opens; reminders 2 h and 1 h
    before it is due), then Lee." `people`: member id -> role; `names`: member id -> name."""
    names = names or {}
    steps = [_step_words(tr, step, people, names) for step in policy.steps]
    joined = steps[0]
    for step in steps[1:]:
        joined = tr.gettext("%(first)s, then %(next)s") % {"first": joined, "next": step}
    text = joined[:1].upper() + joined[1:] + "."
    if policy.distinct_signers and len(policy.steps) > 1:
        text += " " + tr.gettext("Nobody signs two steps of the same post.")
    return text


# ---- the approval policy's form ------------------------------------------------------------------------------


@dataclass
class StepForm:
    """One step's fieldset as the form shows it (strings as typed, so a refused form comes back as it was)."""

    index: int
    name: str = ""
    roles: list[str] = field(default_factory=list)
    users: list[str] = field(default_factory=list)
    quorum: str = "any"  # any, all, n
    quorum_n: str = "2"
    due_kind: str = "none"  # none, after, before_publish
    due_hours: str = ""
    reminders: str = ""  # hours before due, comma separated
    escalate_roles: list[str] = field(default_factory=list)
    escalate_users: list[str] = field(default_factory=list)
    grace_hours: str = ""
    on_expiry: str = "none"  # none, expire, hold

    def id(self, name: str) -> str:
        return f"step-{self.index}-{name}"


def _hours(seconds: int | None) -> str:
    if seconds is None:
        return ""
    value = seconds / HOUR
    return str(int(value)) if value == int(value) else str(round(value, 4))


def steps_of(policy: ApprovalPolicy) -> list[StepForm]:
    forms = []
    for i, step in enumerate(policy.steps):
        form = StepForm(index=i, name=step.name, roles=list(step.roles), users=list(step.users))
        if isinstance(step.quorum, int):
            form.quorum, form.quorum_n = "n", str(step.quorum)
        else:
            form.quorum = step.quorum
        d = step.deadline
        if d is not None:
            form.due_kind = "after" if d.after is not None else "before_publish"
            form.due_hours = _hours(d.after if d.after is not None else d.before_publish)
            form.reminders = ", ".join(_hours(r) for r in d.reminders)
            form.escalate_roles, form.escalate_users = list(d.escalate_to_roles), list(d.escalate_to_users)
            form.grace_hours = _hours(d.escalation_grace) if d.escalation_grace else ""
            form.on_expiry = d.on_expiry or "none"
        forms.append(form)
    return forms


def with_blank_step(steps: list[StepForm]) -> list[StepForm]:
    """The steps, and one empty fieldset to add a step with (up to the policy's maximum)."""
    return [*steps, StepForm(index=len(steps))] if len(steps) < MAX_STEPS else steps


def _listed(form: Mapping[str, Any], key: str) -> list[str]:
    getter = getattr(form, "getlist", None)
    values = getter(key) if getter is not None else form.get(key, [])
    return [str(v) for v in (values if isinstance(values, list) else [values]) if str(v)]


def read_steps(form: Mapping[str, Any]) -> list[StepForm]:
    """The step fieldsets as submitted; a fieldset left entirely empty is no step."""
    steps: list[StepForm] = []
    for i in range(MAX_STEPS):

        def text(name: str, default: str = "", i: int = i) -> str:
            return str(form.get(f"step-{i}-{name}", default)).strip()

        step = StepForm(
            index=len(steps),
            name=text("name"),
            roles=_listed(form, f"step-{i}-roles"),
            users=_listed(form, f"step-{i}-users"),
            quorum=text("quorum", "any"),
            quorum_n=text("quorum_n", "2"),
            due_kind=text("due_kind", "none"),
            due_hours=text("due_hours"),
            reminders=text("reminders"),
            escalate_roles=_listed(form, f"step-{i}-escalate_roles"),
            escalate_users=_listed(form, f"step-{i}-escalate_users"),
            grace_hours=text("grace_hours"),
            on_expiry=text("on_expiry", "none"),
        )
        if step.name or step.roles or step.users:
            steps.append(step)
    return steps


class FormErrors(Exception):
    """Problems with the form, by field id (and "" for the form as a whole), in the reader's words."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def _seconds(tr: Reader, raw: str, field_id: str, errors: dict[str, str]) -> int | None:
    if not raw:
        return None
    try:
        hours = float(raw.replace(",", "."))
    except ValueError:
        errors[field_id] = tr.gettext("Give a number of hours, e.g. 2 or 0.5.")
        return None
    if hours <= 0 or hours > 366 * 24:
        errors[field_id] = tr.gettext("Give a number of hours above 0 and at most a year.")
        return None
    return round(hours * HOUR)


def _model_field(loc: tuple[Any, ...], steps: list[StepForm]) -> str:
    """The form field a pydantic error location points at."""
    if len(loc) < 2 or loc[0] != "steps" or not isinstance(loc[1], int) or loc[1] >= len(steps):
        return ""
    step = steps[loc[1]]
    rest = [str(part) for part in loc[2:]]
    if not rest:
        return step.id("approvers")
    if rest[0] in ("name", "quorum"):
        return step.id(rest[0])
    if rest[0] == "deadline":
        where = rest[1] if len(rest) > 1 else ""
        return {
            "after": step.id("due_hours"),
            "before_publish": step.id("due_hours"),
            "reminders": step.id("reminders"),
            "escalation_grace": step.id("grace_hours"),
        }.get(where, step.id("due_kind"))
    return step.id("approvers")


def policy_from_form(tr: Reader, form: Mapping[str, Any]) -> tuple[ApprovalPolicy, list[StepForm]]:
    """The policy the form describes, validated by the model itself; FormErrors names each wrong field."""
    steps = read_steps(form)
    errors: dict[str, str] = {}
    if not steps:
        errors["step-0-name"] = tr.gettext("Give at least one step: its name and who may sign it.")
        raise FormErrors(errors)
    data: list[dict[str, Any]] = []
    for step in steps:
        if not step.name:
            errors[step.id("name")] = tr.gettext("Name this step, e.g. “Legal”.")
        if not step.roles and not step.users:
            errors[step.id("approvers")] = tr.gettext("Choose who may sign this step: a role or a person.")
        quorum: Any = step.quorum if step.quorum in ("any", "all") else None
        if step.quorum == "n":
            try:
                quorum = int(step.quorum_n)
                if quorum < 1:
                    raise ValueError
            except ValueError:
                errors[step.id("quorum_n")] = tr.gettext("Give how many must sign: a whole number, 1 or more.")
        deadline: dict[str, Any] | None = None
        if step.due_kind in ("after", "before_publish"):
            due = _seconds(tr, step.due_hours, step.id("due_hours"), errors)
            if due is None and step.id("due_hours") not in errors:
                errors[step.id("due_hours")] = tr.gettext("Give the deadline in hours.")
            reminders = []
            for part in [p for p in step.reminders.replace(";", ",").split(",") if p.strip()]:
                seconds = _seconds(tr, part.strip(), step.id("reminders"), errors)
                if seconds is not None:
                    reminders.append(seconds)
            deadline = {
                step.due_kind: due,
                "reminders": reminders,
                "escalate_to_roles": step.escalate_roles,
                "escalate_to_users": step.escalate_users,
                "escalation_grace": _seconds(tr, step.grace_hours, step.id("grace_hours"), errors) or 0,
                "on_expiry": None if step.on_expiry == "none" else step.on_expiry,
            }
        data.append(
            {"name": step.name, "roles": step.roles, "users": step.users, "quorum": quorum, "deadline": deadline}
        )
    if errors:
        raise FormErrors(errors)
    try:
        policy = ApprovalPolicy.model_validate(
            {"steps": data, "distinct_signers": form.get("distinct_signers") == "on"}
        )
    except ValidationError as err:
        for problem in err.errors():
            where = _model_field(tuple(problem["loc"]), steps)
            errors.setdefault(where, str(problem["msg"]).removeprefix("Value error, "))
        raise FormErrors(errors) from None
    return policy, steps


# ---- channels: a form per platform, from the platform's own models -----------------------------------------


@dataclass(frozen=True)
class FormField:
    id: str  # the input's id
    name: str  # the form field: setting.<key> or secret.<key>
    key: str
    help: str  # the model's description (the same words docs/platforms.md shows)
    kind: Literal["text", "password", "checkbox", "number", "select", "list"]
    required: bool
    default: str
    choices: list[str]


def _kind(annotation: Any) -> tuple[str, list[str]]:
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType) and len(args) == 1:
        return _kind(args[0])
    if annotation is SecretStr:
        return "password", []
    if annotation is bool:
        return "checkbox", []
    if annotation is int:
        return "number", []
    if origin is Literal:
        return "select", [str(a) for a in typing.get_args(annotation)]
    if origin is list:
        return "list", []
    return "text", []


def _fields(model: type[BaseModel], prefix: str) -> list[FormField]:
    found = []
    for key, info in model.model_fields.items():
        kind, choices = _kind(info.annotation)
        if prefix == "secret" and kind == "text":
            kind = "text"  # a date (a token's expiry) is no secret
        default = info.get_default() if not info.is_required() else None
        shown = "" if default is None or isinstance(default, list | SecretStr) else str(default)
        found.append(
            FormField(
                id=f"{prefix}-{key}",
                name=f"{prefix}.{key}",
                key=key,
                help=info.description or "",
                kind=kind,  # type: ignore[arg-type]
                required=info.is_required(),
                default=shown.lower() if kind == "checkbox" else shown,
                choices=choices,
            )
        )
    return found


def platform_fields(platform: str) -> tuple[list[FormField], list[FormField]]:
    """The platform's settings and credential fields, from platforms/channel_settings.py's models."""
    spec = SPECS[platform]
    secrets = _fields(spec.credentials, "secret") if spec.credentials is not None else []
    return _fields(spec.settings, "setting"), secrets


def _value(f: FormField, form: Mapping[str, Any]) -> Any:
    raw = form.get(f.name)
    if f.kind == "checkbox":
        return raw == "on"
    text = str(raw or "").strip()
    if not text:
        return None
    if f.kind == "number":
        try:
            return int(text)
        except ValueError:
            return text  # the model names the problem
    if f.kind == "list":
        return [part.strip() for part in text.split(",") if part.strip()]
    return text


def channel_values(platform: str, form: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The settings and the credentials (None for a platform without) the form gives; empty fields are left
    out, so the model's defaults apply."""
    settings_fields, secret_fields = platform_fields(platform)
    settings = {f.key: v for f in settings_fields if (v := _value(f, form)) is not None}
    if SPECS[platform].credentials is None:
        return settings, None
    return settings, {f.key: v for f in secret_fields if (v := _value(f, form)) is not None}


def channel_errors(tr: Reader, errors: list[Any], fields_ids: set[str]) -> dict[str, str]:
    """A refusal's errors (loc, msg) by form field id; a secret's value is never repeated."""
    found: dict[str, str] = {}
    for problem in errors:
        loc = [str(p) for p in problem.get("loc", ()) if p != "body"]
        msg = str(problem.get("msg", "")).removeprefix("Value error, ")
        where = ""
        if len(loc) >= 2 and loc[0] in ("settings", "credentials"):
            candidate = f"{'setting' if loc[0] == 'settings' else 'secret'}-{loc[1]}"
            where = candidate if candidate in fields_ids else ""
        elif loc and f"channel-{loc[0]}" in fields_ids:
            where = f"channel-{loc[0]}"
        found.setdefault(where, msg or tr.gettext("This value is not accepted."))
    return found


def platform_choices() -> list[str]:
    return list(PLATFORMS)


def limits_rows(limits: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    if not limits:
        return []
    return [(k, json.dumps(v) if isinstance(v, dict | list) else str(v)) for k, v in sorted(limits.items())]


# ---- reading what the pages list --------------------------------------------------------------------------


def member_rows(ctx: AppContext, workspace_id: str) -> list[tuple[str, str, str]]:
    """(user id, name, role) of the workspace's members, by id."""
    with transaction(ctx.engine) as session:
        return sorted((u.id, u.name, role) for u, role in members(session, workspace_id))


@dataclass(frozen=True)
class StyleVersion:
    version: str
    names: str
    rule_count: int
    uploaded_by: str
    at: datetime
    current: bool


def style_versions(ctx: AppContext, workspace_id: str) -> list[StyleVersion]:
    """Every style uploaded here (kept whole in brand_styles), newest first; who uploaded which, when."""
    with transaction(ctx.engine) as session:
        workspace = get_workspace(session, workspace_id)
        rows = list(
            session.exec(
                select(BrandStyle)
                .where(BrandStyle.workspace_id == workspace_id)
                .order_by(col(BrandStyle.created_at).desc(), col(BrandStyle.id).desc())
            )
        )
        current = workspace.style_version if workspace else None
        names = {u.id: u.name for u, _ in members(session, workspace_id)}
    return [
        StyleVersion(
            r.version,
            r.names,
            r.rule_count,
            names.get(r.uploaded_by, r.uploaded_by),
            r.created_at,
            r.version == current,
        )
        for r in rows
    ]


def social_rules_text(ctx: AppContext, workspace_id: str) -> str:
    from brand.engine import SocialRules

    with transaction(ctx.engine) as session:
        workspace = get_workspace(session, workspace_id)
        raw = workspace.social_rules if workspace else ""
    rules = SocialRules.model_validate_json(raw) if raw else SocialRules()
    return json.dumps(rules.model_dump(mode="json"), indent=2, ensure_ascii=False)


def recent_deliveries(ctx: AppContext, workspace_id: str) -> dict[int, list[NotificationSent]]:
    """The last deliveries the worker recorded at each of the workspace's targets (tests are not recorded)."""
    with transaction(ctx.engine) as session:
        ids = [
            t.id
            for t in session.exec(select(NotificationTarget).where(NotificationTarget.workspace_id == workspace_id))
        ]
        found: dict[int, list[NotificationSent]] = {}
        for target_id in ids:
            assert target_id is not None
            found[target_id] = list(
                session.exec(
                    select(NotificationSent)
                    .where(NotificationSent.target_id == target_id)
                    .order_by(col(NotificationSent.sent_at).desc())
                    .limit(RECENT_DELIVERIES)
                )
            )
    return found


@dataclass(frozen=True)
class PauseCounts:
    held: int  # posts a pause holds (or holds now)
    missed: int  # of them, those whose publish time has passed (the resume policy decides for these)


def pause_counts(ctx: AppContext, workspace_id: str, now: datetime | None = None) -> PauseCounts:
    """How many posts a pause or a resume touches, counted in the store."""
    now = now or datetime.now(UTC)
    statuses = [s.value for s in HELD_BY_PAUSE]
    with transaction(ctx.engine) as session:
        base = (
            select(func.count())
            .select_from(Post)
            .where(Post.workspace_id == workspace_id, col(Post.status).in_(statuses))
        )
        held = session.exec(base).one()
        missed = session.exec(base.where(col(Post.publish_at) <= now)).one()
    return PauseCounts(held=int(held), missed=int(missed))


def role_choices(tr: Reader) -> list[tuple[str, str]]:
    """(role, its words) of every role, for the forms' choices."""
    return [(role, role_words(tr, role)) for role in ROLES]
