"""`postgate dev`: the whole stack in one command (Temporal dev server, worker, API, sandbox platform)."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Generator
from contextlib import asynccontextmanager
from pathlib import Path

import uvicorn
from temporalio.client import Client

from settings import Settings
from temporal_runtime import check_search_attributes, connect, dev_server_command

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
TEMPORAL_PID_FILE = "temporal.pid"


class QuietServer(uvicorn.Server):
    """A uvicorn server that leaves signals to us: several run in one process and stop together."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def http_server(app: object, host: str, port: int) -> QuietServer:
    # proxy_headers off: X-Forwarded-For is believed only from POSTGATE_TRUSTED_PROXIES (api/client_address.py).
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", proxy_headers=False)  # type: ignore[arg-type]
    return QuietServer(config)


async def _wait_for_temporal(settings: Settings, process: subprocess.Popen[bytes] | None) -> Client:
    last: Exception | None = None
    for _ in range(300):
        if process is not None and process.poll() is not None:
            raise RuntimeError(
                f"the Temporal dev server exited with code {process.returncode}; is port "
                f"{settings.temporal_port} or {settings.temporal_ui_port} already in use?"
            )
        try:
            return await connect(settings)
        except Exception as err:  # the server is still starting: connection refused
            last = err
            await asyncio.sleep(0.1)
    raise RuntimeError(f"could not reach Temporal at {settings.resolved_temporal_address}: {last}")


def _die_with_parent() -> Callable[[], None] | None:
    """For Popen's preexec_fn: the child gets SIGKILL when postgate dies, however it dies (Linux only).

    PR_SET_PDEATHSIG fires when the thread that forked the child exits; postgate starts Temporal from its event
    loop's thread, which lives as long as the process. Elsewhere the pid file below finds a leftover instead.
    """
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before fork: the child only calls it
    parent = os.getpid()

    def in_child() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # postgate died between fork and prctl: nobody would stop this child
            os._exit(1)

    return in_child


def _command_line(pid: int) -> str:
    """What process `pid` runs, or '' if none does (or it is a zombie)."""
    proc = Path("/proc") / str(pid) / "cmdline"
    if Path("/proc/self").exists():
        try:
            return proc.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            return ""
    done = subprocess.run(["ps", "-o", "command=", "-p", str(pid)], capture_output=True, text=True, check=False)
    return done.stdout.strip()


def stop_leftover_temporal(settings: Settings) -> None:
    """Stop a dev server that an earlier `postgate dev` on this data dir left running (it was killed where
    children do not die with their parent, or the pid file survived a crash): it holds the ports and the db."""
    pid_file = settings.data_dir / TEMPORAL_PID_FILE
    try:
        pid = int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return
    database = str(settings.data_dir.resolve() / "temporal.db")
    if "start-dev" in (running := _command_line(pid)) and database in running:
        print(f"postgate: stopping the Temporal dev server an earlier run left behind (pid {pid})", flush=True)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
            for _ in range(100):
                if not _command_line(pid):
                    break
                time.sleep(0.1)
            else:
                os.kill(pid, signal.SIGKILL)
    pid_file.unlink(missing_ok=True)


@asynccontextmanager
async def temporal_server(settings: Settings, *, headless: bool = False) -> AsyncIterator[Client]:
    """The embedded dev server (when no address is configured), persisted under the data dir.

    It runs in its own process group, so a Ctrl-C in the terminal reaches postgate alone, which stops the
    worker before the server; and it dies with postgate (see _die_with_parent).
    """
    process = None
    pid_file = settings.data_dir / TEMPORAL_PID_FILE
    if not settings.temporal_address:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        with (settings.data_dir / "temporal.log").open("ab") as log:
            process = subprocess.Popen(  # noqa: ASYNC220 (starting it is instant; we never wait on it here)
                dev_server_command(settings, headless=headless),
                stdout=log,
                stderr=subprocess.STDOUT,
                process_group=0,
                preexec_fn=_die_with_parent(),  # it only calls prctl, looked up before the fork
            )
        pid_file.write_text(f"{process.pid}\n")
    try:
        yield await _wait_for_temporal(settings, process)
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            pid_file.unlink(missing_ok=True)


def ensure_ports_free(settings: Settings, *, headless: bool = False) -> None:
    """Refuse early, naming the port, when something listens where a server of ours is to listen.

    The probe sets SO_REUSEADDR as the servers themselves do (asyncio's create_server under uvicorn, Go's
    listeners in Temporal): without it, connections that closed in the last minute (TIME-WAIT, left by every
    stop) would count as "in use" although a server could bind at once.
    """
    wanted = [("API", settings.api_host, settings.api_port)]
    if not settings.sandbox_url:
        wanted.append(("sandbox platform", "127.0.0.1", settings.sandbox_port))
    if not settings.temporal_address:
        wanted.append(("Temporal", "127.0.0.1", settings.temporal_port))
        if not headless:
            wanted.append(("Temporal UI", "127.0.0.1", settings.temporal_ui_port))
    for name, host, port in wanted:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family) as probe:
            if os.name == "posix":  # elsewhere the option means something else (taking a port over)
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError as err:
                raise SystemExit(
                    f"postgate: port {port} for the {name} is in use ({err.strerror}); stop what holds it "
                    f"or choose another port (see the settings table in README.md)"
                ) from err


async def run_dev(
    settings: Settings,
    *,
    headless: bool = False,
    stop: asyncio.Event | None = None,
    ready: asyncio.Event | None = None,
) -> None:
    """Run the stack until SIGINT/SIGTERM, or until `stop` is set when the caller passes one."""
    from api.app import create_app
    from platforms.sandbox import create_sandbox_app
    from store.audit_chain import CheckpointPolicy, configure_checkpoints
    from store.engine import make_engine, migrate
    from worker import running_worker

    if not settings.temporal_address:
        stop_leftover_temporal(settings)
    ensure_ports_free(settings, headless=headless)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url)
    migrate(engine)
    # The worker and the API here write audit entries with the key under this data dir (--data-dir moves it).
    configure_checkpoints(CheckpointPolicy.of(settings))

    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)

    servers = []
    if not settings.sandbox_url:
        sandbox = create_sandbox_app(settings.data_dir / "sandbox.db")
        servers.append(http_server(sandbox, "127.0.0.1", settings.sandbox_port))
    if not settings.temporal_address and not headless and not settings.temporal_ui_url:
        # The embedded dev server's UI: admins' post pages link each post's workflow there.
        settings = settings.model_copy(update={"temporal_ui_url": f"http://127.0.0.1:{settings.temporal_ui_port}"})
    async with temporal_server(settings, headless=headless) as client:
        await check_search_attributes(client, settings.resolved_temporal_address)
        api = http_server(create_app(settings, engine, client), settings.api_host, settings.api_port)
        servers.append(api)
        tasks = [asyncio.create_task(s.serve()) for s in servers]
        async with running_worker(client, engine, settings):
            while not all(s.started for s in servers):
                if any(t.done() for t in tasks):
                    stop.set()
                    break
                await asyncio.sleep(0.05)
            else:
                _announce(settings, headless)
                if ready is not None:
                    ready.set()
            await stop.wait()
            print("postgate: stopping...", flush=True)
            for s in servers:
                s.should_exit = True
            await asyncio.gather(*tasks, return_exceptions=True)
    engine.dispose()
    failed = [t.exception() for t in tasks if t.done() and not t.cancelled() and t.exception()]
    if failed or any(not s.started for s in servers):
        raise SystemExit(f"postgate: a server failed to start (is port {settings.api_port} free?)")
    print("postgate: stopped cleanly", flush=True)


def _announce(settings: Settings, headless: bool) -> None:
    lines = [
        "postgate is running",
        f"  web app          http://{settings.api_host}:{settings.api_port}/",
        f"  API and docs     http://{settings.api_host}:{settings.api_port}/docs",
        f"  sandbox platform {settings.resolved_sandbox_url}",
        f"  Temporal         {settings.resolved_temporal_address} (namespace {settings.temporal_namespace})",
    ]
    if not settings.temporal_address and not headless:
        lines.append(f"  Temporal UI      http://127.0.0.1:{settings.temporal_ui_port}")
    lines.append(f"  data             {settings.data_dir.resolve()}")
    lines.append("Ctrl-C stops everything; a restart keeps every post and workflow.")
    print("\n".join(lines), file=sys.stdout, flush=True)
