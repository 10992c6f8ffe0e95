"""`postgate demo`: one post's whole life on a fresh embedded stack, driven over HTTP like a real team."""

from __future__ import annotations

import asyncio
import socket
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from settings import Settings

FIRST_DRAFT = "Our new trail shoes are guaranteed to make you faster. Out Friday! #trailrunning"
REVISED = "Our new trail shoes are built for fast, light miles. Out Friday! #trailrunning"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def demo_settings(data_dir: Path) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url="",
        temporal_address="",
        sandbox_url="",
        api_port=_free_port(),
        sandbox_port=_free_port(),
        temporal_port=_free_port(),
        task_queue="postgate-demo",
        followup_offsets=[3],
    )


class Step:
    def __init__(self, http: httpx.AsyncClient, tokens: dict[str, str]) -> None:
        self.http = http
        self.tokens = tokens  # user id -> API token

    async def call(self, method: str, path: str, user: str, body: Any = None, expect: int = 200) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[user]}"}
        response = await self.http.request(method, path, json=body, headers=headers)
        if response.status_code != expect:
            raise RuntimeError(f"{method} {path} answered {response.status_code}: {response.text}")
        return response.json()

    async def wait_for(self, post_id: str, user: str, *statuses: str, within: float = 60) -> Any:
        deadline = time.monotonic() + within
        while True:
            post = await self.call("GET", f"/posts/{post_id}", user)
            if post["status"] in statuses:
                return post
            if time.monotonic() > deadline:
                raise RuntimeError(f"post {post_id} stayed {post['status']}; expected {' or '.join(statuses)}")
            await asyncio.sleep(0.25)


def say(text: str) -> None:
    print(f"==> {text}", flush=True)


async def drive(base_url: str, ada_token: str) -> list[dict[str, Any]]:
    """The demo over HTTP, as `ada`, an account without a workspace yet (`postgate admin create-user`)."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        s = Step(http, {"ada": ada_token})
        say("ada creates workspace 'acme' (banned word: 'guaranteed') and adds editor 'ed' and approver 'ann'")
        await s.call(
            "POST",
            "/workspaces",
            "ada",
            {"id": "acme", "name": "Acme Outdoor", "banned_words": ["guaranteed"]},
            201,
        )
        for user, role in (("ed", "editor"), ("ann", "approver")):
            body = {"id": user, "name": user.title(), "role": role}
            s.tokens[user] = (await s.call("POST", "/workspaces/acme/users", "ada", body, 201))["token"]
        await s.call(
            "POST",
            "/workspaces/acme/channels",
            "ada",
            {"id": "sandbox", "name": "Sandbox", "max_length": 280},
            201,
        )

        publish_at = datetime.now(UTC) + timedelta(seconds=8)
        say(f"ed submits a draft to publish at {publish_at:%H:%M:%S} UTC")
        post = await s.call(
            "POST",
            "/posts",
            "ed",
            {
                "channel_id": "sandbox",
                "text": FIRST_DRAFT,
                "publish_at": publish_at.isoformat(),
                "submit": True,
            },
            201,
        )
        post_id = post["id"]
        post = await s.wait_for(post_id, "ed", "changes_needed")
        for f in post["findings"]:
            say(f"brand check: {f['level']} {f['rule']}: {f['message']}")

        say("ed revises the draft")
        await s.call(
            "POST",
            f"/posts/{post_id}/revisions",
            "ed",
            {"text": REVISED, "comment": "dropped the claim"},
            201,
        )
        post = await s.wait_for(post_id, "ed", "awaiting_approval")
        rev = post["revision"]
        say(f"brand check passed; ann approves revision {rev['number']} ({rev['content_hash'][:19]}...)")
        await s.call(
            "POST",
            f"/posts/{post_id}/decisions",
            "ann",
            {
                "decision": "approve",
                "content_hash": post["revision"]["content_hash"],
                "comment": "Looks good",
            },
        )
        post = await s.wait_for(post_id, "ann", "published", "done", within=90)
        say(f"published at {post['publication']['url']}")
        post = await s.wait_for(post_id, "ann", "done", within=90)
        m = post["metrics"][-1]
        say(f"metrics after {m['offset_seconds']}s: {m['impressions']} impressions, {m['likes']} likes")
        trail = await s.call("GET", f"/posts/{post_id}/audit", "ann")
        return list(trail["entries"])


def print_trail(entries: list[dict[str, Any]]) -> None:
    print("\nAudit trail")
    print(f"{'#':>3}  {'time (UTC)':<19}  {'action':<18}  {'actor':<7}  rev  {'content hash':<22}  status")
    for e in entries:
        at = datetime.fromisoformat(e["at"]).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
        print(
            f"{e['seq']:>3}  {at:<19}  {e['action']:<18}  {e['actor']:<7}  {e['revision']:>3}  "
            f"{e['content_hash'][:22]:<22}  {e['status']}"
        )
        detail = e["detail"]
        for finding in detail.get("findings", []):
            print(f"{'':>5}finding: {finding['rule']} ({finding['level']}): {finding['message']}")
        if e["action"] == "published":
            print(f"{'':>5}{detail['url']}")
        if e["action"] == "metrics_collected":
            counts = ", ".join(f"{k} {detail[k]}" for k in ("impressions", "likes", "shares", "replies"))
            print(f"{'':>5}{counts}")


def _first_admin(settings: Settings) -> str:
    """ada's account and token, made in the database as `postgate admin create-user` does."""
    from commands.admin import create_account
    from store.engine import make_engine

    engine = make_engine(settings.resolved_database_url)
    try:
        return create_account(engine, "ada", "Ada").token
    finally:
        engine.dispose()


async def run_demo() -> int:
    from embedded import run_dev

    with tempfile.TemporaryDirectory(prefix="postgate-demo-") as tmp:
        settings = demo_settings(Path(tmp))
        stop, ready = asyncio.Event(), asyncio.Event()
        stack = asyncio.create_task(run_dev(settings, headless=True, stop=stop, ready=ready))
        started = time.monotonic()
        try:
            waiter = asyncio.create_task(ready.wait())
            await asyncio.wait([stack, waiter], return_when=asyncio.FIRST_COMPLETED)
            if not ready.is_set():
                waiter.cancel()
                await stack
                return 1
            entries = await drive(f"http://{settings.api_host}:{settings.api_port}", _first_admin(settings))
            print_trail(entries)
            print(f"\ndemo finished in {time.monotonic() - started:.1f}s")
            return 0
        finally:
            stop.set()
            await stack
