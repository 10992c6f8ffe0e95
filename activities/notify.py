"""Sends a notification to every enabled target of its workspace, once per target and dedupe key.

Webhooks get signed JSON (the channel webhook's scheme: `X-Postgate-Signature: sha256=<HMAC-SHA256 of
"<timestamp>.<body>">`, receivers check it with `verify_signature`); e-mail goes out over SMTP. A refusal
(4xx, a rejected address) is recorded and not retried; anything that may pass later (5xx, timeouts, SMTP
4xx) makes the activity raise, and Temporal's retry sends only to the targets still waiting.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from urllib.parse import urlsplit

import httpx
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import names
from domain.notify import Delivery, DeliveryStatus, Notification, NotifyResult, TargetKind
from platforms import webhook
from platforms.http_errors import scrub
from platforms.outbound import UNREACHABLE, is_refused
from settings import Settings
from store.credentials import CredentialError, keyring_for
from store.engine import transaction
from store.notifications import outcomes, record_outcome, targets
from store.tables import NotificationTarget
from store.target_secrets import target_secret

WEBHOOK_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
SMTP_TIMEOUT_S = 30.0


def verify_signature(
    secret: str | bytes,
    timestamp: str,
    body: bytes,
    header: str,
    tolerance_seconds: float = 300,
    now: datetime | None = None,
) -> bool:
    """Whether a notification webhook is genuine and recent, given the raw body bytes as received.

    Constant-time, and a timestamp further than `tolerance_seconds` from now fails, so a captured request
    cannot be replayed later. The same scheme as the webhook channel, so one receiver check serves both.
    """
    return webhook.verify_signature(secret, timestamp, body, header, tolerance_s=tolerance_seconds, now=now)


@dataclass(frozen=True)
class Attempt:
    """One delivery attempt: sent, refused for good, or failed in a way a retry may fix."""

    sent: bool
    error: str | None = None
    retryable: bool = False


class NotificationSender:
    """Delivers one notification to one target, without touching the database (the API's test uses it too)."""

    def __init__(self, http: httpx.AsyncClient, settings: Settings) -> None:
        self._http = http
        self._settings = settings

    async def deliver(self, target: NotificationTarget, notification: Notification) -> Attempt:
        if target.kind == TargetKind.WEBHOOK:
            return await self._webhook(target, notification)
        if target.kind == TargetKind.EMAIL:
            return await asyncio.to_thread(self._email, target, notification)
        return Attempt(sent=False, error=f"unknown target kind '{target.kind}'")

    async def _webhook(self, target: NotificationTarget, notification: Notification) -> Attempt:
        # Only the host goes into messages: webhook URLs often carry a token in their path.
        where = f"webhook at {urlsplit(target.url or '').hostname or '?'}"
        try:
            # Sealed at rest (store/target_secrets.py); opened only to sign this request.
            secret = target_secret(target, keyring_for(self._settings))
        except CredentialError as err:
            return Attempt(sent=False, error=f"{where}: {err}")
        if not target.url or not secret:
            return Attempt(sent=False, error=f"{where} has no url or secret; delete it and add it again")
        now = datetime.now(UTC)
        payload = {
            "id": notification.dedupe_key,
            "sent_at": now.isoformat().replace("+00:00", "Z"),
            **notification.model_dump(mode="json"),
        }
        # The bytes sent are the bytes signed, so the body is serialised here rather than by httpx.
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        timestamp = str(int(now.timestamp()))
        headers = {
            "Content-Type": "application/json",
            webhook.TIMESTAMP_HEADER: timestamp,
            webhook.SIGNATURE_HEADER: webhook.sign(secret, timestamp, body),
        }
        try:
            response = await self._http.post(target.url, content=body, headers=headers, timeout=WEBHOOK_TIMEOUT)
        except httpx.ConnectError as exc:
            # The same words for a closed port, a filtered one and an address postgate may not reach; only the
            # last is final (platforms/outbound.py).
            return Attempt(sent=False, error=f"{where}: {UNREACHABLE}", retryable=not is_refused(exc))
        except httpx.TransportError as exc:
            return Attempt(sent=False, error=f"{where} could not be reached ({type(exc).__name__})", retryable=True)
        status = response.status_code
        if 200 <= status < 300:
            return Attempt(sent=True)
        answer = scrub(response.text.strip()[:200], (secret, target.url))
        error = f"{where} answered HTTP {status}" + (f": {answer}" if answer else "")
        # 408 and 429 say "not now" rather than "never"; every other 3xx/4xx will be refused again.
        return Attempt(sent=False, error=error, retryable=status >= 500 or status in (408, 429))

    def _email(self, target: NotificationTarget, notification: Notification) -> Attempt:
        """Runs in a thread: smtplib blocks."""
        settings = self._settings
        server = f"mail server {settings.smtp_host}:{settings.smtp_port}"
        if not target.address:
            return Attempt(sent=False, error="e-mail target has no address; delete it and add it again")
        message = EmailMessage()
        message["From"] = settings.smtp_from
        message["To"] = target.address
        message["Subject"] = notification.subject
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = _message_id(notification.dedupe_key, target.id, settings.smtp_from)
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to a robot
        message.set_content(notification.body)
        try:
            with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT_S) as smtp:
                if settings.smtp_starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if settings.smtp_username:
                    password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
                    smtp.login(settings.smtp_username, password)
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            replies = "; ".join(f"{code} {_text(reply)}" for code, reply in exc.recipients.values())
            return Attempt(
                sent=False,
                error=f"{server} refused {target.address}: {replies}",
                retryable=not all(_permanent(code) for code, _ in exc.recipients.values()),
            )
        except smtplib.SMTPResponseException as exc:
            return Attempt(
                sent=False,
                error=f"{server} answered {exc.smtp_code} {_text(exc.smtp_error)}",
                retryable=not _permanent(exc.smtp_code),
            )
        except smtplib.SMTPNotSupportedError as exc:
            return Attempt(sent=False, error=f"{server}: {exc} Check the POSTGATE_SMTP_ settings.")
        except (smtplib.SMTPException, OSError) as exc:
            return Attempt(sent=False, error=f"{server} failed: {type(exc).__name__}: {exc}", retryable=True)
        return Attempt(sent=True)


class NotifyActivities:
    def __init__(self, engine: Engine, http: httpx.AsyncClient, settings: Settings) -> None:
        self._engine = engine
        self._sender = NotificationSender(http, settings)

    @activity.defn(name=names.NOTIFY)
    async def notify(self, notification: Notification) -> NotifyResult:
        pending, earlier = await asyncio.to_thread(self._load, notification)
        if not pending and not earlier:
            activity.logger.warning(
                "workspace %s has no enabled notification target; %s reached nobody",
                notification.workspace_id,
                notification.dedupe_key,
            )
        # Each target is recorded as soon as it is done, so a crash or a retry never sends to it again; every
        # delivery runs to its end even if another fails unexpectedly, so none is cut off between send and record.
        results = await asyncio.gather(*(self._deliver(t, notification) for t in pending), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        attempts = [result for result in results if not isinstance(result, BaseException)]
        deliveries = earlier + [delivery for delivery, _ in attempts if delivery is not None]
        waiting = [error for _, error in attempts if error is not None]
        if waiting:
            raise ApplicationError(
                f"{len(waiting)} of {len(pending) + len(earlier)} notification targets not reached yet: "
                + "; ".join(waiting),
                type="NotificationNotDelivered",
            )
        return NotifyResult(deliveries=sorted(deliveries, key=lambda d: d.target_id))

    def _load(self, notification: Notification) -> tuple[list[NotificationTarget], list[Delivery]]:
        """The enabled targets still waiting for this notification, and what earlier attempts did at the others."""
        with transaction(self._engine) as session:
            enabled = targets(session, notification.workspace_id, enabled_only=True)
            done = outcomes(session, notification.dedupe_key)
        pending, earlier = [], []
        for target in enabled:
            assert target.id is not None
            row = done.get(target.id)
            if row is None:
                pending.append(target)
            elif row.status == DeliveryStatus.SENT:
                earlier.append(
                    Delivery(target_id=target.id, kind=TargetKind(target.kind), status=DeliveryStatus.SKIPPED)
                )
            else:
                earlier.append(
                    Delivery(
                        target_id=target.id, kind=TargetKind(target.kind), status=DeliveryStatus.FAILED, error=row.error
                    )
                )
        return pending, earlier

    async def _deliver(
        self, target: NotificationTarget, notification: Notification
    ) -> tuple[Delivery | None, str | None]:
        """The recorded delivery, or the reason to retry."""
        assert target.id is not None
        attempt = await self._sender.deliver(target, notification)
        if attempt.retryable:
            return None, f"target {target.id}: {attempt.error}"
        status = DeliveryStatus.SENT if attempt.sent else DeliveryStatus.FAILED
        await asyncio.to_thread(self._record, notification.dedupe_key, target.id, status, attempt.error)
        return Delivery(target_id=target.id, kind=TargetKind(target.kind), status=status, error=attempt.error), None

    def _record(self, dedupe_key: str, target_id: int, status: DeliveryStatus, error: str | None) -> None:
        try:
            with transaction(self._engine) as session:
                record_outcome(session, dedupe_key, target_id, status, error)
        except IntegrityError:
            # A concurrent attempt recorded it first, or the target was deleted meanwhile: nothing to keep.
            pass


def _message_id(dedupe_key: str, target_id: int | None, sender: str) -> str:
    # Stable per notification and target, so a mail system that sees it twice can tell it is the same one.
    digest = hashlib.sha256(f"{dedupe_key}\n{target_id}".encode()).hexdigest()[:32]
    domain = parseaddr(sender)[1].rpartition("@")[2] or "postgate"
    return f"<{digest}@{domain}>"


def _permanent(smtp_code: int) -> bool:
    # SMTP's own split: 4xx is temporary, 5xx permanent (bad login, sender or message refused).
    return 500 <= smtp_code < 600


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
