"""What the CLI reaches and exposes by default: the API that this machine's settings serve, and a sandbox that
only this machine can reach unless told otherwise."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from cli import app
from servers import free_port

REPO = Path(__file__).resolve().parents[2]


def test_channels_commands_reach_the_api_on_the_configured_port(monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()  # nothing listens there: the message names the URL the command tried
    monkeypatch.delenv("POSTGATE_API_URL", raising=False)
    monkeypatch.setenv("POSTGATE_API_PORT", str(port))

    done = CliRunner().invoke(app, ["channels", "list", "--token", "pg_x", "-w", "acme"])

    assert done.exit_code == 2, done.output
    assert f"cannot reach the API at http://127.0.0.1:{port}" in done.output

    monkeypatch.setenv("POSTGATE_API_HOST", "0.0.0.0")  # listening everywhere: reached on loopback
    done = CliRunner().invoke(app, ["channels", "list", "--token", "pg_x", "-w", "acme"])
    assert f"cannot reach the API at http://127.0.0.1:{port}" in done.output


@contextmanager
def sandbox_server(tmp_path: Path, *options: str) -> Iterator[int]:
    port = free_port()
    env = {**os.environ, "POSTGATE_SANDBOX_PORT": str(port), "POSTGATE_DATA_DIR": str(tmp_path)}
    env.pop("POSTGATE_SANDBOX_HOST", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", "sandbox", *options],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(300):
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=20)


def reachable(address: str, port: int) -> bool:
    try:
        return httpx.get(f"http://{address}:{port}/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def test_the_sandbox_listens_on_loopback_unless_told_otherwise(tmp_path: Path) -> None:
    # 127.0.0.2 is this machine too, but a server bound to 127.0.0.1 alone does not answer there: only one
    # bound to every address (0.0.0.0) does, as it would on the machine's public addresses.
    with sandbox_server(tmp_path) as port:
        assert reachable("127.0.0.1", port)
        assert not reachable("127.0.0.2", port)
    with sandbox_server(tmp_path, "--host", "0.0.0.0") as port:
        assert reachable("127.0.0.2", port)
