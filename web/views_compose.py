"""The compose and revise pages: the form as typed, and what the live check shows beside it.

The form is read into `ComposeForm` (nothing typed is lost: a refused form is shown again from it). The
live part (`live_view`) is the brand check of each chosen channel (the JSON route's own function), the
channel's counters (brand.counting, with the limits the check itself applies), a preview per platform,
the publish time in UTC and in the workspace's zone, and on a revision the diff against the revision the
reviewers saw. Every function here can be called by a test without a browser."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import HTTPException
from pydantic import ValidationError
from sqlmodel import Session

from api.deps import Actor, AppContext, own_workspace
from api.routes_brand import BrandCheckBody, CheckedMedia, check_text
from api.schemas import zone_names
from brand.counting import Measure, measures, overflow_offset
from brand.entities import find_entities
from brand.workspace import counting_for, social_rules_for
from domain.brand import Finding
from domain.content import RevisionContent, Variant
from domain.diff import diff_revisions
from domain.lifecycle import RevisionRef
from domain.status import AuditAction, PostStatus
from store.comments import comments_on, get_revision
from store.engine import transaction
from store.posts import channel_ids, latest_revision_ref, revision_ref
from store.records import audit_trail
from store.tables import Post, Workspace
from store.workspaces import channels as workspace_channels
from web import services
from web.i18n import Reader
from web.views import Chrome, chrome_for, name_of
from web.words import status_words

MEDIA_ROWS = 10  # a variant carries at most 10 attachments (domain.content.Variant)
NEAR_LIMIT = 0.9  # a counter warns from 90 % of the limit
# Where a platform folds a long post behind "more" in its feed (code points; none: it shows all of it).
FOLDS = {"instagram": 125, "linkedin": 210, "threads": 500}
# Platforms that refuse a post over its limit (the preview marks what does not fit).
REFUSES_OVER_LIMIT = {"x", "bluesky", "mastodon", "threads", "linkedin", "instagram", "channel"}
FIELD_PREFIX = {"text": "text", "variant": "variant-", "media": "media-"}


# ---- the form ------------------------------------------------------------------------------------------


@dataclass
class MediaRow:
    url: str = ""
    alt_text: str = ""


@dataclass
class ComposeForm:
    """What the editor typed, exactly; `variants[c]` is "" while channel c uses the base text."""

    text: str = ""
    channels: list[str] = field(default_factory=list)
    variants: dict[str, str] = field(default_factory=dict)
    media: dict[str, list[MediaRow]] = field(default_factory=dict)
    publish_local: str = ""  # YYYY-MM-DDTHH:MM, the value of <input type="datetime-local">
    time_zone: str = ""
    comment: str = ""  # to the reviewers, with a revision of a submitted post
    base_hash: str = ""  # the revision the revise page showed

    def own_text(self, channel: str) -> str | None:
        own = self.variants.get(channel, "")
        return own if own.strip() else None

    def text_for(self, channel: str) -> str:
        return self.own_text(channel) or self.text

    def media_for(self, channel: str) -> list[MediaRow]:
        return [m for m in self.media.get(channel, []) if m.url.strip()]

    def variants_payload(self) -> list[dict[str, Any]]:
        """The variants as the JSON API takes them: a channel with its own text or media."""
        out: list[dict[str, Any]] = []
        for channel in self.channels:
            own, media = self.own_text(channel), self.media_for(channel)
            if own is None and not media:
                continue
            out.append(
                {
                    "channel_id": channel,
                    "text": own,
                    "media": [{"url": m.url.strip(), "alt_text": m.alt_text.strip()} for m in media],
                }
            )
        return out

    def publish_payload(self) -> dict[str, Any]:
        if not self.publish_local.strip():
            return {}
        return {"publish_at": self.publish_local.strip(), "time_zone": self.time_zone or None}


def _text(form: Mapping[str, Any], name: str, limit: int = 25_000) -> str:
    value = form.get(name, "")
    return value[:limit].replace("\r\n", "\n") if isinstance(value, str) else ""


def read_form(
    form: Any, workspace_channels: Sequence[str], *, fixed_channels: Sequence[str] | None = None
) -> ComposeForm:
    """The form as posted (a starlette FormData or a dict); unknown channels are ignored."""
    chosen = list(fixed_channels) if fixed_channels is not None else []
    if fixed_channels is None:
        asked = form.getlist("channel") if hasattr(form, "getlist") else form.get("channel", [])
        asked = [asked] if isinstance(asked, str) else asked
        chosen = [c for c in workspace_channels if c in asked]
    variants = {c: _text(form, f"variant.{c}") for c in workspace_channels}
    media = {}
    for channel in workspace_channels:
        rows = [
            MediaRow(_text(form, f"media_url.{channel}.{i}", 2100), _text(form, f"media_alt.{channel}.{i}", 1600))
            for i in range(MEDIA_ROWS)
        ]
        media[channel] = [r for r in rows if r.url.strip() or r.alt_text.strip()]
    return ComposeForm(
        text=_text(form, "text"),
        channels=chosen,
        variants=variants,
        media=media,
        publish_local=_text(form, "publish_local", 40),
        time_zone=_text(form, "time_zone", 64),
        comment=_text(form, "comment", 2000),
        base_hash=_text(form, "base_hash", 100),
    )


def form_of_post(post: Post, revision: RevisionRef, zone: str) -> ComposeForm:
    """A post's current revision and publish time, as the revise form starts."""
    chosen = channel_ids(post)
    variants = {v.channel_id: v.text or "" for v in revision.variants}
    media = {v.channel_id: [MediaRow(m.url, m.alt_text) for m in v.media] for v in revision.variants}
    shown_zone = post.publish_zone or zone
    local = post.publish_at.astimezone(ZoneInfo(shown_zone))
    return ComposeForm(
        text=revision.text,
        channels=chosen,
        variants=variants,
        media=media,
        publish_local=local.strftime("%Y-%m-%dT%H:%M"),
        time_zone=shown_zone,
        base_hash=revision.content_hash,
    )


def typed_revision(form: ComposeForm) -> RevisionRef | None:
    """The form's content as a revision (to diff and hash); None while the text is empty."""
    try:
        variants = [Variant.model_validate(v) for v in form.variants_payload()]
        content = RevisionContent(text=form.text, variants=variants)
    except ValidationError:
        return None
    return RevisionRef(number=0, text=content.text, content_hash=content.content_hash(), author="", variants=variants)


# ---- errors tied to their field ------------------------------------------------------------------------


def field_errors(tr: Reader, err: ValidationError, form: ComposeForm) -> dict[str, str]:
    """The API's validation errors, each on the field it is about (its id); "form" for the rest."""
    payload = form.variants_payload()
    out: dict[str, str] = {}
    for problem in err.errors():
        loc = problem.get("loc", ())
        message = str(problem.get("msg", "")).removeprefix("Value error, ")
        key = "form"
        if loc and loc[0] == "text":
            key = "text"
            if problem.get("type") in ("string_too_short", "too_short"):
                message = tr.gettext("Write the text of the post.")
        elif loc and loc[0] == "variants" and len(loc) > 1 and isinstance(loc[1], int) and loc[1] < len(payload):
            channel = payload[loc[1]]["channel_id"]
            key = f"variant-{channel}"
            if len(loc) > 3 and loc[2] == "media" and isinstance(loc[3], int):
                key = f"media-{channel}-{loc[3]}"
                if loc[-1] == "url":
                    message = tr.gettext("Give the address of the picture or video, starting with https://.")
        elif loc and loc[0] in ("publish_at", "time_zone"):
            key = "publish"
        elif "publish_at" in message or "calendar" in message:
            key = "publish"
        elif "channel" in message:
            key = "channels"
            if "name the channel" in message:
                message = tr.gettext("Choose at least one channel.")
        out.setdefault(key, message)
    return out


# ---- the live part -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Counter:
    unit: str  # in words
    count: int
    limit: int
    state: str  # ok | near | over

    @property
    def left(self) -> int:
        return self.limit - self.count


@dataclass(frozen=True)
class Segment:
    text: str
    kind: str = ""  # "" | mark | hashtag | mention | url | over | folded
    finding: int | None = None  # the finding's number (1-based), for a mark


@dataclass(frozen=True)
class ShownFinding:
    number: int
    index: int  # in the check's answer, to apply its replacement
    level: str
    message: str
    match: str
    replacement: str | None
    field: str  # the id of the field the words are in


@dataclass(frozen=True)
class ChannelLive:
    id: str
    name: str
    platform_words: str
    chosen: bool
    inherits: bool
    findings: list[ShownFinding]
    marked: list[Segment]  # the text with the findings marked
    counters: list[Counter]
    preview: list[Segment]
    fold_note: str
    blocking: bool


@dataclass(frozen=True)
class TimeLive:
    utc: datetime | None
    utc_words: str
    workspace_words: str
    note: str  # a wall-clock time that does not exist, or happens twice, in that zone
    error: str


@dataclass(frozen=True)
class DiffLine:
    kind: str  # add | remove | context | head
    text: str


@dataclass(frozen=True)
class DiffPart:
    title: str
    lines: list[DiffLine]


@dataclass(frozen=True)
class LiveView:
    channels: list[ChannelLive]
    time: TimeLive
    diff: list[DiffPart] | None  # None: nothing reviewed to compare with
    announcement: str  # what the polite live region says


def _unit_words(tr: Reader, measure: Measure) -> str:
    words = {
        "weighted characters": tr.gettext("weighted characters"),
        "graphemes": tr.gettext("characters (graphemes)"),
        "UTF-8 bytes": tr.gettext("bytes (UTF-8)"),
        "characters": tr.gettext("characters"),
    }
    return words.get(measure.unit, measure.unit)


def platform_words(tr: Reader, counting: str | None, platform: str) -> str:
    names = {
        "x": "X",
        "bluesky": "Bluesky",
        "mastodon": "Mastodon",
        "threads": "Threads",
        "linkedin": "LinkedIn",
        "instagram": "Instagram",
        "facebook": "Facebook",
    }
    if counting:
        return tr.gettext("counts as %(platform)s") % {"platform": names.get(counting, counting)}
    return names.get(platform, platform)


@dataclass(frozen=True)
class ChannelFacts:
    """What the page needs of a channel: its name and how its platform counts (the check's own limits)."""

    id: str
    name: str
    platform: str
    counting: str | None
    measures: tuple[Measure, ...]


def channel_facts(ctx: AppContext, workspace_id: str) -> list[ChannelFacts]:
    with transaction(ctx.engine) as session:
        return _channel_facts(session, workspace_id)


def _channel_facts(session: Session, workspace_id: str) -> list[ChannelFacts]:
    """Each channel's counting and limits, as the brand check applies them (brand.workspace.social_rules_for
    on what store.brand_styles.brand_settings reads, without loading the style, which counting never needs)."""
    workspace = session.get(Workspace, workspace_id)
    if workspace is None:
        return []
    social, banned = json.loads(workspace.social_rules), json.loads(workspace.banned_words)
    out = []
    for row in sorted(workspace_channels(session, workspace_id), key=lambda c: c.name.lower()):
        rules = social_rules_for(
            social,
            json.loads(row.social_overrides),
            banned_words=banned,
            max_length=row.max_length,
            counts_as=row.counts_as,
            platform=row.platform,
            platform_limits=json.loads(row.platform_limits) if row.platform_limits else None,
        )
        counting = counting_for(row.platform, row.counts_as)
        found = measures(counting or "channel", max_length=rules.length.max_length, url_length=rules.length.url_length)
        out.append(ChannelFacts(row.id, row.name, row.platform, counting, found))
    return out


def counters(tr: Reader, facts: ChannelFacts, text: str) -> list[Counter]:
    out = []
    for measure in facts.measures:
        count = measure.count(text, None)
        state = "over" if count > measure.limit else "near" if count >= measure.limit * NEAR_LIMIT else "ok"
        out.append(Counter(_unit_words(tr, measure), count, measure.limit, state))
    return out


def _split(text: str, spans: Sequence[tuple[int, int, str, int | None]]) -> list[Segment]:
    """The text cut at non-overlapping spans (start, end, kind, finding number); earlier spans win."""
    out: list[Segment] = []
    cursor = 0
    for start, end, kind, number in sorted(spans, key=lambda s: (s[0], -s[1])):
        if start < cursor or end <= start:
            continue
        if start > cursor:
            out.append(Segment(text[cursor:start]))
        out.append(Segment(text[start:end], kind, number))
        cursor = end
    if cursor < len(text):
        out.append(Segment(text[cursor:]))
    return out


def marked_text(text: str, findings: Sequence[ShownFinding], raw: Sequence[Finding]) -> list[Segment]:
    spans = [(f.start, f.end, "mark", shown.number) for shown, f in zip(findings, raw, strict=True) if f.end > f.start]
    return _split(text, spans)


def preview(tr: Reader, facts: ChannelFacts, text: str) -> tuple[list[Segment], str]:
    """The post as the platform shows it: entities highlighted; what the platform folds behind "more",
    or refuses (over its limit), set apart. Returns the segments and a sentence about the fold."""
    spans: list[tuple[int, int, str, int | None]] = [(e.start, e.end, e.kind, None) for e in find_entities(text)]
    cut = len(text)
    for measure in facts.measures:
        if measure.count(text, None) > measure.limit:
            cut = min(cut, overflow_offset(text, measure))
    note = ""
    fold = FOLDS.get(facts.counting or "")
    shown = text[:cut]
    if fold is not None and len(shown) > fold:
        note = tr.gettext("%(platform)s shows the first %(n)s characters; the rest is behind “more”.") % {
            "platform": platform_words(tr, None, facts.counting or ""),
            "n": tr.number(fold),
        }
    segments = _split(shown, [s for s in spans if s[1] <= cut])
    if fold is not None and len(shown) > fold:
        segments = _fold(segments, fold)
    if cut < len(text):
        note = (note + " " if note else "") + tr.gettext("The part marked as over the limit does not fit.")
        segments.append(Segment(text[cut:], "over"))
    return segments, note


def _fold(segments: list[Segment], fold: int) -> list[Segment]:
    out: list[Segment] = []
    seen = 0
    for seg in segments:
        if seen >= fold:
            out.append(Segment(seg.text, "folded"))
        elif seen + len(seg.text) > fold:
            keep = fold - seen
            out.append(Segment(seg.text[:keep], seg.kind))
            out.append(Segment(seg.text[keep:], "folded"))
        else:
            out.append(seg)
        seen += len(seg.text)
    return out


def time_live(tr: Reader, form: ComposeForm, workspace_zone: str) -> TimeLive:
    """The publish time as typed, in UTC and in the workspace's zone; whether that wall-clock time exists."""
    local = form.publish_local.strip()
    zone_name = form.time_zone or workspace_zone
    if not local:
        return TimeLive(None, "", "", tr.gettext("No time given: it publishes as soon as it is approved."), "")
    if zone_name not in zone_names():
        return TimeLive(None, "", "", "", tr.gettext("Choose a time zone from the list."))
    try:
        wall = datetime.strptime(local[:16], "%Y-%m-%dT%H:%M")
    except ValueError:
        return TimeLive(None, "", "", "", tr.gettext("Give a date and a time, e.g. 2026-12-08 09:00."))
    zone = ZoneInfo(zone_name)
    first, second = wall.replace(tzinfo=zone, fold=0), wall.replace(tzinfo=zone, fold=1)
    note = ""
    back = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    if back != wall:
        note = tr.gettext(
            "%(time)s does not exist in %(zone)s (the clocks move forward); it publishes at %(actual)s."
        ) % {
            "time": wall.strftime("%H:%M"),
            "zone": zone_name,
            "actual": Reader(tr.locale, zone_name).instant(first.astimezone(UTC)),
        }
    elif first.utcoffset() != second.utcoffset():
        note = tr.gettext("%(time)s happens twice in %(zone)s (the clocks go back); the first one is meant.") % {
            "time": wall.strftime("%H:%M"),
            "zone": zone_name,
        }
    utc = first.astimezone(UTC)
    return TimeLive(
        utc=utc,
        utc_words=Reader(tr.locale, "UTC").instant(utc),
        workspace_words=Reader(tr.locale, workspace_zone).instant(utc),
        note=note,
        error="",
    )


def _diff_parts(tr: Reader, names: Mapping[str, str], reviewed: RevisionRef, typed: RevisionRef) -> list[DiffPart]:
    diff = diff_revisions("", reviewed, typed)
    parts = []
    for text in diff.texts:
        if not text.changed:
            continue
        title = (
            tr.gettext("Text for every channel")
            if text.channel_id is None
            else tr.gettext("Own text for %(channel)s") % {"channel": names.get(text.channel_id, text.channel_id)}
        )
        lines = []
        for line in text.unified.splitlines():
            if line.startswith(("---", "+++")):
                continue
            kind = "head" if line.startswith("@@") else {"+": "add", "-": "remove"}.get(line[:1], "context")
            lines.append(DiffLine(kind, line if kind == "head" else line[1:]))
        parts.append(DiffPart(title, lines))
    return parts


def _check(
    ctx: AppContext, user: Actor, workspace_id: str, channel: str, text: str, media: list[MediaRow]
) -> list[Finding]:
    """The brand check of POST /workspaces/{id}/brand/check, through that route's own function."""
    try:
        attached = [CheckedMedia(url=m.url.strip(), alt_text=m.alt_text.strip()) for m in media]
        body = BrandCheckBody(text=text, channel_id=channel, media=attached)
    except ValidationError:
        return []
    return check_text(workspace_id, body, ctx, user).findings


def live_channels(
    ctx: AppContext, user: Actor, tr: Reader, workspace_id: str, form: ComposeForm, facts: Sequence[ChannelFacts]
) -> tuple[list[ChannelLive], dict[str, list[Finding]]]:
    out, raw = [], {}
    for channel in facts:
        text = form.text_for(channel.id)
        chosen = channel.id in form.channels
        found = _check(ctx, user, workspace_id, channel.id, text, form.media_for(channel.id)) if chosen and text else []
        raw[channel.id] = found
        where = f"variant-{channel.id}" if form.own_text(channel.id) else "text"
        shown = [
            ShownFinding(n + 1, n, f.level.value, f.message, f.match, f.replacement, where) for n, f in enumerate(found)
        ]
        segments, fold_note = preview(tr, channel, text)
        out.append(
            ChannelLive(
                id=channel.id,
                name=channel.name,
                platform_words=platform_words(tr, channel.counting, channel.platform),
                chosen=chosen,
                inherits=form.own_text(channel.id) is None,
                findings=shown,
                marked=marked_text(text, shown, found),
                counters=counters(tr, channel, text),
                preview=segments,
                fold_note=fold_note,
                blocking=any(f.blocks_approval for f in found),
            )
        )
    return out, raw


def _announce(tr: Reader, chans: Sequence[ChannelLive]) -> str:
    chosen = [c for c in chans if c.chosen]
    total = sum(len(c.findings) for c in chosen)
    over = [c.name for c in chosen if any(k.state == "over" for k in c.counters)]
    words = tr.ngettext("%(n)s finding.", "%(n)s findings.", total) % {"n": tr.number(total)}
    if over:
        words += " " + tr.gettext("Too long for %(channels)s.") % {"channels": ", ".join(over)}
    return words


def live_view(
    ctx: AppContext,
    user: Actor,
    tr: Reader,
    workspace_id: str,
    form: ComposeForm,
    facts: Sequence[ChannelFacts],
    workspace_zone: str,
    reviewed: RevisionRef | None = None,
) -> LiveView:
    """Everything beside the text: per channel findings, counters and preview; the time; the diff."""
    chans, _ = live_channels(ctx, user, tr, workspace_id, form, facts)
    diff = None
    if reviewed is not None:
        typed = typed_revision(form)
        diff = _diff_parts(tr, {f.id: f.name for f in facts}, reviewed, typed) if typed else []
    return LiveView(chans, time_live(tr, form, workspace_zone), diff, _announce(tr, chans))


def apply_replacement(
    ctx: AppContext, user: Actor, workspace_id: str, form: ComposeForm, choice: str
) -> tuple[ComposeForm, str | None, Finding | None]:
    """Apply finding `choice` ("channel:index") of the check run now on the text as posted: the field it
    changed ("text" or "variant-<channel>") and the finding, or (form, None, None) when it no longer applies."""
    channel, _, index = choice.rpartition(":")
    if channel not in form.channels or not index.isdigit():
        return form, None, None
    text = form.text_for(channel)
    found = _check(ctx, user, workspace_id, channel, text, form.media_for(channel))
    number = int(index)
    if number >= len(found):
        return form, None, None
    finding = found[number]
    if finding.replacement is None or text[finding.start : finding.end] != finding.match:
        return form, None, None
    changed = text[: finding.start] + finding.replacement + text[finding.end :]
    if form.own_text(channel) is not None:
        form.variants[channel] = changed
        return form, f"variant-{channel}", finding
    form.text = changed
    return form, "text", finding


# ---- the page ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Comment:
    author: str
    at: datetime
    body: str
    quote: str | None
    channel: str | None
    kind: str  # comment | request


@dataclass
class ComposeView:
    chrome: Chrome | None  # None: the live fragment only
    workspace_id: str
    workspace_zone: str
    form: ComposeForm
    channels: list[ChannelFacts]
    live: LiveView
    zones: list[str]
    errors: dict[str, str] = field(default_factory=dict)
    post_id: str | None = None  # None: a new post
    status: str = ""
    status_words: str = ""
    revision: int = 0
    reviewed_revision: int | None = None
    comments: list[Comment] = field(default_factory=list)
    actions: dict[str, bool] = field(default_factory=dict)  # save, submit
    focus: str | None = None  # the field to focus after a replacement
    notice: str = ""
    # A new post's form sends this back: a double submit of one render makes one post (web.pages_compose).
    idempotency_key: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def action_url(self) -> str:
        if self.post_id is None:
            return f"/w/{self.workspace_id}/compose"
        return f"/w/{self.workspace_id}/posts/{self.post_id}/revise"


def zones_for(chosen: Sequence[str]) -> list[str]:
    return sorted(zone_names() | {z for z in chosen if z})


def reviewed_revision(ctx: AppContext, post: Post, names: dict[str, str]) -> tuple[RevisionRef | None, list[Comment]]:
    """The revision the reviewers last asked to change, their requests and the comment thread on it."""
    with transaction(ctx.engine) as session:
        trail = audit_trail(session, post.id)
        asked = [e for e in trail if e.action == AuditAction.CHANGES_REQUESTED.value]
        if not asked:
            return None, []
        number = asked[-1].revision
        row = get_revision(session, post.id, number)
        thread = comments_on(session, post.id, number, limit=200)
    if row is None:
        return None, []
    out = []
    for entry in asked:
        if entry.revision != number:
            continue
        detail = json.loads(entry.detail or "{}")
        out.append(
            Comment(name_of(names, entry.actor), entry.at, str(detail.get("comment") or ""), None, None, "request")
        )
    for c in thread:
        out.append(Comment(name_of(names, c.author), c.created_at, c.body, c.quote, c.channel_id, "comment"))
    out.sort(key=lambda c: c.at)
    return revision_ref(row), out


async def compose_view(
    ctx: AppContext,
    user: Actor,
    tr: Reader,
    *,
    workspace_id: str,
    csrf: str = "",
    form: ComposeForm | None = None,
    post_id: str | None = None,
    errors: dict[str, str] | None = None,
    focus: str | None = None,
    notice: str = "",
) -> ComposeView:
    """The compose page (post_id None) or the revise page of a post, with the form as given (else the
    post's current revision, or an empty form with the reader's zone)."""
    member = own_workspace(user, workspace_id)
    facts = await asyncio.to_thread(services.workspace_facts, ctx, workspace_id)
    zone = facts.workspace.time_zone
    tr = tr.defaulting_to(zone)
    chrome = await asyncio.to_thread(chrome_for, ctx, user, workspace_id, csrf, tr)
    chans = await asyncio.to_thread(channel_facts, ctx, workspace_id)
    may_edit = services.may(member, "editor")
    status, reviewed, revision = "", None, 0
    comments: list[Comment] = []
    if post_id is not None:
        post, _ = await asyncio.to_thread(services.visible_post, ctx, user, workspace_id, post_id)
        state = await services.live_state(ctx, post)
        status = state.status.value
        revision = state.revision.number
        if form is None:
            form = form_of_post(post, state.revision, zone)
        reviewed, comments = await asyncio.to_thread(reviewed_revision, ctx, post, facts.names)
        draft = status == PostStatus.DRAFT.value
        actions = {"save": may_edit and draft, "submit": may_edit}
    else:
        if form is None:
            start = (datetime.now(UTC) + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
            local = start.astimezone(ZoneInfo(tr.zone or zone))
            default_channels = [chans[0].id] if len(chans) == 1 else []
            form = ComposeForm(
                channels=default_channels, publish_local=local.strftime("%Y-%m-%dT%H:%M"), time_zone=tr.zone or zone
            )
        actions = {"save": may_edit, "submit": may_edit}
    live = await asyncio.to_thread(live_view, ctx, user, tr, workspace_id, form, chans, zone, reviewed)
    return ComposeView(
        chrome=chrome,
        workspace_id=workspace_id,
        workspace_zone=zone,
        form=form,
        channels=chans,
        live=live,
        zones=zones_for([form.time_zone, zone]),
        errors=errors or {},
        post_id=post_id,
        status=status,
        status_words=status_words_of(tr, status),
        revision=revision,
        reviewed_revision=reviewed.number if reviewed else None,
        comments=comments,
        actions=actions,
        focus=focus,
        notice=notice,
    )


def status_words_of(tr: Reader, status: str) -> str:
    return status_words(tr, PostStatus(status)) if status else ""


def latest_ref(ctx: AppContext, post: Post) -> RevisionRef:
    with transaction(ctx.engine) as session:
        return latest_revision_ref(session, post.id)


async def check_view(
    ctx: AppContext, user: Actor, tr: Reader, *, workspace_id: str, form_data: Any, post_id: str | None
) -> ComposeView:
    """The live part only (what the live check sends back while the editor types): one trip to a thread."""
    own_workspace(user, workspace_id)
    return await asyncio.to_thread(_check_view, ctx, user, tr, workspace_id, form_data, post_id)


def _check_view(
    ctx: AppContext, user: Actor, tr: Reader, workspace_id: str, form_data: Any, post_id: str | None
) -> ComposeView:
    with transaction(ctx.engine) as session:
        workspace = session.get(Workspace, workspace_id)
        chans = _channel_facts(session, workspace_id)
    if workspace is None:
        raise HTTPException(404, f"workspace '{workspace_id}' not found")
    zone = workspace.time_zone
    tr = tr.defaulting_to(zone)
    reviewed = None
    fixed = None
    if post_id:
        post, _ = services.visible_post(ctx, user, workspace_id, post_id)
        fixed = channel_ids(post)
        reviewed, _ = reviewed_revision(ctx, post, {})
    form = read_form(form_data, [c.id for c in chans], fixed_channels=fixed)
    live = live_view(ctx, user, tr, workspace_id, form, chans, zone, reviewed)
    return ComposeView(
        chrome=None,
        workspace_id=workspace_id,
        workspace_zone=zone,
        form=form,
        channels=chans,
        live=live,
        zones=[],
        post_id=post_id,
        reviewed_revision=reviewed.number if reviewed else None,
    )
