"""`postgate dev`: the whole stack in one command (Temporal dev server, worker, API, sandbox platform)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Generator
from contextlib import asynccontextmanager

import uvicorn
from temporalio.client import Client

from settings import Settings
from temporal_runtime import connect, dev_server_command


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


@asynccontextmanager
async def temporal_server(settings: Settings, *, headless: bool = False) -> AsyncIterator[Client]:
    """The embedded dev server (when no address is configured), persisted under the data dir."""
    process = None
    if not settings.temporal_address:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        log = (settings.data_dir / "temporal.log").open("ab")
        process = subprocess.Popen(  # noqa: ASYNC220 (starting it is instant; we never wait on it here)
            dev_server_command(settings, headless=headless), stdout=log, stderr=subprocess.STDOUT
        )
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


def ensure_ports_free(settings: Settings) -> None:
    wanted = [("API", settings.api_host, settings.api_port)]
    if not settings.sandbox_url:
        wanted.append(("sandbox platform", "127.0.0.1", settings.sandbox_port))
    if not settings.temporal_address:
        wanted.append(("Temporal", "127.0.0.1", settings.temporal_port))
    for name, host, port in wanted:
        with socket.socket() as probe:
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

    ensure_ports_free(settings)
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
    async with temporal_server(settings, headless=headless) as client:
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
        f"  API and docs     http://{settings.api_host}:{settings.api_port}/docs",
        f"  sandbox platform {settings.resolved_sandbox_url}",
        f"  Temporal         {settings.resolved_temporal_address} (namespace {settings.temporal_namespace})",
    ]
    if not settings.temporal_address and not headless:
        lines.append(f"  Temporal UI      http://127.0.0.1:{settings.temporal_ui_port}")
    lines.append(f"  data             {settings.data_dir.resolve()}")
    lines.append("Ctrl-C stops everything; a restart keeps every post and workflow.")
    print("\n".join(lines), file=sys.stdout, flush=True)
