"""The auditor's desk: the workspace's trail (filtered, a page at a time), one entry, the chain's verification,
one post's trail reconciled with its workflow history, and one post's evidence. Built by functions a test calls
without a browser; every read goes through the JSON API's own route functions (api.routes_audit) or the store
functions they use, so the filters, the paging and who may read are the API's."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import HTTPException

from api.deps import Actor, AppContext, own_workspace
from api.routes_audit import AuditRecord, list_entries, verify
from api.service import ServiceError
from domain.content import Variant
from domain.status import AuditAction
from store.audit_bundle import last_checkpoint
from store.audit_reconcile import ActSeen, Reconciliation, reconcile_post
from store.audit_search import AuditFilter, export_row, find_entries
from store.engine import transaction
from store.posts import channel_ids, revisions
from store.publications import publications_of
from store.tables import AuditEntry, Post, Revision
from web import services
from web.i18n import Reader, zone_abbreviation
from web.views import Chrome, chrome_for, post_url
from web.words import event_words

PAGE = 50
FILTERS = ("post", "actor", "action", "channel", "since", "until")
DECISIONS = (AuditAction.APPROVED, AuditAction.REJECTED, AuditAction.CHANGES_REQUESTED)


def audit_url(workspace_id: str, tail: str = "", **query: str) -> str:
    kept = {k: v for k, v in query.items() if v}
    return f"/w/{workspace_id}/audit{tail}" + (f"?{urlencode(kept)}" if kept else "")


def action_words(tr: Reader, action: str, who: str) -> str:
    """A post event in words (web.words); a configuration change as its name reads ("member_joined")."""
    words = event_words(tr, action, who)
    return words if not words.startswith(f"{who}: ") else f"{who}: {action.replace('_', ' ')}"


# ---- the trail -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryRow:
    index: int
    url: str
    at: datetime
    actor: str
    words: str
    action: str
    post_id: str
    post_url: str
    revision: int


@dataclass(frozen=True)
class Verification:
    ok: bool
    sentence: str
    broken_index: int | None
    broken_url: str
    problem: str  # the verifier's own words
    reason: str = ""  # the same, said to the reader in their language


@dataclass(frozen=True)
class TrailView:
    chrome: Chrome
    workspace_id: str
    rows: list[EntryRow]
    filters: dict[str, str]  # as the form shows them (dates in the reader's zone)
    filtered: bool
    actions: list[str]
    channels: list[tuple[str, str]]
    people: list[tuple[str, str]]
    zone: str
    zone_words: str
    next_url: str | None
    first_url: str | None
    export_urls: dict[str, str]
    bundle_url: str
    verify_url: str
    error: str | None
    error_field: str | None
    verification: Verification | None


def _zone(tr: Reader, workspace_zone: str | None) -> str:
    return tr.zone or workspace_zone or "UTC"


def _day(value: str, zone: str, *, end: bool) -> datetime | None:
    """A date the reader typed, as the instant its day starts (or, for the end, the next day starts) in `zone`."""
    if not value:
        return None
    day = date.fromisoformat(value)
    if end:
        day += timedelta(days=1)
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(zone))


def audit_filter(tr: Reader, filters: dict[str, str], zone: str) -> tuple[AuditFilter, str | None, str | None]:
    """The store's filter from the form; an error (words, field) when a date is not one."""
    where = AuditFilter(
        post_id=filters["post"] or None,
        actor=filters["actor"] or None,
        action=filters["action"] or None,
        channel=filters["channel"] or None,
    )
    try:
        since, until = _day(filters["since"], zone, end=False), _day(filters["until"], zone, end=True)
    except ValueError:
        field = "since" if filters["since"] and not _is_date(filters["since"]) else "until"
        return where, tr.gettext("Enter the date as year-month-day, for example 2026-12-08."), field
    if since and until and since >= until:
        return where, tr.gettext("The first day must not be after the last day."), "until"
    return AuditFilter(**{**where.__dict__, "since": since, "until": until}), None, None


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _row(tr: Reader, workspace_id: str, entry: AuditRecord, names: dict[str, str]) -> EntryRow:
    who = names.get(entry.actor, entry.actor)
    words = action_words(tr, entry.action, who)
    subject = entry.detail.get("subject") if not entry.post_id else None
    return EntryRow(
        index=entry.chain_index,
        url=audit_url(workspace_id, f"/entries/{entry.chain_index}"),
        at=entry.at,
        actor=who,
        words=f"{words} ({subject})" if isinstance(subject, str) and subject else words,
        action=entry.action,
        post_id=entry.post_id,
        post_url=post_url(workspace_id, entry.post_id) if entry.post_id else "",
        revision=entry.revision,
    )


def clean_filters(query: dict[str, str]) -> dict[str, str]:
    return {name: str(query.get(name, "")).strip()[:64] for name in FILTERS}


async def trail_view(
    ctx: AppContext,
    user: Actor,
    tr: Reader,
    *,
    workspace_id: str,
    query: dict[str, str],
    csrf: str = "",
    verification: Verification | None = None,
) -> TrailView:
    """The workspace's trail, filtered as asked, a page at a time (the API's list route does the reading)."""
    workspace_reader(user, workspace_id)
    facts = await asyncio.to_thread(services.workspace_facts, ctx, workspace_id)
    filters = clean_filters(query)
    zone = _zone(tr, facts.workspace.time_zone)
    where, error, error_field = audit_filter(tr, filters, zone)
    cursor = str(query.get("cursor", ""))[:100] or None
    rows: list[EntryRow] = []
    next_url = None
    if error is None:
        try:
            page = await asyncio.to_thread(list_entries, workspace_id, ctx, user, where, limit=PAGE, cursor=cursor)
        except ServiceError:  # a cursor this server did not give out
            error, error_field = tr.gettext("This page link is not valid any more; start from the first page."), None
        else:
            rows = [_row(tr, workspace_id, e, facts.names) for e in page.entries]
            if page.next_cursor:
                next_url = audit_url(workspace_id, **filters, cursor=page.next_cursor)
    chrome = await asyncio.to_thread(chrome_for, ctx, user, workspace_id, csrf, tr)
    return TrailView(
        chrome=chrome,
        workspace_id=workspace_id,
        rows=rows,
        filters=filters,
        filtered=any(filters.values()),
        actions=[a.value for a in AuditAction],
        channels=sorted(facts.channel_names.items(), key=lambda pair: pair[1]),
        people=sorted(facts.names.items(), key=lambda pair: pair[1]),
        zone=zone,
        zone_words=zone_abbreviation(datetime.now(ZoneInfo(zone))),
        next_url=next_url,
        first_url=audit_url(workspace_id, **filters) if cursor else None,
        export_urls={fmt: audit_url(workspace_id, "/export", **filters, format=fmt) for fmt in ("jsonl", "csv")},
        bundle_url=audit_url(workspace_id, "/bundle"),
        verify_url=audit_url(workspace_id, "/verify"),
        error=error,
        error_field=error_field,
        verification=verification,
    )


def export_filter(ctx: AppContext, tr: Reader, workspace_id: str, query: dict[str, str]) -> AuditFilter:
    """The filter of the page's export link; a bad date is a 422 like the API's."""
    facts = services.workspace_facts(ctx, workspace_id)
    where, error, _ = audit_filter(tr, clean_filters(query), _zone(tr, facts.workspace.time_zone))
    if error is not None:
        raise ServiceError(422, "invalid_request", error)
    return where


# ---- verifying -----------------------------------------------------------------------------------------

# What the chain's verifier reports (store.audit_chain, in English for logs and the CLI), said to the reader;
# the verifier's own words stay beside it.
PROBLEM_PATTERNS = (
    ("do not match its hash", None),
    ("prev_hash does not match the hash of entry", re.compile(r"entry (\d+) \(")),
    ("before it is missing", re.compile(r"entry ([\d-]+) before")),
    ("later entries were deleted", None),
    ("signature is invalid", None),
    ("differs from the checkpoint signed", None),
)


def problem_words(tr: Reader, problem: str) -> str:
    words = (
        tr.gettext("Its contents no longer match its hash: it was edited after it was written."),
        tr.gettext("It does not link to the hash of entry %(n)s: entries were reordered or replaced."),
        tr.gettext("Entry %(n)s before it is missing: it was deleted."),
        tr.gettext("Entries at the end of the chain were deleted."),
        tr.gettext("Its checkpoint's signature is invalid: the checkpoint was forged or altered."),
        tr.gettext("Its hash differs from a signed checkpoint: the chain was rewritten."),
    )
    for (marker, number), sentence in zip(PROBLEM_PATTERNS, words, strict=True):
        if marker in problem:
            found = number.search(problem) if number else None
            return sentence % {"n": found.group(1)} if found else sentence
    return problem


def verification(ctx: AppContext, user: Actor, tr: Reader, workspace_id: str) -> Verification:
    """The API's verify route, said plainly: intact up to entry N with the last signed checkpoint, or where
    and why it breaks."""
    report = verify(workspace_id, ctx, user)
    with transaction(ctx.engine) as session:
        checkpoint = last_checkpoint(session, workspace_id, report.checked)
    if report.ok:
        if checkpoint is None:
            sentence = tr.gettext(
                "The chain is intact up to entry %(n)s. No entry is covered by a signed checkpoint yet."
            )
            return Verification(True, sentence % {"n": report.checked}, None, "", "")
        sentence = tr.gettext(
            "The chain is intact up to entry %(n)s. The last signed checkpoint covers entry %(index)s, signed "
            "%(when)s with key %(key)s."
        ) % {"n": report.checked, "index": checkpoint.chain_index, "when": tr.instant(checkpoint.signed_at),
             "key": checkpoint.key_id}  # fmt: skip
        return Verification(True, sentence, None, "", "")
    broken = report.first_broken
    assert broken is not None
    sentence = tr.gettext("The chain is broken at entry %(n)s. Entries before it are intact.") % {
        "n": broken.chain_index
    }
    # A deleted entry has no page: link only to one that is there.
    url = audit_url(workspace_id, f"/entries/{broken.chain_index}") if broken.action is not None else ""
    return Verification(False, sentence, broken.chain_index, url, broken.problem, problem_words(tr, broken.problem))


# ---- one entry -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    key: str
    before: str
    after: str
    changed: bool


@dataclass(frozen=True)
class EntryView:
    chrome: Chrome
    workspace_id: str
    row: EntryRow
    record: dict[str, Any]  # the export row: every hashed field and the links
    details: list[tuple[str, str]]  # the detail's fields, each value as readable text
    subject: str
    changes: list[Change]  # a configuration change: before and after, field by field
    revision_url: str
    trail_url: str
    previous_url: str
    next_url: str
    evidence_url: str
    reconcile_url: str


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)


def _changes(before: Any, after: Any) -> list[Change]:
    if isinstance(before, dict) or isinstance(after, dict):
        old = before if isinstance(before, dict) else {}
        new = after if isinstance(after, dict) else {}
        return [
            Change(
                key,
                _text(old[key]) if key in old else "",
                _text(new[key]) if key in new else "",
                old.get(key, ...) != new.get(key, ...),
            )
            for key in sorted({*old, *new})
        ]
    return [Change("", "" if before is None else _text(before), "" if after is None else _text(after), before != after)]


def read_entry(ctx: AppContext, user: Actor, workspace_id: str, index: int) -> tuple[AuditEntry, bool]:
    """Entry `index` of the workspace's chain, for one of its readers (the API's rule), and whether another
    follows it; 404 when there is none."""
    from api.routes_audit import _reader

    _reader(user, workspace_id)
    with transaction(ctx.engine) as session:
        found = find_entries(session, workspace_id, AuditFilter(), after_index=index - 1, limit=2)
    if not found or found[0].chain_index != index:
        raise HTTPException(404, f"no entry {index}")
    return found[0], len(found) > 1


async def entry_view(
    ctx: AppContext, user: Actor, tr: Reader, *, workspace_id: str, index: int, csrf: str = ""
) -> EntryView:
    entry, more = await asyncio.to_thread(read_entry, ctx, user, workspace_id, index)
    facts = await asyncio.to_thread(services.workspace_facts, ctx, workspace_id)
    record = export_row(entry)
    detail = record["detail"] if isinstance(record["detail"], dict) else {"value": record["detail"]}
    is_change = "before" in detail and "after" in detail
    shown = {k: v for k, v in detail.items() if not (is_change and k in ("before", "after", "subject"))}
    post = entry.post_id
    chrome = await asyncio.to_thread(chrome_for, ctx, user, workspace_id, csrf, tr)
    return EntryView(
        chrome=chrome,
        workspace_id=workspace_id,
        row=_row(tr, workspace_id, AuditRecord.model_validate(record), facts.names),
        record=record,
        details=[(k, _text(v)) for k, v in sorted(shown.items())],
        subject=str(detail.get("subject", "")) if is_change else "",
        changes=_changes(detail.get("before"), detail.get("after")) if is_change else [],
        revision_url=audit_url(workspace_id, f"/posts/{post}/revisions/{entry.revision}") if post else "",
        trail_url=audit_url(workspace_id, post=post) if post else audit_url(workspace_id),
        previous_url=audit_url(workspace_id, f"/entries/{index - 1}") if index > 1 else "",
        next_url=audit_url(workspace_id, f"/entries/{index + 1}") if more else "",
        evidence_url=audit_url(workspace_id, f"/posts/{post}/evidence") if post else "",
        reconcile_url=audit_url(workspace_id, f"/posts/{post}/reconcile") if post else "",
    )


# ---- one revision ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RevisionView:
    chrome: Chrome
    workspace_id: str
    post_id: str
    post_url: str
    number: int
    text: str
    content_hash: str
    author: str
    created_at: datetime
    variants: list[Variant]
    trail_url: str


def _audited_post(ctx: AppContext, user: Actor, workspace_id: str, post_id: str) -> tuple[Post, list[Revision]]:
    """A post of the workspace, for a reader of its trail (the API's rule), with its revisions."""
    from api.routes_audit import _reader

    _reader(user, workspace_id)
    post, _ = services.visible_post(ctx, user, workspace_id, post_id)
    with transaction(ctx.engine) as session:
        return post, revisions(session, post_id)


async def revision_view(
    ctx: AppContext, user: Actor, tr: Reader, *, workspace_id: str, post_id: str, number: int, csrf: str = ""
) -> RevisionView:
    post, all_revisions = await asyncio.to_thread(_audited_post, ctx, user, workspace_id, post_id)
    revision = next((r for r in all_revisions if r.number == number), None)
    if revision is None:
        raise HTTPException(404, f"post '{post_id}' has no revision {number}")
    facts = await asyncio.to_thread(services.workspace_facts, ctx, workspace_id)
    chrome = await asyncio.to_thread(chrome_for, ctx, user, workspace_id, csrf, tr)
    return RevisionView(
        chrome=chrome,
        workspace_id=workspace_id,
        post_id=post.id,
        post_url=post_url(workspace_id, post.id),
        number=number,
        text=revision.text,
        content_hash=revision.content_hash,
        author=facts.names.get(revision.author, revision.author),
        created_at=revision.created_at,
        variants=[Variant.model_validate(v) for v in json.loads(revision.variants or "[]")],
        trail_url=audit_url(workspace_id, post=post.id),
    )


# ---- reconciling one post ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReconcileRow:
    history: str  # the act in words, as the workflow history holds it ("" when it holds none)
    history_source: str
    audit: str
    audit_source: str
    agree: bool


@dataclass(frozen=True)
class ReconcileView:
    chrome: Chrome
    workspace_id: str
    post_id: str
    post_url: str
    ok: bool
    sentence: str
    note: str | None
    rows: list[ReconcileRow]
    trail_url: str


def _act_words(tr: Reader, act: ActSeen, names: dict[str, str]) -> str:
    words = action_words(tr, act.action, names.get(act.actor, act.actor))
    if act.revision is None:
        return words
    return tr.gettext("%(act)s (revision %(n)s)") % {"act": words, "n": act.revision}


def side_by_side(tr: Reader, result: Reconciliation, names: dict[str, str]) -> list[ReconcileRow]:
    """Each act of the history beside the trail's entry for it (matched one for one, as store.audit_reconcile
    compares them), then what only the trail holds."""
    unmatched = list(result.audit)
    rows: list[ReconcileRow] = []
    for act in result.history:
        key = (act.action, act.actor, act.revision)
        match = next((i for i, a in enumerate(unmatched) if (a.action, a.actor, a.revision) == key), None)
        if (
            match is None
            and act.revision is None
            and act.action
            in (
                AuditAction.WORKSPACE_PAUSED.value,
                AuditAction.WORKSPACE_RESUMED.value,
            )
        ):
            # Pause and resume are the workspace's entries, not the post's: the store compared them there.
            agree = not any(d.source == act.source for d in result.differences)
            rows.append(ReconcileRow(_act_words(tr, act, names), act.source, "", "", agree))
            continue
        if match is None:
            rows.append(ReconcileRow(_act_words(tr, act, names), act.source, "", "", False))
            continue
        seen = unmatched.pop(match)
        rows.append(
            ReconcileRow(_act_words(tr, act, names), act.source, _act_words(tr, seen, names), seen.source, True)
        )
    rows += [ReconcileRow("", "", _act_words(tr, a, names), a.source, False) for a in unmatched]
    return rows


async def reconcile_view(
    ctx: AppContext, user: Actor, tr: Reader, *, workspace_id: str, post_id: str, csrf: str = ""
) -> ReconcileView:
    post, _ = await asyncio.to_thread(_audited_post, ctx, user, workspace_id, post_id)
    result = await reconcile_post(ctx.client, ctx.engine, post.id)
    facts = await asyncio.to_thread(services.workspace_facts, ctx, workspace_id)
    chrome = await asyncio.to_thread(chrome_for, ctx, user, workspace_id, csrf, tr)
    if result.ok:
        sentence = tr.gettext("The workflow history and the audit trail agree: %(n)s acts in each.") % {
            "n": result.history_acts
        }
    else:
        sentence = tr.ngettext(
            "%(num)s difference between the workflow history and the audit trail.",
            "%(num)s differences between the workflow history and the audit trail.",
            len(result.differences),
        ) % {"num": len(result.differences)}
    return ReconcileView(
        chrome=chrome,
        workspace_id=workspace_id,
        post_id=post.id,
        post_url=post_url(workspace_id, post.id),
        ok=result.ok,
        sentence=sentence,
        note=result.note,
        rows=side_by_side(tr, result, facts.names),
        trail_url=audit_url(workspace_id, post=post.id),
    )


# ---- evidence for one post -----------------------------------------------------------------------------


@dataclass(frozen=True)
class MediaLine:
    url: str
    alt_text: str
    sha256: str  # of the media reference as approved (url, alt text, type): postgate keeps no media bytes


@dataclass(frozen=True)
class ChannelEvidence:
    channel: str
    text: str
    text_sha256: str
    media: list[MediaLine]
    external_id: str
    url: str
    intended_at: datetime | None
    published_at: datetime | None
    revision: int | None
    status: str


@dataclass(frozen=True)
class DecisionLine:
    who: str
    words: str
    revision: int
    content_hash: str
    at: datetime
    step: str
    comment: str
    entry_url: str


@dataclass(frozen=True)
class EvidenceView:
    chrome: Chrome
    workspace_id: str
    workspace_name: str
    post_id: str
    post_url: str
    approved_revision: int | None
    approved_hash: str
    approved_text: str
    channels: list[ChannelEvidence]
    decisions: list[DecisionLine]
    policy_entry_url: str  # the configuration entry in force when the first signature was given
    policy_in_force: str  # its `after`, readable
    policy_resolved: str  # the steps the workflow resolved at submission
    brand_findings: list[dict[str, Any]]
    brand_style_version: str
    brand_entry_url: str
    generated_at: datetime
    trail_url: str


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _evidence_rows(
    ctx: AppContext, post_id: str, workspace_id: str
) -> tuple[list[AuditEntry], list[AuditEntry], list[Any]]:
    with transaction(ctx.engine) as session:
        trail = find_entries(session, workspace_id, AuditFilter(post_id=post_id), limit=10_000)
        policies = find_entries(
            session, workspace_id, AuditFilter(action=AuditAction.APPROVAL_POLICY_CHANGED.value), limit=10_000
        )
        published = publications_of(session, post_id)
    return trail, policies, published


async def evidence_view(
    ctx: AppContext, user: Actor, tr: Reader, *, workspace_id: str, post_id: str, csrf: str = ""
) -> EvidenceView:
    """What went out where, who approved which revision and when, under which policy, with which findings."""
    post, all_revisions = await asyncio.to_thread(_audited_post, ctx, user, workspace_id, post_id)
    facts = await asyncio.to_thread(services.workspace_facts, ctx, workspace_id)
    trail, policies, published = await asyncio.to_thread(_evidence_rows, ctx, post.id, workspace_id)
    state = await services.live_state(ctx, post)
    names = facts.names
    decisions = [
        DecisionLine(
            who=names.get(e.actor, e.actor),
            words=action_words(tr, e.action, names.get(e.actor, e.actor)),
            revision=e.revision,
            content_hash=e.content_hash,
            at=e.at,
            step=str(json.loads(e.detail).get("step", "")),
            comment=str(json.loads(e.detail).get("comment", "") or ""),
            entry_url=audit_url(workspace_id, f"/entries/{e.chain_index}"),
        )
        for e in trail
        if e.action in DECISIONS
    ]
    approvals = [e for e in trail if e.action == AuditAction.APPROVED.value]
    approved = approvals[-1] if approvals else None
    revision = next((r for r in all_revisions if approved and r.number == approved.revision), None)
    # The policy in force: the last change of it at or before the first signature of the approved revision.
    first_signature = next((e for e in approvals if approved and e.revision == approved.revision), None)
    in_force = [p for p in policies if first_signature is None or p.at <= first_signature.at]
    policy = in_force[-1] if in_force else None
    brand = next(
        (e for e in reversed(trail) if e.action == AuditAction.BRAND_CHECKED.value and approved
         and e.revision == approved.revision),
        None,
    )  # fmt: skip
    brand_detail = json.loads(brand.detail) if brand else {}
    variants = [Variant.model_validate(v) for v in json.loads(revision.variants or "[]")] if revision else []
    by_channel = {p.channel_id: p for p in published}
    channels: list[ChannelEvidence] = []
    for channel_id in channel_ids(post):
        variant = next((v for v in variants if v.channel_id == channel_id), None)
        text = (variant.text if variant and variant.text else None) or (revision.text if revision else "")
        media = [
            MediaLine(m.url, m.alt_text, _sha(json.dumps(m.model_dump(mode="json"), sort_keys=True)))
            for m in (variant.media if variant else [])
        ]
        row = by_channel.get(channel_id)
        live = next((c for c in state.channels if c.channel_id == channel_id), None)
        intended = live.publication.intended_at if live and live.publication else None
        channels.append(
            ChannelEvidence(
                channel=facts.channel_names.get(channel_id, channel_id),
                text=str(text),
                text_sha256=_sha(str(text)),
                media=media,
                external_id=row.external_id if row else "",
                url=row.url if row else "",
                intended_at=intended or state.publish_at,
                published_at=row.published_at if row else None,
                revision=row.revision if row else None,
                status=live.status.value if live else "",
            )
        )
    chrome = await asyncio.to_thread(chrome_for, ctx, user, workspace_id, csrf, tr)
    return EvidenceView(
        chrome=chrome,
        workspace_id=workspace_id,
        workspace_name=facts.workspace.name,
        post_id=post.id,
        post_url=post_url(workspace_id, post.id),
        approved_revision=approved.revision if approved else None,
        approved_hash=approved.content_hash if approved else "",
        approved_text=revision.text if revision else "",
        channels=channels,
        decisions=decisions,
        policy_entry_url=audit_url(workspace_id, f"/entries/{policy.chain_index}") if policy else "",
        policy_in_force=_text(json.loads(policy.detail).get("after")) if policy else "",
        policy_resolved=_text(state.approval.model_dump(mode="json")),
        brand_findings=list(brand_detail.get("findings", [])),
        brand_style_version=str(brand_detail.get("style_version", "") or ""),
        brand_entry_url=audit_url(workspace_id, f"/entries/{brand.chain_index}") if brand else "",
        generated_at=datetime.now(ZoneInfo("UTC")),
        trail_url=audit_url(workspace_id, post=post.id),
    )


def workspace_reader(user: Actor, workspace_id: str) -> None:
    """403/404 unless the user reads this workspace's trail (the API's rule)."""
    from api.routes_audit import _reader

    own_workspace(user, workspace_id)
    _reader(user, workspace_id)
