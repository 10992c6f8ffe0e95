"""The calendar (month, week and list of the workspace's scheduled and published posts, in my zone) and the
iCal feed of the same schedule. Built by functions a test calls without a browser."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from fastapi import HTTPException
from icalendar import Calendar, Event
from sqlalchemy.exc import IntegrityError

from api.deps import Actor, AppContext, own_workspace
from api.schemas import PUBLISH_HORIZON
from domain.status import PostStatus
from store.accounts import get_membership
from store.calendar import active_feed, create_feed, feed_of, revoke_feeds, scheduled_posts
from store.engine import transaction
from store.posts import channel_ids
from store.tables import Post
from store.workspaces import get_workspace
from web import services
from web.i18n import Reader, zone_abbreviation
from web.post_actions import may_reschedule
from web.views import Chrome, chrome_for, excerpt, post_url
from web.views_postpage import local_input, zone_choices
from web.words import STATUS_TONE, status_words

VIEWS = ("month", "week", "list")
# What the calendar shows: posts with a time that is or was meant to be kept.
CALENDAR_STATUSES = (
    PostStatus.AWAITING_APPROVAL,
    PostStatus.SCHEDULED,
    PostStatus.ON_HOLD,
    PostStatus.PUBLISHING,
    PostStatus.PUBLISHED,
    PostStatus.PUBLISH_FAILED,
    PostStatus.DONE,
    PostStatus.UNPUBLISHED,
)
PALETTE_SIZE = 8  # channel colours (postgate.css .ch-0 ... .ch-7), always beside the channel's name
FEED_PAST = timedelta(days=90)  # and everything ahead, as far as a post can be scheduled
EVENT_LENGTH = timedelta(minutes=15)
FEED_ATTEMPTS = 5


@dataclass(frozen=True)
class ChannelTag:
    id: str
    name: str
    colour: int  # index into the palette


@dataclass(frozen=True)
class CalendarEntry:
    id: str
    url: str
    at: datetime
    time_words: str  # "09:00" in my zone
    excerpt: str
    status: str
    status_words: str
    tone: str
    channels: list[ChannelTag]
    reschedule: bool  # the rules let me move it (web.post_actions)
    local_publish_at: str  # for the reschedule form, in my zone


@dataclass(frozen=True)
class CalendarDay:
    day: date
    label: str  # "Tue 8 Dec"
    short: str  # "8"
    in_range: bool  # in the month shown (a month grid pads with the neighbours' days)
    today: bool
    entries: list[CalendarEntry]


@dataclass(frozen=True)
class CalendarView:
    chrome: Chrome
    workspace_id: str
    view: str
    title: str
    weekdays: list[str]
    weeks: list[list[CalendarDay]]  # month and week
    days: list[CalendarDay]  # list: only the days with posts
    prev_url: str
    next_url: str
    today_url: str
    view_urls: list[tuple[str, str, str]]  # (view, words, url)
    channels: list[ChannelTag]
    channel_filter: str
    statuses: list[tuple[str, str]]
    status_filter: str
    zone: str
    zone_words: str
    zones: list[str]
    count: int
    back: str  # this calendar's URL, for a reschedule to come back to


def calendar_url(workspace_id: str, **query: str) -> str:
    kept = {k: v for k, v in query.items() if v}
    return f"/w/{workspace_id}/calendar" + (f"?{urlencode(kept)}" if kept else "")


def _range(view: str, anchor: date) -> tuple[date, date, date, date]:
    """The first and last day shown, and the anchors of the previous and next page."""
    if view == "week":
        start = anchor - timedelta(days=anchor.weekday())
        return start, start + timedelta(days=6), start - timedelta(days=7), start + timedelta(days=7)
    first = anchor.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    previous = (first - timedelta(days=1)).replace(day=1)
    if view == "list":
        return first, following - timedelta(days=1), previous, following
    start = first - timedelta(days=first.weekday())
    last = following - timedelta(days=1)
    end = last + timedelta(days=6 - last.weekday())
    return start, end, previous, following


def _instant(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def channel_tags(names: dict[str, str]) -> dict[str, ChannelTag]:
    return {c: ChannelTag(id=c, name=names[c], colour=i % PALETTE_SIZE) for i, c in enumerate(sorted(names))}


def _rows(
    ctx: AppContext, workspace_id: str, start: datetime, end: datetime, statuses: tuple[str, ...]
) -> list[tuple[Post, str]]:
    with transaction(ctx.engine) as session:
        return scheduled_posts(session, workspace_id, start, end, statuses)


async def calendar_view(
    ctx: AppContext,
    user: Actor,
    tr: Reader,
    *,
    workspace_id: str,
    view: str = "month",
    anchor: str = "",
    channel: str = "",
    status: str = "",
    csrf: str = "",
    today: date | None = None,
) -> CalendarView:
    """The calendar page: the workspace's posts in the range, in the reader's zone, filtered."""
    member = own_workspace(user, workspace_id)
    facts = await asyncio.to_thread(services.workspace_facts, ctx, workspace_id)
    tr = tr.defaulting_to(facts.workspace.time_zone)
    zone = ZoneInfo(tr.zone or "UTC")
    view = view if view in VIEWS else "month"
    today = today or datetime.now(zone).date()
    try:
        shown = date.fromisoformat(anchor) if anchor else today
    except ValueError:
        shown = today
    start, end, previous, following = _range(view, shown)
    tags = channel_tags(facts.channel_names)
    channel = channel if channel in tags else ""
    statuses = tuple(s.value for s in CALENDAR_STATUSES)
    status = status if status in statuses else ""
    since, until = _instant(start, zone), _instant(end + timedelta(days=1), zone)
    rows = await asyncio.to_thread(_rows, ctx, workspace_id, since, until, (status,) if status else statuses)
    entries: dict[date, list[CalendarEntry]] = {}
    count = 0
    for post, text in rows:
        targets = channel_ids(post)
        if channel and channel not in targets:
            continue
        local = post.publish_at.astimezone(zone)
        # The post page's rule on the stored status; the route asks the workflow's own validator anyway.
        moved = may_reschedule(member, PostStatus(post.status))
        entries.setdefault(local.date(), []).append(
            CalendarEntry(
                id=post.id,
                url=post_url(workspace_id, post.id),
                at=post.publish_at,
                time_words=format_time(local, "HH:mm" if tr.locale == "en" else "HH.mm", locale=tr.locale),
                excerpt=excerpt(text),
                status=post.status,
                status_words=status_words(tr, PostStatus(post.status)),
                tone=STATUS_TONE[PostStatus(post.status)],
                channels=[tags.get(c, ChannelTag(id=c, name=c, colour=0)) for c in targets],
                reschedule=moved,
                local_publish_at=local_input(post.publish_at, tr.zone or "UTC"),
            )
        )
        count += 1

    def day_of(d: date) -> CalendarDay:
        return CalendarDay(
            day=d,
            label=format_date(d, "EEE d MMM", locale=tr.locale),
            short=format_date(d, "d", locale=tr.locale),
            in_range=view != "month" or d.month == shown.month,
            today=d == today,
            entries=entries.get(d, []),
        )

    span = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    weeks = [[day_of(d) for d in span[i : i + 7]] for i in range(0, len(span), 7)] if view != "list" else []
    days = [day_of(d) for d in span if d in entries] if view == "list" else []
    if view == "month":
        title = format_date(shown, "LLLL y", locale=tr.locale)
    elif view == "week":
        title = tr.gettext("Week of %(day)s") % {"day": format_date(start, "d MMMM y", locale=tr.locale)}
    else:
        title = format_date(shown, "LLLL y", locale=tr.locale)
    query = {"channel": channel, "status": status}
    chrome = await asyncio.to_thread(chrome_for, ctx, user, workspace_id, csrf, tr)
    waiting = await services.waiting_for(ctx, user, workspace_id)
    view_words = {"month": tr.gettext("Month"), "week": tr.gettext("Week"), "list": tr.gettext("List")}
    here = calendar_url(workspace_id, view=view, date=shown.isoformat(), **query)
    return CalendarView(
        chrome=Chrome(**{**chrome.__dict__, "waiting_count": len(waiting)}),
        workspace_id=workspace_id,
        view=view,
        title=title,
        weekdays=[format_date(start + timedelta(days=i), "EEE", locale=tr.locale) for i in range(7)],
        weeks=weeks,
        days=days,
        prev_url=calendar_url(workspace_id, view=view, date=previous.isoformat(), **query),
        next_url=calendar_url(workspace_id, view=view, date=following.isoformat(), **query),
        today_url=calendar_url(workspace_id, view=view, **query),
        view_urls=[
            (v, view_words[v], calendar_url(workspace_id, view=v, date=shown.isoformat(), **query)) for v in VIEWS
        ],
        channels=list(tags.values()),
        channel_filter=channel,
        statuses=[(s.value, status_words(tr, s)) for s in CALENDAR_STATUSES],
        status_filter=status,
        zone=tr.zone or "UTC",
        zone_words=tr.gettext("Times are in %(zone)s (%(abbr)s).")
        % {"zone": tr.zone or "UTC", "abbr": zone_abbreviation(datetime.now(zone))},
        zones=zone_choices(tr.zone, facts.workspace.time_zone),
        count=count,
        back=here,
    )


# ---- the iCal feed ---------------------------------------------------------------------------------------


def feed_ics(
    ctx: AppContext, secret: str, base_url: str, locale: str = "en", *, now: datetime | None = None
) -> bytes | None:
    """The workspace's schedule as iCalendar for the feed the secret opens; None for an unknown or revoked
    secret, or when its owner is no longer a member of the workspace."""
    now = now or datetime.now(UTC)
    tr = Reader(locale if locale in ("en", "id") else "en", "UTC")
    with transaction(ctx.engine) as session:
        feed = feed_of(session, secret)
        if feed is None or get_membership(session, feed.user_id, feed.workspace_id) is None:
            return None
        workspace = get_workspace(session, feed.workspace_id)
        statuses = tuple(s.value for s in CALENDAR_STATUSES)
        rows = scheduled_posts(session, feed.workspace_id, now - FEED_PAST, now + PUBLISH_HORIZON, statuses)
    facts = services.workspace_facts(ctx, feed.workspace_id)
    calendar = Calendar()
    calendar.add("prodid", "-//postgate//calendar feed//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"postgate · {workspace.name if workspace else feed.workspace_id}")
    # How often calendar apps should fetch it again (Apple and Outlook read these; Google picks its own pace).
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    for post, text in rows:
        names = [facts.channel_names.get(c, c) for c in channel_ids(post)]
        words = status_words(tr, PostStatus(post.status))
        start = post.publish_at.astimezone(UTC)
        event = Event()
        event.add("uid", f"{post.id}@postgate")  # one event per post, however often it moves
        event.add("dtstamp", now)
        event.add("last-modified", post.updated_at.astimezone(UTC))
        event.add("dtstart", start)
        event.add("dtend", start + EVENT_LENGTH)
        event.add("summary", f"[{', '.join(names)}] {excerpt(text)} ({words})")
        event.add("description", f"{words}\n{text}")
        event.add("url", base_url.rstrip("/") + post_url(post.workspace_id, post.id))
        event.add("categories", names)
        calendar.add_component(event)
    return calendar.to_ical()


@dataclass(frozen=True)
class FeedView:
    chrome: Chrome
    workspace_id: str
    active_since: datetime | None
    url: str | None  # shown once, right after it is made
    calendar_url: str


async def feed_view(
    ctx: AppContext, user: Actor, tr: Reader, *, workspace_id: str, csrf: str = "", url: str | None = None
) -> FeedView:
    own_workspace(user, workspace_id)

    def load() -> datetime | None:
        with transaction(ctx.engine) as session:
            feed = active_feed(session, user.id, workspace_id)
            return feed.created_at if feed else None

    facts = await asyncio.to_thread(services.workspace_facts, ctx, workspace_id)
    tr = tr.defaulting_to(facts.workspace.time_zone)
    chrome = await asyncio.to_thread(chrome_for, ctx, user, workspace_id, csrf, tr)
    return FeedView(
        chrome=chrome,
        workspace_id=workspace_id,
        active_since=await asyncio.to_thread(load),
        url=url,
        calendar_url=calendar_url(workspace_id),
    )


def new_feed(ctx: AppContext, user: Actor, workspace_id: str) -> str:
    """A new secret for the member's feed of the workspace (their earlier one stops working). Two requests at
    once: the unique index of live feeds refuses the second insert, which then revokes the first's and retries."""
    own_workspace(user, workspace_id)
    for attempt in range(FEED_ATTEMPTS):
        try:
            with transaction(ctx.engine) as session:
                return create_feed(session, user.id, workspace_id, now=datetime.now(UTC))
        except IntegrityError:
            if attempt == FEED_ATTEMPTS - 1:
                raise HTTPException(409, "another request is making your feed address; try again") from None
    raise AssertionError("unreachable")


def end_feed(ctx: AppContext, user: Actor, workspace_id: str) -> int:
    own_workspace(user, workspace_id)
    with transaction(ctx.engine) as session:
        return revoke_feeds(session, user.id, workspace_id, now=datetime.now(UTC))
