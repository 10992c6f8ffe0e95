"""The compose page's live brand check, round trip over real HTTP: what an editor waits for after a pause in
typing. A 280-character post on a channel that counts as X, against a style of 100 rules (the rules of
bench/brand_throughput.py) plus the social rules; each request is the htmx POST the page sends
(/w/{workspace}/compose/check with the whole form, the session cookie and the CSRF header), answered with the
findings, counters, preview and publish time. Prints p50/p95/max in milliseconds (goal: p95 < 50 ms).

    .venv/bin/python bench/web_brand_check.py [--requests 300] [--warmup 20]

The server is postgate's own app (API and pages) under uvicorn on a free port, with a fresh SQLite database;
the live check does not touch Temporal, so none is started."""

from __future__ import annotations

import argparse
import asyncio
import platform
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import cast

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's modules, not an installed copy

from brand_throughput import generate_style  # noqa: E402
from temporalio.client import Client  # noqa: E402

from api.app import create_app  # noqa: E402
from api.deps import CSRF_COOKIE, CSRF_HEADER  # noqa: E402
from commands.admin import create_account  # noqa: E402
from embedded import http_server  # noqa: E402
from settings import Settings  # noqa: E402
from store.engine import make_engine, migrate  # noqa: E402

import httpx  # noqa: E402  # isort: skip

RULES = 100
PASSWORD = "a long enough password"
POST = (
    "Big news: we utilize a faster way to plan your week, and the new dashboard helps small shops track "
    "orders from every channel in one place. Honestly, it is revolutionary! Whilst you sleep, it works. "
    "Details: https://acme.com/launch?utm_source=x #AcmeLaunch #UMKM @acme_id 🎉"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def style_yaml() -> str:
    """The first 100 rules of the throughput benchmark's style, and its vocabulary, as one YAML document."""
    files = generate_style()
    rules = sorted(p for p in files if not p.startswith("config/"))[:RULES]
    styles = {p.split("/")[1].removesuffix(".yml"): yaml.safe_load(files[p]) for p in rules}
    vocab = {
        "accept": files["config/vocabularies/Bench/accept.txt"].decode().splitlines(),
        "reject": files["config/vocabularies/Bench/reject.txt"].decode().splitlines(),
    }
    return yaml.safe_dump({"styles": {"Bench": styles}, "vocabularies": {"Bench": vocab}}, allow_unicode=True)


async def main(requests: int, warmup: int) -> None:
    text = POST[:280].ljust(280, ".")
    with tempfile.TemporaryDirectory() as data:
        engine = make_engine(f"sqlite:///{data}/postgate.db")
        migrate(engine)
        port = free_port()
        app = create_app(Settings(api_port=port), engine, cast(Client, None))  # the live check needs no Temporal
        server = http_server(app, "127.0.0.1", port)
        serving = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.02)
        admin = create_account(engine, "ada", "Ada", email="ada@example.com", password=PASSWORD)
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            auth = {"Authorization": f"Bearer {admin.token}"}
            r = await http.post("/workspaces", json={"id": "acme", "name": "Acme"}, headers=auth)
            r.raise_for_status()
            r = await http.post(
                "/workspaces/acme/channels", json={"id": "xx", "name": "X", "counts_as": "x"}, headers=auth
            )
            r.raise_for_status()
            r = await http.put(
                "/workspaces/acme/style",
                content=style_yaml(),
                headers={**auth, "Content-Type": "application/yaml"},
            )
            r.raise_for_status()
            rule_count = len(r.json()["rules"])
        async with httpx.AsyncClient(base_url=base, timeout=30) as browser:
            r = await browser.post(
                "/signin", data={"email": "ada@example.com", "password": PASSWORD, "next": "/", "time_zone": "UTC"}
            )
            assert r.status_code == 303, r.text
            headers = {"HX-Request": "true", CSRF_HEADER: browser.cookies[CSRF_COOKIE]}
            form = {"channel": "xx", "text": text, "publish_local": "2030-12-03T09:00", "time_zone": "Asia/Jakarta"}
            timings = []
            for n in range(warmup + requests):
                started = time.perf_counter()
                r = await browser.post("/w/acme/compose/check", data=form, headers=headers)
                elapsed = (time.perf_counter() - started) * 1000
                assert r.status_code == 200 and "live-findings" in r.text, r.text[:500]
                if n >= warmup:
                    timings.append(elapsed)
            findings = r.text.count('class="finding ')
        server.should_exit = True
        await serving
        engine.dispose()
    timings.sort()
    p50 = statistics.median(timings)
    p95 = timings[int(len(timings) * 0.95) - 1]
    print(f"python {platform.python_version()}, {platform.machine()}, SQLite, one client, sequential requests")
    print(f"style: {rule_count} rules; post: {len(text)} characters, {findings} findings per answer")
    print(f"live brand check round trip over HTTP, {len(timings)} requests: "
          f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {timings[-1]:.1f} ms (goal p95 < 50 ms)")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.warmup))
