"""Exporting 100,000 audit entries over HTTP streams in bounded memory.

A fresh SQLite database gets --entries audit entries, chained properly by the chain's own append function
(store.audit_chain.append_entries, in batches of --batch, each batch one transaction, checkpoints signed every
1,000 as in production), written by a child process so that the measuring process never held them. The
measuring process then serves the whole app with uvicorn on a free port and, signed in as an auditor through
the sign-in form, downloads over real HTTP (streamed by the client, bytes counted and dropped):

  jsonl   GET /w/acme/audit/export?format=jsonl   (the web page's export: the JSON API's streaming export)
  csv     GET /w/acme/audit/export?format=csv
  bundle  GET /w/acme/audit/bundle                (the verification bundle: checkpoints, then every entry)

For each: wall time, bytes, and this process's peak RSS (resource.getrusage ru_maxrss: server and client
together) before and after. Finally the bundle is verified offline (store.audit_bundle.verify_bundle, as
`postgate audit verify --bundle FILE` does) from the file it was written to.

    PYTHONPATH=. .venv/bin/python bench/audit_export.py [--entries 100000] [--batch 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

PASSWORD = "a long enough password"


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def seed(url: str, key_file: Path, entries: int, batch: int) -> None:
    """The workspace, an auditor with a password, and `entries` chained entries (run in a child process)."""
    import json

    from domain.status import AuditAction
    from store.accounts import add_member, get_user, set_password
    from store.audit_chain import CheckpointPolicy, append_entries, configure_checkpoints
    from store.engine import make_engine, migrate, transaction
    from store.tables import AuditEntry, Channel, Workspace
    from store.workspaces import add_channel, add_workspace

    configure_checkpoints(CheckpointPolicy(every=1000, key_file=key_file))
    engine = make_engine(url)
    migrate(engine)
    with transaction(engine) as session:
        add_workspace(session, Workspace(id="acme", name="Acme", time_zone="Asia/Jakarta"))
        add_member(session, "acme", "aud", "auditor", name="Aud")
        aud = get_user(session, "aud")
        assert aud is not None
        aud.email = "aud@example.com"
        set_password(session, aud, PASSWORD)
        add_channel(session, Channel(id="sbx", workspace_id="acme", name="Sandbox", max_length=280))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    actions = [AuditAction.CREATED, AuditAction.SUBMITTED, AuditAction.BRAND_CHECKED, AuditAction.APPROVED]
    for first in range(0, entries, batch):
        with transaction(engine) as session:
            rows = []
            for n in range(first, min(entries, first + batch)):
                post, step = divmod(n, len(actions))
                rows.append(
                    AuditEntry(
                        workspace_id="acme",
                        post_id=f"p{post:06d}",
                        workflow_id=f"post-p{post:06d}",
                        seq=step + 1,
                        action=actions[step].value,
                        actor="ann" if step == 3 else "ed",
                        revision=1,
                        content_hash="sha256:" + f"{post:064x}",
                        status="awaiting_approval",
                        detail=json.dumps({"comment": f"entry {n}", "channel_id": "sbx"}, sort_keys=True),
                        at=start + timedelta(seconds=n),
                    )
                )
            append_entries(session, rows)
    engine.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def download(base: str, path: str, sink: Path | None) -> tuple[float, int]:
    import httpx

    async with httpx.AsyncClient(base_url=base, timeout=600) as client:
        r = await client.post("/signin", data={"email": "aud@example.com", "password": PASSWORD, "next": "/"})
        assert r.status_code == 303, r.text
        began = time.perf_counter()
        size = 0
        out = sink.open("wb") if sink else None
        async with client.stream("GET", path) as response:
            assert response.status_code == 200, response.status_code
            async for chunk in response.aiter_raw():
                size += len(chunk)
                if out:
                    out.write(chunk)
        if out:
            out.close()
        return time.perf_counter() - began, size


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--seed-into", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed_into:
        url, key = args.seed_into.split("|")
        seed(url, Path(key), args.entries, args.batch)
        return

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        url, key_file = f"sqlite:///{data / 'postgate.db'}", data / "audit-signing.key"
        began = time.perf_counter()
        subprocess.run(
            [sys.executable, __file__, "--entries", str(args.entries), "--batch", str(args.batch),
             "--seed-into", f"{url}|{key_file}"],
            check=True,
        )  # fmt: skip
        print(f"{args.entries} entries chained in batches of {args.batch} in {time.perf_counter() - began:.1f} s")

        os.environ["POSTGATE_AUDIT_SIGNING_KEY_FILE"] = str(key_file)
        import uvicorn

        from api.app import create_app
        from settings import Settings
        from store.audit_bundle import verify_bundle
        from store.engine import make_engine

        settings = Settings(data_dir=data / "data", audit_signing_key_file=str(key_file))
        app = create_app(settings, make_engine(url), None)  # type: ignore[arg-type]
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        asyncio.run(download(base, "/w/acme/audit?action=approved", None))  # warm up: imports, first page
        print(f"peak RSS after start-up: {peak_rss_mib():.0f} MiB")
        bundle = data / "bundle.jsonl"
        for name, path, sink in (
            ("jsonl", "/w/acme/audit/export?format=jsonl", None),
            ("csv", "/w/acme/audit/export?format=csv", None),
            ("bundle", "/w/acme/audit/bundle", bundle),
        ):
            before = peak_rss_mib()
            seconds, size = asyncio.run(download(base, path, sink))
            print(
                f"{name:6}  {seconds:6.2f} s  {size / 2**20:7.1f} MiB  {args.entries / seconds:8.0f} entries/s  "
                f"peak RSS {before:.0f} -> {peak_rss_mib():.0f} MiB"
            )
        server.should_exit = True
        thread.join()
        began = time.perf_counter()
        with bundle.open(encoding="utf-8") as lines:
            report = verify_bundle(lines)
        print(f"offline verify: {time.perf_counter() - began:.1f} s, {report.summary()}")
        print(f"peak RSS at the end: {peak_rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
