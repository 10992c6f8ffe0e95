"""Builds and runs the postgate Temporal worker."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.engine import Engine
from temporalio.client import Client
from temporalio.worker import Worker

from activities.brand import BrandActivities, brand_budget
from activities.channels import ChannelAdapters, shared_http_client
from activities.metrics import MetricsActivities
from activities.notify import NotifyActivities
from activities.publish import PublishActivities
from activities.records import RecordActivities
from activities.unpublish import UnpublishActivities
from settings import Settings
from store.post_agreement import AgreementCheck
from worker_log import AttemptLog
from workflows.lifecycle import PostLifecycle
from workflows.unpublish import PostUnpublish

log = logging.getLogger("postgate.worker")
SHUTDOWN_GRACE = timedelta(seconds=10)


def lifecycle_activities(
    engine: Engine, http: httpx.AsyncClient, sandbox_url: str, settings: Settings | None = None
) -> list[Any]:
    adapters = ChannelAdapters(http, sandbox_url, settings=settings)
    records = RecordActivities(engine)
    unpublishing = UnpublishActivities(engine, adapters)
    return [
        BrandActivities(engine, adapters, brand_budget(settings) if settings else None).check_brand,
        records.record_transitions,
        records.store_revision,
        PublishActivities(engine, adapters).publish,
        MetricsActivities(engine, adapters).collect_metrics,
        unpublishing.unpublish,
        unpublishing.record_unpublished,
    ]


@asynccontextmanager
async def running_worker(
    client: Client, engine: Engine, settings: Settings, *, task_queue: str | None = None
) -> AsyncIterator[Worker]:
    """A started worker with its shared HTTP client; both are shut down on exit."""
    queue = task_queue or settings.task_queue
    async with shared_http_client(settings.outbound_policy) as http:
        worker = Worker(
            client,
            task_queue=queue,
            workflows=[PostLifecycle, PostUnpublish],
            activities=[
                *lifecycle_activities(engine, http, settings.resolved_sandbox_url, settings),
                NotifyActivities(engine, http, settings).notify,
            ],
            max_concurrent_activities=100,
            max_concurrent_local_activities=100,
            graceful_shutdown_timeout=SHUTDOWN_GRACE,
            interceptors=[AttemptLog()],
        )
        where = (
            f"task queue {queue}, namespace {client.namespace}, Temporal at {client.service_client.config.target_host}"
        )
        async with worker:
            # Finds (and re-projects from the workflow) posts whose store and workflow disagree.
            checking = (
                asyncio.create_task(AgreementCheck(client, engine, settings.agreement_check_every).run())
                if settings.agreement_check_every > 0
                else None
            )
            log.info("worker started: %s", where)
            try:
                yield worker
            finally:
                if checking is not None:
                    checking.cancel()
                log.info("worker stopping: running activities get %.0f s to finish", SHUTDOWN_GRACE.total_seconds())
        log.info("worker stopped: %s", where)


async def run_worker(settings: Settings) -> None:
    from store.audit_chain import CheckpointPolicy, configure_checkpoints
    from store.engine import make_engine, migrate
    from temporal_runtime import connect_checked

    client = await connect_checked(settings)
    engine = make_engine(settings.resolved_database_url)
    migrate(engine)
    configure_checkpoints(CheckpointPolicy.of(settings))  # this process's audit writers sign with this key
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    # Leaving the block shuts the worker down gracefully: running activities get to finish.
    async with running_worker(client, engine, settings):
        await stop.wait()
    engine.dispose()


if __name__ == "__main__":
    from worker_log import configure_logging

    configure_logging()
    asyncio.run(run_worker(Settings()))
