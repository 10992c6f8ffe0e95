"""A real SMTP server and a real webhook receiver, on free loopback ports, for the notification tests."""

from __future__ import annotations

import email
import email.policy
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from activities.notify import verify_signature
from platforms.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER
from servers import ThreadedServer, free_port

SECRET = "whsec_notify_0123456789abcdef"


@dataclass
class Received:
    path: str
    timestamp: str
    signature: str
    body: bytes
    verified: bool


class WebhookReceiver:
    """POST /<status>/<name> answers that status (/200/x, /400/x); /flaky/<name> answers 500 once, then 200.

    Every request is checked the way a real receiver would: `verify_signature` on the raw body.
    """

    def __init__(self) -> None:
        self.calls: list[Received] = []
        self._seen: Counter[str] = Counter()
        self.app = Starlette(routes=[Route("/{mode:path}", self._hook, methods=["POST"])])

    async def _hook(self, request: Request) -> JSONResponse:
        body = await request.body()
        timestamp = request.headers.get(TIMESTAMP_HEADER, "")
        signature = request.headers.get(SIGNATURE_HEADER, "")
        path = request.url.path
        self.calls.append(
            Received(path, timestamp, signature, body, verify_signature(SECRET, timestamp, body, signature))
        )
        self._seen[path] += 1
        mode = request.path_params["mode"].split("/")[0]
        status = (500 if self._seen[path] == 1 else 200) if mode == "flaky" else int(mode)
        return JSONResponse({"error": "not today"} if status >= 400 else {"ok": True}, status_code=status)

    def to(self, path: str) -> list[Received]:
        return [call for call in self.calls if call.path == path]


@contextmanager
def webhook_receiver() -> Iterator[tuple[WebhookReceiver, str]]:
    receiver = WebhookReceiver()
    with ThreadedServer(receiver.app) as server:
        yield receiver, server.url


@dataclass
class Mail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


class MailSink:
    """An aiosmtpd handler: keeps every message; refuses temp@... with 451 and nobody@... with 550."""

    def __init__(self) -> None:
        self.mails: list[Mail] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:
        if address.startswith("temp@"):
            return "451 4.3.0 mailbox busy, try again later"
        if address.startswith("nobody@"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.mails.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted"


@contextmanager
def smtp_server() -> Iterator[tuple[MailSink, int]]:
    sink = MailSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()
