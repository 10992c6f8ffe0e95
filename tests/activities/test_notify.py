"""The notify activity against a real SMTP server and a real webhook receiver, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy.engine import Engine
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.notify import NotifyActivities, verify_signature
from domain.notify import DeliveryStatus, Notification, NotificationKind, NotifyResult
from notify_receivers import SECRET, MailSink, WebhookReceiver, smtp_server, webhook_receiver
from servers import free_port
from settings import Settings
from store.credentials import keyring_for
from store.engine import transaction
from store.notifications import add_target
from store.tables import NotificationTarget, Workspace
from store.workspaces import add_workspace

SENDER = "postgate@acme.example"


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[WebhookReceiver, str]]:
    with webhook_receiver() as running:
        yield running


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[MailSink, int]]:
    with smtp_server() as running:
        yield running


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest) -> Engine:
    engine: Engine = request.getfixturevalue("engine" if request.param == "sqlite" else "pg_engine")
    with transaction(engine) as session:
        add_workspace(session, Workspace(id="acme", name="Acme"))
        add_workspace(session, Workspace(id="globex", name="Globex"))
    return engine


@pytest.fixture
async def notify(db: Engine, smtp: tuple[MailSink, int]) -> AsyncIterator[NotifyActivities]:
    settings = Settings(smtp_host="127.0.0.1", smtp_port=smtp[1], smtp_from=SENDER)
    async with httpx.AsyncClient() as http:
        yield NotifyActivities(db, http, settings)


def webhook(engine: Engine, url: str, *, enabled: bool = True, workspace: str = "acme") -> int:
    target = NotificationTarget(workspace_id=workspace, kind="webhook", url=url, enabled=enabled)
    return _add(engine, target, secret=SECRET)


def mailbox(engine: Engine, address: str, *, enabled: bool = True, workspace: str = "acme") -> int:
    return _add(engine, NotificationTarget(workspace_id=workspace, kind="email", address=address, enabled=enabled))


def _add(engine: Engine, target: NotificationTarget, secret: str | None = None) -> int:
    with transaction(engine) as session:
        target_id = add_target(session, target, secret=secret, keyring=keyring_for(Settings())).id
    assert target_id is not None
    return target_id


def reminder(key: str) -> Notification:
    return Notification(
        workspace_id="acme",
        post_id="p1",
        kind=NotificationKind.REMINDER,
        subject="Waiting for your approval:\n“Spring menu”",
        body="Ann, the post “Spring menu” has waited an hour for you.\nhttps://postgate.example/posts/p1",
        recipients=["ann"],
        detail={"step": 0, "waited_s": 3600},
        dedupe_key=key,
    )


async def run(activities: NotifyActivities, notification: Notification) -> NotifyResult:
    return await ActivityEnvironment().run(activities.notify, notification)


def statuses(result: NotifyResult) -> dict[int, DeliveryStatus]:
    return {d.target_id: d.status for d in result.deliveries}


def mails_to(sink: MailSink, address: str) -> list[str]:
    return [m.message["Subject"] for m in sink.mails if address in m.rcpt_tos]


async def test_email_arrives_with_subject_body_and_recipient(
    db: Engine, notify: NotifyActivities, smtp: tuple[MailSink, int]
) -> None:
    sink, _ = smtp
    address = f"ops-{db.dialect.name}@acme.example"
    target = mailbox(db, address)

    result = await run(notify, reminder("post-p1/reminder/step0/3600"))

    assert statuses(result) == {target: DeliveryStatus.SENT}
    [mail] = [m for m in sink.mails if address in m.rcpt_tos]
    assert mail.mail_from == SENDER and mail.rcpt_tos == [address]
    assert mail.message["From"] == SENDER and mail.message["To"] == address
    assert mail.message["Subject"] == "Waiting for your approval: “Spring menu”"  # one line, as a header must be
    assert mail.message.get_content_type() == "text/plain"
    assert mail.message.get_content().replace("\r\n", "\n").strip() == reminder("k").body  # SMTP sends CRLF


async def test_webhook_arrives_signed_and_a_tampered_body_fails_verification(
    db: Engine, notify: NotifyActivities, receiver: tuple[WebhookReceiver, str]
) -> None:
    hooks, url = receiver
    path = f"/200/{db.dialect.name}-signed"
    target = webhook(db, f"{url}{path}")

    result = await run(notify, reminder("post-p1/reminder/step0/3600"))

    assert statuses(result) == {target: DeliveryStatus.SENT}
    [call] = hooks.to(path)
    assert call.verified
    payload = json.loads(call.body)
    assert payload["id"] == payload["dedupe_key"] == "post-p1/reminder/step0/3600"
    assert payload["kind"] == "reminder" and payload["post_id"] == "p1" and payload["recipients"] == ["ann"]
    assert payload["detail"] == {"step": 0, "waited_s": 3600}
    sent_at = datetime.fromisoformat(payload["sent_at"].replace("Z", "+00:00"))
    assert abs(sent_at.timestamp() - int(call.timestamp)) < 1
    tampered = call.body.replace(b"Spring menu", b"Autumn menu")
    assert tampered != call.body
    assert not verify_signature(SECRET, call.timestamp, tampered, call.signature)
    assert not verify_signature("another-secret-of-16+", call.timestamp, call.body, call.signature)
    later = datetime.now(UTC) + timedelta(minutes=6)
    assert not verify_signature(SECRET, call.timestamp, call.body, call.signature, now=later)  # a replay, too late
    assert verify_signature(SECRET, call.timestamp, call.body, call.signature, tolerance_seconds=600, now=later)


async def test_a_retried_call_with_the_same_key_sends_nothing_twice(
    db: Engine, notify: NotifyActivities, receiver: tuple[WebhookReceiver, str], smtp: tuple[MailSink, int]
) -> None:
    hooks, url = receiver
    sink, _ = smtp
    address = f"twice-{db.dialect.name}@acme.example"
    path = f"/200/{db.dialect.name}-twice"
    mail_target, hook_target = mailbox(db, address), webhook(db, f"{url}{path}")
    webhook(db, f"{url}/200/globex-{db.dialect.name}", workspace="globex")  # another workspace's target

    first = await run(notify, reminder("post-p1/reminder/step0/3600"))
    again = await run(notify, reminder("post-p1/reminder/step0/3600"))
    other = await run(notify, reminder("post-p1/reminder/step0/7200"))

    assert statuses(first) == {mail_target: DeliveryStatus.SENT, hook_target: DeliveryStatus.SENT}
    assert statuses(again) == {mail_target: DeliveryStatus.SKIPPED, hook_target: DeliveryStatus.SKIPPED}
    assert statuses(other) == {mail_target: DeliveryStatus.SENT, hook_target: DeliveryStatus.SENT}
    assert len(mails_to(sink, address)) == 2 and len(hooks.to(path)) == 2  # one per dedupe key
    assert hooks.to(f"/200/globex-{db.dialect.name}") == []


async def test_a_5xx_raises_and_the_retry_sends_only_to_the_targets_still_waiting(
    db: Engine, notify: NotifyActivities, receiver: tuple[WebhookReceiver, str], smtp: tuple[MailSink, int]
) -> None:
    hooks, url = receiver
    sink, _ = smtp
    address = f"flaky-{db.dialect.name}@acme.example"
    path = f"/flaky/{db.dialect.name}"
    mail_target, hook_target = mailbox(db, address), webhook(db, f"{url}{path}")

    with pytest.raises(ApplicationError) as failure:
        await run(notify, reminder("post-p1/escalation/step0"))
    assert not failure.value.non_retryable and failure.value.type == "NotificationNotDelivered"
    assert "HTTP 500" in failure.value.message and f"target {hook_target}" in failure.value.message
    assert url not in failure.value.message  # a webhook URL may hold a token; only its host is named

    retried = await run(notify, reminder("post-p1/escalation/step0"))

    assert statuses(retried) == {mail_target: DeliveryStatus.SKIPPED, hook_target: DeliveryStatus.SENT}
    assert len(mails_to(sink, address)) == 1
    assert len(hooks.to(path)) == 2 and all(call.verified for call in hooks.to(path))


async def test_an_unreachable_webhook_raises_for_a_retry(db: Engine, notify: NotifyActivities) -> None:
    webhook(db, f"http://127.0.0.1:{free_port()}/hook")  # nothing listens there

    with pytest.raises(ApplicationError) as failure:
        await run(notify, reminder("post-p1/expired"))
    assert not failure.value.non_retryable and "could not connect" in failure.value.message


async def test_a_4xx_is_recorded_as_failed_and_never_retried(
    db: Engine, notify: NotifyActivities, receiver: tuple[WebhookReceiver, str]
) -> None:
    hooks, url = receiver
    path = f"/400/{db.dialect.name}"
    target = webhook(db, f"{url}{path}")

    result = await run(notify, reminder("post-p1/publish_failed"))
    again = await run(notify, reminder("post-p1/publish_failed"))

    [delivery] = result.deliveries
    assert delivery.status is DeliveryStatus.FAILED and delivery.target_id == target
    assert delivery.error is not None and "HTTP 400" in delivery.error and "not today" in delivery.error
    assert again.deliveries == result.deliveries
    assert len(hooks.to(path)) == 1


async def test_smtp_temporary_refusals_retry_and_permanent_ones_are_recorded(
    db: Engine, notify: NotifyActivities, smtp: tuple[MailSink, int]
) -> None:
    sink, _ = smtp
    busy = mailbox(db, f"temp@{db.dialect.name}.acme.example")
    unknown = mailbox(db, f"nobody@{db.dialect.name}.acme.example")
    fine = mailbox(db, f"fine@{db.dialect.name}.acme.example")

    with pytest.raises(ApplicationError) as failure:
        await run(notify, reminder("post-p1/reminder/step1/3600"))
    assert not failure.value.non_retryable and "451" in failure.value.message
    assert f"target {unknown}" not in failure.value.message and f"target {busy}" in failure.value.message

    with pytest.raises(ApplicationError):  # still busy: only that one is tried again
        await run(notify, reminder("post-p1/reminder/step1/3600"))
    assert len(mails_to(sink, f"fine@{db.dialect.name}.acme.example")) == 1

    # Once the busy mailbox is disabled, the notification completes with what happened at each target.
    with transaction(db) as session:
        row = session.get(NotificationTarget, busy)
        assert row is not None
        row.enabled = False
    result = await run(notify, reminder("post-p1/reminder/step1/3600"))
    assert statuses(result) == {unknown: DeliveryStatus.FAILED, fine: DeliveryStatus.SKIPPED}
    assert "550" in (result.deliveries[0].error or "")


async def test_a_disabled_target_gets_nothing(
    db: Engine, notify: NotifyActivities, receiver: tuple[WebhookReceiver, str], smtp: tuple[MailSink, int]
) -> None:
    hooks, url = receiver
    sink, _ = smtp
    address = f"off-{db.dialect.name}@acme.example"
    path = f"/200/{db.dialect.name}-off"
    mailbox(db, address, enabled=False)
    webhook(db, f"{url}{path}", enabled=False)

    result = await run(notify, reminder("post-p1/reminder/step0/3600"))

    assert result.deliveries == []
    assert mails_to(sink, address) == [] and hooks.to(path) == []
