"""`postgate dev` as a user runs it: stopped while an approved post waits, started again, publishes once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from servers import free_port

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]


class DevStack:
    def __init__(self, data_dir: Path) -> None:
        self.api_port, self.sandbox_port, self.temporal_port = free_port(), free_port(), free_port()
        self.env = {
            **os.environ,
            "POSTGATE_DATA_DIR": str(data_dir),
            "POSTGATE_API_PORT": str(self.api_port),
            "POSTGATE_SANDBOX_PORT": str(self.sandbox_port),
            "POSTGATE_TEMPORAL_PORT": str(self.temporal_port),
            "POSTGATE_FOLLOWUP_OFFSETS": "1",
        }
        self.log = data_dir / "dev.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        out = self.log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cli", "dev", "--headless"], cwd=REPO, env=self.env, stdout=out, stderr=out
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"postgate dev exited early:\n{self.log.read_text()}"
            try:
                if httpx.get(f"{self.api}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"postgate dev did not come up:\n{self.log.read_text()}")

    def stop(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"postgate dev ignored SIGTERM:\n{self.log.read_text()}") from None

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def sandbox(self) -> str:
        return f"http://127.0.0.1:{self.sandbox_port}"

    def create_user(self, user_id: str) -> str:
        """`postgate admin create-user` against this stack's database; the token it prints."""
        done = subprocess.run(
            [sys.executable, "-m", "cli", "admin", "create-user", "--id", user_id, "--name", user_id.title()],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert "shown once" in done.stderr
        return done.stdout.strip()


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[DevStack]:
    stack = DevStack(tmp_path / "data")
    yield stack
    if stack.process is not None and stack.process.poll() is None:
        stack.process.kill()
        stack.process.wait()


TOKENS: dict[str, str] = {}  # user id -> API token


def call(http: httpx.Client, method: str, path: str, user: str, body: object = None) -> dict:
    response = http.request(method, path, json=body, headers={"Authorization": f"Bearer {TOKENS[user]}"})
    assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
    return response.json()


def wait_for(http: httpx.Client, post_id: str, status: str, within: float = 60) -> dict:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        post = call(http, "GET", f"/posts/{post_id}", "ann")
        if post["status"] == status:
            return post
        time.sleep(0.2)
    raise AssertionError(f"post stayed {post['status']}, never {status}")


def test_restart_while_scheduled_publishes_exactly_once(stack: DevStack) -> None:
    stack.start()
    with httpx.Client(base_url=stack.api, timeout=30) as http:
        TOKENS["ada"] = stack.create_user("ada")
        call(http, "POST", "/workspaces", "ada", {"id": "acme", "name": "Acme"})
        for user, role in (("ed", "editor"), ("ann", "approver")):
            member = {"id": user, "name": user.title(), "role": role}
            TOKENS[user] = call(http, "POST", "/workspaces/acme/users", "ada", member)["token"]
        call(http, "POST", "/workspaces/acme/channels", "ada", {"id": "sbx", "name": "Sandbox"})
        publish_at = datetime.now(UTC) + timedelta(seconds=15)
        body = {"channel_id": "sbx", "text": "Survives restarts", "publish_at": publish_at.isoformat(), "submit": True}
        post_id = call(http, "POST", "/posts", "ed", body)["id"]
        post = wait_for(http, post_id, "awaiting_approval")
        decision = {"decision": "approve", "content_hash": post["revision"]["content_hash"]}
        call(http, "POST", f"/posts/{post_id}/decisions", "ann", decision)
        assert call(http, "GET", f"/posts/{post_id}", "ann")["status"] == "scheduled"

    assert stack.stop() == 0
    assert "stopped cleanly" in stack.log.read_text()
    stopped_at = datetime.now(UTC)
    assert stopped_at < publish_at, "the stack took too long to stop for this test to mean anything"

    stack.start()
    with httpx.Client(base_url=stack.api, timeout=30) as http:
        assert call(http, "GET", f"/posts/{post_id}", "ann")["status"] == "scheduled"
        post = wait_for(http, post_id, "done", within=90)
        held = httpx.get(f"{stack.sandbox}/api/posts", params={"channel": "sbx"}, timeout=5).json()["posts"]
        trail = call(http, "GET", f"/posts/{post_id}/audit", "ann")["entries"]
    assert [p["text"] for p in held] == ["Survives restarts"]
    assert post["publication"]["external_id"] == held[0]["id"]
    assert datetime.fromisoformat(held[0]["created_at"]) >= publish_at
    assert [e["action"] for e in trail].count("published") == 1
    assert stack.stop() == 0


def children_of(pid: int) -> list[int]:
    """Processes whose parent is `pid`, from /proc."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:
            continue  # gone meanwhile
        if fields.get("PPid", "").strip() == str(pid):
            found.append(int(status.parent.name))
    return found


def alive(pid: int) -> bool:
    """Running (a zombie no one has reaped yet holds no port and runs nothing)."""
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def hold_connections(stack: DevStack) -> list[httpx.Client]:
    """Idle keep-alive connections to the API and the sandbox, as a browser or a script leaves them: when the
    stack stops, the servers close them first, which leaves their ports in TIME-WAIT for a minute."""
    held = []
    for url in (f"{stack.api}/healthz", f"{stack.sandbox}/healthz"):
        client = httpx.Client(timeout=5)
        assert client.get(url).status_code == 200
        held.append(client)
    return held


def test_after_a_hard_kill_its_temporal_dies_too_and_a_restart_comes_up_at_once(stack: DevStack) -> None:
    stack.start()
    assert stack.process is not None
    [temporal] = children_of(stack.process.pid)
    held = hold_connections(stack)

    stack.process.kill()  # SIGKILL: postgate gets no chance to stop anything itself
    stack.process.wait()
    for _ in range(100):
        if not alive(temporal):
            break
        time.sleep(0.1)
    assert not alive(temporal), "the Temporal dev server outlived postgate"

    stack.start()  # the same ports and data, at once
    with httpx.Client(base_url=stack.api, timeout=30) as http:
        assert http.get("/healthz").status_code == 200
    assert stack.stop() == 0
    for client in held:
        client.close()


def test_right_after_ctrl_c_a_restart_comes_up(stack: DevStack) -> None:
    stack.start()
    assert stack.process is not None
    held = hold_connections(stack)
    stack.process.send_signal(signal.SIGINT)
    assert stack.process.wait(timeout=40) == 0
    assert "stopped cleanly" in stack.log.read_text()

    stack.start()
    with httpx.Client(base_url=stack.api, timeout=30) as http:
        assert http.get("/healthz").status_code == 200
    assert stack.stop() == 0
    for client in held:
        client.close()


def test_a_temporal_left_by_an_earlier_run_on_the_same_data_dir_is_stopped(stack: DevStack) -> None:
    from settings import Settings
    from temporal_runtime import dev_server_command

    # As a run killed where children do not die with their parent leaves it: running, its pid on file.
    data_dir = Path(stack.env["POSTGATE_DATA_DIR"])
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = Settings(data_dir=data_dir, temporal_port=stack.temporal_port)
    leftover = subprocess.Popen(
        dev_server_command(settings, headless=True),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        (data_dir / "temporal.pid").write_text(f"{leftover.pid}\n")
        stack.start()
        leftover.wait(timeout=30)  # stopped by the new run
        assert "left behind" in stack.log.read_text()
        assert stack.stop() == 0
    finally:
        if leftover.poll() is None:
            leftover.kill()
            leftover.wait()
