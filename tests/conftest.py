"""Shared fixtures: real Temporal servers from the installed binaries, a real sandbox over HTTP, real DBs."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from embedded import http_server
from platforms.sandbox import create_sandbox_app
from servers import ThreadedServer, free_port
from settings import Settings
from store.engine import make_engine, migrate, normalise_url
from temporal_runtime import installed_binary
from worker import running_worker
from workflows.search_attributes import ALL as SEARCH_ATTRIBUTES

POSTGRES_URL = os.environ.get("POSTGATE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session", autouse=True)
def own_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Keys and files the code keeps under the data dir (audit signing key, local credential key) go to a
    directory of this test session, never into the checkout's .data/, which a running `postgate dev` owns."""
    previous = os.environ.get("POSTGATE_DATA_DIR")
    data_dir = tmp_path_factory.mktemp("data")
    os.environ["POSTGATE_DATA_DIR"] = str(data_dir)
    yield data_dir
    if previous is None:
        os.environ.pop("POSTGATE_DATA_DIR", None)
    else:
        os.environ["POSTGATE_DATA_DIR"] = previous


# Local doubles (webhook receivers, platform doubles, the sandbox) listen on loopback, which postgate's
# outbound guard refuses by default; the suite allows it, as an operator would for a local server (set at
# import, so every Settings() and every subprocess a test starts sees it). Tests of the guard itself build
# their own policy.
LOCAL_DOUBLES = "127.0.0.0/8,::1,localhost"
os.environ["POSTGATE_OUTBOUND_ALLOW"] = LOCAL_DOUBLES


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThreadedServer]:
    app = create_sandbox_app(tmp_path_factory.mktemp("sandbox") / "sandbox.db")
    with ThreadedServer(app) as server:
        yield server


@pytest.fixture(scope="session")
async def time_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(installed_binary("temporal-test-server")),
        data_converter=pydantic_data_converter,
    )
    async with env:
        await env.client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(
                namespace=env.client.namespace,
                search_attributes={
                    key.name: IndexedValueType.ValueType(key.indexed_value_type.value) for key in SEARCH_ATTRIBUTES
                },
            )
        )
        yield env


@pytest.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(installed_binary("temporal")),
        data_converter=pydantic_data_converter,
        search_attributes=SEARCH_ATTRIBUTES,
        ui=False,
        dev_server_log_level="error",
    )
    async with env:
        yield env


@pytest.fixture
def task_queue() -> str:
    return f"tq-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'postgate.db'}")
    migrate(engine)
    yield engine
    engine.dispose()


@contextmanager
def _pg_schema(**engine_options: Any) -> Iterator[Engine]:
    """An engine on a fresh schema of the PostgreSQL test database, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES_URL)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as err:
        admin.dispose()
        pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_URL} (start it, see README): {err}")
    engine = sa.create_engine(
        normalise_url(POSTGRES_URL), connect_args={"options": f"-csearch_path={schema}"}, **engine_options
    )
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def pg_engine() -> Iterator[Engine]:
    """A fresh, migrated schema in the PostgreSQL test database, dropped afterwards."""
    with _pg_schema(pool_pre_ping=True) as engine:
        migrate(engine)
        yield engine


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    """A workspace with an editor, two approvers and a sandbox channel limited to 280 characters."""
    import json

    from store.accounts import add_member
    from store.engine import transaction
    from store.tables import Channel, Workspace
    from store.workspaces import add_channel, add_workspace

    with transaction(engine) as session:
        add_workspace(session, Workspace(id="acme", name="Acme", banned_words=json.dumps(["guaranteed"])))
        add_member(session, "acme", "ed", "editor", name="Ed Editor")
        add_member(session, "acme", "ann", "approver", name="Ann Approver")
        add_member(session, "acme", "bob", "approver", name="Bob Approver")
        add_channel(session, Channel(id="sbx", workspace_id="acme", name="Sandbox", max_length=280))
    return engine


@asynccontextmanager
async def serving_api(
    dev_env: WorkflowEnvironment, engine: Engine, sandbox: ThreadedServer, task_queue: str
) -> AsyncIterator[httpx.AsyncClient]:
    """The app over real HTTP on a free port with a real worker, on `engine`; a client for it."""
    from api_client import ACCOUNTS

    ACCOUNTS.use(engine)  # tests' users get their tokens from this database
    settings = Settings(sandbox_url=sandbox.url, task_queue=task_queue, followup_offsets=[1], api_port=free_port())
    server = http_server(create_app(settings, engine, dev_env.client), "127.0.0.1", settings.api_port)
    serving = asyncio.create_task(server.serve())
    async with running_worker(dev_env.client, engine, settings):
        while not server.started:
            await asyncio.sleep(0.02)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{settings.api_port}", timeout=30) as http:
            yield http
        server.should_exit = True
        await serving


@pytest.fixture
async def api(
    dev_env: WorkflowEnvironment, engine: Engine, sandbox, task_queue: str
) -> AsyncIterator[httpx.AsyncClient]:
    async with serving_api(dev_env, engine, sandbox, task_queue) as http:
        yield http


@pytest.fixture(params=["sqlite", "postgres"])
async def api_on_both(
    request: pytest.FixtureRequest, dev_env: WorkflowEnvironment, sandbox, task_queue: str
) -> AsyncIterator[httpx.AsyncClient]:
    """The whole stack over real HTTP (as the `api` fixture), on SQLite and on PostgreSQL."""
    engine: Engine = request.getfixturevalue("engine" if request.param == "sqlite" else "pg_engine")
    async with serving_api(dev_env, engine, sandbox, task_queue) as http:
        yield http


@pytest.fixture(params=["sqlite", "postgres"])
def bare_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database (no migrations run), on SQLite and on PostgreSQL (a schema of its own)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'bare.db'}")
        yield engine
        engine.dispose()
        return
    with _pg_schema() as engine:
        yield engine


@pytest.fixture
async def worker(time_env: WorkflowEnvironment, seeded: Engine, sandbox, task_queue: str) -> AsyncIterator[str]:
    """A worker with the real activities on the time-skipping server, on its own task queue, publishing to
    the sandbox over HTTP; yields the task queue."""
    from worker import running_worker

    async with running_worker(time_env.client, seeded, Settings(sandbox_url=sandbox.url, task_queue=task_queue)):
        yield task_queue
